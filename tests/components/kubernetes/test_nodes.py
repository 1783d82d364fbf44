"""Which server is which node, derived from the settings without Pulumi."""

from components.config import parse_stack_config
from components.kubernetes.cloud_init import K3sNode
from components.kubernetes.nodes import cluster_nodes, pool_private_ips
from tests.conftest import TODAY


def config_of(settings: dict):
    settings.update(
        enableCluster=True, etcdSnapshotSchedule="off", hcloudClusterToken="token"
    )
    return parse_stack_config(settings, today=TODAY, secret_keys={"hcloudClusterToken"})


def test_first_control_plane_server_starts_the_cluster_and_comes_first(settings):
    nodes = cluster_nodes(config_of(settings))

    assert nodes == [
        K3sNode(
            "acme-control-plane-1",
            "control-plane",
            "control-plane",
            "10.0.70.1",
            ingress=False,
            initialises=True,
        ),
        K3sNode("acme-control-plane-2", "control-plane", "control-plane", "10.0.70.2"),
        K3sNode("acme-control-plane-3", "control-plane", "control-plane", "10.0.70.3"),
        K3sNode("acme-workers-1", "workers", "worker", "10.0.88.1", ingress=True),
        K3sNode("acme-workers-2", "workers", "worker", "10.0.88.2", ingress=True),
    ]


def test_a_new_pool_moves_no_existing_server(settings):
    before = pool_private_ips(config_of(settings), "workers")
    settings["nodePools"]["batch"] = {
        "role": "worker",
        "serverType": "cx33",
        "count": 4,
    }
    settings["nodePools"]["workers"]["count"] = 3

    after = pool_private_ips(config_of(settings), "workers")

    assert {name: after[name] for name in before} == before
    assert pool_private_ips(config_of(settings), "batch")["acme-batch-1"] == (
        "10.0.68.1"
    )
