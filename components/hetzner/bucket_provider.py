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

from components.errors import CredentialsRejectedError, ObjectStorageError
from components.hetzner import bucket_settings
from components.hetzner.object_storage import S3Access, bucket_name_problem, host_of

logger = logging.getLogger(__name__)

# Changing either means another bucket: S3 cannot rename or move one. A new endpoint
# alone (http to https, another host name for the same store) is the same bucket.
REPLACE_ON = ("bucket", "location")
# HEAD requests carry no error body, so a refused key shows as a bare 403 there.
CREDENTIAL_ERRORS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "InvalidSecurity",
    "403",
    "Forbidden",
}
NOT_FOUND = {"NoSuchBucket", "404", "NotFound"}


def _code(err: ClientError) -> str:
    return err.response.get("Error", {}).get("Code", "")


def _explained(err: Exception, access: S3Access, bucket: str) -> ObjectStorageError:
    """A ClientError (or transport error) as one sentence with the fix."""
    where = f"Object Storage at {access.endpoint}"
    if isinstance(err, ClientError) and _code(err) in CREDENTIAL_ERRORS:
        return CredentialsRejectedError(
            f"{where} refused the S3 keys ({_code(err)}) for bucket '{bucket}': "
            "create S3 credentials in the Hetzner Console (your project > Security > "
            "S3 credentials) and set them with `pulumi config set --secret "
            "souverain:s3AccessKey …` and `… souverain:s3SecretKey …`; "
            "refresh and "
            "destroy use the keys of the last `pulumi up`, so after rotating keys run "
            "`pulumi up` first"
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


def _bucket_policy(client, bucket: str) -> str | None:
    try:
        return client.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as err:
        if _code(err) != "NoSuchBucketPolicy":
            raise
        return None


def _set_public_read(client, bucket: str, public: bool) -> None:
    """Add or remove public read in the policy; other statements stay as they are.

    Public access granted through the bucket's ACL is withdrawn too: souverain only
    ever grants it through its own policy statement.
    """
    if not public:
        grants = client.get_bucket_acl(Bucket=bucket).get("Grants", [])
        if bucket_settings.acl_allows_public_read(grants):
            client.put_bucket_acl(Bucket=bucket, ACL="private")
    current = _bucket_policy(client, bucket)
    wanted = bucket_settings.policy_with_public_read(current, bucket, public)
    if wanted is None:
        if current is not None:
            client.delete_bucket_policy(Bucket=bucket)
    elif wanted != current:
        client.put_bucket_policy(Bucket=bucket, Policy=wanted)


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
    acl = client.get_bucket_acl(Bucket=bucket).get("Grants", [])
    public_read = bucket_settings.policy_allows_public_read(
        _bucket_policy(client, bucket)
    ) or bucket_settings.acl_allows_public_read(acl)
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
        _set_public_read(client, bucket, wanted["public_read"])


def _object_versions(client, bucket: str):
    """Every object version and delete marker, page by page, as delete keys."""
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket):
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        if entries:
            yield [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in entries]


def _whole_days(value: Any) -> bool:
    # Pulumi carries every number as a float: 30.0 days is a whole number of days.
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and float(value).is_integer() and value >= 1


def _lifecycle_problems(rules: Any) -> list[str]:
    """What is wrong with the lifecycle rules, one reason per problem."""
    if not isinstance(rules, list):
        return ["lifecycle_rules must be a list"]
    problems, seen = [], set()
    for rule in rules:
        if not isinstance(rule, dict) or not rule.get("id"):
            problems.append("each lifecycle rule needs an id")
            continue
        days = [rule.get("expire_days"), rule.get("noncurrent_days")]
        if all(d is None for d in days):
            problems.append(f"rule '{rule['id']}' needs expire_days or noncurrent_days")
        elif not all(d is None or _whole_days(d) for d in days):
            problems.append(
                f"rule '{rule['id']}': days must be whole numbers, 1 or more"
            )
        if rule["id"] in seen:
            problems.append(f"rule id '{rule['id']}' is used twice")
        seen.add(rule["id"])
    return problems


def _cors_problems(rules: Any) -> list[str]:
    """What is wrong with the CORS rules, one reason per problem."""
    if not isinstance(rules, list):
        return ["cors_rules must be a list"]
    problems = []
    for rule in rules:
        methods = rule.get("allowed_methods") if isinstance(rule, dict) else None
        origins = rule.get("allowed_origins") if isinstance(rule, dict) else None
        upper = (
            {str(m).upper() for m in methods} if isinstance(methods, list) else set()
        )
        if not upper or not upper <= set(bucket_settings.CORS_METHODS):
            problems.append(
                "allowed_methods must be some of "
                + ", ".join(bucket_settings.CORS_METHODS)
            )
        if not isinstance(origins, list) or not origins:
            problems.append("each CORS rule needs allowed_origins")
    return problems


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
        failures += [
            CheckFailure("lifecycle_rules", reason)
            for reason in _lifecycle_problems(news.get("lifecycle_rules"))
        ]
        failures += [
            CheckFailure("cors_rules", reason)
            for reason in _cors_problems(news.get("cors_rules"))
        ]
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
        for key in ("force_destroy", "access_key", "secret_key", "endpoint"):
            if olds.get(key) != news.get(key):
                changed.append(key)
        return DiffResult(
            changes=bool(replaces or changed),
            replaces=replaces,
            stables=[],
            # A new name can be created before the old bucket goes (so a name that
            # turns out to be taken loses nothing); the same name in a new location
            # cannot exist twice.
            delete_before_replace="bucket" not in replaces,
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
            # S3 takes no location constraint for its default region only.
            placement = (
                {}
                if access.region == "us-east-1"
                else {
                    "CreateBucketConfiguration": {"LocationConstraint": access.region}
                }
            )
            client.create_bucket(Bucket=bucket, **placement)
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
                    "it; or, to delete every object, set souverain:bucketsForceDestroy "
                    "to true and run `pulumi up` (so the stack records it) before "
                    "`pulumi destroy`"
                )
            for batch in [first, *pages] if first is not None else []:
                for start in range(0, len(batch), 1000):
                    answer = client.delete_objects(
                        Bucket=id_,
                        Delete={"Objects": batch[start : start + 1000], "Quiet": True},
                    )
                    if answer.get("Errors"):
                        first_error = answer["Errors"][0]
                        raise ObjectStorageError(
                            f"bucket '{id_}': {len(answer['Errors'])} objects could "
                            f"not be deleted (first: {first_error.get('Key')}, "
                            f"{first_error.get('Code')}); run `pulumi destroy` again"
                        )
                logger.warning("deleted %d object versions from %s", len(batch), id_)
            client.delete_bucket(Bucket=id_)
        except ClientError as err:
            if _code(err) in NOT_FOUND:
                return  # already gone: nothing left to delete
            raise _explained(err, access, id_) from None
        except BotoCoreError as err:
            raise _explained(err, access, id_) from None
