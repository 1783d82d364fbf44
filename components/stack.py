"""Declares a whole souverain stack from its checked configuration."""

import hashlib

import pulumi
import pulumi_hcloud as hcloud

from components.bunny.edge import BunnyEdge, BunnyEdgeArgs
from components.config import StackConfig
from components.hetzner import layout
from components.hetzner.bucket import Bucket, BucketArgs, CorsRule, LifecycleRule
from components.hetzner.firewall import NodeFirewalls, NodeFirewallsArgs
from components.hetzner.load_balancer import LoadBalancer, LoadBalancerArgs
from components.hetzner.network import PrivateNetwork, PrivateNetworkArgs
from components.hetzner.node_pool import NodePool, NodePoolArgs
from components.kubernetes import nodes
from components.kubernetes.node_inputs import check_renders, declare_node_inputs
from components.protection import this_stack_protected
from components.stack_cluster import (
    cluster_settings,
    declare_addons,
    declare_apps,
    declare_cluster,
)

# The mark of a public assets bucket: souverain:assetsPublicRead is the team's own,
# explicit choice, so the sovereignty policy lets it through (docs/sovereignty.md).
ASSETS_PUBLIC_PURPOSE = "the CDN's assets, public as souverain:assetsPublicRead asks"


def ssh_key_fingerprint(public_key: str) -> str:
    """A short, stable digest of a key's material, shown beside its name."""
    material = public_key.split()[1].encode()
    return hashlib.sha256(material).hexdigest()[:12]


def declare_buckets(config: StackConfig) -> tuple[Bucket, Bucket]:
    """The assets bucket (the CDN's origin) and the versioned backups bucket."""
    startup = config.startup_name
    common = {
        "location": config.location,
        "endpoint": config.s3_endpoint,
        "access_key": pulumi.Output.secret(config.s3_access_key),
        "secret_key": pulumi.Output.secret(config.s3_secret_key),
        "force_destroy": config.buckets_force_destroy,
    }
    public_purpose = ASSETS_PUBLIC_PURPOSE if config.assets_public_read else None
    assets = Bucket(
        f"{startup}-assets",
        BucketArgs(
            bucket_name=f"{startup}-assets",
            cors_rules=[
                CorsRule(
                    allowed_origins=[
                        f"https://{config.domain}",
                        f"https://www.{config.domain}",
                    ]
                )
            ],
            public_read=config.assets_public_read,
            public_read_purpose=public_purpose,
            **common,
        ),
    )
    backups = Bucket(
        f"{startup}-backups",
        BucketArgs(
            bucket_name=f"{startup}-backups",
            versioning=True,
            lifecycle_rules=[
                LifecycleRule(
                    id="expire-replaced-versions",
                    noncurrent_days=config.backup_retention_days,
                )
            ],
            **common,
        ),
    )
    pulumi.export("objectStorageEndpoint", config.s3_endpoint)
    pulumi.export("assetsBucket", assets.bucket_name)
    pulumi.export("backupsBucket", backups.bucket_name)
    return assets, backups


def _assets_signing(config: StackConfig) -> pulumi.Output | None:
    """The keys the CDN signs requests to the private assets bucket with."""
    if config.assets_public_read:
        return None
    return pulumi.Output.secret(
        {
            "access_key": config.s3_access_key,
            "secret_key": config.s3_secret_key,
            "region": config.location,
        }
    )


def declare_scaleway(
    config: StackConfig, edge: BunnyEdge | None
) -> pulumi.Output[str] | None:
    """The registry and the e-mail domain, through a provider with the stack's keys.

    Returns the registry's Docker config (secret) for the cluster's pull secret.
    """
    # Imported here: pulumiverse-scaleway's package imports all its ~200 modules, half a
    # second that stacks without Scaleway parts should not pay on every plan.
    import pulumiverse_scaleway as scaleway

    from components.scaleway.email import EmailArgs, TransactionalEmail
    from components.scaleway.registry import Registry, RegistryArgs

    startup = config.startup_name
    provider = scaleway.Provider(
        f"{startup}-scaleway",
        access_key=pulumi.Output.secret(config.scaleway_access_key),
        secret_key=pulumi.Output.secret(config.scaleway_secret_key),
        project_id=config.scaleway_project_id,
        region=config.scaleway_region,
    )
    opts = pulumi.ResourceOptions(providers={"scaleway": provider})
    registry_config = None
    if config.enable_registry:
        registry = Registry(
            f"{startup}-registry",
            RegistryArgs(
                namespace=config.namespace_name,
                region=config.scaleway_region,
                project_id=config.scaleway_project_id,
            ),
            opts=opts,
        )
        pulumi.export("registryEndpoint", registry.endpoint)
        pulumi.export("registryDockerConfigJson", registry.docker_config_json)
        registry_config = registry.docker_config_json
    if config.enable_email and edge is not None:
        email = TransactionalEmail(
            f"{startup}-email",
            EmailArgs(
                domain=config.domain,
                region=config.scaleway_region,
                project_id=config.scaleway_project_id,
                zone_id=edge.zone_id,
                bunny_access_key=pulumi.Output.secret(config.bunny_access_key),
                bunny_api_url=config.bunny_api_url,
                with_mx=config.email_mx,
            ),
            opts=opts,
        )
        pulumi.export("smtpHost", email.smtp_host)
        pulumi.export("smtpPort", email.smtp_port)
    return registry_config


