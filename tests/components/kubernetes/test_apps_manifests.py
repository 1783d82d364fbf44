"""The tools' manifests held to the Kubernetes API schemas, and their exact content."""

import json

import kubernetes_validate
import pytest
import yaml
from jsonschema.validators import validator_for

from components.config_apps import DEFAULT_SIZES, AppSize
from components.config_cluster import RANCHER_KUBERNETES_MINORS
from components.kubernetes import addons_values as charts
from components.kubernetes import apps_manifests as manifests
from components.kubernetes import apps_tools as tools
from components.kubernetes import apps_values as values
from components.kubernetes.apps_catalog import TOOLS
from tests.fakes.serving import SHARED_SPECS

KUBERNETES_VERSIONS = [f"1.{minor}" for minor in RANCHER_KUBERNETES_MINORS]
WORKERS = {"souverain.eu/role": "worker"}
GENERATED = {
    "database": "db-password",
    "app-secret": "app-secret",
    "secret-key": "secret-key",
    "session-key": "session-key-of-32-characters-xx",
}


def builtin_manifests() -> list[dict]:
    """Every built-in object of every tool, as the component declares them."""
    objects = [
        manifests.secret("umami", "umami-env", {"APP_SECRET": "x"}),
        manifests.database_credentials("umami", "db-password"),
    ]
    for tool in TOOLS:
        objects += tools.workloads(tool, DEFAULT_SIZES[tool], WORKERS)
        objects.append(
            manifests.ingress(tool, f"{tool}.acme.eu", tool, TOOLS[tool].port)
        )
    return objects


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_builtin_manifest_is_valid_kubernetes(version):
    for manifest in builtin_manifests():
        name = f"{manifest['kind']} {manifest['metadata']['name']}"
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"{name}: {err.message}")


def test_every_container_requests_what_the_capacity_check_counts():
    for tool in TOOLS:
        size = AppSize(300, 640, 10)
        for manifest in tools.workloads(tool, size, WORKERS):
            if manifest["kind"] != "Deployment":
                continue
            pod = manifest["spec"]["template"]["spec"]
            for container in pod["containers"] + pod.get("initContainers", []):
                assert container["resources"]["requests"], manifest["metadata"]
            assert pod["nodeSelector"] == WORKERS


def test_umami_runs_its_image_on_port_3000_with_its_env_from_a_secret():
    deployment, service = tools.workloads("umami", AppSize(250, 512, 10), WORKERS)

    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container == {
        "name": "umami",
        "image": "ghcr.io/umami-software/umami:v3.0.3",
        "envFrom": [{"secretRef": {"name": "umami-env"}}],
        "ports": [{"name": "http", "containerPort": 3000}],
        "resources": {
            "requests": {"cpu": "250m", "memory": "512Mi"},
            "limits": {"memory": "1024Mi"},
        },
    }
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 3000, "targetPort": 3000}
    ]


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        (
            "umami",
            {
                "DATABASE_URL": "postgresql://umami:db-password@umami-db-rw:5432/umami"
                "?sslmode=require",
                "APP_SECRET": "app-secret",
            },
        ),
        (
            "openbao",
            {
                "connection-url": "postgres://openbao:db-password@openbao-db-rw:5432/"
                "openbao?sslmode=require"
            },
        ),
        (
            "twenty",
            {
                "PG_DATABASE_URL": "postgres://twenty:db-password@twenty-db-rw:5432/"
                "twenty?sslmode=require",
                "REDIS_URL": "redis://twenty-valkey:6379",
                "APP_SECRET": "app-secret",
                "SERVER_URL": "https://twenty.acme.eu",
                "STORAGE_TYPE": "local",
            },
        ),
        (
            "glitchtip",
            {
                "DATABASE_URL": "postgres://glitchtip:db-password@glitchtip-db-rw:5432/"
                "glitchtip?sslmode=require",
                "REDIS_URL": "redis://glitchtip-valkey:6379",
                "SECRET_KEY": "secret-key",
                "GLITCHTIP_DOMAIN": "https://glitchtip.acme.eu",
                "DEFAULT_FROM_EMAIL": "glitchtip@acme.eu",
                "ENABLE_OPEN_USER_REGISTRATION": "False",
            },
        ),
    ],
)
def test_env_values_point_each_tool_at_its_own_database(tool, expected):
    assert tools.env_values(tool, "acme.eu", "acme", GENERATED) == expected


def test_hanko_accepts_passkeys_for_the_domain_and_the_app():
    config = yaml.safe_load(
        tools.env_values("hanko", "acme.eu", "acme", GENERATED)["config.yaml"]
    )

    assert config == {
        "database": {
            "database": "hanko",
            "dialect": "postgres",
            "host": "hanko-db-rw",
            "password": "db-password",
            "port": "5432",
            "user": "hanko",
        },
        "secrets": {"keys": ["session-key-of-32-characters-xx"]},
        "server": {
            "public": {
                "cors": {"allow_origins": ["https://acme.eu", "https://app.acme.eu"]}
            }
        },
        "service": {"name": "acme"},
        "webauthn": {
            "relying_party": {
                "display_name": "acme",
                "id": "acme.eu",
                "origins": ["https://acme.eu", "https://app.acme.eu"],
            }
        },
    }


