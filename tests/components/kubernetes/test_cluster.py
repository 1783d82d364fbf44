"""The cluster's secrets, servers and admin access under mocks that answer like the
providers: exact resources, inputs, parents, dependencies and secretness."""

import base64
import json

import pulumi
import pulumi_hcloud as hcloud
import pytest
import yaml

from components.config import parse_stack_config
from components.kubernetes.cluster import (
    K3sCluster,
    K3sClusterArgs,
    admin_kubeconfig,
)
from components.kubernetes.cluster_secrets import ClusterSecrets, ClusterSecretsArgs
from components.stack import declare_stack
from souverain.plan import run_plan
from tests.conftest import TODAY

SERVER = "hcloud:index/server:Server"
SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert"
PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
PASSWORD = "random:index/randomPassword:RandomPassword"
PRIMARY_IP = "hcloud:index/primaryIp:PrimaryIp"
S3_SECRET = "s3-secret-value"


def pem(kind: str, body: str) -> str:
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"


class ClusterAnswers(pulumi.runtime.Mocks):
    """Known outputs, as after an apply: keys, certificates, tokens, addresses."""

    def __init__(self):
        self.addresses = 0

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outputs = dict(args.inputs)
        if args.typ == PRIVATE_KEY:
            outputs["privateKeyPem"] = pem("PRIVATE KEY", f"KEY-{args.name}")
        if args.typ in (SELF_SIGNED, "tls:index/locallySignedCert:LocallySignedCert"):
            outputs["certPem"] = pem("CERTIFICATE", f"CERT-{args.name}")
        if args.typ == "tls:index/certRequest:CertRequest":
            outputs["certRequestPem"] = pem("CERTIFICATE REQUEST", args.name)
        if args.typ == PASSWORD:
            outputs["result"] = f"TOKEN{args.name.replace('-', '')}"
        if args.typ == PRIMARY_IP:
            self.addresses += 1
            outputs["ipAddress"] = f"203.0.113.{self.addresses}"
        return f"{abs(hash(args.name)) % 10_000}", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def probe(name: str, **inputs) -> None:
    """A resource that only records its inputs, to see an Output as a consumer."""
    pulumi.CustomResource("test:index:Probe", name, inputs)


@pytest.fixture
def cluster_settings(settings) -> dict:
    settings.update(
        enableCluster=True,
        enableBuckets=True,
        s3AccessKey="s3-access-value",
        s3SecretKey=S3_SECRET,
        hcloudClusterToken="hcloud-cluster-token-value",
    )
    return settings


def planned_stack(settings: dict):
    config = parse_stack_config(
        settings,
        today=TODAY,
        secret_keys={"s3AccessKey", "s3SecretKey", "hcloudClusterToken"},
    )
    plan = run_plan(
        lambda: declare_stack(config), "souverain", "test", {}, set(), ClusterAnswers()
    )
    return plan, {r.name: r for r in plan.resources}


def test_cluster_secrets_are_five_cas_a_service_account_key_and_two_tokens(declare):
    plan = declare(lambda: ClusterSecrets("acme", ClusterSecretsArgs("acme")))
    component = plan.of_type("souverain:kubernetes:ClusterSecrets")[0]

    cas = {r.name: r for r in plan.of_type(SELF_SIGNED)}
    assert sorted(cas) == [
        "acme-client-ca",
        "acme-etcd-peer-ca",
        "acme-etcd-server-ca",
        "acme-request-header-ca",
        "acme-server-ca",
    ]
    server_ca = cas["acme-server-ca"]
    assert server_ca.inputs["isCaCertificate"] is True
    assert server_ca.inputs["validityPeriodHours"] == 87600
    assert server_ca.inputs["subject"] == {
        "commonName": "acme-k3s-server-ca",
        "organization": "souverain",
    }
    keys = {r.name: r.inputs for r in plan.of_type(PRIVATE_KEY)}
    assert keys["acme-server-ca-key"] == {"algorithm": "ECDSA", "ecdsaCurve": "P256"}
    assert keys["acme-service-account-key"] == {"algorithm": "RSA", "rsaBits": 2048}
    tokens = {r.name: r.inputs for r in plan.of_type(PASSWORD)}
    assert tokens == {
        "acme-agent-token": {"length": 48, "special": False},
        "acme-server-token": {"length": 48, "special": False},
    }
    for resource in [*cas.values(), *plan.of_type(PRIVATE_KEY)]:
        assert resource.parent == component.urn, resource.urn


