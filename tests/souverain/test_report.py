"""The change report: known diffs rendered exactly, cost by hand, sovereignty wired."""

from decimal import Decimal
from pathlib import Path

import pytest

from souverain.diff import (
    REPLACE,
    SECRET,
    UPDATE,
    Diff,
    PropertyChange,
    ResourceChange,
    compare_plans,
)
from souverain.plan import Plan, PlannedResource, plan_stack
from souverain.prices import load_prices
from souverain.report import build_report, compare_costs, marker
from souverain.sovereignty import sovereignty_report
from souverain.stops import protected_stops
from tests.souverain.test_diff import PROD, REPO
from tests.souverain.test_plan import make_project

BASE = "Compared with the plan in `base.json`."
# The worker 2 -> 3 report, up to its sovereignty section. The cost by hand from
# souverain/prices.json: one cx43 in fsn1 (8.99) and the IPv4 Hetzner gives it
# (0.50) is 9.49 net; VAT at 19% rounds to the cent on each side, 52.49 -> 9.97 and
# 61.98 -> 11.78, so gross goes 62.46 -> 73.76, 11.30 more.
ONE_MORE_WORKER = """\
<!-- souverain:preview stack=prod -->
## Changes to `prod`

Compared with the plan in `base.json`.

**+1 to create, ~0 to update, ±0 to replace, -0 to delete** (167 unchanged)

### To create (1)

| type | name |
| --- | --- |
| `hcloud:Server` | `acme-workers-3` |

### Monthly cost

| EUR per month | before | after | difference |
| --- | ---: | ---: | ---: |
| net | 52.49 | 61.98 | +9.49 |
| VAT 19% | 9.97 | 11.78 | +1.81 |
| gross | 62.46 | 73.76 | +11.30 |

| line item that changes | before | after | difference |
| --- | ---: | ---: | ---: |
| primary IPv4 in fsn1 | 5 × 0.50 = 2.50 | 6 × 0.50 = 3.00 | +0.50 |
| server cx43 in fsn1 | 2 × 8.99 = 17.98 | 3 × 8.99 = 26.97 | +8.99 |

Both sides at the list prices in souverain/prices.json (as of 2025-10-16), \
usage-based items at `souverain cost`'s assumed use.

"""


def prod_with(tmp_path: Path, old: str, new: str) -> Plan:
    return plan_stack("prod", make_project(tmp_path, "prod", PROD.replace(old, new)))


@pytest.fixture
def one_more_worker(tmp_path) -> tuple[Plan, Plan]:
    return plan_stack("prod", REPO), prod_with(tmp_path, "count: 2\n", "count: 3\n")


def test_one_more_worker_reports_its_server_and_the_exact_monthly_difference(
    one_more_worker,
):
    before, after = one_more_worker

    report = build_report(compare_plans(before, after), before, after, BASE, REPO)

    sovereignty = sovereignty_report(after, project_dir=REPO).render_markdown()
    assert report.markdown == ONE_MORE_WORKER + sovereignty
    assert sovereignty.startswith("### Sovereignty of `prod`: passed\n")
    assert report.sovereign is True
    assert report.summary == (
        "prod: +1 to create, ~0 to update, ±0 to replace, -0 to delete "
        "(167 unchanged)\n"
        "  + hcloud:Server acme-workers-3\n"
        "monthly cost: 52.49 → 61.98 EUR net (+9.49), 62.46 → 73.76 EUR gross "
        "(+11.30)\n"
        "sovereignty: passed\n"
    )


def test_the_same_inputs_give_a_byte_identical_report(one_more_worker):
    before, after = one_more_worker
    diff = compare_plans(before, after)

    first = build_report(diff, before, after, BASE, REPO).markdown
    second = build_report(diff, before, after, BASE, REPO).markdown

    assert first.encode() == second.encode()
    assert first.splitlines()[0] == marker("prod")


