"""Each Hetzner component's resources, inputs, parents and ordering, under mocks."""

import pulumi

from components.hetzner.firewall import NodeFirewalls, NodeFirewallsArgs
from components.hetzner.layout import FirewallRule
from components.hetzner.load_balancer import LoadBalancer, LoadBalancerArgs
from components.hetzner.network import PrivateNetwork, PrivateNetworkArgs
from components.hetzner.node_pool import NodePool, NodePoolArgs
from souverain.plan import UNKNOWN

NETWORK = "hcloud:index/network:Network"
SUBNET = "hcloud:index/networkSubnet:NetworkSubnet"
SERVER = "hcloud:index/server:Server"
PLACEMENT_GROUP = "hcloud:index/placementGroup:PlacementGroup"


def by_name(plan):
    return {resource.name: resource for resource in plan.resources}


def network_program(holder: dict):
    def program():
        holder["network"] = PrivateNetwork(
            "acme",
            PrivateNetworkArgs(
                ip_range="10.0.0.0/16",
                subnet_ip_range="10.0.0.0/17",
                network_zone="eu-central",
                labels={"souverain.eu/startup": "acme"},
            ),
        )

    return program


def test_private_network_declares_network_and_subnet_under_itself(declare):
    plan = declare(network_program({}))
    resources = by_name(plan)

    component = plan.of_type("souverain:hetzner:PrivateNetwork")[0]
    network, subnet = resources["acme-network"], resources["acme-nodes-subnet"]
    assert [r.type for r in (network, subnet)] == [NETWORK, SUBNET]
    assert network.parent == component.urn, network.urn
    assert subnet.parent == component.urn, subnet.urn
    assert network.inputs == {
        "ipRange": "10.0.0.0/16",
        "labels": {"souverain.eu/startup": "acme"},
        "name": "acme-network",
    }
    assert subnet.inputs == {
        "ipRange": "10.0.0.0/17",
        "networkId": UNKNOWN,
        "networkZone": "eu-central",
        "type": "cloud",
    }
    assert subnet.dependencies == (network.urn,), subnet.urn


def test_firewalls_have_one_firewall_per_role_with_exact_rules(declare):
    def program():
        NodeFirewalls(
            "acme",
            NodeFirewallsArgs(
                rules_by_role={
                    "control-plane": [
                        FirewallRule("kubernetes-api", "tcp", "6443", ("10.9.0.0/16",))
                    ],
                    "worker": [],
                },
                labels={},
            ),
        )

    resources = by_name(declare(program))

    assert resources["acme-control-plane-firewall"].inputs["rules"] == [
        {
            "description": "kubernetes-api",
            "direction": "in",
            "port": "6443",
            "protocol": "tcp",
            "sourceIps": ["10.9.0.0/16"],
        }
    ]
    assert resources["acme-control-plane-firewall"].inputs["name"] == (
        "acme-control-plane"
    )
    assert resources["acme-worker-firewall"].inputs["rules"] == []


def pool_program(count: int, public_ipv4=True, holder=None, **per_server):
    holder = {} if holder is None else holder

    def program():
        network = PrivateNetwork(
            "acme",
            PrivateNetworkArgs("10.0.0.0/16", "10.0.0.0/17", "eu-central", {}),
        )
        holder["pool"] = NodePool(
            "acme-workers",
            NodePoolArgs(
                server_type="cx43",
                count=count,
                location="fsn1",
                image="ubuntu-24.04",
                labels={"souverain.eu/role": "worker"},
                ssh_key_ids=["4711"],
                firewall_ids=[42],
                network_id=network.network_id,
                subnet=network.subnet,
                public_ipv4=public_ipv4,
                **per_server,
            ),
        )

    return program


def test_node_pool_servers_carry_type_location_keys_and_network(declare):
    holder = {}
    plan = declare(pool_program(2, public_ipv4=False, holder=holder))
    resources = by_name(plan)
    pool = plan.of_type("souverain:hetzner:NodePool")[0]
    subnet = resources["acme-nodes-subnet"]

    assert [s.name for s in plan.of_type(SERVER)] == [
        "acme-workers-1",
        "acme-workers-2",
    ]
    server = resources["acme-workers-2"]
    assert server.parent == pool.urn, server.urn
    assert server.inputs == {
        "firewallIds": [42],
        "image": "ubuntu-24.04",
        "labels": {"souverain.eu/role": "worker"},
        "location": "fsn1",
        "name": "acme-workers-2",
        "networks": [{"aliasIps": [], "networkId": UNKNOWN}],
        "placementGroupId": UNKNOWN,
        "publicNets": [{"ipv4Enabled": False, "ipv6Enabled": True}],
        "serverType": "cx43",
        "sshKeys": ["4711"],
    }
    # Hetzner refuses to attach a server to a network whose subnet does not exist yet.
    assert subnet.urn in server.dependencies, server.urn
    assert holder["pool"].server_names == ["acme-workers-1", "acme-workers-2"]


