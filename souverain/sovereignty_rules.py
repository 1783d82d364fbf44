"""The sovereignty rules: small functions over one resource's type and inputs.

The same functions run offline in `souverain plan` (over the recorded plan) and in the
Pulumi policy pack (over what the engine hands `pulumi preview --policy-pack policy`),
so the two never disagree. Each rule returns its problems as sentences that end with
the fix; `check_resource` names the resource in front of each. Inputs are camelCase
as the program registers them (snake_case for souverain's dynamic resources), and a
value only a deployment can tell is `UNKNOWN`. The state backend is checked once per
stack, in `state_backend.py`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from components.hetzner.catalog import EU_COUNTRIES
from components.protection import is_production_stack
from souverain.jurisdictions import holder_of, kind_of, package_of
from souverain.places import placements
from souverain.plan import UNKNOWN

KNOWN_PROVIDERS = "hcloud, scaleway or bunny"
PULL_ZONE = "bunny:PullZone"
BUCKET = "s3:Bucket"
# Stateful hcloud resources and the inputs that keep them from deletion: servers and
# volumes hold data, the primary IPs and the load balancer hold addresses DNS and the
# kubeconfig point at, the network holds the nodes' fixed private addresses.
PROTECTED_HCLOUD = {
    "index/server:Server": ("deleteProtection", "rebuildProtection"),
    "index/volume:Volume": ("deleteProtection",),
    "index/primaryIp:PrimaryIp": ("deleteProtection",),
    "index/floatingIp:FloatingIp": ("deleteProtection",),
    "index/loadBalancer:LoadBalancer": ("deleteProtection",),
    "index/network:Network": ("deleteProtection",),
}


@dataclass(frozen=True)
class Resource:
    """What the rules see of one resource, from a plan or from the engine alike."""

    type: str
    """The type token, e.g. hcloud:index/server:Server."""
    name: str
    """The Pulumi name, e.g. acme-control-plane-1."""
    inputs: Mapping[str, Any]
    """The inputs as registered; UNKNOWN where only a deployment can tell."""
    custom: bool = True
    """False for a component, which holds nothing itself."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: which, where, and a sentence ending with the fix."""

    rule: str
    """The rule's id, e.g. eu-locations."""
    resource: str
    """The resource's name, or 'state backend'."""
    message: str
    """What is wrong and how to fix it."""

    def __str__(self) -> str:
        return f"{self.resource}: {self.message}"


def _kind(resource: Resource) -> tuple[str, str]:
    return package_of(resource.type), kind_of(resource.type)


def eu_providers(resource: Resource, _stack: str) -> list[str]:
    """Every provider must be one whose legal home souverain knows to be in the EU.

    souverain's S3 buckets are judged by their endpoint, under eu-locations.
    """
    package, kind = _kind(resource)
    if not resource.custom or kind == BUCKET:
        return []
    holder = holder_of(resource.type)
    if holder is None:
        return [
            f"provider '{package}' is not one whose legal home souverain knows; use "
            f"{KNOWN_PROVIDERS}, or add the provider's holder with a source to "
            "souverain/jurisdictions.py"
        ]
    if holder.country is not None and holder.country not in EU_COUNTRIES:
        return [
            f"provider '{package}' is held by {holder.jurisdiction}, outside the EU; "
            f"use {KNOWN_PROVIDERS}"
        ]
    return []


def eu_locations(resource: Resource, _stack: str) -> list[str]:
    """Every location, region, zone and endpoint a resource names must be in the EU."""
    if not resource.custom:
        return []
    return [p.problem for p in placements(resource.type, resource.inputs) if p.problem]


def no_public_bucket_unless_marked(resource: Resource, _stack: str) -> list[str]:
    """A bucket anyone may read must say why, in public_read_purpose."""
    if _kind(resource)[1] != BUCKET:
        return []
    public = resource.inputs.get("public_read")
    if public == UNKNOWN:
        return ["public_read is only known after apply; set it to true or false"]
    purpose = resource.inputs.get("public_read_purpose")
    if public is True and not (isinstance(purpose, str) and purpose.strip()):
        return [
            "public_read lets anyone read every object and no public_read_purpose "
            "says why; give the bucket a public_read_purpose, or set public_read to "
            "false"
        ]
    return []


def cdn_forces_tls(resource: Resource, _stack: str) -> list[str]:
    """A CDN pull zone must redirect plain HTTP to HTTPS (force_ssl, on by default)."""
    if _kind(resource)[1] != PULL_ZONE:
        return []
    force_ssl = resource.inputs.get("force_ssl", True)
    if force_ssl is True:
        return []
    fix = "leave force_ssl out (it defaults to true) or set it to true"
    if force_ssl == UNKNOWN:
        return [f"force_ssl is only known after apply; {fix}"]
    shown = "false" if force_ssl is False else repr(force_ssl)
    return [f"force_ssl is {shown}, so the CDN also serves plain HTTP; {fix}"]


def deletion_protection_in_prod(resource: Resource, stack: str) -> list[str]:
    """In a production stack, stateful resources must resist deletion."""
    if not is_production_stack(stack):
        return []
    package, kind = _kind(resource)
    if kind == BUCKET and resource.inputs.get("force_destroy") not in (None, False):
        return [
            f"force_destroy is on in the production stack '{stack}', so `pulumi "
            "destroy` would delete every object; set souverain:bucketsForceDestroy "
            "to false"
        ]
    fields = PROTECTED_HCLOUD.get(kind, ()) if package == "hcloud" else ()
    off = [field for field in fields if resource.inputs.get(field) is not True]
    if not off:
        return []
    verb = "is" if len(off) == 1 else "are"
    them = "it" if len(off) == 1 else "them"
    return [
        f"{' and '.join(off)} {verb} off in the production stack '{stack}'; set "
        f"souverain:deletionProtection to true, or set {them} on a resource you "
        "declare yourself"
    ]


Rule = Callable[[Resource, str], list[str]]
# Rule id -> (function, what it asks for, as the policy pack describes it).
RESOURCE_RULES: dict[str, tuple[Rule, str]] = {
    "eu-providers": (
        eu_providers,
        "Every resource is held by a provider whose legal home is in the EU.",
    ),
    "eu-locations": (
        eu_locations,
        "Every location, region, zone and storage endpoint is in the EU.",
    ),
    "no-public-bucket-unless-marked": (
        no_public_bucket_unless_marked,
        "A bucket anyone may read says why, in public_read_purpose.",
    ),
    "cdn-forces-tls": (
        cdn_forces_tls,
        "The CDN redirects plain HTTP to HTTPS.",
    ),
    "deletion-protection-in-prod": (
        deletion_protection_in_prod,
        "In production, servers, volumes, IPs, load balancers, networks and "
        "buckets resist deletion.",
    ),
}


def check_rule(rule_id: str, resource: Resource, stack: str) -> list[Violation]:
    """The violations of one rule by one resource in stack `stack`."""
    rule = RESOURCE_RULES[rule_id][0]
    return [Violation(rule_id, resource.name, m) for m in rule(resource, stack)]


def check_resource(resource: Resource, stack: str) -> list[Violation]:
    """Every rule's violations by one resource, in the rules' order."""
    return [
        v for rule_id in RESOURCE_RULES for v in check_rule(rule_id, resource, stack)
    ]
