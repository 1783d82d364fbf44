"""The self-hosted tools: what each runs, pinned, and what it asks of the nodes.

Nothing here declares a resource, nor imports Pulumi: the configuration's capacity
check reads these figures too, and the component builds its manifests from them, so
what is checked is what is deployed. The charts are pinned in `apps_values.py`.
"""

from dataclasses import dataclass

from components.config_apps import AppSize

# Postgres 17 from CloudNativePG's own image catalogue (ghcr.io/cloudnative-pg).
POSTGRES_IMAGE = "ghcr.io/cloudnative-pg/postgresql:17.5"
# Valkey, the BSD-licensed Redis fork, as the queue of Twenty and GlitchTip.
VALKEY_IMAGE = "docker.io/valkey/valkey:8.1"


@dataclass(frozen=True)
class Requests:
    """CPU and memory a set of pods asks the scheduler for."""

    cpu_millicores: int
    memory_mib: int

    def __add__(self, other: "Requests") -> "Requests":
        return Requests(
            self.cpu_millicores + other.cpu_millicores,
            self.memory_mib + other.memory_mib,
        )

    def times(self, count: int) -> "Requests":
        """The same requests `count` times over."""
        return Requests(self.cpu_millicores * count, self.memory_mib * count)


NOTHING = Requests(0, 0)
# One CloudNativePG instance; the Barman Cloud sidecar the plugin adds asks nothing.
DATABASE_REQUESTS = Requests(250, 512)
# A Valkey queue without persistence: jobs in flight are retried by the tools.
VALKEY_REQUESTS = Requests(50, 128)


@dataclass(frozen=True)
class Tool:
    """One self-hosted tool and the pods it runs beside its main container."""

    name: str
    """The tool's name: its namespace, its host name's first label, its key."""
    replaces: str
    """What a startup would otherwise buy, for the docs and the plan."""
    image: str
    """The pinned image of its main container (empty for a Helm chart)."""
    port: int
    """The port its web interface and API listen on."""
    worker: Requests | None = None
    """A background worker from the same image, if the tool has one."""
    valkey: bool = False
    """Whether it needs a Valkey (Redis) queue."""


TOOLS = {
    # Umami v3 keeps everything in Postgres (github.com/umami-software/umami).
    "umami": Tool(
        "umami", "Google Analytics", "ghcr.io/umami-software/umami:v3.0.3", 3000
    ),
    # From the OpenBao chart; its storage is Postgres, so it is backed up like the
    # others.
    "openbao": Tool("openbao", "HashiCorp Vault, AWS Secrets Manager", "", 8200),
    # Twenty's server and its BullMQ worker (twentyhq/twenty, twenty-docker).
    "twenty": Tool(
        "twenty",
        "Salesforce, HubSpot",
        "docker.io/twentycrm/twenty:v1.22.6",
        3000,
        worker=Requests(250, 512),
        valkey=True,
    ),
    # GlitchTip's web process and its Celery worker with beat (glitchtip.com).
    "glitchtip": Tool(
        "glitchtip",
        "Sentry",
        "docker.io/glitchtip/glitchtip:v5.1.5",
        8000,
        worker=Requests(250, 512),
        valkey=True,
    ),
    # Hanko's backend, public API on 8000, admin API on 8001 (teamhanko/hanko).
    "hanko": Tool("hanko", "Auth0, Okta", "ghcr.io/teamhanko/hanko:v2.7.0", 8000),
}


def tool_requests(tool: str, size: AppSize) -> Requests:
    """Everything one tool asks for: its container, worker, queue and database."""
    spec = TOOLS[tool]
    total = Requests(size.cpu_millicores, size.memory_mib) + DATABASE_REQUESTS
    if spec.worker is not None:
        total += spec.worker
    if spec.valkey:
        total += VALKEY_REQUESTS
    return total


def hostname(tool: str, domain: str) -> str:
    """Where a tool answers: <tool>.<domain>."""
    return f"{tool}.{domain}"
