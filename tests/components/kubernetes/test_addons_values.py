"""Every helm-values/ file rendered and held to its chart's values schema."""

import json
import os
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from jsonschema.validators import validator_for

from components.hetzner.load_balancer import LoadBalancer, LoadBalancerArgs
from components.hetzner.network import PrivateNetwork, PrivateNetworkArgs
from components.kubernetes import addons_values as charts
from components.kubernetes.apps_values import APP_CHARTS
from tests.fakes.serving import SHARED_SPECS

HELM_SPECS = SHARED_SPECS / "helm"
SETTINGS = charts.template_settings(
    domain="acme.eu",
    startup_name="acme",
    location="fsn1",
    network_cidr="10.0.0.0/16",
    cluster_cidr="10.42.0.0/16",
    rancher_replicas=3,
    letsencrypt_email="ops@acme.eu",
    ingress_node_selector={"souverain.eu/ingress": "true"},
)


def helm_spec(chart: charts.Chart, suffix: str) -> Any:
    """The chart version's vendored schema or default values; skipped outside CI."""
    path = HELM_SPECS / f"{chart.chart}-{chart.version}.{suffix}"
    if not path.is_file():
        message = (
            f"the values spec of {chart.chart} {chart.version} is not at {path}: put "
            "the shared specs beside the checkout (see ../shared/specs/README.md)"
        )
        if os.environ.get("CI"):
            raise FileNotFoundError(message)
        pytest.skip(message)
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def schema_errors(chart: charts.Chart, values: dict) -> list[str]:
    schema = helm_spec(chart, "values.schema.json")
    validator = validator_for(schema)(schema)
    return [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(values)
    ]


def leaf_paths(values: Any, prefix: tuple = ()) -> list[tuple]:
    if isinstance(values, dict) and values:
        return [p for k, v in values.items() for p in leaf_paths(v, (*prefix, k))]
    return [prefix]


def test_every_chart_has_its_values_file_and_no_other_file_lies_around():
    templates = {path.name for path in charts.VALUES_DIR.glob("*.j2")}

    pinned = (*charts.CHARTS, *APP_CHARTS)
    assert templates == {chart.values_file.name for chart in pinned}


@pytest.mark.parametrize(
    "chart",
    [charts.CSI, charts.CERT_MANAGER, charts.TRAEFIK],
    ids=lambda chart: chart.chart,
)
def test_rendered_values_satisfy_the_charts_schema(chart):
    assert schema_errors(chart, charts.render_values(chart, SETTINGS)) == []


def test_rancher_values_with_the_secret_added_satisfy_the_schema():
    values = {
        **charts.render_values(charts.RANCHER, SETTINGS),
        "bootstrapPassword": "x",
    }

    assert schema_errors(charts.RANCHER, values) == []


def test_schemas_do_catch_a_misspelt_key():
    # Guards the guard: a validator that ignored unknown keys would pass anything.
    values = {**charts.render_values(charts.TRAEFIK, SETTINGS), "hostNetwrok": True}

    assert schema_errors(charts.TRAEFIK, values) == [
        ": Additional properties are not allowed ('hostNetwrok' was unexpected)"
    ]


def test_ccm_sets_only_keys_its_default_values_have():
    # This chart ships no schema; its default values.yaml names every key it reads.
    defaults = helm_spec(charts.CCM, "values.yaml")
    values = charts.render_values(charts.CCM, SETTINGS)

    for path in leaf_paths(values):
        node = defaults
        for key in path:
            assert isinstance(node, dict) and key in node, f"unknown key {path}"
            node = node[key]
    assert values == {"networking": {"enabled": True, "clusterCIDR": "10.42.0.0/16"}}
    # The chart's defaults already read the token and network from Secret `hcloud`.
    assert defaults["env"]["HCLOUD_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "hcloud",
        "key": "token",
    }
    assert defaults["networking"]["network"]["valueFrom"]["secretKeyRef"] == {
        "name": "hcloud",
        "key": "network",
    }


