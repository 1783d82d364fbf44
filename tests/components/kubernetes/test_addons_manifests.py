"""The namespaces and secrets beside the charts, held to the Kubernetes API schemas."""

import kubernetes_validate
import pytest

from components.config_cluster import RANCHER_KUBERNETES_MINORS
from components.kubernetes import addons_manifests as manifests

# Every Kubernetes minor a stack may run: those Rancher 2.15 manages.
KUBERNETES_VERSIONS = [f"1.{minor}" for minor in RANCHER_KUBERNETES_MINORS]
DOCKER_CONFIG = '{"auths": {"rg.fr-par.scw.cloud": {"auth": "bm9sb2dpbjpzZWNyZXQ="}}}'


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(
    "manifest",
    [
        manifests.namespace("acme"),
        manifests.hcloud_secret("hcloud-token", "acme-network"),
        manifests.pull_secret("acme", DOCKER_CONFIG),
    ],
    ids=["namespace", "hcloud-secret", "pull-secret"],
)
def test_manifest_is_valid_kubernetes(manifest, version):
    kubernetes_validate.validate(manifest, version, strict=True)


def test_hcloud_secret_holds_what_both_charts_read():
    secret = manifests.hcloud_secret("hcloud-token", "acme-network")

    assert secret["metadata"] == {"name": "hcloud", "namespace": "kube-system"}
    assert secret["stringData"] == {"token": "hcloud-token", "network": "acme-network"}


def test_pull_secret_is_a_docker_config_json_named_for_pods_to_use():
    secret = manifests.pull_secret("acme", DOCKER_CONFIG)

    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    assert secret["metadata"] == {"name": "registry-pull", "namespace": "acme"}
    assert secret["stringData"] == {".dockerconfigjson": DOCKER_CONFIG}


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("acme", None),
        ("acme-api-2", None),
        (
            "Acme",
            "'Acme' is not a namespace name: use at most 63 lowercase letters, digits "
            "and dashes, starting and ending with a letter or digit",
        ),
        (
            "a" * 64,
            f"'{'a' * 64}' is not a namespace name: use at most 63 lowercase letters, "
            "digits and dashes, starting and ending with a letter or digit",
        ),
        (
            "cattle-system",
            "'cattle-system' belongs to the cluster or its add-ons: choose a name of "
            "your own, e.g. the startup's name",
        ),
        (
            "kube-flannel",
            "'kube-flannel' belongs to the cluster or its add-ons: choose a name of "
            "your own, e.g. the startup's name",
        ),
    ],
)
def test_namespace_problem(name, problem):
    assert manifests.namespace_problem(name) == problem
