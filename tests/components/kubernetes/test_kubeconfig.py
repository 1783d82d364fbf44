"""Credentials read out of kubeconfigs as k3s and others write them."""

import base64

import pytest

from components.kubernetes.cluster import admin_kubeconfig
from components.kubernetes.kubeconfig import (
    KubeconfigError,
    kubeconfig_credentials,
    kubeconfig_problem,
)

TOKEN_KUBECONFIG = """
clusters:
- name: prod
  cluster: {server: "https://10.0.0.2:6443"}
- name: dev
  cluster: {server: "https://10.1.0.2:6443", certificate-authority-data: Y2E=}
contexts:
- {name: prod, context: {cluster: prod, user: ops}}
- {name: dev, context: {cluster: dev, user: dev}}
current-context: dev
users:
- {name: ops, user: {token: prod-token}}
- {name: dev, user: {token: dev-token}}
"""


def test_the_current_contexts_cluster_and_user_are_used():
    credentials = kubeconfig_credentials(TOKEN_KUBECONFIG)

    assert credentials.ca_pem == b"ca"
    assert credentials.token == "dev-token"
    assert credentials.client_cert_pem is None


def test_credentials_never_show_in_a_repr():
    credentials = kubeconfig_credentials(TOKEN_KUBECONFIG)

    assert repr(credentials) == "KubeconfigCredentials(<withheld>)"


def test_a_kubeconfig_without_inline_credentials_is_refused():
    no_user = TOKEN_KUBECONFIG.replace("{token: dev-token}", "{}")

    assert kubeconfig_problem(no_user) == (
        "has no client-certificate-data with client-key-data, nor a token: pass the "
        "cluster's admin kubeconfig, with its credentials inline"
    )


@pytest.mark.parametrize(
    ("kubeconfig", "problem"),
    [
        ("clusters: [", "is not YAML"),
        ("just text", "is not a kubeconfig (no clusters, users, contexts)"),
        (
            TOKEN_KUBECONFIG.replace("current-context: dev", "current-context: qa"),
            "has no entry named 'qa' in contexts",
        ),
        (
            TOKEN_KUBECONFIG.replace("Y2E=", "not base64!"),
            "has a certificate-authority-data that is not base64",
        ),
        (42, "is not text"),
    ],
)
def test_kubeconfig_problem_names_what_is_wrong(kubeconfig, problem):
    assert kubeconfig_problem(kubeconfig) == problem


def test_errors_are_value_errors_carrying_no_secret():
    with pytest.raises(KubeconfigError) as caught:
        kubeconfig_credentials(
            TOKEN_KUBECONFIG.replace("Y2E=", base64.b64encode(b"ca").decode() + "%")
        )

    assert "dev-token" not in str(caught.value)


def test_the_clusters_own_admin_kubeconfig_is_read():
    # The kubeconfig K3sCluster outputs is the one the readiness wait is given.
    kubeconfig = admin_kubeconfig(
        "acme", "https://203.0.113.5:6443", "CA PEM\n", "CERT PEM\n", "KEY PEM\n"
    )

    credentials = kubeconfig_credentials(kubeconfig)
    assert (credentials.ca_pem, credentials.client_cert_pem) == (
        b"CA PEM\n",
        b"CERT PEM\n",
    )
    assert (credentials.client_key_pem, credentials.token) == (b"KEY PEM\n", None)
