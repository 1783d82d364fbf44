"""`souverain prices refresh`: Hetzner's part of the price data, from its /pricing API.

The Cloud API answers with the prices of the account it is asked with, per
location, for server types, load balancer types, primary IPs and volumes. Those
replace the hand-written figures in `prices.json`; what the API does not price
(Object Storage, Scaleway, bunny.net, VAT) is kept as it was.
"""

import datetime as dt
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

from components.errors import SouverainError
from components.hetzner.catalog import load_catalog
from souverain.catalog_refresh import ask_api
from souverain.files import write_json_whole
from souverain.prices import load_prices

logger = logging.getLogger(__name__)

BYTES_PER_TB = 2**40
"""Hetzner counts included traffic in bytes and bills extra traffic per TB of 2⁴⁰."""


def fetch_pricing(token: str, endpoint: str) -> dict[str, Any]:
    """The API's /pricing answer, asked through hcloud-python's client."""
    # hcloud-python has no pricing client of its own; its generic request still
    # brings the token, retries and Hetzner's error format.
    return ask_api(token, endpoint, lambda client: client.request("GET", "/pricing"))[
        "pricing"
    ]


def _tb(byte_count: int) -> str:
    return f"{Decimal(byte_count) / BYTES_PER_TB:f}"


def _per_location(
    prices: list[dict[str, Any]], locations: list[str], source: dict[str, str]
) -> dict[str, Any]:
    """One entry of the price data from the API's per-location prices."""
    entry: dict[str, Any] = {
        "monthly": {
            price["location"]: price["price_monthly"]["net"]
            for price in prices
            if price["location"] in locations
        },
        **source,
    }
    traffic = [
        p for p in prices if p["location"] in locations and "included_traffic" in p
    ]
    if traffic:
        entry["included_traffic_tb"] = {
            p["location"]: _tb(p["included_traffic"]) for p in traffic
        }
        entry["traffic_per_tb"] = {
            p["location"]: p["price_per_tb_traffic"]["net"] for p in traffic
        }
    return entry


def hetzner_prices(
    pricing: dict[str, Any], locations: list[str], source: dict[str, str]
) -> dict[str, Any]:
    """The API-priced parts of the `hetzner` section, for the EU `locations`."""
    if pricing["currency"] != "EUR":
        raise SouverainError(
            f"the Hetzner account bills in {pricing['currency']}, but souverain's "
            "price data is in EUR; refresh with a token of a project billed in EUR"
        )

    ipv4 = next(kind for kind in pricing["primary_ips"] if kind["type"] == "ipv4")
    return {
        "server_types": {
            kind["name"]: _per_location(kind["prices"], locations, source)
            for kind in pricing["server_types"]
        },
        "load_balancer_types": {
            kind["name"]: _per_location(kind["prices"], locations, source)
            for kind in pricing["load_balancer_types"]
        },
        "primary_ipv4": _per_location(ipv4["prices"], locations, source),
        **{
            f"floating_{kind['type']}": _per_location(kind["prices"], locations, source)
            for kind in pricing["floating_ips"]
        },
        "volume_per_gb_month": {
            "price": pricing["volume"]["price_per_gb_month"]["net"],
            **source,
        },
    }


def refresh_prices(
    output: Path, endpoint: str, token: str, today: dt.date, base: Path | None = None
) -> dict[str, Any]:
    """Rewrite the Hetzner prices in `base` (the shipped data) from the API's answer.

    The result goes to `output`; everything the API does not price is kept.
    """
    document = load_prices(base)
    pricing = fetch_pricing(token, endpoint)
    source = {
        "source": f"Hetzner Cloud API {endpoint}/pricing",
        "as_of": today.isoformat(),
    }
    locations = load_catalog().eu_locations()
    document["hetzner"] |= hetzner_prices(pricing, locations, source)
    write_json_whole(document, output, "price data")

    logger.info(
        "wrote the prices of %d server types and %d load balancer types in %s to %s",
        len(document["hetzner"]["server_types"]),
        len(document["hetzner"]["load_balancer_types"]),
        ", ".join(locations),
        output,
    )
    return document
