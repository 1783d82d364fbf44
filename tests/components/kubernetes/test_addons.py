"""The ClusterAddons component under mocks: charts, order, secrets and outputs."""

import json
from dataclasses import replace

import pulumi
import pulumi_random as random
import pytest

from components.errors import SouverainError
from components.kubernetes.addons import ClusterAddons, ClusterAddonsArgs
from souverain.plan import run_plan
from tests.components.kubernetes.https_api import HttpsApi

RELEASE = "kubernetes:helm.sh/v3:Release"
HCLOUD_TOKEN = "hcloud-token-plaintext"
DOCKER_CONFIG = '{"auths": {"rg.fr-par.scw.cloud": {"password": "scw-plaintext"}}}'
KUBECONFIG = "apiVersion: v1\nusers: [{name: admin, user: {token: kube-plaintext}}]"
ARGS = ClusterAddonsArgs(
    kubeconfig=KUBECONFIG,
    api_url="https://10.0.0.2:6443",
    domain="acme.eu",
    startup_name="acme",
    network_name_or_id="acme-network",
    network_cidr="10.0.0.0/16",
    hcloud_token=HCLOUD_TOKEN,
    location="fsn1",
    rancher_replicas=3,
    letsencrypt_email="ops@acme.eu",
    rancher_bootstrap=True,
    registry_docker_config_json=DOCKER_CONFIG,
    app_namespaces=["acme", "acme-jobs"],
)


