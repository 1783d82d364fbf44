"""`souverain ci init`: the workflow where the forge reads it, never over a file.

It also prints what to set in the forge's settings; the tests hold each forge's
page names and approval steps to what docs/ci.md describes.
"""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from souverain.ci import render_workflow
from souverain.cli import app
from souverain.console import EXIT_USER_ERROR

REPO = Path(__file__).resolve().parents[2]
FORGES = ["github", "forgejo", "gitlab"]
runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A checkout with the project file and the stacks dev and prod."""
    (tmp_path / "Pulumi.yaml").write_text((REPO / "Pulumi.yaml").read_text())
    (tmp_path / "stacks").mkdir()
    for stack in ("dev", "prod"):
        (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    return tmp_path


def ci_init(project: Path, *args: str):
    return runner.invoke(app, ["ci", "init", *args, "--project-dir", str(project)])


@pytest.mark.parametrize(
    ("forge", "path"),
    [
        ("github", ".github/workflows/souverain.yml"),
        ("forgejo", ".forgejo/workflows/souverain.yml"),
        ("gitlab", ".gitlab-ci.yml"),
    ],
)
def test_ci_init_writes_the_template_where_the_forge_reads_it(forge, path, project):
    result = ci_init(project, "--forge", forge, "--stack", "dev")

    assert result.exit_code == 0, result.stderr
    assert (project / path).read_text() == render_workflow(forge, "dev")
    assert result.stdout.startswith(
        f"Wrote {path} for the stack dev. Commit it, then:\n\n"
    )
    assert result.stdout.endswith(
        "\n\ndocs/ci.md explains each setting and the rule for forks.\n"
    )
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "SOUVERAIN_STATE_URL"):
        assert name in result.stdout
    assert "PULUMI_CONFIG_PASSPHRASE: the passphrase of the stack's secrets" in (
        result.stdout
    )


def test_ci_init_names_the_settings_page_and_the_approval_of_each_forge(project):
    outputs = {
        forge: ci_init(
            project, "--forge", forge, "--output", str(project / f"{forge}.yml")
        ).stdout
        for forge in FORGES
    }

    assert (
        "In GitHub, Settings > Secrets and variables > Actions:\n"
        in (outputs["github"])
    )
    assert (
        "In Settings > Environments, create the environment 'prod': add required "
        "reviewers (pulumi up waits for one of them) and limit its deployment "
        "branches to main.\n"
    ) in outputs["github"]
    assert "then in Settings > Actions > Secrets:\n" in outputs["forgejo"]
    assert "workflow souverain, branch main, typing 'prod'." in outputs["forgejo"]
    assert (
        "In GitLab, Settings > CI/CD > Variables, add each as Masked (not "
        "Protected: merge request pipelines never get protected variables):\n"
    ) in outputs["gitlab"]
    assert (
        "  GITLAB_TOKEN: a project access token (Settings > Access tokens"
        in (outputs["gitlab"])
    )


def test_ci_init_never_overwrites_a_workflow(project):
    existing = project / ".github" / "workflows" / "souverain.yml"
    existing.parent.mkdir(parents=True)
    existing.write_text("name: ours\n")

    result = ci_init(project, "--forge", "github")

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.splitlines() == [
        f"error: {existing} already exists, so nothing was written: move it away "
        "first, or write the template elsewhere with --output and merge the two by "
        "hand"
    ]
    assert existing.read_text() == "name: ours\n"
    assert result.stdout == ""


def test_ci_init_names_the_forges_it_knows(project):
    result = ci_init(project, "--forge", "gitea")

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.splitlines() == [
        "error: forge 'gitea' is not one souverain knows: use github, forgejo or "
        "gitlab (Codeberg runs Forgejo)"
    ]
    assert sorted(path.name for path in project.iterdir()) == ["Pulumi.yaml", "stacks"]


def test_ci_init_refuses_a_stack_without_a_file(project):
    result = ci_init(project, "--forge", "gitlab", "--stack", "acme")

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.splitlines() == [
        f"error: stack 'acme' has no file Pulumi.acme.yaml in {project / 'stacks'}: "
        "make it with `souverain new acme --domain …` first, or pass --stack with "
        "one of dev, prod"
    ]
    assert not (project / ".gitlab-ci.yml").exists()


def test_ci_init_refuses_a_stack_name_that_pulumi_refuses(project):
    result = ci_init(project, "--forge", "github", "--stack", "prod: true")

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.splitlines() == [
        "error: stack name 'prod: true' is not usable: use 1 to 100 letters, "
        "digits, '-', '_' and '.', e.g. prod"
    ]
    assert not (project / ".github").exists()
