"""Who holds each resource's data, and under which country's law that holder lives.

A resource's holder follows from its type token alone: the Pulumi package that manages
it names the company whose API keeps it, or says that no company does (keys and
passwords computed by the Pulumi CLI, kept only in the state). The one exception is
souverain's S3 bucket, whose holder is whoever runs the endpoint it names
(`places.py` tells). A package missing from the table has no known holder, and the
sovereignty rules refuse it, so a provider a team adds is looked at before it ships.

Each holder's legal home is taken from the company's own legal pages, listed as the
source; the table was compiled on the date in `AS_OF`.
"""

from dataclasses import dataclass

AS_OF = "2026-12-04"
PROVIDER_PREFIX = "pulumi:providers:"
# Resources of the Pulumi engine itself, never sent to a cloud.
ENGINE_TYPES = ("pulumi:pulumi:Stack", "pulumi:pulumi:StackReference")


@dataclass(frozen=True)
class Holder:
    """The company, or the place, that keeps a resource's data, with its legal home."""

    name: str
    """The legal entity (or a description when no company holds the data)."""
    country: str | None
    """ISO 3166 code of the holder's legal home; None when no company holds it."""
    source: str
    """Where the legal home is stated."""

    @property
    def jurisdiction(self) -> str:
        """The holder as a report shows it, e.g. 'Hetzner Online GmbH (DE)'."""
        return f"{self.name} ({self.country})" if self.country else self.name


HETZNER = Holder(
    "Hetzner Online GmbH",
    "DE",
    "https://www.hetzner.com/legal/privacy-policy (Industriestr. 25, Gunzenhausen)",
)
SCALEWAY = Holder(
    "Scaleway SAS",
    "FR",
    "https://www.scaleway.com/en/terms/ (a French SAS under French law)",
)
BUNNY = Holder(
    "BunnyWay d.o.o.",
    "SI",
    "https://bunny.net/tos/ (the contracting company, Medvode, Slovenia)",
)
# souverain's cluster runs on the stack's own Hetzner servers: what Kubernetes keeps
# is on their disks and on volumes Hetzner's CSI driver makes beside them.
CLUSTER = Holder(
    "own k3s cluster at Hetzner Online GmbH",
    "DE",
    "the cluster's nodes are the stack's hcloud servers (components/stack.py)",
)
STATE_ONLY = Holder(
    "nobody (computed locally, kept in the state)",
    None,
    "pulumi-tls and pulumi-random run locally and call no API",
)
# The Python SDK's host for dynamic providers: it runs on the machine running Pulumi
# and holds nothing; each dynamic resource is judged by its own module (bunny, s3).
DYNAMIC_HOST = Holder(
    "nobody (runs souverain's dynamic providers locally)",
    None,
    "the provider resource pulumi:providers:pulumi-python (Pulumi's Python SDK)",
)
LOCAL_STORE = Holder(
    "nobody (a store on the machine running Pulumi)",
    None,
    "a loopback S3 endpoint, such as a test's S3 server or a local MinIO",
)
COMPONENT = Holder(
    "nobody (a component)",
    None,
    "components register no cloud object (Pulumi's ComponentResource)",
)

# Pulumi package (or dynamic provider module) -> who holds what it manages.
HOLDERS: dict[str, Holder] = {
    "hcloud": HETZNER,
    "scaleway": SCALEWAY,
    "bunny": BUNNY,
    "kubernetes": CLUSTER,
    # Rancher runs on the cluster; its provider only talks to it.
    "rancher2": CLUSTER,
    "tls": STATE_ONLY,
    "random": STATE_ONLY,
    "pulumi-python": DYNAMIC_HOST,
}


def package_of(type_token: str) -> str:
    """The package that manages a type: hcloud, scaleway, bunny (dynamic), s3 …

    Provider resources (`pulumi:providers:hcloud`) belong to their package, and
    dynamic ones (`pulumi-python:dynamic/bunny:PullZone`) to their module.
    """
    if type_token.startswith(PROVIDER_PREFIX):
        return type_token.removeprefix(PROVIDER_PREFIX)
    package, _, rest = type_token.partition(":")
    if package == "pulumi-python":
        return rest.split(":", 1)[0].removeprefix("dynamic/")
    return package


def kind_of(type_token: str) -> str:
    """The part of a type token after its package, e.g. 'index/server:Server'."""
    if type_token.startswith(PROVIDER_PREFIX):
        return "provider"
    return type_token.split(":", 1)[-1].removeprefix("dynamic/")


def holder_of(type_token: str, custom: bool = True) -> Holder | None:
    """Who holds a resource's data by its type; None when souverain does not know.

    souverain's S3 buckets are not in the table: their holder depends on the
    endpoint, which `places.py` reads from the inputs.
    """
    if not custom:
        return COMPONENT
    if type_token in ENGINE_TYPES:
        return STATE_ONLY
    return HOLDERS.get(package_of(type_token))
