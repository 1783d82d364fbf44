"""Where a resource's data lives, read from its inputs, and why a place is refused.

Each kind of place has its own vocabulary: a Hetzner location (fsn1), datacenter
(fsn1-dc14) or network zone (eu-central), a Scaleway region (fr-par) or zone
(fr-par-1), a bunny.net storage region (DE), an S3 endpoint URL. `placements` lists
the places a resource's inputs name; each `Place` says where that is, in which
country, and, when it is not in the EU or cannot be told, what to write instead.
"""

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from components.config_rules import EU_STORAGE_REGIONS, SCALEWAY_EU_REGIONS
from components.hetzner.catalog import EU_COUNTRIES, load_catalog
from components.text import one_of
from souverain.jurisdictions import (
    HETZNER,
    LOCAL_STORE,
    SCALEWAY,
    Holder,
    kind_of,
    package_of,
)
from souverain.plan import UNKNOWN

SCALEWAY_COUNTRIES = {"fr-par": "FR", "nl-ams": "NL", "pl-waw": "PL"}
HETZNER_S3_HOST = re.compile(r"^([a-z0-9]+)\.your-objectstorage\.com$")
SCALEWAY_S3_HOST = re.compile(r"^s3\.([a-z]{2}-[a-z]{3})\.scw\.cloud$")
# Inputs naming a place, per hcloud type: (input, kind). The first one set decides.
HCLOUD_PLACES = {
    "index/server:Server": (("location", "location"), ("datacenter", "datacenter")),
    "index/loadBalancer:LoadBalancer": (
        ("location", "location"),
        ("networkZone", "network zone"),
    ),
    "index/primaryIp:PrimaryIp": (
        ("location", "location"),
        ("datacenter", "datacenter"),
    ),
    "index/volume:Volume": (("location", "location"),),
    "index/floatingIp:FloatingIp": (("homeLocation", "location"),),
    "index/networkSubnet:NetworkSubnet": (("networkZone", "network zone"),),
}
# Attached to a server by id, these follow it: the server's own location is checked.
FOLLOWS_SERVER = {"serverId", "assigneeId"}
# Scaleway services that are not regional: IAM and the account live at the
# organisation, held by Scaleway in France.
SCALEWAY_GLOBAL_MODULES = ("iam/", "account/")


@dataclass(frozen=True)
class Place:
    """One place a resource's data is kept, as its inputs name it."""

    text: str
    """Where, as a report shows it, e.g. 'fsn1 (Falkenstein, DE)'."""
    countries: tuple[str, ...] = ()
    """ISO codes of the countries it is in; empty when no one country."""
    problem: str | None = None
    """Why the place is refused and what to write instead; None when it is fine."""
    holder: Holder | None = None
    """Who runs the place, when the place decides it (an S3 endpoint)."""


def hetzner_location(value: Any, what: str = "location") -> Place:
    """A Hetzner location such as fsn1."""
    catalog = load_catalog()
    eu = one_of(catalog.eu_locations())
    if value == UNKNOWN:
        return Place(
            f"{what} known after apply",
            problem=f"{what} is only known after apply; set it to {eu}",
        )
    location = catalog.locations.get(value) if isinstance(value, str) else None
    if location is None:
        return Place(
            str(value),
            problem=f"{what} '{value}' is not a Hetzner location; use {eu}",
        )
    text = f"{value} ({location.city}, {location.country})"
    if not location.in_eu:
        return Place(
            text, (location.country,), f"{what} '{value}' is outside the EU; use {eu}"
        )
    return Place(text, (location.country,))


def hetzner_datacenter(value: Any) -> Place:
    """A Hetzner datacenter such as fsn1-dc14, in the location before '-dc'."""
    if value == UNKNOWN or not isinstance(value, str) or "-dc" not in value:
        return hetzner_location(value, "datacenter")
    place = hetzner_location(value.split("-dc", 1)[0])
    if place.problem is None:
        return Place(f"{value}, {place.text}", place.countries)
    eu = one_of(load_catalog().eu_locations())
    where = "is outside the EU" if place.countries else "is not Hetzner's"
    return Place(
        value,
        place.countries,
        f"datacenter '{value}' {where}; use one in {eu}, e.g. fsn1-dc14",
    )


def hetzner_network_zone(value: Any) -> Place:
    """A Hetzner network zone such as eu-central: the EU ones hold only EU locations."""
    catalog = load_catalog()
    zones: dict[str, set[str]] = {}
    for location in catalog.locations.values():
        zones.setdefault(location.network_zone, set()).add(location.country)
    eu = one_of(sorted(z for z, c in zones.items() if c <= EU_COUNTRIES))
    if value == UNKNOWN:
        return Place(
            "network zone known after apply",
            problem=f"network zone is only known after apply; set it to {eu}",
        )
    countries = tuple(sorted(zones.get(value, ()))) if isinstance(value, str) else ()
    text = f"network zone {value} ({', '.join(countries)})" if countries else str(value)
    if not countries:
        return Place(text, problem=f"network zone '{value}' is not Hetzner's; use {eu}")
    # A zone spans several locations, so it names no one country: the report's
    # countries come from the locations themselves.
    if not set(countries) <= EU_COUNTRIES:
        return Place(
            text, problem=f"network zone '{value}' is outside the EU; use {eu}"
        )
    return Place(text)


