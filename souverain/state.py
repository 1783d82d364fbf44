"""`souverain state bootstrap`: the Pulumi state bucket in Europe, made and checked.

Pulumi keeps each stack's state as objects in one bucket. This command creates that
bucket at Hetzner Object Storage (versioned, so every earlier state can be restored),
proves the keys can write and delete there, and prints the `pulumi login` URL and the
secrets-provider commands to use with it.
"""

import os
import re
import uuid
from typing import Annotated
from urllib.parse import urlencode, urlsplit

import typer

from components.config_rules import location_problem
from components.errors import (
    CredentialsRejectedError,
    ObjectStorageError,
    SouverainError,
)
from components.hetzner.object_storage import (
    S3Access,
    bucket_name_problem,
    endpoint_for,
)
from souverain.console import reported_errors

# Old state versions are the way back from a bad `pulumi up`: keep them three months.
STATE_VERSION_DAYS = 90
SECRETS_PROVIDERS = ("passphrase", "openbao")
# The first Pulumi CLI whose s3 backend (gocloud.dev 0.46, AWS SDK v2) takes every
# parameter of the login URL; older ones refuse use_path_style and the checksum ones.
MIN_PULUMI_CLI = "3.245.0"
TRANSIT_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
KEYS_FIX = (
    "export the Object Storage keys as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
    "(the Pulumi CLI reads the same variables); make them in the Hetzner Console "
    "(your project > Security > S3 credentials)"
)

state_app = typer.Typer(
    help="The Pulumi state backend, kept in Europe.", no_args_is_help=True
)


def login_url(bucket: str, endpoint: str, region: str) -> str:
    """The `pulumi login` URL for a bucket on an S3-compatible store.

    The Pulumi CLI opens it with gocloud.dev's s3blob and the AWS SDK v2: the
    endpoint goes in whole, path-style addressing is asked for, and checksums are
    limited to those S3 requires, as for our own boto3 clients.
    """
    query = urlencode(
        {
            "endpoint": endpoint,
            "region": region,
            "use_path_style": "true",
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
        }
    )
    return f"s3://{bucket}?{query}"


def check_write_and_delete(access: S3Access, bucket: str) -> None:
    """Write, read back and delete a probe object, leaving no version behind."""
    client = access.client()
    key = f".souverain-probe-{uuid.uuid4().hex}"
    payload = b"souverain can write here"
    try:
        client.put_object(Bucket=bucket, Key=key, Body=payload)
        if client.get_object(Bucket=bucket, Key=key)["Body"].read() != payload:
            raise ObjectStorageError(
                f"bucket '{bucket}' returned other bytes than were written to {key}: "
                "check that the endpoint is Object Storage and not a proxy"
            )
        versions = client.list_object_versions(Bucket=bucket, Prefix=key)
        for entry in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
            client.delete_object(Bucket=bucket, Key=key, VersionId=entry["VersionId"])
    except ObjectStorageError:
        raise
    except Exception as err:
        raise ObjectStorageError(
            f"could not write and delete a probe object in bucket '{bucket}' "
            f"({type(err).__name__}: {err}): the keys need read, write and delete "
            "rights on it"
        ) from None


def secrets_instructions(provider: str, transit_key: str) -> list[str]:
    """How to create stacks whose secrets stay encrypted with `provider`."""
    if provider == "openbao":
        return [
            "Encrypt stack secrets with OpenBao's transit engine (key "
            f"'{transit_key}'; run `bao secrets enable transit` and `bao write -f "
            f"transit/keys/{transit_key}` once):",
            "  export VAULT_ADDR=https://<your OpenBao> VAULT_TOKEN=<token>",
            "  pulumi stack init <stack> --secrets-provider "
            f"'hashivault://{transit_key}'",
        ]
    return [
        "Encrypt stack secrets with a passphrase (keep it in your team's password "
        "manager):",
        "  export PULUMI_CONFIG_PASSPHRASE=<passphrase>",
        "  pulumi stack init <stack> --secrets-provider passphrase",
    ]


