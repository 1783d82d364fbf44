"""`souverain new`: fork a stack file for a new startup from the dev or prod template.

The file is rendered from `templates/stack-<template>.yaml.j2`, every value written by
PyYAML as a YAML scalar, so no value can break the document. Before anything is
written, the result is read back exactly as `souverain plan` reads a stack file and
checked by the same rules. Credentials are never written nor invented: the command
prints the `pulumi config set --secret` commands that set them, then the next steps.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import jinja2
import yaml

from components.config import NAMESPACE, missing_secret_settings, parse_stack_config
from components.config_rules import (
    cidr_problems,
    domain_problem,
    location_problem,
    project_id_problem,
    ssh_key_problems,
    startup_name_problem,
)
from components.errors import ConfigError, SouverainError
from souverain.stack_files import (
    SECRET_PLACEHOLDER,
    STACK_NAME_RE,
    Project,
    engine_config,
    parse_yaml,
)

TEMPLATES = ("dev", "prod")
# Where ssh-keygen puts a new key of each type, in the order a key is looked for.
DEFAULT_SSH_KEYS = ("~/.ssh/id_ed25519.pub", "~/.ssh/id_ecdsa.pub", "~/.ssh/id_rsa.pub")
# A documentation range (RFC 5737): no traffic comes from it, so a stack made without
# --admin-cidr stays closed until its owner names a range of their own.
CLOSED_RANGE = "192.0.2.0/24"
# Where each credential is made, printed beside the command that sets it.
CREDENTIAL_SOURCES = {
    "hcloud:token": "Hetzner Console > your project > Security > API tokens (Read & "
    "Write)",
    "s3AccessKey": "Hetzner Console > Security > S3 credentials",
    "s3SecretKey": "Hetzner Console > Security > S3 credentials",
    "bunnyAccessKey": "bunny.net dashboard > Account settings > API key",
    "scalewayAccessKey": "Scaleway console > IAM > API keys",
    "scalewaySecretKey": "Scaleway console > IAM > API keys",
    "hcloudClusterToken": "Hetzner Console > Security > API tokens, a second Read & "
    "Write token",
}


def yaml_scalar(value: str) -> str:
    """`value` as one YAML scalar, quoted only where YAML needs it ('off', 'a: b')."""
    text = yaml.safe_dump(value, width=math.inf, allow_unicode=True)
    # A lone plain scalar is dumped as a document with an explicit end: drop both.
    return text.removesuffix("\n").removesuffix("\n...")


_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("souverain", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_TEMPLATES.filters["yaml"] = yaml_scalar


@dataclass(frozen=True)
class StackRequest:
    """What `souverain new` was asked to write, every value already checked."""

    stack: str
    template: str
    startup_name: str
    domain: str
    location: str
    ssh_key: str
    admin_cidrs: tuple[str, ...]
    scaleway_project_id: str | None


def stack_name_problems(stack: str, startup_name: str | None) -> list[str]:
    """What is wrong with the stack name, or with the startup name taken from it."""
    if not STACK_NAME_RE.match(stack):
        return [
            f"stack name '{stack}' is not usable: use 1 to 100 letters, digits, '-', "
            "'_' and '.', e.g. acme"
        ]
    if startup_name is not None:
        problem = startup_name_problem(startup_name)
        return [f"--startup-name {problem}"] if problem else []
    if startup_name_problem(stack):
        return [
            f"stack name '{stack}' cannot be the startup name, which prefixes every "
            "resource: pass --startup-name with 3 to 30 lowercase letters, digits and "
            "single dashes, starting with a letter (e.g. --startup-name acme)"
        ]
    return []


def option_problems(
    template: str,
    domain: str,
    location: str,
    admin_cidrs: list[str],
    scaleway_project_id: str | None,
) -> list[str]:
    """Everything wrong with the other options, each naming its flag and the fix."""
    problems = []
    if template not in TEMPLATES:
        problems.append(f"--from '{template}' is not a template: use dev or prod")
    if problem := domain_problem(domain):
        problems.append(f"--domain {problem}")
    if problem := location_problem(location):
        problems.append(f"--location {problem}")
    _, cidr_issues = cidr_problems(admin_cidrs)
    problems += [f"--admin-cidr {message}" for _, message in cidr_issues]
    if scaleway_project_id is not None:
        if template == "dev":
            problems.append(
                "--scaleway-project-id is for --from prod (dev has no registry or "
                "e-mail): leave it out"
            )
        elif problem := project_id_problem(scaleway_project_id):
            problems.append(f"--scaleway-project-id {problem}")
    return problems


def has_default_ssh_key() -> bool:
    """True when one of the key files ssh-keygen makes by default exists."""
    return any(Path(name).expanduser().is_file() for name in DEFAULT_SSH_KEYS)


def read_ssh_key(path: Path | None) -> str:
    """The one public key line of `path`, or of the user's usual key file.

    Without `path`, the first of ~/.ssh/id_ed25519.pub, id_ecdsa.pub and id_rsa.pub
    that exists. Never echoes the file: someone may pass their private key by mistake.
    """
    make_one = "make one with `ssh-keygen -t ed25519`"
    if path is None:
        found = [
            Path(name).expanduser()
            for name in DEFAULT_SSH_KEYS
            if Path(name).expanduser().is_file()
        ]
        if not found:
            raise SouverainError(
                f"no --ssh-key was given, and none of {', '.join(DEFAULT_SSH_KEYS)} "
                "exists: pass your public key file (--ssh-key ~/.ssh/<key>.pub), or "
                f"{make_one}"
            )
        path = found[0]
        flag = f"{path} (no --ssh-key was given)"
    else:
        flag = f"--ssh-key {path}"
    if not path.is_file():
        raise SouverainError(
            f"{flag} does not exist: pass your public key file (--ssh-key "
            f"~/.ssh/<key>.pub), or {make_one}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise SouverainError(
            f"{flag} cannot be read as text: pass the .pub file of your key"
        ) from None
    if "PRIVATE KEY" in text:
        raise SouverainError(
            f"{flag} is a private key, which must never leave your machine: pass its "
            f"public half, {path.name}.pub"
        )
    lines = [line.strip() for line in text.splitlines()]
    keys = [line for line in lines if line and not line.startswith("#")]
    if len(keys) != 1:
        raise SouverainError(
            f"{flag} holds {len(keys)} key lines: pass a .pub file with exactly one, "
            f"or {make_one}"
        )
    problems = ssh_key_problems({"admin": keys[0]})
    if problems:
        raise SouverainError(f"{flag} {problems[0][1]}")
    return keys[0]


def render_stack_file(request: StackRequest) -> str:
    """The stack file's text: the same request always gives the same bytes."""
    template = _TEMPLATES.get_template(f"stack-{request.template}.yaml.j2")
    return template.render(
        stack=request.stack,
        startup_name=request.startup_name,
        domain=request.domain,
        location=request.location,
        ssh_key=request.ssh_key,
        admin_cidrs=list(request.admin_cidrs),
        closed_range=CLOSED_RANGE,
        scaleway_project_id=request.scaleway_project_id,
    )


