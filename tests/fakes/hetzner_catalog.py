"""What the fake Hetzner API offers: locations, server types, images, load balancer
types and their prices, and the handlers that list them.

The default catalogue is the project's own (components/hetzner/server_types.json),
so the fake offers what the stack may ask for. That file carries no prices, so the
fake uses round prices of its own (`MONTHLY_NET_PER_CORE` and the tables below),
never Hetzner's: tests need stable numbers, not a price list to keep up to date.
"""

import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.fakes.hetzner_contract import Body, Call, invalid_input, not_found
from tests.fakes.hetzner_listing import page

CATALOG_FILE = Path(__file__).parents[2] / "components/hetzner/server_types.json"
# Ids and coordinates of the locations: the file keeps neither.
LOCATIONS = {
    "fsn1": (1, 50.47612, 12.370071),
    "nbg1": (2, 49.452102, 11.076665),
    "hel1": (3, 60.169855, 24.938379),
    "ash": (4, 39.045821, -77.487073),
    "hil": (5, 45.54222, -122.951924),
    "sin": (6, 1.283333, 103.833333),
}
# The fake's prices in EUR per month before VAT.
MONTHLY_NET_PER_CORE = {"cx": "1.25", "cpx": "2.00", "cax": "1.50", "ccx": "6.00"}
LOAD_BALANCER_TYPES = {
    # name: (id, max connections, services, targets, certificates, monthly net)
    "lb11": (1, 10000, 5, 25, 10, "6.00"),
    "lb21": (2, 20000, 15, 75, 25, "18.00"),
    "lb31": (3, 40000, 30, 150, 50, "36.00"),
}
PRIMARY_IP_MONTHLY_NET = {"ipv4": "0.50", "ipv6": "0.00"}
VAT_RATE = Decimal("19.00")
HOURS_PER_MONTH = 730
# 20 TB of traffic a month comes with every server and load balancer.
INCLUDED_TRAFFIC = 20 * 2**40
# System images by name: the OS flavour and version, offered for both architectures;
# x86 ids start at 101, arm ids at 201.
SYSTEM_IMAGES = {
    "ubuntu-22.04": ("ubuntu", "22.04", "Ubuntu 22.04"),
    "ubuntu-24.04": ("ubuntu", "24.04", "Ubuntu 24.04"),
    "debian-12": ("debian", "12", "Debian 12"),
    "debian-13": ("debian", "13", "Debian 13"),
}
IMAGES_CREATED = "2024-04-25T00:00:00+00:00"


def api_deprecation(announced: str, unavailable_after: str) -> Body:
    """A deprecation as the API writes one, dates such as 2026-01-01T00:00:00Z."""
    return {"announced": announced, "unavailable_after": unavailable_after}


def api_location(
    location_id: int,
    name: str,
    *,
    city: str,
    country: str,
    network_zone: str,
    description: str,
    latitude: float = 0.0,
    longitude: float = 0.0,
) -> Body:
    """A location as GET /locations lists it."""
    return {
        "id": location_id,
        "name": name,
        "description": description,
        "country": country,
        "city": city,
        "latitude": latitude,
        "longitude": longitude,
        "network_zone": network_zone,
    }


def api_price(location: str, monthly_net: str) -> Body:
    """The price of one thing in one location, from its monthly price before VAT."""
    monthly = Decimal(monthly_net)
    hourly = monthly / HOURS_PER_MONTH
    return {
        "location": location,
        "price_hourly": _amount(hourly),
        "price_monthly": _amount(monthly),
        "included_traffic": INCLUDED_TRAFFIC,
        "price_per_tb_traffic": _amount(Decimal("1.00")),
    }


def _amount(net: Decimal) -> Body:
    gross = net * (1 + VAT_RATE / 100)
    return {"net": f"{net:.4f}", "gross": f"{gross:.4f}"}


def api_server_type(
    server_type_id: int,
    name: str,
    *,
    cores: int,
    memory: float,
    disk: float,
    cpu_type: str,
    architecture: str,
    locations: Iterable[Body],
    deprecations: dict[str, Body] | None = None,
    monthly_net: str = "7.30",
    now: str | None = None,
) -> Body:
    """A server type as GET /server_types lists it, offered in `locations`.

    `deprecations` maps a location name to its deprecation (see `api_deprecation`);
    past `now`, the type is no longer available there.
    """
    deprecations = deprecations or {}
    locations = list(locations)
    return {
        "id": server_type_id,
        "name": name,
        "description": name.upper(),
        "cores": cores,
        "memory": memory,
        "disk": disk,
        # The type-wide fields only serve old clients since deprecation became per
        # location (changelog of 2025-09-24).
        "deprecated": False,
        "deprecation": None,
        "prices": [api_price(location["name"], monthly_net) for location in locations],
        "storage_type": "local",
        "cpu_type": cpu_type,
        "architecture": architecture,
        "locations": [
            {
                "id": location["id"],
                "name": location["name"],
                "deprecation": deprecations.get(location["name"]),
                "available": _available(deprecations.get(location["name"]), now),
                "recommended": False,
            }
            for location in locations
        ],
    }


def _available(deprecation: Body | None, now: str | None) -> bool:
    return deprecation is None or now is None or deprecation["unavailable_after"] > now


def api_image(image_id: int, name: str, architecture: str) -> Body:
    """A system image as GET /images lists it."""
    flavor, version, description = SYSTEM_IMAGES[name]
    return {
        "id": image_id,
        "type": "system",
        "status": "available",
        "name": name,
        "description": description,
        "image_size": None,
        "disk_size": 5,
        "created": IMAGES_CREATED,
        "created_from": None,
        "bound_to": None,
        "os_flavor": flavor,
        "os_version": version,
        "rapid_deploy": True,
        "protection": {"delete": False},
        "deprecated": None,
        "deleted": None,
        "labels": {},
        "architecture": architecture,
    }


