"""Derived names, ranges and rules, checked without Pulumi."""

import pytest

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


def test_each_pool_takes_the_address_block_its_name_hashes_to():
    assert layout.address_block("control-plane") == 35
    assert layout.address_block("workers") == 44
    assert layout.address_block_range("10.0.0.0/16", 35) == "10.0.70.0/23"
    assert layout.address_block_range("172.16.0.0/22", 35) == "172.16.1.24/29"
    assert layout.pool_capacity("10.0.0.0/16") == 510
    assert layout.pool_capacity("172.16.0.0/22") == 6


def test_private_ips_number_servers_inside_their_pools_block():
    names = layout.server_names("acme-control-plane", 3)

    assert layout.private_ips("10.0.0.0/16", "control-plane", names) == {
        "acme-control-plane-1": "10.0.70.1",
        "acme-control-plane-2": "10.0.70.2",
        "acme-control-plane-3": "10.0.70.3",
    }


def test_private_ips_stay_put_when_a_pool_grows():
    # Regression: addresses by position across pools would move every server of
    # the pools after the one that grew.
    small = layout.private_ips(
        "10.0.0.0/16", "workers", layout.server_names("acme-workers", 2)
    )
    grown = layout.private_ips(
        "10.0.0.0/16", "workers", layout.server_names("acme-workers", 40)
    )

    assert {name: grown[name] for name in small} == small
    assert grown["acme-workers-40"] == "10.0.88.40"


def test_a_pool_larger_than_its_block_is_refused():
    names = layout.server_names("acme-workers", 7)

    with pytest.raises(ValueError) as caught:
        layout.private_ips("172.16.0.0/22", "workers", names)

    assert str(caught.value) == (
        "pool workers has 7 servers, more than the 6 addresses of its block "
        "172.16.1.96/29"
    )
