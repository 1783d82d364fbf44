"""The cluster's add-ons as Helm releases, and Rancher, once the new API answers.

Order matters and is explicit: the API must answer before anything is sent to it; the
Hetzner cloud controller initialises the nodes (until it runs they are tainted and
nothing else schedules); volumes and certificates come next; Traefik then serves the
HTTP-01 challenges of Rancher's Let's Encrypt issuer, which needs cert-manager's CRDs
and webhook ready. Each release waits for its pods and jobs (`skip_await=False`).
"""

import ipaddress
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs

from components.errors import refuse_arguments
from components.hetzner import layout
from components.kubernetes import addons_manifests as manifests
from components.kubernetes import addons_values as charts
from components.kubernetes.cluster_ready import (
    DEFAULT_TIMEOUT_SECONDS,
    ClusterReady,
    RancherReady,
)

# Rancher refuses a bootstrap password under 12 characters; these are far above it.
PASSWORD_LENGTH = 32


@dataclass
class ClusterAddonsArgs:
    """Inputs of ClusterAddons."""

    kubeconfig: pulumi.Input[str]
    """The new cluster's admin kubeconfig, credentials inline (secret)."""
    api_url: pulumi.Input[str]
    """The Kubernetes API the kubeconfig points at, e.g. https://<server>:6443."""
    domain: str
    """The startup's domain; Rancher answers at rancher.<domain>."""
    startup_name: str
    """The startup's name, labelled on every Hetzner volume the cluster creates."""
    network_name_or_id: pulumi.Input[str]
    """The Hetzner private network the cloud controller adds pod routes to."""
    network_cidr: str
    """The private network's range: the only source trusted for PROXY protocol."""
    hcloud_token: pulumi.Input[str]
    """A read-write Hetzner API token for the cloud controller and CSI (secret)."""
    location: str
    """The Hetzner location new volumes are created in."""
    rancher_replicas: int
    """Rancher server pods: 3 for production, 1 for a single-server stack."""
    letsencrypt_email: str
    """Where Let's Encrypt writes about Rancher's certificate."""
    rancher_bootstrap: bool
    """Set Rancher's admin password and server URL through pulumi-rancher2."""
    registry_docker_config_json: pulumi.Input[str] | None = None
    """The private registry's Docker config JSON (secret); None for no pull secret."""
    app_namespaces: list[str] = field(default_factory=list)
    """Namespaces where the startup's images run; each gets the pull secret."""
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """The control-plane servers: nothing waits for the API before they exist."""
    cluster_cidr: str = charts.DEFAULT_CLUSTER_CIDR
    """k3s's pod range (--cluster-cidr), routed by the cloud controller."""
    ingress_node_selector: dict[str, str] = field(
        default_factory=lambda: {layout.LABEL_INGRESS: "true"}
    )
    """Node labels of the servers the load balancer sends web traffic to."""
    ready_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    """How long to wait for the new API, and for Rancher's URL, before failing."""


def args_problems(args: ClusterAddonsArgs) -> list[str]:
    """One line per bad argument: the field, the value, and what is allowed."""
    problems = []
    if not 1 <= args.rancher_replicas <= 10:
        problems.append(
            f"rancher_replicas {args.rancher_replicas} is out of range: use 3 for a "
            "highly available Rancher, 1 for a single server"
        )
    if "@" not in args.letsencrypt_email.strip("@"):
        problems.append(
            f"letsencrypt_email '{args.letsencrypt_email}' is not an e-mail address: "
            "Let's Encrypt writes there before a certificate expires"
        )
    if args.ready_timeout_seconds <= 0:
        problems.append(
            f"ready_timeout_seconds {args.ready_timeout_seconds} is not positive: "
            f"the default is {DEFAULT_TIMEOUT_SECONDS}"
        )
    for name in args.app_namespaces:
        if problem := manifests.namespace_problem(name):
            problems.append(f"app_namespaces: {problem}")
    if len(set(args.app_namespaces)) != len(args.app_namespaces):
        problems.append(
            f"app_namespaces {args.app_namespaces} names a namespace twice: list "
            "each once"
        )
    problems += _cidr_problems(args.network_cidr, args.cluster_cidr)
    return problems


