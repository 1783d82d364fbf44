"""The monthly cost of a planned stack, from the list prices in `prices.json`.

A pure calculation over a `Plan`: each billable resource (or group of identical
ones) becomes a line, priced with `Decimal` and rounded to the cent; the total is
the sum of the lines, then VAT on top. What depends on use (CDN traffic, stored
files, e-mails sent) is priced at an assumed amount that the line states.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from components.errors import SouverainError
from souverain.cost_volumes import volume_claims
from souverain.plan import UNKNOWN, Plan, PlannedResource
from souverain.prices import PRICES_FILE, PRICES_FIX, load_prices

__all__ = ["PRICES_FILE", "load_prices", "price_plan", "render_estimate", "vat_rate"]

CENT = Decimal("0.01")

SERVER = "hcloud:index/server:Server"
LOAD_BALANCER = "hcloud:index/loadBalancer:LoadBalancer"
PRIMARY_IP = "hcloud:index/primaryIp:PrimaryIp"
BUCKET = "pulumi-python:dynamic/s3:Bucket"
REGISTRY_NAMESPACE = "scaleway:registry/namespace:Namespace"
TEM_DOMAIN = "scaleway:tem/domain:Domain"
PULL_ZONE = "pulumi-python:dynamic/bunny:PullZone"
STORAGE_ZONE = "pulumi-python:dynamic/bunny:StorageZone"


@dataclass(frozen=True)
class Usage:
    """The monthly use assumed where the price depends on it."""

    cdn_traffic_gb_per_pull_zone: Decimal = Decimal(100)
    """Traffic each bunny.net pull zone serves in Europe, in GB."""
    edge_storage_gb: Decimal = Decimal(10)
    """Files kept in each bunny.net storage zone, in GB."""
    registry_storage_gb: Decimal = Decimal(10)
    """Images kept in each Scaleway registry namespace, in GB."""
    emails_per_domain: int = 1000
    """E-mails each Scaleway TEM domain sends."""
    object_storage_tb: Decimal = Decimal(1)
    """Data kept in all the project's Hetzner buckets together, in TB."""


@dataclass(frozen=True)
class CostLine:
    """One priced item: what it is, which resources, how many, and the month's cost."""

    item: str
    resources: tuple[str, ...]
    quantity: Decimal
    unit_price: Decimal
    """Net EUR per unit and month, as listed (bunny.net's converted from USD)."""
    monthly: Decimal
    """Net EUR per month, rounded to the cent."""
    assumption: str | None
    source: str
    as_of: str

    def as_json(self) -> dict[str, Any]:
        """The line as the JSON document lists it; amounts as strings, never floats."""
        return {
            "item": self.item,
            "resources": list(self.resources),
            "quantity": str(self.quantity),
            "unit_price": str(self.unit_price),
            "monthly_net": str(self.monthly),
            "assumption": self.assumption,
            "source": self.source,
            "as_of": self.as_of,
        }


@dataclass(frozen=True)
class Estimate:
    """A stack's monthly cost: the lines, the net total, VAT and the gross total."""

    stack: str
    lines: list[CostLine]
    vat_rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal

    def as_json(self) -> dict[str, Any]:
        """The estimate as a JSON-ready document, in EUR per month."""
        return {
            "stack": self.stack,
            "currency": "EUR",
            "period": "month",
            "lines": [line.as_json() for line in self.lines],
            "net": str(self.net),
            "vat_rate": str(self.vat_rate),
            "vat": str(self.vat),
            "gross": str(self.gross),
        }


