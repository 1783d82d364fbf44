"""The rules a stack's settings must follow, as plain functions returning problems.

Each function takes raw values and returns `(where, message)` pairs, `where` being the
path inside the setting (a list index, a map key) and the message starting with the
offending value. `components/config.py` calls them from its validators; tests call
them directly.
"""

import base64
import binascii
import datetime as dt
import difflib
import ipaddress
import re
from typing import Any

from components.hetzner.catalog import load_catalog
from components.text import one_of

Problem = tuple[tuple[Any, ...], str]

# k3s' default pod and service ranges: a private network overlapping them would make
# node addresses and pod addresses ambiguous once the cluster runs.
K3S_CLUSTER_CIDRS = (
    ipaddress.ip_network("10.42.0.0/16"),
    ipaddress.ip_network("10.43.0.0/16"),
)
# Every Hetzner server's public interface routes through 172.31.1.1.
HETZNER_GATEWAY = ipaddress.ip_network("172.31.1.0/24")
RFC1918 = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
)
# Hetzner's firewall rules take at most 100 CIDR blocks each.
MAX_RULE_CIDRS = 100
# The most targets each load balancer type serves (Hetzner's load balancer types).
LOAD_BALANCER_TARGETS = {"lb11": 25, "lb21": 75, "lb31": 150}
MAX_CONTROL_PLANE = 7
OWN_LABEL_PREFIX = "souverain.eu/"
RESERVED_LABEL_PREFIXES = (OWN_LABEL_PREFIX, "hetzner.cloud/")
SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
POOL_NAME_RE = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
DOMAIN_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
LABEL_PART_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")
IMAGE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def startup_name_problem(value: str) -> str | None:
    """Why `value` cannot prefix resource names, if it cannot."""
    if 3 <= len(value) <= 30 and NAME_RE.match(value):
        return None
    return (
        f"'{value}' is not a usable name: use 3 to 30 lowercase letters, digits and "
        "single dashes, starting with a letter (e.g. acme)"
    )


def domain_problem(value: str) -> str | None:
    """Why `value` is not a domain name souverain can serve, if it is not."""
    labels = value.split(".")
    top = labels[-1]
    valid = (
        len(value) <= 253
        and len(labels) >= 2
        and all(DOMAIN_LABEL_RE.match(label) and len(label) <= 63 for label in labels)
        and (top.isalpha() or top.startswith("xn--"))
    )
    if valid:
        return None
    return (
        f"'{value}' is not a domain name: use a lowercase name such as acme.eu, "
        "without scheme, path or trailing dot (internationalised names in their "
        "xn-- form)"
    )


def location_problem(value: str) -> str | None:
    """Why servers cannot go to `value`, if they cannot."""
    catalog = load_catalog()
    eu = one_of(catalog.eu_locations())
    if value.lower() != value and value.lower() in catalog.locations:
        return f"'{value}' must be written in lowercase: use {value.lower()}"
    if value not in catalog.locations:
        return f"'{value}' is not a Hetzner location: use {eu}"
    if not catalog.locations[value].in_eu:
        return f"'{value}' is outside the EU: use {eu}"
    return None


def network_problem(value: str) -> str | None:
    """Why `value` cannot be the private network's range, if it cannot."""
    try:
        network = ipaddress.ip_network(value)
    except ValueError:
        return (
            f"'{value}' is not an IPv4 range with no host bits set: use e.g. "
            "10.0.0.0/16"
        )
    if network.version != 4 or not any(network.subnet_of(r) for r in RFC1918):
        return (
            f"'{value}' is not a private IPv4 range: Hetzner networks use "
            "10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, e.g. 10.0.0.0/16"
        )
    if not 8 <= network.prefixlen <= 22:
        return (
            f"'{value}' has prefix /{network.prefixlen}: use /8 to /22, so the nodes' "
            "subnet (the first half) holds at least 512 addresses"
        )
    for cluster_range in K3S_CLUSTER_CIDRS:
        if network.overlaps(cluster_range):
            return (
                f"'{value}' overlaps {cluster_range}, which k3s uses for pods and "
                "services: use e.g. 10.0.0.0/16"
            )
    if network.overlaps(HETZNER_GATEWAY):
        return (
            f"'{value}' overlaps {HETZNER_GATEWAY}, where every Hetzner server's "
            "public gateway 172.31.1.1 lives: use e.g. 10.0.0.0/16"
        )
    return None


