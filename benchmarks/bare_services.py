"""The bare program's services beyond the servers: buckets, bunny.net, Scaleway."""

from typing import Any

import pulumi
import pulumiverse_scaleway as scaleway

from components.bunny.dns import DnsRecord, DnsZone
from components.bunny.pull_zone import PullZone
from components.bunny.storage_zone import StorageZone
from components.hetzner.bucket import S3Bucket
from components.hetzner.bucket_provider import BucketProvider
from components.scaleway.registry import docker_config


def declare_bare_buckets(settings: dict[str, Any], startup: str, location: str) -> Any:
    """The two buckets as raw dynamic resources, inputs as souverain sends them."""
    # The offline plan stands in "[secret]" for keys a stack file does not hold.
    common = {
        "location": location,
        "endpoint": f"https://{location}.your-objectstorage.com",
        "access_key": pulumi.Output.secret("[secret]"),
        "secret_key": pulumi.Output.secret("[secret]"),
        "public_read": False,
        "force_destroy": False,
        "domain": None,
    }
    domain = settings["domain"]
    buckets = {
        "assets": {
            "versioning": False,
            "lifecycle_rules": [],
            "cors_rules": [
                {
                    "allowed_origins": [f"https://{domain}", f"https://www.{domain}"],
                    "allowed_methods": ["GET", "HEAD"],
                    "allowed_headers": [],
                    "max_age_seconds": 3600,
                }
            ],
        },
        "backups": {
            "versioning": True,
            "lifecycle_rules": [
                {
                    "id": "expire-replaced-versions",
                    "prefix": "",
                    "noncurrent_days": settings.get("backupRetentionDays", 30),
                }
            ],
            "cors_rules": [],
        },
    }
    declared = {
        role: S3Bucket(
            BucketProvider(),
            f"{startup}-{role}-bucket",
            {"bucket": f"{startup}-{role}", **common, **settings_of_bucket},
            pulumi.ResourceOptions(
                additional_secret_outputs=["access_key", "secret_key"]
            ),
        )
        for role, settings_of_bucket in buckets.items()
    }
    pulumi.export("objectStorageEndpoint", common["endpoint"])
    pulumi.export("assetsBucket", declared["assets"].bucket)
    pulumi.export("backupsBucket", declared["backups"].bucket)
    return declared


def declare_bare_scaleway(settings: dict[str, Any], startup: str, zone: Any) -> Any:
    """The Scaleway provider, registry and e-mail domain with its records, raw; the
    registry's Docker config, or None."""
    project = settings["scalewayProjectId"]
    region = settings.get("scalewayRegion", "fr-par")
    provider = scaleway.Provider(
        f"{startup}-scaleway",
        access_key=pulumi.Output.secret("[secret]"),
        secret_key=pulumi.Output.secret("[secret]"),
        project_id=project,
        region=region,
    )
    opts = pulumi.ResourceOptions(provider=provider)
    registry_config = None
    if settings.get("enableRegistry"):
        namespace = settings.get("registryNamespace", startup)
        registry = scaleway.registry.Namespace(
            f"{startup}-registry-namespace",
            name=namespace,
            region=region,
            project_id=project,
            is_public=False,
            opts=opts,
        )
        application = scaleway.iam.Application(
            f"{startup}-registry-pusher",
            name=f"{namespace}-registry",
            description="Pushes and pulls images of this project's registry only.",
            opts=opts,
        )
        scaleway.iam.Policy(
            f"{startup}-registry-push-pull",
            name=f"{namespace}-registry-push-pull",
            application_id=application.id,
            rules=[
                scaleway.iam.PolicyRuleArgs(
                    project_ids=[project],
                    permission_set_names=["ContainerRegistryFullAccess"],
                )
            ],
            opts=opts,
        )
        api_key = scaleway.iam.ApiKey(
            f"{startup}-registry-key",
            application_id=application.id,
            default_project_id=project,
            description="Registry push and pull for souverain",
            opts=pulumi.ResourceOptions(
                provider=provider, additional_secret_outputs=["secret_key"]
            ),
        )
        host = f"rg.{region}.scw.cloud"
        registry_config = pulumi.Output.secret(
            api_key.secret_key.apply(lambda secret: docker_config(host, secret))
        )
        pulumi.export("registryEndpoint", registry.name.apply(lambda n: f"{host}/{n}"))
        pulumi.export("registryDockerConfigJson", registry_config)
    if settings.get("enableEmail") and zone is not None:
        domain = scaleway.tem.Domain(
            f"{startup}-email-domain",
            name=settings["domain"],
            region=region,
            project_id=project,
            accept_tos=True,
            opts=opts,
        )
        key = pulumi.Output.secret("[secret]")
        api = settings.get("bunnyApiUrl", "https://api.bunny.net")
        records = {
            "spf": {"type": "TXT", "name": "", "value": domain.spf_value},
            "dkim": {
                "type": "TXT",
                "name": domain.dkim_name,
                "value": domain.dkim_config,
            },
            "dmarc": {
                "type": "TXT",
                "name": domain.dmarc_name,
                "value": domain.dmarc_config,
            },
        }
        for role, record in records.items():
            DnsRecord(f"{startup}-email-{role}", zone.zone_id, record, key, api)
        pulumi.export("smtpHost", domain.smtp_host)
        pulumi.export("smtpPort", 587)
    return registry_config