def test_every_server_gets_secret_user_data_that_needs_its_cas_and_address(
    cluster_settings,
):
    plan, by_name = planned_stack(cluster_settings)

    servers = plan.of_type(SERVER)
    assert len(servers) == 5
    for server in servers:
        assert server.inputs["userData"] == "[secret]", server.urn
        assert by_name["acme-server-ca"].urn in server.dependencies, server.urn
        assert by_name["acme-server-token"].urn in server.dependencies, server.urn
    first = by_name["acme-control-plane-1"]
    address = by_name["acme-control-plane-1-ipv4"]
    assert address.inputs == {
        "assigneeType": "server",
        "autoDelete": False,
        "labels": {"souverain.eu/startup": "acme"},
        "location": "fsn1",
        "name": "acme-control-plane-1-ipv4",
        "type": "ipv4",
    }
    assert address.urn in first.dependencies
    assert first.inputs["publicNets"][0]["ipv4"] != "(known after apply)"
    assert first.inputs["networks"][0]["ip"] == "10.0.70.1"
    # Workers keep a fresh public address: nothing reaches their API.
    assert "ipv4" not in by_name["acme-workers-1"].inputs["publicNets"][0]
    assert by_name["acme-workers-2"].inputs["networks"][0]["ip"] == "10.0.88.2"


def test_no_token_key_or_s3_secret_reaches_the_plan(cluster_settings):
    plan, _ = planned_stack(cluster_settings)

    text = json.dumps(plan.as_json())
    assert "TOKEN" not in text
    assert "KEY-" not in text
    assert S3_SECRET not in text


def user_data_program(settings: dict):
    """The stack, plus probes that read two servers' user data in plain text."""
    config = parse_stack_config(
        settings,
        today=TODAY,
        secret_keys={"s3AccessKey", "s3SecretKey", "hcloudClusterToken"},
    )
    from components.kubernetes.node_inputs import declare_node_inputs

    def program():
        inputs = declare_node_inputs(config, pulumi.Output.from_input("acme-backups"))
        for name in ("acme-control-plane-1", "acme-workers-1"):
            probe(f"{name}-probe", text=pulumi.Output.unsecret(inputs.user_data[name]))

    return program


def test_user_data_carries_the_generated_secrets_and_the_api_address(
    cluster_settings,
):
    plan = run_plan(
        user_data_program(cluster_settings),
        "souverain",
        "test",
        {},
        set(),
        ClusterAnswers(),
    )
    texts = {
        r.name.removesuffix("-probe"): yaml.safe_load(r.inputs["text"])
        for r in plan.of_type("test:index:Probe")
    }

    first = {
        f["path"]: f["content"] for f in texts["acme-control-plane-1"]["write_files"]
    }
    config = yaml.safe_load(first["/etc/rancher/k3s/config.yaml"])
    assert config["token"] == "TOKENacmeservertoken"
    assert config["agent-token"] == "TOKENacmeagenttoken"
    assert config["tls-san"] == ["203.0.113.1"]
    assert config["etcd-s3-bucket"] == "acme-backups"
    assert config["etcd-s3-secret-key"] == S3_SECRET
    tls = "/var/lib/rancher/k3s/server/tls"
    assert first[f"{tls}/server-ca.crt"] == pem("CERTIFICATE", "CERT-acme-server-ca")
    assert first[f"{tls}/etcd/peer-ca.key"] == pem(
        "PRIVATE KEY", "KEY-acme-etcd-peer-ca-key"
    )
    assert first[f"{tls}/service.key"] == pem(
        "PRIVATE KEY", "KEY-acme-service-account-key"
    )
    worker = texts["acme-workers-1"]["write_files"][0]["content"]
    assert yaml.safe_load(worker)["token"] == "TOKENacmeagenttoken"
    assert "KEY-" not in json.dumps(texts["acme-workers-1"])


class AnswersByName(ClusterAnswers):
    """ClusterAnswers whose addresses follow each address's name, not the order in
    which the engine happens to create them."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        resource_id, outputs = super().new_resource(args)
        if args.typ == PRIMARY_IP:
            number = int(args.name.removesuffix("-ipv4").rsplit("-", 1)[1])
            outputs["ipAddress"] = f"203.0.113.{number}"
        return resource_id, outputs


def servers_and_user_data(settings: dict) -> dict[str, tuple]:
    """Each server's registration and its user data in plain text, by server name."""
    config = parse_stack_config(
        settings,
        today=TODAY,
        secret_keys={"s3AccessKey", "s3SecretKey", "hcloudClusterToken"},
    )

    def program():
        declare_stack(config)
        from components.kubernetes.node_inputs import declare_node_inputs

        # A second rendering, beside the stack's, only to read the text.
        inputs = declare_node_inputs(config, pulumi.Output.from_input("acme-backups"))
        for name, text in inputs.user_data.items():
            probe(f"{name}-probe", text=pulumi.Output.unsecret(text))

    plan = run_plan(program, "souverain", "test", {}, set(), AnswersByName())
    texts = {
        r.name.removesuffix("-probe"): r.inputs["text"]
        for r in plan.of_type("test:index:Probe")
    }
    return {
        r.name: (r.inputs, r.parent, r.dependencies, texts[r.name])
        for r in plan.of_type(SERVER)
    }


