"""The capacity check: the tools and add-ons against what their pools can allocate."""

import re

import pytest

from components import capacity
from components.config import parse_stack_config
from components.errors import ConfigError
from components.hetzner.catalog import load_catalog
from components.kubernetes.apps_catalog import TOOLS as TOOL_NAMES
from components.kubernetes.apps_catalog import Requests
from tests.conftest import TODAY

SECRETS = {"s3AccessKey", "s3SecretKey", "hcloudClusterToken"}


@pytest.fixture
def apps_settings(settings) -> dict:
    """prod's shape: three cx33 control planes, two cx43 workers, every tool on."""
    settings.update(
        enableCluster=True,
        enableBuckets=True,
        enableApps=True,
        rancherReplicas=3,
        s3AccessKey="a",
        s3SecretKey="s",
        hcloudClusterToken="c",
    )
    return settings


def parsed(raw: dict):
    return parse_stack_config(raw, today=TODAY, secret_keys=SECRETS)


def test_a_server_offers_its_cores_and_memory_less_the_reserve():
    cx43 = load_catalog().server_types["cx43"]

    # 16 GB is 15,258 MiB; the node keeps 250m and 768 MiB, a control plane 1 GiB
    # and 500m more for k3s' server and etcd.
    assert capacity.allocatable(cx43, "worker") == Requests(7750, 14490)
    assert capacity.allocatable(cx43, "control-plane") == Requests(7250, 13466)


def test_prod_fits_with_room_to_spare(apps_settings):
    config = parsed(apps_settings)
    pools = capacity.app_pools(config)

    assert pools == ["workers"]
    assert capacity.tools_demand(config) == Requests(3200, 6272)
    # Cluster add-ons 600m/958Mi, three Rancher pods 750m/3Gi, Traefik on the two
    # ingress workers 200m/256Mi.
    assert capacity.addons_demand(config, pools) == Requests(1550, 4286)
    assert capacity.pool_offers(config, pools)[0].total == Requests(15500, 28980)
    assert capacity.capacity_problems(config, TODAY) == []


def test_a_pool_too_small_names_the_shortfall_the_pool_and_the_fix(apps_settings):
    # One cx23 worker: 2 cores and 4 GB, less the reserve. Four of them, or one
    # cx43, would hold it all (a cx33's 3.75 CPU would not).
    apps_settings["nodePools"]["workers"].update(serverType="cx23", count=1)

    with pytest.raises(ConfigError) as caught:
        parsed(apps_settings)

    assert caught.value.problems == [
        "apps need 4.65 CPU and 10.2 GiB (the tools 3.2 CPU and 6.1 GiB, the "
        "add-ons 1.45 CPU and 4.1 GiB), but the workers pool offers 1.75 CPU and "
        "3.0 GiB: grow workers to 4 servers or use cx43"
    ]


def test_memory_alone_can_be_short(apps_settings):
    apps_settings["nodePools"]["workers"].update(serverType="cx33", count=1)
    apps_settings["apps"] = {"twenty": {"memory": "4Gi"}}

    assert capacity.capacity_problems(parsed_without_check(apps_settings), TODAY) == [
        "apps need 4.65 CPU and 13.2 GiB (the tools 3.2 CPU and 9.1 GiB, the "
        "add-ons 1.45 CPU and 4.1 GiB), but the workers pool offers 3.75 CPU and "
        "6.7 GiB: grow workers to 2 servers or use cx43"
    ]


def test_without_workers_the_tools_count_against_the_control_plane(apps_settings):
    apps_settings["nodePools"] = {
        "main": {"role": "control-plane", "serverType": "cx23", "count": 1}
    }
    apps_settings["rancherReplicas"] = 1

    config = parsed_without_check(apps_settings)

    assert capacity.app_pools(config) == ["main"]
    assert capacity.capacity_problems(config, TODAY) == [
        "apps need 4.15 CPU and 8.2 GiB (the tools 3.2 CPU and 6.1 GiB, the "
        "add-ons 0.95 CPU and 2.1 GiB), but the main pool offers 1.25 CPU and "
        "2.0 GiB: grow main to 5 servers or use cx43"
    ]


def test_a_stack_without_tools_is_never_checked(settings):
    settings["nodePools"]["workers"].update(serverType="cx23", count=1)

    assert capacity.capacity_problems(parsed(settings), TODAY) == []


def parsed_without_check(raw: dict):
    """The config as parsed, for tests that call the check themselves."""
    original = capacity.capacity_problems
    capacity.capacity_problems = lambda *_: []
    try:
        return parsed(raw)
    finally:
        capacity.capacity_problems = original


@pytest.mark.parametrize("memory", ["1Gi", "1536Mi", "2Gi", "2560Mi", "2900Mi"])
def test_the_grown_count_it_suggests_holds_everything(apps_settings, memory):
    # Regression: each added ingress worker also runs Traefik, which the count once
    # left out, so the suggested count could fall short (2Gi and 2560Mi did).
    apps_settings["nodePools"]["workers"].update(serverType="cx23", count=1)
    apps_settings["apps"] = {tool: {"memory": memory} for tool in TOOL_NAMES}

    (problem,) = capacity.capacity_problems(parsed_without_check(apps_settings), TODAY)
    servers = int(re.search(r"grow workers to (\d+) servers", problem).group(1))
    apps_settings["nodePools"]["workers"]["count"] = servers

    assert capacity.capacity_problems(parsed_without_check(apps_settings), TODAY) == []


def test_a_pod_larger_than_any_one_server_is_refused_however_many_there_are(
    apps_settings,
):
    # Ten cx23 workers offer plenty in total, but Twenty's 7 GiB pod fits on none:
    # a cx23 leaves 3.0 GiB for pods. More cx23s never help; a cx43 would.
    apps_settings["nodePools"]["workers"].update(serverType="cx23", count=10)
    apps_settings["apps"] = {"twenty": {"memory": "7Gi"}}

    with pytest.raises(ConfigError) as refused:
        parsed(apps_settings)

    assert refused.value.problems == [
        "apps.twenty asks 0.5 CPU and 7.0 GiB for one pod, more than one cx23 server "
        "of workers can hold (1.75 CPU and 3.0 GiB): lower apps.twenty.cpu or "
        "apps.twenty.memory, or use cx43 for workers"
    ]
