"""bunny.net pull zones, the CDN in front of an origin, as a Pulumi dynamic resource.

A pull zone answers on `<name>.b-cdn.net` and on the custom hostnames listed here,
each with a free certificate. bunny.net rewrites some values it is given (an origin
URL's default port or trailing slash, a hostname's case), so `normalized` brings what
a user wrote and what the API answers to one form: a second `pulumi up` shows no
change. As with DNS zones, the provider holds nothing; each method builds a
BunnyClient from the properties.
"""

import contextlib
import re
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi.dynamic
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from components.bunny.client import (
    CONNECTION,
    BunnyApiError,
    BunnyClient,
    BunnyNotFoundError,
    client_for,
)
from components.bunny.unknowns import unknown_keys

# The spec sets no rule beyond a non-empty name; the name becomes a DNS label of
# b-cdn.net, so souverain holds it to one.
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,58}[a-z0-9]")
LABEL_PATTERN = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
BUNNY_DOMAIN = "b-cdn.net"
DEFAULT_PORTS = {"http": 80, "https": 443}
# The spec's ShieldDDosProtectionType enum.
DDOS_PROTECTION_TYPES = (0, 1, 2)
# What a zone gets for each setting the user leaves out: SSL forced, caching as the
# origin says (-1), DDoS protection on in bunny.net's standard active mode.
DEFAULTS: dict[str, Any] = {
    "origin_host_header": None,
    "hostnames": [],
    "force_ssl": True,
    "cache_max_age_seconds": -1,
    "optimizer_enabled": False,
    "waf": {"ddos_protection_enabled": True, "ddos_protection_type": 1},
    # S3 keys to sign origin requests with (a private bucket as origin), or None.
    "origin_signing": None,
}
MANAGED = ("origin_url", *DEFAULTS)


