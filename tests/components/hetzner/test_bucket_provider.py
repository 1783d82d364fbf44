"""The bucket provider against a real S3 server process, over HTTP with boto3."""

import itertools
import json

import dill
import pytest

from components.hetzner.bucket_provider import BucketProvider, ObjectStorageError
from tests.fakes.s3_server import (
    INTERNAL_ERROR,
    REGION,
    SLOW_DOWN,
    FaultyProxy,
    running_proxy,
)

_names = itertools.count(1)


@pytest.fixture
def props(s3) -> dict:
    """Inputs for a fresh, uniquely named bucket with every setting off."""
    return {
        "bucket": f"souverain-test-{next(_names)}",
        "location": REGION,
        "endpoint": s3.endpoint,
        "access_key": s3.access_key,
        "secret_key": s3.secret_key,
        "versioning": False,
        "lifecycle_rules": [],
        "cors_rules": [],
        "public_read": False,
        "force_destroy": False,
    }


provider = BucketProvider()


def created(props: dict) -> dict:
    checked = provider.check({}, props)
    assert checked.failures == []
    return provider.create(checked.inputs).outs


def test_create_makes_a_private_bucket_and_reports_its_settings(s3, props):
    outs = created(props)

    client = s3.client()
    assert (
        client.head_bucket(Bucket=props["bucket"])["ResponseMetadata"]["HTTPStatusCode"]
        == 200
    )
    location = client.get_bucket_location(Bucket=props["bucket"])
    assert location["LocationConstraint"] == REGION
    assert outs["versioning"] is False
    assert outs["public_read"] is False
    assert outs["domain"] == f"{props['bucket']}.{s3.endpoint.split('://')[1]}"
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.get_bucket_policy(Bucket=props["bucket"])
    assert caught.value.response["Error"]["Code"] == "NoSuchBucketPolicy"


def test_create_again_with_the_same_keys_adopts_the_bucket(s3, props):
    created(props)

    outs = created({**props, "versioning": True})

    assert outs["versioning"] is True
    assert s3.client().get_bucket_versioning(Bucket=props["bucket"])["Status"] == (
        "Enabled"
    )


def test_a_name_owned_by_someone_else_is_a_clear_error(s3, props):
    taken = (
        409,
        b"<Error><Code>BucketAlreadyExists</Code><Message>taken</Message></Error>",
    )
    with running_proxy(FaultyProxy(int(s3.endpoint.rsplit(":", 1)[1]), [taken])) as p:
        with pytest.raises(ObjectStorageError) as caught:
            created({**props, "endpoint": p.endpoint})

    assert str(caught.value) == (
        f"the bucket name '{props['bucket']}' is taken by another Object Storage "
        "customer (names are shared by everyone on the endpoint): choose another "
        "startupName or bucket name"
    )


