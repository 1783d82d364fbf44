"""What the fake Hetzner project holds, and the links between its resources.

Every resource is kept as the API body it is answered with, by id, in one dict per
kind (`servers`, `networks`…), so a test reads and edits plain dicts. One side of
each link is the truth and the other is derived by `settle()`, which the fake runs
after every request and every out-of-band change:

- a server's `private_net` says which networks it is in; a network's `servers` and
  `load_balancers` follow from it;
- a firewall's `applied_to` says which servers and selectors it covers; a server's
  `public_net.firewalls` follows;
- a server's `placement_group` says where it is; the group's `servers` follow;
- a primary IP's `assignee_id` says which server has it; the server's `public_net`
  addresses follow;
- a load balancer's `targets` say what it sends to; the servers a label selector
  matches, their health and each server's `load_balancers` follow.

A deleted resource is simply removed: `settle()` then lets go of whatever pointed at
it, as the API does (a deleted server leaves its firewalls and networks, its
auto-deleted primary IPs go with it, a deleted network detaches its servers).
"""

import ipaddress
import itertools
import threading
from collections.abc import Iterator
from typing import Any

from tests.fakes.hetzner_contract import ApiError, Body, not_found
from tests.fakes.hetzner_listing import MAX_PER_PAGE, label_selector

# The time the fake writes into dates, fixed so that tests can compare whole bodies.
NOW = "2026-12-03T12:00:00+00:00"
# The user's resources by kind, as the API paths name them: the name actions and
# errors give one of them, and the first id the fake hands out. Ids come from
# distinct ranges, so a test that mixes them up fails.
KINDS = {
    "networks": ("network", 1001),
    "firewalls": ("firewall", 2001),
    "placement_groups": ("placement_group", 3001),
    "ssh_keys": ("ssh_key", 4001),
    "servers": ("server", 5001),
    "primary_ips": ("primary_ip", 6001),
    "load_balancers": ("load_balancer", 7001),
}
FIRST_ACTION_ID = 100001
# Public addresses come from the ranges kept for documentation (RFC 5737, RFC 3849).
PUBLIC_IPV4_RANGES = ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24")
PUBLIC_IPV6_PREFIX = "2001:db8"


