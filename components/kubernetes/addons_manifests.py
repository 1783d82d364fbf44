"""The plain Kubernetes objects beside the charts: namespaces and secrets, as dicts.

The component declares each dict as a resource; tests validate the same dicts against
the Kubernetes API schemas. Values may be Pulumi Outputs (secrets) or, in tests, plain
strings.
"""

from typing import Any

import pulumi

from components import config_cluster

HCLOUD_SECRET = "hcloud"
"""The Secret both Hetzner charts read their token (and the CCM its network) from."""
PULL_SECRET = "registry-pull"
"""The image pull secret in each app namespace; pods name it in imagePullSecrets."""
# Namespaces the cluster or the add-ons own: an app namespace must not take them over.
# The same rule as the stack's setting appNamespaces, which is checked first.
RESERVED_NAMESPACES = frozenset(config_cluster.SYSTEM_NAMESPACES)
RESERVED_PREFIXES = config_cluster.SYSTEM_NAMESPACE_PREFIXES


def namespace_problem(name: str) -> str | None:
    """Why `name` cannot be an app namespace, or None when it can."""
    if len(name) > 63 or not config_cluster.NAMESPACE_RE.match(name):
        return (
            f"'{name}' is not a namespace name: use at most 63 lowercase letters, "
            "digits and dashes, starting and ending with a letter or digit"
        )
    if name in RESERVED_NAMESPACES or name.startswith(RESERVED_PREFIXES):
        return (
            f"'{name}' belongs to the cluster or its add-ons: choose a name of your "
            "own, e.g. the startup's name"
        )
    return None


def namespace(name: str) -> dict[str, Any]:
    """A namespace for the startup's workloads."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {"app.kubernetes.io/managed-by": "pulumi"},
        },
    }


def hcloud_secret(
    token: pulumi.Input[str], network: pulumi.Input[str]
) -> dict[str, Any]:
    """The Hetzner API token and the private network's name or id, for CCM and CSI."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": HCLOUD_SECRET, "namespace": "kube-system"},
        "type": "Opaque",
        "stringData": {"token": token, "network": network},
    }


def pull_secret(
    namespace_name: str, docker_config_json: pulumi.Input[str]
) -> dict[str, Any]:
    """The registry's Docker config as an image pull secret in one namespace."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": PULL_SECRET, "namespace": namespace_name},
        "type": "kubernetes.io/dockerconfigjson",
        "stringData": {".dockerconfigjson": docker_config_json},
    }