def test_a_twenty_percent_vat_rate_reads_vat_20_percent(one_more_worker):
    # Not 2E+1%: the rate 0.20 normalises to an exponent. By hand, 20% of 52.49 is
    # 10.498 and of 61.98 is 12.396, rounded to the cent on each side.
    before, after = one_more_worker
    prices = load_prices()
    prices["vat"]["default_rate"] = "0.20"

    report = build_report(
        compare_plans(before, after), before, after, BASE, REPO, prices=prices
    )

    assert (
        "| net | 52.49 | 61.98 | +9.49 |\n"
        "| VAT 20% | 10.50 | 12.40 | +1.90 |\n"
        "| gross | 62.99 | 74.38 | +11.39 |\n"
    ) in report.markdown


def test_cost_lines_keep_only_the_items_that_change(one_more_worker):
    before, after = one_more_worker

    cost = compare_costs(before, after)

    assert [(line.item, line.difference) for line in cost.lines] == [
        ("primary IPv4 in fsn1", Decimal("0.50")),
        ("server cx43 in fsn1", Decimal("8.99")),
    ]
    assert (cost.net, cost.gross) == (Decimal("9.49"), Decimal("11.30"))


def server(location: str, **protection: bool) -> PlannedResource:
    return PlannedResource(
        urn="urn:pulumi:us::souverain::hcloud:index/server:Server::acme-1",
        type="hcloud:index/server:Server",
        name="acme-1",
        parent=None,
        custom=True,
        inputs={
            "location": location,
            "serverType": "cpx21",
            "name": "acme-1",
            **protection,
        },
        dependencies=(),
    )


def test_a_server_moved_outside_the_eu_fails_the_verdict_in_the_report():
    before = Plan("souverain", "us", [server("fsn1")])
    after = Plan("souverain", "us", [server("ash")])

    report = build_report(compare_plans(before, after), before, after, BASE, REPO)

    assert report.sovereign is False
    assert "### Sovereignty of `us`: failed\n" in report.markdown
    assert (
        "| `hcloud:Server` | `acme-1` | `location`: `fsn1` → `ash` (replaces) |\n"
    ) in report.markdown
    # Hetzner lists no price in Ashburn: the report says so instead of a total.
    assert "### Monthly cost\n\nThe cost cannot be estimated: " in report.markdown
    assert report.summary.endswith("sovereignty: failed\n")
    # Nothing protects that server: nothing stops `pulumi up`.
    assert "Will stop" not in report.markdown
    assert "will stop" not in report.summary


def test_secrets_show_as_changed_without_values_and_cells_stay_in_one_piece():
    change = ResourceChange(
        UPDATE,
        "urn:pulumi:s::souverain::hcloud:index/sshKey:SshKey::k",
        "hcloud:index/sshKey:SshKey",
        "k",
        (
            PropertyChange("labels.note", "a|b", "`c`"),
            PropertyChange("token", SECRET, SECRET, secret=True),
        ),
    )
    replaced = ResourceChange(
        REPLACE,
        "urn:pulumi:s::souverain::tls:index/privateKey:PrivateKey::ca",
        "tls:index/privateKey:PrivateKey",
        "ca",
        (PropertyChange("rsaBits", 2048, 4096),),
        replacement_known=False,
    )
    empty = Plan("souverain", "s", [])

    markdown = build_report(
        Diff("s", (change, replaced), 0), empty, empty, BASE, REPO
    ).markdown

    assert (
        "| `hcloud:SshKey` | `k` | `labels.note`: `a\\|b` → `` `c` ``<br>"
        "`token`: changed (secret) |\n"
    ) in markdown
    assert "| `tls:PrivateKey` | `ca` † | `rsaBits`: `2048` → `4096` |\n" in markdown
    assert "† Its provider decides for itself whether these changes replace it" in (
        markdown
    )


HCLOUD_FIX = (
    "Switch the protection off first, in a `pulumi up` of its own: set "
    "`souverain:deletionProtection` to `false` (or `deleteProtection` on a resource "
    "you declare yourself) and run `pulumi up`; then apply this change, and switch "
    "the protection back on (docs/sovereignty.md). In a production stack, the "
    "sovereignty verdict fails while it is off.\n"
)


