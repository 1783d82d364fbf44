"""A whole project built, changed and torn down through hcloud-python, as the stack
builds it through the Pulumi hcloud provider: the fake links every resource."""

from dataclasses import dataclass

import hcloud
from hcloud.firewalls import FirewallRule
from hcloud.firewalls.domain import Firewall
from hcloud.images import Image
from hcloud.load_balancer_types import LoadBalancerType
from hcloud.load_balancers import (
    LoadBalancerAlgorithm,
    LoadBalancerHealthCheck,
    LoadBalancerService,
    LoadBalancerTarget,
    LoadBalancerTargetLabelSelector,
)
from hcloud.load_balancers.client import BoundLoadBalancer
from hcloud.locations import Location
from hcloud.networks import NetworkSubnet
from hcloud.networks.client import BoundNetwork
from hcloud.placement_groups.client import BoundPlacementGroup
from hcloud.server_types import ServerType
from hcloud.servers import ServerCreatePublicNetwork
from hcloud.servers.client import BoundServer
from hcloud.ssh_keys.client import BoundSSHKey

from tests.fakes.hetzner_api import TOKEN, RecordedRequest

PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl "
    "dev@acme"
)
# As `ssh-keygen -l -E md5` prints it for PUBLIC_KEY.
FINGERPRINT = "65:96:2d:fc:e8:d5:a9:11:64:0c:0f:ea:00:6e:5b:bd"
USER_DATA = "#cloud-config\npackages: [htop]\n"
NODE_LABELS = {"app": "acme", "role": "node"}


@dataclass
class Project:
    """What `build` created, as hcloud-python returned it."""

    network: BoundNetwork
    firewall: Firewall
    group: BoundPlacementGroup
    key: BoundSSHKey
    server: BoundServer
    balancer: BoundLoadBalancer


def build(client: hcloud.Client) -> Project:
    """The stack's Hetzner resources, in the order Pulumi creates them."""
    network = client.networks.create(
        name="acme-network", ip_range="10.0.0.0/16", labels={"app": "acme"}
    )
    subnet = NetworkSubnet(
        type="cloud", ip_range="10.0.1.0/24", network_zone="eu-central"
    )
    client.networks.add_subnet(network, subnet).wait_until_finished()

    ssh = FirewallRule(
        direction="in",
        protocol="tcp",
        port="22",
        source_ips=["198.51.100.0/24"],
        description="ssh from the office",
    )
    firewall = client.firewalls.create(
        name="acme-node", rules=[ssh], labels={"app": "acme"}
    ).firewall
    group = client.placement_groups.create(
        name="acme-node-spread-1", type="spread", labels=NODE_LABELS
    ).placement_group
    key = client.ssh_keys.create(name="dev", public_key=PUBLIC_KEY)

    created = client.servers.create(
        name="acme-node-1",
        server_type=ServerType(name="cx23"),
        image=Image(name="ubuntu-24.04"),
        location=Location(name="fsn1"),
        ssh_keys=[key],
        firewalls=[firewall],
        placement_group=group,
        labels=NODE_LABELS,
        user_data=USER_DATA,
        public_net=ServerCreatePublicNetwork(enable_ipv4=True, enable_ipv6=True),
    )
    created.action.wait_until_finished()
    # The provider attaches a server's networks once it exists (server/common.go).
    client.servers.attach_to_network(created.server, network).wait_until_finished()

    balancer = client.load_balancers.create(
        name="acme-lb",
        load_balancer_type=LoadBalancerType(name="lb11"),
        location=Location(name="fsn1"),
        algorithm=LoadBalancerAlgorithm(type="round_robin"),
        labels={"app": "acme"},
    ).load_balancer
    client.load_balancers.attach_to_network(balancer, network).wait_until_finished()
    selector = LoadBalancerTargetLabelSelector(selector="role=node")
    target = LoadBalancerTarget(
        type="label_selector", label_selector=selector, use_private_ip=True
    )
    client.load_balancers.add_target(balancer, target).wait_until_finished()
    health_check = LoadBalancerHealthCheck(
        protocol="tcp", port=443, interval=15, timeout=10, retries=3
    )
    service = LoadBalancerService(
        protocol="tcp",
        listen_port=443,
        destination_port=443,
        proxyprotocol=True,
        health_check=health_check,
    )
    client.load_balancers.add_service(balancer, service).wait_until_finished()
    return Project(
        network=client.networks.get_by_id(network.id),
        firewall=client.firewalls.get_by_id(firewall.id),
        group=client.placement_groups.get_by_id(group.id),
        key=key,
        server=client.servers.get_by_id(created.server.id),
        balancer=client.load_balancers.get_by_id(balancer.id),
    )


def test_the_server_create_request_is_the_one_hcloud_python_sent(hetzner, client):
    build(client)

    creates = [
        r for r in hetzner.requests if (r.method, r.path) == ("POST", "/v1/servers")
    ]
    assert creates == [
        RecordedRequest("POST", "/v1/servers", {}, f"Bearer {TOKEN}", creates[0].body)
    ]
    assert creates[0].json == {
        "name": "acme-node-1",
        "server_type": "cx23",
        "image": "ubuntu-24.04",
        "start_after_create": True,
        "ssh_keys": [4001],
        "firewalls": [{"firewall": 2001}],
        "user_data": USER_DATA,
        "labels": NODE_LABELS,
        "location": "fsn1",
        "placement_group": 3001,
        "public_net": {"enable_ipv4": True, "enable_ipv6": True},
    }
    assert hetzner.state.created_with == {
        5001: {"user_data": USER_DATA, "ssh_keys": [4001]}
    }