def cents(amount: Decimal) -> Decimal:
    """`amount` rounded to the cent, halves up, as invoices round."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_rate(text: str) -> Decimal:
    """A VAT rate given as a fraction, e.g. 0.19; refuses percentages and nonsense."""
    try:
        rate = Decimal(text)
    except InvalidOperation:
        rate = None
    if rate is None or not rate.is_finite() or not 0 <= rate < 1:
        raise SouverainError(
            f"--vat {text} is not a VAT rate: give it as a fraction between 0 and 1, "
            "e.g. --vat 0.19 for Germany's 19%"
        )
    return rate


def _price(entry: dict[str, Any], key: str, what: str) -> Decimal:
    try:
        return Decimal(str(entry[key]))
    except (KeyError, InvalidOperation):
        raise SouverainError(
            f"{what} has no valid price '{key}'; {PRICES_FIX}"
        ) from None


def _hetzner_price(
    table: dict[str, Any], kind: str, name: str, location: str, users: list[str]
) -> tuple[Decimal, dict[str, Any]]:
    """The monthly price of `name` in `location`, or an error naming what lacks one."""
    entry = table.get(name)
    if entry is None:
        raise SouverainError(
            f"the {kind} '{name}' (used by {', '.join(users)}) has no price in the "
            f"price data; {PRICES_FIX}"
        )
    monthly = entry.get("monthly", {})
    if location not in monthly:
        raise SouverainError(
            f"the {kind} '{name}' has no price in {location} (used by "
            f"{', '.join(users)}); {PRICES_FIX}"
        )
    return _price(monthly, location, f"the {kind} '{name}' in {location}"), entry


def _grouped(
    resources: Iterable[PlannedResource], *keys: str
) -> dict[tuple[str, ...], list[str]]:
    """Resource names grouped by the values of `keys` among their inputs, sorted."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for resource in resources:
        key = tuple(str(resource.inputs.get(k, UNKNOWN)) for k in keys)
        groups.setdefault(key, []).append(resource.name)
    return dict(sorted(groups.items()))


def _line(
    item: str,
    names: list[str],
    quantity: Decimal,
    unit_price: Decimal,
    entry: dict[str, Any],
    assumption: str | None = None,
) -> CostLine:
    return CostLine(
        item=item,
        resources=tuple(names),
        quantity=quantity,
        unit_price=unit_price,
        monthly=cents(quantity * unit_price),
        assumption=assumption,
        source=entry["source"],
        as_of=entry["as_of"],
    )


def _gets_own_ipv4(server: PlannedResource) -> bool:
    """A server with public IPv4 but no primary IP of ours gets one from Hetzner."""
    nets = server.inputs.get("publicNets") or [{}]
    return any(
        net.get("ipv4Enabled", True) and "ipv4" not in net
        for net in nets
        if isinstance(net, dict)
    )


def _hetzner_lines(plan: Plan, hetzner: dict[str, Any], usage: Usage) -> list[CostLine]:
    lines = []
    servers = plan.of_type(SERVER)
    table = hetzner["server_types"]
    for (server_type, location), names in _grouped(
        servers, "serverType", "location"
    ).items():
        price, entry = _hetzner_price(
            table, "server type", server_type, location, names
        )
        item = f"server {server_type} in {location}"
        lines.append(_line(item, names, Decimal(len(names)), price, entry))

    table = hetzner["load_balancer_types"]
    for (lb_type, location), names in _grouped(
        plan.of_type(LOAD_BALANCER), "loadBalancerType", "location"
    ).items():
        price, entry = _hetzner_price(
            table, "load balancer type", lb_type, location, names
        )
        item = f"load balancer {lb_type} in {location}"
        lines.append(_line(item, names, Decimal(len(names)), price, entry))

    # Declared primary IPv4s, plus those Hetzner creates for servers without one.
    ipv4s = [r for r in plan.of_type(PRIMARY_IP) if r.inputs.get("type") == "ipv4"]
    ipv4s += [s for s in servers if _gets_own_ipv4(s)]
    table = {"ipv4": hetzner["primary_ipv4"]}
    for (location,), names in _grouped(ipv4s, "location").items():
        price, entry = _hetzner_price(table, "address", "ipv4", location, names)
        item = f"primary IPv4 in {location}"
        lines.append(_line(item, names, Decimal(len(names)), price, entry))

    buckets = [r.name for r in plan.of_type(BUCKET)]
    if buckets:
        entry = hetzner["object_storage"]
        price = _price(entry, "base_monthly", "Object Storage")
        assumption = (
            f"within the {entry['included_storage_tb']} TB of storage and "
            f"{entry['included_traffic_tb']} TB of traffic the base price includes"
        )
        lines.append(
            _line("Object Storage base", buckets, Decimal(1), price, entry, assumption)
        )
        beyond = usage.object_storage_tb - Decimal(entry["included_storage_tb"])
        if beyond > 0:
            price = _price(entry, "storage_per_tb_month", "Object Storage storage")
            assumption = f"{usage.object_storage_tb} TB stored in all buckets"
            item = "Object Storage beyond the included, TB"
            lines.append(_line(item, buckets, beyond, price, entry, assumption))

    claims = volume_claims(plan)
    if claims:
        entry = hetzner["volume_per_gb_month"]
        price = _price(entry, "price", "Hetzner volumes")
        size = sum(claim.size_gb for claim in claims)
        names = sorted({claim.resource for claim in claims})
        assumption = (
            f"{len(claims)} volumes the cluster's CSI driver creates for these claims"
        )
        lines.append(
            _line("volumes, GB", names, Decimal(size), price, entry, assumption)
        )
    return lines


