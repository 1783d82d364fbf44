"""Load balancers of the fake Hetzner API: services, targets and interfaces."""

import pytest

from tests.fakes.hetzner_load_balancers import service

BALANCER = {"name": "acme-lb", "load_balancer_type": "lb11", "location": "fsn1"}
HEALTH_CHECK = {
    "protocol": "http",
    "port": 8080,
    "interval": 15,
    "timeout": 10,
    "retries": 3,
}


@pytest.fixture
def balancer(send) -> int:
    """A load balancer in fsn1 with no network."""
    status, body = send("POST", "/load_balancers", BALANCER)
    assert status == 201
    return body["load_balancer"]["id"]


def error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message, "details": None}}


def tcp_service(port: int) -> dict:
    """A TCP service on `port`, with every field the spec requires."""
    return {
        "protocol": "tcp",
        "listen_port": port,
        "destination_port": port,
        "proxyprotocol": False,
        "health_check": HEALTH_CHECK | {"protocol": "tcp", "port": port},
    }


def test_an_http_service_takes_the_api_defaults_it_leaves_out():
    added = service(
        {
            "protocol": "http",
            "listen_port": 80,
            "destination_port": 8080,
            "proxyprotocol": False,
            "health_check": HEALTH_CHECK,
        }
    )

    assert added == {
        "protocol": "http",
        "listen_port": 80,
        "destination_port": 8080,
        "proxyprotocol": False,
        "health_check": HEALTH_CHECK
        | {
            "http": {
                "domain": None,
                "path": "/",
                "response": "",
                "status_codes": ["2??", "3??"],
                "tls": False,
            }
        },
        "http": {
            "cookie_name": "HCLBSTICKY",
            "cookie_lifetime": 300,
            "timeout_idle": 60,
            "sticky_sessions": False,
        },
    }


def test_an_update_changes_only_what_it_names():
    kept = service(
        {
            "protocol": "tcp",
            "listen_port": 443,
            "destination_port": 443,
            "proxyprotocol": True,
            "health_check": HEALTH_CHECK | {"protocol": "tcp"},
        }
    )

    updated = service(
        {"listen_port": 443, "health_check": {"interval": 30, "http": None}}, kept
    )

    assert updated == kept | {"health_check": kept["health_check"] | {"interval": 30}}


def test_services_are_added_updated_and_deleted_by_listen_port(hetzner, send, balancer):
    base = f"/load_balancers/{balancer}/actions"
    tcp = tcp_service(443)
    send("POST", f"{base}/add_service", tcp)

    assert send("POST", f"{base}/add_service", tcp) == (
        412,
        error("source_port_already_used", "listen port 443 is already used"),
    )
    change = {"listen_port": 443, "destination_port": 8443}
    send("POST", f"{base}/update_service", change)
    services = hetzner.state.load_balancers[balancer]["services"]
    assert [(s["listen_port"], s["destination_port"]) for s in services] == [
        (443, 8443)
    ]
    assert send("POST", f"{base}/delete_service", {"listen_port": 443})[0] == 201
    assert send("POST", f"{base}/delete_service", {"listen_port": 443}) == (
        404,
        error("not_found", "service with listen port 443 not found"),
    )


def test_a_private_target_needs_the_balancer_in_a_network(send, balancer):
    target = {
        "type": "label_selector",
        "label_selector": {"selector": "role=node"},
        "use_private_ip": True,
    }

    assert send("POST", f"/load_balancers/{balancer}/actions/add_target", target) == (
        422,
        error(
            "load_balancer_not_attached_to_network",
            f"load balancer {balancer} is not attached to a network",
        ),
    )


def test_a_server_target_is_reached_at_its_public_address(hetzner, send, balancer):
    send(
        "POST",
        "/servers",
        {
            "name": "web",
            "server_type": "cx23",
            "image": "ubuntu-24.04",
            "location": "fsn1",
        },
    )
    target = {"type": "server", "server": {"id": 5001}}
    base = f"/load_balancers/{balancer}/actions"

    assert send("POST", f"{base}/add_target", target)[0] == 201
    assert send("POST", f"{base}/add_target", target) == (
        422,
        error("target_already_defined", "the target is already defined"),
    )
    assert hetzner.state.load_balancers[balancer]["targets"] == [
        {
            "type": "server",
            "server": {"id": 5001, "ip": "203.0.113.2"},
            "use_private_ip": False,
            "health_status": [],
        }
    ]
    # A server deleted behind the balancer's back leaves its targets.
    hetzner.state.delete("servers", 5001)
    assert hetzner.state.load_balancers[balancer]["targets"] == []
    # terraform-provider-hcloud reads "target not found" as already removed.
    assert send("POST", f"{base}/remove_target", target) == (
        404,
        error("not_found", "load balancer target not found"),
    )


def test_the_public_interface_goes_only_with_a_network_and_private_targets(
    hetzner, send, balancer
):
    base = f"/load_balancers/{balancer}/actions"

    assert send("POST", f"{base}/disable_public_interface") == (
        422,
        error(
            "load_balancer_not_attached_to_network",
            f"load balancer {balancer} is not attached to a network",
        ),
    )
    send(
        "POST",
        "/networks",
        {
            "name": "acme",
            "ip_range": "10.0.0.0/16",
            "subnets": [{"type": "cloud", "network_zone": "eu-central"}],
        },
    )
    send("POST", f"{base}/attach_to_network", {"network": 1001})
    assert send("POST", f"{base}/disable_public_interface")[0] == 201
    assert hetzner.state.load_balancers[balancer]["public_net"]["enabled"] is False
    assert hetzner.state.load_balancers[balancer]["private_net"] == [
        {"network": 1001, "ip": "10.0.0.2"}
    ]
    # The first free /24 of the network, as the API picks it.
    assert hetzner.state.networks[1001]["subnets"][0]["ip_range"] == "10.0.0.0/24"


def test_a_smaller_type_must_still_hold_the_services(send, balancer):
    base = f"/load_balancers/{balancer}/actions"
    for port in range(1, 5):
        send("POST", f"{base}/add_service", tcp_service(port))
    send("POST", f"{base}/change_type", {"load_balancer_type": "lb21"})
    for port in range(5, 7):
        send("POST", f"{base}/add_service", tcp_service(port))

    # lb11 takes five services, this balancer now has six.
    assert send("POST", f"{base}/change_type", {"load_balancer_type": "lb11"}) == (
        422,
        error(
            "invalid_load_balancer_type",
            "lb11 takes fewer services than the load balancer has",
        ),
    )
