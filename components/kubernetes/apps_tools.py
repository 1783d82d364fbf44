"""What each tool runs beside its database: Deployments, volumes, its queue, its
settings.

Umami, Twenty, GlitchTip and Hanko publish images but no official Helm chart, so
their objects are written here from each project's own Docker Compose and
configuration docs. Every workload reads its secrets from one Secret, <tool>-env,
whose content `env_values` derives from the generated passwords; nothing secret is
in a Deployment.
"""

from collections.abc import Mapping
from typing import Any

import yaml

from components.config_apps import AppSize
from components.kubernetes.apps_catalog import TOOLS, VALKEY_IMAGE, VALKEY_REQUESTS
from components.kubernetes.apps_manifests import (
    MANAGED,
    database_host,
    requests,
    service,
)

# The values Pulumi generates per tool, beside the database owner's password.
GENERATED = {
    "umami": ("app-secret",),
    "openbao": (),
    "twenty": ("app-secret",),
    "glitchtip": ("secret-key",),
    "hanko": ("session-key",),
}
HANKO_CONFIG = "/etc/hanko/config.yaml"
TWENTY_STORAGE = "/app/packages/twenty-server/.local-storage"
TWENTY_STORAGE_GIB = 10


def env_secret_name(tool: str) -> str:
    """The Secret every container of the tool reads its environment from."""
    return f"{tool}-env"


def database_url(tool: str, password: str, scheme: str = "postgresql") -> str:
    """The tool's own database over TLS (CloudNativePG serves only TLS clients a
    certificate it made, which the tools need not check inside the cluster)."""
    return (
        f"{scheme}://{tool}:{password}@{database_host(tool)}:5432/{tool}"
        "?sslmode=require"
    )


def valkey_url(tool: str) -> str:
    """The tool's Valkey queue."""
    return f"redis://{tool}-valkey:6379"


def env_values(
    tool: str,
    domain: str,
    startup: str,
    generated: Mapping[str, str],
) -> dict[str, str]:
    """The content of <tool>-env: URLs with the database password, and secrets.

    `generated` holds "database" and the tool's GENERATED names. Plain text here;
    the component calls it inside an apply and keeps the result secret.
    """
    password = generated["database"]
    public_url = f"https://{tool}.{domain}"
    if tool == "umami":
        return {
            "DATABASE_URL": database_url(tool, password),
            "APP_SECRET": generated["app-secret"],
        }
    if tool == "openbao":
        return {"connection-url": database_url(tool, password, "postgres")}
    if tool == "twenty":
        return {
            "PG_DATABASE_URL": database_url(tool, password, "postgres"),
            "REDIS_URL": valkey_url(tool),
            "APP_SECRET": generated["app-secret"],
            "SERVER_URL": public_url,
            "STORAGE_TYPE": "local",
        }
    if tool == "glitchtip":
        return {
            "DATABASE_URL": database_url(tool, password, "postgres"),
            "REDIS_URL": valkey_url(tool),
            "SECRET_KEY": generated["secret-key"],
            "GLITCHTIP_DOMAIN": public_url,
            "DEFAULT_FROM_EMAIL": f"glitchtip@{domain}",
            "ENABLE_OPEN_USER_REGISTRATION": "False",
        }
    if tool == "hanko":
        return {"config.yaml": hanko_config(domain, startup, generated)}
    raise KeyError(tool)


def hanko_config(domain: str, startup: str, generated: Mapping[str, str]) -> str:
    """Hanko's config.yaml: its database, the key its sessions are signed with, and
    passkeys for the startup's domain and app."""
    origins = [f"https://{domain}", f"https://app.{domain}"]
    config = {
        "database": {
            "dialect": "postgres",
            "host": database_host("hanko"),
            "port": "5432",
            "database": "hanko",
            "user": "hanko",
            "password": generated["database"],
        },
        "secrets": {"keys": [generated["session-key"]]},
        "service": {"name": startup},
        "server": {"public": {"cors": {"allow_origins": origins}}},
        "webauthn": {
            "relying_party": {
                "id": domain,
                "display_name": startup,
                "origins": origins,
            }
        },
    }
    return yaml.safe_dump(config, sort_keys=True)