def scaleway_region(value: Any, what: str = "region") -> Place:
    """A Scaleway region (fr-par) or zone (fr-par-1, whose region is fr-par)."""
    eu = one_of(SCALEWAY_EU_REGIONS)
    if value == UNKNOWN:
        return Place(
            f"{what} known after apply",
            problem=f"{what} is only known after apply; set it to {eu}",
        )
    region = str(value)
    if what == "zone":
        region = region.rsplit("-", 1)[0]
    country = SCALEWAY_COUNTRIES.get(region)
    if country is None:
        fix = f"a zone of {eu}, e.g. fr-par-1" if what == "zone" else eu
        return Place(
            str(value),
            problem=f"{what} '{value}' is not an EU Scaleway region; use {fix}",
        )
    return Place(f"{value} ({country})", (country,))


def bunny_storage_region(value: Any, what: str = "storage region") -> Place:
    """A bunny.net storage region code such as DE (Falkenstein)."""
    eu = one_of(list(EU_STORAGE_REGIONS))
    if isinstance(value, str) and value in EU_STORAGE_REGIONS:
        # bunny.net names its EU storage regions by their countries' codes.
        return Place(f"{value} ({EU_STORAGE_REGIONS[value]}, {value})", (value,))
    if value == UNKNOWN:
        return Place(
            f"{what} known after apply",
            problem=f"{what} is only known after apply; set it to {eu}",
        )
    return Place(str(value), problem=f"{what} '{value}' is outside the EU; use {eu}")


def s3_endpoint(value: Any, what: str = "endpoint") -> Place:
    """An S3 endpoint: Hetzner or Scaleway Object Storage in the EU, or loopback."""
    fix = (
        f"use Hetzner Object Storage (https://<{'|'.join(load_catalog().eu_locations())}>"
        ".your-objectstorage.com) or Scaleway's (https://s3.fr-par.scw.cloud)"
    )
    if value == UNKNOWN:
        return Place(
            f"{what} known after apply",
            problem=f"{what} is only known after apply; {fix}",
        )
    text = str(value)
    # An endpoint may come bare, as host and port (the Pulumi CLI's s3 URLs).
    host = urlsplit(text if "://" in text else f"//{text}").hostname or ""
    hetzner = HETZNER_S3_HOST.match(host)
    scaleway = SCALEWAY_S3_HOST.match(host)
    known = None
    if hetzner:
        known = (hetzner_location(hetzner.group(1)), HETZNER)
    elif scaleway:
        known = (scaleway_region(scaleway.group(1)), SCALEWAY)
    if known is not None:
        place, holder = known
        problem = place.problem and f"{what} '{text}' is outside the EU; {fix}"
        return Place(f"{place.text} Object Storage", place.countries, problem, holder)
    if _is_loopback(host):
        # A store on the machine that runs Pulumi (a test's S3 server, a local
        # MinIO): the data never leaves it.
        return Place(f"this machine ({host})", holder=LOCAL_STORE)
    return Place(
        text,
        problem=f"{what} '{text}' is not an Object Storage known to be in the EU; "
        + fix,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def placements(type_token: str, inputs: Mapping[str, Any]) -> list[Place]:
    """The places a resource's inputs name, in the order of its inputs."""
    package, kind = package_of(type_token), kind_of(type_token)
    if package == "hcloud":
        return _hcloud_places(kind, inputs)
    if package == "scaleway":
        return _scaleway_places(kind, inputs)
    if package == "bunny" and kind == "bunny:StorageZone":
        replicas = inputs.get("replication_regions") or []
        if not isinstance(replicas, list):
            replicas = [replicas]  # UNKNOWN, refused as one region
        return [bunny_storage_region(inputs.get("region"))] + [
            bunny_storage_region(r, "replication region") for r in replicas
        ]
    if package == "s3" and kind == "s3:Bucket":
        return [s3_endpoint(inputs.get("endpoint"))]
    if package == "kubernetes":
        # A CloudNativePG object store: the databases' backups go to its endpoint.
        spec = inputs.get("spec")
        configuration = spec.get("configuration") if isinstance(spec, Mapping) else None
        if isinstance(configuration, Mapping) and "endpointURL" in configuration:
            return [s3_endpoint(configuration["endpointURL"], "endpointURL")]
    return []


def _hcloud_places(kind: str, inputs: Mapping[str, Any]) -> list[Place]:
    fields = HCLOUD_PLACES.get(kind)
    if fields is None:
        return []
    for field, what in fields:
        if inputs.get(field) is not None:
            value = inputs[field]
            if what == "location":
                return [hetzner_location(value, field)]
            if what == "datacenter":
                return [hetzner_datacenter(value)]
            return [hetzner_network_zone(value)]
    if FOLLOWS_SERVER & set(inputs):
        return []
    eu = one_of(load_catalog().eu_locations())
    first = fields[0][0]
    return [
        Place(
            "a location Hetzner picks",
            problem=f"no {first} is set, so Hetzner picks one, possibly outside the "
            f"EU; set {first} to {eu}",
        )
    ]


def _scaleway_places(kind: str, inputs: Mapping[str, Any]) -> list[Place]:
    if kind.startswith(SCALEWAY_GLOBAL_MODULES):
        return [Place("Scaleway's organisation (FR)", ("FR",))]
    if inputs.get("region") is not None:
        return [scaleway_region(inputs["region"])]
    if inputs.get("zone") is not None:
        return [scaleway_region(inputs["zone"], "zone")]
    eu = one_of(SCALEWAY_EU_REGIONS)
    return [
        Place(
            "the provider's region",
            problem=f"no region or zone is set, so it follows the provider's "
            f"settings; set region to {eu}",
        )
    ]
