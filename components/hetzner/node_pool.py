"""A pool of identical Hetzner servers, spread over hosts and joined to the network."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_hcloud as hcloud

from components.hetzner import layout
from components.protection import hcloud_protection


@dataclass
class NodePoolArgs:
    """Inputs of a NodePool."""

    server_type: pulumi.Input[str]
    """The Hetzner server type of every server, e.g. cx33."""
    count: int
    """How many servers; they are numbered from 1."""
    location: pulumi.Input[str]
    """The Hetzner location, e.g. fsn1."""
    image: pulumi.Input[str]
    """The image every server boots, e.g. ubuntu-24.04."""
    labels: dict[str, str]
    """Labels on every server and placement group."""
    ssh_key_ids: Sequence[pulumi.Input[str]]
    """Ids of the Hetzner SSH keys installed for root."""
    firewall_ids: Sequence[pulumi.Input[int]]
    """Firewalls attached at creation."""
    network_id: pulumi.Input[int]
    """The private network every server joins."""
    subnet: pulumi.Resource
    """The subnet the servers' private addresses come from; created first."""
    public_ipv4: bool = True
    """Give each server a public IPv4 address (IPv6 is always on)."""
    user_data: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """cloud-init user data by server name (keep it secret); others get none."""
    private_ips: Mapping[str, str] = field(default_factory=dict)
    """Fixed private address by server name; others get one picked by Hetzner."""
    primary_ipv4_ids: Mapping[str, pulumi.Input[int]] = field(default_factory=dict)
    """Id of the primary IPv4 to hold, by server name; others get a fresh address."""
    delete_protection: bool = False
    """Hetzner's delete and rebuild protection on every server."""


class NodePool(pulumi.ComponentResource):
    """Servers of one pool, in spread placement groups of at most 10 servers each."""

    server_ids: pulumi.Output[list[str]]
    """Ids of the servers, in server-number order."""
    server_names: list[str]
    """Names of the servers, known before deployment."""
    ipv4_addresses: pulumi.Output[list[str]]
    """Public IPv4 addresses (empty strings when the pool has none)."""
    servers: list[hcloud.Server]
    """The servers, in server-number order, for others to depend on."""

    def __init__(
        self,
        name: str,
        args: NodePoolArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("souverain:hetzner:NodePool", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        groups = [
            hcloud.PlacementGroup(
                f"{name}-spread-{number}",
                name=f"{name}-spread-{number}",
                type="spread",
                labels=args.labels,
                opts=child,
            )
            for number in range(1, layout.spread_group_count(args.count) + 1)
        ]

        self.server_names = layout.server_names(name, args.count)
        servers = []
        for number, server_name in enumerate(self.server_names, start=1):
            group = groups[layout.spread_group_index(number)]
            servers.append(
                hcloud.Server(
                    server_name,
                    name=server_name,
                    server_type=args.server_type,
                    location=args.location,
                    image=args.image,
                    labels=args.labels,
                    ssh_keys=list(args.ssh_key_ids),
                    firewall_ids=list(args.firewall_ids),
                    placement_group_id=group.id.apply(int),
                    # An explicit empty alias list: left out, the provider detaches and
                    # re-attaches the network on every apply (pulumi-hcloud's Server
                    # docs, "networks").
                    networks=[
                        hcloud.ServerNetworkArgs(
                            network_id=args.network_id,
                            ip=args.private_ips.get(server_name),
                            alias_ips=[],
                        )
                    ],
                    public_nets=[
                        hcloud.ServerPublicNetArgs(
                            ipv4_enabled=args.public_ipv4,
                            ipv4=args.primary_ipv4_ids.get(server_name),
                            ipv6_enabled=True,
                        )
                    ],
                    user_data=args.user_data.get(server_name),
                    **hcloud_protection(args.delete_protection, rebuild=True),
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        depends_on=[args.subnet],
                        # Hetzner installs SSH keys only when a server is created, and
                        # the provider replaces a server whose keys change: adding a
                        # teammate's key must not rebuild every node. cloud-init reads
                        # user data at first boot only, and the provider would replace
                        # every server of a cluster at once for a new k3s version:
                        # running nodes are upgraded in place, new ones get the new
                        # user data. A new image, likewise, is for new servers: the
                        # provider would rebuild them all at once, and a rebuilt first
                        # control plane starts an empty cluster.
                        ignore_changes=["sshKeys", "userData", "image"],
                        # Server names are unique per project, so a replacement can
                        # only be created once the old server is gone.
                        delete_before_replace=True,
                    ),
                )
            )

        self.servers = servers
        self.server_ids = pulumi.Output.all(*[s.id for s in servers])
        self.ipv4_addresses = pulumi.Output.all(*[s.ipv4_address for s in servers])
        self.register_outputs(
            {
                "server_ids": self.server_ids,
                "server_names": self.server_names,
                "ipv4_addresses": self.ipv4_addresses,
                "servers": self.servers,
            }
        )