def test_every_setting_is_applied_and_read_back(s3, props):
    created(props)
    wanted = {
        **props,
        "versioning": True,
        "lifecycle_rules": [
            {"id": "old-versions", "prefix": "", "noncurrent_days": 30},
            {"id": "tmp", "prefix": "tmp/", "expire_days": 7},
        ],
        "cors_rules": [
            {
                "allowed_origins": ["https://acme.eu"],
                "allowed_methods": ["get", "HEAD"],
                "allowed_headers": [],
                "max_age_seconds": 3600,
            }
        ],
        "public_read": True,
    }

    outs = provider.update(props["bucket"], props, provider.check({}, wanted).inputs)

    client = s3.client()
    bucket = props["bucket"]
    assert client.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == [
        {
            "ID": "old-versions",
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        },
        {
            "ID": "tmp",
            "Filter": {"Prefix": "tmp/"},
            "Status": "Enabled",
            "Expiration": {"Days": 7},
        },
    ]
    assert client.get_bucket_cors(Bucket=bucket)["CORSRules"] == [
        {
            "AllowedMethods": ["GET", "HEAD"],
            "AllowedOrigins": ["https://acme.eu"],
            "MaxAgeSeconds": 3600,
        }
    ]
    policy = json.loads(client.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Action"] in (["s3:GetObject"], "s3:GetObject")
    assert outs.outs["lifecycle_rules"] == [
        {"id": "old-versions", "noncurrent_days": 30, "prefix": ""},
        {"expire_days": 7, "id": "tmp", "prefix": "tmp/"},
    ]
    assert outs.outs["public_read"] is True


def test_settings_can_be_switched_off_again(s3, props):
    on = {
        **props,
        "versioning": True,
        "cors_rules": [{"allowed_origins": ["*"], "allowed_methods": ["GET"]}],
        "lifecycle_rules": [{"id": "x", "prefix": "", "expire_days": 1}],
        "public_read": True,
    }
    created(on)

    outs = provider.update(props["bucket"], on, provider.check({}, props).inputs).outs

    assert outs["public_read"] is False
    assert outs["cors_rules"] == []
    assert outs["lifecycle_rules"] == []
    # S3 cannot turn versioning off, only suspend it.
    assert s3.client().get_bucket_versioning(Bucket=props["bucket"])["Status"] == (
        "Suspended"
    )
    assert outs["versioning"] is False


def test_read_sees_changes_made_out_of_band(s3, props):
    created(props)
    s3.client().put_bucket_versioning(
        Bucket=props["bucket"], VersioningConfiguration={"Status": "Enabled"}
    )

    result = provider.read(props["bucket"], props)

    assert result.id == props["bucket"]
    assert result.outs["versioning"] is True
    assert provider.diff(props["bucket"], result.outs, props).changes is True


def test_read_of_a_bucket_deleted_out_of_band_reports_it_gone(s3, props):
    created(props)
    s3.client().delete_bucket(Bucket=props["bucket"])

    result = provider.read(props["bucket"], props)

    assert result.id == ""


def test_delete_refuses_a_bucket_with_objects_and_deletes_nothing(s3, props):
    created(props)
    s3.client().put_object(Bucket=props["bucket"], Key="invoice.pdf", Body=b"%PDF")

    with pytest.raises(ObjectStorageError) as caught:
        provider.delete(props["bucket"], props)

    assert str(caught.value) == (
        f"bucket '{props['bucket']}' still holds objects (at least 1 versions): "
        "nothing was deleted. Copy out what you need and empty it; or, to delete "
        "every object, set souverain:bucketsForceDestroy to true and run `pulumi up` "
        "(so the stack records it) before `pulumi destroy`"
    )
    objects = s3.client().list_objects_v2(Bucket=props["bucket"])["Contents"]
    assert [o["Key"] for o in objects] == ["invoice.pdf"]


def test_delete_with_force_destroy_removes_every_version(s3, props):
    created({**props, "versioning": True})
    client = s3.client()
    for body in (b"one", b"two", b"three"):
        client.put_object(Bucket=props["bucket"], Key="report.csv", Body=body)
    client.delete_object(Bucket=props["bucket"], Key="report.csv")

    provider.delete(props["bucket"], {**props, "force_destroy": True})

    names = [b["Name"] for b in client.list_buckets()["Buckets"]]
    assert props["bucket"] not in names


def test_delete_of_a_bucket_already_gone_succeeds(s3, props):
    created(props)
    s3.client().delete_bucket(Bucket=props["bucket"])

    provider.delete(props["bucket"], props)  # no error: nothing left to delete


def test_throttling_and_server_errors_are_retried_with_backoff(s3, props):
    faults = [SLOW_DOWN, SLOW_DOWN, INTERNAL_ERROR]
    upstream = int(s3.endpoint.rsplit(":", 1)[1])
    with running_proxy(FaultyProxy(upstream, list(faults))) as proxy:
        created({**props, "endpoint": proxy.endpoint})

    assert [status for _, _, status in proxy.seen[:4]] == [503, 503, 500, 200]
    assert {method for method, _, _ in proxy.seen[:4]} == {"PUT"}
    assert props["bucket"] in [b["Name"] for b in s3.client().list_buckets()["Buckets"]]


def test_errors_that_outlast_the_retries_say_what_to_do(s3, props):
    upstream = int(s3.endpoint.rsplit(":", 1)[1])
    with running_proxy(FaultyProxy(upstream, [SLOW_DOWN] * 10)) as proxy:
        with pytest.raises(ObjectStorageError) as caught:
            created({**props, "endpoint": proxy.endpoint})

    assert len(proxy.seen) == 5  # botocore's standard mode: 5 attempts in all
    assert str(caught.value).startswith(
        f"Object Storage at {proxy.endpoint} answered SlowDown for bucket "
        f"'{props['bucket']}': Please reduce your request rate."
    )


def test_bad_credentials_are_named_with_the_fix_and_never_echoed(props):
    wrong = {**props, "secret_key": "not-the-secret-key"}

    with pytest.raises(ObjectStorageError) as caught:
        created(wrong)

    message = str(caught.value)
    assert message.startswith(
        f"Object Storage at {props['endpoint']} refused the S3 keys "
        f"(SignatureDoesNotMatch) for bucket '{props['bucket']}': create S3 "
        "credentials in the Hetzner Console"
    )
    assert "not-the-secret-key" not in message and props["access_key"] not in message


def test_diff_replaces_only_for_a_new_name_or_location(props):
    renamed = provider.diff("b", props, {**props, "bucket": "other-name"})
    moved = provider.diff("b", props, {**props, "location": "nbg1"})
    versioned = provider.diff("b", props, {**props, "versioning": True})
    new_endpoint = provider.diff("b", props, {**props, "endpoint": "http://h:1"})
    same = provider.diff("b", props, dict(props))

    # A new name is created before the old bucket goes; the same name cannot be.
    assert (renamed.replaces, renamed.delete_before_replace) == (["bucket"], False)
    assert (moved.replaces, moved.delete_before_replace) == (["location"], True)
    assert versioned.changes is True and versioned.replaces == []
    assert new_endpoint.changes is True and new_endpoint.replaces == []
    assert same.changes is False


def test_public_access_granted_out_of_band_is_seen_and_withdrawn(s3, props):
    created(props)
    client = s3.client()
    client.put_bucket_acl(Bucket=props["bucket"], ACL="public-read")
    wildcard = {
        "Sid": "someone",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:Get*",
        "Resource": f"arn:aws:s3:::{props['bucket']}/*",
    }
    uploader = {
        "Sid": "ci-upload",
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::123456789012:user/ci"]},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{props['bucket']}/*",
    }
    client.put_bucket_policy(
        Bucket=props["bucket"],
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [wildcard, uploader]}),
    )

    drifted = provider.read(props["bucket"], props).outs
    assert drifted["public_read"] is True
    outs = provider.update(props["bucket"], drifted, props).outs

    assert outs["public_read"] is False
    grants = client.get_bucket_acl(Bucket=props["bucket"])["Grants"]
    assert all("URI" not in g["Grantee"] for g in grants)
    remaining = json.loads(client.get_bucket_policy(Bucket=props["bucket"])["Policy"])
    assert [s["Sid"] for s in remaining["Statement"]] == ["ci-upload"]


