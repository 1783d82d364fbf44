"""`souverain ci init`: the CI workflow of a stack, for GitHub, Forgejo or GitLab.

Each template previews the stack on a pull request (one comment, kept up to date by
`souverain post-comment`) and runs `pulumi up` on main after a person approves. The
command writes the template where the forge reads it, never over an existing file,
then lists the secrets and settings the forge needs; docs/ci.md says why each is
there.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from components.errors import SouverainError
from souverain.console import ProjectDirOption, reported_errors
from souverain.forge_targets import forge_problem
from souverain.stack_files import STACK_NAME_RE, find_project

TEMPLATES = Path(__file__).parent / "templates" / "ci"
# The release the e2e suite builds (tests/e2e/tools.sh), so CI runs the engine the
# tests ran; docs/state.md needs 3.245 or later.
PULUMI_CLI_VERSION = "3.274.0"
STATE_SECRETS = [
    "AWS_ACCESS_KEY_ID: the access key of the state bucket (docs/state.md)",
    "AWS_SECRET_ACCESS_KEY: its secret key",
    "PULUMI_CONFIG_PASSPHRASE: the passphrase of the stack's secrets",
]
STATE_URL = (
    "SOUVERAIN_STATE_URL: the s3:// URL `souverain state bootstrap` printed, "
    "without the quotes"
)


@dataclass(frozen=True)
class ForgeCi:
    """Where a forge reads its CI file, and what a user sets up beside it."""

    template: str
    path: str
    """Where the forge reads the workflow, from the repository's root."""
    setup: list[str]
    """What to set in the forge's settings, one line each; {stack} is the stack."""


FORGE_CI = {
    "github": ForgeCi(
        template="github.yml",
        path=".github/workflows/souverain.yml",
        setup=[
            "In GitHub, Settings > Secrets and variables > Actions:",
            *[f"  secret {line}" for line in STATE_SECRETS],
            f"  variable {STATE_URL}",
            "In Settings > Environments, create the environment '{stack}': add "
            "required reviewers (pulumi up waits for one of them) and limit its "
            "deployment branches to main.",
            "GitHub gives the job its GITHUB_TOKEN; pull requests from forks get no "
            "preview and no secret.",
        ],
    ),
    "forgejo": ForgeCi(
        template="forgejo.yml",
        path=".forgejo/workflows/souverain.yml",
        setup=[
            "In Forgejo (Codeberg too), enable Actions in the repository's Settings, "
            "then in Settings > Actions > Secrets:",
            *[f"  {line}" for line in STATE_SECRETS],
            "and in Settings > Actions > Variables:",
            f"  {STATE_URL}",
            "  SOUVERAIN_RUNNER (optional): a runner label, if no runner has `docker`",
            "Forgejo has no required reviewers: run pulumi up from the Actions tab, "
            "workflow souverain, branch main, typing '{stack}'. Anyone with write "
            "access can; docs/ci.md has the trade-off.",
            "Forgejo gives the job its token; pull requests from forks get no "
            "preview and no secret.",
        ],
    ),
    "gitlab": ForgeCi(
        template="gitlab.yml",
        path=".gitlab-ci.yml",
        setup=[
            "In GitLab, Settings > CI/CD > Variables, add each as Masked (not "
            "Protected: merge request pipelines never get protected variables):",
            *[f"  {line}" for line in STATE_SECRETS],
            f"  {STATE_URL} (visible)",
            "  GITLAB_TOKEN: a project access token (Settings > Access tokens, role "
            "Reporter, scope api) that writes the preview note",
            "In Settings > CI/CD > Protected environments, protect '{stack}' to "
            "choose who may start pulumi up and who must approve it (GitLab "
            "Premium); otherwise anyone who may merge into main can start it.",
            "Merge requests from forks get no preview and none of these variables.",
        ],
    ),
}


def stack_problem(stack: str) -> str | None:
    """Why `stack` cannot be written into a workflow, if it cannot."""
    if STACK_NAME_RE.match(stack):
        return None
    return (
        f"stack name '{stack}' is not usable: use 1 to 100 letters, digits, '-', "
        "'_' and '.', e.g. prod"
    )


def render_workflow(forge: str, stack: str) -> str:
    """The forge's workflow for `stack`, ready to commit."""
    template = (TEMPLATES / FORGE_CI[forge].template).read_text(encoding="utf-8")
    return template.replace("__STACK__", stack).replace(
        "__PULUMI_VERSION__", PULUMI_CLI_VERSION
    )


def write_workflow(path: Path, text: str) -> None:
    """Create `path` with `text`; an existing file is the user's and stays as is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Mode "x" creates or fails in one step: no window to overwrite a file
        # that appears between a check and the write.
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise SouverainError(
            f"{path} already exists, so nothing was written: move it away first, or "
            "write the template elsewhere with --output and merge the two by hand"
        ) from None
    except OSError as err:
        raise SouverainError(
            f"cannot write {path}: {err.strerror or err}; choose another --output"
        ) from None


ci_app = typer.Typer(
    help="CI that previews each pull request and deploys main after approval.",
    no_args_is_help=True,
)


@ci_app.command()
def init(
    forge: Annotated[str, typer.Option(help="github, forgejo or gitlab.")],
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="The stack CI previews and deploys.")
    ] = "prod",
    output: Annotated[
        Path | None,
        typer.Option(help="Write here instead of where the forge reads it."),
    ] = None,
    project_dir: ProjectDirOption = None,
) -> None:
    """Write the forge's CI workflow for a stack and list what to set up beside it."""
    with reported_errors():
        if forge not in FORGE_CI:
            raise SouverainError(forge_problem(forge))
        problem = stack_problem(stack)
        if problem:
            raise SouverainError(problem)
        project = find_project(project_dir or Path.cwd())
        if stack not in project.stacks():
            raise SouverainError(
                f"stack '{stack}' has no file {project.stack_file(stack).name} in "
                f"{project.stack_config_dir}: make it with `souverain new {stack} "
                "--domain …` first, or pass --stack with one of "
                f"{', '.join(project.stacks()) or 'none yet'}"
            )

        ci = FORGE_CI[forge]
        path = output or project.root / ci.path
        write_workflow(path, render_workflow(forge, stack))

        shown = (
            path.relative_to(project.root)
            if path.is_relative_to(project.root)
            else path
        )
        lines = [f"Wrote {shown} for the stack {stack}. Commit it, then:", ""]
        lines += [line.format(stack=stack) for line in ci.setup]
        lines += ["", "docs/ci.md explains each setting and the rule for forks."]
        typer.echo("\n".join(lines))
