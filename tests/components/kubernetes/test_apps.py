"""The SelfHostedApps component under mocks: per tool, its resources and wiring."""

import json
from dataclasses import replace

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import pytest

from components.config_apps import DEFAULT_SIZES
from components.errors import SouverainError
from components.kubernetes.apps import SelfHostedApps, SelfHostedAppsArgs
from souverain.plan import run_plan

S3_SECRET_KEY = "s3-secret-plaintext"
TOOLS = ("umami", "openbao", "twenty", "glitchtip", "hanko")


class KnownSecrets(pulumi.runtime.Mocks):
    """Outputs as after an apply: every generated value known and recognisable."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outputs = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = f"{args.name}-plaintext"
        if args.typ == "random:index/randomBytes:RandomBytes":
            outputs["base64"] = "c2VhbC1wbGFpbnRleHQ="
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def apps_program(tools=TOOLS, **changes):
    def program():
        provider = k8s.Provider("acme-kubernetes", kubeconfig="{}")
        addons = [random.RandomPet("acme-traefik")]
        args = SelfHostedAppsArgs(
            kubernetes_provider=provider,
            addons=addons,
            tools={tool: DEFAULT_SIZES[tool] for tool in tools},
            domain="acme.eu",
            startup_name="acme",
            letsencrypt_email="ops@acme.eu",
            backups_bucket="acme-backups",
            s3_endpoint="https://fsn1.your-objectstorage.com",
            s3_access_key="s3-access",
            s3_secret_key=S3_SECRET_KEY,
            backup_retention_days=30,
            node_selector={"souverain.eu/role": "worker"},
        )
        SelfHostedApps("acme-apps", replace(args, **changes))

    return program


def by_name(plan) -> dict:
    return {resource.name: resource for resource in plan.resources}


def test_each_tool_gets_namespace_database_backups_secrets_and_host(declare):
    resources = by_name(declare(apps_program()))

    for tool in TOOLS:
        namespace = resources[f"acme-apps-{tool}-namespace"]
        assert namespace.inputs["metadata"]["name"] == tool, namespace.urn
        database = resources[f"acme-apps-{tool}-database"]
        assert database.type == "kubernetes:postgresql.cnpg.io/v1:Cluster"
        assert database.inputs["spec"]["bootstrap"]["initdb"] == {
            "database": tool,
            "owner": tool,
            "secret": {"name": f"{tool}-db-owner"},
        }
        store = resources[f"acme-apps-{tool}-object-store"]
        assert store.inputs["spec"]["configuration"]["destinationPath"] == (
            f"s3://acme-backups/postgres/{tool}"
        )
        assert store.inputs["spec"]["retentionPolicy"] == "30d"
        backup = resources[f"acme-apps-{tool}-backup"]
        assert backup.inputs["spec"]["schedule"] == "0 0 3 * * *", backup.urn
        ingress = resources[f"acme-apps-{tool}-ingress"]
        assert ingress.inputs["spec"]["rules"][0]["host"] == f"{tool}.acme.eu"
        assert ingress.inputs["spec"]["tls"] == [
            {"hosts": [f"{tool}.acme.eu"], "secretName": f"{tool}-tls"}
        ]


def test_one_operator_and_plugin_serve_every_tool(declare):
    plan = declare(apps_program())
    releases = {
        r.name: (r.inputs["chart"], r.inputs["version"], r.inputs["namespace"])
        for r in plan.of_type("kubernetes:helm.sh/v3:Release")
    }

    assert releases == {
        "acme-apps-cloudnative-pg": ("cloudnative-pg", "0.29.0", "cnpg-system"),
        "acme-apps-barman-cloud": ("plugin-barman-cloud", "0.7.0", "cnpg-system"),
        "acme-apps-openbao": ("openbao", "0.29.2", "openbao"),
    }


def test_custom_resources_wait_for_the_operator_and_everything_for_the_addons(
    declare,
):
    resources = by_name(declare(apps_program()))

    def needs(name: str, *before: str) -> None:
        missing = {resources[b].urn for b in before} - set(resources[name].dependencies)
        assert not missing, f"{resources[name].urn} does not wait for {missing}"

    needs("acme-apps-issuer", "acme-traefik")
    needs("acme-apps-cloudnative-pg", "acme-traefik")
    needs("acme-apps-barman-cloud", "acme-apps-cloudnative-pg")
    for tool in TOOLS:
        needs(f"acme-apps-{tool}-namespace", "acme-traefik")
        needs(
            f"acme-apps-{tool}-object-store",
            "acme-apps-cloudnative-pg",
            "acme-apps-barman-cloud",
            f"acme-apps-{tool}-backups-s3",
        )
        needs(
            f"acme-apps-{tool}-database",
            "acme-apps-cloudnative-pg",
            "acme-apps-barman-cloud",
            f"acme-apps-{tool}-database-owner",
            f"acme-apps-{tool}-object-store",
        )
        needs(f"acme-apps-{tool}-backup", f"acme-apps-{tool}-database")
        needs(f"acme-apps-{tool}-ingress", "acme-apps-issuer")
    needs("acme-apps-umami-umami-deployment", "acme-apps-umami-database")
    needs("acme-apps-openbao", "acme-apps-openbao-database", "acme-apps-openbao-seal")


def test_every_child_sits_under_the_component_on_the_clusters_provider(declare):
    plan = declare(apps_program())
    (component,) = plan.of_type("souverain:kubernetes:SelfHostedApps")

    for resource in plan.resources:
        if resource.name.startswith("acme-apps-"):
            assert resource.parent == component.urn, resource.urn


def test_secrets_never_show_in_plain_text():
    plan = run_plan(apps_program(), "souverain", "test", {}, set(), KnownSecrets())
    resources = by_name(plan)

    shown = json.dumps(plan.as_json())
    for plaintext in (S3_SECRET_KEY, "-plaintext", "c2VhbC1wbGFpbnRleHQ="):
        assert plaintext not in shown
    for tool in TOOLS:
        for key in ("database-owner", "backups-s3", "env"):
            secret = resources[f"acme-apps-{tool}-{key}"]
            assert secret.inputs["stringData"] == "[secret]", secret.urn
    assert resources["acme-apps-openbao-seal"].inputs["stringData"] == "[secret]"


def test_generated_values_are_passwords_of_32_letters_and_digits(declare):
    plan = declare(apps_program())

    names = sorted(
        r.name for r in plan.of_type("random:index/randomPassword:RandomPassword")
    )
    assert names == [
        "acme-apps-glitchtip-database-password",
        "acme-apps-glitchtip-secret-key",
        "acme-apps-hanko-database-password",
        "acme-apps-hanko-session-key",
        "acme-apps-openbao-database-password",
        "acme-apps-twenty-app-secret",
        "acme-apps-twenty-database-password",
        "acme-apps-umami-app-secret",
        "acme-apps-umami-database-password",
    ]
    for password in plan.of_type("random:index/randomPassword:RandomPassword"):
        assert password.inputs == {"length": 32, "special": False}, password.urn
    (seal,) = plan.of_type("random:index/randomBytes:RandomBytes")
    assert seal.inputs == {"length": 32}


def test_a_tool_switched_off_leaves_nothing_behind(declare):
    names = set(by_name(declare(apps_program(tools=("umami",)))))

    assert not [n for n in names if "openbao" in n or "twenty" in n], names
    assert "acme-apps-umami-database" in names


def test_outputs_are_registered_exactly(monkeypatch):
    registered = {}
    monkeypatch.setattr(
        SelfHostedApps, "register_outputs", lambda _self, outs: registered.update(outs)
    )

    run_plan(apps_program(), "souverain", "test", {}, set(), KnownSecrets())

    assert set(registered) == {"urls"}


def test_bad_args_name_field_value_and_fix():
    with pytest.raises(SouverainError) as caught:
        run_plan(
            apps_program(tools=(), backup_retention_days=0), "souverain", "t", {}, set()
        )

    assert str(caught.value) == (
        "the self-hosted tools 'acme-apps' cannot be declared:\n"
        "  - tools is empty: pass at least one tool, or no component\n"
        "  - backup_retention_days 0 is below 1: keep backups at least a day, e.g. 30"
    )


def rancher_program(tools=("umami", "hanko")):
    """The apps with Rancher bootstrapped: a rancher2 provider is passed in."""

    def program():
        import pulumi_rancher2 as rancher2

        rancher = rancher2.Provider(
            "acme-rancher-api", api_url="https://rancher.acme.eu", token_key="t"
        )
        apps_program(tools, rancher_provider=rancher)()

    return program


def test_with_rancher_each_tool_gets_a_project_holding_its_namespace(declare):
    resources = by_name(declare(rancher_program()))

    for tool in ("umami", "hanko"):
        project = resources[f"acme-apps-{tool}-project"]
        assert project.type == "rancher2:index/project:Project"
        assert project.inputs == {
            "clusterId": "local",
            "description": f"{tool}.acme.eu, installed by souverain",
            "name": tool,
        }
        namespace = resources[f"acme-apps-{tool}-namespace"]
        assert project.urn in namespace.dependencies, namespace.urn
        assert (
            "field.cattle.io/projectId" in namespace.inputs["metadata"]["annotations"]
        )


def test_without_rancher_no_project_is_declared(declare):
    resources = by_name(declare(apps_program(("umami",))))

    assert not [r for r in resources.values() if r.type.startswith("rancher2:")]
    namespace = resources["acme-apps-umami-namespace"]
    assert "annotations" not in namespace.inputs["metadata"]
