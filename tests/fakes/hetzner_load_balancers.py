"""Load balancers: their services, targets, network and public interface.

Targets are kept as the client defined them; the servers a label selector matches,
and every target's health, follow from the servers at the time (hetzner_state.py).
Every target is healthy: the fake runs no health checks.
"""

from collections.abc import Callable
from typing import Any

from tests.fakes.hetzner_catalog import INCLUDED_TRAFFIC, lookup
from tests.fakes.hetzner_contract import ApiError, Body, Call, invalid_input
from tests.fakes.hetzner_listing import check_labels, label_selector, page
from tests.fakes.hetzner_networks import allocate
from tests.fakes.hetzner_state import PUBLIC_IPV6_PREFIX, HetznerState

# What the API fills in for a service or health check that leaves it out.
DEFAULT_LISTEN_PORTS = {"http": 80, "https": 443}
DEFAULT_HEALTH_CHECK = {"interval": 15, "timeout": 10, "retries": 3}
DEFAULT_HTTP_HEALTH_CHECK = {
    "domain": None,
    "path": "/",
    "response": "",
    "status_codes": ["2??", "3??"],
    "tls": False,
}
DEFAULT_HTTP = {
    "cookie_name": "HCLBSTICKY",
    "cookie_lifetime": 300,
    "timeout_idle": 60,
    "sticky_sessions": False,
}

Handler = Callable[[Call], tuple[int, Any]]


def service(fields: Body, current: Body | None = None) -> Body:
    """A service as the API keeps it: a new one from `fields`, or `current` changed
    by them; what neither says takes the API's defaults."""
    current = current or {}
    given = {key: value for key, value in fields.items() if value is not None}
    protocol = given.get("protocol", current.get("protocol", "tcp"))
    default_port = current.get("listen_port", DEFAULT_LISTEN_PORTS.get(protocol))
    listen_port = given.get("listen_port", default_port)
    if listen_port is None:
        raise invalid_input({"listen_port": [f"is required for {protocol}"]})
    default_destination = 80 if protocol == "https" else listen_port
    destination = given.get(
        "destination_port", current.get("destination_port", default_destination)
    )

    old_check = current.get("health_check") or {}
    new_check = given.get("health_check") or {}
    check_protocol = "tcp" if protocol == "tcp" else "http"
    defaults = {"protocol": check_protocol, "port": destination}
    health = _layered(defaults | DEFAULT_HEALTH_CHECK, old_check, new_check)
    if health["protocol"] == "http":
        health["http"] = _layered(
            DEFAULT_HTTP_HEALTH_CHECK, old_check.get("http"), new_check.get("http")
        )

    kept = {
        "protocol": protocol,
        "listen_port": listen_port,
        "destination_port": destination,
        "proxyprotocol": given.get(
            "proxyprotocol", current.get("proxyprotocol", False)
        ),
        "health_check": health,
    }
    if protocol != "tcp":
        http = _layered(DEFAULT_HTTP, current.get("http"), given.get("http"))
        if protocol == "https":
            http = {"certificates": [], "redirect_http": False} | http
        else:
            for https_only in ("certificates", "redirect_http"):
                http.pop(https_only, None)
        kept["http"] = http
    return kept


def _layered(*layers: Body | None) -> Body:
    """The layers merged, later ones winning; their own `http` settings left out."""
    merged: Body = {}
    for layer in layers:
        merged |= {key: value for key, value in (layer or {}).items() if key != "http"}
    return merged