def test_one_worker_less_says_pulumi_up_stops_at_its_protected_server(tmp_path):
    before = plan_stack("prod", REPO)
    after = prod_with(tmp_path, "count: 2\n", "count: 1\n")

    report = build_report(compare_plans(before, after), before, after, BASE, REPO)

    assert (
        "**+0 to create, ~0 to update, ±0 to replace, -1 to delete** (166 unchanged)\n"
        "\n"
        "### Will stop `pulumi up` (1)\n"
        "\n"
        "This change replaces or deletes resources protected from deletion, so "
        "`pulumi up` stops at the first of them, half done:\n"
        "\n"
        "| type | name | change | protected by |\n"
        "| --- | --- | --- | --- |\n"
        "| `hcloud:Server` | `acme-workers-2` | delete | `deleteProtection` on |\n"
        "\n" + HCLOUD_FIX + "\n### To delete (1)\n"
    ) in report.markdown
    assert "A bucket that still holds objects" not in report.markdown
    assert (
        "  - hcloud:Server acme-workers-2\n"
        "will stop pulumi up: 1 protected resource to replace or delete "
        "(acme-workers-2); switch the protection off first, as the report says\n"
        "monthly cost: "
    ) in report.summary


def test_a_new_location_names_every_protected_resource_it_replaces(tmp_path):
    before = plan_stack("prod", REPO)
    after = prod_with(tmp_path, "location: fsn1", "location: nbg1")
    diff = compare_plans(before, after)

    report = build_report(diff, before, after, BASE, REPO)

    # The load balancer's services, targets and network, and the readiness check,
    # are replaced too, but nothing protects them.
    assert [(s.change.name, s.protection) for s in protected_stops(diff, before)] == [
        ("acme-assets-bucket", "force_destroy"),
        ("acme-backups-bucket", "force_destroy"),
        ("acme-lb", "deleteProtection"),
        *[(f"acme-control-plane-{n}", "deleteProtection") for n in (1, 2, 3)],
        *[(f"acme-workers-{n}", "deleteProtection") for n in (1, 2)],
        *[(f"acme-control-plane-{n}-ipv4", "deleteProtection") for n in (1, 2, 3)],
    ]
    assert "### Will stop `pulumi up` (11)\n" in report.markdown
    assert (
        "| `s3:Bucket` | `acme-backups-bucket` | replace | `force_destroy` off, if it "
        "holds objects |\n"
        "| `hcloud:LoadBalancer` | `acme-lb` | replace | `deleteProtection` on |\n"
    ) in report.markdown
    assert (
        "| `hcloud:PrimaryIp` | `acme-control-plane-3-ipv4` | replace | "
        "`deleteProtection` on |\n\n" + HCLOUD_FIX + "\n"
        "A bucket that still holds objects is not deleted: copy out what you need "
        "and empty it first, or set `souverain:bucketsForceDestroy` to `true` and "
        "run `pulumi up` before this change, which then deletes every object.\n"
    ) in report.markdown
    assert (
        "will stop pulumi up: 11 protected resources to replace or delete "
        "(acme-assets-bucket, acme-backups-bucket, acme-lb, acme-control-plane-1, "
    ) in report.summary


def test_protection_switched_off_by_the_same_change_still_stops_it():
    # The old server is deleted with the protection it was deployed with.
    before = Plan("souverain", "us", [server("fsn1", deleteProtection=True)])
    after = Plan("souverain", "us", [server("nbg1", deleteProtection=False)])
    diff = compare_plans(before, after)

    assert [
        (s.change.name, s.change.action) for s in protected_stops(diff, before)
    ] == [("acme-1", REPLACE)]
    # Switching it off alone is the update that clears the way.
    unprotect = Plan("souverain", "us", [server("fsn1", deleteProtection=False)])
    assert protected_stops(compare_plans(before, unprotect), before) == []
