"""Firewalls: their rules, and the servers and label selectors they apply to.

A firewall's `applied_to` is the truth; the servers' `public_net.firewalls` follow
from it (hetzner_state.py). Rules are checked as the API checks them: a port for TCP
and UDP only, source addresses for inbound rules, destinations for outbound ones.
"""

import ipaddress
from collections.abc import Callable
from typing import Any

from tests.fakes.hetzner_contract import ApiError, Body, Call, invalid_input
from tests.fakes.hetzner_listing import check_labels, label_selector, page
from tests.fakes.hetzner_state import HetznerState

PROTOCOLS_WITH_PORTS = ("tcp", "udp")

Handler = Callable[[Call], tuple[int, Any]]


def rule(fields: Body, where: str) -> Body:
    """A rule as the API keeps it; `invalid_input` under `where` when it is wrong."""
    problems: dict[str, list[str]] = {}
    port = fields.get("port")
    if fields["protocol"] in PROTOCOLS_WITH_PORTS and port is None:
        problems[f"{where}.port"] = [f"is required for {fields['protocol']}"]
    elif fields["protocol"] not in PROTOCOLS_WITH_PORTS and port is not None:
        problems[f"{where}.port"] = [f"is not allowed for {fields['protocol']}"]
    addresses = "source_ips" if fields["direction"] == "in" else "destination_ips"
    if not fields.get(addresses):
        problems[f"{where}.{addresses}"] = [
            f"is required for direction {fields['direction']}"
        ]
    for key in ("source_ips", "destination_ips"):
        for text in fields.get(key) or []:
            try:
                ipaddress.ip_network(text)
            except ValueError:
                problems.setdefault(f"{where}.{key}", []).append(
                    f"{text} is not a network in CIDR notation"
                )
    if problems:
        raise invalid_input(problems)
    return {
        "description": fields.get("description"),
        "direction": fields["direction"],
        "source_ips": list(fields.get("source_ips") or []),
        "destination_ips": list(fields.get("destination_ips") or []),
        "protocol": fields["protocol"],
        "port": port,
    }


