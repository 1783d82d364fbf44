"""Names, ranges, labels and rules of the Hetzner resources, derived in plain functions.

Nothing here declares a resource: the components call these functions and tests call
them directly, so each derivation can be checked without Pulumi.
"""

import ipaddress
import math
from dataclasses import dataclass

# Hetzner allows at most 10 servers in one spread placement group.
SERVERS_PER_SPREAD_GROUP = 10
KUBE_API_PORT = 6443
WEB_PORTS = (80, 443)
LABEL_STARTUP = "souverain.eu/startup"
LABEL_POOL = "souverain.eu/pool"
LABEL_ROLE = "souverain.eu/role"
LABEL_INGRESS = "souverain.eu/ingress"


@dataclass(frozen=True)
class FirewallRule:
    """One inbound Hetzner firewall rule."""

    description: str
    protocol: str
    port: str
    source_ips: tuple[str, ...]


def node_subnet(network_cidr: str) -> str:
    """The nodes' subnet: the first half of the private network.

    A fixed half (not sized by node count) keeps the subnet stable when pools grow, so
    scaling never replaces the subnet and every server attached to it.
    """
    network = ipaddress.ip_network(network_cidr)
    return str(next(network.subnets(prefixlen_diff=1)))


def server_names(pool_base: str, count: int) -> list[str]:
    """Names of a pool's servers, numbered from 1; scaling down drops the highest."""
    return [f"{pool_base}-{index}" for index in range(1, count + 1)]


def spread_group_count(server_count: int) -> int:
    """How many spread placement groups a pool of `server_count` servers needs."""
    return math.ceil(server_count / SERVERS_PER_SPREAD_GROUP)


def spread_group_index(server_number: int) -> int:
    """The 0-based spread group of the server numbered `server_number` (from 1)."""
    return (server_number - 1) // SERVERS_PER_SPREAD_GROUP


def pool_labels(
    startup: str, pool_name: str, role: str, ingress: bool, extra: dict[str, str]
) -> dict[str, str]:
    """Labels of every server in a pool: the user's, then souverain's own."""
    return {
        **extra,
        LABEL_STARTUP: startup,
        LABEL_POOL: pool_name,
        LABEL_ROLE: role,
        LABEL_INGRESS: "true" if ingress else "false",
    }


def ingress_selector(startup: str) -> str:
    """The label selector of the servers that receive the load balancer's traffic."""
    return f"{LABEL_STARTUP}={startup},{LABEL_INGRESS}=true"


def firewall_rules(
    role: str, allowed_ssh_cidrs: list[str], allowed_kube_api_cidrs: list[str]
) -> list[FirewallRule]:
    """Inbound rules for one role; everything not listed is denied.

    No rule opens 80 or 443: web traffic reaches nodes only from the load balancer
    over the private network, which Hetzner firewalls do not filter.
    """
    rules = []
    if allowed_ssh_cidrs:
        rules.append(FirewallRule("ssh", "tcp", "22", tuple(allowed_ssh_cidrs)))
    if role == "control-plane":
        rules.append(
            FirewallRule(
                "kubernetes-api",
                "tcp",
                str(KUBE_API_PORT),
                tuple(allowed_kube_api_cidrs),
            )
        )
    return rules