class HetznerState:
    """The resources of one fake project, and the catalogue it offers."""

    def __init__(self, catalog: dict[str, Any], now: str = NOW):
        self.catalog = catalog
        self.now = now
        self.max_per_page = MAX_PER_PAGE
        # Held while a request is handled, and by the out-of-band changes below.
        self.lock = threading.RLock()
        self.networks: dict[int, Body] = {}
        self.firewalls: dict[int, Body] = {}
        self.placement_groups: dict[int, Body] = {}
        self.ssh_keys: dict[int, Body] = {}
        self.servers: dict[int, Body] = {}
        self.primary_ips: dict[int, Body] = {}
        self.load_balancers: dict[int, Body] = {}
        self.actions: dict[int, Body] = {}
        # What a server was created with that the API never shows again: user_data
        # and the ids of its SSH keys, by server id.
        self.created_with: dict[int, Body] = {}
        self._ids = {kind: itertools.count(start) for kind, (_, start) in KINDS.items()}
        self._action_ids = itertools.count(FIRST_ACTION_ID)
        self._ipv4 = (
            str(address)
            for block in PUBLIC_IPV4_RANGES
            for address in ipaddress.ip_network(block).hosts()
        )
        self._ipv6 = itertools.count(1)
        self._macs = itertools.count(1)

    def of(self, kind: str) -> dict[int, Body]:
        """The resources of `kind` (`servers`, `networks`…), by id."""
        if kind not in KINDS:
            raise KeyError(f"{kind} is not one of {', '.join(KINDS)}")
        return getattr(self, kind)

    def new_id(self, kind: str) -> int:
        """The next id of `kind`: ids only ever increase."""
        return next(self._ids[kind])

    def find(self, kind: str, resource_id: Any) -> Body:
        """The resource, or 404 `not_found` as the API answers an unknown id."""
        resource = self.of(kind).get(resource_id)
        if resource is None:
            raise not_found(KINDS[kind][0], resource_id)
        return resource

    def check_name(self, kind: str, name: str, current: int | None = None) -> None:
        """409 `uniqueness_error` when another resource of `kind` has `name`.

        Names are unique per project for every kind the fake keeps.
        """
        for resource_id, resource in self.of(kind).items():
            if resource["name"] == name and resource_id != current:
                message = f"{KINDS[kind][0]} with the same name already exists"
                details = {"fields": [{"name": "name"}]}
                raise ApiError(409, "uniqueness_error", message, details)

    def action(self, command: str, *resources: tuple[str, int]) -> Body:
        """A finished action about `resources` ((kind, id) pairs), kept for polling.

        Every action succeeds at once, so clients never wait.
        """
        action = {
            "id": next(self._action_ids),
            "command": command,
            "status": "success",
            "progress": 100,
            "started": self.now,
            "finished": self.now,
            "resources": [{"id": i, "type": KINDS[kind][0]} for kind, i in resources],
            "error": None,
        }
        self.actions[action["id"]] = action
        return action

    def public_ipv4(self) -> str:
        """An unused public IPv4 address."""
        return next(self._ipv4)

    def public_ipv6_network(self) -> str:
        """An unused /64, as servers get one."""
        return f"{PUBLIC_IPV6_PREFIX}:{next(self._ipv6):x}::/64"

    def mac_address(self) -> str:
        """An unused MAC address for a private network interface."""
        number = next(self._macs)
        return "86:00:00:" + ":".join(f"{(number >> s) & 255:02x}" for s in (16, 8, 0))

    # Out-of-band changes, as someone clicking in the Cloud Console.

    def set_labels(self, kind: str, resource_id: int, labels: dict[str, str]) -> None:
        """Replace the labels of one resource behind the client's back."""
        with self.lock:
            self.find(kind, resource_id)["labels"] = dict(labels)
            self.settle()

    def delete(self, kind: str, resource_id: int) -> None:
        """Delete one resource behind the client's back; what used it lets go."""
        with self.lock:
            del self.of(kind)[self.find(kind, resource_id)["id"]]
            self.settle()

    def remaining(self) -> dict[str, list[str]]:
        """The names of the resources left, by kind; kinds with none are left out."""
        with self.lock:
            left = {
                kind: [resource["name"] for resource in self.of(kind).values()]
                for kind in KINDS
            }
        return {kind: names for kind, names in left.items() if names}

    def is_empty(self) -> bool:
        """True when the project holds no resource (the catalogue does not count)."""
        return not self.remaining()

    # The derived side of every link.

    def settle(self) -> None:
        """Drop links to deleted resources, then recompute every derived field."""
        with self.lock:
            self._let_go()
            for network in self.networks.values():
                network["servers"] = self._in_network(self.servers, network["id"])
                network["load_balancers"] = self._in_network(
                    self.load_balancers, network["id"]
                )
            for group in self.placement_groups.values():
                group["servers"] = sorted(
                    server["id"]
                    for server in self.servers.values()
                    if (server["placement_group"] or {}).get("id") == group["id"]
                )
            for firewall in self.firewalls.values():
                for entry in firewall["applied_to"]:
                    if entry["type"] == "label_selector":
                        selector = entry["label_selector"]["selector"]
                        entry["applied_to_resources"] = [
                            {"type": "server", "server": {"id": server_id}}
                            for server_id in self.matching(selector)
                        ]
            for server in self.servers.values():
                self._settle_server(server)
            for balancer in self.load_balancers.values():
                self._settle_targets(balancer)

    def matching(self, selector: str) -> list[int]:
        """The ids of the servers whose labels `selector` matches."""
        test = label_selector(selector)
        return [s["id"] for s in self.servers.values() if test(s["labels"])]

    def _let_go(self) -> None:
        for holder in itertools.chain(
            self.servers.values(), self.load_balancers.values()
        ):
            holder["private_net"] = [
                entry
                for entry in holder["private_net"]
                if entry["network"] in self.networks
            ]
        for server in self.servers.values():
            group = server["placement_group"]
            if group is not None:
                server["placement_group"] = self.placement_groups.get(group["id"])
        for firewall in self.firewalls.values():
            firewall["applied_to"] = [
                entry
                for entry in firewall["applied_to"]
                if entry["type"] != "server" or entry["server"]["id"] in self.servers
            ]
        for address in list(self.primary_ips.values()):
            if address["assignee_id"] is None or address["assignee_id"] in self.servers:
                continue
            if address["auto_delete"]:
                del self.primary_ips[address["id"]]
            else:
                address["assignee_id"] = None
        for balancer in self.load_balancers.values():
            # Targets reached by a private address go with the balancer's network,
            # as terraform-provider-hcloud expects (resource_target.go, "deleting
            # the network it was attached to").
            balancer["targets"] = [
                target
                for target in balancer["targets"]
                if (balancer["private_net"] or not target.get("use_private_ip"))
                and (
                    target["type"] != "server" or target["server"]["id"] in self.servers
                )
            ]

    @staticmethod
    def _in_network(holders: dict[int, Body], network_id: int) -> list[int]:
        return sorted(
            holder["id"]
            for holder in holders.values()
            if any(entry["network"] == network_id for entry in holder["private_net"])
        )

    def _settle_server(self, server: Body) -> None:
        public_net = server["public_net"]
        public_net["ipv4"] = public_net["ipv6"] = None
        for address in self.primary_ips.values():
            if address["assignee_id"] == server["id"]:
                public_net[address["type"]] = {
                    "id": address["id"],
                    "ip": address["ip"],
                    "blocked": address["blocked"],
                    "dns_ptr": address["dns_ptr"]
                    if address["type"] == "ipv6"
                    else address["dns_ptr"][0]["dns_ptr"],
                }
        public_net["firewalls"] = [
            {"id": firewall["id"], "status": "applied"}
            for firewall in self.firewalls.values()
            if server["id"] in self.firewalled(firewall)
        ]
        server["load_balancers"] = sorted(
            balancer["id"]
            for balancer in self.load_balancers.values()
            if server["id"] in set(self._target_servers(balancer))
        )

    def firewalled(self, firewall: Body) -> set[int]:
        """The ids of the servers a firewall covers, directly or by selector."""
        covered = set()
        for entry in firewall["applied_to"]:
            if entry["type"] == "server":
                covered.add(entry["server"]["id"])
            else:
                covered.update(self.matching(entry["label_selector"]["selector"]))
        return covered

    def _target_servers(self, balancer: Body) -> Iterator[int]:
        for target in balancer["targets"]:
            if target["type"] == "server":
                yield target["server"]["id"]
            elif target["type"] == "label_selector":
                yield from self.matching(target["label_selector"]["selector"])

    def _settle_targets(self, balancer: Body) -> None:
        health = [
            {"listen_port": service["listen_port"], "status": "healthy"}
            for service in balancer["services"]
        ]
        for target in balancer["targets"]:
            private = target.get("use_private_ip", False)
            if target["type"] == "label_selector":
                selector = target["label_selector"]["selector"]
                target["targets"] = [
                    {
                        "type": "server",
                        "server": self._target_server(balancer, server_id, private),
                        "health_status": [dict(status) for status in health],
                        "use_private_ip": private,
                    }
                    for server_id in self.matching(selector)
                ]
                continue
            target["health_status"] = [dict(status) for status in health]
            if target["type"] == "server":
                server_id = target["server"]["id"]
                target["server"] = self._target_server(balancer, server_id, private)

    def _target_server(self, balancer: Body, server_id: int, private: bool) -> Body:
        """A target server and the address traffic goes to: its address in the
        balancer's network, or its public IPv4 (empty when it has none)."""
        server = self.servers[server_id]
        address = ""
        if private:
            networks = {entry["network"] for entry in balancer["private_net"]}
            for entry in server["private_net"]:
                if entry["network"] in networks:
                    address = entry["ip"]
        elif server["public_net"]["ipv4"] is not None:
            address = server["public_net"]["ipv4"]["ip"]
        return {"id": server_id, "ip": address}
