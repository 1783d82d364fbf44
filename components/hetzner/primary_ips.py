"""Public IPv4 addresses that outlive their servers, for addresses others rely on.

A server created without one gets a fresh address, lost when the server is replaced.
The Kubernetes API's address is written into the admin kubeconfig and the API's
certificate, so its servers hold a primary IP of their own, declared first: its
address is then known before the server exists.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_hcloud as hcloud

from components.protection import hcloud_protection


@dataclass
class PrimaryIpv4sArgs:
    """Inputs of PrimaryIpv4s."""

    server_names: Sequence[str]
    """The servers that will each hold one address."""
    location: pulumi.Input[str]
    """The Hetzner location, the same as the servers'."""
    labels: dict[str, str]
    """Labels on every address."""
    delete_protection: bool = False
    """Hetzner's delete protection on every address."""


class PrimaryIpv4s(pulumi.ComponentResource):
    """One primary IPv4 per server name, kept when its server is deleted."""

    ids: dict[str, pulumi.Output[int]]
    """Numeric id by server name, for the server's public network settings."""
    addresses: dict[str, pulumi.Output[str]]
    """The IPv4 address by server name."""

    def __init__(
        self,
        name: str,
        args: PrimaryIpv4sArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("souverain:hetzner:PrimaryIpv4s", name, None, opts)

        self.ids, self.addresses = {}, {}
        for server_name in args.server_names:
            address = hcloud.PrimaryIp(
                f"{server_name}-ipv4",
                name=f"{server_name}-ipv4",
                type="ipv4",
                location=args.location,
                assignee_type="server",
                # Kept when its server is replaced, so the new one gets it back.
                auto_delete=False,
                labels=args.labels,
                **hcloud_protection(args.delete_protection),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.ids[server_name] = address.id.apply(int)
            self.addresses[server_name] = address.ip_address

        self.register_outputs({"ids": self.ids, "addresses": self.addresses})
