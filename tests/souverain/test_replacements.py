"""The replace-on-change tables agree with the hcloud schema and with our providers."""

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from components.bunny.dns import DnsRecordProvider, DnsZoneProvider
from components.bunny.pull_zone import PullZoneProvider
from components.bunny.storage_zone import StorageZoneProvider
from components.hetzner.bucket_provider import BucketProvider
from components.kubernetes.cluster_ready import ReadinessProvider
from souverain.replacements import (
    DYNAMIC_REPLACES,
    FRAMEWORK_REPLACES,
    HCLOUD_REPLACES,
    replacing_inputs,
)
from tests.fakes.serving import SHARED_SPECS, read_spec

HCLOUD_SCHEMA = Path(
    os.environ.get(
        "PULUMI_HCLOUD_SCHEMA", SHARED_SPECS / "pulumi/pulumi-hcloud.schema.json"
    )
)
KUBECONFIG = "apiVersion: v1\nkind: Config\n"
# Inputs as the program gives them, with values a deployment has filled in.
DYNAMIC_INPUTS: dict[str, tuple[Any, dict[str, Any]]] = {
    "pulumi-python:dynamic/s3:Bucket": (
        BucketProvider(),
        {
            "access_key": "key",
            "secret_key": "secret",
            "bucket": "acme-assets",
            "location": "fsn1",
            "endpoint": "https://fsn1.your-objectstorage.com",
            "versioning": True,
            "public_read": False,
            "force_destroy": False,
            "cors_rules": [{"allowed_origins": ["*"], "allowed_methods": ["GET"]}],
            "lifecycle_rules": [{"id": "expire", "noncurrent_days": 30, "prefix": ""}],
        },
    ),
    "pulumi-python:dynamic/bunny:DnsZone": (
        DnsZoneProvider(),
        {"access_key": "key", "api_url": "https://api.bunny.net", "domain": "acme.eu"},
    ),
    "pulumi-python:dynamic/bunny:DnsRecord": (
        DnsRecordProvider(),
        {
            "access_key": "key",
            "api_url": "https://api.bunny.net",
            "zone_id": 1001,
            "type": "A",
            "name": "api",
            "value": "203.0.113.10",
            "flags": 0,
            "tag": "",
        },
    ),
    "pulumi-python:dynamic/bunny:PullZone": (
        PullZoneProvider(),
        {
            "access_key": "key",
            "api_url": "https://api.bunny.net",
            "name": "acme-assets",
            "origin_url": "https://acme-assets.fsn1.your-objectstorage.com",
            "origin_host_header": "acme-assets.fsn1.your-objectstorage.com",
            "hostnames": ["assets.acme.eu"],
            "cache_max_age_seconds": -1,
            "force_ssl": True,
            "optimizer_enabled": True,
            "origin_signing": None,
            "waf": {"ddos_protection_enabled": True, "ddos_protection_type": 1},
        },
    ),
    "pulumi-python:dynamic/bunny:StorageZone": (
        StorageZoneProvider(),
        {
            "access_key": "key",
            "api_url": "https://api.bunny.net",
            "name": "acme-storage",
            "region": "DE",
            "zone_tier": 0,
            "replication_regions": [],
        },
    ),
    "pulumi-python:dynamic/kubernetes:ClusterReady": (
        ReadinessProvider(),
        {
            "target": "kubernetes-api",
            "url": "https://203.0.113.10:6443",
            "kubeconfig": KUBECONFIG,
            "timeout_seconds": 900,
        },
    ),
    "pulumi-python:dynamic/kubernetes:RancherReady": (
        ReadinessProvider(),
        {
            "target": "rancher",
            "url": "https://rancher.acme.eu",
            "kubeconfig": None,
            "timeout_seconds": 900,
        },
    ),
}


def changed(value: Any) -> Any:
    """Another value of the same kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        # One item less; an empty list (replication regions) gets one.
        return value[:-1] if value else ["SE"]
    return {"changed": True} if value is None else {**value, "changed": True}


def test_the_hcloud_table_holds_what_the_schema_marks_and_no_more():
    schema = read_spec(
        HCLOUD_SCHEMA,
        "pulumi-hcloud schema",
        "pulumi-hcloud's provider/cmd/pulumi-resource-hcloud/schema.json",
        "PULUMI_HCLOUD_SCHEMA",
    )

    resources = schema["resources"]
    assert sorted(HCLOUD_REPLACES) == sorted(resources)
    for token, resource in resources.items():
        inputs = resource["inputProperties"]
        marked = {k for k, v in inputs.items() if v.get("willReplaceOnChanges")}
        listed = set(HCLOUD_REPLACES[token])
        # Plugin-framework resources are marked in the provider's code, not here.
        assert listed == marked or (token in FRAMEWORK_REPLACES and not marked), token
        assert listed <= set(inputs), (token, listed - set(inputs))


@pytest.mark.parametrize("type_token", sorted(DYNAMIC_REPLACES))
def test_the_dynamic_table_is_what_each_providers_diff_replaces_for(type_token):
    provider, inputs = DYNAMIC_INPUTS[type_token]
    replaced = set()

    for key, value in inputs.items():
        news = copy.deepcopy(inputs)
        news[key] = changed(value)
        result = provider.diff("id", inputs, news)
        replaced |= set(result.replaces or ())

    assert sorted(replaced) == list(DYNAMIC_REPLACES[type_token])


def test_unknown_providers_answer_none_and_the_program_can_add_its_own():
    assert replacing_inputs("tls:index/privateKey:PrivateKey") is None
    assert replacing_inputs("kubernetes:core/v1:ConfigMap", ("data",)) == ("data",)
    assert replacing_inputs("hcloud:index/server:Server") == (
        "datacenter",
        "image",
        "location",
        "sshKeys",
        "userData",
    )
