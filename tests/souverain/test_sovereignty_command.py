"""The sovereignty verdict in `souverain plan`, and `souverain sovereignty` itself."""

from pathlib import Path

import yaml
from typer.testing import CliRunner

from souverain.cli import app
from souverain.console import EXIT_POLICY_VIOLATION
from tests.souverain.test_plan import make_project

REPO = Path(__file__).resolve().parents[2]
DEV = yaml.safe_load((REPO / "stacks" / "Pulumi.dev.yaml").read_text())
runner = CliRunner()


def project_with(tmp_path: Path, stack: str, **settings) -> Path:
    """A project holding the dev stack's settings under `stack`, with `settings`."""
    config = {**DEV["config"], **{f"souverain:{k}": v for k, v in settings.items()}}
    return make_project(tmp_path, stack, yaml.safe_dump({"config": config}))


def test_a_production_stack_without_protection_fails_the_plan(tmp_path):
    project = project_with(tmp_path, "prod", deletionProtection=False)

    result = runner.invoke(
        app, ["plan", "--stack", "prod", "--project-dir", str(project)]
    )

    assert result.exit_code == EXIT_POLICY_VIOLATION, result.output
    fix = (
        "off in the production stack 'prod'; set souverain:deletionProtection to "
        "true, or set {} on a resource you declare yourself"
    )
    assert result.stdout.endswith(
        "sovereignty: 4 violations — failed\n"
        "  - [deletion-protection-in-prod] acme-dev-lb: deleteProtection is "
        + fix.format("it")
        + "\n  - [deletion-protection-in-prod] acme-dev-main-1: deleteProtection and "
        "rebuildProtection are " + fix.format("them") + "\n"
        "  - [deletion-protection-in-prod] acme-dev-main-1-ipv4: deleteProtection is "
        + fix.format("it")
        + "\n  - [deletion-protection-in-prod] acme-dev-network: deleteProtection is "
        + fix.format("it")
        + "\n"
    )
    # The tree comes first, whole: the verdict does not replace the plan.
    assert "hcloud:Server acme-dev-main-1  " in result.stdout
    assert "Traceback" not in result.output


def test_forced_bucket_deletion_in_production_fails_and_a_marked_public_bucket_not(
    tmp_path,
):
    project = project_with(
        tmp_path,
        "prod",
        enableBuckets=True,
        assetsPublicRead=True,
        bucketsForceDestroy=True,
    )

    result = runner.invoke(
        app, ["plan", "--stack", "prod", "--project-dir", str(project)]
    )

    assert result.exit_code == EXIT_POLICY_VIOLATION, result.output
    violations = [
        line for line in result.stdout.splitlines() if line.startswith("  - [")
    ]
    assert violations == [
        f"  - [deletion-protection-in-prod] acme-dev-{name}-bucket: force_destroy is "
        "on in the production stack 'prod', so `pulumi destroy` would delete every "
        "object; set souverain:bucketsForceDestroy to false"
        for name in ("assets", "backups")
    ]


def test_a_fresh_checkout_plans_and_is_reminded_to_set_a_backend(tmp_path, monkeypatch):
    monkeypatch.delenv("PULUMI_BACKEND_URL")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "never-logged-in"))

    result = runner.invoke(app, ["plan", "--stack", "dev", "--project-dir", str(REPO)])

    assert result.exit_code == 0, result.output
    assert "sovereignty: 46 resources, all in the EU (DE) — passed\n" in result.stdout
    assert result.stderr.startswith(
        "warning: no state backend is set yet, and a bare `pulumi login` would keep "
        "the state in Pulumi Cloud, run by Pulumi Corporation under US law: before "
        "`pulumi up`, create an EU bucket with `souverain state bootstrap` and "
        "`pulumi login` to the s3:// URL it prints (docs/state.md), or set "
        "PULUMI_BACKEND_URL\n"
    )


def test_a_backend_in_pulumi_cloud_fails_the_plan(tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_BACKEND_URL", "https://api.pulumi.com")

    result = runner.invoke(app, ["plan", "--stack", "dev", "--project-dir", str(REPO)])

    assert result.exit_code == EXIT_POLICY_VIOLATION, result.output
    assert (
        "sovereignty: 1 violation — failed\n"
        "  - [state-backend-not-us-saas] state backend: 'https://api.pulumi.com' is "
        "Pulumi Cloud, run by Pulumi Corporation under US law; create an EU bucket "
        "with `souverain state bootstrap` and `pulumi login` to the s3:// URL it "
        "prints (docs/state.md)\n"
    ) in result.stdout


def test_sovereignty_lists_every_resource_with_its_holder_and_place():
    result = runner.invoke(app, ["sovereignty", "--stack", "dev"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["resource", "type", "held", "by", "data", "location"]
    assert len(lines) == 1 + 46 + 4  # header, rows, blank, backend, blank, verdict
    row = next(line for line in lines if line.startswith("acme-dev-main-1 "))
    assert row.split("  ")[-1] == "fsn1 (Falkenstein, DE)"
    assert "Hetzner Online GmbH (DE)" in row
    assert lines[-1] == "sovereignty: 46 resources, all in the EU (DE) — passed"


def test_sovereignty_writes_markdown_for_a_pull_request():
    result = runner.invoke(app, ["sovereignty", "--stack", "dev", "--markdown"])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "### Sovereignty of `dev`: passed\n\n46 resources, all in the EU (DE).\n"
    )
    assert "| `acme-dev-main-1` | `hcloud:Server` | fsn1 (Falkenstein, DE) |" in (
        result.stdout
    )


def test_sovereignty_exits_with_the_policy_code_when_a_rule_breaks(tmp_path):
    project = project_with(tmp_path, "acme-prod", deletionProtection=False)

    result = runner.invoke(
        app, ["sovereignty", "--stack", "acme-prod", "--project-dir", str(project)]
    )

    assert result.exit_code == EXIT_POLICY_VIOLATION, result.output
    assert result.stdout.splitlines()[-5] == "sovereignty: 4 violations — failed"
