"""The self-hosted tools on the cluster, each in its namespace with its own Postgres.

One CloudNativePG operator and its Barman Cloud plugin serve every tool; each tool
gets a Postgres Cluster whose WAL and nightly base backups go to the backups bucket,
its workloads (or, for OpenBao, its chart), and an Ingress at <tool>.<domain> with a
certificate from a shared Let's Encrypt ClusterIssuer. Every password and key is
made by pulumi-random and stays a Pulumi secret.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs

from components.config_apps import AppSize
from components.errors import refuse_arguments
from components.kubernetes import addons_manifests
from components.kubernetes import addons_values as charts
from components.kubernetes import apps_manifests as manifests
from components.kubernetes import apps_tools as tools
from components.kubernetes import apps_values as values
from components.kubernetes.apps_catalog import TOOLS, hostname

PASSWORD_LENGTH = 32
S3_SECRET = "backups-s3"


@dataclass
class SelfHostedAppsArgs:
    """Inputs of SelfHostedApps."""

    kubernetes_provider: k8s.Provider
    """The cluster's provider, configured once its API answers (ClusterAddons')."""
    addons: list[pulumi.Resource]
    """The add-on releases the tools stand on: cert-manager, Traefik, CSI."""
    tools: Mapping[str, AppSize]
    """The tools to run, by name, with their sizes."""
    domain: str
    """The startup's domain; each tool answers at <tool>.<domain>."""
    startup_name: str
    """The startup's name, shown by Hanko on passkey prompts."""
    letsencrypt_email: str
    """Where Let's Encrypt writes about the tools' certificates."""
    backups_bucket: pulumi.Input[str]
    """The versioned backups bucket the databases are backed up to."""
    s3_endpoint: str
    """The Object Storage endpoint of that bucket."""
    s3_access_key: pulumi.Input[str]
    """The S3 access key the backups are written with (secret)."""
    s3_secret_key: pulumi.Input[str]
    """The S3 secret key (secret)."""
    backup_retention_days: int
    """How many days of base backups and WAL each tool keeps."""
    node_selector: dict[str, str] = field(default_factory=dict)
    """Node labels the tools' pods run on (the worker pools)."""
    rancher_provider: pulumi.ProviderResource | None = None
    """pulumi-rancher2 as admin: each tool then gets a Rancher project of its own."""


def args_problems(args: SelfHostedAppsArgs) -> list[str]:
    """One line per bad argument: the field, the value, and what is allowed."""
    problems = []
    unknown = sorted(set(args.tools) - set(TOOLS))
    if unknown:
        problems.append(
            f"tools {unknown} are not tools souverain runs: use {', '.join(TOOLS)}"
        )
    if not args.tools:
        problems.append("tools is empty: pass at least one tool, or no component")
    if args.backup_retention_days < 1:
        problems.append(
            f"backup_retention_days {args.backup_retention_days} is below 1: keep "
            "backups at least a day, e.g. 30"
        )
    return problems


