"""`souverain comment` on a real `pulumi preview --json`, written by the real engine.

The stack is deployed against the fakes, the workers pool gets one more server and a
label, and the engine's own preview document becomes the pull-request report: exactly
one server to create, the label's path and values on the two resources that carry
it, the exact monthly difference, and none of the stack's credentials.
"""

import json
import os
from pathlib import Path

import pytest
from pulumi.automation import _stack as automation_stack
from typer.testing import CliRunner

from souverain.cli import app
from tests.e2e.conftest import HCLOUD_TOKEN, Cloud
from tests.e2e.test_pulumi_up import edit_settings, open_stack, timed

REPO = Path(__file__).resolve().parents[2]
# Set to a path to keep the engine's document, e.g. to refresh the unit tests'
# fixture tests/souverain/fixtures/preview-e2e-worker.json.
KEEP_PREVIEW = os.environ.get("SOUVERAIN_KEEP_PREVIEW")


@pytest.fixture
def show_sames(monkeypatch) -> None:
    """Add --show-sames to the Automation API's preview, which has no such option.

    Without it the engine's document leaves out the unchanged resources, and the
    report cannot total the stack's cost.
    """
    parse = automation_stack._parse_extra_args
    monkeypatch.setattr(
        automation_stack,
        "_parse_extra_args",
        lambda **kwargs: [*parse(**kwargs), "--show-sames"],
    )


@pytest.mark.usefixtures("show_sames")
def test_comment_reports_the_real_engines_preview_of_one_more_worker(
    workspace: Path, tools: Path, cloud: Cloud, dynamic_provider_host: Path, tmp_path
):
    stack = open_stack(workspace, tools, cloud, dynamic_provider_host)
    timed("pulumi up", lambda: stack.up())
    edit_settings(
        workspace,
        lambda config: config["souverain:nodePools"]["workers"].update(
            count=2, labels={"tier": "apps"}
        ),
    )

    preview = timed("pulumi preview --json", lambda: stack.preview(json=True))
    document = tmp_path / "preview.json"
    document.write_text(preview.stdout)
    if KEEP_PREVIEW:
        Path(KEEP_PREVIEW).write_text(preview.stdout)
    report = tmp_path / "report.md"
    result = timed(
        "souverain comment",
        lambda: CliRunner().invoke(
            app,
            ["comment", str(document), "--stack", "e2e", "--output", str(report)],
        ),
    )
    timed("pulumi destroy", lambda: stack.destroy())

    assert result.exit_code == 0, result.output
    assert json.loads(preview.stdout)["changeSummary"] == {
        "create": 1,
        "same": 37,
        "update": 2,
    }
    assert result.stdout.splitlines()[:5] == [
        "e2e: +1 to create, ~2 to update, ±0 to replace, -0 to delete (36 unchanged)",
        "  + hcloud:Server acme-workers-2",
        "  ~ hcloud:PlacementGroup acme-workers-spread-1",
        "  ~ hcloud:Server acme-workers-1",
        # One cx23 in fsn1 (2.99) and the IPv4 Hetzner gives it (0.50).
        # 19.17 net is what `souverain cost` gives the same settings offline;
        # VAT rounds to the cent on each side: 3.64 and 4.31.
        "monthly cost: 19.17 → 22.66 EUR net (+3.49), 22.81 → 26.97 EUR gross (+4.16)",
    ]
    markdown = report.read_text()
    assert markdown.startswith(
        "<!-- souverain:preview stack=e2e -->\n## Changes to `e2e`\n"
    )
    assert (
        "### To create (1)\n\n| type | name |\n| --- | --- |\n"
        "| `hcloud:Server` | `acme-workers-2` |\n"
    ) in markdown
    assert (
        "| `hcloud:PlacementGroup` | `acme-workers-spread-1` | `labels.tier`: "
        "`(none)` → `apps` |\n"
        "| `hcloud:Server` | `acme-workers-1` | `labels.tier`: `(none)` → `apps` |\n"
    ) in markdown
    assert (
        "| line item that changes | before | after | difference |\n"
        "| --- | ---: | ---: | ---: |\n"
        "| primary IPv4 in fsn1 | 2 × 0.50 = 1.00 | 3 × 0.50 = 1.50 | +0.50 |\n"
        "| server cx23 in fsn1 | 2 × 2.99 = 5.98 | 3 × 2.99 = 8.97 | +2.99 |\n"
    ) in markdown
    for secret in (
        HCLOUD_TOKEN,
        cloud.s3.secret_key,
        cloud.s3.access_key,
        cloud.bunny.access_key,
    ):
        assert secret not in preview.stdout
        assert secret not in markdown
