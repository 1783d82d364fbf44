"""What `souverain plan --compare BASE` compares with: a plan file or a git ref.

A plan file is the JSON `souverain plan --json` writes, read back into a `Plan` with
every secret redacted on the way in. A git ref names the stack file as it was at that
commit; it is planned with this checkout's code, so the comparison shows what the
configuration change does. To see what a code change does, plan the base's checkout
with `--json` and compare with that file.
"""

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.errors import ConfigError, SouverainError
from souverain.diff import redact_inputs
from souverain.plan import Plan, PlannedResource, plan_stack
from souverain.stack_files import find_project

PLAN_FIX = "write one with `souverain plan --stack {stack} --json FILE`"


@dataclass(frozen=True)
class Baseline:
    """The plan to compare with, and one sentence saying where it comes from."""

    plan: Plan
    description: str


def load_baseline(
    base: str, stack: str, project_dir: Path | None, project: str | None = None
) -> Baseline:
    """The plan of `stack` in `base`: a plan file if one is there, else a git ref.

    `project`, when given, is the Pulumi project a plan file must be of.
    """
    path = Path(base)
    if path.is_file():
        plan = read_plan_file(path, stack, project)
        return Baseline(plan, f"Compared with the plan in `{path.name}`.")
    return plan_at_ref(base, stack, project_dir)


def read_plan_file(path: Path, stack: str, project: str | None = None) -> Plan:
    """A plan written by `souverain plan --json`, checked and with secrets hidden.

    `project`, when given, is the Pulumi project the plan must be of: another
    project's resources have other URNs, so every one would look new.
    """
    fix = PLAN_FIX.format(stack=stack)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise SouverainError(f"cannot read {path}: {err}; {fix}") from None
    except json.JSONDecodeError as err:
        raise SouverainError(
            f"{path} is not JSON ({err.msg}, line {err.lineno}); {fix}"
        ) from None
    if isinstance(document, dict) and "steps" in document:
        raise SouverainError(
            f"{path} is a `pulumi preview --json` document, not a plan: make its "
            f"report with `souverain comment {path}`"
        )
    if not isinstance(document, dict) or not isinstance(
        document.get("resources"), list
    ):
        raise SouverainError(f"{path} is not a plan: it has no 'resources' list; {fix}")
    if document.get("stack") != stack:
        raise SouverainError(
            f"{path} is a plan of the stack '{document.get('stack')}', not '{stack}': "
            f"compare plans of one stack, or {fix}"
        )
    if project is not None and document.get("project") != project:
        raise SouverainError(
            f"{path} is a plan of the project '{document.get('project')}', not "
            f"'{project}': compare plans of one project, or {fix}"
        )
    resources = [
        _planned(entry, index, path, fix)
        for index, entry in enumerate(document["resources"])
    ]
    return Plan(str(document.get("project")), stack, resources)


def _planned(entry: Any, index: int, path: Path, fix: str) -> PlannedResource:
    """One resource of a plan file; a missing or mistyped field is named."""
    expected = {"urn": str, "type": str, "name": str, "inputs": dict}
    for key, kind in expected.items():
        value = entry.get(key) if isinstance(entry, dict) else None
        if not isinstance(value, kind):
            raise SouverainError(
                f"{path}: resource {index} has no valid '{key}' field, so it is not "
                f"a plan souverain wrote; {fix}"
            )
    by_input = entry.get("property_dependencies") or {}
    return PlannedResource(
        urn=entry["urn"],
        type=entry["type"],
        name=entry["name"],
        parent=entry.get("parent"),
        custom=bool(entry.get("custom", True)),
        inputs=redact_inputs(entry["type"], entry["inputs"]),
        dependencies=tuple(entry.get("dependencies") or ()),
        ignore_changes=tuple(entry.get("ignore_changes") or ()),
        replace_on_changes=tuple(entry.get("replace_on_changes") or ()),
        property_dependencies=tuple(
            (key, tuple(urns)) for key, urns in sorted(by_input.items())
        ),
    )


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True
        )
    except FileNotFoundError:
        raise SouverainError(
            "git is not installed, so a git ref cannot be compared: install git, or "
            "compare with a plan file"
        ) from None


def plan_at_ref(ref: str, stack: str, project_dir: Path | None) -> Baseline:
    """Plan the stack file as it was at `ref`, with this checkout's program."""
    project = find_project(project_dir or Path.cwd())
    root = project.root
    stack_file = project.stack_file(stack)
    found = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if (ref.startswith("-") or found.returncode != 0) and Path(ref).is_dir():
        raise SouverainError(
            f"--compare {ref} is a directory, not a plan file: give the plan file "
            f"in it, or write one from that checkout with `souverain plan --stack "
            f"{stack} --project-dir {ref} --json base.json` and pass --compare "
            "base.json"
        )
    if ref.startswith("-") or found.returncode != 0:
        raise SouverainError(
            f"--compare {ref}: no such file, and not a commit, branch or tag of a git "
            f"repository at {root}: give a plan file written by `souverain plan "
            f"--stack {stack} --json FILE`, or a git ref such as main or HEAD~1"
        )
    relative = stack_file.relative_to(root).as_posix()
    # ./ makes the path relative to the project, wherever it sits in the repository.
    shown = _git(root, "show", f"{found.stdout.strip()}:./{relative}")
    if shown.returncode != 0:
        empty = Plan(project.name, stack, [])
        return Baseline(
            empty,
            f"Compared with git ref `{ref}`, which has no stack file "
            f"`{stack_file.name}`: everything in the stack is new.",
        )
    with tempfile.TemporaryDirectory(prefix="souverain-base-") as scratch:
        copy = _project_copy(project.root, Path(scratch), stack_file, shown.stdout)
        try:
            plan = plan_stack(stack, copy)
        except ConfigError as err:
            raise SouverainError(
                f"the stack file at {ref} does not plan with this checkout's code "
                f"({'; '.join(err.problems)}): plan that commit's checkout with "
                "`souverain plan --json FILE` and compare with the file"
            ) from None
    return Baseline(
        plan,
        f"Compared with `{stack_file.name}` at git ref `{ref}`, planned with this "
        "checkout's code: the changes come from the stack's configuration.",
    )


def _project_copy(root: Path, scratch: Path, stack_file: Path, text: str) -> Path:
    """A project folder with this checkout's program and the old stack file."""
    shutil.copy(root / "Pulumi.yaml", scratch / "Pulumi.yaml")
    shutil.copy(root / "__main__.py", scratch / "__main__.py")
    target = scratch / stack_file.relative_to(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return scratch