def _cidr_problems(network_cidr: str, cluster_cidr: str) -> list[str]:
    ranges = {}
    for field_name, cidr in (
        ("network_cidr", network_cidr),
        ("cluster_cidr", cluster_cidr),
    ):
        try:
            ranges[field_name] = ipaddress.ip_network(cidr)
        except ValueError:
            return [f"{field_name} '{cidr}' is not an IP range: write e.g. 10.0.0.0/16"]
    if ranges["network_cidr"].overlaps(ranges["cluster_cidr"]):
        return [
            f"cluster_cidr '{cluster_cidr}' overlaps network_cidr '{network_cidr}': "
            "pods would take addresses meant for the servers and the load balancer; "
            "use k3s's default 10.42.0.0/16"
        ]
    return []


class ClusterAddons(pulumi.ComponentResource):
    """Cloud controller, CSI, cert-manager, Traefik and Rancher on a new cluster."""

    kubernetes_provider: k8s.Provider
    """The provider for the cluster, for later components (not an output)."""
    ingress_releases: list[Release]
    """Volumes, certificates and Traefik: what a later component's web app needs
    before it is installed (not an output)."""
    rancher_url: pulumi.Output[str]
    """https://rancher.<domain>."""
    rancher_bootstrap_password: pulumi.Output[str]
    """The password of Rancher's first login (secret)."""
    rancher_admin_password: pulumi.Output[str] | None
    """The admin password set by the bootstrap (secret); None when it is off."""
    rancher_provider: pulumi.ProviderResource | None
    """pulumi-rancher2 logged in as admin, when the bootstrap switch is on."""

    def __init__(
        self,
        name: str,
        args: ClusterAddonsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        refuse_arguments(f"the cluster add-ons '{name}'", args_problems(args))
        super().__init__("souverain:kubernetes:ClusterAddons", name, None, opts)
        self._name = name
        settings = charts.template_settings(
            domain=args.domain,
            startup_name=args.startup_name,
            location=args.location,
            network_cidr=args.network_cidr,
            cluster_cidr=args.cluster_cidr,
            rancher_replicas=args.rancher_replicas,
            letsencrypt_email=args.letsencrypt_email,
            ingress_node_selector=args.ingress_node_selector,
        )

        ready = ClusterReady(
            f"{name}-api-ready",
            api_url=args.api_url,
            kubeconfig=args.kubeconfig,
            timeout_seconds=args.ready_timeout_seconds,
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.depends_on),
        )
        # The provider asks the API for its schema once, when it is configured, and
        # if that fails it refuses every resource for the rest of the run
        # (pulumi-kubernetes provider.go, Configure; pulumi/pulumi-kubernetes#1794).
        # The kubeconfig is known long before the servers boot, so the provider
        # gets it through `ready`: configured only once the API has answered.
        kubeconfig_once_ready = pulumi.Output.all(ready.id, args.kubeconfig).apply(
            lambda parts: parts[1]
        )
        self.kubernetes_provider = k8s.Provider(
            f"{name}-kubernetes",
            kubeconfig=pulumi.Output.secret(kubeconfig_once_ready),
            # The kubeconfig changes when the admin certificate is renewed each year;
            # without a fixed identity the provider, and with it every Kubernetes
            # resource, would show as replaced. Only another cluster is another one.
            cluster_identifier=f"{args.startup_name}-k3s",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ready]),
        )

        hcloud_secret = self._secret(
            f"{name}-hcloud-secret",
            manifests.hcloud_secret(
                pulumi.Output.secret(args.hcloud_token),
                pulumi.Output.from_input(args.network_name_or_id).apply(str),
            ),
            [ready],
        )
        ccm = self._release("hcloud-ccm", charts.CCM, settings, [ready, hcloud_secret])
        csi = self._release("hcloud-csi", charts.CSI, settings, [ready, ccm])
        cert_manager = self._release(
            "cert-manager", charts.CERT_MANAGER, settings, [ready, ccm]
        )
        traefik = self._release(
            "traefik", charts.TRAEFIK, settings, [ready, csi, cert_manager]
        )

        self.ingress_releases = [csi, cert_manager, traefik]

        bootstrap_password = random.RandomPassword(
            f"{name}-rancher-bootstrap-password",
            length=PASSWORD_LENGTH,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        rancher_values = charts.with_secret(
            charts.render_values(charts.RANCHER, settings),
            ("bootstrapPassword",),
            bootstrap_password.result,
        )
        rancher = self._release(
            "rancher",
            charts.RANCHER,
            settings,
            [ready, traefik, cert_manager],
            values=rancher_values,
        )

        self._declare_app_namespaces(args, ready)

        hostname = charts.rancher_hostname(args.domain)
        self.rancher_url = pulumi.Output.from_input(f"https://{hostname}")
        self.rancher_bootstrap_password = pulumi.Output.secret(
            bootstrap_password.result
        )
        self.rancher_admin_password = None
        self.rancher_provider = None
        if args.rancher_bootstrap:
            self.rancher_admin_password, self.rancher_provider = (
                self._bootstrap_rancher(
                    bootstrap_password, rancher, args.ready_timeout_seconds
                )
            )

        outputs = {
            "rancher_url": self.rancher_url,
            "rancher_bootstrap_password": self.rancher_bootstrap_password,
        }
        if self.rancher_admin_password is not None:
            outputs["rancher_admin_password"] = self.rancher_admin_password
        self.register_outputs(outputs)

    def _release(
        self,
        key: str,
        chart: charts.Chart,
        settings: dict,
        depends_on: list[pulumi.Resource],
        values: dict | None = None,
    ) -> Release:
        """One pinned chart, its values from helm-values/, after `depends_on`."""
        if values is None:
            values = charts.render_values(chart, settings)
        return Release(
            f"{self._name}-{key}",
            name=chart.chart,
            chart=chart.chart,
            version=chart.version,
            repository_opts=RepositoryOptsArgs(repo=chart.repo),
            namespace=chart.namespace,
            create_namespace=chart.namespace != "kube-system",
            values=values,
            skip_await=False,
            wait_for_jobs=True,
            timeout=chart.timeout_seconds,
            opts=pulumi.ResourceOptions(
                parent=self, provider=self.kubernetes_provider, depends_on=depends_on
            ),
        )

    def _secret(
        self, resource_name: str, manifest: dict, depends_on: list[pulumi.Resource]
    ) -> k8s.core.v1.Secret:
        """A Secret from its manifest; its data stays a Pulumi secret."""
        return k8s.core.v1.Secret(
            resource_name,
            metadata=manifest["metadata"],
            type=manifest["type"],
            string_data=pulumi.Output.secret(manifest["stringData"]),
            opts=pulumi.ResourceOptions(
                parent=self, provider=self.kubernetes_provider, depends_on=depends_on
            ),
        )

    def _declare_app_namespaces(
        self, args: ClusterAddonsArgs, ready: pulumi.Resource
    ) -> None:
        """Each app namespace, with the registry's pull secret when there is one."""
        for namespace_name in args.app_namespaces:
            manifest = manifests.namespace(namespace_name)
            namespace = k8s.core.v1.Namespace(
                f"{self._name}-namespace-{namespace_name}",
                metadata=manifest["metadata"],
                opts=pulumi.ResourceOptions(
                    parent=self, provider=self.kubernetes_provider, depends_on=[ready]
                ),
            )
            if args.registry_docker_config_json is not None:
                self._secret(
                    f"{self._name}-registry-pull-{namespace_name}",
                    manifests.pull_secret(
                        namespace_name,
                        pulumi.Output.secret(args.registry_docker_config_json),
                    ),
                    [namespace],
                )

    def _bootstrap_rancher(
        self,
        bootstrap_password: random.RandomPassword,
        rancher: Release,
        timeout_seconds: float,
    ) -> tuple[pulumi.Output[str], pulumi.ProviderResource]:
        """Replace the bootstrap password with a generated one; set the server URL.

        pulumi-rancher2 talks to Rancher's public URL, so it first waits until that
        answers with a trusted certificate (DNS set, Let's Encrypt done). Returns the
        admin password and a provider logged in with the admin token Bootstrap makes,
        for what is declared in Rancher afterwards (the tools' projects).
        """
        # Imported here: stacks without the bootstrap should not load the provider SDK.
        import pulumi_rancher2 as rancher2

        url = self.rancher_url
        ready = RancherReady(
            f"{self._name}-rancher-ready",
            url=url,
            timeout_seconds=timeout_seconds,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[rancher]),
        )
        api = rancher2.Provider(
            f"{self._name}-rancher-bootstrap",
            api_url=url,
            bootstrap=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        admin_password = random.RandomPassword(
            f"{self._name}-rancher-admin-password",
            length=PASSWORD_LENGTH,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        admin = rancher2.Bootstrap(
            f"{self._name}-rancher-admin",
            initial_password=bootstrap_password.result,
            password=admin_password.result,
            opts=pulumi.ResourceOptions(parent=self, provider=api, depends_on=[ready]),
        )
        logged_in = rancher2.Provider(
            f"{self._name}-rancher-api",
            api_url=admin.url,
            token_key=admin.token,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return pulumi.Output.secret(admin_password.result), logged_in
