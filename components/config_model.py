"""The stack configuration's typed model: every setting, its type and its checks.

Every problem is reported at once as `<setting> <what is wrong>: <the fix>`, so a user
fixes a stack file in one go. The rules themselves live in `config_rules.py` (and
`config_cluster.py`, `config_apps.py`), the sentences for pydantic's own errors in
`config_messages.py`. Checks that need another setting (a server type against the
location) get it through pydantic's validation context, which keeps every check at
field level: pydantic runs model-level checks only when all fields are valid, and
would hide problems. `config.py` reads the settings and runs this model over them.
"""

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components import (
    config_apps,
    config_cluster,
    config_messages,
    config_rules,
)
from components.config_apps import AppSettings, AppSize
from components.hetzner.catalog import load_catalog
from components.hetzner.object_storage import endpoint_for
from components.text import one_of

NAMESPACE = config_messages.NAMESPACE
LOAD_BALANCER_TYPES = tuple(config_rules.LOAD_BALANCER_TARGETS)


def _problem(message: str) -> PydanticCustomError:
    # The message goes in the context so braces in user values are never formatted.
    return PydanticCustomError("souverain", "{message}", {"message": message})


def _raise_all(problems: list[config_rules.Problem], title: str) -> None:
    """Raise every problem of one setting at once, each at its place inside it."""
    if problems:
        raise ValidationError.from_exception_data(
            title,
            [
                {"type": _problem(message), "loc": where, "input": None}
                for where, message in problems
            ],
        )


def _rebuildable(error: dict) -> dict:
    """A caught pydantic error in the form ValidationError.from_exception_data takes."""
    if error["type"] == "souverain":
        error = {**error, "type": _problem(error["ctx"]["message"])}
        del error["ctx"]
    return error


class _Model(BaseModel):
    # Settings are camelCase only, as `pulumi config set` writes them; a snake_case
    # key is reported as unknown with the camelCase name to use.
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=False,
        validate_by_alias=True,
        extra="forbid",
        frozen=True,
    )


class NodePool(_Model):
    """A group of identical Hetzner servers, keyed in config by a stable pool name."""

    role: Literal["control-plane", "worker"]
    """control-plane servers run the Kubernetes API and etcd; workers run apps."""
    server_type: str
    """A Hetzner server type offered in the stack's location, such as cx33."""
    count: Annotated[int, Field(strict=True, ge=0, le=1000)]
    """How many servers; scaling down removes the highest-numbered ones."""
    labels: dict[str, str] = {}
    """Extra Hetzner labels on every server of the pool."""
    public_ipv4: bool = True
    """Give each server a public IPv4 (needed for outbound traffic without a NAT)."""
    ingress: bool | None = None
    """Receive web traffic from the load balancer (default: worker pools do)."""

    @field_validator("server_type")
    @classmethod
    def _server_type_offered(cls, value: str, info: ValidationInfo) -> str:
        context = info.context or {}
        location = context.get("location")
        if config_rules.location_problem(str(location)) is not None:
            return value  # the location's own check reports the problem
        problem = config_rules.server_type_problem(value, location, context["today"])
        if problem:
            raise _problem(problem)
        return value

    @field_validator("labels")
    @classmethod
    def _labels_valid(cls, labels: dict[str, str]) -> dict[str, str]:
        _raise_all(config_rules.label_problems(labels), "labels")
        return labels


