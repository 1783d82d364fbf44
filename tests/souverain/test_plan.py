"""The offline plan of the real program: reference stacks, secrets, determinism."""

import json
import shutil
from pathlib import Path

import pulumi
import pulumi_hcloud as hcloud
import pytest

from components.errors import ConfigError, SouverainError
from souverain.plan import UNKNOWN, plan_stack, run_plan
from souverain.stack_files import find_project, read_stack_config

REPO = Path(__file__).resolve().parents[2]
SERVER = "hcloud:index/server:Server"
BUCKET = "pulumi-python:dynamic/s3:Bucket"


def make_project(tmp_path: Path, stack: str, stack_yaml: str) -> Path:
    """A copy of the project files with one extra stack file."""
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(REPO / "__main__.py", tmp_path / "__main__.py")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text(stack_yaml)
    return tmp_path


def test_prod_plans_five_servers_a_network_firewalls_and_a_balancer_in_one_place():
    plan = plan_stack("prod", REPO)

    assert plan.counts() == {
        "bunny": 27,
        "hcloud": 20,
        "kubernetes": 69,
        "pulumi": 2,
        "random": 13,
        "s3": 2,
        "scaleway": 5,
        "souverain": 15,
        "tls": 14,
    }
    servers = plan.of_type(SERVER)
    assert [s.name for s in servers] == [
        "acme-control-plane-1",
        "acme-control-plane-2",
        "acme-control-plane-3",
        "acme-workers-1",
        "acme-workers-2",
    ]
    assert {s.inputs["serverType"] for s in servers[:3]} == {"cx33"}
    assert {s.inputs["serverType"] for s in servers[3:]} == {"cx43"}
    assert len(plan.of_type("hcloud:index/network:Network")) == 1
    assert len(plan.of_type("hcloud:index/firewall:Firewall")) == 2
    assert len(plan.of_type("hcloud:index/loadBalancer:LoadBalancer")) == 1
    located = [r for r in plan.resources if "location" in r.inputs]
    assert {r.inputs["location"] for r in located} == {"fsn1"}
    assert len(located) == 11  # 5 servers, 3 API addresses, the balancer, 2 buckets
    subnet = plan.of_type("hcloud:index/networkSubnet:NetworkSubnet")[0]
    assert subnet.inputs["networkZone"] == "eu-central"


def test_dev_is_one_server_that_also_takes_the_web_traffic():
    plan = plan_stack("dev", REPO)

    assert [s.name for s in plan.of_type(SERVER)] == ["acme-dev-main-1"]
    target = plan.of_type("hcloud:index/loadBalancerTarget:LoadBalancerTarget")[0]
    assert target.inputs["labelSelector"] == (
        "souverain.eu/startup=acme-dev,souverain.eu/ingress=true"
    )


def test_values_known_only_after_deployment_stay_unknown():
    plan = plan_stack("prod", REPO)

    server = plan.of_type(SERVER)[0]
    assert server.inputs["sshKeys"] == [UNKNOWN]
    assert server.inputs["firewallIds"] == [UNKNOWN]
    assert server.inputs["networks"] == [
        {"aliasIps": [], "ip": "10.0.70.1", "networkId": UNKNOWN}
    ]
    assert server.inputs["publicNets"] == [
        {"ipv4": UNKNOWN, "ipv4Enabled": True, "ipv6Enabled": True}
    ]


def test_same_input_gives_byte_identical_json():
    first = json.dumps(plan_stack("prod", REPO).as_json(), sort_keys=True)
    second = json.dumps(plan_stack("prod", REPO).as_json(), sort_keys=True)

    assert first == second


def test_bad_stack_file_raises_config_error_naming_the_file(tmp_path):
    project = make_project(
        tmp_path,
        "bad",
        (REPO / "stacks" / "Pulumi.dev.yaml")
        .read_text()
        .replace("souverain:location: fsn1", "souverain:location: ash"),
    )

    with pytest.raises(ConfigError) as caught:
        plan_stack("bad", project)

    assert caught.value.problems == [
        "location 'ash' is outside the EU: use fsn1, hel1 or nbg1"
    ]
    assert caught.value.stack_file == "stacks/Pulumi.bad.yaml"


def test_unknown_stack_names_the_known_ones(tmp_path):
    project = make_project(tmp_path, "dev", "config: {}\n")
    (project / "stacks" / "Pulumi.prod.yaml").write_text("config: {}\n")

    with pytest.raises(SouverainError) as caught:
        plan_stack("staging", project)

    assert str(caught.value) == (
        "stack 'staging' has no settings file stacks/Pulumi.staging.yaml: known "
        "stacks are dev, prod (start staging with `souverain new staging --domain "
        "<domain>`)"
    )