def _scaleway_lines(
    plan: Plan, scaleway: dict[str, Any], usage: Usage
) -> list[CostLine]:
    lines = []
    entry = scaleway["registry_storage_per_gb_month"]
    price = _price(entry, "price", "Scaleway registry storage")
    for namespace in plan.of_type(REGISTRY_NAMESPACE):
        gb = usage.registry_storage_gb
        lines.append(
            _line(
                "registry namespace storage, GB",
                [namespace.name],
                gb,
                price,
                entry,
                f"{gb} GB of images stored",
            )
        )

    entry = scaleway["tem_per_1000_emails"]
    price = _price(entry, "price", "Scaleway TEM")
    free = int(entry.get("free_emails_per_month", 0))
    for domain in plan.of_type(TEM_DOMAIN):
        sent = usage.emails_per_domain
        billed = Decimal(max(0, sent - free)) / 1000
        lines.append(
            _line(
                "TEM e-mails, per 1,000",
                [domain.name],
                billed,
                price,
                entry,
                f"{sent} e-mails sent, the first {free} free",
            )
        )
    return lines


def _bunny_lines(plan: Plan, prices: dict[str, Any], usage: Usage) -> list[CostLine]:
    bunny = prices["bunny"]
    usd = _price(prices["usd_in_eur"], "rate", "the dollar's rate")
    lines = []
    entry = bunny["cdn_traffic_per_gb"]
    price = _price(entry, "europe", "bunny.net CDN traffic") * usd
    for zone in plan.of_type(PULL_ZONE):
        gb = usage.cdn_traffic_gb_per_pull_zone
        assumption = f"{gb} GB served in Europe, at {usd} EUR per USD"
        lines.append(
            _line("CDN traffic, GB", [zone.name], gb, price, entry, assumption)
        )

    entry = bunny["storage_per_gb_month"]
    for zone in plan.of_type(STORAGE_ZONE):
        regions = [zone.inputs.get("region", UNKNOWN)]
        regions += list(zone.inputs.get("replication_regions") or [])
        regions += list(zone.inputs.get("replicationRegions") or [])
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
        item = "edge storage, GB"
        lines.append(_line(item, [zone.name], gb, per_gb * usd, entry, assumption))
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
        vat = _price(prices["vat"], "default_rate", "VAT")

    lines = _hetzner_lines(plan, prices["hetzner"], usage)
    lines += _scaleway_lines(plan, prices["scaleway"], usage)
    lines += _bunny_lines(plan, prices, usage)

    net = sum((line.monthly for line in lines), Decimal("0.00"))
    tax = cents(net * vat)
    return Estimate(plan.stack, lines, vat, net, tax, net + tax)


def _amount(price: Decimal) -> str:
    """A unit price with at least two decimals and no trailing zeros beyond them."""
    shown = price.normalize()
    return f"{shown:f}" if shown.as_tuple().exponent < -2 else str(cents(shown))


def render_estimate(estimate: Estimate) -> str:
    """The lines as a table, then the net total, VAT and the gross total."""
    rows = [("item", "qty", "unit EUR", "month EUR", "resources")]
    for line in estimate.lines:
        rows.append(
            (
                line.item,
                f"{line.quantity.normalize():f}",
                _amount(line.unit_price),
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
    percent = cents(estimate.vat_rate * 100).normalize()
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
