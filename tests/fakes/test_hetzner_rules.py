"""The fake Hetzner project keeps the API's rules: addresses, links, protection, and
changes made behind the client's back."""

import pytest

NETWORK = {"name": "acme-network", "ip_range": "10.0.0.0/16"}
SERVER = {
    "name": "acme-node-1",
    "server_type": "cx23",
    "image": "ubuntu-24.04",
    "location": "fsn1",
    "labels": {"role": "node"},
}
BALANCER = {"name": "acme-lb", "load_balancer_type": "lb11", "location": "fsn1"}
PRIVATE_TARGET = {
    "type": "label_selector",
    "label_selector": {"selector": "role=node"},
    "use_private_ip": True,
}


@pytest.fixture
def network(send) -> int:
    """A network whose subnet starts at the network's own first address."""
    _, body = send("POST", "/networks", NETWORK)
    subnet = {"type": "cloud", "ip_range": "10.0.0.0/24", "network_zone": "eu-central"}
    send("POST", f"/networks/{body['network']['id']}/actions/add_subnet", subnet)
    return body["network"]["id"]


def error(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details}}


def test_addresses_skip_the_gateway_and_follow_each_other(send, network):
    for name in ("acme-node-1", "acme-node-2"):
        send("POST", "/servers", SERVER | {"name": name, "networks": [network]})
    send("POST", "/load_balancers", BALANCER | {"network": network})

    _, servers = send("GET", "/servers")
    _, balancer = send("GET", "/load_balancers/7001")

    assert [s["private_net"][0]["ip"] for s in servers["servers"]] == [
        "10.0.0.2",
        "10.0.0.3",
    ]
    assert balancer["load_balancer"]["private_net"] == [
        {"network": network, "ip": "10.0.0.4"}
    ]


def test_an_address_already_taken_is_not_available(send, network):
    send("POST", "/servers", SERVER | {"networks": [network]})
    send("POST", "/servers", SERVER | {"name": "acme-node-2"})

    status, body = send(
        "POST",
        "/servers/5002/actions/attach_to_network",
        {"network": network, "ip": "10.0.0.2"},
    )

    assert (status, body) == (
        422,
        error("ip_not_available", "IP 10.0.0.2 is not available"),
    )


def test_a_server_cannot_join_a_network_twice(send, network):
    send("POST", "/servers", SERVER | {"networks": [network]})

    status, body = send(
        "POST", "/servers/5001/actions/attach_to_network", {"network": network}
    )

    assert (status, body) == (
        422,
        error(
            "server_already_attached",
            "server 5001 is already attached to network 1001",
        ),
    )


def test_a_subnet_with_servers_in_it_cannot_be_deleted(send, network):
    send("POST", "/servers", SERVER | {"networks": [network]})

    status, body = send(
        "POST",
        f"/networks/{network}/actions/delete_subnet",
        {"ip_range": "10.0.0.0/24"},
    )

    # terraform-provider-hcloud waits on these words (resource_subnet.go).
    assert (status, body) == (
        422,
        error(
            "service_error", "cannot delete subnet 10.0.0.0/24: servers are attached"
        ),
    )


def test_deleting_a_network_detaches_servers_and_private_targets(
    hetzner, send, network
):
    send("POST", "/servers", SERVER | {"networks": [network]})
    send("POST", "/load_balancers", BALANCER | {"network": network})
    send("POST", "/load_balancers/7001/actions/add_target", PRIVATE_TARGET)

    status, body = send("DELETE", f"/networks/{network}")

    assert (status, body) == (204, None)
    assert hetzner.state.servers[5001]["private_net"] == []
    assert hetzner.state.load_balancers[7001]["private_net"] == []
    assert hetzner.state.load_balancers[7001]["targets"] == []


def test_a_firewall_still_applied_is_in_use(send):
    send("POST", "/firewalls", {"name": "acme-node"})
    send("POST", "/servers", SERVER | {"firewalls": [{"firewall": 2001}]})

    assert send("DELETE", "/firewalls/2001") == (
        422,
        error("resource_in_use", "firewall 2001 is still applied to a resource"),
    )
    assert send(
        "POST",
        "/firewalls/2001/actions/apply_to_resources",
        {"apply_to": [{"type": "server", "server": {"id": 5001}}]},
    ) == (
        422,
        error("firewall_already_applied", "firewall is already applied to server 5001"),
    )


def test_a_selector_applies_a_firewall_to_the_servers_it_matches(hetzner, send):
    send("POST", "/servers", SERVER)
    send("POST", "/firewalls", {"name": "acme-node"})
    selector = {"type": "label_selector", "label_selector": {"selector": "role=node"}}

    status, _ = send(
        "POST", "/firewalls/2001/actions/apply_to_resources", {"apply_to": [selector]}
    )

    assert status == 201
    assert hetzner.state.firewalls[2001]["applied_to"] == [
        selector
        | {"applied_to_resources": [{"type": "server", "server": {"id": 5001}}]}
    ]
    assert hetzner.state.servers[5001]["public_net"]["firewalls"] == [
        {"id": 2001, "status": "applied"}
    ]
    # hcloud-go sends back what it read, applied_to_resources included.
    status, _ = send(
        "POST",
        "/firewalls/2001/actions/remove_from_resources",
        {"remove_from": hetzner.state.firewalls[2001]["applied_to"]},
    )
    assert status == 201
    assert hetzner.state.servers[5001]["public_net"]["firewalls"] == []


