"""Names, ranges, labels and rules of the Hetzner resources, derived in plain functions.

Nothing here declares a resource: the components call these functions and tests call
them directly, so each derivation can be checked without Pulumi.
"""

import hashlib
import ipaddress
import math
from dataclasses import dataclass

# Hetzner allows at most 10 servers in one spread placement group.
SERVERS_PER_SPREAD_GROUP = 10
# The nodes' subnet is cut into this many equal blocks of private addresses. Block 0
# is left to the addresses Hetzner picks itself (the gateway, the load balancer's);
# each pool takes the block its name hashes to.
ADDRESS_BLOCKS = 64
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


def address_block(pool_name: str) -> int:
    """The block (1 to 63) of the nodes' subnet a pool's servers get addresses from.

    Derived from the pool's name alone, so adding, removing or reordering other pools
    never moves a server. Two names may hash to the same block: the configuration
    check refuses that before anything is declared.
    """
    digest = hashlib.sha256(pool_name.encode()).digest()
    return 1 + int.from_bytes(digest[:8], "big") % (ADDRESS_BLOCKS - 1)


def address_block_range(network_cidr: str, block: int) -> str:
    """The range of one address block, e.g. 10.0.70.0/23 for block 35 of 10.0.0.0/16."""
    subnet = ipaddress.ip_network(node_subnet(network_cidr))
    prefix = subnet.prefixlen + int(math.log2(ADDRESS_BLOCKS))
    size = 2 ** (subnet.max_prefixlen - prefix)
    first = int(subnet.network_address) + block * size
    return str(ipaddress.ip_network((first, prefix)))


def pool_capacity(network_cidr: str) -> int:
    """How many servers one pool can number in its block (its first and last address
    stay unused)."""
    return ipaddress.ip_network(address_block_range(network_cidr, 0)).num_addresses - 2


def private_ips(
    network_cidr: str, pool_name: str, server_names: list[str]
) -> dict[str, str]:
    """Server name -> fixed private address: server n of a pool gets host n of the
    pool's block, so a pool that grows keeps every existing address.

    Raises ValueError when the pool has more servers than its block holds; the
    configuration check says so first.
    """
    block = ipaddress.ip_network(
        address_block_range(network_cidr, address_block(pool_name))
    )
    if len(server_names) > pool_capacity(network_cidr):
        raise ValueError(
            f"pool {pool_name} has {len(server_names)} servers, more than the "
            f"{pool_capacity(network_cidr)} addresses of its block {block}"
        )
    return {
        name: str(block.network_address + number)
        for number, name in enumerate(server_names, start=1)
    }


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