class SelfHostedApps(pulumi.ComponentResource):
    """Umami, OpenBao, Twenty, GlitchTip and Hanko, as the stack asks."""

    urls: pulumi.Output[dict[str, str]]
    """Each tool's address, https://<tool>.<domain>, by tool."""

    def __init__(
        self,
        name: str,
        args: SelfHostedAppsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        refuse_arguments(f"the self-hosted tools '{name}'", args_problems(args))
        super().__init__("souverain:kubernetes:SelfHostedApps", name, None, opts)
        self._name = name
        self._args = args
        settings = values.template_settings(
            openbao=args.tools.get("openbao"), node_selector=args.node_selector
        )

        issuer = self._custom(
            "issuer", manifests.cluster_issuer(args.letsencrypt_email), args.addons
        )
        operator = self._release("cloudnative-pg", values.CLOUDNATIVE_PG, settings)
        plugin = self._release(
            "barman-cloud", values.BARMAN_CLOUD, settings, [operator]
        )

        self.urls = pulumi.Output.from_input(
            {tool: f"https://{hostname(tool, args.domain)}" for tool in args.tools}
        )
        for tool, size in args.tools.items():
            self._tool(tool, size, settings, [operator, plugin], issuer)
        self.register_outputs({"urls": self.urls})

    def _namespace_metadata(self, tool: str) -> dict:
        """The tool's namespace, placed in a Rancher project of its own when Rancher
        is bootstrapped, so its users can be given that tool and nothing else."""
        metadata = addons_manifests.namespace(tool)["metadata"]
        if self._args.rancher_provider is None:
            return metadata
        # Imported here: stacks without the bootstrap should not load the provider SDK.
        import pulumi_rancher2 as rancher2

        project = rancher2.Project(
            f"{self._name}-{tool}-project",
            name=tool,
            # Rancher's name for the cluster it runs on.
            cluster_id="local",
            description=f"{tool}.{self._args.domain}, installed by souverain",
            opts=pulumi.ResourceOptions(
                parent=self, provider=self._args.rancher_provider
            ),
        )
        # Rancher files a namespace under a project by this annotation, whose value
        # is the project's id, <cluster>:<project>.
        return {**metadata, "annotations": {"field.cattle.io/projectId": project.id}}

    def _opts(self, depends_on: list[pulumi.Resource]) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(
            parent=self,
            provider=self._args.kubernetes_provider,
            depends_on=depends_on,
        )

    def _release(
        self,
        key: str,
        chart: charts.Chart,
        settings: dict,
        depends_on: list[pulumi.Resource] | None = None,
        create_namespace: bool = True,
    ) -> Release:
        """One pinned chart after the add-ons and `depends_on`."""
        return Release(
            f"{self._name}-{key}",
            name=chart.chart,
            chart=chart.chart,
            version=chart.version,
            repository_opts=RepositoryOptsArgs(repo=chart.repo),
            namespace=chart.namespace,
            create_namespace=create_namespace,
            values=charts.render_values(chart, settings),
            skip_await=False,
            wait_for_jobs=True,
            timeout=chart.timeout_seconds,
            opts=self._opts([*self._args.addons, *(depends_on or [])]),
        )

    def _custom(
        self, key: str, manifest: dict, depends_on: list[pulumi.Resource]
    ) -> k8s.apiextensions.CustomResource:
        """A custom resource (ClusterIssuer, Cluster…) from its manifest."""
        return k8s.apiextensions.CustomResource(
            f"{self._name}-{key}",
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._opts(depends_on),
        )

    def _secret(
        self, key: str, manifest: dict, depends_on: list[pulumi.Resource]
    ) -> k8s.core.v1.Secret:
        """A Secret whose data stays a Pulumi secret."""
        return k8s.core.v1.Secret(
            f"{self._name}-{key}",
            metadata=manifest["metadata"],
            type=manifest["type"],
            string_data=pulumi.Output.secret(manifest["stringData"]),
            opts=self._opts(depends_on),
        )

    def _password(self, key: str) -> pulumi.Output[str]:
        return random.RandomPassword(
            f"{self._name}-{key}",
            length=PASSWORD_LENGTH,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        ).result

    def _tool(
        self,
        tool: str,
        size: AppSize,
        settings: dict,
        database_operator: list[pulumi.Resource],
        issuer: pulumi.Resource,
    ) -> None:
        """One tool: namespace, secrets, database and its backups, workloads, host."""
        args = self._args
        namespace = k8s.core.v1.Namespace(
            f"{self._name}-{tool}-namespace",
            metadata=self._namespace_metadata(tool),
            opts=self._opts(args.addons),
        )
        generated = {"database": self._password(f"{tool}-database-password")}
        for secret_name in tools.GENERATED[tool]:
            generated[secret_name] = self._password(f"{tool}-{secret_name}")

        owner = self._secret(
            f"{tool}-database-owner",
            manifests.database_credentials(tool, generated["database"]),
            [namespace],
        )
        s3 = self._secret(
            f"{tool}-backups-s3",
            manifests.secret(
                tool,
                S3_SECRET,
                {
                    "ACCESS_KEY_ID": args.s3_access_key,
                    "ACCESS_SECRET_KEY": args.s3_secret_key,
                },
            ),
            [namespace],
        )
        destination = pulumi.Output.concat(
            "s3://", args.backups_bucket, "/", manifests.backup_folder(tool)
        )
        object_store = self._custom(
            f"{tool}-object-store",
            manifests.object_store(
                tool,
                destination,
                args.s3_endpoint,
                S3_SECRET,
                args.backup_retention_days,
            ),
            [*database_operator, s3],
        )
        database = self._custom(
            f"{tool}-database",
            manifests.database_cluster(tool, size.storage_gib, args.node_selector),
            [*database_operator, owner, object_store],
        )
        self._custom(f"{tool}-backup", manifests.scheduled_backup(tool), [database])

        keys = sorted(generated)
        env = pulumi.Output.all(*(generated[key] for key in keys)).apply(
            lambda secrets: tools.env_values(
                tool,
                args.domain,
                args.startup_name,
                dict(zip(keys, secrets, strict=True)),
            )
        )
        env_name = (
            values.OPENBAO_STORAGE_SECRET
            if tool == "openbao"
            else tools.env_secret_name(tool)
        )
        env_secret = self._secret(
            f"{tool}-env", manifests.secret(tool, env_name, env), [namespace]
        )
        ready = [database, env_secret]
        if tool == "openbao":
            seal_key = random.RandomBytes(
                f"{self._name}-openbao-seal-key",
                length=32,
                opts=pulumi.ResourceOptions(parent=self),
            )
            seal = self._secret(
                "openbao-seal",
                manifests.secret(
                    tool, values.OPENBAO_SEAL_SECRET, {"key": seal_key.base64}
                ),
                [namespace],
            )
            openbao = self._release(
                "openbao",
                values.OPENBAO,
                settings,
                [*ready, seal],
                create_namespace=False,
            )
            ready.append(openbao)
        for manifest in tools.workloads(tool, size, args.node_selector):
            kind = manifest["kind"]
            key = f"{tool}-{manifest['metadata']['name']}-{kind.lower()}"
            self._builtin(key, manifest, ready)
        # OpenBao's chart names its Service after the release: openbao, like the
        # Services the other tools get here.
        self._builtin(
            f"{tool}-ingress",
            manifests.ingress(
                tool, hostname(tool, args.domain), tool, TOOLS[tool].port
            ),
            [issuer, namespace],
        )

    def _builtin(
        self, key: str, manifest: dict, depends_on: list[pulumi.Resource]
    ) -> pulumi.Resource:
        """A Deployment, Service, PersistentVolumeClaim or Ingress from its dict."""
        kind = manifest["kind"]
        resource_type = {
            "Deployment": k8s.apps.v1.Deployment,
            "Service": k8s.core.v1.Service,
            "PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim,
            "Ingress": k8s.networking.v1.Ingress,
        }[kind]
        return resource_type(
            f"{self._name}-{key}",
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=self._opts(depends_on),
        )
