"""Each sovereignty rule over one resource: a case that passes and cases that fail.

Resources are built as the program registers them (camelCase inputs for bridged
providers, snake_case for souverain's dynamic ones), so the same cases hold for the
offline plan and for the policy pack, which hands the rules the same shape.
"""

import pytest

from souverain.plan import UNKNOWN
from souverain.sovereignty_rules import (
    RESOURCE_RULES,
    Resource,
    Violation,
    check_resource,
    check_rule,
)

SERVER = "hcloud:index/server:Server"
BUCKET = "pulumi-python:dynamic/s3:Bucket"
PULL_ZONE = "pulumi-python:dynamic/bunny:PullZone"
STORAGE_ZONE = "pulumi-python:dynamic/bunny:StorageZone"
HETZNER_ENDPOINT = "https://fsn1.your-objectstorage.com"
PROTECTED = {"deleteProtection": True, "rebuildProtection": True}


def server(**inputs) -> Resource:
    return Resource(SERVER, "acme-web-1", {"location": "fsn1", **inputs})


def bucket(**inputs) -> Resource:
    return Resource(
        BUCKET, "acme-media-bucket", {"endpoint": HETZNER_ENDPOINT, **inputs}
    )


def messages(rule: str, resource: Resource, stack: str = "dev") -> list[str]:
    return [str(v) for v in check_rule(rule, resource, stack)]


# eu-locations


def test_a_protected_server_in_an_eu_location_passes_every_rule():
    assert check_resource(server(), "prod") == [
        Violation(
            "deletion-protection-in-prod",
            "acme-web-1",
            "deleteProtection and rebuildProtection are off in the production stack "
            "'prod'; set souverain:deletionProtection to true, or set them on a "
            "resource you declare yourself",
        )
    ]
    assert check_resource(server(**PROTECTED), "prod") == []


def test_a_server_outside_the_eu_fails_with_the_locations_to_use():
    assert messages("eu-locations", server(location="ash")) == [
        "acme-web-1: location 'ash' is outside the EU; use fsn1, hel1 or nbg1"
    ]


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            server(location="mars1"),
            "acme-web-1: location 'mars1' is not a Hetzner location; use fsn1, hel1 "
            "or nbg1",
        ),
        (
            server(location=UNKNOWN),
            "acme-web-1: location is only known after apply; set it to fsn1, hel1 "
            "or nbg1",
        ),
        (
            Resource(SERVER, "acme-web-1", {"serverType": "cx23"}),
            "acme-web-1: no location is set, so Hetzner picks one, possibly outside "
            "the EU; set location to fsn1, hel1 or nbg1",
        ),
        (
            Resource(SERVER, "acme-web-1", {"datacenter": "hil-dc1"}),
            "acme-web-1: datacenter 'hil-dc1' is outside the EU; use one in fsn1, "
            "hel1 or nbg1, e.g. fsn1-dc14",
        ),
        (
            Resource(
                "hcloud:index/networkSubnet:NetworkSubnet",
                "acme-subnet",
                {"networkZone": "us-east"},
            ),
            "acme-subnet: network zone 'us-east' is outside the EU; use eu-central",
        ),
        (
            Resource(
                "scaleway:registry/namespace:Namespace", "acme-ns", {"region": "us-x"}
            ),
            "acme-ns: region 'us-x' is not an EU Scaleway region; use fr-par, nl-ams "
            "or pl-waw",
        ),
        (
            Resource("scaleway:instance/server:Server", "acme-vm", {"type": "DEV1-S"}),
            "acme-vm: no region or zone is set, so it follows the provider's "
            "settings; set region to fr-par, nl-ams or pl-waw",
        ),
        (
            Resource(
                STORAGE_ZONE,
                "acme-storage",
                {"region": "DE", "replication_regions": ["SE", "NY"]},
            ),
            "acme-storage: replication region 'NY' is outside the EU; use DE or SE",
        ),
        (
            bucket(endpoint="https://s3.amazonaws.com"),
            "acme-media-bucket: endpoint 'https://s3.amazonaws.com' is not an Object "
            "Storage known to be in the EU; use Hetzner Object Storage "
            "(https://<fsn1|hel1|nbg1>.your-objectstorage.com) or Scaleway's "
            "(https://s3.fr-par.scw.cloud)",
        ),
        (
            Resource(
                STORAGE_ZONE,
                "acme-storage",
                {"region": "DE", "replication_regions": UNKNOWN},
            ),
            "acme-storage: replication region is only known after apply; set it to "
            "DE or SE",
        ),
        (
            bucket(endpoint="https://ash.your-objectstorage.com"),
            "acme-media-bucket: endpoint 'https://ash.your-objectstorage.com' is "
            "outside the EU; use Hetzner Object Storage "
            "(https://<fsn1|hel1|nbg1>.your-objectstorage.com) or Scaleway's "
            "(https://s3.fr-par.scw.cloud)",
        ),
        (
            Resource(
                "kubernetes:barmancloud.cnpg.io/v1:ObjectStore",
                "acme-backups",
                {"spec": {"configuration": {"endpointURL": "https://s3.sin.example"}}},
            ),
            "acme-backups: endpointURL 'https://s3.sin.example' is not an Object "
            "Storage known to be in the EU; use Hetzner Object Storage "
            "(https://<fsn1|hel1|nbg1>.your-objectstorage.com) or Scaleway's "
            "(https://s3.fr-par.scw.cloud)",
        ),
    ],
)
def test_each_place_outside_the_eu_or_unknown_fails_with_its_fix(resource, expected):
    assert messages("eu-locations", resource) == [expected]


