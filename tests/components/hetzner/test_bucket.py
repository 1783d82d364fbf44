"""The Bucket component under mocks: one dynamic resource, keys always secret."""

from components.hetzner.bucket import Bucket, BucketArgs, CorsRule, LifecycleRule

BUCKET = "pulumi-python:dynamic/s3:Bucket"


def test_bucket_declares_one_s3_bucket_with_secret_keys(declare):
    def program():
        Bucket(
            "acme-backups",
            BucketArgs(
                bucket_name="acme-backups",
                location="nbg1",
                endpoint="https://nbg1.your-objectstorage.com",
                access_key="plain-access-key",
                secret_key="plain-secret-key",
                versioning=True,
                lifecycle_rules=[LifecycleRule(id="old", noncurrent_days=7)],
                cors_rules=[CorsRule(allowed_origins=["https://acme.eu"])],
            ),
        )

    plan = declare(program)

    component = plan.of_type("souverain:hetzner:Bucket")[0]
    bucket = plan.of_type(BUCKET)[0]
    assert bucket.name == "acme-backups-bucket"
    assert bucket.parent == component.urn, bucket.urn
    inputs = {k: v for k, v in bucket.inputs.items() if k != "__provider"}
    assert inputs == {
        "access_key": "[secret]",
        "bucket": "acme-backups",
        "cors_rules": [
            {
                "allowed_headers": [],
                "allowed_methods": ["GET", "HEAD"],
                "allowed_origins": ["https://acme.eu"],
                "max_age_seconds": 3600,
            }
        ],
        "endpoint": "https://nbg1.your-objectstorage.com",
        "force_destroy": False,
        "lifecycle_rules": [{"id": "old", "noncurrent_days": 7, "prefix": ""}],
        "location": "nbg1",
        "public_read": False,
        "secret_key": "[secret]",
        "versioning": True,
    }
    # The pickled provider travels as a secret too, so nothing in it is readable.
    assert bucket.inputs["__provider"] == "[secret]"
    assert "plain-secret-key" not in repr(plan.as_json())


def test_a_public_bucket_carries_the_purpose_the_policy_asks_for(declare):
    def program():
        Bucket(
            "acme-media",
            BucketArgs(
                bucket_name="acme-media",
                location="fsn1",
                endpoint="https://fsn1.your-objectstorage.com",
                access_key="k",
                secret_key="s",
                public_read=True,
                public_read_purpose="product photos behind the CDN",
            ),
        )

    bucket = declare(program).of_type(BUCKET)[0]

    assert bucket.inputs["public_read"] is True, bucket.urn
    assert bucket.inputs["public_read_purpose"] == "product photos behind the CDN"
