"""The bare program's self-hosted tools: each tool's resources, raw and flat.

The manifests come from the same pure functions as souverain's (`apps_manifests`,
`apps_tools.workloads` and `env_values`) and the chart values from the same
templates (`apps_values.template_settings`, `render_values`): the bare program must
send the same inputs, and writing those dicts out again would only copy them. The
sizes are read from the raw `apps` setting here, without souverain's config check.
"""

import re
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs

from components.config_apps import DEFAULT_SIZES, AppSize
from components.kubernetes import addons_values as charts
from components.kubernetes import apps_manifests as manifests
from components.kubernetes import apps_tools as tools
from components.kubernetes import apps_values as values
from components.kubernetes.apps_catalog import TOOLS

KINDS = {
    "Deployment": k8s.apps.v1.Deployment,
    "Service": k8s.core.v1.Service,
    "PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim,
    "Ingress": k8s.networking.v1.Ingress,
}


def bare_tools(settings: dict[str, Any]) -> dict[str, AppSize]:
    """The tools the stack runs, with their sizes, read from the raw settings."""
    if not settings.get("enableApps"):
        return {}
    apps = settings.get("apps", {})
    sizes = {}
    for tool, default in DEFAULT_SIZES.items():
        entry = apps.get(tool, {})
        if not entry.get("enabled", True):
            continue
        cpu, memory, storage = (
            entry.get("cpu"),
            entry.get("memory"),
            entry.get("storage"),
        )
        sizes[tool] = AppSize(
            _millicores(cpu) if cpu else default.cpu_millicores,
            _mebibytes(memory) if memory else default.memory_mib,
            int(storage.removesuffix("Gi")) if storage else default.storage_gib,
        )
    return sizes


def _millicores(cpu: str) -> int:
    return int(cpu[:-1]) if cpu.endswith("m") else round(float(cpu) * 1000)


