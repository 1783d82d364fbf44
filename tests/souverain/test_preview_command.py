"""`souverain plan --compare`: against a plan file or a git ref, and bad bases."""

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from souverain.cli import app
from souverain.console import EXIT_POLICY_VIOLATION, EXIT_USER_ERROR
from tests.souverain.test_diff import PROD
from tests.souverain.test_plan import make_project

runner = CliRunner()
SUMMARY = (
    "prod: +1 to create, ~0 to update, ±0 to replace, -0 to delete (167 unchanged)\n"
    "  + hcloud:Server acme-workers-3\n"
    "monthly cost: 52.49 → 61.98 EUR net (+9.49), 62.46 → 73.76 EUR gross (+11.30)\n"
    "sovereignty: passed\n"
)


def git(folder: Path, *args: str) -> str:
    """Run git in `folder` as a scripted user, failing the test on an error."""
    return subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t.eu"]
        + list(args),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def project(tmp_path) -> Path:
    """A git repository holding the project with prod committed as it is."""
    folder = tmp_path / "repo"
    folder.mkdir()
    make_project(folder, "prod", PROD)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "prod as it is")
    return folder


def add_worker(project: Path) -> None:
    """Edit the stack file in the working tree: a third worker."""
    stack_file = project / "stacks" / "Pulumi.prod.yaml"
    stack_file.write_text(PROD.replace("      count: 2\n", "      count: 3\n"))


def plan(project: Path, *args: str):
    return runner.invoke(
        app, ["plan", "--stack", "prod", "--project-dir", str(project), *args]
    )


def test_compare_with_a_plan_file_prints_the_markdown_report(project, tmp_path):
    base = tmp_path / "base.json"
    assert plan(project, "--json", str(base)).exit_code == 0
    add_worker(project)

    result = plan(project, "--compare", str(base))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "<!-- souverain:preview stack=prod -->\n## Changes to `prod`\n\n"
        "Compared with the plan in `base.json`.\n\n"
        "**+1 to create, ~0 to update, ±0 to replace, -0 to delete** "
        "(167 unchanged)\n"
    )
    assert "| `hcloud:Server` | `acme-workers-3` |\n" in result.stdout
    assert "| net | 52.49 | 61.98 | +9.49 |\n" in result.stdout
    # The report stands in for the tree.
    assert "hcloud:Network acme-network" not in result.stdout


def test_compare_with_the_file_json_overwrites_reads_the_old_plan_first(
    project, tmp_path
):
    # `--json same.json --compare same.json`: the base is the file's old content.
    same = tmp_path / "same.json"
    assert plan(project, "--json", str(same)).exit_code == 0
    add_worker(project)

    result = plan(project, "--json", str(same), "--compare", str(same))

    assert result.exit_code == 0, result.output
    assert "**+1 to create, ~0 to update, ±0 to replace, -0 to delete** " in (
        result.stdout
    )
    assert "| `hcloud:Server` | `acme-workers-3` |\n" in result.stdout
    # And the file now holds the new plan, for the next comparison.
    written = json.loads(same.read_text())
    assert sum(r["name"] == "acme-workers-3" for r in written["resources"]) == 1


def test_compare_with_a_git_ref_plans_the_stack_file_committed_there(project):
    add_worker(project)
    report = project / "report.md"

    result = plan(project, "--compare", "HEAD", "--report", str(report))

    assert result.exit_code == 0, result.output
    assert result.stdout == SUMMARY
    assert (
        "Compared with `Pulumi.prod.yaml` at git ref `HEAD`, planned with this "
        "checkout's code: the changes come from the stack's configuration.\n"
    ) in report.read_text()


def test_a_ref_without_the_stack_file_makes_everything_new(project):
    git(project, "rm", "-q", "stacks/Pulumi.prod.yaml")
    git(project, "commit", "-q", "-m", "no prod yet")
    git(project, "checkout", "-q", "HEAD~1", "--", "stacks/Pulumi.prod.yaml")

    result = plan(project, "--compare", "main")

    assert result.exit_code == 0, result.output
    assert "**+167 to create, ~0 to update, ±0 to replace, -0 to delete** " in (
        result.stdout
    )
    assert "which has no stack file `Pulumi.prod.yaml`: everything in the stack " in (
        result.stdout
    )
    assert "| net | 0.00 | 52.49 | +52.49 |\n" in result.stdout