def test_a_server_gets_a_private_address_public_addresses_and_its_links(client):
    project = build(client)
    server = project.server

    assert (server.id, server.name, server.status) == (5001, "acme-node-1", "running")
    assert (server.server_type.name, server.image.name, server.location.name) == (
        "cx23",
        "ubuntu-24.04",
        "fsn1",
    )
    # 10.0.0.1, the network's first address, is every subnet's gateway.
    assert [(n.network.id, n.ip, n.alias_ips) for n in server.private_net] == [
        (1001, "10.0.1.1", [])
    ]
    assert server.public_net.ipv4.ip == "203.0.113.1"
    assert server.public_net.ipv6.ip == "2001:db8:1::/64"
    assert [f.firewall.id for f in server.public_net.firewalls] == [2001]
    assert server.placement_group.id == 3001
    assert server.labels == NODE_LABELS
    assert project.key.fingerprint == FINGERPRINT


def test_networks_firewalls_and_groups_list_what_uses_them(hetzner, client):
    project = build(client)

    assert [server.id for server in project.network.servers] == [5001]
    assert project.group.servers == [5001]
    assert [(r.type, r.server.id) for r in project.firewall.applied_to] == [
        ("server", 5001)
    ]
    # The same, in the plain dicts a test can read and change.
    assert hetzner.state.firewalls[2001]["applied_to"] == [
        {"type": "server", "server": {"id": 5001}}
    ]
    assert hetzner.state.networks[1001]["load_balancers"] == [7001]
    assert hetzner.state.networks[1001]["subnets"] == [
        {
            "type": "cloud",
            "ip_range": "10.0.1.0/24",
            "network_zone": "eu-central",
            "gateway": "10.0.0.1",
            "vswitch_id": None,
        }
    ]
    assert sorted(hetzner.state.primary_ips) == [6001, 6002]
    assert hetzner.state.primary_ips[6001]["assignee_id"] == 5001


def test_the_load_balancer_reaches_the_selected_servers_privately(hetzner, client):
    balancer = build(client).balancer

    assert [(n.network.id, n.ip) for n in balancer.private_net] == [(1001, "10.0.1.2")]
    assert balancer.public_net.ipv4.ip == "203.0.113.2"
    assert hetzner.state.load_balancers[7001]["targets"] == [
        {
            "type": "label_selector",
            "label_selector": {"selector": "role=node"},
            "use_private_ip": True,
            "targets": [
                {
                    "type": "server",
                    "server": {"id": 5001, "ip": "10.0.1.1"},
                    "health_status": [{"listen_port": 443, "status": "healthy"}],
                    "use_private_ip": True,
                }
            ],
        }
    ]
    assert hetzner.state.load_balancers[7001]["services"] == [
        {
            "protocol": "tcp",
            "listen_port": 443,
            "destination_port": 443,
            "proxyprotocol": True,
            "health_check": {
                "protocol": "tcp",
                "port": 443,
                "interval": 15,
                "timeout": 10,
                "retries": 3,
            },
        }
    ]
    assert hetzner.state.servers[5001]["load_balancers"] == [7001]


def test_labels_changed_through_the_api_move_the_targets(hetzner, client):
    project = build(client)

    client.servers.update(project.server, labels={"app": "acme", "role": "db"})
    client.networks.update(project.network, labels={"app": "acme", "env": "prod"})

    assert client.servers.get_by_id(5001).labels == {"app": "acme", "role": "db"}
    assert client.networks.get_by_id(1001).labels == {"app": "acme", "env": "prod"}
    balancer = client.load_balancers.get_by_id(7001)
    assert [target.targets for target in balancer.targets] == [[]]
    assert hetzner.state.servers[5001]["load_balancers"] == []
    found = client.servers.get_all(label_selector="app=acme,role in (db,cache)")
    assert [server.name for server in found] == ["acme-node-1"]


def test_destroying_in_pulumi_order_leaves_the_project_empty(hetzner, client):
    project = build(client)

    balancer = project.balancer
    client.load_balancers.delete_service(balancer, balancer.services[0])
    client.load_balancers.remove_target(balancer, balancer.targets[0])
    client.load_balancers.detach_from_network(balancer, project.network)
    # hcloud-python 2.27 reads an action from this delete, but the spec answers 204
    # without a body: send it as a plain request.
    client.request("DELETE", f"/load_balancers/{balancer.id}")
    client.servers.delete(project.server).wait_until_finished()
    client.ssh_keys.delete(project.key)
    client.placement_groups.delete(project.group)
    client.firewalls.delete(project.firewall)
    client.networks.delete_subnet(project.network, project.network.subnets[0])
    client.networks.delete(project.network)

    assert hetzner.state.remaining() == {}
    assert hetzner.state.is_empty()
    assert client.primary_ips.get_all() == []
    assert hetzner.contract_violations == []


def test_what_is_left_after_a_partial_destroy_is_listed_by_name(hetzner, client):
    project = build(client)

    client.servers.delete(project.server)

    assert hetzner.state.remaining() == {
        "networks": ["acme-network"],
        "firewalls": ["acme-node"],
        "placement_groups": ["acme-node-spread-1"],
        "ssh_keys": ["dev"],
        "load_balancers": ["acme-lb"],
    }
    assert not hetzner.state.is_empty()