def deployment(
    tool: str,
    name: str,
    container: dict[str, Any],
    node_selector: Mapping[str, str],
    init_containers: list[dict[str, Any]] | None = None,
    volumes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One replica of `container`, its pods labelled app=<name>.

    Recreate, not a rolling update: a new pod beside the old one would run
    migrations against a database the old one still writes, and a volume can be
    attached to one node only.
    """
    spec: dict[str, Any] = {
        "containers": [container],
        "nodeSelector": dict(node_selector),
    }
    if init_containers:
        spec["initContainers"] = init_containers
    if volumes:
        spec["volumes"] = volumes
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": tool, "labels": MANAGED},
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def _container(
    tool: str,
    name: str,
    resources: dict[str, Any],
    port: int | None = None,
    args: list[str] | None = None,
    env: list[dict[str, Any]] | None = None,
    mounts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": name,
        "image": TOOLS[tool].image,
        "resources": resources,
    }
    if tool != "hanko":
        container["envFrom"] = [{"secretRef": {"name": env_secret_name(tool)}}]
    if port is not None:
        container["ports"] = [{"name": "http", "containerPort": port}]
    if args:
        container["args"] = args
    if env:
        container["env"] = env
    if mounts:
        container["volumeMounts"] = mounts
    return container


def workloads(
    tool: str, size: AppSize, node_selector: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The tool's Deployments, volumes, queue and Services, by its own docs."""
    spec = TOOLS[tool]
    main = requests(size.cpu_millicores, size.memory_mib)
    objects: list[dict[str, Any]] = []
    if tool == "umami":
        # Umami migrates its schema itself when it starts.
        container = _container(tool, tool, main, spec.port)
        objects.append(deployment(tool, tool, container, node_selector))
    elif tool == "twenty":
        objects += _twenty(size, main, node_selector)
    elif tool == "glitchtip":
        objects += _glitchtip(main, node_selector)
    elif tool == "hanko":
        objects += _hanko(main, node_selector)
    if spec.valkey:
        objects += valkey(tool, node_selector)
    if tool != "openbao":
        objects.append(service(tool, tool, spec.port))
    return objects


def _twenty(
    size: AppSize, main: dict[str, Any], node_selector: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The server (it migrates the schema) and the worker (`yarn worker:prod`),
    which must neither migrate nor register the cron jobs a second time."""
    worker = TOOLS["twenty"].worker
    assert worker is not None
    files = {"name": "files", "mountPath": TWENTY_STORAGE}
    server = _container("twenty", "twenty", main, 3000, mounts=[files])
    worker_container = _container(
        "twenty",
        "worker",
        requests(worker.cpu_millicores, worker.memory_mib),
        args=["yarn", "worker:prod"],
        env=[
            {"name": "DISABLE_DB_MIGRATIONS", "value": "true"},
            {"name": "DISABLE_CRON_JOBS_REGISTRATION", "value": "true"},
        ],
    )
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "twenty-files", "namespace": "twenty", "labels": MANAGED},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": f"{TWENTY_STORAGE_GIB}Gi"}},
        },
    }
    volumes = [
        {"name": "files", "persistentVolumeClaim": {"claimName": "twenty-files"}}
    ]
    return [
        claim,
        deployment("twenty", "twenty", server, node_selector, volumes=volumes),
        deployment("twenty", "twenty-worker", worker_container, node_selector),
    ]


def _glitchtip(
    main: dict[str, Any], node_selector: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The web process, after `manage.py migrate`, and the Celery worker with beat."""
    worker = TOOLS["glitchtip"].worker
    assert worker is not None
    migrate = _container("glitchtip", "migrate", main, args=["./manage.py", "migrate"])
    web = _container("glitchtip", "glitchtip", main, 8000)
    worker_container = _container(
        "glitchtip",
        "worker",
        requests(worker.cpu_millicores, worker.memory_mib),
        args=["./bin/run-celery-with-beat.sh"],
    )
    return [
        deployment("glitchtip", "glitchtip", web, node_selector, [migrate]),
        deployment("glitchtip", "glitchtip-worker", worker_container, node_selector),
    ]


def _hanko(
    main: dict[str, Any], node_selector: Mapping[str, str]
) -> list[dict[str, Any]]:
    """`hanko migrate up`, then the public API on 8000. The admin API (8001) is
    left off: it has no authentication of its own."""
    config = {"name": "config", "mountPath": "/etc/hanko", "readOnly": True}
    migrate = _container(
        "hanko",
        "migrate",
        main,
        args=["migrate", "up", "--config", HANKO_CONFIG],
        mounts=[config],
    )
    server = _container(
        "hanko",
        "hanko",
        main,
        8000,
        args=["serve", "public", "--config", HANKO_CONFIG],
        mounts=[config],
    )
    volumes = [{"name": "config", "secret": {"secretName": env_secret_name("hanko")}}]
    return [deployment("hanko", "hanko", server, node_selector, [migrate], volumes)]


def valkey(tool: str, node_selector: Mapping[str, str]) -> list[dict[str, Any]]:
    """A Valkey without persistence, the tool's job queue and cache."""
    name = f"{tool}-valkey"
    container = {
        "name": "valkey",
        "image": VALKEY_IMAGE,
        "ports": [{"name": "redis", "containerPort": 6379}],
        "resources": requests(
            VALKEY_REQUESTS.cpu_millicores, VALKEY_REQUESTS.memory_mib
        ),
    }
    queue_service = service(tool, name, 6379)
    queue_service["spec"]["ports"][0]["name"] = "redis"
    return [deployment(tool, name, container, node_selector), queue_service]
