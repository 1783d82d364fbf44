"""bunny.net storage zones, kept in the EU, as a Pulumi dynamic resource.

A storage zone lives in one main region and may be copied to replication regions.
souverain allows only bunny.net's EU regions, so that the files never leave the EU.
As with DNS and pull zones, the provider holds nothing; each method builds a
BunnyClient from the properties.
"""

import re
from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from components.bunny.client import CONNECTION, BunnyNotFoundError, client_for
from components.config_rules import EU_STORAGE_REGIONS
from components.text import one_of

# The spec's StorageZoneTier enum.
ZONE_TIERS = {0: "standard", 1: "edge"}
# The spec sets no rule beyond a non-empty name; souverain holds storage zone names
# to the same rule as pull zone names.
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,58}[a-z0-9]")


def _eu_only(region: Any) -> str | None:
    # The same rule the stack's settings are checked with, so both say the same.
    if region in EU_STORAGE_REGIONS:
        return None
    return (
        f"storage region '{region}' is outside the EU: use {one_of(EU_STORAGE_REGIONS)}"
    )


def problems(props: dict[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) for everything wrong with a storage zone's inputs."""
    found = []
    name = props.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        found.append(
            (
                "name",
                f"storage zone name '{name}' must be 3 to 60 lowercase letters, "
                "digits and dashes, starting and ending with a letter or digit",
            )
        )
    region = props.get("region")
    if not region:
        found.append(("region", "a storage zone needs a region: use DE or SE"))
    elif _eu_only(region):
        found.append(("region", _eu_only(region)))

    replicas = props.get("replication_regions") or []
    if not isinstance(replicas, list | tuple):
        found.append(("replication_regions", "replication_regions is a list"))
        replicas = []
    reasons, seen = [], set()
    for replica in replicas:
        if replica in seen:
            reasons.append(f"replication region '{replica}' is listed twice")
        elif replica == region:
            reasons.append(f"replication region '{replica}' is the main region")
        else:
            reasons.append(_eu_only(replica))
        seen.add(replica)
    if any(reasons):
        found.append(("replication_regions", "; ".join(r for r in reasons if r)))

    tier = props.get("zone_tier", 0)
    if isinstance(tier, bool) or tier not in ZONE_TIERS:
        found.append(
            ("zone_tier", f"zone_tier is 0 (standard) or 1 (edge), not {tier!r}")
        )
    return found


def normalized(props: dict[str, Any]) -> dict[str, Any]:
    """The managed fields of a storage zone in one comparable form."""
    return {
        "name": props.get("name"),
        "region": props.get("region"),
        # Where the copies are matters, not the order they were listed in.
        "replication_regions": sorted(props.get("replication_regions") or []),
        # Pulumi hands numbers to providers as floats.
        "zone_tier": int(props.get("zone_tier") or 0),
    }


class StorageZoneProvider(ResourceProvider):
    """A storage zone: its name, region and tier define it; replicas can be added."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure(prop, reason) for prop, reason in problems(news)]
        if failures:
            return CheckResult(news, failures)
        return CheckResult({**news, **normalized(news)}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = normalized(olds), normalized(news)
        # bunny.net cannot move a zone's files to another region or tier.
        replaces = [
            key for key in ("name", "region", "zone_tier") if old[key] != new[key]
        ]
        # The update model (StorageZoneSettingsModel) only lists the replication
        # zones to enable; nothing in it turns one off, so dropping a region takes a
        # new zone.
        if set(old["replication_regions"]) - set(new["replication_regions"]):
            replaces.append("replication_regions")
        changed = old["replication_regions"] != new["replication_regions"]
        changed |= any(olds.get(key) != news.get(key) for key in CONNECTION)
        return DiffResult(
            changes=bool(replaces) or changed,
            replaces=replaces,
            # The new zone keeps the name, which bunny.net allows once per account.
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        clean = normalized(props)
        body = {
            "Name": clean["name"],
            "Region": clean["region"],
            "ReplicationRegions": clean["replication_regions"],
            "ZoneTier": clean["zone_tier"],
        }
        zone = client_for(props).post("/storagezone", body)
        return CreateResult(str(zone["Id"]), _outputs(props, zone))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            zone = client_for(props).get(f"/storagezone/{id_}")
        except BunnyNotFoundError:
            return ReadResult("", {})
        if zone.get("Deleted"):
            return ReadResult("", {})  # bunny.net keeps deleted zones for a while
        return ReadResult(id_, _outputs(props, zone))

    def update(
        self, id_: str, _olds: dict[str, Any], news: dict[str, Any]
    ) -> UpdateResult:
        client = client_for(news)
        # diff replaces the zone when a region goes: here regions are only added.
        body = {"ReplicationZones": normalized(news)["replication_regions"]}
        client.post(f"/storagezone/{id_}", body)
        return UpdateResult(_outputs(news, client.get(f"/storagezone/{id_}")))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # bunny.net would also delete the pull zones serving this zone; those are
        # resources of their own, which Pulumi deletes (or keeps) itself.
        try:
            client_for(props).delete(
                f"/storagezone/{id_}", params={"deleteLinkedPullZones": False}
            )
        except BunnyNotFoundError:
            pass  # already gone


def _outputs(props: dict[str, Any], zone: dict[str, Any]) -> dict[str, Any]:
    return {
        **props,
        **normalized(
            {
                "name": zone.get("Name"),
                "region": zone.get("Region"),
                "replication_regions": zone.get("ReplicationRegions"),
                "zone_tier": zone.get("ZoneTier"),
            }
        ),
        "storage_zone_id": int(zone["Id"]),
        # As bunny.net answers it: the host of the Edge Storage API for this zone.
        "storage_hostname": zone.get("StorageHostname"),
    }


class StorageZone(pulumi.dynamic.Resource, module="bunny", name="StorageZone"):
    """A bunny.net storage zone in an EU region, with optional EU replicas."""

    storage_zone_id: pulumi.Output[int]
    storage_hostname: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        zone_name: str,
        region: str,
        access_key: pulumi.Input[str],
        api_url: str,
        *,
        replication_regions: list[str] | None = None,
        zone_tier: int = 0,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(
            StorageZoneProvider(),
            name,
            {
                "name": zone_name,
                "region": region,
                "replication_regions": list(replication_regions or []),
                "zone_tier": zone_tier,
                "access_key": pulumi.Output.secret(access_key),
                "api_url": api_url,
                "storage_zone_id": None,
                "storage_hostname": None,
            },
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["access_key"])
            ),
        )