def image_problem(value: str) -> str | None:
    """Why `value` is not a Hetzner image name, if it is not."""
    if IMAGE_RE.match(value):
        return None
    return f"'{value}' is not a Hetzner image name: use e.g. ubuntu-24.04 or debian-13"


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def cidr_problems(cidrs: list[str]) -> tuple[list[str], list[Problem]]:
    """The ranges in canonical form (as Hetzner stores them), and what is wrong.

    Canonical form matters: Hetzner answers `2001:db8::/48` for `2001:DB8:0::/48`, and
    an input that differs from the answer would show a change on every `pulumi up`.
    """
    canonical, problems, seen = [], [], {}
    for index, cidr in enumerate(cidrs):
        if "/" not in cidr and _is_address(cidr):
            single = "128" if ":" in cidr else "32"
            problems.append(
                ((index,), f"'{cidr}' has no prefix length: write {cidr}/{single}")
            )
            continue
        try:
            network = ipaddress.ip_network(cidr)
        except ValueError:
            problems.append(
                (
                    (index,),
                    f"'{cidr}' is not an IP range with no host bits set: use e.g. "
                    "203.0.113.7/32 for one address",
                )
            )
            continue
        if str(network) in seen:
            problems.append(
                (
                    (index,),
                    f"'{cidr}' repeats item {seen[str(network)]}: keep one",
                )
            )
            continue
        seen[str(network)] = index
        canonical.append(str(network))
    if len(cidrs) > MAX_RULE_CIDRS:
        problems.append(
            (
                (),
                f"has {len(cidrs)} ranges: a Hetzner firewall rule takes at most "
                f"{MAX_RULE_CIDRS}, merge neighbouring ranges",
            )
        )
    return canonical, problems


def _ssh_key_body_matches(key_type: str, body: str) -> bool:
    """True when the base64 body decodes to a key blob of the stated type."""
    try:
        blob = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return False
    name_length = int.from_bytes(blob[:4], "big")
    return blob[4 : 4 + name_length] == key_type.encode()


def ssh_key_problems(keys: dict[str, str]) -> list[Problem]:
    """What is wrong with each named OpenSSH public key."""
    if not keys:
        return [
            (
                (),
                "is empty: add at least one key, e.g. "
                "admin: 'ssh-ed25519 AAAA... you@host'",
            )
        ]
    problems, seen = [], {}
    for name, key in keys.items():
        if not POOL_NAME_RE.match(name) or len(name) > 30:
            problems.append(
                (
                    (name,),
                    f"key name '{name}' is not usable: use up to 30 lowercase letters, "
                    "digits and dashes, starting with a letter",
                )
            )
        parts = key.split()
        if parts and parts[0] == "ssh-dss":
            problems.append(
                ((name,), "is a DSA key, which OpenSSH no longer accepts: use ed25519")
            )
        elif len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
            problems.append(
                (
                    (name,),
                    "is not an OpenSSH public key: paste the one line of "
                    "~/.ssh/id_ed25519.pub, starting with ssh-ed25519",
                )
            )
        elif not _ssh_key_body_matches(parts[0], parts[1]):
            problems.append(
                (
                    (name,),
                    f"is damaged: its body does not decode to an {parts[0]} key, "
                    "copy the line again from the .pub file",
                )
            )
        elif parts[1] in seen:
            problems.append(
                (
                    (name,),
                    f"is the same key as '{seen[parts[1]]}': Hetzner refuses "
                    "duplicates, keep one",
                )
            )
        else:
            seen[parts[1]] = name
    return problems


def label_problems(labels: dict[str, str]) -> list[Problem]:
    """What is wrong with each Hetzner label, by the API's rules."""
    problems = []
    for key, value in labels.items():
        reserved = [p for p in RESERVED_LABEL_PREFIXES if key.startswith(p)]
        prefix, _, name = key.rpartition("/")
        prefix_ok = not prefix or (
            len(prefix) <= 253
            and all(DOMAIN_LABEL_RE.match(part) for part in prefix.split("."))
        )
        if reserved:
            problems.append(
                (
                    (key,),
                    f"uses the prefix {reserved[0]}, which is reserved: choose "
                    "another key",
                )
            )
        elif not (prefix_ok and LABEL_PART_RE.match(name) and len(name) <= 63):
            problems.append(
                (
                    (key,),
                    "is not a Hetzner label key: use up to 63 letters, digits, '-', "
                    "'_' or '.', starting and ending with a letter or digit, after an "
                    "optional lowercase domain and '/'",
                )
            )
        if value and (not LABEL_PART_RE.match(value) or len(value) > 63):
            problems.append(
                (
                    (key,),
                    f"value '{value}' is not a Hetzner label value: use up to 63 "
                    "letters, digits, '-', '_' or '.'",
                )
            )
    return problems


def similar_server_types(wanted: str, location: str, today: dt.date) -> str:
    """The fix for an unusable server type: the closest types offered instead."""
    catalog = load_catalog()
    offered = [
        catalog.server_types[n] for n in catalog.types_offered_in(location, today)
    ]
    reference = catalog.server_types.get(wanted.lower())
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
    else:
        names = difflib.get_close_matches(
            wanted.lower(), [t.name for t in offered], n=4, cutoff=0.5
        ) or [t.name for t in offered[:4]]
    listing = f"souverain catalog list --location {location}"
    return f"use {one_of(names)} (every type: {listing})"


