"""What servers are made with besides themselves: placement groups, SSH keys and the
primary IPs that give them public addresses.

A server created with a public interface gets primary IPs of its own, named
`primary_ip-<id>` and deleted with it (`auto_delete`); a primary IP kept by the user
outlives its server, unassigned.
"""

import base64
import binascii
import hashlib
import struct
from collections.abc import Callable
from typing import Any

from tests.fakes.hetzner_catalog import lookup
from tests.fakes.hetzner_contract import ApiError, Body, Call, invalid_input
from tests.fakes.hetzner_listing import check_labels, page
from tests.fakes.hetzner_state import HetznerState

# A spread placement group keeps each server on its own host, ten at most.
SPREAD_GROUP_LIMIT = 10

Handler = Callable[[Call], tuple[int, Any]]


def fingerprint(public_key: str) -> str:
    """The MD5 fingerprint the API shows, as aa:bb:…; ValueError if not a key."""
    parts = public_key.split()
    if len(parts) < 2:
        raise ValueError("is not an OpenSSH public key (type, key, comment)")
    try:
        blob = base64.b64decode(parts[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
    except (binascii.Error, struct.error):
        raise ValueError("does not hold a base64 key") from None
    if blob[4 : 4 + length].decode(errors="replace") != parts[0]:
        raise ValueError(f"does not hold a {parts[0]} key")
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def new_primary_ip(
    state: HetznerState,
    ip_type: str,
    location: Body,
    assignee_id: int | None,
    *,
    name: str | None = None,
    auto_delete: bool = True,
    labels: dict[str, str] | None = None,
) -> Body:
    """A fresh primary IP, kept in the state: an IPv4 address or an IPv6 /64."""
    primary_ip_id = state.new_id("primary_ips")
    if ip_type == "ipv4":
        ip = state.public_ipv4()
        dns_ptr = [{"ip": ip, "dns_ptr": f"static.{ip}.clients.your-server.de"}]
    else:
        ip, dns_ptr = state.public_ipv6_network(), []
    address = {
        "id": primary_ip_id,
        "name": name or f"primary_ip-{primary_ip_id}",
        "labels": dict(labels or {}),
        "created": state.now,
        "blocked": False,
        "location": location,
        "ip": ip,
        "dns_ptr": dns_ptr,
        "protection": {"delete": False},
        "type": ip_type,
        "auto_delete": auto_delete,
        "assignee_type": "server",
        "assignee_id": assignee_id,
    }
    state.primary_ips[primary_ip_id] = address
    return address


def check_free_slot(server: Body, ip_type: str, keeping: int | None = None) -> None:
    """422 when `server` holds an address of `ip_type` other than `keeping`."""
    held = server["public_net"][ip_type]
    if held is not None and held["id"] != keeping:
        message = f"server {server['id']} already has an {ip_type} address"
        raise ApiError(422, f"server_has_{ip_type}", message)


def check_assignable(address: Body, server: Body) -> None:
    """Refuse to give `address` to `server` where the API would."""
    if address["assignee_id"] not in (None, server["id"]):
        message = f"primary IP {address['id']} is assigned to another server"
        raise ApiError(422, "primary_ip_already_assigned", message)
    check_free_slot(server, address["type"], keeping=address["id"])
    if address["location"]["name"] != server["location"]["name"]:
        message = f"primary IP {address['id']} is in another location"
        raise ApiError(422, "primary_ip_datacenter_mismatch", message)


def require_stopped(server: Body) -> None:
    """422 `server_not_stopped` unless the server is off."""
    if server["status"] != "off":
        message = f"server {server['id']} is {server['status']}, it must be off"
        raise ApiError(422, "server_not_stopped", message)


class ServerPartRoutes:
    """Handlers for placement groups, SSH keys and primary IPs."""

    def __init__(self, state: HetznerState):
        self.state = state

    def routes(self) -> dict[tuple[str, str], Handler]:
        """The handler of each operation served, by (path template, method)."""
        routes = {
            ("/placement_groups", "post"): self._create_group,
            ("/placement_groups/{id}", "delete"): self._delete_group,
            ("/ssh_keys", "post"): self._create_key,
            ("/ssh_keys/{id}", "delete"): self._delete("ssh_keys"),
            ("/primary_ips", "post"): self._create_ip,
            ("/primary_ips/{id}", "delete"): self._delete_ip,
            ("/primary_ips/{id}/actions/assign", "post"): self._assign,
            ("/primary_ips/{id}/actions/unassign", "post"): self._unassign,
            ("/primary_ips/{id}/actions/change_protection", "post"): self._protect,
        }
        for kind, singular in (
            ("placement_groups", "placement_group"),
            ("ssh_keys", "ssh_key"),
            ("primary_ips", "primary_ip"),
        ):
            routes[(f"/{kind}", "get")] = self._list(kind)
            routes[(f"/{kind}/{{id}}", "get")] = self._get(kind, singular)
            routes[(f"/{kind}/{{id}}", "put")] = self._update(kind, singular)
        return routes

    def _list(self, kind: str) -> Handler:
        def handler(call: Call) -> tuple[int, Body]:
            items = self.state.of(kind).values()
            return 200, page(kind, items, call.params, self.state.max_per_page)

        return handler

    def _get(self, kind: str, singular: str) -> Handler:
        return lambda call: (200, {singular: self.state.find(kind, call.params["id"])})

    def _update(self, kind: str, singular: str) -> Handler:
        def handler(call: Call) -> tuple[int, Body]:
            resource = self.state.find(kind, call.params["id"])
            if "name" in call.body:
                self.state.check_name(kind, call.body["name"], resource["id"])
            check_labels(call.body)
            for key in ("name", "labels", "auto_delete"):
                if key in call.body and key in resource:
                    resource[key] = call.body[key]
            return 200, {singular: resource}

        return handler

    def _delete(self, kind: str) -> Handler:
        def handler(call: Call) -> tuple[int, None]:
            del self.state.of(kind)[self.state.find(kind, call.params["id"])["id"]]
            return 204, None

        return handler

    def _create_group(self, call: Call) -> tuple[int, Body]:
        check_labels(call.body)
        self.state.check_name("placement_groups", call.body["name"])
        group = {
            "id": self.state.new_id("placement_groups"),
            "name": call.body["name"],
            "labels": dict(call.body.get("labels") or {}),
            "type": call.body["type"],
            "created": self.state.now,
            "servers": [],
        }
        self.state.placement_groups[group["id"]] = group
        return 201, {"placement_group": group, "action": None}

    def _delete_group(self, call: Call) -> tuple[int, None]:
        group = self.state.find("placement_groups", call.params["id"])
        if group["servers"]:
            # The spec names no error here; the fake refuses rather than leave
            # servers pointing at a group that is gone.
            message = f"placement group {group['id']} still has servers"
            raise ApiError(422, "resource_in_use", message)
        del self.state.placement_groups[group["id"]]
        return 204, None

    def _create_key(self, call: Call) -> tuple[int, Body]:
        check_labels(call.body)
        try:
            key_fingerprint = fingerprint(call.body["public_key"])
        except ValueError as err:
            raise invalid_input({"public_key": [str(err)]}) from None
        self.state.check_name("ssh_keys", call.body["name"])
        if any(
            k["fingerprint"] == key_fingerprint for k in self.state.ssh_keys.values()
        ):
            # The spec's own example of a uniqueness_error.
            message = "SSH key with the same fingerprint already exists"
            details = {"fields": [{"name": "public_key"}]}
            raise ApiError(409, "uniqueness_error", message, details)
        key = {
            "id": self.state.new_id("ssh_keys"),
            "name": call.body["name"],
            "fingerprint": key_fingerprint,
            "public_key": call.body["public_key"].strip(),
            "labels": dict(call.body.get("labels") or {}),
            "created": self.state.now,
        }
        self.state.ssh_keys[key["id"]] = key
        return 201, {"ssh_key": key}

    def _create_ip(self, call: Call) -> tuple[int, Body]:
        body = call.body
        check_labels(body)
        self.state.check_name("primary_ips", body["name"])
        server = None
        if body.get("assignee_id") is not None:
            server = self.state.find("servers", body["assignee_id"])
            require_stopped(server)
            check_free_slot(server, body["type"])
            location = server["location"]
        elif "location" in body:
            location = lookup(
                self.state.catalog, "locations", body["location"], "location"
            )
        else:
            raise invalid_input({"location": ["is required without assignee_id"]})

        address = new_primary_ip(
            self.state,
            body["type"],
            location,
            server["id"] if server else None,
            name=body["name"],
            auto_delete=body.get("auto_delete", False),
            labels=body.get("labels"),
        )
        action = None
        if server is not None:
            about = (("primary_ips", address["id"]), ("servers", server["id"]))
            action = self.state.action("assign_primary_ip", *about)
        return 201, {"primary_ip": address, "action": action}

    def _delete_ip(self, call: Call) -> tuple[int, None]:
        address = self.state.find("primary_ips", call.params["id"])
        if address["protection"]["delete"]:
            message = f"primary IP {address['id']} is delete protected"
            raise ApiError(423, "protected", message)
        if address["assignee_id"] is not None:
            # Past 1 May 2026 the API no longer unassigns on delete (spec).
            message = f"primary IP {address['id']} must be unassigned first"
            raise ApiError(422, "must_be_unassigned", message)
        del self.state.primary_ips[address["id"]]
        return 204, None

    def _assign(self, call: Call) -> tuple[int, Body]:
        address = self.state.find("primary_ips", call.params["id"])
        server = self.state.find("servers", call.body["assignee_id"])
        require_stopped(server)
        check_assignable(address, server)
        address["assignee_id"] = server["id"]
        about = (("primary_ips", address["id"]), ("servers", server["id"]))
        return 201, {"action": self.state.action("assign_primary_ip", *about)}

    def _unassign(self, call: Call) -> tuple[int, Body]:
        address = self.state.find("primary_ips", call.params["id"])
        server = self.state.servers.get(address["assignee_id"])
        if server is not None:
            require_stopped(server)
            if address["type"] == "ipv4" and self._public_target(server["id"]):
                message = f"server {server['id']} is a load balancer target"
                raise ApiError(422, "server_is_load_balancer_target", message)
        address["assignee_id"] = None
        about = ("primary_ips", address["id"])
        return 201, {"action": self.state.action("unassign_primary_ip", about)}

    def _public_target(self, server_id: int) -> bool:
        """True when a load balancer reaches the server by its public address."""
        for balancer in self.state.load_balancers.values():
            for target in balancer["targets"]:
                if target.get("use_private_ip"):
                    continue
                if target["type"] == "server" and target["server"]["id"] == server_id:
                    return True
                selector = target.get("label_selector", {}).get("selector")
                if selector and server_id in self.state.matching(selector):
                    return True
        return False

    def _protect(self, call: Call) -> tuple[int, Body]:
        address = self.state.find("primary_ips", call.params["id"])
        address["protection"]["delete"] = call.body["delete"]
        about = ("primary_ips", address["id"])
        return 201, {"action": self.state.action("change_protection", about)}