@pytest.mark.parametrize(
    "resource",
    [
        Resource(SERVER, "acme-web-1", {"datacenter": "nbg1-dc3"}),
        Resource("hcloud:index/volume:Volume", "acme-data", {"serverId": 7}),
        Resource("scaleway:tem/domain:Domain", "acme-mail", {"region": "nl-ams"}),
        Resource("scaleway:instance/server:Server", "acme-vm", {"zone": "pl-waw-2"}),
        Resource("scaleway:iam/apiKey:ApiKey", "acme-key", {}),
        Resource(STORAGE_ZONE, "acme-storage", {"region": "SE"}),
        bucket(endpoint="https://s3.fr-par.scw.cloud"),
        bucket(endpoint="http://127.0.0.1:9000"),
        bucket(endpoint="http://[::1]:9000"),
        Resource("hcloud:index/firewall:Firewall", "acme-fw", {"rules": []}),
        Resource("kubernetes:apps/v1:Deployment", "acme-app", {"spec": UNKNOWN}),
    ],
)
def test_places_in_the_eu_and_resources_that_follow_another_pass(resource):
    assert check_rule("eu-locations", resource, "dev") == []


# eu-providers


def test_a_provider_souverain_does_not_know_fails():
    resource = Resource("aws:s3/bucket:Bucket", "acme-logs", {"region": "eu-west-1"})

    assert messages("eu-providers", resource) == [
        "acme-logs: provider 'aws' is not one whose legal home souverain knows; use "
        "hcloud, scaleway or bunny, or add the provider's holder with a source to "
        "souverain/jurisdictions.py"
    ]


@pytest.mark.parametrize(
    "resource",
    [
        server(),
        Resource("pulumi:providers:scaleway", "acme-scaleway", {"region": "fr-par"}),
        # The engine's default provider of dynamic resources, never in the plan.
        Resource("pulumi:providers:pulumi-python", "default", {}),
        Resource("random:index/randomPassword:RandomPassword", "acme-pw", {}),
        Resource("kubernetes:core/v1:Secret", "acme-secret", {}),
        Resource("acme:web:Site", "acme-site", {}, custom=False),
    ],
)
def test_known_eu_providers_local_ones_and_components_pass(resource):
    assert check_rule("eu-providers", resource, "dev") == []


# no-public-bucket-unless-marked


def test_a_public_bucket_without_a_purpose_fails():
    assert messages("no-public-bucket-unless-marked", bucket(public_read=True)) == [
        "acme-media-bucket: public_read lets anyone read every object and no "
        "public_read_purpose says why; give the bucket a public_read_purpose, or set "
        "public_read to false"
    ]
    blank = bucket(public_read=True, public_read_purpose="  ")
    assert len(check_rule("no-public-bucket-unless-marked", blank, "dev")) == 1


def test_a_public_bucket_that_says_why_and_a_private_one_pass():
    marked = bucket(public_read=True, public_read_purpose="product photos")

    assert check_rule("no-public-bucket-unless-marked", marked, "dev") == []
    assert check_rule("no-public-bucket-unless-marked", bucket(), "dev") == []


# cdn-forces-tls


def test_a_pull_zone_serving_plain_http_fails():
    zone = Resource(PULL_ZONE, "acme-site", {"force_ssl": False})

    assert messages("cdn-forces-tls", zone) == [
        "acme-site: force_ssl is false, so the CDN also serves plain HTTP; leave "
        "force_ssl out (it defaults to true) or set it to true"
    ]


def test_a_pull_zone_forcing_tls_or_left_to_the_default_passes():
    assert check_rule("cdn-forces-tls", Resource(PULL_ZONE, "a", {}), "dev") == []
    forced = Resource(PULL_ZONE, "a", {"force_ssl": True})
    assert check_rule("cdn-forces-tls", forced, "dev") == []


# deletion-protection-in-prod


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (
            Resource("hcloud:index/network:Network", "acme-network", {}),
            "acme-network: deleteProtection is off in the production stack "
            "'acme-prod'; set souverain:deletionProtection to true, or set it on a "
            "resource you declare yourself",
        ),
        (
            server(deleteProtection=True),
            "acme-web-1: rebuildProtection is off in the production stack "
            "'acme-prod'; set souverain:deletionProtection to true, or set it on a "
            "resource you declare yourself",
        ),
        (
            bucket(force_destroy=True),
            "acme-media-bucket: force_destroy is on in the production stack "
            "'acme-prod', so `pulumi destroy` would delete every object; set "
            "souverain:bucketsForceDestroy to false",
        ),
    ],
)
def test_an_unprotected_stateful_resource_fails_in_production(resource, expected):
    assert messages("deletion-protection-in-prod", resource, "acme-prod") == [expected]


def test_protected_resources_pass_in_production_and_anything_passes_elsewhere():
    volume = Resource("hcloud:index/volume:Volume", "v", {"deleteProtection": True})

    assert check_rule("deletion-protection-in-prod", volume, "prod") == []
    assert check_rule("deletion-protection-in-prod", server(**PROTECTED), "prod") == []
    assert check_rule("deletion-protection-in-prod", bucket(), "prod") == []
    assert check_rule("deletion-protection-in-prod", server(), "production-2") != []
    assert check_rule("deletion-protection-in-prod", server(), "dev") == []
    assert check_rule("deletion-protection-in-prod", server(), "product-demo") == []


def test_every_rule_has_a_description_for_the_policy_pack():
    assert list(RESOURCE_RULES) == [
        "eu-providers",
        "eu-locations",
        "no-public-bucket-unless-marked",
        "cdn-forces-tls",
        "deletion-protection-in-prod",
    ]
    assert all(description.endswith(".") for _, description in RESOURCE_RULES.values())
