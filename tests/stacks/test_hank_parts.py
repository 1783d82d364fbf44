"""The hank-parts example stack: the reference architecture plans, every part on."""

from pathlib import Path

import pytest

from souverain.plan import Plan, plan_stack

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plan() -> Plan:
    """The offline plan of stacks/Pulumi.hank-parts.yaml, made once for this module."""
    return plan_stack("hank-parts", REPO)


def names(plan: Plan, type_token: str) -> list[str]:
    """The names of the planned resources of one type."""
    return [resource.name for resource in plan.of_type(type_token)]


def test_servers_form_a_control_plane_an_api_pool_and_a_jobs_pool(plan):
    assert names(plan, "hcloud:index/server:Server") == [
        "hank-parts-api-1",
        "hank-parts-api-2",
        "hank-parts-api-3",
        "hank-parts-control-plane-1",
        "hank-parts-control-plane-2",
        "hank-parts-control-plane-3",
        "hank-parts-jobs-1",
        "hank-parts-jobs-2",
    ]
    ingress = {
        server.name: server.inputs["labels"]["souverain.eu/ingress"]
        for server in plan.of_type("hcloud:index/server:Server")
    }
    # Only the API pool sits behind the load balancer.
    assert {name for name, on in ingress.items() if on == "true"} == {
        "hank-parts-api-1",
        "hank-parts-api-2",
        "hank-parts-api-3",
    }
    located = {r.inputs["location"] for r in plan.resources if "location" in r.inputs}
    assert located == {"nbg1"}


def test_the_cdn_is_in_front_of_the_site_and_the_assets_bucket(plan):
    assert names(plan, "souverain:hetzner:Bucket") == [
        "hank-parts-assets",
        "hank-parts-backups",
    ]
    assert names(plan, "pulumi-python:dynamic/bunny:PullZone") == [
        "hank-parts-assets",
        "hank-parts-site",
    ]
    balancer = plan.of_type("hcloud:index/loadBalancer:LoadBalancer")[0]
    assert balancer.inputs["loadBalancerType"] == "lb21"


def test_the_registry_and_e_mail_are_on(plan):
    assert names(plan, "souverain:scaleway:Registry") == ["hank-parts-registry"]
    assert names(plan, "scaleway:registry/namespace:Namespace") == [
        "hank-parts-registry-namespace"
    ]
    assert names(plan, "souverain:scaleway:TransactionalEmail") == ["hank-parts-email"]
    assert names(plan, "scaleway:tem/domain:Domain") == ["hank-parts-email-domain"]


def test_all_five_self_hosted_tools_run_with_their_databases(plan):
    tools = ["glitchtip", "hanko", "openbao", "twenty", "umami"]

    assert names(plan, "kubernetes:networking.k8s.io/v1:Ingress") == [
        f"hank-parts-apps-{tool}-ingress" for tool in tools
    ]
    assert names(plan, "kubernetes:postgresql.cnpg.io/v1:Cluster") == [
        f"hank-parts-apps-{tool}-database" for tool in tools
    ]
    hosts = {
        rule["host"]
        for ingress in plan.of_type("kubernetes:networking.k8s.io/v1:Ingress")
        for rule in ingress.inputs["spec"]["rules"]
    }
    assert hosts == {f"{tool}.hank-parts.eu" for tool in tools}
