"""The monthly cost of a planned stack, from the list prices in `prices.json`.

A pure calculation over a `Plan`: each billable resource (or group of identical
ones) becomes a line, priced with `Decimal` and rounded to the cent; the total is
the sum of the lines, then VAT on top. What depends on use (CDN traffic, stored
files, e-mails sent) is priced at an assumed amount that the line states. Hetzner's
lines are worked out in `cost_hetzner.py`, the pieces in `cost_model.py`.
"""

from decimal import Decimal
from typing import Any

from components.errors import SouverainError
from souverain.cost_hetzner import hetzner_lines
from souverain.cost_model import (
    CostLine,
    Estimate,
    Usage,
    cents,
    price_of,
    priced_line,
    unit_amount,
    vat_percent,
    vat_rate,
)
from souverain.plan import UNKNOWN, Plan
from souverain.prices import PRICES_FILE, PRICES_FIX, load_prices

__all__ = [
    "PRICES_FILE",
    "CostLine",
    "Estimate",
    "Usage",
    "cents",
    "load_prices",
    "price_plan",
    "render_estimate",
    "vat_percent",
    "vat_rate",
]

REGISTRY_NAMESPACE = "scaleway:registry/namespace:Namespace"
TEM_DOMAIN = "scaleway:tem/domain:Domain"
PULL_ZONE = "pulumi-python:dynamic/bunny:PullZone"
STORAGE_ZONE = "pulumi-python:dynamic/bunny:StorageZone"


def _scaleway_lines(
    plan: Plan, scaleway: dict[str, Any], usage: Usage
) -> list[CostLine]:
    """Each registry namespace's stored images; the e-mails of all TEM domains."""
    lines = []
    entry = scaleway["registry_storage_per_gb_month"]
    price = price_of(entry, "price", "Scaleway registry storage")
    for namespace in plan.of_type(REGISTRY_NAMESPACE):
        gb = usage.registry_storage_gb
        item = f"registry storage of {namespace.name}, GB"
        assumption = f"{gb} GB of images stored"
        lines.append(priced_line(item, [namespace.name], gb, price, entry, assumption))

    # The free e-mails are the account's, once a month, whatever its domains.
    domains = [domain.name for domain in plan.of_type(TEM_DOMAIN)]
    if domains:
        entry = scaleway["tem_per_1000_emails"]
        price = price_of(entry, "price", "Scaleway TEM")
        free = int(entry.get("free_emails_per_month", 0))
        sent = usage.emails_per_domain * len(domains)
        billed = Decimal(max(0, sent - free)) / 1000
        item = "TEM e-mails, per 1,000"
        assumption = f"{sent} e-mails sent, the account's first {free} free"
        lines.append(priced_line(item, domains, billed, price, entry, assumption))
    return lines


def _bunny_lines(plan: Plan, prices: dict[str, Any], usage: Usage) -> list[CostLine]:
    """Each pull zone's traffic in Europe and each storage zone's files, in EUR."""
    bunny = prices["bunny"]
    usd = price_of(prices["usd_in_eur"], "rate", "the dollar's rate")
    lines = []
    entry = bunny["cdn_traffic_per_gb"]
    price = price_of(entry, "europe", "bunny.net CDN traffic") * usd
    for zone in plan.of_type(PULL_ZONE):
        gb = usage.cdn_traffic_gb_per_pull_zone
        assumption = f"{gb} GB served in Europe, at {usd} EUR per USD"
        item = f"CDN traffic of {zone.name}, GB"
        lines.append(priced_line(item, [zone.name], gb, price, entry, assumption))

    entry = bunny["storage_per_gb_month"]
    for zone in plan.of_type(STORAGE_ZONE):
        regions = [zone.inputs.get("region", UNKNOWN)]
        regions += list(zone.inputs.get("replication_regions") or [])
        per_gb = Decimal(0)
        for region in regions:
            if region not in entry["regions"]:
                raise SouverainError(
                    f"the bunny.net storage region '{region}' (used by {zone.name}) "
                    f"has no price in the price data; {PRICES_FIX}"
                )
            per_gb += Decimal(entry["regions"][region])
        gb = usage.edge_storage_gb
        assumption = f"{gb} GB stored in {', '.join(regions)}, at {usd} EUR per USD"
        item = f"edge storage of {zone.name}, GB"
        lines.append(
            priced_line(item, [zone.name], gb, per_gb * usd, entry, assumption)
        )
    return lines


def price_plan(
    plan: Plan,
    prices: dict[str, Any] | None = None,
    vat: Decimal | None = None,
    usage: Usage | None = None,
) -> Estimate:
    """The monthly cost of `plan` at `prices` (the shipped ones by default).

    `vat` defaults to the price data's rate (Germany's). Raises SouverainError when
    a resource has no price, naming it and how to add one.
    """
    prices = prices if prices is not None else load_prices()
    usage = usage or Usage()
    if vat is None:
        vat = price_of(prices["vat"], "default_rate", "VAT")

    lines = hetzner_lines(plan, prices["hetzner"], usage)
    lines += _scaleway_lines(plan, prices["scaleway"], usage)
    lines += _bunny_lines(plan, prices, usage)

    net = sum((line.monthly for line in lines), Decimal("0.00"))
    tax = cents(net * vat)
    return Estimate(plan.stack, lines, vat, net, tax, net + tax)


def render_estimate(estimate: Estimate) -> str:
    """The lines as a table, then the net total, VAT and the gross total."""
    rows = [("item", "qty", "unit EUR", "month EUR", "resources")]
    for line in estimate.lines:
        rows.append(
            (
                line.item,
                f"{line.quantity.normalize():f}",
                unit_amount(line.unit_price),
                str(line.monthly),
                ", ".join(line.resources),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    text = []
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [
            cell.rjust(width) for cell, width in zip(row[1:4], widths[1:], strict=True)
        ]
        text.append("  ".join([*cells, row[4]]).rstrip())

    assumptions = [
        f"  - {line.item} ({', '.join(line.resources)}): {line.assumption}"
        for line in estimate.lines
        if line.assumption
    ]
    if assumptions:
        text += ["", "assumed monthly use:", *assumptions]
    percent = vat_percent(estimate.vat_rate)
    as_of = sorted({line.as_of for line in estimate.lines})
    text += [
        "",
        f"net per month:    {estimate.net} EUR",
        f"{f'VAT {percent}%:':<18}{estimate.vat} EUR",
        f"gross per month:  {estimate.gross} EUR",
        f"list prices as of {', '.join(as_of) or '-'}; each one's source is named "
        "in souverain/prices.json (Hetzner's: `souverain prices refresh`)",
    ]
    return "\n".join(text) + "\n"
