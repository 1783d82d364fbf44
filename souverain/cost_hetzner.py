"""Hetzner's part of a stack's monthly cost: servers, load balancers, addresses,
Object Storage and volumes, from the `hetzner` section of the price data."""

from decimal import Decimal
from typing import Any

from components.errors import SouverainError
from souverain.cost_model import CostLine, Usage, price_of, priced_line
from souverain.cost_volumes import volume_claims
from souverain.plan import UNKNOWN, Plan, PlannedResource
from souverain.prices import PRICES_FIX

SERVER = "hcloud:index/server:Server"
LOAD_BALANCER = "hcloud:index/loadBalancer:LoadBalancer"
PRIMARY_IP = "hcloud:index/primaryIp:PrimaryIp"
FLOATING_IP = "hcloud:index/floatingIp:FloatingIp"
VOLUME = "hcloud:index/volume:Volume"
BUCKET = "pulumi-python:dynamic/s3:Bucket"


def location_of(resource: PlannedResource) -> str:
    """The location a resource is billed in: its own, its data centre's, its home's.

    A data centre's name starts with its location (`fsn1-dc14`); a resource placed
    only by network zone has no location to price, and shows as unknown.
    """
    inputs = resource.inputs
    for key in ("location", "homeLocation"):
        if isinstance(inputs.get(key), str) and inputs[key] != UNKNOWN:
            return inputs[key]
    datacenter = inputs.get("datacenter")
    if isinstance(datacenter, str) and "-" in datacenter:
        return datacenter.split("-", 1)[0]
    return UNKNOWN


def _by_location(
    resources: list[PlannedResource], key: str | None = None
) -> dict[tuple[str, str], list[str]]:
    """Resource names grouped by (the input `key`, their location), sorted."""
    groups: dict[tuple[str, str], list[str]] = {}
    for resource in resources:
        kind = str(resource.inputs.get(key, UNKNOWN)) if key else ""
        groups.setdefault((kind, location_of(resource)), []).append(resource.name)
    return dict(sorted(groups.items()))


def hetzner_price(
    table: dict[str, Any], kind: str, name: str, location: str, users: list[str]
) -> tuple[Decimal, dict[str, Any]]:
    """The monthly price of `name` in `location`, or an error naming what lacks one."""
    used_by = ", ".join(users)
    entry = table.get(name)
    if entry is None:
        raise SouverainError(
            f"the {kind} '{name}' (used by {used_by}) has no price in the price "
            f"data; {PRICES_FIX}"
        )
    monthly = entry["monthly"]
    if location not in monthly:
        priced = ", ".join(sorted(monthly))
        raise SouverainError(
            f"the {kind} '{name}' has no price in location '{location}' (used by "
            f"{used_by}): souverain prices Hetzner's EU locations ({priced}); give "
            f"it one of them, or {PRICES_FIX}"
        )
    return price_of(monthly, location, f"the {kind} '{name}' in {location}"), entry


def gets_own_ipv4(server: PlannedResource) -> bool:
    """A server with public IPv4 but no primary IP of ours gets one from Hetzner."""
    nets = server.inputs.get("publicNets") or [{}]
    return any(
        net.get("ipv4Enabled", True) and "ipv4" not in net
        for net in nets
        if isinstance(net, dict)
    )


def _counted(
    table: dict[str, Any],
    what: str,
    label: str,
    groups: dict[tuple[str, str], list[str]],
) -> list[CostLine]:
    """One line per (type, location) group, priced per resource from `table`.

    `label` names the type in an error, e.g. "server type".
    """
    lines = []
    for (kind, location), names in groups.items():
        price, entry = hetzner_price(table, label, kind, location, names)
        item = f"{what} {kind} in {location}"
        lines.append(priced_line(item, names, Decimal(len(names)), price, entry))
    return lines


