"""The startup's private Hetzner network and the subnet its nodes live in."""

from dataclasses import dataclass

import pulumi
import pulumi_hcloud as hcloud

from components.protection import hcloud_protection


@dataclass
class PrivateNetworkArgs:
    """Inputs of a PrivateNetwork."""

    ip_range: pulumi.Input[str]
    """The whole network's private range, e.g. 10.0.0.0/16."""
    subnet_ip_range: pulumi.Input[str]
    """The nodes' subnet inside `ip_range`."""
    network_zone: pulumi.Input[str]
    """The Hetzner network zone of the location, e.g. eu-central."""
    labels: pulumi.Input[dict[str, str]]
    """Labels on the network."""
    delete_protection: bool = False
    """Hetzner's delete protection on the network."""


class PrivateNetwork(pulumi.ComponentResource):
    """A Hetzner network with one cloud subnet for the nodes and the load balancer."""

    network_id: pulumi.Output[int]
    """The network's numeric id, as servers and load balancers attach by it."""
    subnet: hcloud.NetworkSubnet
    """The nodes' subnet; attach servers only after it exists (`depends_on`)."""

    def __init__(
        self,
        name: str,
        args: PrivateNetworkArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("souverain:hetzner:PrivateNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        network = hcloud.Network(
            f"{name}-network",
            name=f"{name}-network",
            ip_range=args.ip_range,
            labels=args.labels,
            **hcloud_protection(args.delete_protection),
            opts=child,
        )
        self.network_id = network.id.apply(int)

        self.subnet = hcloud.NetworkSubnet(
            f"{name}-nodes-subnet",
            network_id=self.network_id,
            type="cloud",
            network_zone=args.network_zone,
            ip_range=args.subnet_ip_range,
            opts=child,
        )

        self.register_outputs({"network_id": self.network_id, "subnet": self.subnet})