def one_line_error(result, message: str) -> None:
    assert result.exit_code == EXIT_USER_ERROR, result.output
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("error:") == 1
    assert "Traceback" not in result.stderr


def test_a_base_that_is_neither_a_file_nor_a_ref_is_refused_with_both_fixes(project):
    result = plan(project, "--compare", "no-such-thing")

    one_line_error(
        result,
        f"--compare no-such-thing: no such file, and not a commit, branch or tag of "
        f"a git repository at {project}: give a plan file written by `souverain "
        "plan --stack prod --json FILE`, or a git ref such as main or HEAD~1\n",
    )


def test_a_directory_as_base_is_named_a_directory_with_the_file_to_pass(
    project, tmp_path
):
    folder = tmp_path / "adir"
    folder.mkdir()

    result = plan(project, "--compare", str(folder))

    one_line_error(
        result,
        f"--compare {folder} is a directory, not a plan file: give the plan file in "
        "it, or write one from that checkout with `souverain plan --stack prod "
        f"--project-dir {folder} --json base.json` and pass --compare base.json\n",
    )


def test_a_directory_named_like_a_branch_is_still_the_branch(project, monkeypatch):
    # A git ref wins over a folder of the same name in the current directory.
    add_worker(project)
    monkeypatch.chdir(project)
    (project / "main").mkdir()

    result = plan(project, "--compare", "main")

    assert result.exit_code == 0, result.output
    assert "Compared with `Pulumi.prod.yaml` at git ref `main`" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "is not a plan: it has no 'resources' list; write one with "),
        (
            json.dumps({"stack": "dev", "project": "souverain", "resources": []}),
            "is a plan of the stack 'dev', not 'prod': compare plans of one stack",
        ),
        (
            json.dumps({"stack": "prod", "project": "shop", "resources": []}),
            "is a plan of the project 'shop', not 'souverain': compare plans of one "
            "project",
        ),
        (
            json.dumps(
                {"stack": "prod", "project": "souverain", "resources": [{"urn": "u"}]}
            ),
            "resource 0 has no valid 'type' field, so it is not a plan souverain wrote",
        ),
        (
            json.dumps({"steps": []}),
            "is a `pulumi preview --json` document, not a plan: make its report "
            "with `souverain comment",
        ),
        ("{", "is not JSON (Expecting property name enclosed in double quotes, "),
    ],
)
def test_a_file_that_is_not_a_plan_of_the_stack_is_refused(
    project, tmp_path, content, message
):
    base = tmp_path / "base.json"
    base.write_text(content)

    result = plan(project, "--compare", str(base))

    assert result.exit_code == EXIT_USER_ERROR, result.output
    assert f"error: {base} " in result.stderr or f"error: {base}:" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_report_file_without_a_base_asks_for_one(project, tmp_path):
    result = plan(project, "--report", str(tmp_path / "r.md"))

    one_line_error(
        result,
        f"--report {tmp_path / 'r.md'} needs something to compare with: add "
        "--compare with a plan file or a git ref, e.g. --compare main\n",
    )


def test_a_report_that_cannot_be_written_says_where_to_write_instead(project):
    result = plan(project, "--compare", "HEAD", "--report", "/no/such/dir/r.md")

    one_line_error(
        result,
        "cannot write the report to /no/such/dir/r.md: No such file or directory; "
        "choose a path in a folder that exists and that you can write to\n",
    )


def test_a_change_that_breaks_a_rule_is_reported_then_exits_4(project):
    stack_file = project / "stacks" / "Pulumi.prod.yaml"
    stack_file.write_text(PROD + "  souverain:deletionProtection: false\n")

    result = plan(project, "--compare", "HEAD", "--report", str(project / "r.md"))

    assert result.exit_code == EXIT_POLICY_VIOLATION, result.output
    assert result.stdout.endswith("sovereignty: failed\n")
    assert "### Sovereignty of `prod`: failed\n" in (project / "r.md").read_text()
