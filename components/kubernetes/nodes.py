"""Which server is which node of the cluster, derived from the stack's settings.

Plain functions, no resources: the stack declares servers and user data from these.
"""

from dataclasses import replace

from components.config import StackConfig
from components.hetzner import layout
from components.kubernetes.cloud_init import K3sNode

# Inside the backups bucket, beside the other backups.
SNAPSHOT_FOLDER = "etcd-snapshots"


def pool_private_ips(config: StackConfig, pool_name: str) -> dict[str, str]:
    """Fixed private address by server name, for one pool's servers."""
    pool = config.node_pools[pool_name]
    names = layout.server_names(f"{config.startup_name}-{pool_name}", pool.count)
    return layout.private_ips(config.network_cidr, pool_name, names)


def cluster_nodes(config: StackConfig) -> list[K3sNode]:
    """Every server as a k3s node, the one that starts the cluster first.

    That is server 1 of the first control-plane pool by name: stable as long as no
    control-plane pool named before it is added.
    """
    ingress = set(config.ingress_pools())
    nodes = []
    for pool_name, pool in sorted(config.node_pools.items()):
        for name, address in pool_private_ips(config, pool_name).items():
            nodes.append(
                K3sNode(
                    name=name,
                    pool=pool_name,
                    role=pool.role,
                    private_ip=address,
                    ingress=pool_name in ingress,
                )
            )
    first = next(node for node in nodes if node.role == "control-plane")
    return [replace(first, initialises=True)] + [n for n in nodes if n is not first]