ENCRYPTED_STACK = """\
encryptionsalt: v1:QmFkU2FsdA==:v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBBBBBB
config:
  hcloud:token:
    secure: v1:c2VjcmV0LXRva2VuLWNpcGhlcnRleHQ=:AAAA
  souverain:userData:
    secure: v1:dXNlci1kYXRhLWNpcGhlcnRleHQ=:BBBB
"""


def test_encrypted_stack_values_plan_without_passphrase_and_show_as_secret(tmp_path):
    project = find_project(make_project(tmp_path, "enc", ENCRYPTED_STACK))
    config, secret_keys = read_stack_config(project, "enc")
    assert secret_keys == {"hcloud:token", "souverain:userData"}
    assert config["hcloud:token"] == "[secret]"

    def program():
        user_data = pulumi.Config("souverain").require_secret("userData")
        hcloud.Server("node", server_type="cx23", user_data=user_data)

    plan = run_plan(program, "souverain", "enc", config, secret_keys)

    server = plan.resources[0]
    assert server.inputs == {"serverType": "cx23", "userData": "[secret]"}
    text = json.dumps(plan.as_json())
    assert "ciphertext" not in text and "c2VjcmV0" not in text


def test_project_defaults_apply_and_stack_values_override_them():
    project = find_project(REPO)
    config, _ = read_stack_config(project, "dev")

    assert config["souverain:image"] == "ubuntu-24.04"  # from Pulumi.yaml
    assert config["souverain:startupName"] == "acme-dev"  # from the stack file
    assert config["souverain:allowedSshCidrs"] == '["203.0.113.0/24"]'
    assert config["souverain:enableApps"] == "false"
    assert config["souverain:etcdSnapshotRetention"] == "28"  # numbers as text
    assert config["souverain:etcdSnapshotSchedule"] == "off"


def test_prod_plans_a_private_assets_bucket_and_a_versioned_backups_bucket():
    plan = plan_stack("prod", REPO)

    buckets = {r.inputs["bucket"]: r for r in plan.of_type(BUCKET)}
    assert sorted(buckets) == ["acme-assets", "acme-backups"]
    assets, backups = buckets["acme-assets"], buckets["acme-backups"]
    assert assets.inputs["public_read"] is False
    assert assets.inputs["cors_rules"][0]["allowed_origins"] == [
        "https://acme.example",
        "https://www.acme.example",
    ]
    assert backups.inputs["versioning"] is True
    assert backups.inputs["lifecycle_rules"] == [
        {"id": "expire-replaced-versions", "noncurrent_days": 30, "prefix": ""}
    ]
    for bucket in (assets, backups):
        assert bucket.inputs["endpoint"] == "https://fsn1.your-objectstorage.com"
        assert bucket.inputs["location"] == "fsn1"
        assert bucket.inputs["access_key"] == "[secret]", bucket.urn
        assert bucket.inputs["secret_key"] == "[secret]", bucket.urn
    assert plan.warnings[0].startswith("s3AccessKey is not set")


def test_encrypted_s3_keys_reach_the_buckets_as_secrets(tmp_path):
    stack = (REPO / "stacks" / "Pulumi.prod.yaml").read_text() + (
        "  souverain:s3AccessKey:\n    secure: v1:YWNjZXNzLWNpcGhlcg==:AAAA\n"
        "  souverain:s3SecretKey:\n    secure: v1:c2VjcmV0LWNpcGhlcg==:BBBB\n"
    )
    plan = plan_stack("keys", make_project(tmp_path, "keys", stack))

    assert [w.split(" ", 1)[0] for w in plan.warnings] == [
        "bunnyAccessKey",
        "scalewayAccessKey",
        "scalewaySecretKey",
        "hcloudClusterToken",
    ]
    assert {b.inputs["secret_key"] for b in plan.of_type(BUCKET)} == {"[secret]"}
    assert "c2VjcmV0" not in json.dumps(plan.as_json())


