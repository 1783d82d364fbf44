"""The command line as a user meets it: exit codes, what is printed, what is not."""

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from souverain.cli import app
from souverain.console import EXIT_CONFIG_ERROR, EXIT_USER_ERROR
from tests.souverain.test_plan import make_project

REPO = Path(__file__).resolve().parents[2]
DEV = (REPO / "stacks" / "Pulumi.dev.yaml").read_text()
runner = CliRunner()


def souverain(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Run the installed console script as a user would, in a fresh process."""
    script = Path(sys.executable).with_name("souverain")
    return subprocess.run(
        [str(script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_plan_prod_lists_the_resources_and_the_counts():
    result = runner.invoke(app, ["plan", "--stack", "prod"])

    assert result.exit_code == 0, result.output
    assert "hcloud:Server acme-workers-2  " in result.stdout
    assert "serverType=cx43" in result.stdout
    assert "hcloud:Network acme-network  ipRange=10.0.0.0/16" in result.stdout
    assert "rule {description: kubernetes-api, direction: in, port: 6443" in (
        result.stdout
    )
    assert result.stdout.endswith("22 resources to create (hcloud 17, souverain 5)\n")


def test_plan_json_is_written_and_byte_identical_across_runs(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"

    assert souverain("plan", "--stack", "prod", "--json", str(first)).returncode == 0
    assert souverain("plan", "--stack", "prod", "--json", str(second)).returncode == 0

    assert first.read_bytes() == second.read_bytes()
    document = json.loads(first.read_text())
    assert document["summary"] == {
        "by_provider": {"hcloud": 17, "souverain": 5},
        "total": 22,
    }


def test_location_outside_the_eu_exits_with_one_line_and_no_traceback(tmp_path):
    project = make_project(
        tmp_path, "us", DEV.replace("location: fsn1", "location: ash")
    )

    result = souverain("plan", "--stack", "us", "--project-dir", str(project))

    assert result.returncode == EXIT_CONFIG_ERROR
    assert "location 'ash' is outside the EU: use fsn1, hel1 or nbg1" in result.stderr
    assert "stacks/Pulumi.us.yaml" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


def test_retired_server_type_exits_non_zero_with_alternatives(tmp_path):
    project = make_project(
        tmp_path, "old", DEV.replace("serverType: cx23", "serverType: cx22")
    )

    result = souverain("plan", "--stack", "old", "--project-dir", str(project))

    assert result.returncode == EXIT_CONFIG_ERROR
    assert (
        "nodePools.main.serverType 'cx22' was retired in fsn1 on 2026-01-01: use "
        "cpx22, cx23, cpx12 or cpx32" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_unknown_stack_is_a_user_error():
    result = runner.invoke(app, ["plan", "--stack", "nope"])

    assert result.exit_code == EXIT_USER_ERROR
    assert "known stacks are dev, prod" in result.stderr


def test_secret_values_never_reach_the_output(tmp_path):
    stack = DEV + "  hcloud:token:\n    secure: v1:dG9rZW4tY2lwaGVydGV4dA==:AAAA\n"
    project = make_project(tmp_path, "sec", stack)

    result = souverain("plan", "--stack", "sec", "--project-dir", str(project))

    assert result.returncode == 0, result.stderr
    assert "dG9rZW4" not in result.stdout + result.stderr