def test_node_pool_spreads_servers_over_groups_of_ten(declare):
    plan = declare(pool_program(12))
    resources = by_name(plan)

    groups = plan.of_type(PLACEMENT_GROUP)
    assert [g.name for g in groups] == [
        "acme-workers-spread-1",
        "acme-workers-spread-2",
    ]
    assert all(g.inputs["type"] == "spread" for g in groups)
    assert groups[0].urn in resources["acme-workers-10"].dependencies
    assert groups[1].urn in resources["acme-workers-11"].dependencies
    assert groups[0].urn not in resources["acme-workers-11"].dependencies


def test_empty_pool_declares_no_placement_group(declare):
    plan = declare(pool_program(0))

    assert plan.of_type(PLACEMENT_GROUP) == []
    assert plan.of_type(SERVER) == []


def test_node_pool_keeps_user_data_secret(declare):
    plan = declare(
        pool_program(
            2, user_data={"acme-workers-1": pulumi.Output.secret("token: s3cr3t")}
        )
    )

    servers = by_name(plan)
    assert servers["acme-workers-1"].inputs["userData"] == "[secret]"
    # A server the mapping does not name gets no user data at all.
    assert "userData" not in servers["acme-workers-2"].inputs
    assert "s3cr3t" not in repr(plan.as_json())


def test_node_pool_gives_each_server_its_own_addresses(declare):
    plan = declare(
        pool_program(
            2,
            private_ips={"acme-workers-1": "10.0.88.1", "acme-workers-2": "10.0.88.2"},
            primary_ipv4_ids={"acme-workers-2": 4242},
        )
    )

    servers = by_name(plan)
    first, second = servers["acme-workers-1"], servers["acme-workers-2"]
    assert first.inputs["networks"] == [
        {"aliasIps": [], "ip": "10.0.88.1", "networkId": UNKNOWN}
    ]
    assert second.inputs["networks"][0]["ip"] == "10.0.88.2"
    assert first.inputs["publicNets"] == [{"ipv4Enabled": True, "ipv6Enabled": True}]
    assert second.inputs["publicNets"] == [
        {"ipv4": 4242, "ipv4Enabled": True, "ipv6Enabled": True}
    ]


def test_load_balancer_serves_80_and_443_with_proxy_protocol_to_private_ips(declare):
    def program():
        network = PrivateNetwork(
            "acme",
            PrivateNetworkArgs("10.0.0.0/16", "10.0.0.0/17", "eu-central", {}),
        )
        LoadBalancer(
            "acme",
            LoadBalancerArgs(
                load_balancer_type="lb11",
                location="fsn1",
                labels={},
                network_id=network.network_id,
                subnet=network.subnet,
                target_selector="souverain.eu/role=worker",
            ),
        )

    plan = declare(program)
    resources = by_name(plan)
    component = plan.of_type("souverain:hetzner:LoadBalancer")[0]

    assert resources["acme-lb"].inputs["location"] == "fsn1"
    assert resources["acme-lb"].inputs["loadBalancerType"] == "lb11"
    for port in (80, 443):
        service = resources[f"acme-lb-tcp-{port}"]
        assert service.parent == component.urn, service.urn
        assert service.inputs == {
            "destinationPort": port,
            "healthCheck": {
                "interval": 15,
                "port": port,
                "protocol": "tcp",
                "retries": 3,
                "timeout": 10,
            },
            "listenPort": port,
            "loadBalancerId": UNKNOWN,
            "protocol": "tcp",
            "proxyprotocol": True,
        }
    target = resources["acme-lb-targets"]
    assert target.inputs == {
        "labelSelector": "souverain.eu/role=worker",
        "loadBalancerId": UNKNOWN,
        "type": "label_selector",
        "usePrivateIp": True,
    }
    # Private targets need the balancer in the network, which needs the subnet.
    assert resources["acme-lb-network"].urn in target.dependencies, target.urn
    assert resources["acme-nodes-subnet"].urn in (
        resources["acme-lb-network"].dependencies
    )
