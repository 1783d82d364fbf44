"""The startup's edge at bunny.net: its DNS zone, CDN pull zones and edge storage."""

from dataclasses import dataclass, field

import pulumi

from components.bunny.dns import DnsRecord, DnsZone
from components.bunny.pull_zone import PullZone
from components.bunny.storage_zone import StorageZone

# Names that reach the load balancer directly: the app, its API, and Rancher.
DIRECT_NAMES = ("app", "api", "rancher")
# Only Let's Encrypt may issue certificates for the domain (cert-manager uses it).
CAA_ISSUER = "letsencrypt.org"


@dataclass
class BunnyEdgeArgs:
    """Inputs of BunnyEdge."""

    startup: str
    """The startup name, prefix of pull and storage zone names."""
    domain: str
    """The domain whose zone bunny.net serves."""
    balancer_ipv4: pulumi.Input[str]
    """The Hetzner load balancer's public IPv4."""
    balancer_ipv6: pulumi.Input[str]
    """The Hetzner load balancer's public IPv6."""
    assets_domain: pulumi.Input[str] | None
    """The assets bucket's own host name, when the stack has buckets."""
    assets_signing: pulumi.Input[dict[str, str]] | None
    """S3 keys and region the CDN signs its requests to a private assets bucket with;
    None when the bucket is public."""
    storage_region: str
    """Main region of the edge storage zone (DE or SE)."""
    storage_replication: list[str]
    """Further EU regions of the edge storage zone."""
    access_key: pulumi.Input[str]
    """The bunny.net API key (kept secret)."""
    api_url: str
    """bunny.net's Core API URL."""
    extra_direct_names: list[str] = field(default_factory=list)
    """Further labels that point at the load balancer, e.g. the self-hosted tools'
    (umami for umami.<domain>)."""


def direct_names(extra: list[str]) -> list[str]:
    """The labels with A and AAAA records at the load balancer: the app, its API,
    Rancher, then `extra` in the order given, each once."""
    return list(dict.fromkeys([*DIRECT_NAMES, *extra]))


def record_name(label: str, record_type: str) -> str:
    """A record's stable resource-name suffix, e.g. apex-caa or www-cname."""
    return f"{label or 'apex'}-{record_type.lower()}"


class BunnyEdge(pulumi.ComponentResource):
    """The zone, a pull zone for the site (apex and www) and one for the assets.

    The site's pull zone pulls from the load balancer with the domain as host header,
    so TLS on the nodes answers as for any visitor; app, api and rancher bypass the
    CDN and point at the load balancer, as do the extra names asked for.
    """

    nameservers: pulumi.Output[list[str]]
    """The name servers to set at the domain's registrar."""
    zone_id: pulumi.Output[int]
    """The DNS zone's id, for records other parts add (e-mail)."""
    cdn_hostname: pulumi.Output[str]
    """The site pull zone's own host name (<name>.b-cdn.net)."""

    def __init__(
        self,
        name: str,
        args: BunnyEdgeArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("souverain:bunny:BunnyEdge", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        connection = {"access_key": args.access_key, "api_url": args.api_url}

        zone = DnsZone(f"{name}-zone", args.domain, opts=child, **connection)
        site = PullZone(
            f"{name}-site",
            f"{args.startup}-site",
            pulumi.Output.concat("https://", args.balancer_ipv4),
            hostnames=[args.domain, f"www.{args.domain}"],
            origin_host_header=args.domain,
            opts=child,
            **connection,
        )
        StorageZone(
            f"{name}-storage",
            f"{args.startup}-edge",
            args.storage_region,
            replication_regions=args.storage_replication,
            opts=child,
            **connection,
        )

        records = [
            (
                "",
                {
                    "type": "PULLZONE",
                    "value": site.cdn_hostname,
                    "pull_zone_id": site.pull_zone_id,
                },
            ),
            ("www", {"type": "CNAME", "value": site.cdn_hostname}),
            ("", {"type": "CAA", "value": CAA_ISSUER, "flags": 0, "tag": "issue"}),
        ]
        for label in direct_names(args.extra_direct_names):
            records.append((label, {"type": "A", "value": args.balancer_ipv4}))
            records.append((label, {"type": "AAAA", "value": args.balancer_ipv6}))

        if args.assets_domain is not None:
            assets = PullZone(
                f"{name}-assets",
                f"{args.startup}-assets",
                pulumi.Output.concat("https://", args.assets_domain),
                hostnames=[f"assets.{args.domain}"],
                origin_host_header=args.assets_domain,
                optimizer_enabled=True,
                origin_signing=args.assets_signing,
                opts=child,
                **connection,
            )
            records.append(("assets", {"type": "CNAME", "value": assets.cdn_hostname}))

        for label, record in records:
            DnsRecord(
                f"{name}-{record_name(label, record['type'])}",
                zone.zone_id,
                {"name": label, **record},
                opts=child,
                **connection,
            )

        self.nameservers = zone.nameservers
        self.cdn_hostname = site.cdn_hostname
        self.zone_id = zone.zone_id
        self.register_outputs(
            {
                "nameservers": self.nameservers,
                "cdn_hostname": self.cdn_hostname,
                "zone_id": self.zone_id,
            }
        )
