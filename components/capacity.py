"""Whether the node pools can hold the self-hosted tools, before anything is declared.

The scheduler places a pod only where its requests fit; a stack whose tools ask for
more than its servers offer would deploy, then leave pods pending. So the sum of the
tools' requests, and the add-ons', is held against what the pools that run them can
allocate, read from the server-type catalogue. Pure functions; the configuration
calls `capacity_problems` once every setting is sound.
"""

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.hetzner.catalog import ServerType, load_catalog
from components.kubernetes.apps_catalog import Requests, tool_requests

if TYPE_CHECKING:
    from components.config import StackConfig

# Held back on every server for what runs outside the pods' requests: the OS,
# kubelet, containerd, flannel, the CSI node plugin and the kubelet's 100 MiB
# eviction threshold.
NODE_RESERVE = Requests(250, 768)
# On top, on control-plane servers: the k3s server (API, scheduler, controllers) and
# etcd.
CONTROL_PLANE_RESERVE = Requests(500, 1024)
# The add-ons that run once per cluster, by their charts' requests or, where a chart
# sets none, what they use at rest: cert-manager's three pods 100m/256Mi, the
# Hetzner cloud controller 100m/50Mi (its chart's), the CSI controller 50m/128Mi,
# k3s' CoreDNS and metrics-server 100m/70Mi each (k3s' manifests), the
# CloudNativePG operator 100m/256Mi and its Barman Cloud plugin 50m/128Mi.
CLUSTER_ADDONS = Requests(600, 958)
# Each Rancher server pod; its chart requests nothing, it uses about 1 GiB.
RANCHER_REPLICA = Requests(250, 1024)
# Traefik, on every ingress server.
TRAEFIK_PER_NODE = Requests(100, 128)
# Hetzner sells memory in GB (10^9 bytes); Kubernetes counts MiB.
MIB_PER_GB = 1e9 / 2**20


@dataclass(frozen=True)
class PoolOffer:
    """What one pool's servers can allocate to pods."""

    name: str
    server_type: str
    count: int
    per_server: Requests

    @property
    def total(self) -> Requests:
        """All its servers together."""
        return self.per_server.times(self.count)


def allocatable(server_type: ServerType, role: str) -> Requests:
    """What one server of `server_type` in `role` leaves for pods, never below 0."""
    reserve = NODE_RESERVE
    if role == "control-plane":
        reserve += CONTROL_PLANE_RESERVE
    return Requests(
        max(0, server_type.cores * 1000 - reserve.cpu_millicores),
        max(0, math.floor(server_type.memory_gb * MIB_PER_GB) - reserve.memory_mib),
    )


def app_pools(config: "StackConfig") -> list[str]:
    """The pools the tools run on: the worker pools, or the control plane alone."""
    workers = sorted(
        name
        for name, pool in config.node_pools.items()
        if pool.role == "worker" and pool.count > 0
    )
    if workers:
        return workers
    return sorted(
        name for name, pool in config.node_pools.items() if pool.role == "control-plane"
    )


def tools_demand(config: "StackConfig") -> Requests:
    """Every enabled tool's requests, databases and queues included."""
    total = Requests(0, 0)
    for tool, size in config.tools.items():
        total += tool_requests(tool, size)
    return total


def addons_demand(config: "StackConfig", pools: list[str]) -> Requests:
    """The add-ons, counted on the tools' pools: they may land there, so the check
    assumes they do."""
    ingress_servers = sum(
        config.node_pools[name].count
        for name in pools
        if name in config.ingress_pools()
    )
    return (
        CLUSTER_ADDONS
        + RANCHER_REPLICA.times(config.rancher_replicas)
        + TRAEFIK_PER_NODE.times(ingress_servers)
    )


def pool_offers(config: "StackConfig", pools: list[str]) -> list[PoolOffer]:
    """What each of `pools` can allocate, from the server-type catalogue."""
    catalog = load_catalog()
    offers = []
    for name in pools:
        pool = config.node_pools[name]
        per_server = allocatable(catalog.server_types[pool.server_type], pool.role)
        offers.append(PoolOffer(name, pool.server_type, pool.count, per_server))
    return offers


