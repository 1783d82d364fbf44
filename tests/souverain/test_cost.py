"""The monthly cost of the built-in stacks, worked out by hand from prices.json."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from components.errors import SouverainError
from souverain.cli import app
from souverain.console import EXIT_USER_ERROR
from souverain.cost import (
    PRICES_FILE,
    Usage,
    cents,
    load_prices,
    price_plan,
    vat_percent,
    vat_rate,
)
from souverain.plan import Plan, PlannedResource, plan_stack

PRICES = json.loads(PRICES_FILE.read_text())
HETZNER = PRICES["hetzner"]
USD = Decimal(PRICES["usd_in_eur"]["rate"])
runner = CliRunner()


def server(name: str) -> Decimal:
    return Decimal(HETZNER["server_types"][name]["monthly"]["fsn1"])


def load_balancer(name: str) -> Decimal:
    return Decimal(HETZNER["load_balancer_types"][name]["monthly"]["fsn1"])


IPV4 = Decimal(HETZNER["primary_ipv4"]["monthly"]["fsn1"])
OBJECT_STORAGE = Decimal(HETZNER["object_storage"]["base_monthly"])
REGISTRY_GB = Decimal(PRICES["scaleway"]["registry_storage_per_gb_month"]["price"])
TEM_PER_1000 = Decimal(PRICES["scaleway"]["tem_per_1000_emails"]["price"])
TEM_FREE = PRICES["scaleway"]["tem_per_1000_emails"]["free_emails_per_month"]
CDN_GB = Decimal(PRICES["bunny"]["cdn_traffic_per_gb"]["europe"])
STORAGE_GB_DE = Decimal(PRICES["bunny"]["storage_per_gb_month"]["regions"]["DE"])
VOLUME_GB = Decimal(HETZNER["volume_per_gb_month"]["price"])
VAT = Decimal(PRICES["vat"]["default_rate"])


@pytest.fixture(scope="module")
def dev() -> Plan:
    return plan_stack("dev")


@pytest.fixture(scope="module")
def prod() -> Plan:
    return plan_stack("prod")


def test_dev_costs_one_cx23_a_balancer_and_one_address(dev):
    # 1 × cx23 + lb11 + 1 primary IPv4; no buckets, bunny.net or Scaleway.
    net = server("cx23") + load_balancer("lb11") + IPV4

    estimate = price_plan(dev)

    assert [line.item for line in estimate.lines] == [
        "server cx23 in fsn1",
        "load balancer lb11 in fsn1",
        "primary IPv4 in fsn1",
    ]
    assert estimate.net == cents(net)
    assert estimate.vat == cents(net * VAT)
    assert estimate.gross == cents(net) + cents(net * VAT)


def test_prod_costs_five_servers_five_addresses_storage_and_the_edge(prod):
    usage = Usage()
    # The two workers have public IPv4 without a primary IP of ours, so Hetzner
    # creates one for each: 3 declared + 2 = 5 addresses, each billed.
    hetzner = (
        3 * server("cx33")
        + 2 * server("cx43")
        + load_balancer("lb11")
        + 5 * IPV4
        + OBJECT_STORAGE  # once, for both buckets
    )
    registry = cents(usage.registry_storage_gb * REGISTRY_GB)  # 10 GB × 0.027
    email = cents(Decimal(usage.emails_per_domain - TEM_FREE) / 1000 * TEM_PER_1000)
    cdn = cents(usage.cdn_traffic_gb_per_pull_zone * CDN_GB * USD)  # per pull zone
    edge = cents(usage.edge_storage_gb * STORAGE_GB_DE * USD)
    # The tools' Postgres volumes (glitchtip 20, twenty 40, hanko, openbao and umami
    # 10 each) and Twenty's 10 GB file claim: 100 GB of Hetzner volumes.
    volumes = cents(100 * VOLUME_GB)
    net = cents(hetzner) + volumes + registry + email + 2 * cdn + edge

    estimate = price_plan(prod)

    assert estimate.net == net
    assert estimate.vat == cents(net * VAT)
    assert estimate.gross == net + cents(net * VAT)
    # The same by hand at the shipped prices: 14.97 + 17.98 + 5.39 + 2.50 + 4.99 +
    # 4.40 + 0.27 + 0.18 + 2 × 0.86 + 0.09 = 52.49 net, 9.97 VAT.
    assert (estimate.net, estimate.vat, estimate.gross) == (
        Decimal("52.49"),
        Decimal("9.97"),
        Decimal("62.46"),
    )
    ipv4 = next(line for line in estimate.lines if line.item.startswith("primary"))
    assert ipv4.resources == (
        "acme-control-plane-1-ipv4",
        "acme-control-plane-2-ipv4",
        "acme-control-plane-3-ipv4",
        "acme-workers-1",
        "acme-workers-2",
    )
    for line in estimate.lines:
        assert isinstance(line.monthly, Decimal), line.item
        assert line.monthly == cents(line.monthly), line.item


def test_object_storage_beyond_the_included_terabyte_is_billed_per_tb(prod):
    prices = load_prices()
    prices["hetzner"]["object_storage"]["storage_per_tb_month"] = "6.50"

    estimate = price_plan(prod, prices, usage=Usage(object_storage_tb=Decimal(3)))

    beyond = next(line for line in estimate.lines if "beyond" in line.item)
    # 3 TB stored, 1 TB included: 2 × 6.50, on top of the 4.99 base.
    assert (beyond.quantity, beyond.monthly) == (Decimal(2), Decimal("13.00"))
    assert beyond.assumption == "3 TB stored in all buckets"


def test_hank_parts_costs_what_its_lines_add_up_to_by_hand():
    estimate = price_plan(plan_stack("hank-parts"))

    # 5 × cx33 + 3 × cx43 + lb21 + 8 IPv4 + Object Storage + 80 GB of volumes
    # + registry + e-mail + 2 pull zones + edge storage replicated to SE:
    # 24.95 + 26.97 + 16.40 + 4.00 + 4.99 + 3.52 + 0.27 + 0.18 + 2 × 0.86 + 0.17.
    assert (estimate.net, estimate.vat, estimate.gross) == (
        Decimal("83.17"),
        Decimal("15.80"),
        Decimal("98.97"),
    )
    edge = next(line for line in estimate.lines if line.item.startswith("edge"))
    # DE and SE at 0.01 USD each, at 0.86 EUR per USD, for 10 GB.
    assert (edge.unit_price, edge.monthly) == (Decimal("0.0172"), Decimal("0.17"))


def test_another_vat_rate_changes_only_the_tax(prod):
    default = price_plan(prod)

    austria = price_plan(prod, vat=Decimal("0.20"))

    assert austria.net == default.net
    assert austria.vat == cents(default.net * Decimal("0.20"))


def declared(kind: str, name: str, **inputs) -> PlannedResource:
    return PlannedResource(
        urn=f"urn:pulumi:dev::acme::hcloud:index/{kind}::{name}",
        type=f"hcloud:index/{kind}",
        name=name,
        parent=None,
        custom=True,
        inputs=inputs,
        dependencies=(),
    )


def plan_with_server(server_type: str, **placement) -> Plan:
    placement = placement or {"location": "fsn1"}
    web = declared("server:Server", "acme-web-1", serverType=server_type, **placement)
    return Plan("acme", "dev", [web])


def test_declared_volumes_and_floating_addresses_are_priced():
    plan = Plan(
        "acme",
        "dev",
        [
            declared("volume:Volume", "acme-data", size=50, location="fsn1"),
            declared(
                "floatingIp:FloatingIp", "acme-vip", type="ipv4", homeLocation="fsn1"
            ),
        ],
    )

    estimate = price_plan(plan)

    assert [(line.item, line.quantity, line.monthly) for line in estimate.lines] == [
        ("floating IPv4 in fsn1", Decimal(1), Decimal("3.00")),
        ("volumes, GB", Decimal(50), cents(50 * VOLUME_GB)),
    ]


def test_a_server_placed_by_data_centre_is_priced_in_its_location():
    estimate = price_plan(plan_with_server("cx23", datacenter="nbg1-dc3"))

    assert estimate.lines[0].item == "server cx23 in nbg1"


def test_a_server_outside_the_eu_names_the_location_not_stale_prices():
    with pytest.raises(SouverainError) as raised:
        price_plan(plan_with_server("cx23", location="ash"))

    assert str(raised.value).startswith(
        "the server type 'cx23' has no price in location 'ash' (used by acme-web-1): "
        "souverain prices Hetzner's EU locations (fsn1, hel1, nbg1); give it one of "
        "them, or refresh the price data"
    )


@pytest.mark.parametrize(
    ("rate", "shown"), [("0.19", "19"), ("0.20", "20"), ("0.077", "7.7")]
)
def test_vat_rates_read_as_plain_percentages(rate, shown):
    assert vat_percent(Decimal(rate)) == shown


def test_every_shipped_price_names_its_source_and_date():
    by_type = {"server_types", "load_balancer_types"}
    entries = [PRICES["vat"], PRICES["usd_in_eur"]]
    entries += [e for k, e in HETZNER.items() if k not in by_type]
    entries += [e for kind in by_type for e in HETZNER[kind].values()]
    entries += [*PRICES["scaleway"].values(), *PRICES["bunny"].values()]

    # VAT and the dollar, five Hetzner entries, every type, Scaleway's two, bunny's two.
    types = len(HETZNER["server_types"]) + len(HETZNER["load_balancer_types"])
    assert len(entries) == 2 + 5 + types + 2 + 2
    for entry in entries:
        assert entry["source"].startswith("https://"), entry
        assert len(entry["as_of"]) == 10, entry


def test_a_price_file_with_negative_or_unsourced_prices_is_refused(tmp_path):
    prices = load_prices()
    prices["hetzner"]["server_types"]["cx23"]["monthly"]["fsn1"] = "-2.99"
    del prices["scaleway"]["tem_per_1000_emails"]["source"]
    bad = tmp_path / "prices.json"
    bad.write_text(json.dumps(prices))

    with pytest.raises(SouverainError) as raised:
        load_prices(bad)

    assert str(raised.value).startswith(
        f"the price data {bad} is not usable: hetzner.server_types.cx23.monthly.fsn1: "
        "input should be greater than or equal to 0; "
        "scaleway.tem_per_1000_emails.source: field required; refresh the price data"
    )


def test_an_unknown_server_type_names_it_and_the_fix():
    with pytest.raises(SouverainError) as raised:
        price_plan(plan_with_server("cx99"))

    message = str(raised.value)
    assert "server type 'cx99' (used by acme-web-1) has no price" in message
    assert "refresh the price data" in message
    assert "souverain/prices.json" in message


def test_a_vat_rate_given_as_a_percentage_is_refused():
    with pytest.raises(SouverainError, match="--vat 19 is not a VAT rate"):
        vat_rate("19")
    assert vat_rate("0.19") == Decimal("0.19")


def test_cli_cost_prints_the_lines_and_totals_and_writes_json(tmp_path: Path):
    out = tmp_path / "cost.json"

    result = runner.invoke(app, ["cost", "--stack", "prod", "--json", str(out)])

    assert result.exit_code == 0, result.output
    estimate = price_plan(plan_stack("prod"))
    cx33 = f"{cents(3 * server('cx33'))}  acme-control-plane-1, acme-control-plane-2"
    assert "server cx33 in fsn1  " in result.stdout
    assert cx33 in result.stdout
    assert "acme-workers-1, acme-workers-2" in result.stdout
    assert f"net per month:    {estimate.net} EUR\n" in result.stdout
    assert f"VAT 19%:          {estimate.vat} EUR\n" in result.stdout
    assert f"gross per month:  {estimate.gross} EUR\n" in result.stdout
    assert "100 GB served in Europe" in result.stdout
    assert "[secret]" not in result.stdout
    document = json.loads(out.read_text())
    assert document["gross"] == str(estimate.gross)
    assert document["vat_rate"] == "0.19"


def test_cli_cost_with_stale_prices_exits_1_naming_the_type(tmp_path: Path):
    prices = load_prices()
    del prices["hetzner"]["server_types"]["cx23"]
    stale = tmp_path / "prices.json"
    stale.write_text(json.dumps(prices))

    result = runner.invoke(app, ["cost", "--prices", str(stale)])

    assert result.exit_code == EXIT_USER_ERROR, result.output
    assert "error: the server type 'cx23' (used by acme-dev-main-1)" in result.output
    assert "refresh the price data" in result.output
    assert "Traceback" not in result.output


def test_cli_cost_shows_another_rate_as_a_plain_percentage():
    result = runner.invoke(app, ["cost", "--stack", "dev", "--vat", "0.20"])

    assert result.exit_code == 0, result.output
    # 8.88 net at 20%: 1.776, rounded to 1.78.
    assert "VAT 20%:          1.78 EUR\n" in result.stdout


def test_cli_cost_refuses_a_percentage_for_vat():
    result = runner.invoke(app, ["cost", "--vat", "19"])

    assert result.exit_code == EXIT_USER_ERROR
    assert "e.g. --vat 0.19" in result.output
    assert "Traceback" not in result.output