def _address_lines(plan: Plan, hetzner: dict[str, Any]) -> list[CostLine]:
    """Primary IPv4s (declared, or made for a server without one) and floating IPs."""
    ipv4s = [r for r in plan.of_type(PRIMARY_IP) if r.inputs.get("type") == "ipv4"]
    ipv4s += [s for s in plan.of_type(SERVER) if gets_own_ipv4(s)]
    table = {"IPv4": hetzner["primary_ipv4"]}
    groups = {
        ("IPv4", where): names for (_, where), names in _by_location(ipv4s).items()
    }
    lines = _counted(table, "primary", "address", groups)

    table = {"IPv4": hetzner["floating_ipv4"], "IPv6": hetzner["floating_ipv6"]}
    groups = {
        (kind.replace("ip", "IP"), where): names
        for (kind, where), names in _by_location(
            plan.of_type(FLOATING_IP), "type"
        ).items()
    }
    return lines + _counted(table, "floating", "floating address", groups)


def _object_storage_lines(
    plan: Plan, hetzner: dict[str, Any], usage: Usage
) -> list[CostLine]:
    """The base price once per project with a bucket, then storage beyond it."""
    buckets = [r.name for r in plan.of_type(BUCKET)]
    if not buckets:
        return []
    entry = hetzner["object_storage"]
    price = price_of(entry, "base_monthly", "Object Storage")
    assumption = (
        f"within the {entry['included_storage_tb']} TB of storage and "
        f"{entry['included_traffic_tb']} TB of traffic the base price includes"
    )
    item = "Object Storage base"
    lines = [priced_line(item, buckets, Decimal(1), price, entry, assumption)]
    beyond = usage.object_storage_tb - Decimal(entry["included_storage_tb"])
    if beyond > 0:
        price = price_of(entry, "storage_per_tb_month", "Object Storage storage")
        assumption = f"{usage.object_storage_tb} TB stored in all buckets"
        item = "Object Storage beyond the included, TB"
        lines.append(priced_line(item, buckets, beyond, price, entry, assumption))
    return lines


def _volume_size(volume: PlannedResource) -> int:
    size = volume.inputs.get("size")
    if isinstance(size, int | float) and size > 0:
        return int(size)
    raise SouverainError(
        f"the volume {volume.name} has no size in GB the plan can read ({size!r}), "
        "so it cannot be priced; give it a whole number of GB as `size`"
    )


def _volume_lines(plan: Plan, hetzner: dict[str, Any]) -> list[CostLine]:
    """Declared volumes, and those the cluster's CSI driver makes for its claims."""
    claims = volume_claims(plan)
    declared = plan.of_type(VOLUME)
    if not claims and not declared:
        return []
    entry = hetzner["volume_per_gb_month"]
    price = price_of(entry, "price", "Hetzner volumes")
    size = sum(claim.size_gb for claim in claims)
    size += sum(_volume_size(volume) for volume in declared)
    names = sorted({claim.resource for claim in claims} | {v.name for v in declared})
    assumption = f"{len(claims) + len(declared)} volumes"
    if claims:
        assumption += f", {len(claims)} made by the cluster's CSI driver for its claims"
    item = "volumes, GB"
    return [priced_line(item, names, Decimal(size), price, entry, assumption)]


def hetzner_lines(plan: Plan, hetzner: dict[str, Any], usage: Usage) -> list[CostLine]:
    """Every Hetzner line of `plan`'s cost, servers first."""
    servers = _by_location(plan.of_type(SERVER), "serverType")
    balancers = _by_location(plan.of_type(LOAD_BALANCER), "loadBalancerType")
    return [
        *_counted(hetzner["server_types"], "server", "server type", servers),
        *_counted(
            hetzner["load_balancer_types"],
            "load balancer",
            "load balancer type",
            balancers,
        ),
        *_address_lines(plan, hetzner),
        *_object_storage_lines(plan, hetzner, usage),
        *_volume_lines(plan, hetzner),
    ]
