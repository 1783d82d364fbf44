"""Servers and the actions the hcloud provider starts on them.

A server is created from a server type, an image for the type's architecture and a
location that offers the type; it joins its networks, firewalls and placement group
at once, and gets primary IPs for each public protocol it enables. Everything else
a server is linked to follows from the other side (hetzner_state.py).
"""

import re
from collections.abc import Callable
from typing import Any

from tests.fakes.hetzner_catalog import INCLUDED_TRAFFIC, lookup
from tests.fakes.hetzner_contract import ApiError, Body, Call, invalid_input, not_found
from tests.fakes.hetzner_listing import check_labels, page
from tests.fakes.hetzner_networks import allocate, check_alias_ips
from tests.fakes.hetzner_server_parts import (
    SPREAD_GROUP_LIMIT,
    new_primary_ip,
    require_stopped,
)
from tests.fakes.hetzner_state import HetznerState

# Server names must be hostnames (RFC 1123), as the spec's POST /servers says.
HOSTNAME = re.compile(
    r"(?=.{1,253}$)[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?"
    r"(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*"
)
# What the power actions do: the command of their action and the status after it.
POWER_ACTIONS = {
    "poweron": ("start_server", "running"),
    "poweroff": ("stop_server", "off"),
    "shutdown": ("shutdown_server", "off"),
    "reboot": ("reboot_server", "running"),
    "reset": ("reset_server", "running"),
}
BACKUP_WINDOW = "22-02"

Handler = Callable[[Call], tuple[int, Any]]


def check_hostname(body: Body) -> None:
    """Refuse a `name` that is not a hostname."""
    if "name" in body and not HOSTNAME.fullmatch(body["name"]):
        raise invalid_input({"name": ["must be a valid hostname (RFC 1123)"]})