def capacity_problems(config: "StackConfig", today: dt.date | None = None) -> list[str]:
    """One line when the tools and add-ons outgrow their pools, naming the pool to
    grow and by how much, or a server type that would do; none when they fit or the
    stack runs no tools."""
    if not config.tools:
        return []
    today = today or dt.date.today()
    pools = app_pools(config)
    offers = pool_offers(config, pools)
    problems = _pod_problems(config, offers, today)
    tools = tools_demand(config)
    addons = addons_demand(config, pools)
    need = tools + addons
    offered = sum((offer.total for offer in offers), Requests(0, 0))
    if fits(need, offered):
        return problems

    grown = max(offers, key=lambda o: (o.per_server.memory_mib, o.name))
    fixes = []
    # Each server added to an ingress pool runs one more Traefik pod.
    ingress = grown.name in config.ingress_pools()
    per_added = TRAEFIK_PER_NODE if ingress else Requests(0, 0)
    servers = _servers_needed(need, offered, grown, per_added)
    if servers is not None:
        fixes.append(f"grow {grown.name} to {servers} servers")
    larger = _larger_type(config, grown, need, offered, today)
    if larger is not None:
        fixes.append(f"use {larger}")
    fix = " or ".join(fixes) or "add a worker pool"
    names = " and ".join(offer.name for offer in offers)
    verb = "pool offers" if len(offers) == 1 else "pools offer"
    return [
        *problems,
        f"apps need {_amount(need)} (the tools {_amount(tools)}, the add-ons "
        f"{_amount(addons)}), but the {names} {verb} {_amount(offered)}: {fix}",
    ]


def _pod_problems(
    config: "StackConfig", offers: list[PoolOffer], today: dt.date
) -> list[str]:
    """One line per tool whose main pod no single server of the pools can hold.

    Totals can fit while one pod does not: Kubernetes places a pod on one server, so
    more servers of the same type never help; a larger type or a smaller request does.
    """
    problems = []
    roomiest = max(offers, key=lambda o: (o.per_server.memory_mib, o.name))
    for tool, size in config.tools.items():
        pod = Requests(size.cpu_millicores, size.memory_mib)
        if any(fits(pod, offer.per_server) for offer in offers):
            continue
        fix = f"lower apps.{tool}.cpu or apps.{tool}.memory"
        holding = _type_holding(config, roomiest, pod, today)
        if holding is not None:
            fix += f", or use {holding} for {roomiest.name}"
        problems.append(
            f"apps.{tool} asks {_amount(pod)} for one pod, more than one "
            f"{roomiest.server_type} server of {roomiest.name} can hold "
            f"({_amount(roomiest.per_server)}): {fix}"
        )
    return problems


def fits(need: Requests, offered: Requests) -> bool:
    """Whether `offered` covers `need` in both CPU and memory."""
    return (
        need.cpu_millicores <= offered.cpu_millicores
        and need.memory_mib <= offered.memory_mib
    )


def _servers_needed(
    need: Requests, offered: Requests, pool: PoolOffer, per_added: Requests
) -> int | None:
    """The count `pool` needs for the rest to fit, each added server also asking
    `per_added`; None if its servers offer nothing beyond that."""
    per = Requests(
        pool.per_server.cpu_millicores - per_added.cpu_millicores,
        pool.per_server.memory_mib - per_added.memory_mib,
    )
    if per.cpu_millicores <= 0 or per.memory_mib <= 0:
        return None
    short_cpu = max(0, need.cpu_millicores - offered.cpu_millicores)
    short_memory = max(0, need.memory_mib - offered.memory_mib)
    extra = max(
        math.ceil(short_cpu / per.cpu_millicores),
        math.ceil(short_memory / per.memory_mib),
    )
    return pool.count + extra


def _larger_type(
    config: "StackConfig",
    pool: PoolOffer,
    need: Requests,
    offered: Requests,
    today: dt.date,
) -> str | None:
    """The smallest server type offered in the location that makes `pool`, at its
    count, hold the rest."""
    role = config.node_pools[pool.name].role
    others = Requests(
        offered.cpu_millicores - pool.total.cpu_millicores,
        offered.memory_mib - pool.total.memory_mib,
    )
    for candidate in _candidates(config, pool, today):
        total = others + allocatable(candidate, role).times(pool.count)
        if fits(need, total):
            return candidate.name
    return None


def _type_holding(
    config: "StackConfig", pool: PoolOffer, pod: Requests, today: dt.date
) -> str | None:
    """The smallest server type offered in the location one of whose servers, in
    `pool`'s role, holds `pod`."""
    role = config.node_pools[pool.name].role
    for candidate in _candidates(config, pool, today):
        if fits(pod, allocatable(candidate, role)):
            return candidate.name
    return None


def _candidates(
    config: "StackConfig", pool: PoolOffer, today: dt.date
) -> list[ServerType]:
    """Server types `pool` could switch to, smallest first: its own series first
    (cx43 to cx53), then any other of the same architecture."""
    catalog = load_catalog()
    current = catalog.server_types[pool.server_type]
    series = pool.server_type.rstrip("0123456789")
    return sorted(
        (
            server_type
            for server_type in catalog.server_types.values()
            if server_type.architecture == current.architecture
            and server_type.offered_in(config.location, today)
        ),
        key=lambda t: (
            t.name.rstrip("0123456789") != series,
            t.cores,
            t.memory_gb,
            t.name,
        ),
    )


def _amount(requests: Requests) -> str:
    """`4.75 CPU and 10.2 GiB`."""
    cores = f"{requests.cpu_millicores / 1000:.2f}".rstrip("0").rstrip(".")
    return f"{cores} CPU and {requests.memory_mib / 1024:.1f} GiB"