def test_prod_wires_the_domain_to_the_cdn_and_the_load_balancer():
    plan = plan_stack("prod", REPO)
    by_name = {r.name: r for r in plan.resources}
    site = by_name["acme-site"]
    assets = by_name["acme-assets"] if "acme-assets" in by_name else None

    zone = plan.of_type("pulumi-python:dynamic/bunny:DnsZone")[0]
    assert zone.inputs["domain"] == "acme.example"
    assert site.inputs["hostnames"] == ["acme.example", "www.acme.example"]
    assert site.inputs["origin_host_header"] == "acme.example"
    assert site.inputs["origin_url"] == UNKNOWN  # https:// + the balancer's IPv4
    pull_zones = plan.of_type("pulumi-python:dynamic/bunny:PullZone")
    assert sorted(z.inputs["name"] for z in pull_zones) == ["acme-assets", "acme-site"]
    assert assets is not None
    storage = plan.of_type("pulumi-python:dynamic/bunny:StorageZone")[0]
    assert (storage.inputs["name"], storage.inputs["region"]) == ("acme-edge", "DE")

    edge = plan.of_type("souverain:bunny:BunnyEdge")[0]
    records = {
        (r.inputs["name"], r.inputs["type"]): r
        for r in plan.of_type("pulumi-python:dynamic/bunny:DnsRecord")
        if r.parent == edge.urn  # the e-mail records belong to TransactionalEmail
    }
    assert sorted(records) == [
        ("", "CAA"),
        ("", "PULLZONE"),
        ("api", "A"),
        ("api", "AAAA"),
        ("app", "A"),
        ("app", "AAAA"),
        ("assets", "CNAME"),
        ("glitchtip", "A"),
        ("glitchtip", "AAAA"),
        ("hanko", "A"),
        ("hanko", "AAAA"),
        ("openbao", "A"),
        ("openbao", "AAAA"),
        ("rancher", "A"),
        ("rancher", "AAAA"),
        ("twenty", "A"),
        ("twenty", "AAAA"),
        ("umami", "A"),
        ("umami", "AAAA"),
        ("www", "CNAME"),
    ]
    assert records[("", "CAA")].inputs["value"] == "letsencrypt.org"
    assert records[("", "CAA")].inputs["tag"] == "issue"
    balancer = by_name["acme-lb"].urn
    for label in ("app", "api", "rancher", "umami", "openbao", "twenty", "hanko"):
        assert balancer in records[(label, "A")].dependencies, label
    assert site.urn in records[("www", "CNAME")].dependencies
    assert site.urn in records[("", "PULLZONE")].dependencies
    assert by_name["acme-assets-bucket"].urn in assets.dependencies
    # The bucket is private: the CDN signs its requests with the S3 keys.
    assert assets.inputs["origin_signing"] == "[secret]"
    for resource in [zone, site, storage, *records.values()]:
        assert resource.inputs["access_key"] == "[secret]", resource.urn


def test_prod_plans_the_registry_its_push_pull_key_and_e_mail_with_its_records():
    plan = plan_stack("prod", REPO)
    project = "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

    (namespace,) = plan.of_type("scaleway:registry/namespace:Namespace")
    assert namespace.inputs == {
        "isPublic": False,
        "name": "acme",
        "projectId": project,
        "region": "fr-par",
    }
    (application,) = plan.of_type("scaleway:iam/application:Application")
    (policy,) = plan.of_type("scaleway:iam/policy:Policy")
    assert policy.inputs["rules"] == [
        {"permissionSetNames": ["ContainerRegistryFullAccess"], "projectIds": [project]}
    ]
    (key,) = plan.of_type("scaleway:iam/apiKey:ApiKey")
    assert application.urn in key.dependencies
    (domain,) = plan.of_type("scaleway:tem/domain:Domain")
    assert (domain.inputs["name"], domain.inputs["region"]) == (
        "acme.example",
        "fr-par",
    )
    email = plan.of_type("souverain:scaleway:TransactionalEmail")[0]
    records = [
        r
        for r in plan.of_type("pulumi-python:dynamic/bunny:DnsRecord")
        if r.parent == email.urn
    ]
    assert sorted(r.name for r in records) == [
        "acme-email-dkim",
        "acme-email-dmarc",
        "acme-email-spf",
    ]
    for record in records:
        assert domain.urn in record.dependencies, record.urn
    (provider,) = plan.of_type("pulumi:providers:scaleway")
    assert provider.inputs["secretKey"] == "[secret]"


