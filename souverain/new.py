"""The `souverain new` command: write a new stack's file, then say what is left."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from components.errors import SouverainError
from souverain.console import ProjectDirOption, reported_errors
from souverain.stack_files import find_project

if TYPE_CHECKING:
    from souverain import forking, ssh_keys

# As the README installs it; the pulumi commands find the venv through Pulumi.yaml.
SOUVERAIN = ".venv/bin/souverain"


def new(
    name: Annotated[
        str, typer.Argument(help="The new stack's name, e.g. acme or acme-dev.")
    ],
    domain: Annotated[str, typer.Option(help="The startup's domain, e.g. acme.eu.")],
    template: Annotated[
        str,
        typer.Option(
            "--from",
            help="dev (one server) or prod (five servers, buckets, CDN, registry, "
            "e-mail).",
        ),
    ] = "dev",
    location: Annotated[
        str, typer.Option(help="Hetzner location in the EU: fsn1, nbg1 or hel1.")
    ] = "fsn1",
    startup_name: Annotated[
        str | None,
        typer.Option(help="Prefix of every resource name (default: the stack name)."),
    ] = None,
    ssh_key: Annotated[
        Path | None,
        typer.Option(
            help="Your SSH public key file (default: ~/.ssh/id_ed25519.pub, "
            "id_ecdsa.pub or id_rsa.pub, the first that exists)."
        ),
    ] = None,
    admin_cidr: Annotated[
        list[str] | None,
        typer.Option(
            help="A range that may reach SSH and the Kubernetes API, e.g. "
            "203.0.113.7/32; repeat for more (default: none, so nobody can).",
        ),
    ] = None,
    scaleway_project_id: Annotated[
        str | None,
        typer.Option(
            help="With --from prod: the Scaleway project of the registry and e-mail "
            "(default: none, so both are off)."
        ),
    ] = None,
    project_dir: ProjectDirOption = None,
) -> None:
    """Write stacks/Pulumi.NAME.yaml from a template and list what is left to set."""
    # Imported here: the settings model and its rules cost the other commands a
    # quarter of a second at every start.
    from components.config_rules import cidr_problems
    from souverain import forking, ssh_keys

    with reported_errors():
        project = find_project(project_dir or Path.cwd())
        admin_cidrs = admin_cidr or []
        problems = forking.stack_name_problems(name, startup_name)
        if not problems:
            problems += [p for p in [forking.existing_file_problem(project, name)] if p]
        problems += forking.option_problems(
            template, domain, location, admin_cidrs, scaleway_project_id
        )
        made_key = None
        try:
            if ssh_key is None and not forking.has_default_ssh_key():
                # Made only for a stack that will be written, in memory until then.
                if not problems:
                    made_key = ssh_keys.key_for_new_stack(name)
                    key = made_key.public_line
            else:
                key = forking.read_ssh_key(ssh_key)
        except SouverainError as err:
            problems.append(str(err))
        if problems:
            raise SouverainError(_one_or_listed(problems))

        request = forking.StackRequest(
            stack=name,
            template=template,
            startup_name=startup_name or name,
            domain=domain,
            location=location,
            ssh_key=key,
            # As Hetzner stores them, so the first `pulumi up` shows no change.
            admin_cidrs=tuple(cidr_problems(admin_cidrs)[0]),
            scaleway_project_id=scaleway_project_id,
        )
        text = forking.render_stack_file(request)
        missing = forking.check_stack_file(project, name, text)
        if made_key is not None:
            ssh_keys.save_stack_key(made_key)
        path = forking.write_stack_file(project, name, text)
        shown = path.relative_to(project.root)
        typer.echo(next_steps(request, str(shown), missing, project.root))
        if made_key is not None:
            typer.echo(_key_note(made_key))


def _key_note(key: "ssh_keys.StackKey") -> str:
    """Where the stack's SSH key is, and how to use it."""
    made = "Made a new SSH key" if key.private_text else "Reused the SSH key"
    return (
        f"\n{made} for the servers, since ~/.ssh held none of the usual ones: "
        f"{key.path} (no passphrase; add one with `ssh-keygen -p -f {key.path}`). "
        f"Reach a server with `ssh -i {key.path} root@<address>`."
    )


def _one_or_listed(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    listed = "\n".join(f"  - {problem}" for problem in problems)
    return (
        f"{len(problems)} problems with the options, so nothing was written:\n{listed}"
    )


def _secret_command(key: str, stack: str) -> str:
    from components.config import NAMESPACE
    from souverain import forking

    full_key = key if ":" in key else f"{NAMESPACE}:{key}"
    where = forking.CREDENTIAL_SOURCES[key]
    return f"pulumi config set --secret {full_key} --stack {stack}  # {where}"


def next_steps(
    request: "forking.StackRequest", shown: str, missing: list[str], root: Path
) -> str:
    """What was written and every command still to run, in order; never a value."""
    from components.config import NAMESPACE
    from souverain import forking

    stack, set_ = request.stack, "pulumi config set"
    lines = [
        f"Wrote {shown} from the {request.template} template: startup "
        f"{request.startup_name}, domain {request.domain}, location "
        f"{request.location}. It passes the checks `souverain plan` makes.",
        "",
    ]
    if root.resolve() != Path.cwd().resolve():
        lines += [f"Run these in {root}.", ""]
    steps = [
        (
            "Check it offline, without any account:",
            [f"{SOUVERAIN} plan --stack {stack}"],
        ),
        (
            "Keep Pulumi's state in a bucket in Europe, once per startup "
            "(docs/state.md), and run the `pulumi login` command it prints:",
            [
                f"{SOUVERAIN} state bootstrap --location {request.location} "
                f"--bucket {request.startup_name}-pulumi-state"
            ],
        ),
        (
            "Create the stack there, its secrets encrypted with a passphrase:",
            [f"pulumi stack init {stack} --secrets-provider passphrase"],
        ),
        (
            "Set the credentials it needs; each command asks for the value, so it "
            "stays out of your shell history:",
            [_secret_command(key, stack) for key in ["hcloud:token", *missing]],
        ),
    ]
    if not request.admin_cidrs:
        steps.append(
            (
                "Name the ranges that may reach SSH and the Kubernetes API: `pulumi "
                f"up` must reach the API, and {forking.CLOSED_RANGE} reaches nothing:",
                [
                    f"pulumi config set --path '{NAMESPACE}:{setting}[0]' <cidr> "
                    f"--stack {stack}"
                    for setting in ("allowedKubeApiCidrs", "allowedSshCidrs")
                ],
            )
        )
    if request.template == "prod" and not request.scaleway_project_id:
        steps.append(
            (
                "Optionally, switch on Scaleway's registry and e-mail with the "
                "project's ID (Scaleway console > Project settings):",
                [
                    f"{set_} {NAMESPACE}:scalewayProjectId <id> --stack {stack}",
                    f"{set_} {NAMESPACE}:enableRegistry true --stack {stack}",
                    f"{set_} {NAMESPACE}:enableEmail true --stack {stack}",
                    _secret_command("scalewayAccessKey", stack),
                    _secret_command("scalewaySecretKey", stack),
                ],
            )
        )
    steps.append(("Deploy:", [f"pulumi up --stack {stack}"]))

    lines.append("Next:")
    for number, (what, commands) in enumerate(steps, start=1):
        lines.append(f"  {number}. {what}")
        lines += [f"       {command}" for command in commands]
    return "\n".join(lines)