def api_load_balancer_type(name: str, locations: Iterable[Body]) -> Body:
    """A load balancer type as GET /load_balancer_types lists it."""
    type_id, connections, services, targets, certificates, monthly = (
        LOAD_BALANCER_TYPES[name]
    )
    return {
        "id": type_id,
        "name": name,
        "description": name.upper(),
        "max_connections": connections,
        "max_services": services,
        "max_targets": targets,
        "max_assigned_certificates": certificates,
        "deprecated": None,
        "deprecation": None,
        "prices": [api_price(location["name"], monthly) for location in locations],
    }


def default_catalog(now: str, catalog_file: Path = CATALOG_FILE) -> dict[str, Any]:
    """The catalogue of `catalog_file`, with the fake's images, types and prices."""
    document = json.loads(catalog_file.read_text(encoding="utf-8"))
    locations = []
    for name, fields in document["locations"].items():
        location_id, latitude, longitude = LOCATIONS[name]
        locations.append(
            api_location(
                location_id, name, latitude=latitude, longitude=longitude, **fields
            )
        )
    locations.sort(key=lambda location: location["id"])
    by_name = {location["name"]: location for location in locations}

    server_types = []
    for number, (name, fields) in enumerate(document["server_types"].items(), 1):
        family = name.rstrip("0123456789")
        monthly = Decimal(MONTHLY_NET_PER_CORE[family]) * fields["cores"]
        offered = fields["locations"]
        server_type = api_server_type(
            number,
            name,
            cores=fields["cores"],
            memory=fields["memory_gb"],
            disk=fields["disk_gb"],
            cpu_type=fields["cpu_type"],
            architecture=fields["architecture"],
            locations=[by_name[location] for location in offered],
            deprecations={key: value["deprecation"] for key, value in offered.items()},
            monthly_net=f"{monthly:.2f}",
            now=now,
        )
        server_type["description"] = fields["description"]
        server_types.append(server_type)

    images = [
        api_image(base + number, name, architecture)
        for base, architecture in ((100, "x86"), (200, "arm"))
        for number, name in enumerate(SYSTEM_IMAGES, 1)
    ]
    eu = [
        location for location in locations if location["network_zone"] == "eu-central"
    ]
    balancer_types = [api_load_balancer_type(name, eu) for name in LOAD_BALANCER_TYPES]
    return {
        "locations": locations,
        "server_types": server_types,
        "images": images,
        "load_balancer_types": balancer_types,
    }


def pricing(catalog: dict[str, Any]) -> Body:
    """GET /pricing for `catalog`, with the fake's own prices for the rest."""
    names = [location["name"] for location in catalog["locations"]]
    per_gb = _amount(Decimal("0.0500"))
    return {
        "currency": "EUR",
        "vat_rate": f"{VAT_RATE:.2f}",
        "primary_ips": [
            {
                "type": kind,
                "prices": [
                    {
                        key: price[key]
                        for key in ("location", "price_hourly", "price_monthly")
                    }
                    for price in (api_price(name, monthly) for name in names)
                ],
            }
            for kind, monthly in PRIMARY_IP_MONTHLY_NET.items()
        ],
        "floating_ips": [
            {
                "type": kind,
                "prices": [
                    {"location": name, "price_monthly": _amount(Decimal(monthly))}
                    for name in names
                ],
            }
            for kind, monthly in PRIMARY_IP_MONTHLY_NET.items()
        ],
        "floating_ip": {"price_monthly": _amount(Decimal("0.50"))},
        "image": {"price_per_gb_month": per_gb},
        "volume": {"price_per_gb_month": per_gb},
        "server_backup": {"percentage": "20.00"},
        "server_types": [
            {"id": item["id"], "name": item["name"], "prices": item["prices"]}
            for item in catalog["server_types"]
        ],
        "load_balancer_types": [
            {"id": item["id"], "name": item["name"], "prices": item["prices"]}
            for item in catalog["load_balancer_types"]
        ],
    }


def lookup(catalog: dict[str, Any], key: str, id_or_name: Any, field: str) -> Body:
    """The catalogue entry with this id or name; `invalid_input` on `field` if none."""
    for item in catalog[key]:
        if str(id_or_name) in (str(item["id"]), item["name"]):
            return item
    raise invalid_input({field: [f"{id_or_name} does not exist"]})


class CatalogRoutes:
    """Handlers for the read-only catalogue endpoints."""

    def __init__(self, state: Any):
        self.state = state

    def routes(self) -> dict[tuple[str, str], Any]:
        """The handler of each operation served, by (path template, method)."""
        routes = {("/pricing", "get"): lambda call: (200, {"pricing": self._pricing()})}
        for key, singular in (
            ("locations", "location"),
            ("server_types", "server_type"),
            ("images", "image"),
            ("load_balancer_types", "load_balancer_type"),
        ):
            routes[(f"/{key}", "get")] = self._list(key)
            routes[(f"/{key}/{{id}}", "get")] = self._get(key, singular)
        return routes

    def _pricing(self) -> Body:
        return pricing(self.state.catalog)

    def _list(self, key: str) -> Any:
        def handler(call: Call) -> tuple[int, Body]:
            items = self.state.catalog[key]
            if key == "images" and not call.params.get("include_deprecated"):
                items = [image for image in items if image["deprecated"] is None]
            return 200, page(key, items, call.params, self.state.max_per_page)

        return handler

    def _get(self, key: str, singular: str) -> Any:
        def handler(call: Call) -> tuple[int, Body]:
            for item in self.state.catalog[key]:
                if item["id"] == call.params["id"]:
                    return 200, {singular: item}
            raise not_found(singular, call.params["id"])

        return handler