def declare_bare_edge(
    settings: dict[str, Any], startup: str, balancer: Any, assets: Any, tools: Any
) -> Any:
    """The bunny.net zone, pull zones, storage zone and records, as raw resources;
    each tool gets its A and AAAA records like app, api and rancher."""
    location = settings.get("location", "fsn1")
    domain = settings["domain"]
    key = pulumi.Output.secret("[secret]")
    api = settings.get("bunnyApiUrl", "https://api.bunny.net")
    zone = DnsZone(f"{startup}-zone", domain, key, api)
    site = PullZone(
        f"{startup}-site",
        f"{startup}-site",
        pulumi.Output.concat("https://", balancer.ipv4),
        key,
        api,
        hostnames=[domain, f"www.{domain}"],
        origin_host_header=domain,
    )
    StorageZone(
        f"{startup}-storage",
        f"{startup}-edge",
        settings.get("bunnyStorageRegion", "DE"),
        key,
        api,
        replication_regions=settings.get("bunnyStorageReplication", []),
    )
    apex = {"type": "PULLZONE", "value": site.cdn_hostname}
    records = [
        ("apex-pullzone", "", {**apex, "pull_zone_id": site.pull_zone_id}),
        ("www-cname", "www", {"type": "CNAME", "value": site.cdn_hostname}),
        ("apex-caa", "", {"type": "CAA", "value": "letsencrypt.org", "flags": 0}),
    ]
    records[2][2]["tag"] = "issue"
    for label in ("app", "api", "rancher", *tools):
        records.append((f"{label}-a", label, {"type": "A", "value": balancer.ipv4}))
        records.append(
            (f"{label}-aaaa", label, {"type": "AAAA", "value": balancer.ipv6})
        )
    if assets is not None:
        cdn = PullZone(
            f"{startup}-assets",
            f"{startup}-assets",
            pulumi.Output.concat("https://", assets.domain),
            key,
            api,
            hostnames=[f"assets.{domain}"],
            origin_host_header=assets.domain,
            optimizer_enabled=True,
            origin_signing=pulumi.Output.secret(
                {"access_key": "[secret]", "secret_key": "[secret]", "region": location}
            ),
        )
        records.append(
            ("assets-cname", "assets", {"type": "CNAME", "value": cdn.cdn_hostname})
        )
    for suffix, label, record in records:
        DnsRecord(
            f"{startup}-{suffix}", zone.zone_id, {"name": label, **record}, key, api
        )
    pulumi.export("nameservers", zone.nameservers)
    pulumi.export("cdnHostname", site.cdn_hostname)
    return zone