class StackConfig(_Model):
    """Everything a souverain stack is declared from, checked as a whole."""

    startup_name: str
    """Prefix of every resource name: lowercase letters, digits and dashes."""
    domain: str
    """The startup's domain, such as acme.eu."""
    location: str = "fsn1"
    """The Hetzner location of every server, network and load balancer."""
    network_cidr: str = "10.0.0.0/16"
    """The private network's range; nodes get the first half of it."""
    node_pools: dict[str, NodePool]
    """Pools of servers keyed by a stable name (never by position)."""
    ssh_public_keys: dict[str, str]
    """OpenSSH public keys keyed by a stable name, installed on every server."""
    allowed_ssh_cidrs: list[str] = []
    """Who may reach SSH on the servers; empty means nobody."""
    allowed_kube_api_cidrs: list[str]
    """Who may reach the Kubernetes API on the control-plane servers."""
    image: str = "ubuntu-24.04"
    """The Hetzner image every server boots."""
    load_balancer_type: str = "lb11"
    """The Hetzner load balancer type in front of the servers."""
    enable_buckets: bool = False
    """Object Storage buckets for assets and backups."""
    object_storage_endpoint: str | None = None
    """The S3 endpoint; unset, https://<location>.your-objectstorage.com."""
    s3_access_key: str | None = None
    """Access key of the Object Storage credentials (secret)."""
    s3_secret_key: str | None = None
    """Secret key of the Object Storage credentials (secret)."""
    assets_public_read: bool = False
    """Let anyone read the assets bucket (a CDN without S3 signing needs it)."""
    backup_retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    """How long the backups bucket keeps replaced and deleted versions."""
    buckets_force_destroy: bool = False
    """Let `pulumi destroy` delete the buckets with every object in them."""
    deletion_protection: bool | None = None
    """Servers, balancer, network and IPs resist deletion; unset, on in production."""
    enable_bunny: bool = False
    """bunny.net DNS, CDN, edge storage and WAF."""
    bunny_access_key: str | None = None
    """The bunny.net account API key (secret)."""
    bunny_api_url: str = "https://api.bunny.net"
    """bunny.net's Core API; another URL only for tests."""
    bunny_storage_region: str = "DE"
    """Main region of the edge storage zone: DE (Falkenstein) or SE (Stockholm)."""
    bunny_storage_replication: list[str] = []
    """Further EU regions the edge storage zone is copied to."""
    enable_registry: bool = False
    """Scaleway private container registry."""
    enable_email: bool = False
    """Scaleway transactional e-mail (its DNS records need enableBunny)."""
    scaleway_project_id: str | None = None
    """The Scaleway project (a UUID) that holds the registry and the e-mail domain."""
    scaleway_region: str = "fr-par"
    """An EU Scaleway region: fr-par, nl-ams or pl-waw."""
    scaleway_access_key: str | None = None
    """Access key of a Scaleway API key (secret)."""
    scaleway_secret_key: str | None = None
    """Secret key of that API key (secret)."""
    registry_namespace: str | None = None
    """The registry namespace; unset, the startup name."""
    email_mx: bool = False
    """Publish Scaleway's MX record for the domain too."""
    enable_cluster: bool = False
    """k3s and Rancher on the servers."""
    # Named by hand: the alias generator would write k3SVersion.
    k3s_version: Annotated[str, Field(alias="k3sVersion")] = config_cluster.K3S_VERSION
    """The k3s release new nodes install, e.g. v1.35.5+k3s1."""
    etcd_snapshot_schedule: str = config_cluster.SNAPSHOT_SCHEDULE
    """When each control-plane server snapshots etcd (cron), or off."""
    etcd_snapshot_retention: Annotated[int, Field(ge=1, le=1000)] = (
        config_cluster.SNAPSHOT_RETENTION
    )
    """How many etcd snapshots to keep."""
    hcloud_cluster_token: str | None = None
    """A Hetzner API token for the cloud controller and the CSI driver (secret)."""
    letsencrypt_email: str | None = None
    """Where Let's Encrypt writes about Rancher's certificate; unset, admin@domain."""
    rancher_replicas: Annotated[int, Field(ge=1, le=10)] = 1
    """How many Rancher server pods run (3 for a cluster that must stay up)."""
    rancher_bootstrap: bool = False
    """Set Rancher's admin password and URL through its API once it answers."""
    app_namespaces: list[str] = []
    """Namespaces for the startup's own images; unset, one named after the startup."""
    enable_apps: bool = False
    """The self-hosted tools on the cluster: analytics, secrets, CRM, errors, login."""
    apps: dict[str, AppSettings] = {}
    """Per tool (umami, openbao, twenty, glitchtip, hanko): its switch and sizes."""

    @field_validator("startup_name")
    @classmethod
    def _startup_name_valid(cls, value: str) -> str:
        return _checked(value, config_rules.startup_name_problem)

    @field_validator("domain")
    @classmethod
    def _domain_valid(cls, value: str) -> str:
        return _checked(value, config_rules.domain_problem)

    @field_validator("location")
    @classmethod
    def _location_in_eu(cls, value: str) -> str:
        return _checked(value, config_rules.location_problem)

    @field_validator("network_cidr")
    @classmethod
    def _network_private(cls, value: str) -> str:
        return _checked(value, config_rules.network_problem)

    @field_validator("image")
    @classmethod
    def _image_named(cls, value: str) -> str:
        return _checked(value, config_rules.image_problem)

    @field_validator("node_pools", mode="wrap")
    @classmethod
    def _pools_form_a_cluster(
        cls, pools: Any, handler: Any, info: ValidationInfo
    ) -> dict[str, NodePool]:
        # Wrapped so the cluster-wide checks run even when a single pool is invalid.
        line_errors = []
        try:
            validated = handler(pools)
        except ValidationError as err:
            line_errors = [_rebuildable(e) for e in err.errors(include_url=False)]
            validated = None
        context = info.context or {}
        problems = config_rules.cluster_problems(
            pools, context.get("load_balancer_type")
        )
        if context.get("enable_cluster"):
            problems += config_cluster.cluster_pool_problems(
                pools, context.get("network_cidr")
            )
        for where, message in problems:
            line_errors.append({"type": _problem(message), "loc": where, "input": None})
        if line_errors:
            raise ValidationError.from_exception_data("nodePools", line_errors)
        return validated

    @field_validator("ssh_public_keys")
    @classmethod
    def _ssh_keys_valid(cls, keys: dict[str, str]) -> dict[str, str]:
        _raise_all(config_rules.ssh_key_problems(keys), "sshPublicKeys")
        return keys

    @field_validator("allowed_ssh_cidrs", "allowed_kube_api_cidrs")
    @classmethod
    def _cidrs_valid(cls, cidrs: list[str], info: ValidationInfo) -> list[str]:
        canonical, problems = config_rules.cidr_problems(cidrs)
        if info.field_name == "allowed_kube_api_cidrs" and not cidrs:
            problems.append(
                (
                    (),
                    "is empty, so nobody could reach the Kubernetes API: add your "
                    "office or VPN range, e.g. 203.0.113.7/32",
                )
            )
        _raise_all(problems, info.field_name)
        return canonical

    @field_validator("load_balancer_type")
    @classmethod
    def _load_balancer_type_known(cls, value: str) -> str:
        if value not in LOAD_BALANCER_TYPES:
            raise _problem(
                f"'{value}' is not a Hetzner load balancer type: use "
                f"{one_of(LOAD_BALANCER_TYPES)}"
            )
        return value

    @field_validator("k3s_version")
    @classmethod
    def _k3s_release(cls, value: str) -> str:
        return _checked(value, config_cluster.k3s_version_problem)

    @field_validator("etcd_snapshot_schedule", mode="before")
    @classmethod
    def _bare_off(cls, value: Any) -> Any:
        return config_cluster.snapshot_schedule(value)

    @field_validator("etcd_snapshot_schedule")
    @classmethod
    def _snapshot_schedule(cls, value: str) -> str:
        return _checked(value, config_cluster.snapshot_schedule_problem)

    @field_validator("app_namespaces")
    @classmethod
    def _namespaces_valid(cls, names: list[str]) -> list[str]:
        _raise_all(config_cluster.app_namespace_problems(names), "appNamespaces")
        return names

    @field_validator("letsencrypt_email")
    @classmethod
    def _email_valid(cls, value: str | None) -> str | None:
        return None if value is None else _checked(value, config_cluster.email_problem)

    @field_validator("object_storage_endpoint")
    @classmethod
    def _endpoint_is_a_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise _problem(
                f"'{value}' is not a URL: write e.g. https://fsn1.your-objectstorage.com"
            )
        return value.rstrip("/") if value else value

    @field_validator("bunny_storage_region")
    @classmethod
    def _storage_region_in_eu(cls, value: str) -> str:
        return _checked(value, config_rules.storage_region_problem)

    @field_validator("bunny_storage_replication")
    @classmethod
    def _replication_in_eu(cls, regions: list[str]) -> list[str]:
        _raise_all(
            [
                ((index,), problem)
                for index, region in enumerate(regions)
                if (problem := config_rules.storage_region_problem(region))
            ],
            "bunnyStorageReplication",
        )
        return regions

    @field_validator("bunny_api_url")
    @classmethod
    def _api_url_is_a_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise _problem(f"'{value}' is not a URL: write e.g. https://api.bunny.net")
        return value.rstrip("/")

    @field_validator("scaleway_region")
    @classmethod
    def _scaleway_region_in_eu(cls, value: str) -> str:
        return _checked(value, config_rules.scaleway_region_problem)

    @field_validator("scaleway_project_id")
    @classmethod
    def _project_id_is_a_uuid(cls, value: str | None) -> str | None:
        return _checked(value, config_rules.project_id_problem) if value else value

    @field_validator("registry_namespace")
    @classmethod
    def _namespace_named_by_the_rules(cls, value: str | None) -> str | None:
        return _checked(value, config_rules.namespace_problem) if value else value

    @field_validator("apps", mode="before")
    @classmethod
    def _tools_known(cls, apps: Any) -> Any:
        if isinstance(apps, dict):
            _raise_all(config_apps.tool_problems(apps), "apps")
        return apps

    def ingress_pools(self) -> list[str]:
        """Names of the pools whose servers the load balancer sends web traffic to.

        A pool's `ingress` decides; unset, worker pools take it. A stack without any
        such server (dev: one control-plane node) sends it to the control plane.
        """
        chosen = [
            name
            for name, pool in sorted(self.node_pools.items())
            if (pool.ingress if pool.ingress is not None else pool.role == "worker")
            and pool.count > 0
        ]
        if chosen:
            return chosen
        return sorted(
            name
            for name, pool in self.node_pools.items()
            if pool.role == "control-plane"
        )

    @property
    def tools(self) -> dict[str, AppSize]:
        """The self-hosted tools the stack runs, with their sizes; empty when off."""
        return config_apps.enabled_apps(self.enable_apps, self.apps)

    @property
    def snapshot_cron(self) -> str | None:
        """When etcd is snapshotted, or None when snapshots are off."""
        if self.etcd_snapshot_schedule == config_cluster.SNAPSHOTS_OFF:
            return None
        return self.etcd_snapshot_schedule

    @property
    def rancher_contact(self) -> str:
        """The e-mail address Let's Encrypt is given for Rancher's certificate."""
        return self.letsencrypt_email or f"admin@{self.domain}"

    @property
    def workload_namespaces(self) -> list[str]:
        """The namespaces the startup's images run in, with the registry's secret."""
        return self.app_namespaces or [self.startup_name]

    @property
    def namespace_name(self) -> str:
        """The registry namespace: as set, or the startup name."""
        return self.registry_namespace or self.startup_name

    @property
    def s3_endpoint(self) -> str:
        """Where the stack's buckets live."""
        return self.object_storage_endpoint or endpoint_for(self.location)

    @property
    def network_zone(self) -> str:
        """The Hetzner network zone of the stack's location."""
        return load_catalog().locations[self.location].network_zone


def _checked(value: str, rule: Any) -> str:
    problem = rule(value)
    if problem:
        raise _problem(problem)
    return value