class ServerRoutes:
    """Handlers for servers and their actions."""

    def __init__(self, state: HetznerState):
        self.state = state

    def routes(self) -> dict[tuple[str, str], Handler]:
        """The handler of each operation served, by (path template, method)."""
        base = "/servers/{id}/actions"
        routes = {
            ("/servers", "get"): self._list,
            ("/servers", "post"): self._create,
            ("/servers/{id}", "get"): lambda call: (200, {"server": self._of(call)}),
            ("/servers/{id}", "put"): self._update,
            ("/servers/{id}", "delete"): self._delete,
            (f"{base}/attach_to_network", "post"): self._attach,
            (f"{base}/detach_from_network", "post"): self._detach,
            (f"{base}/change_alias_ips", "post"): self._change_alias_ips,
            (f"{base}/change_protection", "post"): self._protect,
            (f"{base}/change_type", "post"): self._change_type,
            (f"{base}/add_to_placement_group", "post"): self._add_to_group,
            (f"{base}/remove_from_placement_group", "post"): self._remove_from_group,
            (f"{base}/enable_backup", "post"): self._backup(BACKUP_WINDOW),
            (f"{base}/disable_backup", "post"): self._backup(None),
        }
        for name, (command, status) in POWER_ACTIONS.items():
            routes[(f"{base}/{name}", "post")] = self._power(command, status)
        return routes

    def _of(self, call: Call) -> Body:
        return self.state.find("servers", call.params["id"])

    def _done(
        self, command: str, server: Body, *others: tuple[str, int]
    ) -> tuple[int, Body]:
        action = self.state.action(command, ("servers", server["id"]), *others)
        return 201, {"action": action}

    def _list(self, call: Call) -> tuple[int, Body]:
        servers = self.state.servers.values()
        return 200, page("servers", servers, call.params, self.state.max_per_page)

    def _create(self, call: Call) -> tuple[int, Body]:
        body, state = call.body, self.state
        check_hostname(body)
        check_labels(body)
        server_type = lookup(
            state.catalog, "server_types", body["server_type"], "server_type"
        )
        location = self._location(body.get("location"), server_type)
        image = self._image(body["image"], server_type["architecture"])
        state.check_name("servers", body["name"])

        keys, firewalls, networks, group = self._links(body)
        public_net = body.get("public_net") or {}
        addresses = self._chosen_addresses(public_net, location)
        enabled = {
            ip_type: public_net.get(f"enable_{ip_type}", True) or ip_type in addresses
            for ip_type in ("ipv4", "ipv6")
        }
        if not any(enabled.values()) and not networks:
            message = "a server without public addresses must join a network"
            raise invalid_input({"public_net": [message]})

        started = body.get("start_after_create", True)
        server = {
            "id": state.new_id("servers"),
            "name": body["name"],
            "status": "running" if started else "off",
            "created": state.now,
            "public_net": {
                "ipv4": None,
                "ipv6": None,
                "floating_ips": [],
                "firewalls": [],
            },
            "private_net": [],
            "server_type": server_type,
            "location": location,
            "image": image,
            "iso": None,
            "rescue_enabled": False,
            "locked": False,
            "backup_window": None,
            "outgoing_traffic": 0,
            "ingoing_traffic": 0,
            "included_traffic": INCLUDED_TRAFFIC,
            "protection": {"delete": False, "rebuild": False},
            "labels": dict(body.get("labels") or {}),
            "volumes": [],
            "load_balancers": [],
            "primary_disk_size": server_type["disk"],
            "placement_group": group,
        }
        for network in networks:
            server["private_net"].append(self._interface(server, network, None, []))
        state.servers[server["id"]] = server
        state.created_with[server["id"]] = {
            "user_data": body.get("user_data"),
            "ssh_keys": [key["id"] for key in keys],
        }
        for ip_type, on in enabled.items():
            if ip_type in addresses:
                addresses[ip_type]["assignee_id"] = server["id"]
            elif on:
                new_primary_ip(state, ip_type, location, server["id"])
        for firewall in firewalls:
            entry = {"type": "server", "server": {"id": server["id"]}}
            firewall["applied_to"].append(entry)

        about = ("servers", server["id"])
        action = self.state.action("create_server", about)
        next_actions = [self.state.action("start_server", about)] if started else []
        return 201, {
            "server": server,
            "action": action,
            "next_actions": next_actions,
            "root_password": None if keys else f"fake-root-password-{server['id']}",
        }

    def _links(self, body: Body) -> tuple[list[Body], list[Body], list[Body], Any]:
        """The SSH keys, firewalls, networks and placement group a new server names;
        404 for one that does not exist."""
        state = self.state
        keys = [self._ssh_key(key) for key in body.get("ssh_keys") or []]
        firewalls = [
            state.find("firewalls", f["firewall"]) for f in body.get("firewalls") or []
        ]
        networks = [state.find("networks", n) for n in body.get("networks") or []]
        group = None
        if body.get("placement_group") is not None:
            group = state.find("placement_groups", body["placement_group"])
            if len(group["servers"]) >= SPREAD_GROUP_LIMIT:
                message = f"placement group {group['id']} has no room left"
                raise ApiError(422, "placement_error", message)
        return keys, firewalls, networks, group

    def _location(self, wanted: Any, server_type: Body) -> Body:
        """The location asked for, or the first that offers the type; 412 when it
        does not offer the type (any more)."""
        offered = {
            entry["name"]: entry
            for entry in server_type["locations"]
            if entry["available"]
        }
        if wanted is None:
            wanted = next(iter(offered), None)
            if wanted is None:
                message = f"server type {server_type['name']} is offered nowhere"
                raise ApiError(412, "resource_unavailable", message)
        location = lookup(self.state.catalog, "locations", wanted, "location")
        if location["name"] not in offered:
            message = f"server type {server_type['name']} is not available in {wanted}"
            raise ApiError(412, "resource_unavailable", message)
        return location

    def _image(self, wanted: Any, architecture: str) -> Body:
        """The image by id, or by name for the server type's architecture."""
        for image in self.state.catalog["images"]:
            by_id = str(wanted) == str(image["id"])
            if by_id or (
                wanted == image["name"] and image["architecture"] == architecture
            ):
                if image["architecture"] != architecture:
                    message = f"image {wanted} is for {image['architecture']}"
                    raise invalid_input({"image": [message]})
                return image
        raise invalid_input({"image": [f"{wanted} does not exist for {architecture}"]})

    def _ssh_key(self, wanted: Any) -> Body:
        for key in self.state.ssh_keys.values():
            if str(wanted) in (str(key["id"]), key["name"]):
                return key
        raise not_found("ssh_key", wanted)

    def _chosen_addresses(self, public_net: Body, location: Body) -> dict[str, Body]:
        """The primary IPs `public_net` names, checked for a new server there."""
        chosen = {}
        for ip_type in ("ipv4", "ipv6"):
            if public_net.get(ip_type) is None:
                continue
            address = self.state.find("primary_ips", public_net[ip_type])
            if address["type"] != ip_type:
                message = f"primary IP {address['id']} is not {ip_type}"
                raise ApiError(412, "primary_ip_version_mismatch", message)
            if address["assignee_id"] is not None:
                message = f"primary IP {address['id']} is assigned to a server"
                raise ApiError(422, "primary_ip_assigned", message)
            if address["location"]["name"] != location["name"]:
                message = f"primary IP {address['id']} is in another location"
                raise ApiError(422, "primary_ip_datacenter_mismatch", message)
            chosen[ip_type] = address
        return chosen

    def _interface(
        self,
        server: Body,
        network: Body,
        ip: str | None,
        alias_ips: list[str],
        ip_range: str | None = None,
    ) -> Body:
        """The server's interface in `network`, with a free address of its zone."""
        zone = server["location"]["network_zone"]
        check_alias_ips(self.state, network, alias_ips)
        return {
            "network": network["id"],
            "ip": allocate(self.state, network, zone, ip, ip_range),
            "alias_ips": list(alias_ips),
            "mac_address": self.state.mac_address(),
        }

    def _update(self, call: Call) -> tuple[int, Body]:
        server = self._of(call)
        check_hostname(call.body)
        check_labels(call.body)
        if "name" in call.body:
            self.state.check_name("servers", call.body["name"], server["id"])
        for key in ("name", "labels"):
            if key in call.body:
                server[key] = call.body[key]
        return 200, {"server": server}

    def _delete(self, call: Call) -> tuple[int, Body]:
        server = self._of(call)
        if server["protection"]["delete"]:
            message = f"server {server['id']} is delete protected"
            raise ApiError(423, "protected", message)
        action = self.state.action("delete_server", ("servers", server["id"]))
        # Its networks, firewalls, group and primary IPs let go in settle().
        del self.state.servers[server["id"]]
        return 200, {"action": action}

    def _attached(self, server: Body, network_id: int) -> Body | None:
        return next(
            (n for n in server["private_net"] if n["network"] == network_id), None
        )

    def _attach(self, call: Call) -> tuple[int, Body]:
        server = self._of(call)
        network = self.state.find("networks", call.body["network"])
        if self._attached(server, network["id"]) is not None:
            message = (
                f"server {server['id']} is already attached to network {network['id']}"
            )
            raise ApiError(422, "server_already_attached", message)
        interface = self._interface(
            server,
            network,
            call.body.get("ip"),
            call.body.get("alias_ips") or [],
            call.body.get("ip_range"),
        )
        server["private_net"].append(interface)
        return self._done("attach_to_network", server, ("networks", network["id"]))

    def _detach(self, call: Call) -> tuple[int, Body]:
        server = self._of(call)
        network = self.state.find("networks", call.body["network"])
        interface = self._attached(server, network["id"])
        if interface is None:
            # terraform-provider-hcloud takes not_found here for "already gone".
            message = (
                f"server {server['id']} is not attached to network {network['id']}"
            )
            raise ApiError(404, "not_found", message)
        server["private_net"].remove(interface)
        return self._done("detach_from_network", server, ("networks", network["id"]))

    def _change_alias_ips(self, call: Call) -> tuple[int, Body]:
        server = self._of(call)
        network = self.state.find("networks", call.body["network"])
        interface = self._attached(server, network["id"])
        if interface is None:
            message = (
                f"server {server['id']} is not attached to network {network['id']}"
            )
            raise ApiError(404, "not_found", message)
        # The server's own aliases do not block their replacements.
        kept, interface["alias_ips"] = interface["alias_ips"], []
        try:
            check_alias_ips(self.state, network, call.body["alias_ips"])
        finally:
            interface["alias_ips"] = kept
        interface["alias_ips"] = list(call.body["alias_ips"])
        return self._done("change_alias_ips", server, ("networks", network["id"]))

    def _protect(self, call: Call) -> tuple[int, Body]:
        server = self._of(call)
        for key in ("delete", "rebuild"):
            if key in call.body:
                server["protection"][key] = call.body[key]
        return self._done("change_protection", server)

    def _change_type(self, call: Call) -> tuple[int, Body]:
        server = self._of(call)
        require_stopped(server)
        wanted = lookup(
            self.state.catalog, "server_types", call.body["server_type"], "server_type"
        )
        problem = None
        if wanted["architecture"] != server["server_type"]["architecture"]:
            problem = f"{wanted['name']} is not {server['server_type']['architecture']}"
        elif wanted["disk"] < server["primary_disk_size"]:
            problem = f"the disk of {wanted['name']} is smaller than the server's"
        if problem:
            raise ApiError(422, "invalid_server_type", problem)
        server["server_type"] = wanted
        if call.body["upgrade_disk"]:
            server["primary_disk_size"] = wanted["disk"]
        return self._done("change_server_type", server)

    def _add_to_group(self, call: Call) -> tuple[int, Body]:
        server = self._of(call)
        require_stopped(server)
        group = self.state.find("placement_groups", call.body["placement_group"])
        if server["placement_group"] is not None:
            message = f"server {server['id']} is already in a placement group"
            raise ApiError(422, "already_in_placement_group", message)
        if len(group["servers"]) >= SPREAD_GROUP_LIMIT:
            message = f"placement group {group['id']} has no room left"
            raise ApiError(422, "placement_error", message)
        server["placement_group"] = group
        return self._done("add_to_placement_group", server)

    def _remove_from_group(self, call: Call) -> tuple[int, Body]:
        server = self._of(call)
        require_stopped(server)
        server["placement_group"] = None
        return self._done("remove_from_placement_group", server)

    def _backup(self, window: str | None) -> Handler:
        def handler(call: Call) -> tuple[int, Body]:
            server = self._of(call)
            server["backup_window"] = window
            return self._done("enable_backup" if window else "disable_backup", server)

        return handler

    def _power(self, command: str, status: str) -> Handler:
        def handler(call: Call) -> tuple[int, Body]:
            server = self._of(call)
            server["status"] = status
            return self._done(command, server)

        return handler
