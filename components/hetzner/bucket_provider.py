"""The Pulumi dynamic provider behind Bucket: create, read, diff, update and delete.

The engine pickles this provider into the stack's state, so it holds nothing: every
method builds its S3 client from the properties it is handed (endpoint, region and
keys), and forgets it on return.
"""

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from components.errors import ObjectStorageError
from components.hetzner import bucket_settings
from components.hetzner.object_storage import S3Access, bucket_name_problem, host_of

logger = logging.getLogger(__name__)

# Changing any of these means another bucket: S3 cannot rename or move one.
REPLACE_ON = ("bucket", "location", "endpoint")
CREDENTIAL_ERRORS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "InvalidSecurity",
}
NOT_FOUND = {"NoSuchBucket", "404", "NotFound"}


def _code(err: ClientError) -> str:
    return err.response.get("Error", {}).get("Code", "")


def _explained(err: Exception, access: S3Access, bucket: str) -> ObjectStorageError:
    """A ClientError (or transport error) as one sentence with the fix."""
    where = f"Object Storage at {access.endpoint}"
    if isinstance(err, ClientError) and _code(err) in CREDENTIAL_ERRORS:
        return ObjectStorageError(
            f"{where} refused the S3 keys ({_code(err)}) for bucket '{bucket}': "
            "create S3 credentials in the Hetzner Console (your project > Security > "
            "S3 credentials) and set them with `pulumi config set --secret "
            "souverain:s3AccessKey …` and `… souverain:s3SecretKey …`"
        )
    if isinstance(err, ClientError):
        message = err.response.get("Error", {}).get("Message", "")
        return ObjectStorageError(
            f"{where} answered {_code(err)} for bucket '{bucket}': {message}; run "
            "`pulumi up` again, and if it fails the same way check "
            "https://status.hetzner.com"
        )
    return ObjectStorageError(
        f"could not reach {where} for bucket '{bucket}' ({type(err).__name__}) after "
        "retries: check the network and the endpoint, then run `pulumi up` again"
    )


def _access(props: dict[str, Any]) -> S3Access:
    return S3Access(
        endpoint=props["endpoint"],
        region=props["location"],
        access_key=props["access_key"],
        secret_key=props["secret_key"],
    )


def read_settings(client, bucket: str) -> dict[str, Any]:
    """The managed settings a bucket has now, normalised."""
    versioning = client.get_bucket_versioning(Bucket=bucket).get("Status")
    try:
        lifecycle = client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    except ClientError as err:
        if _code(err) != "NoSuchLifecycleConfiguration":
            raise
        lifecycle = []
    try:
        cors = client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    except ClientError as err:
        if _code(err) != "NoSuchCORSConfiguration":
            raise
        cors = []
    try:
        policy = client.get_bucket_policy(Bucket=bucket)["Policy"]
        public_read = bucket_settings.policy_allows_public_read(policy)
    except ClientError as err:
        if _code(err) != "NoSuchBucketPolicy":
            raise
        public_read = False
    return {
        "versioning": versioning == "Enabled",
        "lifecycle_rules": bucket_settings.lifecycle_from_s3(lifecycle),
        "cors_rules": bucket_settings.cors_from_s3(cors),
        "public_read": public_read,
    }


def apply_settings(
    client, bucket: str, wanted: dict[str, Any], current: dict[str, Any] | None
) -> None:
    """Make the bucket's settings `wanted`, touching only those that differ."""
    wanted = bucket_settings.normalized(wanted)
    current = bucket_settings.normalized(current or {})  # a new bucket has none set
    if wanted["versioning"] != current["versioning"]:
        # S3 cannot switch versioning off once on; "Suspended" stops new versions.
        status = "Enabled" if wanted["versioning"] else "Suspended"
        client.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": status}
        )
    if wanted["lifecycle_rules"] != current["lifecycle_rules"]:
        if wanted["lifecycle_rules"]:
            client.put_bucket_lifecycle_configuration(
                Bucket=bucket,
                LifecycleConfiguration=bucket_settings.lifecycle_payload(
                    wanted["lifecycle_rules"]
                ),
            )
        else:
            client.delete_bucket_lifecycle(Bucket=bucket)
    if wanted["cors_rules"] != current["cors_rules"]:
        if wanted["cors_rules"]:
            client.put_bucket_cors(
                Bucket=bucket,
                CORSConfiguration=bucket_settings.cors_payload(wanted["cors_rules"]),
            )
        else:
            client.delete_bucket_cors(Bucket=bucket)
    if wanted["public_read"] != current["public_read"]:
        if wanted["public_read"]:
            client.put_bucket_policy(
                Bucket=bucket, Policy=bucket_settings.public_read_policy(bucket)
            )
        else:
            client.delete_bucket_policy(Bucket=bucket)


def _object_versions(client, bucket: str):
    """Every object version and delete marker, page by page, as delete keys."""
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        if entries:
            yield [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in entries]


