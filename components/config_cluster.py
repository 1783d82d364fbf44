"""The rules of the cluster's settings, as plain functions returning problems.

Kept apart from `config_rules.py`: these only apply once `enableCluster` is on, and
some read several settings together (the pools against the network's addresses).
"""

import ipaddress
import re
from typing import Any

from components.config_rules import POOL_NAME_RE, Problem
from components.hetzner import layout

# The release every node installs unless the stack says otherwise. v1.35.5+k3s1 was
# k3s' stable channel in May 2026 (k3s-io/k3s#14091); Rancher 2.15 manages
# Kubernetes 1.34 to 1.36 (rancher/rancher#55306).
K3S_VERSION = "v1.35.5+k3s1"
RANCHER_KUBERNETES_MINORS = (34, 35, 36)
K3S_VERSION_RE = re.compile(r"^v1\.(\d+)\.(\d+)\+k3s(\d+)$")
SNAPSHOTS_OFF = "off"
# Every six hours, kept for a week.
SNAPSHOT_SCHEDULE = "0 */6 * * *"
SNAPSHOT_RETENTION = 28
# robfig/cron, which k3s schedules snapshots with: five fields, or a descriptor.
CRON_FIELD_RE = re.compile(r"^[0-9A-Za-z*/,?-]+$")
CRON_DESCRIPTORS = (
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
)


def k3s_version_problem(value: str) -> str | None:
    """Why `value` is not a k3s release Rancher 2.15 can manage, if it is not."""
    match = K3S_VERSION_RE.match(value)
    if match is None:
        return (
            f"'{value}' is not a k3s release: write it as k3s tags it, e.g. "
            f"{K3S_VERSION}"
        )
    minor = int(match.group(1))
    if minor not in RANCHER_KUBERNETES_MINORS:
        return (
            f"'{value}' is Kubernetes 1.{minor}, which Rancher 2.15 does not manage: "
            f"use a v1.34, v1.35 or v1.36 release, e.g. {K3S_VERSION}"
        )
    return None


def snapshot_schedule_problem(value: str) -> str | None:
    """Why `value` is neither a cron schedule nor `off`, if it is neither."""
    fields = value.split()
    if value in (SNAPSHOTS_OFF, *CRON_DESCRIPTORS):
        return None
    if len(fields) == 5 and all(CRON_FIELD_RE.match(f) for f in fields):
        return None
    return (
        f"'{value}' is not a cron schedule: write five fields, e.g. '0 */6 * * *' "
        f"(every six hours), or {SNAPSHOTS_OFF} to take no etcd snapshots"
    )


def snapshot_schedule(value: Any) -> Any:
    """The schedule as written, with a bare `off` that YAML read as false put back.

    YAML 1.1 readers (PyYAML, so the offline plan) read `off` unquoted as false,
    where the Pulumi CLI's YAML 1.2 keeps the word.
    """
    return SNAPSHOTS_OFF if value is False or value == "false" else value


def snapshots_problem(buckets: bool, schedule: Any) -> str | None:
    """Why the cluster's etcd snapshots have nowhere to go, if they have not."""
    if buckets or snapshot_schedule(schedule) == SNAPSHOTS_OFF:
        return None
    return (
        "enableCluster needs enableBuckets: etcd snapshots are uploaded to the "
        "backups bucket; set enableBuckets to true, or set etcdSnapshotSchedule to "
        f"{SNAPSHOTS_OFF} to take none"
    )


