"""The Kubernetes cluster's part of a stack: k3s on the pools, then its add-ons."""

import pulumi

from components import capacity
from components.config import StackConfig
from components.hetzner import layout
from components.hetzner.bucket import Bucket
from components.hetzner.network import PrivateNetwork
from components.hetzner.node_pool import NodePool
from components.kubernetes import nodes
from components.kubernetes.addons import ClusterAddons, ClusterAddonsArgs
from components.kubernetes.apps import SelfHostedApps, SelfHostedAppsArgs
from components.kubernetes.cluster import K3sCluster, K3sClusterArgs
from components.kubernetes.node_inputs import ClusterNodeInputs


def cluster_settings(
    config: StackConfig, pool_name: str, inputs: ClusterNodeInputs | None
) -> dict:
    """A pool's per-server user data and addresses; none without the cluster."""
    if inputs is None:
        return {}
    return {
        "user_data": inputs.user_data,
        "private_ips": nodes.pool_private_ips(config, pool_name),
        "primary_ipv4_ids": inputs.primary_ipv4_ids,
    }


def declare_cluster(
    config: StackConfig, inputs: ClusterNodeInputs, pools: dict[str, NodePool]
) -> K3sCluster:
    """The cluster's admin access, once its servers are declared; exports it."""
    servers = {
        name: server
        for pool in pools.values()
        for name, server in zip(pool.server_names, pool.servers, strict=True)
    }
    cluster = K3sCluster(
        config.startup_name,
        K3sClusterArgs(
            cluster_name=config.startup_name,
            secrets=inputs.secrets,
            api_address=inputs.api_address,
            control_plane_servers=[
                servers[node.name]
                for node in inputs.nodes
                if node.role == "control-plane"
            ],
        ),
    )
    pulumi.export("kubeconfig", cluster.kubeconfig)
    pulumi.export("kubeApiUrl", cluster.api_url)
    return cluster


def declare_addons(
    config: StackConfig,
    cluster: K3sCluster,
    network: PrivateNetwork,
    registry_config: pulumi.Output[str] | None,
) -> ClusterAddons:
    """The cloud controller, CSI, cert-manager, Traefik and Rancher; exports Rancher's
    address and passwords."""
    addons = ClusterAddons(
        config.startup_name,
        ClusterAddonsArgs(
            kubeconfig=cluster.kubeconfig,
            api_url=cluster.api_url,
            domain=config.domain,
            startup_name=config.startup_name,
            network_name_or_id=network.network_id.apply(str),
            network_cidr=config.network_cidr,
            hcloud_token=pulumi.Output.secret(config.hcloud_cluster_token),
            location=config.location,
            rancher_replicas=config.rancher_replicas,
            letsencrypt_email=config.rancher_contact,
            rancher_bootstrap=config.rancher_bootstrap,
            registry_docker_config_json=registry_config,
            app_namespaces=config.workload_namespaces,
            depends_on=cluster.control_plane_servers,
        ),
    )
    pulumi.export("rancherUrl", addons.rancher_url)
    pulumi.export("rancherBootstrapPassword", addons.rancher_bootstrap_password)
    if addons.rancher_admin_password is not None:
        pulumi.export("rancherAdminPassword", addons.rancher_admin_password)
    return addons


def app_node_selector(config: StackConfig) -> dict[str, str]:
    """Where the tools' pods run: the worker servers, or anywhere on a stack with
    none (the capacity check counts the same pools)."""
    pools = capacity.app_pools(config)
    if all(config.node_pools[name].role == "worker" for name in pools):
        return {layout.LABEL_ROLE: "worker"}
    return {}


def declare_apps(
    config: StackConfig, addons: ClusterAddons, backups: Bucket
) -> SelfHostedApps:
    """The self-hosted tools on the cluster; exports their addresses."""
    apps = SelfHostedApps(
        f"{config.startup_name}-apps",
        SelfHostedAppsArgs(
            kubernetes_provider=addons.kubernetes_provider,
            addons=addons.ingress_releases,
            tools=config.tools,
            domain=config.domain,
            startup_name=config.startup_name,
            letsencrypt_email=config.rancher_contact,
            backups_bucket=backups.bucket_name,
            s3_endpoint=config.s3_endpoint,
            s3_access_key=pulumi.Output.secret(config.s3_access_key),
            s3_secret_key=pulumi.Output.secret(config.s3_secret_key),
            backup_retention_days=config.backup_retention_days,
            node_selector=app_node_selector(config),
            rancher_provider=addons.rancher_provider,
        ),
    )
    pulumi.export("appUrls", apps.urls)
    return apps
