"""The bare program: the stack's raw resources as plain Pulumi, without components.

`bare_program` declares the servers, network, firewalls and load balancer itself and
calls the sibling modules for the rest (`bare_services`, `bare_cluster`,
`bare_apps`); `plan_bare` plans it through the same `run_plan` as souverain's plan.
"""

import hashlib
import ipaddress
import math
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_hcloud as hcloud
from bare_apps import bare_tools, declare_bare_apps
from bare_cluster import declare_bare_addons, declare_bare_admin, declare_bare_cluster
from bare_services import declare_bare_buckets, declare_bare_edge, declare_bare_scaleway

from souverain.plan import Plan, run_plan


def bare_program(settings: dict[str, Any]) -> Callable[[], None]:
    """The same cloud resources as souverain declares, written as plain Pulumi.

    No component, no config check and no layout helper: the raw stack settings go
    straight into resource arguments. Inputs, dependencies and exports match what
    souverain sends, so the mock runtime does the same work per resource and the
    difference is what souverain's own code costs. Manifests, Helm values and the
    kubeconfig come from souverain's own pure functions (see `bare_cluster` and
    `bare_apps`): the bare program must send the same inputs, and a copy of those
    functions would cost the same.
    """
    startup = settings["startupName"]
    network_cidr = settings.get("networkCidr", "10.0.0.0/16")
    location = settings.get("location", "fsn1")
    image = settings.get("image", "ubuntu-24.04")
    ssh_cidrs = settings.get("allowedSshCidrs", [])
    pools = sorted(settings["nodePools"].items())
    roles = sorted({pool["role"] for _, pool in pools})

    # The same choice as StackConfig.ingress_pools, so labels and selector match.
    ingress_pools = []
    for pool_name, pool in pools:
        wants = pool.get("ingress")
        if wants is None:
            wants = pool["role"] == "worker"
        if wants and pool["count"] > 0:
            ingress_pools.append(pool_name)
    if not ingress_pools:
        ingress_pools = [
            name for name, pool in pools if pool["role"] == "control-plane"
        ]

    cluster = settings.get("enableCluster", False)
    # As hcloud_protection sends it: nothing when off, the provider's default.
    protection = (
        {"delete_protection": True} if settings.get("deletionProtection") else {}
    )
    addresses = {
        name: address
        for pool_name, pool in pools
        for name, address in bare_private_ips(
            network_cidr, pool_name, f"{startup}-{pool_name}", pool["count"]
        ).items()
    }
    tool_sizes = bare_tools(settings)
    control_plane = [
        f"{startup}-{pool_name}-{number}"
        for pool_name, pool in pools
        if pool["role"] == "control-plane"
        for number in range(1, pool["count"] + 1)
    ]

    def program() -> None:
        labels = {"souverain.eu/startup": startup}
        buckets = None
        if settings.get("enableBuckets"):
            buckets = declare_bare_buckets(settings, startup, location)
        if cluster:
            backups = buckets["backups"].bucket if buckets is not None else None
            user_data, primary_ids, admin_inputs = declare_bare_cluster(
                startup, location, control_plane, sorted(addresses), backups, protection
            )
        network = hcloud.Network(
            f"{startup}-network",
            name=f"{startup}-network",
            ip_range=network_cidr,
            labels=labels,
            **protection,
        )
        network_id = network.id.apply(int)
        subnet = hcloud.NetworkSubnet(
            f"{startup}-nodes-subnet",
            network_id=network_id,
            type="cloud",
            network_zone="eu-central",
            ip_range=str(next(ipaddress.ip_network(network_cidr).subnets())),
        )

        ssh_key_ids = []
        for key_name, public_key in sorted(settings["sshPublicKeys"].items()):
            digest = hashlib.sha256(public_key.split()[1].encode()).hexdigest()[:12]
            key = hcloud.SshKey(
                f"{startup}-ssh-{key_name}",
                name=f"{startup}-{key_name}",
                public_key=public_key,
                labels={**labels, "fingerprint": digest},
            )
            ssh_key_ids.append(key.id)

        firewall_ids = {}
        for role in roles:
            rules = []
            if ssh_cidrs:
                rules.append(
                    hcloud.FirewallRuleArgs(
                        direction="in",
                        description="ssh",
                        protocol="tcp",
                        port="22",
                        source_ips=ssh_cidrs,
                    )
                )
            if role == "control-plane":
                rules.append(
                    hcloud.FirewallRuleArgs(
                        direction="in",
                        description="kubernetes-api",
                        protocol="tcp",
                        port="6443",
                        source_ips=settings["allowedKubeApiCidrs"],
                    )
                )
            firewall = hcloud.Firewall(
                f"{startup}-{role}-firewall",
                name=f"{startup}-{role}",
                labels=labels,
                rules=rules,
            )
            firewall_ids[role] = firewall.id.apply(int)

        server_names = {}
        servers = {}
        for pool_name, pool in pools:
            base = f"{startup}-{pool_name}"
            pool_labels = {
                **pool.get("labels", {}),
                **labels,
                "souverain.eu/pool": pool_name,
                "souverain.eu/role": pool["role"],
                "souverain.eu/ingress": str(pool_name in ingress_pools).lower(),
            }
            group_ids = [
                hcloud.PlacementGroup(
                    f"{base}-spread-{number}",
                    name=f"{base}-spread-{number}",
                    type="spread",
                    labels=pool_labels,
                ).id.apply(int)
                for number in range(1, math.ceil(pool["count"] / 10) + 1)
            ]
            server_names[pool_name] = []
            for number in range(1, pool["count"] + 1):
                name = f"{base}-{number}"
                servers[name] = hcloud.Server(
                    name,
                    name=name,
                    server_type=pool["serverType"],
                    location=location,
                    image=image,
                    labels=pool_labels,
                    ssh_keys=ssh_key_ids,
                    firewall_ids=[firewall_ids[pool["role"]]],
                    placement_group_id=group_ids[(number - 1) // 10],
                    networks=[
                        hcloud.ServerNetworkArgs(
                            network_id=network_id,
                            ip=addresses[name] if cluster else None,
                            alias_ips=[],
                        )
                    ],
                    public_nets=[
                        hcloud.ServerPublicNetArgs(
                            ipv4_enabled=pool.get("publicIpv4", True),
                            ipv4=primary_ids.get(name) if cluster else None,
                            ipv6_enabled=True,
                        )
                    ],
                    user_data=user_data[name] if cluster else None,
                    **protection,
                    **({"rebuild_protection": True} if protection else {}),
                    # Options are not in the plan, so the check cannot compare them;
                    # they are set as the NodePool sets them, for the same requests.
                    opts=pulumi.ResourceOptions(
                        depends_on=[subnet],
                        ignore_changes=["sshKeys", "userData"],
                        delete_before_replace=True,
                    ),
                )
                server_names[pool_name].append(name)

        balancer = hcloud.LoadBalancer(
            f"{startup}-lb",
            name=f"{startup}-lb",
            load_balancer_type=settings.get("loadBalancerType", "lb11"),
            location=location,
            **protection,
            labels=labels,
            algorithm=hcloud.LoadBalancerAlgorithmArgs(type="round_robin"),
        )
        balancer_id = balancer.id.apply(int)
        attachment = hcloud.LoadBalancerNetwork(
            f"{startup}-lb-network",
            load_balancer_id=balancer_id,
            network_id=network_id,
            enable_public_interface=True,
            opts=pulumi.ResourceOptions(depends_on=[subnet]),
        )
        hcloud.LoadBalancerTarget(
            f"{startup}-lb-targets",
            load_balancer_id=balancer_id,
            type="label_selector",
            label_selector=f"souverain.eu/startup={startup},souverain.eu/ingress=true",
            use_private_ip=True,
            opts=pulumi.ResourceOptions(depends_on=[attachment]),
        )
        for port in (80, 443):
            hcloud.LoadBalancerService(
                f"{startup}-lb-tcp-{port}",
                load_balancer_id=balancer.id,
                protocol="tcp",
                listen_port=port,
                destination_port=port,
                proxyprotocol=True,
                health_check=hcloud.LoadBalancerServiceHealthCheckArgs(
                    protocol="tcp", port=port, interval=15, timeout=10, retries=3
                ),
            )

        if cluster:
            kubeconfig, api_url = declare_bare_admin(startup, *admin_inputs)
        assets = buckets["assets"] if buckets is not None else None
        zone = None
        if settings.get("enableBunny"):
            zone = declare_bare_edge(settings, startup, balancer, assets, tool_sizes)
        registry_config = None
        if settings.get("enableRegistry") or settings.get("enableEmail"):
            registry_config = declare_bare_scaleway(settings, startup, zone)
        if cluster:
            provider, addons, rancher_api = declare_bare_addons(
                settings,
                kubeconfig,
                api_url,
                [servers[name] for name in control_plane],
                network_id,
                registry_config,
            )
            if tool_sizes and buckets is not None:
                backups = buckets["backups"].bucket
                declare_bare_apps(
                    settings, tool_sizes, provider, addons, backups, rancher_api
                )

        pulumi.export("loadBalancerIpv4", balancer.ipv4)
        pulumi.export("loadBalancerIpv6", balancer.ipv6)
        pulumi.export("servers", server_names)

    return program


def bare_private_ips(
    network_cidr: str, pool_name: str, base: str, count: int
) -> dict[str, str]:
    """Each server's fixed private address, worked out as components/hetzner/layout
    does: 64 blocks in the network's first half, a pool's by its name's hash."""
    subnet = next(ipaddress.ip_network(network_cidr).subnets())
    size = subnet.num_addresses // 64
    digest = hashlib.sha256(pool_name.encode()).digest()
    block = 1 + int.from_bytes(digest[:8], "big") % 63
    first = int(subnet.network_address) + block * size
    return {
        f"{base}-{n}": str(ipaddress.ip_address(first + n)) for n in range(1, count + 1)
    }


def plan_bare(settings: dict[str, Any], stack: str) -> Plan:
    """Plan the bare program through the same `run_plan` as souverain's plan."""
    return run_plan(bare_program(settings), "souverain", stack, {}, set())