def _mebibytes(memory: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", memory).groups()
    return int(number) * (1024 if unit == "Gi" else 1)


def declare_bare_apps(
    settings: dict[str, Any],
    tool_sizes: dict[str, AppSize],
    provider: k8s.Provider,
    addons: list[Release],
    backups_bucket: Any,
    rancher_api: Any,
) -> None:
    """The issuer, the Postgres operator and plugin, then each tool; with Rancher
    bootstrapped (`rancher_api`), each tool's namespace in a Rancher project."""
    startup = settings["startupName"]
    domain = settings["domain"]
    name = f"{startup}-apps"
    # The same choice as app_node_selector: the workers when there are any.
    pools = settings["nodePools"].values()
    has_workers = any(p["role"] == "worker" and p["count"] > 0 for p in pools)
    node_selector = {"souverain.eu/role": "worker"} if has_workers else {}
    chart_settings = values.template_settings(
        openbao=tool_sizes.get("openbao"), node_selector=node_selector
    )

    def opts(after: list) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(provider=provider, depends_on=after)

    def custom(key: str, manifest: dict, after: list) -> Any:
        return k8s.apiextensions.CustomResource(
            f"{name}-{key}",
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=opts(after),
        )

    def release(key: str, chart: Any, after: list, create_namespace=True) -> Release:
        return Release(
            f"{name}-{key}",
            name=chart.chart,
            chart=chart.chart,
            version=chart.version,
            repository_opts=RepositoryOptsArgs(repo=chart.repo),
            namespace=chart.namespace,
            create_namespace=create_namespace,
            values=charts.render_values(chart, chart_settings),
            skip_await=False,
            wait_for_jobs=True,
            timeout=chart.timeout_seconds,
            opts=opts([*addons, *after]),
        )

    email = settings.get("letsencryptEmail") or f"admin@{domain}"
    issuer = custom("issuer", manifests.cluster_issuer(email), addons)
    operator = release("cloudnative-pg", values.CLOUDNATIVE_PG, [])
    plugin = release("barman-cloud", values.BARMAN_CLOUD, [operator])
    pulumi.export("appUrls", {tool: f"https://{tool}.{domain}" for tool in tool_sizes})

    s3_keys = {
        "ACCESS_KEY_ID": pulumi.Output.secret("[secret]"),
        "ACCESS_SECRET_KEY": pulumi.Output.secret("[secret]"),
    }
    location = settings.get("location", "fsn1")
    for tool, size in tool_sizes.items():

        def secret(key: str, manifest: dict, after: list, tool=tool) -> Any:
            return k8s.core.v1.Secret(
                f"{name}-{tool}-{key}",
                metadata=manifest["metadata"],
                type=manifest["type"],
                string_data=pulumi.Output.secret(manifest["stringData"]),
                opts=opts(after),
            )

        metadata = {"name": tool, "labels": manifests.MANAGED}
        if rancher_api is not None:
            import pulumi_rancher2 as rancher2

            project = rancher2.Project(
                f"{name}-{tool}-project",
                name=tool,
                cluster_id="local",
                description=f"{tool}.{domain}, installed by souverain",
                opts=pulumi.ResourceOptions(provider=rancher_api),
            )
            metadata["annotations"] = {"field.cattle.io/projectId": project.id}
        namespace = k8s.core.v1.Namespace(
            f"{name}-{tool}-namespace", metadata=metadata, opts=opts(addons)
        )
        generated = {
            key: random.RandomPassword(
                f"{name}-{tool}-{suffix}", length=32, special=False
            ).result
            for key, suffix in [
                ("database", "database-password"),
                *((key, key) for key in tools.GENERATED[tool]),
            ]
        }
        owner = secret(
            "database-owner",
            manifests.database_credentials(tool, generated["database"]),
            [namespace],
        )
        s3 = secret(
            "backups-s3", manifests.secret(tool, "backups-s3", s3_keys), [namespace]
        )
        destination = pulumi.Output.concat("s3://", backups_bucket, f"/postgres/{tool}")
        endpoint = f"https://{location}.your-objectstorage.com"
        retention = settings.get("backupRetentionDays", 30)
        store = custom(
            f"{tool}-object-store",
            manifests.object_store(
                tool, destination, endpoint, "backups-s3", retention
            ),
            [operator, plugin, s3],
        )
        database = custom(
            f"{tool}-database",
            manifests.database_cluster(tool, size.storage_gib, node_selector),
            [operator, plugin, owner, store],
        )
        custom(f"{tool}-backup", manifests.scheduled_backup(tool), [database])

        keys = sorted(generated)
        env = pulumi.Output.all(*(generated[key] for key in keys)).apply(
            lambda secrets, tool=tool, keys=keys: tools.env_values(
                tool, domain, startup, dict(zip(keys, secrets, strict=True))
            )
        )
        env_name = "openbao-storage" if tool == "openbao" else f"{tool}-env"
        env_secret = secret("env", manifests.secret(tool, env_name, env), [namespace])
        ready = [database, env_secret]
        if tool == "openbao":
            seal_key = random.RandomBytes(f"{name}-openbao-seal-key", length=32)
            seal = secret(
                "seal",
                manifests.secret(tool, "openbao-seal", {"key": seal_key.base64}),
                [namespace],
            )
            ready.append(release("openbao", values.OPENBAO, [*ready, seal], False))
        for manifest in tools.workloads(tool, size, node_selector):
            kind = manifest["kind"]
            KINDS[kind](
                f"{name}-{tool}-{manifest['metadata']['name']}-{kind.lower()}",
                metadata=manifest["metadata"],
                spec=manifest["spec"],
                opts=opts(ready),
            )
        host = f"{tool}.{domain}"
        ingress = manifests.ingress(tool, host, tool, TOOLS[tool].port)
        KINDS["Ingress"](
            f"{name}-{tool}-ingress",
            metadata=ingress["metadata"],
            spec=ingress["spec"],
            opts=opts([issuer, namespace]),
        )
