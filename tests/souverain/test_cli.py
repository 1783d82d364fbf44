"""The command line as a user meets it: exit codes, what is printed, what is not."""

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from souverain.cli import app
from souverain.console import EXIT_CONFIG_ERROR, EXIT_USER_ERROR
from souverain.stack_files import find_project
from tests.souverain.test_plan import make_project

REPO = Path(__file__).resolve().parents[2]
DEV = (REPO / "stacks" / "Pulumi.dev.yaml").read_text()
runner = CliRunner()


def souverain(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run the installed console script as a user would, in a fresh process."""
    script = Path(sys.executable).with_name("souverain")
    return subprocess.run(
        [str(script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def test_plan_prod_lists_the_resources_and_the_counts():
    result = runner.invoke(app, ["plan", "--stack", "prod"])

    assert result.exit_code == 0, result.output
    assert "hcloud:Server acme-workers-2  " in result.stdout
    assert "serverType=cx43" in result.stdout
    assert (
        "hcloud:Network acme-network  deleteProtection=true ipRange=10.0.0.0/16"
        in result.stdout
    )
    assert "rule {description: kubernetes-api, direction: in, port: 6443" in (
        result.stdout
    )
    assert result.stdout.endswith(
        "167 resources to create (bunny 27, hcloud 20, kubernetes 69, pulumi 2, "
        "random 13, s3 2, scaleway 5, souverain 15, tls 14)\n"
        "sovereignty: 167 resources, all in the EU (DE, FR, SI) — passed\n"
    )
    assert "pulumi:providers:scaleway acme-scaleway  accessKey=[secret]" in (
        result.stdout
    )
    # The cluster, then its add-ons in the order they are installed, Rancher last.
    order = [
        "souverain:kubernetes:K3sCluster acme",
        "souverain:kubernetes:ClusterAddons acme",
        "kubernetes:ClusterReady acme-api-ready",
        "kubernetes:Release acme-hcloud-ccm",
        "kubernetes:Release acme-cert-manager",
        "kubernetes:Release acme-traefik",
        "kubernetes:Release acme-rancher",
    ]
    positions = [result.stdout.index(f"─ {heading}") for heading in order]
    assert positions == sorted(positions), result.stdout
    assert "s3:Bucket acme-backups-bucket  access_key=[secret] bucket=acme-backups" in (
        result.stdout
    )
    assert (
        "warning: s3SecretKey is not set, so the plan stands in a placeholder; before "
        "`pulumi up`, run `pulumi config set --secret souverain:s3SecretKey <value> "
        "--stack prod` (enableBuckets needs it)"
    ) in result.stderr


def test_plan_json_is_written_and_byte_identical_across_runs(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"

    assert souverain("plan", "--stack", "prod", "--json", str(first)).returncode == 0
    assert souverain("plan", "--stack", "prod", "--json", str(second)).returncode == 0

    assert first.read_bytes() == second.read_bytes()
    document = json.loads(first.read_text())
    assert document["summary"] == {
        "by_provider": {
            "bunny": 27,
            "hcloud": 20,
            "kubernetes": 69,
            "pulumi": 2,
            "random": 13,
            "s3": 2,
            "scaleway": 5,
            "souverain": 15,
            "tls": 14,
        },
        "total": 167,
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
    known = ", ".join(find_project(REPO).stacks())

    result = runner.invoke(app, ["plan", "--stack", "nope"])

    assert result.exit_code == EXIT_USER_ERROR
    assert f"known stacks are {known}" in result.stderr


def test_encrypted_provider_token_plans_without_the_passphrase(tmp_path):
    stack = DEV + "  hcloud:token:\n    secure: v1:dG9rZW4tY2lwaGVydGV4dA==:AAAA\n"
    project = make_project(tmp_path, "sec", stack)
    env_without_passphrase = {"PULUMI_CONFIG_PASSPHRASE": ""}

    result = souverain(
        "plan",
        "--stack",
        "sec",
        "--project-dir",
        str(project),
        **env_without_passphrase,
    )

    assert result.returncode == 0, result.stderr
    assert "dG9rZW4" not in result.stdout + result.stderr


def test_encrypted_setting_that_is_no_secret_is_refused_without_echoing_it(tmp_path):
    stack = DEV.replace(
        "  souverain:location: fsn1\n",
        "  souverain:location: fsn1\n  souverain:image:\n"
        "    secure: v1:aW1hZ2UtY2lwaGVydGV4dA==:AAAA\n",
    )
    project = make_project(tmp_path, "enc", stack)

    result = souverain("plan", "--stack", "enc", "--project-dir", str(project))

    assert result.returncode == EXIT_CONFIG_ERROR
    assert "image is stored encrypted, but it is not a secret" in result.stderr
    assert "aW1hZ2U" not in result.stdout + result.stderr


def test_broken_yaml_names_the_line_and_column(tmp_path):
    project = make_project(tmp_path, "yaml", "config:\n  souverain:domain: [a\n")

    result = souverain("plan", "--stack", "yaml", "--project-dir", str(project))

    assert result.returncode == EXIT_CONFIG_ERROR
    assert "error: 1 configuration problem in stacks/Pulumi.yaml.yaml:" in (
        result.stderr
    )
    assert "  - line 3, column 1: " in result.stderr
    assert "expected ',' or ']'" in result.stderr  # libyaml says "did not find …"
    assert "Traceback" not in result.stderr


def test_unwritable_json_path_is_a_user_error_and_prints_no_plan(tmp_path):
    target = tmp_path / "missing-folder" / "plan.json"

    result = souverain("plan", "--stack", "dev", "--json", str(target))

    assert result.returncode == EXIT_USER_ERROR
    assert f"cannot write the plan to {target}: No such file or directory" in (
        result.stderr
    )
    assert result.stdout == ""


def test_project_dir_that_does_not_exist_is_named(tmp_path):
    missing = tmp_path / "nowhere"

    result = runner.invoke(app, ["plan", "--project-dir", str(missing)])

    assert result.exit_code == EXIT_USER_ERROR
    assert f"{missing} is not a folder: pass a souverain checkout" in result.stderr


def test_another_checkout_with_its_own_components_is_refused(tmp_path):
    project = make_project(tmp_path, "dev", DEV)
    (project / "components").mkdir()
    (project / "components" / "__init__.py").write_text("")

    result = runner.invoke(app, ["plan", "--project-dir", str(project)])

    assert result.exit_code == EXIT_USER_ERROR
    assert f"this souverain is installed from {REPO}, not {project}" in result.stderr


def test_a_pool_too_small_for_the_tools_exits_with_the_shortfall(tmp_path):
    prod = (REPO / "stacks" / "Pulumi.prod.yaml").read_text()
    small = prod.replace(
        "serverType: cx43\n      count: 2", "serverType: cx23\n      count: 1"
    )
    assert small != prod
    project = make_project(tmp_path, "small", small)

    result = souverain("plan", "--stack", "small", "--project-dir", str(project))

    assert result.returncode == EXIT_CONFIG_ERROR
    assert (
        "apps need 4.65 CPU and 10.2 GiB (the tools 3.2 CPU and 6.1 GiB, the add-ons "
        "1.45 CPU and 4.1 GiB), but the workers pool offers 1.75 CPU and 3.0 GiB: "
        "grow workers to 4 servers or use cx43"
    ) in " ".join(result.stderr.split())
    assert "stacks/Pulumi.small.yaml" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