class FirewallRoutes:
    """Handlers for firewalls and their rule and resource actions."""

    def __init__(self, state: HetznerState):
        self.state = state

    def routes(self) -> dict[tuple[str, str], Handler]:
        """The handler of each operation served, by (path template, method)."""
        base = "/firewalls/{id}/actions"
        return {
            ("/firewalls", "get"): self._list,
            ("/firewalls", "post"): self._create,
            ("/firewalls/{id}", "get"): lambda call: (
                200,
                {"firewall": self._of(call)},
            ),
            ("/firewalls/{id}", "put"): self._update,
            ("/firewalls/{id}", "delete"): self._delete,
            (f"{base}/set_rules", "post"): self._set_rules,
            (f"{base}/apply_to_resources", "post"): self._apply,
            (f"{base}/remove_from_resources", "post"): self._remove,
        }

    def _of(self, call: Call) -> Body:
        return self.state.find("firewalls", call.params["id"])

    def _list(self, call: Call) -> tuple[int, Body]:
        firewalls = self.state.firewalls.values()
        return 200, page("firewalls", firewalls, call.params, self.state.max_per_page)

    def _create(self, call: Call) -> tuple[int, Body]:
        body = call.body
        rules = [
            rule(fields, f"rules[{i}]")
            for i, fields in enumerate(body.get("rules") or [])
        ]
        check_labels(body)
        self.state.check_name("firewalls", body["name"])
        firewall = {
            "id": self.state.new_id("firewalls"),
            "name": body["name"],
            "labels": dict(body.get("labels") or {}),
            "created": self.state.now,
            "rules": rules,
            "applied_to": [],
        }
        resources = body.get("apply_to") or []
        servers = [r["server"]["id"] for r in resources if r["type"] == "server"]
        if len(servers) != len(set(servers)):
            message = "a server was applied more than once"
            raise ApiError(422, "server_already_added", message)
        # The same checks as apply_to_resources, but the API answers 422 here.
        self._check_resources(firewall, resources, missing_status=422)

        self.state.firewalls[firewall["id"]] = firewall
        actions = [
            self.state.action("set_firewall_rules", ("firewalls", firewall["id"]))
        ]
        actions += self._apply_resources(firewall, resources)
        return 201, {"firewall": firewall, "actions": actions}

    def _update(self, call: Call) -> tuple[int, Body]:
        firewall = self._of(call)
        if "name" in call.body:
            self.state.check_name("firewalls", call.body["name"], firewall["id"])
        check_labels(call.body)
        for key in ("name", "labels"):
            if key in call.body:
                firewall[key] = call.body[key]
        return 200, {"firewall": firewall}

    def _delete(self, call: Call) -> tuple[int, None]:
        firewall = self._of(call)
        if firewall["applied_to"]:
            message = f"firewall {firewall['id']} is still applied to a resource"
            raise ApiError(422, "resource_in_use", message)
        del self.state.firewalls[firewall["id"]]
        return 204, None

    def _set_rules(self, call: Call) -> tuple[int, Body]:
        firewall = self._of(call)
        firewall["rules"] = [
            rule(fields, f"rules[{i}]") for i, fields in enumerate(call.body["rules"])
        ]
        action = self.state.action("set_firewall_rules", ("firewalls", firewall["id"]))
        return 201, {"actions": [action]}

    def _check_resources(
        self, firewall: Body, resources: list[Body], missing_status: int = 404
    ) -> None:
        """Refuse resources the firewall cannot be applied to, as the API does."""
        for resource in resources:
            if resource["type"] == "label_selector":
                label_selector(resource["label_selector"]["selector"])
                if any(
                    entry.get("label_selector") == resource["label_selector"]
                    for entry in firewall["applied_to"]
                ):
                    message = "firewall is already applied to this label selector"
                    raise ApiError(422, "firewall_already_applied", message)
                continue
            server = self.state.servers.get(resource["server"]["id"])
            if server is None:
                message = f"server {resource['server']['id']} not found"
                raise ApiError(missing_status, "firewall_resource_not_found", message)
            if server["id"] in self.state.firewalled(firewall):
                message = f"firewall is already applied to server {server['id']}"
                raise ApiError(422, "firewall_already_applied", message)
            if (
                server["public_net"]["ipv4"] is None
                and server["public_net"]["ipv6"] is None
            ):
                message = f"server {server['id']} has no public interface"
                raise ApiError(422, "private_net_only_server", message)

    def _apply_resources(self, firewall: Body, resources: list[Body]) -> list[Body]:
        actions = []
        for resource in resources:
            entry: Body = {"type": resource["type"]}
            about = [("firewalls", firewall["id"])]
            if resource["type"] == "server":
                entry["server"] = {"id": resource["server"]["id"]}
                about.append(("servers", resource["server"]["id"]))
            else:
                entry["label_selector"] = dict(resource["label_selector"])
                entry["applied_to_resources"] = []
            firewall["applied_to"].append(entry)
            actions.append(self.state.action("apply_firewall", *about))
        return actions

    def _apply(self, call: Call) -> tuple[int, Body]:
        firewall = self._of(call)
        self._check_resources(firewall, call.body["apply_to"])
        return 201, {"actions": self._apply_resources(firewall, call.body["apply_to"])}

    def _remove(self, call: Call) -> tuple[int, Body]:
        firewall = self._of(call)
        actions = []
        for resource in call.body["remove_from"]:
            if resource["type"] == "server":
                server_id = resource["server"]["id"]
                if server_id not in self.state.servers:
                    message = f"server {server_id} not found"
                    raise ApiError(404, "firewall_resource_not_found", message)
                entry = {"type": "server", "server": {"id": server_id}}
                if entry not in firewall["applied_to"]:
                    code = "firewall_already_removed"
                    if server_id in self.state.firewalled(firewall):
                        code = "firewall_managed_by_label_selector"
                    message = f"firewall is not applied to server {server_id} directly"
                    raise ApiError(422, code, message)
            else:
                selector = resource["label_selector"]["selector"]
                matches = [
                    entry
                    for entry in firewall["applied_to"]
                    if entry.get("label_selector", {}).get("selector") == selector
                ]
                if not matches:
                    message = f"firewall is not applied to label selector {selector}"
                    raise ApiError(422, "firewall_already_removed", message)
                entry = matches[0]
            firewall["applied_to"].remove(entry)
            actions.append(
                self.state.action("remove_firewall", ("firewalls", firewall["id"]))
            )
        return 201, {"actions": actions}
