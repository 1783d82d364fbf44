"""What the cluster's servers are created with: user data, addresses, API addresses.

Declared before the node pools, since a server takes its user data and addresses
when it is created; the pools then read them by server name.
"""

from dataclasses import dataclass, replace

import pulumi

from components.config import StackConfig
from components.hetzner import layout
from components.hetzner.primary_ips import PrimaryIpv4s, PrimaryIpv4sArgs
from components.kubernetes import nodes
from components.kubernetes.cloud_init import (
    EtcdBackups,
    K3sClusterSpec,
    K3sNode,
    render_user_data,
)
from components.kubernetes.cluster_secrets import (
    CERTIFICATE_AUTHORITIES,
    SERVICE_ACCOUNT_KEY_FILE,
    TOKEN_LENGTH,
    ClusterSecrets,
    ClusterSecretsArgs,
)
from components.protection import this_stack_protected

# Stand-ins as long as the real values, for the rendering done before any resource
# exists: a PEM certificate or P-256 key, and a 2048-bit RSA key.
STAND_IN_PEM = "x" * 800
STAND_IN_RSA_PEM = "x" * 1800
STAND_IN_ADDRESS = "203.0.113.255"


@dataclass
class ClusterNodeInputs:
    """The cluster's secrets and, by server name, what each server is created with."""

    secrets: ClusterSecrets
    """The CAs and tokens."""
    nodes: list[K3sNode]
    """Every server as a node, the one that starts the cluster first."""
    user_data: dict[str, pulumi.Output[str]]
    """cloud-init user data by server name (secret)."""
    primary_ipv4_ids: dict[str, pulumi.Output[int]]
    """The primary IPv4 each control-plane server holds, by server name."""
    api_address: pulumi.Output[str]
    """The public address of the server that starts the cluster."""


def declare_node_inputs(
    config: StackConfig, backups_bucket: pulumi.Output[str] | None
) -> ClusterNodeInputs:
    """Declare the cluster's secrets and API addresses; render each user data."""
    startup = config.startup_name
    cluster_nodes = nodes.cluster_nodes(config)
    secrets = ClusterSecrets(startup, ClusterSecretsArgs(cluster_name=startup))
    control_plane = [n.name for n in cluster_nodes if n.role == "control-plane"]
    addresses = PrimaryIpv4s(
        startup,
        PrimaryIpv4sArgs(
            server_names=control_plane,
            location=config.location,
            labels={layout.LABEL_STARTUP: startup},
            delete_protection=this_stack_protected(config.deletion_protection),
        ),
    )

    spec = pulumi.Output.all(
        server_token=secrets.server_token,
        agent_token=secrets.agent_token,
        ca_files=secrets.ca_files,
        bucket=backups_bucket,
    ).apply(lambda parts: _cluster_spec(config, cluster_nodes[0], parts))
    user_data = {
        node.name: pulumi.Output.secret(
            pulumi.Output.all(spec, addresses.addresses.get(node.name)).apply(
                lambda parts, node=node: render_user_data(
                    replace(node, api_address=parts[1]), parts[0]
                )
            )
        )
        for node in cluster_nodes
    }
    return ClusterNodeInputs(
        secrets=secrets,
        nodes=cluster_nodes,
        user_data=user_data,
        primary_ipv4_ids=addresses.ids,
        api_address=addresses.addresses[cluster_nodes[0].name],
    )


def check_renders(config: StackConfig, cluster_nodes: list[K3sNode]) -> None:
    """Render one node of each kind with stand-in secrets, before anything exists.

    The real documents are rendered during `pulumi up`, once the keys exist; an
    unknown k3s option or a document over Hetzner's limit then fails mid-deployment.
    Every node of a kind has the same options and nearly the same size, so one each
    here makes `souverain plan` and the start of `pulumi up` fail instead.
    Raises CloudInitError.
    """
    files = {
        f"{path}.{suffix}": STAND_IN_PEM
        for path in CERTIFICATE_AUTHORITIES.values()
        for suffix in ("crt", "key")
    }
    files[SERVICE_ACCOUNT_KEY_FILE] = STAND_IN_RSA_PEM
    parts = {
        "server_token": "x" * TOKEN_LENGTH,
        "agent_token": "x" * TOKEN_LENGTH,
        "ca_files": files,
        "bucket": f"{config.startup_name}-backups" if config.enable_buckets else None,
    }
    spec = _cluster_spec(config, cluster_nodes[0], parts)
    kinds = {}
    for node in cluster_nodes:
        kinds.setdefault((node.initialises, node.role), node)
    for node in kinds.values():
        address = STAND_IN_ADDRESS if node.role == "control-plane" else None
        render_user_data(replace(node, api_address=address), spec)


def _cluster_spec(config: StackConfig, first: K3sNode, parts: dict) -> K3sClusterSpec:
    """What every node shares, once the secrets and the bucket's name are known."""
    backups = None
    if parts["bucket"] is not None:
        backups = EtcdBackups(
            endpoint=config.s3_endpoint,
            region=config.location,
            bucket=parts["bucket"],
            folder=nodes.SNAPSHOT_FOLDER,
            access_key=config.s3_access_key or "",
            secret_key=config.s3_secret_key or "",
        )
    return K3sClusterSpec(
        version=config.k3s_version,
        join_address=first.private_ip,
        server_token=parts["server_token"],
        agent_token=parts["agent_token"],
        ca_files=parts["ca_files"],
        snapshot_schedule=config.snapshot_cron,
        snapshot_retention=config.etcd_snapshot_retention,
        backups=backups,
    )