def _outputs(props: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """The state: the inputs, the live settings, and the bucket's own host name."""
    return {
        **props,
        **settings,
        "domain": f"{props['bucket']}.{host_of(props['endpoint'])}",
    }


class BucketProvider(ResourceProvider):
    """Manages one S3 bucket on an S3-compatible store through boto3."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """One failure per bad property; settings normalised for a stable diff."""
        failures = []
        problem = bucket_name_problem(news.get("bucket"))
        if problem:
            failures.append(CheckFailure("bucket", problem))
        for key in ("location", "endpoint", "access_key", "secret_key"):
            if not news.get(key):
                failures.append(CheckFailure(key, f"{key} is required"))
        for rule in news.get("lifecycle_rules") or []:
            days = [rule.get("expire_days"), rule.get("noncurrent_days")]
            if not rule.get("id") or all(d is None for d in days):
                failures.append(
                    CheckFailure(
                        "lifecycle_rules",
                        "each lifecycle rule needs an id and expire_days or "
                        "noncurrent_days",
                    )
                )
            elif any(d is not None and int(d) < 1 for d in days):
                failures.append(
                    CheckFailure("lifecycle_rules", "lifecycle days must be 1 or more")
                )
        for rule in news.get("cors_rules") or []:
            methods = {m.upper() for m in rule.get("allowed_methods", [])}
            if not methods or not methods <= set(bucket_settings.CORS_METHODS):
                failures.append(
                    CheckFailure(
                        "cors_rules",
                        "allowed_methods must be some of "
                        + ", ".join(bucket_settings.CORS_METHODS),
                    )
                )
            if not rule.get("allowed_origins"):
                failures.append(
                    CheckFailure("cors_rules", "each CORS rule needs allowed_origins")
                )
        inputs = {**news, **bucket_settings.normalized(news)} if not failures else news
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace on a new name, location or endpoint; update settings in place."""
        replaces = [key for key in REPLACE_ON if olds.get(key) != news.get(key)]
        old_settings = bucket_settings.normalized(olds)
        new_settings = bucket_settings.normalized(news)
        changed = [
            k for k in bucket_settings.SETTINGS if old_settings[k] != new_settings[k]
        ]
        for key in ("force_destroy", "access_key", "secret_key"):
            if olds.get(key) != news.get(key):
                changed.append(key)
        return DiffResult(
            changes=bool(replaces or changed),
            replaces=replaces,
            stables=[],
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create the bucket (private), then apply its settings.

        A bucket already owned by these keys is adopted; one owned by someone else is
        an error. If applying settings fails, a bucket created here is removed again,
        so a failed create leaves nothing behind.
        """
        bucket, access = props["bucket"], _access(props)
        client = access.client()
        created = False
        try:
            client.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={"LocationConstraint": access.region},
            )
            created = True
        except ClientError as err:
            if _code(err) == "BucketAlreadyExists":
                raise ObjectStorageError(
                    f"the bucket name '{bucket}' is taken by another Object Storage "
                    "customer (names are shared by everyone on the endpoint): choose "
                    "another startupName or bucket name"
                ) from None
            if _code(err) != "BucketAlreadyOwnedByYou":
                raise _explained(err, access, bucket) from None
            logger.warning(
                "bucket %s already exists with these keys; adopting it", bucket
            )
        except BotoCoreError as err:
            raise _explained(err, access, bucket) from None

        try:
            current = read_settings(client, bucket) if not created else None
            apply_settings(client, bucket, props, current)
            settings = read_settings(client, bucket)
        except (ClientError, BotoCoreError) as err:
            if created:
                client.delete_bucket(Bucket=bucket)
            raise _explained(err, access, bucket) from None
        return CreateResult(bucket, _outputs(props, settings))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The bucket's live settings; an empty id when it was deleted out of band."""
        access = _access(props)
        client = access.client()
        try:
            client.head_bucket(Bucket=id_)
            settings = read_settings(client, id_)
        except ClientError as err:
            if _code(err) in NOT_FOUND:
                return ReadResult("", {})
            raise _explained(err, access, id_) from None
        except BotoCoreError as err:
            raise _explained(err, access, id_) from None
        return ReadResult(id_, _outputs(props, settings))

    def update(
        self, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> UpdateResult:
        """Change the settings that differ from the live ones."""
        access = _access(news)
        client = access.client()
        try:
            apply_settings(client, id_, news, read_settings(client, id_))
            settings = read_settings(client, id_)
        except (ClientError, BotoCoreError) as err:
            raise _explained(err, access, id_) from None
        return UpdateResult(_outputs(news, settings))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete an empty bucket; a non-empty one only with force_destroy."""
        access = _access(props)
        client = access.client()
        try:
            pages = _object_versions(client, id_)
            first = next(pages, None)
            if first is not None and not props.get("force_destroy"):
                raise ObjectStorageError(
                    f"bucket '{id_}' still holds objects (at least {len(first)} "
                    "versions): nothing was deleted. Copy out what you need and empty "
                    "it, or set forceDestroy for it to delete every object, then run "
                    "`pulumi destroy` again"
                )
            for batch in [first, *pages] if first is not None else []:
                for start in range(0, len(batch), 1000):
                    client.delete_objects(
                        Bucket=id_,
                        Delete={"Objects": batch[start : start + 1000], "Quiet": True},
                    )
                logger.warning("deleted %d object versions from %s", len(batch), id_)
            client.delete_bucket(Bucket=id_)
        except ClientError as err:
            if _code(err) in NOT_FOUND:
                return  # already gone: nothing left to delete
            raise _explained(err, access, id_) from None
        except BotoCoreError as err:
            raise _explained(err, access, id_) from None