def test_hanko_serves_only_its_public_api_after_migrating():
    (deployment, _service) = tools.workloads("hanko", DEFAULT_SIZES["hanko"], WORKERS)
    pod = deployment["spec"]["template"]["spec"]

    assert [c["args"] for c in pod["initContainers"]] == [
        ["migrate", "up", "--config", "/etc/hanko/config.yaml"]
    ]
    assert pod["containers"][0]["args"] == [
        "serve",
        "public",
        "--config",
        "/etc/hanko/config.yaml",
    ]
    assert pod["volumes"] == [{"name": "config", "secret": {"secretName": "hanko-env"}}]


def test_the_database_archives_through_the_plugin_to_the_bucket():
    cluster = manifests.database_cluster("twenty", 40, WORKERS)
    store = manifests.object_store(
        "twenty",
        "s3://acme-backups/postgres/twenty",
        "https://fsn1.your-objectstorage.com",
        "backups-s3",
        30,
    )

    assert cluster["spec"]["storage"] == {"size": "40Gi"}
    assert cluster["spec"]["plugins"] == [
        {
            "name": "barman-cloud.cloudnative-pg.io",
            "isWALArchiver": True,
            "parameters": {"barmanObjectName": "twenty-backups"},
        }
    ]
    assert cluster["spec"]["resources"]["requests"] == {
        "cpu": "250m",
        "memory": "512Mi",
    }
    assert store["spec"] == {
        "retentionPolicy": "30d",
        "configuration": {
            "destinationPath": "s3://acme-backups/postgres/twenty",
            "endpointURL": "https://fsn1.your-objectstorage.com",
            "s3Credentials": {
                "accessKeyId": {"name": "backups-s3", "key": "ACCESS_KEY_ID"},
                "secretAccessKey": {"name": "backups-s3", "key": "ACCESS_SECRET_KEY"},
            },
            "wal": {"compression": "gzip"},
            "data": {"compression": "gzip"},
        },
    }
    assert manifests.scheduled_backup("twenty")["spec"] == {
        "schedule": "0 0 3 * * *",
        "immediate": True,
        "backupOwnerReference": "self",
        "cluster": {"name": "twenty-db"},
        "method": "plugin",
        "pluginConfiguration": {"name": "barman-cloud.cloudnative-pg.io"},
    }


def test_the_issuer_answers_http01_through_traefik():
    assert manifests.cluster_issuer("ops@acme.eu")["spec"] == {
        "acme": {
            "email": "ops@acme.eu",
            "server": "https://acme-v02.api.letsencrypt.org/directory",
            "privateKeySecretRef": {"name": "letsencrypt-account"},
            "solvers": [{"http01": {"ingress": {"ingressClassName": "traefik"}}}],
        }
    }


SETTINGS = values.template_settings(
    openbao=AppSize(250, 256, 10), node_selector=WORKERS
)


def test_openbao_values_keep_secrets_out_of_the_config_file():
    rendered = charts.render_values(values.OPENBAO, SETTINGS)
    server = rendered["server"]

    assert server["resources"] == {"requests": {"cpu": "250m", "memory": "256Mi"}}
    assert server["dataStorage"] == {"enabled": False}
    assert server["extraSecretEnvironmentVars"] == [
        {
            "envName": "BAO_PG_CONNECTION_URL",
            "secretName": "openbao-storage",
            "secretKey": "connection-url",
        },
        {"envName": "BAO_SEAL_KEY", "secretName": "openbao-seal", "secretKey": "key"},
    ]
    config = server["standalone"]["config"]
    assert 'storage "postgresql" {}' in config
    assert 'current_key = "env://BAO_SEAL_KEY"' in config
    assert 'current_key_id = "souverain-1"' in config
    assert rendered["injector"] == {"enabled": False}


def test_operator_values_set_requests_and_placement():
    assert charts.render_values(values.CLOUDNATIVE_PG, SETTINGS) == {
        "replicaCount": 1,
        "config": {"clusterWide": True},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}},
        "nodeSelector": WORKERS,
    }
    assert charts.render_values(values.BARMAN_CLOUD, SETTINGS) == {
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}},
        "nodeSelector": WORKERS,
    }


@pytest.mark.parametrize("chart", values.APP_CHARTS, ids=lambda c: c.chart)
def test_values_satisfy_the_charts_schema_when_vendored(chart):
    # These charts' schemas are not among the shared specs yet; checked by hand
    # against cloudnative-pg/charts and openbao/openbao-helm at the pinned versions.
    path = SHARED_SPECS / "helm" / f"{chart.chart}-{chart.version}.values.schema.json"
    if not path.is_file():
        pytest.skip(f"add {path.name} to the shared specs to check {chart.chart}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    validator = validator_for(schema)(schema)

    errors = list(validator.iter_errors(charts.render_values(chart, SETTINGS)))

    assert [error.message for error in errors] == []