class KnownPasswords(pulumi.runtime.Mocks):
    """Outputs as after an apply: each generated password known, and recognisable."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outputs = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = f"{args.name}-plaintext"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def addons_program(args: ClusterAddonsArgs = ARGS, servers: bool = False):
    def program():
        depends_on = []
        if servers:
            # Stands in for the control-plane servers the stack passes.
            depends_on = [random.RandomPet("acme-control-plane-1")]
        ClusterAddons("acme", replace(args, depends_on=depends_on))

    return program


def by_name(plan) -> dict:
    return {resource.name: resource for resource in plan.resources}


def test_releases_pin_chart_version_repository_and_namespace(declare):
    releases = {r.name: r.inputs for r in declare(addons_program()).of_type(RELEASE)}

    pins = {
        name: (
            inputs["name"],
            inputs["chart"],
            inputs["version"],
            inputs["repositoryOpts"],
            inputs["namespace"],
            inputs["createNamespace"],
        )
        for name, inputs in releases.items()
    }
    assert pins == {
        "acme-hcloud-ccm": (
            "hcloud-cloud-controller-manager",
            "hcloud-cloud-controller-manager",
            "1.35.0",
            {"repo": "https://charts.hetzner.cloud"},
            "kube-system",
            False,
        ),
        "acme-hcloud-csi": (
            "hcloud-csi",
            "hcloud-csi",
            "2.22.1",
            {"repo": "https://charts.hetzner.cloud"},
            "kube-system",
            False,
        ),
        "acme-cert-manager": (
            "cert-manager",
            "cert-manager",
            "v1.21.1",
            {"repo": "https://charts.jetstack.io"},
            "cert-manager",
            True,
        ),
        "acme-traefik": (
            "traefik",
            "traefik",
            "41.3.0",
            {"repo": "https://traefik.github.io/charts"},
            "traefik",
            True,
        ),
        "acme-rancher": (
            "rancher",
            "rancher",
            "2.15.0",
            {"repo": "https://releases.rancher.com/server-charts/stable"},
            "cattle-system",
            True,
        ),
    }
    for name, inputs in releases.items():
        assert (inputs["skipAwait"], inputs["waitForJobs"]) == (False, True), name
    assert releases["acme-rancher"]["timeout"] == 900


def test_each_step_waits_for_the_one_before(declare):
    resources = by_name(declare(addons_program(servers=True)))

    def urn(name: str) -> str:
        return resources[name].urn

    def needs(name: str, *before: str) -> None:
        missing = {urn(b) for b in before} - set(resources[name].dependencies)
        assert not missing, f"{urn(name)} does not wait for {missing}"

    needs("acme-api-ready", "acme-control-plane-1")
    needs("acme-kubernetes", "acme-api-ready")
    needs("acme-hcloud-secret", "acme-api-ready")
    needs("acme-hcloud-ccm", "acme-api-ready", "acme-hcloud-secret")
    needs("acme-hcloud-csi", "acme-api-ready", "acme-hcloud-ccm")
    needs("acme-cert-manager", "acme-api-ready", "acme-hcloud-ccm")
    needs("acme-traefik", "acme-api-ready", "acme-hcloud-csi", "acme-cert-manager")
    needs("acme-rancher", "acme-api-ready", "acme-traefik", "acme-cert-manager")
    needs("acme-rancher-ready", "acme-rancher")
    needs("acme-rancher-admin", "acme-rancher-ready")
    needs("acme-namespace-acme", "acme-api-ready")
    needs("acme-registry-pull-acme", "acme-namespace-acme")


def test_every_child_sits_under_the_component(declare):
    plan = declare(addons_program())
    component = plan.of_type("souverain:kubernetes:ClusterAddons")[0]

    for resource in plan.resources:
        if resource is not component:
            assert resource.parent == component.urn, resource.urn


def test_secrets_never_show_in_plain_text():
    plan = run_plan(addons_program(), "souverain", "test", {}, set(), KnownPasswords())
    resources = by_name(plan)

    shown = json.dumps(plan.as_json())
    for plaintext in (HCLOUD_TOKEN, "scw-plaintext", "kube-plaintext", "-plaintext"):
        assert plaintext not in shown
    assert resources["acme-kubernetes"].inputs["kubeconfig"] == "[secret]"
    assert resources["acme-api-ready"].inputs["kubeconfig"] == "[secret]"
    assert resources["acme-hcloud-secret"].inputs["stringData"] == "[secret]"
    assert resources["acme-registry-pull-acme"].inputs["stringData"] == "[secret]"
    # The recorder shows a map holding a secret as a secret; the engine hides just
    # the bootstrap password (the rest is rendered in test_addons_values.py).
    assert resources["acme-rancher"].inputs["values"] == "[secret]"
    assert resources["acme-rancher-admin"].inputs == {
        "initialPassword": "[secret]",
        "password": "[secret]",
    }


def test_objects_beside_the_charts_are_the_manifests(declare):
    resources = by_name(declare(addons_program()))

    assert resources["acme-hcloud-secret"].inputs["metadata"] == {
        "name": "hcloud",
        "namespace": "kube-system",
    }
    for namespace in ("acme", "acme-jobs"):
        assert resources[f"acme-namespace-{namespace}"].inputs["metadata"] == {
            "labels": {"app.kubernetes.io/managed-by": "pulumi"},
            "name": namespace,
        }
        pull = resources[f"acme-registry-pull-{namespace}"].inputs
        assert pull["type"] == "kubernetes.io/dockerconfigjson"
        assert pull["metadata"] == {"name": "registry-pull", "namespace": namespace}


def test_rancher_bootstrap_talks_to_rancher_url_in_bootstrap_mode(declare):
    resources = by_name(declare(addons_program()))

    assert resources["acme-rancher-bootstrap"].inputs == {
        "apiUrl": "https://rancher.acme.eu",
        "bootstrap": "true",
        "insecure": "false",
    }
    assert resources["acme-rancher-ready"].inputs["url"] == "https://rancher.acme.eu"
    for password in ("acme-rancher-bootstrap-password", "acme-rancher-admin-password"):
        assert resources[password].inputs == {"length": 32, "special": False}


def test_outputs_are_registered_exactly(monkeypatch):
    registered = {}
    monkeypatch.setattr(
        ClusterAddons, "register_outputs", lambda _self, outs: registered.update(outs)
    )

    run_plan(addons_program(), "souverain", "test", {}, set(), KnownPasswords())

    assert set(registered) == {
        "rancher_url",
        "rancher_bootstrap_password",
        "rancher_admin_password",
    }


def test_without_the_bootstrap_switch_rancher2_is_never_used(declare, monkeypatch):
    registered = {}
    monkeypatch.setattr(
        ClusterAddons, "register_outputs", lambda _self, outs: registered.update(outs)
    )

    plan = declare(addons_program(replace(ARGS, rancher_bootstrap=False)))

    assert not [r for r in plan.resources if "rancher2" in r.type], plan.counts()
    assert "acme-rancher-ready" not in by_name(plan)
    assert set(registered) == {"rancher_url", "rancher_bootstrap_password"}


def test_without_a_registry_namespaces_come_without_pull_secrets(declare):
    args = replace(ARGS, registry_docker_config_json=None)

    names = set(by_name(declare(addons_program(args))))

    assert {"acme-namespace-acme", "acme-namespace-acme-jobs"} <= names
    assert not [name for name in names if "registry-pull" in name]


def test_a_preview_never_asks_the_cluster():
    with HttpsApi() as api:
        plan = run_plan(
            addons_program(replace(ARGS, api_url=api.url)), "souverain", "t", {}, set()
        )

    assert plan.of_type("pulumi-python:dynamic/kubernetes:ClusterReady")
    assert api.requests == []


def test_bad_args_name_field_value_and_fix():
    args = replace(
        ARGS,
        rancher_replicas=0,
        letsencrypt_email="ops",
        app_namespaces=["acme", "kube-system", "acme"],
        cluster_cidr="10.0.128.0/17",
    )

    with pytest.raises(SouverainError) as caught:
        ClusterAddons("acme", args)

    assert str(caught.value) == (
        "the cluster add-ons 'acme' cannot be declared:\n"
        "  - rancher_replicas 0 is out of range: use 3 for a highly available "
        "Rancher, 1 for a single server\n"
        "  - letsencrypt_email 'ops' is not an e-mail address: Let's Encrypt writes "
        "there before a certificate expires\n"
        "  - app_namespaces: 'kube-system' belongs to the cluster or its add-ons: "
        "choose a name of your own, e.g. the startup's name\n"
        "  - app_namespaces ['acme', 'kube-system', 'acme'] names a namespace twice: "
        "list each once\n"
        "  - cluster_cidr '10.0.128.0/17' overlaps network_cidr '10.0.0.0/16': pods "
        "would take addresses meant for the servers and the load balancer; use k3s's "
        "default 10.42.0.0/16"
    )


def test_traefik_runs_on_the_nodes_k3s_labels_for_ingress(declare):
    traefik = by_name(declare(addons_program()))["acme-traefik"]

    # cloud_init.k3s_config labels each node souverain.eu/ingress=true or false.
    assert traefik.inputs["values"]["nodeSelector"] == {"souverain.eu/ingress": "true"}


def test_the_provider_is_configured_only_once_the_api_answers(declare):
    # Regression: the provider took the kubeconfig as soon as the admin certificate
    # existed, minutes before k3s answered; pulumi-kubernetes then marks the cluster
    # unreachable for the whole run, so the first `pulumi up` failed every release.
    resources = by_name(declare(addons_program(servers=True)))
    provider = resources["acme-kubernetes"]

    assert resources["acme-api-ready"].urn in provider.dependencies, provider.urn


def test_after_the_bootstrap_rancher2_logs_in_with_the_admin_token(declare):
    resources = by_name(declare(addons_program()))

    logged_in = resources["acme-rancher-api"]
    assert logged_in.type == "pulumi:providers:rancher2"
    assert resources["acme-rancher-admin"].urn in logged_in.dependencies


def test_a_renewed_admin_certificate_does_not_replace_the_provider(declare):
    # The kubeconfig changes with the yearly certificate renewal; a fixed cluster
    # identifier keeps that an in-place update instead of replacing every resource.
    provider = by_name(declare(addons_program()))["acme-kubernetes"]

    assert provider.inputs["clusterIdentifier"] == "acme-k3s"
