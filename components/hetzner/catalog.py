"""Hetzner's locations and server types, read from the data file beside this module.

The data lives in `server_types.json`, dated by its `as_of` field. `souverain catalog
refresh` rebuilds it from the Cloud API; everything here only reads it.
"""

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path

CATALOG_FILE = Path(__file__).with_name("server_types.json")

# ISO 3166-1 codes of the 27 EU member states: a location counts as European only when
# its country is one of them, so a new Hetzner site is classified without a code change.
_EU_MEMBER_STATES = (
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO"
)
EU_COUNTRIES = frozenset((_EU_MEMBER_STATES + " SE SI SK").split())


@dataclass(frozen=True)
class Location:
    """A Hetzner location such as fsn1, with the network zone of its networks."""

    name: str
    city: str
    country: str
    network_zone: str

    @property
    def in_eu(self) -> bool:
        """True when the location's country is an EU member state."""
        return self.country in EU_COUNTRIES


@dataclass(frozen=True)
class ServerType:
    """One Hetzner server type and, per location, the date it stops being offered."""

    name: str
    cores: int
    memory_gb: float
    disk_gb: int
    architecture: str
    cpu_type: str
    unavailable_after: dict[str, dt.date | None]

    def offered_in(self, location: str, today: dt.date) -> bool:
        """True when a new server of this type can be created in `location` today."""
        if location not in self.unavailable_after:
            return False
        last_day = self.unavailable_after[location]
        return last_day is None or today < last_day

    def retired_in(self, location: str, today: dt.date) -> dt.date | None:
        """The date this type stopped being offered in `location`, if it has."""
        last_day = self.unavailable_after.get(location)
        if last_day is not None and today >= last_day:
            return last_day
        return None


@dataclass(frozen=True)
class Catalog:
    """The locations and server types, as of the date the data was compiled."""

    as_of: str
    source: str
    locations: dict[str, Location]
    server_types: dict[str, ServerType]

    def eu_locations(self) -> list[str]:
        """Names of the EU locations, sorted."""
        return sorted(name for name, loc in self.locations.items() if loc.in_eu)

    def types_offered_in(self, location: str, today: dt.date) -> list[str]:
        """Names of the server types a new server can use in `location` today."""
        return sorted(
            name
            for name, server_type in self.server_types.items()
            if server_type.offered_in(location, today)
        )


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    return dt.datetime.fromisoformat(value).date()


def parse_catalog(data: dict) -> Catalog:
    """Build a Catalog from the JSON layout that `server_types.json` uses."""
    locations = {
        name: Location(name, loc["city"], loc["country"], loc["network_zone"])
        for name, loc in data["locations"].items()
    }
    server_types = {}
    for name, entry in data["server_types"].items():
        unavailable_after = {}
        for location, details in entry["locations"].items():
            deprecation = details.get("deprecation") or {}
            unavailable_after[location] = _parse_date(
                deprecation.get("unavailable_after")
            )
        server_types[name] = ServerType(
            name=name,
            cores=entry["cores"],
            memory_gb=entry["memory_gb"],
            disk_gb=entry["disk_gb"],
            architecture=entry["architecture"],
            cpu_type=entry["cpu_type"],
            unavailable_after=unavailable_after,
        )
    return Catalog(data["as_of"], data["source"], locations, server_types)


@functools.cache
def load_catalog() -> Catalog:
    """The catalogue shipped with souverain (read once per process)."""
    return parse_catalog(json.loads(CATALOG_FILE.read_text()))
