"""Private networks, their subnets, and the addresses servers and load balancers get.

An attached server or load balancer takes the next free host address of a `cloud`
(or older `server`) subnet in its location's network zone, skipping what the API
reserves: the first address of the network's range (the gateway every subnet
reports) and 172.31.1.1 (the gateway of the public interfaces).
"""

import ipaddress
from collections.abc import Callable
from typing import Any

from tests.fakes.hetzner_contract import ApiError, Body, Call, invalid_input
from tests.fakes.hetzner_listing import check_labels, page
from tests.fakes.hetzner_state import HetznerState

PUBLIC_GATEWAY = ipaddress.ip_address("172.31.1.1")
ATTACHABLE_SUBNET_TYPES = ("cloud", "server")
# When add_subnet names no range, the API takes the first free /24.
DEFAULT_SUBNET_PREFIX = 24

Handler = Callable[[Call], tuple[int, Any]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(text: str, field: str) -> Network:
    try:
        return ipaddress.ip_network(text)
    except ValueError:
        message = f"{text} is not a network in CIDR notation"
        raise invalid_input({field: [message]}) from None


def _address(text: str, field: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise invalid_input({field: [f"{text} is not an IP address"]}) from None


def gateway(network: Body) -> str:
    """The first address of the network's range, every subnet's gateway."""
    return str(ipaddress.ip_network(network["ip_range"]).network_address + 1)


def addresses_in_use(state: HetznerState, network_id: int) -> set[str]:
    """Every address servers and load balancers hold in one network."""
    used = set()
    for holder in [*state.servers.values(), *state.load_balancers.values()]:
        for entry in holder["private_net"]:
            if entry["network"] == network_id:
                used.update([entry["ip"], *entry.get("alias_ips", [])])
    return used


def allocate(
    state: HetznerState,
    network: Body,
    zone: str,
    ip: str | None = None,
    ip_range: str | None = None,
) -> str:
    """An address for a resource in `zone` joining `network`, `ip` when given."""
    subnets = [
        ipaddress.ip_network(subnet["ip_range"])
        for subnet in network["subnets"]
        if subnet["type"] in ATTACHABLE_SUBNET_TYPES
        and subnet["network_zone"] == zone
        and ip_range in (None, subnet["ip_range"])
    ]
    taken = addresses_in_use(state, network["id"]) | {gateway(network)}
    taken.add(str(PUBLIC_GATEWAY))
    if ip is not None:
        wanted = _address(ip, "ip")
        if str(wanted) in taken or not any(wanted in subnet for subnet in subnets):
            raise ApiError(422, "ip_not_available", f"IP {ip} is not available")
        return str(wanted)

    for subnet in subnets:
        for host in subnet.hosts():
            if str(host) not in taken:
                return str(host)
    message = f"no subnet or IP is available in network {network['id']} for {zone}"
    raise ApiError(422, "no_subnet_available", message)


def check_alias_ips(state: HetznerState, network: Body, alias_ips: list[str]) -> None:
    """Refuse alias IPs outside the network's range or already taken."""
    whole = ipaddress.ip_network(network["ip_range"])
    taken = addresses_in_use(state, network["id"]) | {gateway(network)}
    for alias in alias_ips:
        if _address(alias, "alias_ips") not in whole or alias in taken:
            raise ApiError(422, "ip_not_available", f"IP {alias} is not available")


class NetworkRoutes:
    """Handlers for networks and their subnet and protection actions."""

    def __init__(self, state: HetznerState):
        self.state = state

    def routes(self) -> dict[tuple[str, str], Handler]:
        """The handler of each operation served, by (path template, method)."""
        return {
            ("/networks", "get"): self._list,
            ("/networks", "post"): self._create,
            ("/networks/{id}", "get"): lambda call: (200, {"network": self._of(call)}),
            ("/networks/{id}", "put"): self._update,
            ("/networks/{id}", "delete"): self._delete,
            ("/networks/{id}/actions/add_subnet", "post"): self._add_subnet,
            ("/networks/{id}/actions/delete_subnet", "post"): self._delete_subnet,
            ("/networks/{id}/actions/change_protection", "post"): self._protect,
        }

    def _of(self, call: Call) -> Body:
        return self.state.find("networks", call.params["id"])

    def _list(self, call: Call) -> tuple[int, Body]:
        networks = self.state.networks.values()
        return 200, page("networks", networks, call.params, self.state.max_per_page)

    def _create(self, call: Call) -> tuple[int, Body]:
        body = call.body
        whole = _network(body["ip_range"], "ip_range")
        if not whole.is_private or whole.version != 4:
            message = f"{whole} is not a private IPv4 range (RFC 1918)"
            raise invalid_input({"ip_range": [message]})
        check_labels(body)
        self.state.check_name("networks", body["name"])

        network = {
            "id": self.state.new_id("networks"),
            "name": body["name"],
            "ip_range": str(whole),
            "subnets": [],
            "routes": [dict(route) for route in body.get("routes") or []],
            "servers": [],
            "load_balancers": [],
            "protection": {"delete": False},
            "labels": dict(body.get("labels") or {}),
            "created": self.state.now,
            "expose_routes_to_vswitch": body.get("expose_routes_to_vswitch", False),
        }
        for index, fields in enumerate(body.get("subnets") or []):
            network["subnets"].append(
                self._subnet(network, fields, f"subnets[{index}].")
            )
        self.state.networks[network["id"]] = network
        return 201, {"network": network}

    def _update(self, call: Call) -> tuple[int, Body]:
        network = self._of(call)
        if "name" in call.body:
            self.state.check_name("networks", call.body["name"], network["id"])
        check_labels(call.body)
        for key in ("name", "labels", "expose_routes_to_vswitch"):
            if key in call.body:
                network[key] = call.body[key]
        return 200, {"network": network}

    def _delete(self, call: Call) -> tuple[int, None]:
        network = self._of(call)
        if network["protection"]["delete"]:
            message = f"network {network['id']} is delete protected"
            raise ApiError(423, "protected", message)
        # The API detaches what is still attached (its DELETE /networks/{id} docs).
        del self.state.networks[network["id"]]
        return 204, None

    def _subnet(self, network: Body, fields: Body, where: str = "") -> Body:
        """A subnet of `network` as asked for; refused when it does not fit.

        `where` prefixes the names of refused fields, such as `subnets[0].`.
        """
        zones = {
            location["network_zone"] for location in self.state.catalog["locations"]
        }
        if fields["network_zone"] not in zones:
            message = f"{fields['network_zone']} is not a network zone"
            raise invalid_input({f"{where}network_zone": [message]})
        if fields["type"] == "vswitch" and "vswitch_id" not in fields:
            raise invalid_input({f"{where}vswitch_id": ["is required for vswitch"]})

        whole = ipaddress.ip_network(network["ip_range"])
        existing = [ipaddress.ip_network(s["ip_range"]) for s in network["subnets"]]
        if "ip_range" in fields:
            wanted = _network(fields["ip_range"], f"{where}ip_range")
            problem = None
            if not wanted.subnet_of(whole):
                problem = f"{wanted} is not inside the network's range {whole}"
            elif any(wanted.overlaps(other) for other in existing):
                problem = f"{wanted} overlaps another subnet"
            if problem:
                raise invalid_input({f"{where}ip_range": [problem]})
        else:
            free = (
                candidate
                for candidate in whole.subnets(new_prefix=DEFAULT_SUBNET_PREFIX)
                if not any(candidate.overlaps(other) for other in existing)
            )
            wanted = next(free, None)
            if wanted is None:
                raise invalid_input({f"{where}ip_range": ["no free /24 is left"]})
        return {
            "type": fields["type"],
            "ip_range": str(wanted),
            "network_zone": fields["network_zone"],
            "gateway": gateway(network),
            "vswitch_id": fields.get("vswitch_id"),
        }

    def _add_subnet(self, call: Call) -> tuple[int, Body]:
        network = self._of(call)
        network["subnets"].append(self._subnet(network, call.body))
        action = self.state.action("add_subnet", ("networks", network["id"]))
        return 201, {"action": action}

    def _delete_subnet(self, call: Call) -> tuple[int, Body]:
        network = self._of(call)
        wanted = _network(call.body["ip_range"], "ip_range")
        subnet = next(
            (s for s in network["subnets"] if s["ip_range"] == str(wanted)), None
        )
        if subnet is None:
            message = f"subnet {wanted} not found in network {network['id']}"
            raise ApiError(404, "not_found", message)
        used = addresses_in_use(self.state, network["id"])
        if any(ipaddress.ip_address(ip) in wanted for ip in used):
            # terraform-provider-hcloud recognises these words (resource_subnet.go).
            message = f"cannot delete subnet {wanted}: servers are attached"
            raise ApiError(422, "service_error", message)

        network["subnets"].remove(subnet)
        action = self.state.action("delete_subnet", ("networks", network["id"]))
        return 201, {"action": action}

    def _protect(self, call: Call) -> tuple[int, Body]:
        network = self._of(call)
        if "delete" in call.body:
            network["protection"]["delete"] = call.body["delete"]
        action = self.state.action("change_protection", ("networks", network["id"]))
        return 201, {"action": action}
