"""Scaleway registry and e-mail wiring under mocks that answer like the provider."""

import base64
import json

import pulumi
import pytest

from components.config import parse_stack_config
from components.errors import ConfigError
from components.stack import declare_stack
from souverain.plan import run_plan
from tests.conftest import TODAY

PROJECT = "11111111-2222-4333-8444-555555555555"
TEM_OUTPUTS = {
    "spf_value": "v=spf1 include:_spf.tem.scaleway.com -all",
    "dkim_name": f"{PROJECT}._domainkey.acme.eu",
    "dkim_config": "v=DKIM1; h=sha256; k=rsa; p=MIIBIjANBgkq",
    "dmarc_name": "_dmarc.acme.eu",
    "dmarc_config": "v=DMARC1; p=none",
    "mx_config": "blackhole.tem.scaleway.com",
    "smtp_host": "smtp.tm.scaleway.com",
}


class ScalewayAnswers(pulumi.runtime.Mocks):
    """Known outputs, as after an apply: TEM's records, an API key's secret."""

    created = 0

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outputs = dict(args.inputs)
        if args.typ == "scaleway:tem/domain:Domain":
            outputs.update(TEM_OUTPUTS)
        if args.typ == "scaleway:iam/apiKey:ApiKey":
            outputs.update(access_key="SCWKEY", secret_key="scw-secret-value")
        if args.typ.startswith("pulumi-python:dynamic/bunny:DnsZone"):
            outputs.update(zone_id=1001)
        if args.typ == "hcloud:index/loadBalancer:LoadBalancer":
            outputs.update(ipv4="203.0.113.10", ipv6="2001:db8::10")
        if args.typ == "pulumi-python:dynamic/bunny:PullZone":
            outputs.update(cdn_hostname="acme.b-cdn.net", pull_zone_id=2001)
        if args.typ == "pulumi-python:dynamic/s3:Bucket":
            outputs.update(
                domain=f"{args.inputs['bucket']}.fsn1.your-objectstorage.com"
            )
        # Hetzner ids are numbers that the components turn into ints.
        self.created += 1
        return str(self.created), outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture
def scaleway_settings(settings) -> dict:
    settings.update(
        enableBuckets=True,
        s3AccessKey="s3-key",
        s3SecretKey="s3-secret",
        enableRegistry=True,
        enableEmail=True,
        enableBunny=True,
        emailMx=True,
        scalewayProjectId=PROJECT,
        scalewayRegion="nl-ams",
        scalewayAccessKey="SCWKEY",
        scalewaySecretKey="scw-secret",
        bunnyAccessKey="bunny-key",
    )
    return settings


SECRETS = {
    "scalewayAccessKey",
    "scalewaySecretKey",
    "bunnyAccessKey",
    "s3AccessKey",
    "s3SecretKey",
}


def planned(settings: dict):
    config = parse_stack_config(settings, today=TODAY, secret_keys=SECRETS)
    plan = run_plan(
        lambda: declare_stack(config), "souverain", "test", {}, set(), ScalewayAnswers()
    )
    return plan, {r.name: r for r in plan.resources}


def test_registry_is_private_in_the_eu_region_with_a_push_pull_only_key(
    scaleway_settings,
):
    plan, by_name = planned(scaleway_settings)

    namespace = by_name["acme-registry-namespace"]
    assert namespace.inputs == {
        "isPublic": False,
        "name": "acme",
        "projectId": PROJECT,
        "region": "nl-ams",
    }
    policy = by_name["acme-registry-push-pull"]
    assert policy.inputs["rules"] == [
        {"permissionSetNames": ["ContainerRegistryFullAccess"], "projectIds": [PROJECT]}
    ]
    assert by_name["acme-registry-pusher"].urn in policy.dependencies
    provider = by_name["acme-scaleway"]
    assert provider.inputs["secretKey"] == "[secret]"
    assert provider.inputs["accessKey"] == "[secret]"


def test_email_records_carry_the_tem_domains_values(scaleway_settings):
    plan, by_name = planned(scaleway_settings)

    records = {
        name.removeprefix("acme-email-"): r.inputs
        for name, r in by_name.items()
        if name.startswith("acme-email-") and name != "acme-email-domain"
    }
    assert {
        role: (r["type"], r["name"], r["value"]) for role, r in records.items()
    } == {
        "spf": ("TXT", "", "v=spf1 include:_spf.tem.scaleway.com -all"),
        "dkim": (
            "TXT",
            f"{PROJECT}._domainkey",
            "v=DKIM1; h=sha256; k=rsa; p=MIIBIjANBgkq",
        ),
        "dmarc": ("TXT", "_dmarc", "v=DMARC1; p=none"),
        "mx": ("MX", "", "blackhole.tem.scaleway.com"),
    }
    assert records["mx"]["priority"] == 10
    assert all(r["zone_id"] == 1001 for r in records.values())
    domain = by_name["acme-email-domain"].inputs
    assert (domain["name"], domain["region"], domain["acceptTos"]) == (
        "acme.eu",
        "nl-ams",
        True,
    )


def test_registry_outputs_endpoint_and_a_secret_docker_config():
    from components.scaleway.registry import docker_config, registry_host

    config = json.loads(docker_config(registry_host("pl-waw"), "s3cr3t"))

    assert config == {
        "auths": {
            "rg.pl-waw.scw.cloud": {
                "auth": base64.b64encode(b"nologin:s3cr3t").decode(),
                "password": "s3cr3t",
                "username": "nologin",
            }
        }
    }


def test_secrets_stay_secret_in_every_planned_input(scaleway_settings):
    plan, _ = planned(scaleway_settings)

    text = json.dumps(plan.as_json())
    assert "scw-secret" not in text
    assert "bunny-key" not in text


@pytest.mark.parametrize(
    "changes, problem",
    [
        (
            {"scalewayRegion": "us-east-1"},
            "scalewayRegion 'us-east-1' is not an EU Scaleway region: use fr-par, "
            "nl-ams or pl-waw",
        ),
        (
            {"scalewayProjectId": "my-project"},
            "scalewayProjectId 'my-project' is not a Scaleway project ID: copy the "
            "UUID from the Scaleway console (Project settings)",
        ),
        (
            {"registryNamespace": "ACME_images"},
            "registryNamespace 'ACME_images' is not a usable namespace name: use 4 to "
            "54 lowercase letters, digits and single dashes",
        ),
        (
            {"enableBunny": False},
            "enableEmail needs enableBunny: the SPF, DKIM and DMARC records go in the "
            "bunny.net zone of the domain; set enableBunny to true",
        ),
        (
            {"scalewayProjectId": None},
            "scalewayProjectId is empty: give it a value or delete the line",
        ),
    ],
)
def test_bad_scaleway_settings_are_named(scaleway_settings, changes, problem):
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(
            {**scaleway_settings, **changes}, today=TODAY, secret_keys=SECRETS
        )

    assert problem in caught.value.problems


def test_a_missing_project_says_where_to_find_it(scaleway_settings):
    del scaleway_settings["scalewayProjectId"]

    with pytest.raises(ConfigError) as caught:
        parse_stack_config(scaleway_settings, today=TODAY, secret_keys=SECRETS)

    assert caught.value.problems == [
        "scalewayProjectId is required when enableRegistry is true: copy the project "
        "ID from the Scaleway console (Project settings) and run `pulumi config set "
        "souverain:scalewayProjectId <id>`"
    ]
