"""The pieces of a cost estimate: assumed use, priced lines, totals, and rounding.

Every amount is a `Decimal` in EUR, never a float; a line is rounded to the cent
before lines are added, as an invoice would.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from components.errors import SouverainError
from souverain.prices import PRICES_FIX

CENT = Decimal("0.01")


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


def vat_percent(rate: Decimal) -> str:
    """A VAT rate as a percentage without exponent or trailing zeros: 19, 20, 7.7."""
    return f"{(rate * 100).normalize():f}"


def unit_amount(price: Decimal) -> str:
    """A unit price with at least two decimals and no trailing zeros beyond them."""
    shown = price.normalize()
    return f"{shown:f}" if shown.as_tuple().exponent < -2 else str(cents(shown))


def price_of(entry: dict[str, Any], key: str, what: str) -> Decimal:
    """The price `key` of a price-data entry; an error naming `what` lacks it."""
    try:
        return Decimal(str(entry[key]))
    except (KeyError, InvalidOperation):
        raise SouverainError(
            f"{what} has no valid price '{key}'; {PRICES_FIX}"
        ) from None


def priced_line(
    item: str,
    names: list[str],
    quantity: Decimal,
    unit_price: Decimal,
    entry: dict[str, Any],
    assumption: str | None = None,
) -> CostLine:
    """A line of `quantity` at `unit_price`, with the source of `entry`."""
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