def test_rancher_values_use_lets_encrypt_through_traefik_and_hold_no_secret():
    assert charts.render_values(charts.RANCHER, SETTINGS) == {
        "hostname": "rancher.acme.eu",
        "replicas": 3,
        "networkExposure": {"type": "ingress"},
        "service": {"type": "ClusterIP"},
        "ingress": {
            "ingressClassName": "traefik",
            "servicePort": 80,
            "tls": {"source": "letsEncrypt"},
        },
        "letsEncrypt": {
            "email": "ops@acme.eu",
            "environment": "production",
            "ingress": {"class": "traefik"},
        },
    }


def test_cert_manager_installs_its_crds_with_the_switch_of_v1_15_on():
    assert charts.render_values(charts.CERT_MANAGER, SETTINGS) == {
        "crds": {"enabled": True, "keep": True}
    }


def test_csi_makes_the_default_storage_class_in_the_stacks_location():
    values = charts.render_values(charts.CSI, SETTINGS)

    assert values["storageClasses"] == [
        {
            "name": "hcloud-volumes",
            "defaultStorageClass": True,
            "reclaimPolicy": "Retain",
        }
    ]
    assert values["controller"]["hcloudVolumeDefaultLocation"] == "fsn1"
    assert values["controller"]["hcloudToken"] == {
        "existingSecret": {"name": "hcloud", "key": "token"}
    }


def test_traefik_trusts_proxy_protocol_from_the_private_network_only():
    values = charts.render_values(charts.TRAEFIK, SETTINGS)

    for entry_point in ("web", "websecure"):
        assert values["ports"][entry_point]["proxyProtocol"] == {
            "trustedIPs": ["10.0.0.0/16"]
        }
        assert "forwardedHeaders" not in values["ports"][entry_point]
    assert values["deployment"] == {"kind": "DaemonSet"}
    assert values["service"] == {"enabled": False}
    assert values["nodeSelector"] == {"souverain.eu/ingress": "true"}


def test_traefik_host_ports_are_the_load_balancers_destination_ports(declare):
    def program():
        network = PrivateNetwork(
            "acme", PrivateNetworkArgs("10.0.0.0/16", "10.0.0.0/17", "eu-central", {})
        )
        LoadBalancer(
            "acme",
            LoadBalancerArgs(
                "lb11", "fsn1", {}, network.network_id, network.subnet, ""
            ),
        )

    services = declare(program).of_type(
        "hcloud:index/loadBalancerService:LoadBalancerService"
    )
    values = charts.render_values(charts.TRAEFIK, SETTINGS)

    host_ports = sorted(port["hostPort"] for port in values["ports"].values())
    assert host_ports == sorted(s.inputs["destinationPort"] for s in services)
    assert all(s.inputs["proxyprotocol"] is True for s in services)


def test_a_setting_the_template_names_but_nobody_gave_fails_loudly():
    with pytest.raises(KeyError) as caught:
        charts.render_values(charts.CCM, {})

    assert caught.value.args == (
        "helm-values/hcloud-cloud-controller-manager.yaml.j2 uses cluster_cidr, which "
        "the settings lack",
    )


def test_values_escape_what_would_break_yaml():
    settings = {**SETTINGS, "letsencrypt_email": 'ops@acme.eu"\nreplicas: 99'}

    values = charts.render_values(charts.RANCHER, settings)

    assert values["letsEncrypt"]["email"] == 'ops@acme.eu"\nreplicas: 99'
    assert values["replicas"] == 3


def test_with_secret_adds_an_output_at_the_path_and_leaves_the_values_alone():
    values = {"ingress": {"tls": {"source": "letsEncrypt"}}}

    merged = charts.with_secret(values, ("auth", "password"), "s3cret")

    assert isinstance(merged["auth"]["password"], pulumi.Output)
    assert merged["ingress"] == values["ingress"]
    assert values == {"ingress": {"tls": {"source": "letsEncrypt"}}}


def test_values_dir_is_the_projects_helm_values_folder():
    assert charts.VALUES_DIR == Path(__file__).resolve().parents[3] / "helm-values"