def test_dev_plans_a_one_server_cluster_initialised_by_its_only_server():
    plan = plan_stack("dev", REPO)

    assert plan.counts() == {
        "hcloud": 12,
        "kubernetes": 8,
        "pulumi": 1,
        "random": 3,
        "souverain": 8,
        "tls": 14,
    }
    # No buckets, so no S3 keys to set; only the cluster's own Hetzner token.
    assert [w.split(" ", 1)[0] for w in plan.warnings] == ["hcloudClusterToken"]
    (server,) = plan.of_type(SERVER)
    assert server.inputs["userData"] == "[secret]"
    assert server.inputs["networks"][0]["ip"] == "10.0.26.1"
    (address,) = plan.of_type("hcloud:index/primaryIp:PrimaryIp")
    assert address.name == "acme-dev-main-1-ipv4"
    assert address.urn in server.dependencies
    assert len(plan.of_type("tls:index/selfSignedCert:SelfSignedCert")) == 5


def test_cluster_keys_tokens_and_user_data_stay_secret_in_the_plan(tmp_path):
    stack = (REPO / "stacks" / "Pulumi.prod.yaml").read_text() + (
        "  souverain:s3AccessKey:\n    secure: v1:YWNjZXNzLWNpcGhlcg==:AAAA\n"
        "  souverain:s3SecretKey:\n    secure: v1:c2VjcmV0LWNpcGhlcg==:BBBB\n"
    )
    plan = plan_stack("keys", make_project(tmp_path, "keys", stack))

    for server in plan.of_type(SERVER):
        assert server.inputs["userData"] == "[secret]", server.urn
    for ca in plan.of_type("tls:index/selfSignedCert:SelfSignedCert"):
        assert ca.inputs["privateKeyPem"] == "[secret]", ca.urn
    (admin,) = plan.of_type("tls:index/locallySignedCert:LocallySignedCert")
    assert admin.inputs["caPrivateKeyPem"] == "[secret]"
    text = json.dumps(plan.as_json())
    assert "c2VjcmV0" not in text and "YWNjZXNz" not in text


def test_an_option_the_pinned_k3s_lacks_stops_the_plan_with_one_line(monkeypatch):
    # Regression: rendered only during `pulumi up`, a bad option failed after the
    # network and firewalls were already being created.
    from components.errors import CloudInitError
    from components.kubernetes import cloud_init

    monkeypatch.setattr(cloud_init, "FLANNEL_IFACE_OPTION", "flannel-interface")

    with pytest.raises(CloudInitError) as caught:
        plan_stack("dev", REPO)

    assert str(caught.value) == (
        "k3s option 'flannel-interface' is not an option of `k3s server` "
        "v1.35.5+k3s1: did you mean 'flannel-iface'? (the names are in "
        "components/kubernetes/k3s_flags.json)"
    )


def test_prod_runs_the_five_tools_each_with_its_database_and_hostname():
    plan = plan_stack("prod", REPO)
    by_name = {r.name: r for r in plan.resources}

    hosts = {
        r.inputs["metadata"]["namespace"]: r.inputs["spec"]["rules"][0]["host"]
        for r in plan.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    }
    assert hosts == {
        "umami": "umami.acme.example",
        "openbao": "openbao.acme.example",
        "twenty": "twenty.acme.example",
        "glitchtip": "glitchtip.acme.example",
        "hanko": "hanko.acme.example",
    }
    databases = {
        r.inputs["metadata"]["name"]: r.inputs["spec"]["storage"]["size"]
        for r in plan.of_type("kubernetes:postgresql.cnpg.io/v1:Cluster")
    }
    assert databases == {
        "umami-db": "10Gi",
        "openbao-db": "10Gi",
        "twenty-db": "40Gi",
        "glitchtip-db": "20Gi",
        "hanko-db": "10Gi",
    }
    stores = plan.of_type("kubernetes:barmancloud.cnpg.io/v1:ObjectStore")
    assert {s.inputs["spec"]["configuration"]["endpointURL"] for s in stores} == {
        "https://fsn1.your-objectstorage.com"
    }
    assert sorted(
        s.inputs["spec"]["configuration"]["destinationPath"] for s in stores
    ) == [f"s3://acme-backups/postgres/{tool}" for tool in sorted(hosts)]
    # Every tool waits for Traefik, cert-manager and the volumes.
    for tool in hosts:
        namespace = by_name[f"acme-apps-{tool}-namespace"]
        for addon in ("acme-traefik", "acme-cert-manager", "acme-hcloud-csi"):
            assert by_name[addon].urn in namespace.dependencies, namespace.urn
    deployments = plan.of_type("kubernetes:apps/v1:Deployment")
    assert {
        d.inputs["spec"]["template"]["spec"]["nodeSelector"]["souverain.eu/role"]
        for d in deployments
    } == {"worker"}
