"""The stack configuration: one typed model, read from Pulumi config and checked whole.

Every check runs before a single resource is declared, and every problem is reported
at once as `<field> <what is wrong>: <the fix>`, so a user fixes a stack file in one go.
Checks that need another field (a server type against the location) get it through
pydantic's validation context, which keeps every check at field level: pydantic only
runs model-level checks when all fields are valid, and would hide problems.
"""

import datetime as dt
import difflib
import ipaddress
import json
import re
from typing import Any, Literal

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

from components.errors import ConfigError
from components.hetzner.catalog import load_catalog
from components.text import one_of

NAMESPACE = "souverain"

# k3s' default pod and service ranges: a private network overlapping them would make
# node addresses and pod addresses ambiguous once the cluster runs (issue #7).
K3S_CLUSTER_CIDRS = (
    ipaddress.ip_network("10.42.0.0/16"),
    ipaddress.ip_network("10.43.0.0/16"),
)
RFC1918 = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
)
LOAD_BALANCER_TYPES = ("lb11", "lb21", "lb31")
OWN_LABEL_PREFIX = "souverain.eu/"

# Parts that later issues build; each switch is refused while its issue is open, so a
# stack never silently lacks what its file asks for.
UNBUILT_PARTS = {
    "enable_buckets": 3,
    "enable_bunny": 4,
    "enable_registry": 6,
    "enable_email": 6,
    "enable_cluster": 7,
    "enable_apps": 8,
}

NAME_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
POOL_NAME_RE = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
DOMAIN_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
LABEL_PART_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")
SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
)


def _problem(message: str) -> PydanticCustomError:
    # The message goes in the context so braces in user values are never formatted.
    return PydanticCustomError("souverain", "{message}", {"message": message})


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


class NodePool(_Model):
    """A group of identical Hetzner servers, keyed in config by a stable pool name."""

    role: Literal["control-plane", "worker"]
    """control-plane servers run the Kubernetes API and etcd; workers run apps."""
    server_type: str
    """A Hetzner server type offered in the stack's location, such as cx33."""
    count: int = Field(ge=0, le=1000)
    """How many servers; scaling down removes the highest-numbered ones."""
    labels: dict[str, str] = {}
    """Extra Hetzner labels on every server of the pool."""
    public_ipv4: bool = True
    """Give each server a public IPv4 (needed for outbound traffic without a NAT)."""

    @field_validator("server_type")
    @classmethod
    def _server_type_offered(cls, value: str, info: ValidationInfo) -> str:
        catalog = load_catalog()
        context = info.context or {}
        location, today = context.get("location"), context.get("today")
        if location not in catalog.locations or not catalog.locations[location].in_eu:
            return value  # the location's own check reports the problem
        server_type = catalog.server_types.get(value)
        if server_type is None:
            alternatives = _similar_types(value, location, today)
            raise _problem(f"'{value}' is not a Hetzner server type: {alternatives}")
        retired_on = server_type.retired_in(location, today)
        if retired_on is not None:
            alternatives = _similar_types(value, location, today)
            raise _problem(
                f"'{value}' was retired in {location} on {retired_on}: {alternatives}"
            )
        if not server_type.offered_in(location, today):
            alternatives = _similar_types(value, location, today)
            raise _problem(f"'{value}' is not offered in {location}: {alternatives}")
        return value

    @field_validator("labels")
    @classmethod
    def _labels_valid(cls, labels: dict[str, str]) -> dict[str, str]:
        for key, value in labels.items():
            if key.startswith(OWN_LABEL_PREFIX):
                raise _problem(
                    f"label '{key}' uses the prefix {OWN_LABEL_PREFIX} that souverain "
                    "sets itself: choose another key"
                )
            prefix, _, name = key.rpartition("/")
            if not LABEL_PART_RE.match(name) or len(name) > 63 or len(prefix) > 253:
                raise _problem(
                    f"label key '{key}' is not a Hetzner label key: use up to 63 "
                    "letters, digits, '-', '_' or '.', starting and ending with a "
                    "letter or digit, with an optional 'prefix/'"
                )
            if value and (not LABEL_PART_RE.match(value) or len(value) > 63):
                raise _problem(
                    f"label value '{value}' of '{key}' is not a Hetzner label value: "
                    "use up to 63 letters, digits, '-', '_' or '.'"
                )
        return labels


