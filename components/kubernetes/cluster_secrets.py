"""The cluster's certificate authorities and join tokens, made by Pulumi, not on a node.

k3s takes custom CAs when their files are in its TLS folder before the first server
starts (k3s docs, "Using Custom CA Certificates"). Generating them here means the
admin kubeconfig is known to Pulumi without copying a file off a server over SSH,
and the CA keys stay in the encrypted state, from which a lost cluster can be rebuilt.
"""

from dataclasses import dataclass

import pulumi
import pulumi_random as random
import pulumi_tls as tls

# The CAs k3s accepts as custom CAs, by their file under
# /var/lib/rancher/k3s/server/tls/ (k3s docs, cli/certificate.md): certificate and
# key each. The etcd pair is needed even though the datastore is the embedded etcd.
CERTIFICATE_AUTHORITIES = {
    "server-ca": "server-ca",
    "client-ca": "client-ca",
    "request-header-ca": "request-header-ca",
    "etcd-peer-ca": "etcd/peer-ca",
    "etcd-server-ca": "etcd/server-ca",
}
# The key that signs service-account tokens has no certificate.
SERVICE_ACCOUNT_KEY_FILE = "service.key"
# k3s makes its own CAs valid for 10 years and never renews them; so do these.
CA_VALIDITY_HOURS = 10 * 365 * 24
CA_USES = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"]
# Long enough that guessing is hopeless; letters and digits only, so a token never
# needs quoting in a shell or a YAML file.
TOKEN_LENGTH = 48


@dataclass
class ClusterSecretsArgs:
    """Inputs of ClusterSecrets."""

    cluster_name: str
    """Names the CAs' subjects, so a certificate says which cluster it belongs to."""


class ClusterSecrets(pulumi.ComponentResource):
    """Five CAs and the service-account key for k3s, and its server and agent tokens.

    Every key and token is a secret Output: it reaches the first server's user data
    and the state encrypted, and no log or plan ever shows it.
    """

    server_token: pulumi.Output[str]
    """Joins control-plane servers; also encrypts k3s' bootstrap data (secret)."""
    agent_token: pulumi.Output[str]
    """Joins workers, which cannot join as servers with it (secret)."""
    ca_files: pulumi.Output[dict[str, str]]
    """PEM text by file path under k3s' server/tls folder (secret: keys included)."""
    server_ca_pem: pulumi.Output[str]
    """The CA of the API's serving certificate, for kubeconfigs."""
    client_ca_pem: pulumi.Output[str]
    """The CA the API trusts client certificates from."""
    client_ca_key_pem: pulumi.Output[str]
    """Its private key, to sign the admin certificate (secret)."""

    def __init__(
        self,
        name: str,
        args: ClusterSecretsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("souverain:kubernetes:ClusterSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        files: dict[str, pulumi.Output[str]] = {}
        certificates: dict[str, tls.SelfSignedCert] = {}
        keys: dict[str, tls.PrivateKey] = {}
        for role, path in CERTIFICATE_AUTHORITIES.items():
            # ECDSA P-256, as k3s generates its own CAs.
            keys[role] = tls.PrivateKey(
                f"{name}-{role}-key",
                algorithm="ECDSA",
                ecdsa_curve="P256",
                opts=child,
            )
            certificates[role] = tls.SelfSignedCert(
                f"{name}-{role}",
                private_key_pem=keys[role].private_key_pem,
                is_ca_certificate=True,
                validity_period_hours=CA_VALIDITY_HOURS,
                allowed_uses=CA_USES,
                subject=tls.SelfSignedCertSubjectArgs(
                    common_name=f"{args.cluster_name}-k3s-{role}",
                    organization="souverain",
                ),
                opts=child,
            )
            files[f"{path}.crt"] = certificates[role].cert_pem
            files[f"{path}.key"] = keys[role].private_key_pem

        # RSA, as k3s' own service.key: every consumer of service-account tokens
        # (OIDC clients included) verifies RS256.
        service_account_key = tls.PrivateKey(
            f"{name}-service-account-key", algorithm="RSA", rsa_bits=2048, opts=child
        )
        files[SERVICE_ACCOUNT_KEY_FILE] = service_account_key.private_key_pem

        self.server_token = _token(f"{name}-server-token", child)
        self.agent_token = _token(f"{name}-agent-token", child)
        self.ca_files = pulumi.Output.secret(pulumi.Output.all(**files))
        self.server_ca_pem = certificates["server-ca"].cert_pem
        self.client_ca_pem = certificates["client-ca"].cert_pem
        self.client_ca_key_pem = pulumi.Output.secret(keys["client-ca"].private_key_pem)
        self.register_outputs(
            {
                "server_token": self.server_token,
                "agent_token": self.agent_token,
                "ca_files": self.ca_files,
                "server_ca_pem": self.server_ca_pem,
                "client_ca_pem": self.client_ca_pem,
                "client_ca_key_pem": self.client_ca_key_pem,
            }
        )


def _token(name: str, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    password = random.RandomPassword(
        name, length=TOKEN_LENGTH, special=False, opts=opts
    )
    return pulumi.Output.secret(password.result)