def normalized_origin_url(url: str) -> str:
    """`url` without what bunny.net may add or drop: its scheme's default port, a
    trailing slash, upper case in the scheme and host."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{netloc}{path}{query}"


def normalized_hostname(hostname: str) -> str:
    """A hostname as DNS compares them: lower case, no final dot."""
    return hostname.strip().lower().rstrip(".")


def normalized(props: dict[str, Any]) -> dict[str, Any]:
    """The managed settings of a pull zone in one comparable form, defaults filled."""
    props = {**DEFAULTS, **{k: v for k, v in props.items() if v is not None}}
    waf = {k: v for k, v in (props["waf"] or {}).items() if v is not None}
    waf = {**DEFAULTS["waf"], **waf}
    return {
        "origin_url": normalized_origin_url(str(props.get("origin_url") or "")),
        # bunny.net answers an unset header as "" or null.
        "origin_host_header": normalized_hostname(props["origin_host_header"] or "")
        or None,
        "hostnames": sorted({normalized_hostname(h) for h in props["hostnames"]}),
        "force_ssl": bool(props["force_ssl"]),
        "cache_max_age_seconds": int(props["cache_max_age_seconds"]),
        "optimizer_enabled": bool(props["optimizer_enabled"]),
        "waf": {
            "ddos_protection_enabled": bool(waf["ddos_protection_enabled"]),
            "ddos_protection_type": int(waf["ddos_protection_type"]),
        },
        "origin_signing": _signing_shown(props["origin_signing"]),
    }


def _signing_shown(signing: dict[str, Any] | None) -> dict[str, str] | None:
    """The comparable part of origin signing: the key id and region, never the secret
    (bunny.net's answer need not carry it; a new secret is seen in `diff`)."""
    if not signing or not signing.get("access_key"):
        return None
    return {"access_key": signing["access_key"], "region": signing.get("region", "")}


def _whole(value: Any) -> int | None:
    """`value` as an int when it is a whole number; Pulumi sends numbers as floats."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else None


def _hostname_problem(hostname: str) -> str | None:
    labels = hostname.split(".")
    if (
        len(hostname) > 253
        or len(labels) < 2
        or labels[-1].isdigit()
        or not all(LABEL_PATTERN.fullmatch(label) for label in labels)
    ):
        return f"'{hostname}' is not a valid DNS hostname"
    if hostname == BUNNY_DOMAIN or hostname.endswith(f".{BUNNY_DOMAIN}"):
        return (
            f"'{hostname}' is bunny.net's own: the pull zone answers on "
            f"<name>.{BUNNY_DOMAIN} by itself, list only your own domains"
        )
    return None


def problems(props: dict[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) for everything wrong with a pull zone's inputs."""
    found = []
    name = props.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        found.append(
            (
                "name",
                f"pull zone name '{name}' must be 3 to 60 lowercase letters, digits "
                "and dashes, starting and ending with a letter or digit",
            )
        )
    url = props.get("origin_url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        found.append(
            (
                "origin_url",
                f"origin_url '{url}' must be an http:// or https:// URL with a host, "
                "as in https://app.acme.eu",
            )
        )

    hostnames = props.get("hostnames") or []
    if not isinstance(hostnames, list | tuple):
        found.append(("hostnames", "hostnames is a list of DNS names"))
        hostnames = []
    reasons, seen = [], set()
    for hostname in (normalized_hostname(str(h)) for h in hostnames):
        if hostname in seen:
            reasons.append(f"'{hostname}' is listed twice")
        seen.add(hostname)
        reasons.append(_hostname_problem(hostname))
    if any(reasons):
        found.append(("hostnames", "; ".join(r for r in reasons if r)))

    for flag in ("force_ssl", "optimizer_enabled"):
        if not isinstance(props.get(flag, DEFAULTS[flag]), bool):
            found.append((flag, f"{flag} is true or false"))
    max_age = _whole(props.get("cache_max_age_seconds", -1))
    if max_age is None or max_age < -1:
        found.append(
            (
                "cache_max_age_seconds",
                "cache_max_age_seconds is -1 (follow the origin) or a whole number "
                "of seconds from 0",
            )
        )
    waf = props.get("waf") or {}
    if (
        not isinstance(waf, dict)
        or set(waf) - set(DEFAULTS["waf"])
        or not isinstance(waf.get("ddos_protection_enabled", True), bool)
        or _whole(waf.get("ddos_protection_type", 1)) not in DDOS_PROTECTION_TYPES
    ):
        found.append(
            (
                "waf",
                "waf takes ddos_protection_enabled (true or false) and "
                "ddos_protection_type (0 detect only, 1 active standard, 2 active "
                "aggressive)",
            )
        )
    return found


def settings_body(props: dict[str, Any]) -> dict[str, Any]:
    """The body of bunny.net's update pull zone call for the managed settings."""
    clean = normalized(props)
    return {
        "OriginUrl": clean["origin_url"],
        # An empty header sends the origin's own host, and clears one set by hand.
        "OriginHostHeader": clean["origin_host_header"] or "",
        "CacheControlMaxAgeOverride": clean["cache_max_age_seconds"],
        "OptimizerEnabled": clean["optimizer_enabled"],
        "ShieldDDosProtectionEnabled": clean["waf"]["ddos_protection_enabled"],
        "ShieldDDosProtectionType": clean["waf"]["ddos_protection_type"],
        **_signing_body(props.get("origin_signing")),
    }


def _signing_body(signing: dict[str, Any] | None) -> dict[str, Any]:
    """bunny.net's AWS-signing fields: origin requests signed with SigV4, as a
    private S3-compatible bucket (Hetzner Object Storage) requires."""
    if not _signing_shown(signing):
        return {"AWSSigningEnabled": False}
    return {
        "AWSSigningEnabled": True,
        "AWSSigningKey": signing["access_key"],
        "AWSSigningSecret": signing["secret_key"],
        "AWSSigningRegionName": signing["region"],
    }


def _custom_hostnames(zone: dict[str, Any]) -> list[dict[str, Any]]:
    return [h for h in zone.get("Hostnames") or [] if not h.get("IsSystemHostname")]


def from_api(zone: dict[str, Any], force_ssl: bool) -> dict[str, Any]:
    """A pull zone from bunny.net's answer, in souverain's shape.

    Force SSL is set per hostname: it reads as on when every custom hostname has it,
    and as `force_ssl` (what was asked) when there is no custom hostname to show it.
    """
    custom = _custom_hostnames(zone)
    if custom:
        force_ssl = all(h.get("ForceSSL") for h in custom)
    return normalized(
        {
            "origin_url": zone.get("OriginUrl"),
            "origin_host_header": zone.get("OriginHostHeader"),
            "hostnames": [h["Value"] for h in custom],
            "force_ssl": force_ssl,
            "cache_max_age_seconds": zone.get("CacheControlMaxAgeOverride"),
            "optimizer_enabled": zone.get("OptimizerEnabled"),
            "waf": {
                "ddos_protection_enabled": zone.get("ShieldDDosProtectionEnabled"),
                "ddos_protection_type": zone.get("ShieldDDosProtectionType"),
            },
            "origin_signing": {
                "access_key": zone.get("AWSSigningKey"),
                "region": zone.get("AWSSigningRegionName") or "",
            }
            if zone.get("AWSSigningEnabled")
            else None,
        }
    )


class PullZoneProvider(ResourceProvider):
    """A pull zone: its name defines it, everything else updates in place."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        pending = unknown_keys(news)
        failures = [
            CheckFailure(prop, reason)
            for prop, reason in problems(news)
            if prop not in pending
        ]
        if failures or pending:
            return CheckResult(news, failures)
        clean = {k: v for k, v in normalized(news).items() if k != "origin_signing"}
        return CheckResult({**news, **clean}, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = ["name"] if olds.get("name") != news.get("name") else []
        if unknown_keys(news):
            # Known only after the apply (e.g. a new load balancer's address).
            return DiffResult(
                changes=True, replaces=replaces, delete_before_replace=True
            )
        old, new = normalized(olds), normalized(news)
        changed = [key for key in MANAGED if old[key] != new[key]]
        changed += [key for key in CONNECTION if olds.get(key) != news.get(key)]
        if olds.get("origin_signing") != news.get("origin_signing"):
            changed.append("origin_signing")  # e.g. a rotated secret
        # A hostname still waiting for its certificate: each `pulumi up` asks again.
        changed += ["hostnames"] if olds.get("certificates_pending") else []
        return DiffResult(
            changes=bool(replaces or changed),
            replaces=replaces,
            # A custom hostname belongs to one pull zone at a time: the old zone must
            # let go of it before the new one can take it.
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = client_for(props)
        clean = normalized(props)
        zone = client.post(
            "/pullzone", {"Name": props["name"], "OriginUrl": clean["origin_url"]}
        )
        zone_id = zone["Id"]
        try:
            for hostname in clean["hostnames"]:
                client.post(f"/pullzone/{zone_id}/addHostname", {"Hostname": hostname})
                _load_certificate(client, hostname, zone)
                _set_force_ssl(client, zone_id, hostname, clean["force_ssl"])
            zone = client.post(f"/pullzone/{zone_id}", settings_body(props))
        except BunnyApiError:
            # Pulumi keeps nothing of a failed create: a zone left behind would be
            # lost to the stack yet hold its name, so take it down first.
            with contextlib.suppress(BunnyApiError):
                client.delete(f"/pullzone/{zone_id}")
            raise
        return CreateResult(str(zone_id), _outputs(props, zone))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            zone = client_for(props).get(f"/pullzone/{id_}")
        except BunnyNotFoundError:
            return ReadResult("", {})
        return ReadResult(id_, _outputs(props, zone))

    def update(
        self, id_: str, _olds: dict[str, Any], news: dict[str, Any]
    ) -> UpdateResult:
        # Hostnames are compared with the zone as it is now, not with the state, so
        # that changes made by hand are undone too.
        client = client_for(news)
        clean = normalized(news)
        zone = client.get(f"/pullzone/{id_}")
        present = {normalized_hostname(h["Value"]): h for h in _custom_hostnames(zone)}
        for hostname, answer in present.items():
            if hostname not in clean["hostnames"]:
                body = {"Hostname": answer["Value"]}
                client.delete(f"/pullzone/{id_}/removeHostname", body=body)
        for hostname in clean["hostnames"]:
            answer = present.get(hostname)
            if answer is None:
                client.post(f"/pullzone/{id_}/addHostname", {"Hostname": hostname})
            if answer is None or not answer.get("HasCertificate"):
                _load_certificate(client, hostname, zone)
            if answer is None or answer.get("ForceSSL") != clean["force_ssl"]:
                _set_force_ssl(client, id_, hostname, clean["force_ssl"])
        zone = client.post(f"/pullzone/{id_}", settings_body(news))
        return UpdateResult(_outputs(news, zone))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            client_for(props).delete(f"/pullzone/{id_}")
        except BunnyNotFoundError:
            pass  # already gone


def _load_certificate(client: BunnyClient, hostname: str, zone: dict) -> None:
    """Ask for a free certificate; bunny.net refuses (400) until the hostname's DNS
    points at the zone, which often comes after the zone, so that only warns."""
    try:
        client.get("/pullzone/loadFreeCertificate", {"hostname": hostname})
    except BunnyApiError as err:
        if err.status != 400:
            raise
        pulumi.log.warn(
            f"no certificate yet for {hostname} ({err.message}): point its CNAME at "
            f"{zone.get('CnameDomain')}, then run `pulumi up` again"
        )


def _set_force_ssl(client: BunnyClient, zone_id, hostname: str, on: bool) -> None:
    body = {"Hostname": hostname, "ForceSSL": on}
    client.post(f"/pullzone/{zone_id}/setForceSSL", body)


def _outputs(props: dict[str, Any], zone: dict[str, Any]) -> dict[str, Any]:
    force_ssl = normalized(props)["force_ssl"]
    hostnames = zone.get("Hostnames") or []
    system = [h["Value"] for h in hostnames if h.get("IsSystemHostname")]
    live = from_api(zone, force_ssl)
    # The answer shows the signing key and region, not the secret: while they match,
    # the state keeps the keys as written, so a rotated secret still shows in diff.
    signing = props.get("origin_signing")
    if live["origin_signing"] == _signing_shown(signing):
        live["origin_signing"] = signing
    return {
        **props,
        **live,
        "name": zone.get("Name") or props["name"],
        "pull_zone_id": int(zone["Id"]),
        # As bunny.net lists it: the name custom hostnames' CNAMEs point at.
        "cdn_hostname": next(
            (h for h in system if h.endswith(f".{BUNNY_DOMAIN}")), None
        ),
        "certificates_pending": sorted(
            normalized_hostname(h["Value"])
            for h in _custom_hostnames(zone)
            if not h.get("HasCertificate")
        ),
    }


class PullZone(pulumi.dynamic.Resource, module="bunny", name="PullZone"):
    """A bunny.net pull zone serving `origin_url` on its b-cdn.net name and on
    `hostnames`, each with a free certificate."""

    pull_zone_id: pulumi.Output[int]
    cdn_hostname: pulumi.Output[str]
    certificates_pending: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        zone_name: str,
        origin_url: pulumi.Input[str],
        access_key: pulumi.Input[str],
        api_url: str,
        *,
        hostnames: list[str] | None = None,
        origin_host_header: str | None = None,
        force_ssl: bool = True,
        cache_max_age_seconds: int = -1,
        optimizer_enabled: bool = False,
        waf: dict[str, Any] | None = None,
        origin_signing: pulumi.Input[dict[str, str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(
            PullZoneProvider(),
            name,
            {
                "name": zone_name,
                "origin_url": origin_url,
                "origin_host_header": origin_host_header,
                "hostnames": list(hostnames or []),
                "force_ssl": force_ssl,
                "cache_max_age_seconds": cache_max_age_seconds,
                "optimizer_enabled": optimizer_enabled,
                "waf": {**DEFAULTS["waf"], **(waf or {})},
                "origin_signing": pulumi.Output.secret(origin_signing)
                if origin_signing is not None
                else None,
                "access_key": pulumi.Output.secret(access_key),
                "api_url": api_url,
                "pull_zone_id": None,
                "cdn_hostname": None,
                "certificates_pending": None,
            },
            pulumi.ResourceOptions.merge(
                opts,
                pulumi.ResourceOptions(
                    additional_secret_outputs=["access_key", "origin_signing"]
                ),
            ),
        )
