"""The running k3s cluster as the rest of the stack sees it: its API and admin access.

The servers come from the node pools, started by their user data; this component
adds what reaching them takes: an admin client certificate signed by the cluster's
client CA, and the kubeconfig that carries it, as secret outputs.
"""

import base64
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_tls as tls
import yaml

from components.hetzner.layout import KUBE_API_PORT
from components.kubernetes.cluster_secrets import ClusterSecrets

# Kubernetes' built-in group of cluster administrators (RBAC's cluster-admin).
ADMIN_GROUP = "system:masters"
ADMIN_USER = "system:admin"
# A year, renewed by the first `pulumi up` in its last 30 days; the kubeconfig
# output changes then, and copies of the old one stop working a month later.
ADMIN_CERT_VALIDITY_HOURS = 365 * 24
ADMIN_CERT_RENEWAL_HOURS = 30 * 24


@dataclass
class K3sClusterArgs:
    """Inputs of K3sCluster."""

    cluster_name: str
    """Names the kubeconfig's cluster, user and context."""
    secrets: ClusterSecrets
    """The CAs and tokens the servers were created with."""
    api_address: pulumi.Input[str]
    """The public address of the first control-plane server."""
    control_plane_servers: Sequence[pulumi.Resource]
    """The control-plane servers; the first is the one that starts the cluster."""


def api_url(address: str) -> str:
    """The Kubernetes API's URL on one server's address."""
    return f"https://{address}:{KUBE_API_PORT}"


def admin_kubeconfig(
    cluster_name: str, url: str, ca_pem: str, cert_pem: str, key_pem: str
) -> str:
    """A kubeconfig with one cluster, user and context, its credentials inline."""
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_name,
                "cluster": {"server": url, "certificate-authority-data": _b64(ca_pem)},
            }
        ],
        "users": [
            {
                "name": f"{cluster_name}-admin",
                "user": {
                    "client-certificate-data": _b64(cert_pem),
                    "client-key-data": _b64(key_pem),
                },
            }
        ],
        "contexts": [
            {
                "name": cluster_name,
                "context": {"cluster": cluster_name, "user": f"{cluster_name}-admin"},
            }
        ],
        "current-context": cluster_name,
        "preferences": {},
    }
    return yaml.safe_dump(document, sort_keys=True, default_flow_style=False)


def _b64(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()


class K3sCluster(pulumi.ComponentResource):
    """The cluster's API URL and admin kubeconfig, and its control-plane servers."""

    kubeconfig: pulumi.Output[str]
    """Admin kubeconfig with its client certificate and key inline (secret)."""
    api_url: pulumi.Output[str]
    """https://<first control-plane address>:6443."""
    control_plane_servers: list[pulumi.Resource]
    """The control-plane servers, the initialising one first: depend on them before
    waiting for the API."""

    def __init__(
        self,
        name: str,
        args: K3sClusterArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        if not args.control_plane_servers:
            raise ValueError(
                "control_plane_servers is empty: pass the servers of the "
                "control-plane pools, the one that starts the cluster first"
            )
        super().__init__("souverain:kubernetes:K3sCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        admin_key = tls.PrivateKey(
            f"{name}-admin-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child
        )
        request = tls.CertRequest(
            f"{name}-admin-request",
            private_key_pem=admin_key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(
                common_name=ADMIN_USER, organization=ADMIN_GROUP
            ),
            opts=child,
        )
        certificate = tls.LocallySignedCert(
            f"{name}-admin-cert",
            cert_request_pem=request.cert_request_pem,
            ca_cert_pem=args.secrets.client_ca_pem,
            ca_private_key_pem=args.secrets.client_ca_key_pem,
            validity_period_hours=ADMIN_CERT_VALIDITY_HOURS,
            early_renewal_hours=ADMIN_CERT_RENEWAL_HOURS,
            allowed_uses=["client_auth", "digital_signature", "key_encipherment"],
            opts=child,
        )

        self.api_url = pulumi.Output.from_input(args.api_address).apply(api_url)
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(
                self.api_url,
                args.secrets.server_ca_pem,
                certificate.cert_pem,
                admin_key.private_key_pem,
            ).apply(lambda parts: admin_kubeconfig(args.cluster_name, *parts))
        )
        self.control_plane_servers = list(args.control_plane_servers)
        self.register_outputs(
            {
                "kubeconfig": self.kubeconfig,
                "api_url": self.api_url,
                "control_plane_servers": self.control_plane_servers,
            }
        )
