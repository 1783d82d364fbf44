"""The shape every price file must have, checked before a single price is used.

A hand-edited `prices.json` (or one passed with --prices) that lacks a section, a
source or a date, or holds a negative or non-numeric amount, is refused with the
path of each bad value, instead of failing halfway through an estimate.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Amount = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
"""A price or quantity: a decimal, zero or more (JSON strings keep every digit)."""


class _Entry(BaseModel):
    """Every priced entry says where its figures come from and when."""

    model_config = ConfigDict(extra="allow")

    source: Annotated[str, Field(min_length=1)]
    as_of: dt.date
    note: str | None = None


class PerLocation(_Entry):
    monthly: dict[str, Amount]
    included_traffic_tb: dict[str, Amount] = {}
    traffic_per_tb: dict[str, Amount] = {}


class ObjectStorage(_Entry):
    base_monthly: Amount
    included_storage_tb: Amount
    included_traffic_tb: Amount
    storage_per_tb_month: Amount
    traffic_per_tb: Amount


class UnitPrice(_Entry):
    price: Amount


class Emails(UnitPrice):
    free_emails_per_month: Annotated[int, Field(ge=0)]


class Hetzner(BaseModel):
    server_types: dict[str, PerLocation]
    load_balancer_types: dict[str, PerLocation]
    primary_ipv4: PerLocation
    floating_ipv4: PerLocation
    floating_ipv6: PerLocation
    object_storage: ObjectStorage
    volume_per_gb_month: UnitPrice


class Scaleway(BaseModel):
    registry_storage_per_gb_month: UnitPrice
    tem_per_1000_emails: Emails


class CdnTraffic(_Entry):
    currency: Literal["USD"]
    europe: Amount


class EdgeStorage(_Entry):
    currency: Literal["USD"]
    regions: dict[str, Amount]


class Bunny(BaseModel):
    cdn_traffic_per_gb: CdnTraffic
    storage_per_gb_month: EdgeStorage


class Vat(_Entry):
    default_rate: Annotated[Decimal, Field(ge=0, lt=1, allow_inf_nan=False)]


class Rate(_Entry):
    rate: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]


class PriceData(BaseModel):
    """The whole price file."""

    vat: Vat
    usd_in_eur: Rate
    hetzner: Hetzner
    scaleway: Scaleway
    bunny: Bunny


def price_data_problems(document: Any) -> list[str]:
    """Each problem of a price document as `path: what is wrong`; none when valid."""
    try:
        PriceData.model_validate(document)
    except ValidationError as err:
        return [
            f"{'.'.join(str(part) for part in problem['loc']) or '(top)'}: "
            f"{problem['msg'].lower()}"
            for problem in err.errors()
        ]
    return []