def declare_stack(config: StackConfig) -> None:
    """Declare every resource of the stack and export what users need to reach it."""
    startup = config.startup_name
    common_labels = {layout.LABEL_STARTUP: startup}
    protected = this_stack_protected(config.deletion_protection)
    if config.enable_cluster:
        # Before the first resource, so a bad document creates nothing.
        check_renders(config, nodes.cluster_nodes(config))

    network = PrivateNetwork(
        startup,
        PrivateNetworkArgs(
            ip_range=config.network_cidr,
            subnet_ip_range=layout.node_subnet(config.network_cidr),
            network_zone=config.network_zone,
            labels=common_labels,
            delete_protection=protected,
        ),
    )

    ssh_keys = [
        hcloud.SshKey(
            f"{startup}-ssh-{key_name}",
            name=f"{startup}-{key_name}",
            public_key=public_key,
            labels={**common_labels, "fingerprint": ssh_key_fingerprint(public_key)},
        )
        for key_name, public_key in sorted(config.ssh_public_keys.items())
    ]

    roles = sorted({pool.role for pool in config.node_pools.values()})
    firewalls = NodeFirewalls(
        startup,
        NodeFirewallsArgs(
            rules_by_role={
                role: layout.firewall_rules(
                    role, config.allowed_ssh_cidrs, config.allowed_kube_api_cidrs
                )
                for role in roles
            },
            labels=common_labels,
        ),
    )

    buckets = declare_buckets(config) if config.enable_buckets else None
    cluster_inputs = None
    if config.enable_cluster:
        backups = buckets[1].bucket_name if buckets is not None else None
        cluster_inputs = declare_node_inputs(config, backups)

    ingress_pools = config.ingress_pools()
    pools = {}
    for pool_name, pool in sorted(config.node_pools.items()):
        pools[pool_name] = NodePool(
            f"{startup}-{pool_name}",
            NodePoolArgs(
                server_type=pool.server_type,
                count=pool.count,
                location=config.location,
                image=config.image,
                labels=layout.pool_labels(
                    startup,
                    pool_name,
                    pool.role,
                    pool_name in ingress_pools,
                    pool.labels,
                ),
                ssh_key_ids=[key.id for key in ssh_keys],
                firewall_ids=[firewalls.firewall_ids[pool.role]],
                network_id=network.network_id,
                subnet=network.subnet,
                public_ipv4=pool.public_ipv4,
                delete_protection=protected,
                **cluster_settings(config, pool_name, cluster_inputs),
            ),
        )
    cluster = None
    if cluster_inputs is not None:
        cluster = declare_cluster(config, cluster_inputs, pools)

    balancer = LoadBalancer(
        startup,
        LoadBalancerArgs(
            load_balancer_type=config.load_balancer_type,
            location=config.location,
            labels=common_labels,
            network_id=network.network_id,
            subnet=network.subnet,
            target_selector=layout.ingress_selector(startup),
            delete_protection=protected,
        ),
    )

    assets = buckets[0] if buckets is not None else None

    edge = None
    if config.enable_bunny:
        edge = BunnyEdge(
            startup,
            BunnyEdgeArgs(
                startup=startup,
                domain=config.domain,
                balancer_ipv4=balancer.ipv4,
                balancer_ipv6=balancer.ipv6,
                assets_domain=assets.domain if assets is not None else None,
                assets_signing=_assets_signing(config) if assets is not None else None,
                storage_region=config.bunny_storage_region,
                storage_replication=config.bunny_storage_replication,
                access_key=pulumi.Output.secret(config.bunny_access_key),
                api_url=config.bunny_api_url,
                extra_direct_names=list(config.tools),
            ),
        )
        pulumi.export("nameservers", edge.nameservers)
        pulumi.export("cdnHostname", edge.cdn_hostname)

    registry_config = None
    if config.enable_registry or config.enable_email:
        registry_config = declare_scaleway(config, edge)

    if cluster is not None:
        addons = declare_addons(config, cluster, network, registry_config)
        if config.tools and buckets is not None:
            declare_apps(config, addons, buckets[1])

    pulumi.export("loadBalancerIpv4", balancer.ipv4)
    pulumi.export("loadBalancerIpv6", balancer.ipv6)
    pulumi.export("servers", {name: pool.server_names for name, pool in pools.items()})