def test_keys_refused_on_read_are_named_as_such(props):
    result = None
    created(props)
    with pytest.raises(ObjectStorageError) as caught:
        result = provider.read(props["bucket"], {**props, "secret_key": "rotated"})

    assert result is None
    assert "refused the S3 keys (403)" in str(caught.value)
    assert "after rotating keys run `pulumi up` first" in str(caught.value)


def test_check_names_each_bad_property(props):
    bad = {
        **props,
        "bucket": "Bad_Name",
        "lifecycle_rules": [
            {"id": "x", "prefix": ""},
            {"id": "y", "expire_days": "x"},
            {"id": "y", "noncurrent_days": 1.7},
        ],
        "cors_rules": [
            {"allowed_origins": [], "allowed_methods": ["PATCH"]},
            {"allowed_origins": ["*"], "allowed_methods": None},
        ],
    }

    failures = provider.check({}, bad).failures

    assert [(f.property, f.reason) for f in failures] == [
        (
            "bucket",
            "bucket name 'Bad_Name' is not valid: use 3 to 63 lowercase letters, "
            "digits, dots and dashes, starting and ending with a letter or digit",
        ),
        ("lifecycle_rules", "rule 'x' needs expire_days or noncurrent_days"),
        ("lifecycle_rules", "rule 'y': days must be whole numbers, 1 or more"),
        ("lifecycle_rules", "rule 'y': days must be whole numbers, 1 or more"),
        ("lifecycle_rules", "rule id 'y' is used twice"),
        ("cors_rules", "allowed_methods must be some of GET, PUT, POST, DELETE, HEAD"),
        ("cors_rules", "each CORS rule needs allowed_origins"),
        ("cors_rules", "allowed_methods must be some of GET, PUT, POST, DELETE, HEAD"),
    ]


def test_provider_pickles_without_any_client_or_credential():
    # The engine stores the pickled provider in the state: it must hold nothing.
    assert vars(BucketProvider()) == {}
    restored = dill.loads(dill.dumps(BucketProvider()))
    assert isinstance(restored, BucketProvider)


def test_days_arrive_as_floats_from_the_engine_and_are_accepted(props):
    # Pulumi's wire format carries every number as a double.
    rules = [{"id": "old", "prefix": "", "noncurrent_days": 30.0}]

    checked = provider.check({}, {**props, "lifecycle_rules": rules})

    assert checked.failures == []
    assert checked.inputs["lifecycle_rules"] == [
        {"id": "old", "noncurrent_days": 30, "prefix": ""}
    ]