def server_type_problem(value: str, location: str, today: dt.date) -> str | None:
    """Why a new server of type `value` cannot be created in `location` today."""
    catalog = load_catalog()
    server_type = catalog.server_types.get(value)
    if server_type is None and value.lower() in catalog.server_types:
        return f"'{value}' must be written in lowercase: use {value.lower()}"
    if server_type is None:
        return (
            f"'{value}' is not a Hetzner server type: "
            f"{similar_server_types(value, location, today)}"
        )
    retired_on = server_type.retired_in(location, today)
    if retired_on is not None:
        return (
            f"'{value}' was retired in {location} on {retired_on}: "
            f"{similar_server_types(value, location, today)}"
        )
    if not server_type.offered_in(location, today):
        return (
            f"'{value}' is not offered in {location}: "
            f"{similar_server_types(value, location, today)}"
        )
    return None


def _valid_count(pool: Any) -> int | None:
    """A pool's count when it is a whole number in range, else None."""
    count = pool.get("count") if isinstance(pool, dict) else None
    if isinstance(count, int) and not isinstance(count, bool) and 0 <= count <= 1000:
        return count
    return None


def cluster_problems(pools: Any, load_balancer_type: Any) -> list[Problem]:
    """Problems of the pools taken together, read from raw (unchecked) values.

    Each count check runs only when every pool's own role and count are valid: a
    misspelt count would otherwise also read as "no control-plane server".
    """
    if not isinstance(pools, dict):
        return []
    problems = []
    for name in pools:
        if not POOL_NAME_RE.match(str(name)) or len(str(name)) > 20:
            problems.append(
                (
                    (),
                    f"pool name '{name}' is not usable: use up to 20 lowercase "
                    "letters, digits and dashes, starting with a letter",
                )
            )
    roles = [p.get("role") if isinstance(p, dict) else None for p in pools.values()]
    counts = [_valid_count(pool) for pool in pools.values()]
    if any(r not in ("control-plane", "worker") for r in roles) or None in counts:
        return problems

    control_plane = sum(
        c for r, c in zip(roles, counts, strict=True) if r == "control-plane"
    )
    if control_plane == 0:
        problems.append(
            (
                (),
                "has no control-plane server: add a pool with role: control-plane "
                "and count: 1 (or 3 for high availability)",
            )
        )
    elif control_plane % 2 == 0 or control_plane > MAX_CONTROL_PLANE:
        problems.append(
            (
                (),
                f"has {control_plane} control-plane servers: etcd keeps quorum only "
                "with an odd number and slows down past 7, use 1, 3, 5 or 7",
            )
        )

    ingress = sum(
        count
        for pool, count in zip(pools.values(), counts, strict=True)
        if pool.get("ingress", pool.get("role") == "worker")
    )
    if ingress == 0:
        # Without ingress pools the control plane takes the web traffic.
        ingress = control_plane
    limit = LOAD_BALANCER_TARGETS.get(load_balancer_type)
    if limit is not None and ingress > limit:
        bigger = [t for t, n in LOAD_BALANCER_TARGETS.items() if n >= ingress]
        fix = f"use loadBalancerType {one_of(bigger)}" if bigger else ""
        fix = fix or "set ingress: false on the pools that need no web traffic"
        problems.append(
            (
                (),
                f"sends web traffic to {ingress} servers, more than the "
                f"{limit} targets of {load_balancer_type}: {fix}",
            )
        )
    return problems


# bunny.net's storage regions inside the EU; UK, NY, LA, SG, SYD, BR and JH are not.
EU_STORAGE_REGIONS = {"DE": "Falkenstein", "SE": "Stockholm"}


def storage_region_problem(value: str) -> str | None:
    """Why edge storage cannot be kept in `value`, if it cannot."""
    if value in EU_STORAGE_REGIONS:
        return None
    eu = one_of(list(EU_STORAGE_REGIONS))
    if value.upper() in EU_STORAGE_REGIONS:
        return f"'{value}' must be written in capitals: use {value.upper()}"
    return f"storage region '{value}' is outside the EU: use {eu}"


SCALEWAY_EU_REGIONS = ("fr-par", "nl-ams", "pl-waw")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Scaleway's registry namespace names: 4 to 54 lowercase letters, digits and dashes.
NAMESPACE_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def scaleway_region_problem(value: str) -> str | None:
    """Why Scaleway resources cannot go to `value`, if they cannot."""
    if value in SCALEWAY_EU_REGIONS:
        return None
    return f"'{value}' is not an EU Scaleway region: use {one_of(SCALEWAY_EU_REGIONS)}"


def project_id_problem(value: str) -> str | None:
    """Why `value` is not a Scaleway project ID, if it is not."""
    if UUID_RE.match(value):
        return None
    return (
        f"'{value}' is not a Scaleway project ID: copy the UUID from the Scaleway "
        "console (Project settings)"
    )


def namespace_problem(value: str) -> str | None:
    """Why `value` cannot name a registry namespace, if it cannot."""
    if 4 <= len(value) <= 54 and NAMESPACE_RE.match(value):
        return None
    return (
        f"'{value}' is not a usable namespace name: use 4 to 54 lowercase letters, "
        "digits and single dashes"
    )
