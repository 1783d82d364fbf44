"""The public entry point: a Hetzner load balancer passing web traffic to the nodes."""

from dataclasses import dataclass

import pulumi
import pulumi_hcloud as hcloud

from components.hetzner import layout
from components.protection import hcloud_protection

HEALTH_CHECK_INTERVAL_S = 15
HEALTH_CHECK_TIMEOUT_S = 10
HEALTH_CHECK_RETRIES = 3


@dataclass
class LoadBalancerArgs:
    """Inputs of a LoadBalancer."""

    load_balancer_type: pulumi.Input[str]
    """The Hetzner load balancer type, e.g. lb11."""
    location: pulumi.Input[str]
    """The Hetzner location, the same as the servers'."""
    labels: pulumi.Input[dict[str, str]]
    """Labels on the load balancer."""
    network_id: pulumi.Input[int]
    """The private network to attach to."""
    subnet: pulumi.Resource
    """The subnet the load balancer's private address comes from; created first."""
    target_selector: pulumi.Input[str]
    """Label selector of the servers that receive traffic."""
    delete_protection: bool = False
    """Hetzner's delete protection on the load balancer."""


class LoadBalancer(pulumi.ComponentResource):
    """TCP services on 80 and 443 with proxy protocol, to servers' private addresses.

    TLS ends on the nodes (the ingress controller), so the load balancer never holds a
    certificate; proxy protocol keeps the client's address visible there.
    """

    ipv4: pulumi.Output[str]
    """The public IPv4 address that DNS records point at."""
    ipv6: pulumi.Output[str]
    """The public IPv6 address."""

    def __init__(
        self,
        name: str,
        args: LoadBalancerArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("souverain:hetzner:LoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        balancer = hcloud.LoadBalancer(
            f"{name}-lb",
            name=f"{name}-lb",
            load_balancer_type=args.load_balancer_type,
            location=args.location,
            labels=args.labels,
            algorithm=hcloud.LoadBalancerAlgorithmArgs(type="round_robin"),
            **hcloud_protection(args.delete_protection),
            opts=child,
        )
        balancer_id = balancer.id.apply(int)

        attachment = hcloud.LoadBalancerNetwork(
            f"{name}-lb-network",
            load_balancer_id=balancer_id,
            network_id=args.network_id,
            enable_public_interface=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.subnet]),
        )

        # Targets by private address only work once the balancer is in the network.
        hcloud.LoadBalancerTarget(
            f"{name}-lb-targets",
            load_balancer_id=balancer_id,
            type="label_selector",
            label_selector=args.target_selector,
            use_private_ip=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )

        for port in layout.WEB_PORTS:
            hcloud.LoadBalancerService(
                f"{name}-lb-tcp-{port}",
                load_balancer_id=balancer.id,
                protocol="tcp",
                listen_port=port,
                destination_port=port,
                proxyprotocol=True,
                health_check=hcloud.LoadBalancerServiceHealthCheckArgs(
                    protocol="tcp",
                    port=port,
                    interval=HEALTH_CHECK_INTERVAL_S,
                    timeout=HEALTH_CHECK_TIMEOUT_S,
                    retries=HEALTH_CHECK_RETRIES,
                ),
                opts=child,
            )

        self.ipv4 = balancer.ipv4
        self.ipv6 = balancer.ipv6
        self.register_outputs({"ipv4": self.ipv4, "ipv6": self.ipv6})