def _rebuildable(error: dict) -> dict:
    """A caught pydantic error in the form ValidationError.from_exception_data takes."""
    if error["type"] == "souverain":
        error = {**error, "type": _problem(error["ctx"]["message"])}
        del error["ctx"]
    return error


def _cluster_problems(pools: Any) -> list[str]:
    """Problems of the pools taken together, read from the raw (unchecked) values."""
    if not isinstance(pools, dict):
        return []
    problems = []
    for name in pools:
        if not POOL_NAME_RE.match(name) or len(name) > 20:
            problems.append(
                f"pool name '{name}' is not usable: use up to 20 lowercase letters, "
                "digits and dashes, starting with a letter"
            )
    roles = [p.get("role") if isinstance(p, dict) else None for p in pools.values()]
    if any(role not in ("control-plane", "worker") for role in roles):
        return problems  # a pool's own role check reports it; a count would mislead
    control_plane = 0
    for pool in pools.values():
        if isinstance(pool, dict) and pool.get("role") == "control-plane":
            try:
                control_plane += int(pool.get("count", 0))
            except (TypeError, ValueError):
                return problems  # the pool's own count check reports it
    if control_plane == 0:
        problems.append(
            "has no control-plane server: add a pool with role: control-plane and "
            "count: 1 (or 3 for high availability)"
        )
    elif control_plane % 2 == 0:
        problems.append(
            f"has {control_plane} control-plane servers: etcd keeps quorum only with "
            "an odd number, use 1, 3 or 5"
        )
    return problems


