"""An Object Storage bucket at Hetzner, managed through its S3 API."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from components.hetzner.bucket_provider import BucketProvider


class S3Bucket(pulumi.dynamic.Resource, module="s3", name="Bucket"):
    """The bucket itself: a dynamic resource served by BucketProvider."""

    bucket: pulumi.Output[str]
    domain: pulumi.Output[str]


@dataclass
class LifecycleRule:
    """Objects (or old versions) under a prefix expire after some days."""

    id: str
    """A name for the rule, unique in the bucket."""
    prefix: str = ""
    """Only objects whose key starts with this; empty for all."""
    expire_days: int | None = None
    """Delete current objects this many days after they were written."""
    noncurrent_days: int | None = None
    """Delete old versions this many days after they were replaced."""


@dataclass
class CorsRule:
    """Which web origins may use the bucket from a browser, and how."""

    allowed_origins: Sequence[str]
    """Origins such as https://acme.eu."""
    allowed_methods: Sequence[str] = ("GET", "HEAD")
    """HTTP methods browsers may use."""
    allowed_headers: Sequence[str] = ()
    """Request headers browsers may send."""
    max_age_seconds: int | None = 3600
    """How long browsers may cache the answer to a preflight request."""


@dataclass
class BucketArgs:
    """Inputs of a Bucket."""

    bucket_name: str
    """The bucket's name, unique across the Object Storage endpoint."""
    location: str
    """The Hetzner location, e.g. fsn1, used as the S3 region."""
    endpoint: str
    """The S3 endpoint, e.g. https://fsn1.your-objectstorage.com."""
    access_key: pulumi.Input[str]
    """S3 access key (kept secret in state)."""
    secret_key: pulumi.Input[str]
    """S3 secret key (kept secret in state)."""
    versioning: bool = False
    """Keep old versions of replaced and deleted objects."""
    lifecycle_rules: Sequence[LifecycleRule] = ()
    """Expiry of objects and old versions."""
    cors_rules: Sequence[CorsRule] = ()
    """Browser access from other origins."""
    public_read: bool = False
    """Let anyone read every object; only when asked for explicitly."""
    public_read_purpose: str | None = None
    """Why anyone may read it, e.g. "product photos behind the CDN": the mark that
    the sovereignty policy wants on a public bucket (docs/sovereignty.md)."""
    force_destroy: bool = False
    """Let `pulumi destroy` delete the bucket with every object in it."""


def _plain(rule: Any) -> dict[str, Any]:
    """A rule as the provider stores it: plain lists, unset fields left out."""
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in vars(rule).items()
        if value is not None
    }


class Bucket(pulumi.ComponentResource):
    """A private S3 bucket: versioning, lifecycle, CORS, and public read on request."""

    bucket_name: pulumi.Output[str]
    """The bucket's name."""
    domain: pulumi.Output[str]
    """The bucket's own host name, e.g. acme-assets.fsn1.your-objectstorage.com."""

    def __init__(
        self,
        name: str,
        args: BucketArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("souverain:hetzner:Bucket", name, None, opts)

        bucket = S3Bucket(
            BucketProvider(),
            f"{name}-bucket",
            {
                "bucket": args.bucket_name,
                "location": args.location,
                "endpoint": args.endpoint,
                "access_key": pulumi.Output.secret(args.access_key),
                "secret_key": pulumi.Output.secret(args.secret_key),
                "versioning": args.versioning,
                "lifecycle_rules": [_plain(r) for r in args.lifecycle_rules],
                "cors_rules": [_plain(r) for r in args.cors_rules],
                "public_read": args.public_read,
                "public_read_purpose": args.public_read_purpose,
                "force_destroy": args.force_destroy,
                "domain": None,
            },
            pulumi.ResourceOptions(
                parent=self,
                additional_secret_outputs=["access_key", "secret_key"],
            ),
        )
        if args.public_read:
            pulumi.log.warn(
                f"bucket {args.bucket_name} is readable by anyone (public_read): "
                f"{args.public_read_purpose or 'no purpose given'}",
                resource=self,
            )

        self.bucket_name = bucket.bucket
        self.domain = bucket.domain
        self.register_outputs({"bucket_name": self.bucket_name, "domain": self.domain})