# Kubernetes namespace names are DNS labels (RFC 1123).
NAMESPACE_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
# Namespaces the cluster's add-ons own; the startup's images belong elsewhere.
# ClusterAddons checks the same rule, so a stack the configuration accepts is never
# refused later, mid-plan.
SYSTEM_NAMESPACES = (
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "cert-manager",
    "cattle-system",
    "traefik",
)
# Kubernetes reserves kube-*, and Rancher creates cattle-* namespaces of its own
# (cattle-fleet-system, cattle-impersonation-system…).
SYSTEM_NAMESPACE_PREFIXES = ("kube-", "cattle-")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def app_namespace_problems(names: list[str]) -> list[Problem]:
    """Why each of the startup's namespaces cannot be one, if it cannot."""
    problems: list[Problem] = []
    for index, name in enumerate(names):
        if not NAMESPACE_RE.match(name) or len(name) > 63:
            problems.append(
                (
                    (index,),
                    f"'{name}' is not a Kubernetes namespace name: use lowercase "
                    "letters, digits and dashes, at most 63, e.g. 'apps'",
                )
            )
        elif name in SYSTEM_NAMESPACES or name.startswith(SYSTEM_NAMESPACE_PREFIXES):
            problems.append(
                (
                    (index,),
                    f"'{name}' belongs to the cluster's own add-ons: pick a namespace "
                    "of your own, e.g. 'apps'",
                )
            )
    if len(set(names)) < len(names):
        problems.append(((), "lists a namespace twice: keep each once"))
    return problems


def email_problem(value: str) -> str | None:
    """Why `value` is not an e-mail address Let's Encrypt would take, if it is not."""
    if EMAIL_RE.match(value):
        return None
    return f"'{value}' is not an e-mail address: write it as name@example.eu"


def cluster_pool_problems(pools: Any, network_cidr: Any) -> list[Problem]:
    """Problems of the pools once they carry the cluster, read from raw values.

    The API is reached on the control-plane servers' public addresses, and every
    server needs a fixed private address in its pool's block.
    """
    if not isinstance(pools, dict):
        return []
    problems = []
    control_planes = sorted(
        str(name)
        for name, pool in pools.items()
        if isinstance(pool, dict) and pool.get("role") == "control-plane"
    )
    if len(control_planes) > 1:
        # The first control-plane server starts the cluster; a second pool whose
        # name sorted first would move that role and start a second, empty cluster.
        problems.append(
            (
                (),
                f"has {len(control_planes)} control-plane pools "
                f"({', '.join(control_planes)}): with enableCluster, keep one and "
                "set its count",
            )
        )
    for name, pool in pools.items():
        if not isinstance(pool, dict) or pool.get("role") != "control-plane":
            continue
        if pool.get("publicIpv4") is False:
            problems.append(
                (
                    (name, "publicIpv4"),
                    "is false, but the Kubernetes API is reached on the "
                    "control-plane servers' public IPv4: set it to true (the "
                    "firewall still admits only allowedKubeApiCidrs)",
                )
            )
    if _valid_network(network_cidr):
        problems += _address_problems(pools, network_cidr)
    return problems


def _valid_network(network_cidr: Any) -> bool:
    try:
        ipaddress.ip_network(str(network_cidr))
    except ValueError:
        return False
    return True


def _address_problems(pools: dict, network_cidr: str) -> list[Problem]:
    """Pools too large for their address block, and pools sharing a block."""
    problems = []
    capacity = layout.pool_capacity(network_cidr)
    owners: dict[int, str] = {}
    for name in sorted(str(n) for n in pools):
        pool = pools[name]
        count = pool.get("count") if isinstance(pool, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and count > capacity:
            problems.append(
                (
                    (name, "count"),
                    f"is {count}, more than the {capacity} private addresses a pool "
                    f"has in networkCidr {network_cidr}: use a larger networkCidr "
                    "(each pool takes 1/64 of its first half) or split the pool",
                )
            )
        block = layout.address_block(name)
        if block in owners:
            shared = layout.address_block_range(network_cidr, block)
            problems.append(
                (
                    (),
                    f"pools '{owners[block]}' and '{name}' would take private "
                    f"addresses from the same block {shared}: rename the newer one, "
                    f"e.g. '{name}' to '{_free_name(name, owners)}' (renaming a "
                    "pool replaces its servers)",
                )
            )
        else:
            owners[block] = name
    return problems


def _free_name(name: str, owners: dict[int, str]) -> str:
    """The first of name-2, name-3… whose block no pool has taken."""
    for suffix in range(2, 100):
        candidate = f"{name[:17]}-{suffix}"
        taken = layout.address_block(candidate) in owners
        if POOL_NAME_RE.match(candidate) and not taken:
            return candidate
    return f"{name[:17]}-x"