def _similar_types(wanted: str, location: str, today: dt.date) -> str:
    """A few offered types closest in size to `wanted`, for an error message."""
    catalog = load_catalog()
    offered = [
        catalog.server_types[n] for n in catalog.types_offered_in(location, today)
    ]
    reference = catalog.server_types.get(wanted)
    if reference is not None:
        same_kind = [
            t
            for t in offered
            if (t.architecture, t.cpu_type)
            == (reference.architecture, reference.cpu_type)
        ]
        offered = same_kind or offered
        offered.sort(
            key=lambda t: (
                abs(t.cores - reference.cores) + abs(t.memory_gb - reference.memory_gb),
                t.name,
            )
        )
    names = [t.name for t in offered[:4]]
    return (
        f"use {one_of(names)} (every type: souverain catalog list "
        f"--location {location})"
    )


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
    """Object Storage buckets for assets and backups (issue #3)."""
    enable_bunny: bool = False
    """bunny.net DNS, CDN and WAF (issue #4)."""
    enable_registry: bool = False
    """Scaleway private container registry (issue #6)."""
    enable_email: bool = False
    """Scaleway transactional e-mail (issue #6)."""
    enable_cluster: bool = False
    """k3s and Rancher on the servers (issue #7)."""
    enable_apps: bool = False
    """The self-hosted tools on the cluster (issue #8)."""

    @field_validator("startup_name")
    @classmethod
    def _startup_name_valid(cls, value: str) -> str:
        if not (3 <= len(value) <= 30) or not NAME_RE.match(value) or "--" in value:
            raise _problem(
                f"'{value}' is not a usable name: use 3 to 30 lowercase letters, "
                "digits and single dashes, starting with a letter (e.g. acme)"
            )
        return value

    @field_validator("domain")
    @classmethod
    def _domain_valid(cls, value: str) -> str:
        labels = value.split(".")
        valid = (
            len(value) <= 253
            and len(labels) >= 2
            and all(
                DOMAIN_LABEL_RE.match(label) and len(label) <= 63 for label in labels
            )
            and labels[-1].isalpha()
        )
        if not valid:
            raise _problem(
                f"'{value}' is not a domain name: use a lowercase name such as "
                "acme.eu, without scheme, path or trailing dot"
            )
        return value

    @field_validator("location")
    @classmethod
    def _location_in_eu(cls, value: str) -> str:
        catalog = load_catalog()
        eu = one_of(catalog.eu_locations())
        if value not in catalog.locations:
            raise _problem(f"'{value}' is not a Hetzner location: use {eu}")
        if not catalog.locations[value].in_eu:
            raise _problem(f"'{value}' is outside the EU: use {eu}")
        return value

    @field_validator("network_cidr")
    @classmethod
    def _network_private(cls, value: str) -> str:
        try:
            network = ipaddress.ip_network(value)
        except ValueError:
            raise _problem(
                f"'{value}' is not an IPv4 range with no host bits set: use e.g. "
                "10.0.0.0/16"
            ) from None
        if network.version != 4 or not any(network.subnet_of(r) for r in RFC1918):
            raise _problem(
                f"'{value}' is not a private IPv4 range: Hetzner networks use "
                "10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, e.g. 10.0.0.0/16"
            )
        if not 8 <= network.prefixlen <= 22:
            raise _problem(
                f"'{value}' has prefix /{network.prefixlen}: use /8 to /22, so the "
                "nodes' subnet (the first half) holds at least 512 addresses"
            )
        for cluster_range in K3S_CLUSTER_CIDRS:
            if network.overlaps(cluster_range):
                raise _problem(
                    f"'{value}' overlaps {cluster_range}, which k3s uses for pods and "
                    "services: use e.g. 10.0.0.0/16"
                )
        return value

    @field_validator("node_pools", mode="wrap")
    @classmethod
    def _pools_form_a_cluster(cls, pools: Any, handler: Any) -> dict[str, NodePool]:
        # Wrapped so the cluster-wide checks run even when a single pool is invalid.
        line_errors = []
        try:
            validated = handler(pools)
        except ValidationError as err:
            line_errors = [_rebuildable(e) for e in err.errors(include_url=False)]
            validated = None
        for message in _cluster_problems(pools):
            line_errors.append({"type": _problem(message), "loc": (), "input": pools})
        if line_errors:
            raise ValidationError.from_exception_data("nodePools", line_errors)
        return validated

    @field_validator("ssh_public_keys")
    @classmethod
    def _ssh_keys_valid(cls, keys: dict[str, str]) -> dict[str, str]:
        if not keys:
            raise _problem(
                "is empty: add at least one key, e.g. "
                "admin: 'ssh-ed25519 AAAA... you@host'"
            )
        seen: dict[str, str] = {}
        for name, key in keys.items():
            parts = key.split()
            if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
                raise _problem(
                    f"key '{name}' is not an OpenSSH public key: paste one line of "
                    "~/.ssh/id_ed25519.pub, starting with ssh-ed25519"
                )
            if parts[1] in seen:
                raise _problem(
                    f"keys '{seen[parts[1]]}' and '{name}' are the same key: Hetzner "
                    "refuses duplicates, keep one"
                )
            seen[parts[1]] = name
        return keys

    @field_validator("allowed_ssh_cidrs", "allowed_kube_api_cidrs")
    @classmethod
    def _cidrs_valid(cls, cidrs: list[str], info: ValidationInfo) -> list[str]:
        for cidr in cidrs:
            try:
                ipaddress.ip_network(cidr)
            except ValueError:
                raise _problem(
                    f"'{cidr}' is not an IP range with no host bits set: use e.g. "
                    "203.0.113.7/32 for one address"
                ) from None
        if info.field_name == "allowed_kube_api_cidrs" and not cidrs:
            raise _problem(
                "is empty, so nobody could reach the Kubernetes API: add your "
                "office or VPN range, e.g. 203.0.113.7/32"
            )
        return cidrs

    @field_validator("load_balancer_type")
    @classmethod
    def _load_balancer_type_known(cls, value: str) -> str:
        if value not in LOAD_BALANCER_TYPES:
            raise _problem(
                f"'{value}' is not a Hetzner load balancer type: use "
                f"{one_of(LOAD_BALANCER_TYPES)}"
            )
        return value

    @field_validator(*UNBUILT_PARTS)
    @classmethod
    def _part_is_built(cls, enabled: bool, info: ValidationInfo) -> bool:
        if enabled:
            issue = UNBUILT_PARTS[info.field_name]
            raise _problem(
                f"asks for a part souverain does not deploy yet (issue #{issue}): "
                "set it to false"
            )
        return enabled

    @property
    def network_zone(self) -> str:
        """The Hetzner network zone of the stack's location."""
        return load_catalog().locations[self.location].network_zone


