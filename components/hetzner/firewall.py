"""Inbound firewalls for the nodes, one per role, denying all that is not allowed."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_hcloud as hcloud

from components.hetzner.layout import FirewallRule


@dataclass
class NodeFirewallsArgs:
    """Inputs of NodeFirewalls."""

    rules_by_role: dict[str, Sequence[FirewallRule]]
    """Inbound rules per node role (control-plane, worker); all else is denied."""
    labels: pulumi.Input[dict[str, str]]
    """Labels on each firewall."""


class NodeFirewalls(pulumi.ComponentResource):
    """One Hetzner firewall per node role, attached to servers when they are created.

    Servers take the firewall ids at creation (not a label selector applied later), so
    no server is ever reachable before its firewall is in place.
    """

    firewall_ids: dict[str, pulumi.Output[int]]
    """The numeric firewall id for each role."""

    def __init__(
        self,
        name: str,
        args: NodeFirewallsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("souverain:hetzner:NodeFirewalls", name, None, opts)

        self.firewall_ids = {}
        for role, rules in sorted(args.rules_by_role.items()):
            firewall = hcloud.Firewall(
                f"{name}-{role}-firewall",
                name=f"{name}-{role}",
                labels=args.labels,
                rules=[
                    hcloud.FirewallRuleArgs(
                        direction="in",
                        description=rule.description,
                        protocol=rule.protocol,
                        port=rule.port,
                        source_ips=list(rule.source_ips),
                    )
                    for rule in rules
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.firewall_ids[role] = firewall.id.apply(int)

        self.register_outputs({"firewall_ids": self.firewall_ids})