def option_problems(
    bucket: str, location: str, endpoint: str | None, provider: str, transit_key: str
) -> list[str]:
    """Everything wrong with the command's options, found before any request."""
    problems = [location_problem(location), bucket_name_problem(bucket)]
    if endpoint is not None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(
                f"endpoint '{endpoint}' is not a URL: write it with its scheme, e.g. "
                "https://fsn1.your-objectstorage.com"
            )
        elif parts.query or parts.fragment or parts.path.strip("/"):
            problems.append(
                f"endpoint '{endpoint}' has a path or query: give only scheme, host "
                "and port"
            )
    if provider not in SECRETS_PROVIDERS:
        problems.append(f"secrets provider '{provider}' is not passphrase or openbao")
    if not TRANSIT_KEY_RE.match(transit_key):
        problems.append(
            f"transit key '{transit_key}' is not usable: use lowercase letters, "
            "digits, '-' and '_'"
        )
    return [problem for problem in problems if problem]


def bootstrap_state_bucket(
    bucket: str, location: str, endpoint: str, access_key: str, secret_key: str
) -> None:
    """Create (or adopt) the versioned state bucket and prove it can be written."""
    # Imported here: Pulumi's SDK, which the provider module needs, is slow to import.
    from components.hetzner.bucket_provider import BucketProvider

    access = S3Access(endpoint, location, access_key, secret_key)
    BucketProvider().create(
        {
            "bucket": bucket,
            "location": location,
            "endpoint": endpoint,
            "access_key": access_key,
            "secret_key": secret_key,
            "versioning": True,
            "lifecycle_rules": [
                {
                    "id": "expire-old-state",
                    "prefix": "",
                    "noncurrent_days": STATE_VERSION_DAYS,
                }
            ],
            "cors_rules": [],
            "public_read": False,
            "force_destroy": False,
        }
    )
    check_write_and_delete(access, bucket)


@state_app.command()
def bootstrap(
    bucket: Annotated[str, typer.Option(help="Name of the state bucket to create.")],
    location: Annotated[
        str, typer.Option(help="Hetzner location of the bucket: fsn1, nbg1 or hel1.")
    ] = "fsn1",
    endpoint: Annotated[
        str | None,
        typer.Option(
            help="S3 endpoint (default: https://<location>.your-objectstorage.com)."
        ),
    ] = None,
    secrets_provider: Annotated[
        str, typer.Option(help="passphrase (default) or openbao.")
    ] = "passphrase",
    transit_key: Annotated[
        str,
        typer.Option(help="OpenBao transit key name, with --secrets-provider openbao."),
    ] = "souverain",
) -> None:
    """Create the Pulumi state bucket, check it, and print how to log in to it."""
    with reported_errors():
        problems = option_problems(
            bucket, location, endpoint, secrets_provider, transit_key
        )
        if problems:
            raise SouverainError("; ".join(problems))
        access_key = os.environ.get("AWS_ACCESS_KEY_ID", "")
        secret_key = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        if not access_key or not secret_key:
            raise SouverainError(
                f"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set: "
                f"{KEYS_FIX}"
            )
        endpoint = (endpoint or endpoint_for(location)).rstrip("/")

        try:
            bootstrap_state_bucket(bucket, location, endpoint, access_key, secret_key)
        except CredentialsRejectedError:
            raise SouverainError(
                f"Object Storage at {endpoint} refused the keys in AWS_ACCESS_KEY_ID "
                f"and AWS_SECRET_ACCESS_KEY: {KEYS_FIX}"
            ) from None

        lines = [
            f"State bucket '{bucket}' is ready at {endpoint} (region {location}): "
            f"versioned, old states kept {STATE_VERSION_DAYS} days, write and delete "
            "checked.",
            "",
            "Log the Pulumi CLI in to it (Pulumi CLI "
            f"{MIN_PULUMI_CLI} or later), with the same AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY exported:",
            f"  pulumi login '{login_url(bucket, endpoint, location)}'",
            "",
            *secrets_instructions(secrets_provider, transit_key),
        ]
        typer.echo("\n".join(lines))