# Settings whose value is a list or a map: Pulumi hands them to the program as JSON.
STRUCTURED_KEYS = {
    to_camel(name)
    for name, field in StackConfig.model_fields.items()
    if getattr(field.annotation, "__origin__", None) in (list, dict)
}
KNOWN_KEYS = {to_camel(name) for name in StackConfig.model_fields}


def _closest_setting(loc: tuple) -> str | None:
    """The known setting an unknown key at `loc` was most likely meant to be."""
    model = StackConfig if len(loc) == 1 else NodePool
    known = sorted(to_camel(name) for name in model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return close[0] if close else None


def _describe(error: dict) -> str:
    """One readable line for one pydantic error, naming the field first."""
    loc = [str(part) for part in error["loc"]]
    field = ".".join(loc)
    kind, value = error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "souverain":
        return f"{field} {ctx['message']}"
    if kind == "missing":
        if len(loc) == 1:
            return (
                f"{field} is required: run `pulumi config set {NAMESPACE}:{field} "
                "<value>` or add it to the stack file"
            )
        parent = ".".join(loc[:-1])
        return f"{field} is required: add {loc[-1]} under {parent} in the stack file"
    if kind == "extra_forbidden":
        close = _closest_setting(error["loc"])
        hint = f"did you mean '{close}'?" if close else "remove it"
        return f"{field} is not a souverain setting: {hint}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{field} '{value}' is not a whole number: write e.g. 3"
    if kind in ("bool_parsing", "bool_type"):
        return f"{field} '{value}' is not true or false"
    if kind == "literal_error":
        return f"{field} '{value}' is not allowed: use {ctx.get('expected')}"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        word = "at least" if kind == "greater_than_equal" else "at most"
        return f"{field} is {value}: it must be {word} {bound}"
    if kind == "dict_type":
        return f"{field} must be a map of name: value, got {value!r}"
    if kind == "list_type":
        return f"{field} must be a list, got {value!r}"
    if kind == "string_type":
        return f"{field} must be text, got {value!r}"
    return f"{field} {error['msg']}"


def parse_stack_config(
    raw: dict[str, Any],
    today: dt.date | None = None,
    stack_file: str | None = None,
) -> StackConfig:
    """Check `raw` settings (camelCase keys, no namespace) and return the typed config.

    Raises ConfigError listing every problem found, never a pydantic traceback.
    """
    today = today or dt.date.today()
    problems = []
    values, unreadable = {}, set()
    for key, value in raw.items():
        if key in STRUCTURED_KEYS and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as err:
                problems.append(f"{key} is not a readable list or map: {err.msg}")
                unreadable.add(key)
                continue
        values[key] = value
    context = {"location": values.get("location", "fsn1"), "today": today}
    try:
        config = StackConfig.model_validate(values, context=context)
    except ValidationError as err:
        errors = err.errors(include_url=False)
        problems += [_describe(e) for e in _without_echoes(errors, unreadable)]
        raise ConfigError(problems, stack_file) from None
    if problems:
        raise ConfigError(problems, stack_file)
    return config


def _without_echoes(errors: list[dict], unreadable: set[str]) -> list[dict]:
    """Drop errors that only repeat another one.

    A misspelt key also makes the real key missing, and an unreadable JSON value makes
    its key missing: the user needs one line for each mistake, not two.
    """
    misspelt_targets = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            close = _closest_setting(error["loc"])
            if close:
                misspelt_targets.add((*error["loc"][:-1], close))
    return [
        error
        for error in errors
        if not (
            error["type"] == "missing"
            and (error["loc"] in misspelt_targets or error["loc"][0] in unreadable)
        )
    ]


def load_stack_config(today: dt.date | None = None) -> StackConfig:
    """Read the `souverain:` settings the Pulumi engine passed to this program."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    settings = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    raw = {k[len(prefix) :]: v for k, v in settings.items() if k.startswith(prefix)}
    stack_file = f"stacks/Pulumi.{pulumi.get_stack()}.yaml"
    return parse_stack_config(raw, today=today, stack_file=stack_file)