class LoadBalancerRoutes:
    """Handlers for load balancers and their actions."""

    def __init__(self, state: HetznerState):
        self.state = state

    def routes(self) -> dict[tuple[str, str], Handler]:
        """The handler of each operation served, by (path template, method)."""
        base = "/load_balancers/{id}/actions"
        return {
            ("/load_balancers", "get"): self._list,
            ("/load_balancers", "post"): self._create,
            ("/load_balancers/{id}", "get"): self._get,
            ("/load_balancers/{id}", "put"): self._update,
            ("/load_balancers/{id}", "delete"): self._delete,
            (f"{base}/add_service", "post"): self._add_service,
            (f"{base}/update_service", "post"): self._update_service,
            (f"{base}/delete_service", "post"): self._delete_service,
            (f"{base}/add_target", "post"): self._add_target,
            (f"{base}/remove_target", "post"): self._remove_target,
            (f"{base}/attach_to_network", "post"): self._attach,
            (f"{base}/detach_from_network", "post"): self._detach,
            (f"{base}/enable_public_interface", "post"): self._public_interface(True),
            (f"{base}/disable_public_interface", "post"): self._public_interface(False),
            (f"{base}/change_algorithm", "post"): self._change_algorithm,
            (f"{base}/change_type", "post"): self._change_type,
            (f"{base}/change_protection", "post"): self._protect,
        }

    def _of(self, call: Call) -> Body:
        return self.state.find("load_balancers", call.params["id"])

    def _get(self, call: Call) -> tuple[int, Body]:
        return 200, {"load_balancer": self._of(call)}

    def _done(
        self, command: str, balancer: Body, *others: tuple[str, int]
    ) -> tuple[int, Body]:
        action = self.state.action(command, ("load_balancers", balancer["id"]), *others)
        return 201, {"action": action}

    def _list(self, call: Call) -> tuple[int, Body]:
        balancers = self.state.load_balancers.values()
        return 200, page(
            "load_balancers", balancers, call.params, self.state.max_per_page
        )

    def _create(self, call: Call) -> tuple[int, Body]:
        body, state = call.body, self.state
        check_labels(body)
        balancer_type = lookup(
            state.catalog,
            "load_balancer_types",
            body["load_balancer_type"],
            "load_balancer_type",
        )
        location = self._location(body)
        state.check_name("load_balancers", body["name"])

        balancer_id = state.new_id("load_balancers")
        ipv4 = state.public_ipv4()
        ipv6 = f"{PUBLIC_IPV6_PREFIX}:ffff::{balancer_id:x}"
        balancer = {
            "id": balancer_id,
            "name": body["name"],
            "public_net": {
                "enabled": body.get("public_interface", True),
                "ipv4": {
                    "ip": ipv4,
                    "dns_ptr": f"static.{ipv4}.clients.your-server.de",
                },
                "ipv6": {"ip": ipv6, "dns_ptr": None},
            },
            "private_net": [],
            "location": location,
            "load_balancer_type": balancer_type,
            "protection": {"delete": False},
            "labels": dict(body.get("labels") or {}),
            "created": state.now,
            "services": [],
            "targets": [],
            "algorithm": dict(body.get("algorithm") or {"type": "round_robin"}),
            "outgoing_traffic": 0,
            "ingoing_traffic": 0,
            "included_traffic": INCLUDED_TRAFFIC,
        }
        if body.get("network") is not None:
            network = state.find("networks", body["network"])
            balancer["private_net"].append(
                self._interface(balancer, network, None, None)
            )
        if not balancer["public_net"]["enabled"] and not balancer["private_net"]:
            message = "a load balancer without public interface must join a network"
            raise ApiError(422, "load_balancer_not_attached_to_network", message)
        for fields in body.get("services") or []:
            self._check_service_room(balancer, fields)
            balancer["services"].append(service(fields))
        for fields in body.get("targets") or []:
            balancer["targets"].append(self._target(balancer, fields))

        state.load_balancers[balancer_id] = balancer
        action = state.action("create_load_balancer", ("load_balancers", balancer_id))
        return 201, {"load_balancer": balancer, "action": action}

    def _location(self, body: Body) -> Body:
        locations = self.state.catalog["locations"]
        if body.get("location") is not None:
            return lookup(self.state.catalog, "locations", body["location"], "location")
        zone = body.get("network_zone")
        found = next((loc for loc in locations if loc["network_zone"] == zone), None)
        if found is None:
            message = "give a location, or a network_zone that has one"
            raise invalid_input({"location": [message]})
        return found

    def _interface(self, balancer: Body, network: Body, ip: Any, ip_range: Any) -> Body:
        zone = balancer["location"]["network_zone"]
        return {
            "network": network["id"],
            "ip": allocate(self.state, network, zone, ip, ip_range),
        }

    def _update(self, call: Call) -> tuple[int, Body]:
        balancer = self._of(call)
        check_labels(call.body)
        if "name" in call.body:
            self.state.check_name("load_balancers", call.body["name"], balancer["id"])
        for key in ("name", "labels"):
            if key in call.body:
                balancer[key] = call.body[key]
        return 200, {"load_balancer": balancer}

    def _delete(self, call: Call) -> tuple[int, None]:
        balancer = self._of(call)
        if balancer["protection"]["delete"]:
            message = f"load balancer {balancer['id']} is delete protected"
            raise ApiError(423, "protected", message)
        del self.state.load_balancers[balancer["id"]]
        return 204, None

    def _check_service_room(self, balancer: Body, fields: Body) -> None:
        protocol = fields.get("protocol", "tcp")
        port = fields.get("listen_port", DEFAULT_LISTEN_PORTS.get(protocol))
        if any(s["listen_port"] == port for s in balancer["services"]):
            message = f"listen port {port} is already used"
            raise ApiError(412, "source_port_already_used", message)
        if len(balancer["services"]) >= balancer["load_balancer_type"]["max_services"]:
            message = f"{balancer['load_balancer_type']['name']} takes no more services"
            raise ApiError(403, "resource_limit_exceeded", message)

    def _service(self, balancer: Body, port: int) -> Body:
        for kept in balancer["services"]:
            if kept["listen_port"] == port:
                return kept
        raise ApiError(404, "not_found", f"service with listen port {port} not found")

    def _add_service(self, call: Call) -> tuple[int, Body]:
        balancer = self._of(call)
        self._check_service_room(balancer, call.body)
        balancer["services"].append(service(call.body))
        return self._done("add_service", balancer)

    def _update_service(self, call: Call) -> tuple[int, Body]:
        balancer = self._of(call)
        kept = self._service(balancer, call.body["listen_port"])
        balancer["services"][balancer["services"].index(kept)] = service(
            call.body, kept
        )
        return self._done("update_service", balancer)

    def _delete_service(self, call: Call) -> tuple[int, Body]:
        balancer = self._of(call)
        balancer["services"].remove(self._service(balancer, call.body["listen_port"]))
        return self._done("delete_service", balancer)

    def _target(self, balancer: Body, fields: Body) -> Body:
        """A target as the API keeps it; refused where the API refuses it."""
        kind = fields["type"]
        private = fields.get("use_private_ip", False)
        if private and not balancer["private_net"]:
            message = f"load balancer {balancer['id']} is not attached to a network"
            raise ApiError(422, "load_balancer_not_attached_to_network", message)
        if kind == "server":
            server = self.state.find("servers", fields["server"]["id"])
            networks = {n["network"] for n in balancer["private_net"]}
            if private and not networks & {n["network"] for n in server["private_net"]}:
                message = f"server {server['id']} is not in the load balancer's network"
                raise ApiError(422, "resolve_cloud_private_targets_error", message)
            if not private and server["public_net"]["ipv4"] is None:
                message = f"server {server['id']} has no public IPv4 address"
                raise ApiError(422, "resolve_cloud_public_targets_error", message)
            target = {
                "type": kind,
                "server": {"id": server["id"]},
                "use_private_ip": private,
            }
        elif kind == "label_selector":
            label_selector(fields["label_selector"]["selector"])
            target = {
                "type": kind,
                "label_selector": {"selector": fields["label_selector"]["selector"]},
                "use_private_ip": private,
                "targets": [],
            }
        else:
            target = {"type": kind, "ip": {"ip": fields["ip"]["ip"]}}
        if any(_same_target(target, kept) for kept in balancer["targets"]):
            message = "the target is already defined"
            raise ApiError(422, "target_already_defined", message)
        if kind != "label_selector":
            # The spec shows health only on server and IP targets.
            target["health_status"] = []
        return target

    def _add_target(self, call: Call) -> tuple[int, Body]:
        balancer = self._of(call)
        balancer["targets"].append(self._target(balancer, call.body))
        return self._done("add_target", balancer)

    def _remove_target(self, call: Call) -> tuple[int, Body]:
        balancer = self._of(call)
        for kept in balancer["targets"]:
            if _same_target(call.body, kept):
                balancer["targets"].remove(kept)
                return self._done("remove_target", balancer)
        # terraform-provider-hcloud reads "target not found" as already removed
        # (resource_target.go).
        raise ApiError(404, "not_found", "load balancer target not found")

    def _attach(self, call: Call) -> tuple[int, Body]:
        balancer = self._of(call)
        network = self.state.find("networks", call.body["network"])
        if balancer["private_net"]:
            message = f"load balancer {balancer['id']} is already attached to a network"
            raise ApiError(422, "load_balancer_already_attached", message)
        interface = self._interface(
            balancer, network, call.body.get("ip"), call.body.get("ip_range")
        )
        balancer["private_net"].append(interface)
        return self._done("attach_to_network", balancer, ("networks", network["id"]))

    def _detach(self, call: Call) -> tuple[int, Body]:
        balancer = self._of(call)
        network = self.state.find("networks", call.body["network"])
        kept = [n for n in balancer["private_net"] if n["network"] != network["id"]]
        if len(kept) == len(balancer["private_net"]):
            message = (
                f"load balancer {balancer['id']} is not attached to {network['id']}"
            )
            raise ApiError(404, "not_found", message)
        if not balancer["public_net"]["enabled"]:
            message = "the load balancer's only interface is in this network"
            raise ApiError(422, "load_balancer_public_interface_disabled", message)
        balancer["private_net"] = kept
        return self._done("detach_from_network", balancer, ("networks", network["id"]))

    def _public_interface(self, enabled: bool) -> Handler:
        def handler(call: Call) -> tuple[int, Body]:
            balancer = self._of(call)
            if not enabled and not balancer["private_net"]:
                message = f"load balancer {balancer['id']} is not attached to a network"
                raise ApiError(422, "load_balancer_not_attached_to_network", message)
            if not enabled and any(
                not t.get("use_private_ip") for t in balancer["targets"]
            ):
                message = "the load balancer has targets that use public IPs"
                raise ApiError(422, "targets_without_use_private_ip", message)
            balancer["public_net"]["enabled"] = enabled
            verb = "enable" if enabled else "disable"
            return self._done(f"{verb}_public_interface", balancer)

        return handler

    def _change_algorithm(self, call: Call) -> tuple[int, Body]:
        balancer = self._of(call)
        balancer["algorithm"] = {"type": call.body["type"]}
        return self._done("change_algorithm", balancer)

    def _change_type(self, call: Call) -> tuple[int, Body]:
        balancer = self._of(call)
        wanted = lookup(
            self.state.catalog,
            "load_balancer_types",
            call.body["load_balancer_type"],
            "load_balancer_type",
        )
        if len(balancer["services"]) > wanted["max_services"]:
            message = (
                f"{wanted['name']} takes fewer services than the load balancer has"
            )
            raise ApiError(422, "invalid_load_balancer_type", message)
        balancer["load_balancer_type"] = wanted
        return self._done("change_load_balancer_type", balancer)

    def _protect(self, call: Call) -> tuple[int, Body]:
        balancer = self._of(call)
        balancer["protection"]["delete"] = call.body.get("delete", False)
        return self._done("change_protection", balancer)


def _same_target(wanted: Body, kept: Body) -> bool:
    """True when `wanted` (a request's target) names the target `kept`."""
    if wanted["type"] != kept["type"]:
        return False
    key = {"server": "id", "label_selector": "selector", "ip": "ip"}[wanted["type"]]
    return wanted[wanted["type"]][key] == kept[kept["type"]][key]
