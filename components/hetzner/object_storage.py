"""S3 clients for Hetzner Object Storage, which has an S3 API but no Cloud API.

Buckets exist only behind `https://<location>.your-objectstorage.com`. The client is
set up for an S3-compatible store rather than AWS: explicit endpoint and region,
path-style addresses, SigV4, and checksums only where the S3 API requires them (boto3
adds CRC headers to every upload by default since 1.36, which stores other than AWS
may refuse).
"""

import re
from dataclasses import dataclass
from typing import Any

# botocore's "standard" retry mode backs off exponentially with jitter on 5xx,
# throttling (SlowDown, 503) and connection errors.
RETRY_ATTEMPTS = 5
CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 60
BUCKET_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
IP_LIKE_RE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


def endpoint_for(location: str) -> str:
    """The Object Storage endpoint of a Hetzner location, e.g. fsn1."""
    return f"https://{location}.your-objectstorage.com"


def host_of(endpoint: str) -> str:
    """The host (and port) of an endpoint URL, as the Pulumi CLI's s3 URL wants it."""
    return endpoint.split("://", 1)[-1].rstrip("/")


def bucket_name_problem(name: Any) -> str | None:
    """Why `name` cannot name an S3 bucket, if it cannot."""
    if not isinstance(name, str) or not BUCKET_NAME_RE.match(name):
        return (
            f"bucket name '{name}' is not valid: use 3 to 63 lowercase letters, "
            "digits, dots and dashes, starting and ending with a letter or digit"
        )
    if ".." in name or IP_LIKE_RE.match(name):
        return f"bucket name '{name}' is not valid: no '..' and no IP-address form"
    return None


@dataclass(frozen=True)
class S3Access:
    """Where a bucket lives and the keys that reach it. Never kept beyond one call."""

    endpoint: str
    region: str
    access_key: str
    secret_key: str

    def client(self):
        """A boto3 S3 client for this endpoint (built anew for each use)."""
        # Imported here: boto3 takes a third of a second to import, which commands
        # that never reach Object Storage should not pay.
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"mode": "standard", "total_max_attempts": RETRY_ATTEMPTS},
                connect_timeout=CONNECT_TIMEOUT_S,
                read_timeout=READ_TIMEOUT_S,
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
