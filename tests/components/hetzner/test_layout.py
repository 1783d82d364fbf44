"""Derived names, ranges and rules, checked without Pulumi."""

from components.hetzner import layout
from components.hetzner.layout import FirewallRule


def test_node_subnet_is_the_first_half_of_the_network():
    assert layout.node_subnet("10.0.0.0/16") == "10.0.0.0/17"
    assert layout.node_subnet("172.16.0.0/22") == "172.16.0.0/23"


def test_server_names_are_numbered_from_one():
    assert layout.server_names("acme-workers", 3) == [
        "acme-workers-1",
        "acme-workers-2",
        "acme-workers-3",
    ]
    assert layout.server_names("acme-workers", 0) == []


def test_spread_groups_hold_at_most_ten_servers():
    assert layout.spread_group_count(0) == 0
    assert layout.spread_group_count(10) == 1
    assert layout.spread_group_count(11) == 2
    assert layout.spread_group_count(1000) == 100
    assert [layout.spread_group_index(n) for n in (1, 10, 11, 20, 21)] == [
        0,
        0,
        1,
        1,
        2,
    ]


def test_pool_labels_put_souverains_own_labels_last_so_they_win():
    assert layout.pool_labels("acme", "workers", "worker", True, {"tier": "apps"}) == {
        "tier": "apps",
        "souverain.eu/startup": "acme",
        "souverain.eu/pool": "workers",
        "souverain.eu/role": "worker",
        "souverain.eu/ingress": "true",
    }


def test_ingress_selector_matches_the_startups_ingress_servers():
    assert layout.ingress_selector("acme") == (
        "souverain.eu/startup=acme,souverain.eu/ingress=true"
    )


def test_control_plane_rules_allow_ssh_and_api_from_the_allowlists_only():
    rules = layout.firewall_rules("control-plane", ["198.51.100.0/24"], ["10.9.0.0/16"])

    assert rules == [
        FirewallRule("ssh", "tcp", "22", ("198.51.100.0/24",)),
        FirewallRule("kubernetes-api", "tcp", "6443", ("10.9.0.0/16",)),
    ]


def test_worker_rules_never_open_the_api_or_web_ports():
    rules = layout.firewall_rules("worker", ["198.51.100.0/24"], ["10.9.0.0/16"])

    assert rules == [FirewallRule("ssh", "tcp", "22", ("198.51.100.0/24",))]


def test_no_ssh_rule_when_nobody_may_use_ssh():
    assert layout.firewall_rules("worker", [], ["10.9.0.0/16"]) == []
