"""`souverain prices refresh` against the fake Hetzner API, and its result priced."""

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

import souverain.cost_command
from components.errors import SouverainError
from souverain.cli import app
from souverain.console import EXIT_USER_ERROR
from souverain.cost import price_plan
from souverain.plan import plan_stack
from souverain.prices import PRICES_FILE, load_prices
from souverain.prices_refresh import hetzner_prices
from tests.fakes.hetzner_api import TOKEN, FakeHetznerApi, RecordedRequest

TODAY = dt.date(2026, 12, 4)
runner = CliRunner()


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(souverain.cost_command, "_today", lambda: TODAY)


@pytest.fixture(autouse=True)
def shipped_prices_untouched() -> Iterator[None]:
    """Guards the repository's price data: no test may rewrite it."""
    before = PRICES_FILE.read_bytes()
    yield
    assert PRICES_FILE.read_bytes() == before


@pytest.fixture
def hetzner_api() -> Iterator[FakeHetznerApi]:
    with FakeHetznerApi() as api:
        yield api


def refresh(api: FakeHetznerApi, output: Path, token: str = TOKEN):
    return runner.invoke(
        app,
        ["prices", "refresh", "--endpoint", api.endpoint, "--output", str(output)],
        env={"HCLOUD_TOKEN": token},
    )


def test_refresh_asks_pricing_once_and_keeps_only_eu_locations(hetzner_api, tmp_path):
    output = tmp_path / "prices.json"

    result = refresh(hetzner_api, output)

    assert result.exit_code == 0, result.output
    assert hetzner_api.requests == [
        RecordedRequest(
            method="GET",
            path="/v1/pricing",
            query={},
            authorization=f"Bearer {TOKEN}",
        )
    ]
    hetzner = json.loads(output.read_text())["hetzner"]
    source = {
        "source": f"Hetzner Cloud API {hetzner_api.endpoint}/pricing",
        "as_of": "2026-12-04",
    }
    # The fake's cx23 costs 2.50 a month in its three EU locations, with 20 TB.
    assert hetzner["server_types"]["cx23"] == {
        "monthly": {"fsn1": "2.5000", "hel1": "2.5000", "nbg1": "2.5000"},
        "included_traffic_tb": {"fsn1": "20", "hel1": "20", "nbg1": "20"},
        "traffic_per_tb": {"fsn1": "1.0000", "hel1": "1.0000", "nbg1": "1.0000"},
        **source,
    }
    assert hetzner["primary_ipv4"]["monthly"] == {
        "fsn1": "0.5000",
        "hel1": "0.5000",
        "nbg1": "0.5000",
    }
    assert hetzner["volume_per_gb_month"] == {"price": "0.0500", **source}
    assert hetzner["floating_ipv4"] == {
        "monthly": {"fsn1": "0.5000", "hel1": "0.5000", "nbg1": "0.5000"},
        **source,
    }
    assert hetzner["floating_ipv6"]["monthly"]["fsn1"] == "0.0000"
    every_location = {
        location
        for kind in ("server_types", "load_balancer_types")
        for entry in hetzner[kind].values()
        for location in entry["monthly"]
    }
    assert every_location == {"fsn1", "hel1", "nbg1"}


def test_refresh_keeps_what_the_api_does_not_price(hetzner_api, tmp_path):
    output = tmp_path / "prices.json"
    shipped = load_prices()

    refresh(hetzner_api, output)

    refreshed = json.loads(output.read_text())
    for kept in ("vat", "usd_in_eur", "scaleway", "bunny"):
        assert refreshed[kept] == shipped[kept], kept
    assert (
        refreshed["hetzner"]["object_storage"] == shipped["hetzner"]["object_storage"]
    )


def test_refreshed_prices_price_the_dev_stack(hetzner_api, tmp_path):
    output = tmp_path / "prices.json"
    refresh(hetzner_api, output)

    estimate = price_plan(plan_stack("dev"), load_prices(output))

    # One cx23 (2.50), one lb11 (6.00) and the server's IPv4 (0.50), the fake's prices.
    assert [(line.item, line.monthly) for line in estimate.lines] == [
        ("server cx23 in fsn1", Decimal("2.50")),
        ("load balancer lb11 in fsn1", Decimal("6.00")),
        ("primary IPv4 in fsn1", Decimal("0.50")),
    ]
    assert estimate.net == Decimal("9.00")
    assert estimate.lines[0].as_of == "2026-12-04"


def test_refresh_without_token_says_how_to_create_one(hetzner_api, tmp_path):
    output = tmp_path / "prices.json"

    result = refresh(hetzner_api, output, token="")

    assert result.exit_code == EXIT_USER_ERROR
    assert result.output.startswith("error: HCLOUD_TOKEN is not set: create an API ")
    assert hetzner_api.requests == []
    assert not output.exists()


def test_refresh_with_a_rejected_token_keeps_the_old_file(hetzner_api, tmp_path):
    output = tmp_path / "prices.json"
    output.write_text("the old prices\n")

    result = refresh(hetzner_api, output, token="revoked")

    assert result.exit_code == EXIT_USER_ERROR
    assert f"the Hetzner Cloud API at {hetzner_api.endpoint} rejected HCLOUD_TOKEN" in (
        result.output
    )
    assert "revoked" not in result.output
    assert "Traceback" not in result.output
    assert output.read_text() == "the old prices\n"


def test_prices_in_another_currency_are_refused():
    pricing = {"currency": "USD", "primary_ips": [], "server_types": []}

    with pytest.raises(SouverainError) as raised:
        hetzner_prices(pricing, ["fsn1"], {"source": "x", "as_of": "2026-12-04"})

    assert str(raised.value) == (
        "the Hetzner account bills in USD, but souverain's price data is in EUR; "
        "refresh with a token of a project billed in EUR"
    )