def test_growing_the_pools_changes_nothing_a_running_server_was_created_with(
    cluster_settings,
):
    before = servers_and_user_data(cluster_settings)
    cluster_settings["nodePools"]["control-plane"]["count"] = 5
    cluster_settings["nodePools"]["workers"]["count"] = 3
    after = servers_and_user_data(cluster_settings)

    assert set(after) - set(before) == {
        "acme-control-plane-4",
        "acme-control-plane-5",
        "acme-workers-3",
    }
    for name, created_with in before.items():
        assert after[name] == created_with, name


def cluster_program(holder: dict):
    def program():
        secrets = ClusterSecrets("acme", ClusterSecretsArgs("acme"))
        servers = [
            hcloud.Server(f"acme-control-plane-{n}", server_type="cx33") for n in (1, 2)
        ]
        cluster = K3sCluster(
            "acme",
            K3sClusterArgs(
                cluster_name="acme",
                secrets=secrets,
                api_address="203.0.113.1",
                control_plane_servers=servers,
            ),
        )
        holder.update(cluster=cluster, servers=servers)
        probe("secret-probe", kubeconfig=cluster.kubeconfig)
        probe("plain-probe", kubeconfig=pulumi.Output.unsecret(cluster.kubeconfig))
        probe("url-probe", url=cluster.api_url)

    return program


def test_admin_kubeconfig_is_a_secret_signed_by_the_client_ca():
    holder = {}
    plan = run_plan(
        cluster_program(holder), "souverain", "test", {}, set(), ClusterAnswers()
    )
    by_name = {r.name: r for r in plan.resources}

    assert by_name["secret-probe"].inputs["kubeconfig"] == "[secret]"
    assert by_name["url-probe"].inputs["url"] == "https://203.0.113.1:6443"
    certificate = by_name["acme-admin-cert"]
    assert certificate.inputs["caPrivateKeyPem"] == "[secret]"
    assert certificate.inputs["allowedUses"] == [
        "client_auth",
        "digital_signature",
        "key_encipherment",
    ]
    assert by_name["acme-client-ca"].urn in certificate.dependencies
    assert by_name["acme-admin-request"].inputs["subject"] == {
        "commonName": "system:admin",
        "organization": "system:masters",
    }
    kubeconfig = yaml.safe_load(by_name["plain-probe"].inputs["kubeconfig"])
    cluster = kubeconfig["clusters"][0]["cluster"]
    assert cluster["server"] == "https://203.0.113.1:6443"
    assert base64.b64decode(cluster["certificate-authority-data"]).decode() == pem(
        "CERTIFICATE", "CERT-acme-server-ca"
    )
    user = kubeconfig["users"][0]["user"]
    assert base64.b64decode(user["client-certificate-data"]).decode() == pem(
        "CERTIFICATE", "CERT-acme-admin-cert"
    )
    assert base64.b64decode(user["client-key-data"]).decode() == pem(
        "PRIVATE KEY", "KEY-acme-admin-key"
    )
    # The add-ons wait for the API after the server that starts the cluster.
    assert holder["cluster"].control_plane_servers == holder["servers"]


def test_kubeconfig_document_is_complete_and_byte_identical():
    first = admin_kubeconfig("acme", "https://203.0.113.1:6443", "CA", "CERT", "KEY")

    assert first == admin_kubeconfig(
        "acme", "https://203.0.113.1:6443", "CA", "CERT", "KEY"
    )
    assert yaml.safe_load(first) == {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "acme",
                "cluster": {
                    "server": "https://203.0.113.1:6443",
                    "certificate-authority-data": "Q0E=",
                },
            }
        ],
        "users": [
            {
                "name": "acme-admin",
                "user": {
                    "client-certificate-data": "Q0VSVA==",
                    "client-key-data": "S0VZ",
                },
            }
        ],
        "contexts": [
            {"name": "acme", "context": {"cluster": "acme", "user": "acme-admin"}}
        ],
        "current-context": "acme",
        "preferences": {},
    }


def test_cluster_without_control_plane_servers_is_refused(declare):
    def program():
        secrets = ClusterSecrets("acme", ClusterSecretsArgs("acme"))
        K3sCluster("acme", K3sClusterArgs("acme", secrets, "203.0.113.1", []))

    with pytest.raises(ValueError) as caught:
        declare(program)

    assert str(caught.value) == (
        "control_plane_servers is empty: pass the servers of the control-plane "
        "pools, the one that starts the cluster first"
    )
