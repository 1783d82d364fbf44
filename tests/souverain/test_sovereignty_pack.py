"""The policy pack's policies, fed pulumi-policy's own argument objects.

Each policy gets a `ResourceValidationArgs` as the engine's request becomes one:
properties wrapped in pulumi-policy's unknown-checking proxy, a provider for custom
resources. What a policy reports must be what `souverain plan` reports for the same
resource. tests/e2e/test_policy_pack.py runs the pack under the real engine.
"""

import pytest
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
    proxy,
)
from pulumi_policy import policy as policy_sdk

from souverain import sovereignty_pack
from souverain.plan import UNKNOWN
from souverain.sovereignty_pack import (
    as_resource,
    current_stack,
    plain,
    remember_configured_stack,
    sovereignty_policies,
)
from souverain.sovereignty_rules import Resource, check_rule

SERVER = "hcloud:index/server:Server"
BUCKET = "pulumi-python:dynamic/s3:Bucket"
PULL_ZONE = "pulumi-python:dynamic/bunny:PullZone"
PROTECTED = {"deleteProtection": True, "rebuildProtection": True}
# rule -> ((type, props) that pass, (type, props) that fail), in stack prod.
CASES = {
    "eu-providers": (
        (SERVER, {"location": "fsn1"}),
        ("aws:ec2/instance:Instance", {"instanceType": "t3.micro"}),
    ),
    "eu-locations": (
        (SERVER, {"location": "nbg1"}),
        (SERVER, {"location": "sin"}),
    ),
    "no-public-bucket-unless-marked": (
        (BUCKET, {"public_read": True, "public_read_purpose": "shop photos"}),
        (BUCKET, {"public_read": True}),
    ),
    "cdn-forces-tls": (
        (PULL_ZONE, {"force_ssl": True}),
        (PULL_ZONE, {"force_ssl": False}),
    ),
    "deletion-protection-in-prod": (
        (SERVER, {"location": "fsn1", **PROTECTED}),
        (SERVER, {"location": "fsn1", "deleteProtection": True}),
    ),
}


def engine_args(type_token: str, props: dict, custom: bool = True):
    """Arguments as pulumi-policy builds them from the engine's Analyze request."""
    options = PolicyResourceOptions(
        False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None
    )
    provider = (
        PolicyProviderResource(
            "pulumi:providers:hcloud", {}, "urn:…::default", "default"
        )
        if custom
        else None
    )
    return ResourceValidationArgs(
        type_token,
        proxy.unknown_checking_proxy(props),
        f"urn:pulumi:prod::p::{type_token}::acme-thing",
        "acme-thing",
        options,
        provider,
    )


def reported(policy, args) -> list[str]:
    messages: list[str] = []
    policy.validate(args, lambda message, urn=None: messages.append(message))
    return messages


@pytest.fixture
def policies(monkeypatch):
    monkeypatch.setenv("PULUMI_STACK", "prod")
    return {policy.name: policy for policy in sovereignty_policies(None)}


@pytest.mark.parametrize("rule", list(CASES))
def test_each_policy_reports_what_the_offline_plan_reports(policies, rule):
    (passing_type, passing), (failing_type, failing) = CASES[rule]

    failed = reported(policies[rule], engine_args(failing_type, failing))

    resource = Resource(failing_type, "acme-thing", failing)
    assert failed == [str(v) for v in check_rule(rule, resource, "prod")]
    assert len(failed) == 1, failed
    assert reported(policies[rule], engine_args(passing_type, passing)) == []


def test_a_component_is_not_held_to_the_provider_rule(policies):
    args = engine_args("acme:web:Site", {}, custom=False)

    assert reported(policies["eu-providers"], args) == []


def test_a_value_the_preview_cannot_know_is_refused_not_skipped(policies):
    args = engine_args(SERVER, {"location": proxy.UNKNOWN_STRING_VALUE, **PROTECTED})

    assert as_resource(args).inputs["location"] == UNKNOWN
    assert reported(policies["eu-locations"], args) == [
        "acme-thing: location is only known after apply; set it to fsn1, hel1 or nbg1"
    ]


def test_nested_proxies_become_plain_values():
    wrapped = proxy.unknown_checking_proxy(
        {"spec": {"ports": [80, proxy.UNKNOWN_NUMBER_VALUE]}, "name": "web"}
    )

    assert plain(wrapped) == {"spec": {"ports": [80, UNKNOWN]}, "name": "web"}


def test_the_state_backend_policy_reads_the_backend_of_the_cli(monkeypatch, policies):
    stack_args = StackValidationArgs([])
    policy = policies["state-backend-not-us-saas"]

    monkeypatch.setenv("PULUMI_BACKEND_URL", "https://api.pulumi.com")
    assert reported(policy, stack_args) == [
        "state backend: 'https://api.pulumi.com' is Pulumi Cloud, run by Pulumi "
        "Corporation under US law; create an EU bucket with `souverain state "
        "bootstrap` and `pulumi login` to the s3:// URL it prints (docs/state.md)"
    ]
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file:///srv/state")
    assert reported(policy, stack_args) == []


def test_every_rule_is_a_mandatory_policy_in_the_plans_order(policies):
    assert list(policies) == [
        "eu-providers",
        "eu-locations",
        "no-public-bucket-unless-marked",
        "cdn-forces-tls",
        "deletion-protection-in-prod",
        "state-backend-not-us-saas",
    ]
    assert {p.enforcement_level for p in policies.values()} == {
        EnforcementLevel.MANDATORY
    }


def test_the_stack_name_comes_from_the_engines_configure_request(monkeypatch):
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    monkeypatch.setitem(sovereignty_pack._CONFIGURED, "stack", "")
    monkeypatch.setattr(
        policy_sdk._PolicyAnalyzerServicer,
        "ConfigureStack",
        policy_sdk._PolicyAnalyzerServicer.ConfigureStack,
    )
    servicer = policy_sdk._PolicyAnalyzerServicer(
        "pack", "0.0.1", sovereignty_policies(None), EnforcementLevel.MANDATORY
    )

    remember_configured_stack()
    remember_configured_stack()  # a second call wraps nothing twice
    servicer.ConfigureStack(
        analyzer_pb2.AnalyzerStackConfigureRequest(stack="acme-prod"), None
    )

    assert current_stack() == "acme-prod"