def test_a_delete_protected_server_is_protected(send):
    send("POST", "/servers", SERVER)
    send(
        "POST",
        "/servers/5001/actions/change_protection",
        {"delete": True, "rebuild": True},
    )

    assert send("DELETE", "/servers/5001") == (
        423,
        error("protected", "server 5001 is delete protected"),
    )


def test_a_running_server_cannot_change_type(send):
    send("POST", "/servers", SERVER)
    change = {"server_type": "cx33", "upgrade_disk": True}

    assert send("POST", "/servers/5001/actions/change_type", change) == (
        422,
        error("server_not_stopped", "server 5001 is running, it must be off"),
    )
    send("POST", "/servers/5001/actions/poweroff")
    status, _ = send("POST", "/servers/5001/actions/change_type", change)
    _, body = send("GET", "/servers/5001")
    assert status == 201
    assert (body["server"]["server_type"]["name"], body["server"]["status"]) == (
        "cx33",
        "off",
    )
    assert body["server"]["primary_disk_size"] == 80


def test_a_label_change_in_the_console_moves_the_targets(hetzner, send, network):
    send("POST", "/servers", SERVER | {"networks": [network]})
    send("POST", "/load_balancers", BALANCER | {"network": network})
    send("POST", "/load_balancers/7001/actions/add_target", PRIVATE_TARGET)

    hetzner.state.set_labels("servers", 5001, {"role": "db"})

    _, balancer = send("GET", "/load_balancers/7001")
    _, found = send("GET", "/servers", query="label_selector=role%3Ddb")
    assert balancer["load_balancer"]["targets"][0]["targets"] == []
    assert [server["id"] for server in found["servers"]] == [5001]


def test_a_server_deleted_in_the_console_lets_go_of_everything(hetzner, send, network):
    send("POST", "/firewalls", {"name": "acme-node"})
    send("POST", "/placement_groups", {"name": "spread", "type": "spread"})
    send(
        "POST",
        "/servers",
        SERVER
        | {
            "networks": [network],
            "placement_group": 3001,
            "firewalls": [{"firewall": 2001}],
        },
    )

    hetzner.state.delete("servers", 5001)

    assert send("GET", "/servers/5001") == (
        404,
        error("not_found", "server with ID 5001 not found"),
    )
    assert hetzner.state.firewalls[2001]["applied_to"] == []
    assert hetzner.state.networks[network]["servers"] == []
    assert hetzner.state.placement_groups[3001]["servers"] == []
    # Its own primary IPs went with it (auto_delete).
    assert hetzner.state.primary_ips == {}


def test_a_primary_ip_kept_by_the_user_outlives_its_server(hetzner, send):
    send(
        "POST",
        "/primary_ips",
        {
            "name": "acme-ingress",
            "type": "ipv4",
            "assignee_type": "server",
            "location": "fsn1",
        },
    )
    public_net = {"enable_ipv4": True, "enable_ipv6": False, "ipv4": 6001}
    _, created = send("POST", "/servers", SERVER | {"public_net": public_net})

    assert created["server"]["public_net"]["ipv4"] == {
        "id": 6001,
        "ip": "203.0.113.1",
        "blocked": False,
        "dns_ptr": "static.203.0.113.1.clients.your-server.de",
    }
    assert created["server"]["public_net"]["ipv6"] is None
    send("DELETE", "/servers/5001")
    assert hetzner.state.primary_ips[6001]["assignee_id"] is None
    assert hetzner.state.remaining() == {"primary_ips": ["acme-ingress"]}


def test_actions_are_finished_and_can_be_polled_as_hcloud_go_does(send):
    _, created = send("POST", "/servers", SERVER)
    ids = [created["action"]["id"], created["next_actions"][0]["id"]]

    status, body = send(
        "GET",
        "/actions",
        query=f"id={ids[0]}&id={ids[1]}&sort=status&sort=id&page=1&per_page=50",
    )

    assert status == 200
    assert [
        (a["id"], a["command"], a["status"], a["progress"]) for a in body["actions"]
    ] == [
        (100001, "create_server", "success", 100),
        (100002, "start_server", "success", 100),
    ]
    assert body["actions"][0]["resources"] == [{"id": 5001, "type": "server"}]
    _, by_server = send("GET", f"/servers/5001/actions/{ids[1]}")
    assert by_server["action"]["command"] == "start_server"


def test_prices_come_from_the_fakes_own_table(send):
    status, body = send("GET", "/pricing")

    cx23 = next(t for t in body["pricing"]["server_types"] if t["name"] == "cx23")
    fsn1 = next(p for p in cx23["prices"] if p["location"] == "fsn1")
    assert status == 200
    assert (body["pricing"]["currency"], body["pricing"]["vat_rate"]) == (
        "EUR",
        "19.00",
    )
    # Two cores at 1.25 a month each; 730 hours a month; 19 % VAT.
    assert fsn1 == {
        "location": "fsn1",
        "price_hourly": {"net": "0.0034", "gross": "0.0041"},
        "price_monthly": {"net": "2.5000", "gross": "2.9750"},
        "included_traffic": 21990232555520,
        "price_per_tb_traffic": {"net": "1.0000", "gross": "1.1900"},
    }