def check_stack_file(project: Project, stack: str, text: str) -> list[str]:
    """Check `text` as `souverain plan` would read it as stack `stack`.

    Returns the credentials the switched-on parts still need, which the check stands
    in for as the plan does: they are set with `pulumi config set --secret`, never
    written by this command.
    """
    shown_as = str(project.stack_file(stack).relative_to(project.root))
    config, secret_keys = engine_config(project, parse_yaml(text, shown_as), shown_as)
    prefix = f"{NAMESPACE}:"
    raw = {k.removeprefix(prefix): v for k, v in config.items() if k.startswith(prefix)}
    secret = {k.removeprefix(prefix) for k in secret_keys if k.startswith(prefix)}
    missing = [key for _, key in missing_secret_settings(raw)]
    for key in missing:
        raw[key] = SECRET_PLACEHOLDER
        secret.add(key)
    try:
        parse_stack_config(raw, stack_file=shown_as, secret_keys=secret)
    except ConfigError as err:
        # The file does not exist yet, so "fix the stack file" would mislead.
        lines = "\n".join(f"  - {problem}" for problem in err.problems)
        raise SouverainError(
            f"the {shown_as} these options make would fail the stack checks, so "
            f"nothing was written:\n{lines}"
        ) from None
    return missing


def existing_file_problem(project: Project, stack: str) -> str | None:
    """The refusal for a stack whose file is already there, if it is."""
    path = project.stack_file(stack)
    if not path.exists():
        return None
    return (
        f"{path.relative_to(project.root)} already exists, so nothing was written: "
        f"choose another stack name, or edit that file and check it with "
        f"`souverain plan --stack {stack}`"
    )


def write_stack_file(project: Project, stack: str, text: str) -> Path:
    """Create the stack's file with `text`; an existing file is refused, untouched."""
    path = project.stack_file(stack)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # "x" creates or fails in one step, so a file made meanwhile is not replaced.
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise SouverainError(existing_file_problem(project, stack)) from None
    return path
