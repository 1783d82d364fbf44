"""`souverain state bootstrap` end to end against a real S3 server process."""

import os
import subprocess
import sys
from pathlib import Path

from souverain.console import EXIT_USER_ERROR
from souverain.state import login_url

REPO = Path(__file__).resolve().parents[2]


def bootstrap(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run `souverain state bootstrap` as a user would, in a fresh process."""
    script = Path(sys.executable).with_name("souverain")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [str(script), "state", "bootstrap", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**clean, "COLUMNS": "200", **env},
    )


def keys(s3) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": s3.access_key, "AWS_SECRET_ACCESS_KEY": s3.secret_key}


def test_login_url_carries_endpoint_region_and_path_style():
    assert login_url("acme-state", "https://fsn1.your-objectstorage.com", "fsn1") == (
        "s3://acme-state?endpoint=https%3A%2F%2Ffsn1.your-objectstorage.com"
        "&region=fsn1&use_path_style=true&request_checksum_calculation=when_required"
        "&response_checksum_validation=when_required"
    )


def test_bootstrap_creates_a_versioned_bucket_and_prints_the_login(s3):
    result = bootstrap(
        "--bucket",
        "acme-state",
        "--location",
        "fsn1",
        "--endpoint",
        s3.endpoint,
        **keys(s3),
    )

    assert result.returncode == 0, result.stderr
    url = login_url("acme-state", s3.endpoint, "fsn1")
    assert f"  pulumi login '{url}'\n" in result.stdout
    assert "  pulumi stack init <stack> --secrets-provider passphrase" in result.stdout
    client = s3.client()
    assert client.get_bucket_versioning(Bucket="acme-state")["Status"] == "Enabled"
    rules = client.get_bucket_lifecycle_configuration(Bucket="acme-state")["Rules"]
    assert rules[0]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    leftovers = client.list_object_versions(Bucket="acme-state")
    assert leftovers.get("Versions", []) == []
    assert leftovers.get("DeleteMarkers", []) == []
    assert s3.secret_key not in result.stdout + result.stderr


def test_bootstrap_again_keeps_the_bucket_and_its_states(s3):
    first = bootstrap("--bucket", "acme-state-2", "--endpoint", s3.endpoint, **keys(s3))
    s3.client().put_object(
        Bucket="acme-state-2", Key=".pulumi/stacks/p.json", Body=b"{}"
    )

    again = bootstrap("--bucket", "acme-state-2", "--endpoint", s3.endpoint, **keys(s3))

    assert (first.returncode, again.returncode) == (0, 0), again.stderr
    body = s3.client().get_object(Bucket="acme-state-2", Key=".pulumi/stacks/p.json")
    assert body["Body"].read() == b"{}"


def test_openbao_instructions_name_the_transit_key(s3):
    result = bootstrap(
        "--bucket",
        "acme-state-3",
        "--endpoint",
        s3.endpoint,
        "--secrets-provider",
        "openbao",
        "--transit-key",
        "acme",
        **keys(s3),
    )

    assert result.returncode == 0, result.stderr
    assert "  pulumi stack init <stack> --secrets-provider 'hashivault://acme'" in (
        result.stdout
    )
    assert "bao write -f transit/keys/acme" in result.stdout


def test_missing_keys_say_where_to_make_them():
    result = bootstrap("--bucket", "acme-state-4")

    assert result.returncode == EXIT_USER_ERROR
    assert result.stderr.startswith(
        "error: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set: export "
        "the Object Storage keys as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )
    assert "Traceback" not in result.stderr


def test_bad_keys_are_refused_without_a_traceback_or_an_echo(s3):
    result = bootstrap(
        "--bucket",
        "acme-state-5",
        "--endpoint",
        s3.endpoint,
        AWS_ACCESS_KEY_ID=s3.access_key,
        AWS_SECRET_ACCESS_KEY="wrong-secret-value",
    )

    assert result.returncode == EXIT_USER_ERROR
    assert result.stderr.startswith(
        f"error: Object Storage at {s3.endpoint} refused the keys in "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: export the Object Storage keys"
    )
    assert "pulumi config set" not in result.stderr
    assert "wrong-secret-value" not in result.stderr
    assert "Traceback" not in result.stderr
    names = [b["Name"] for b in s3.client().list_buckets()["Buckets"]]
    assert "acme-state-5" not in names


def test_location_outside_the_eu_and_bad_names_are_refused_before_any_request():
    result = bootstrap(
        "--bucket",
        "Acme_State",
        "--location",
        "ash",
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="y",
    )

    assert result.returncode == EXIT_USER_ERROR
    assert result.stderr == (
        "error: 'ash' is outside the EU: use fsn1, hel1 or nbg1; bucket name "
        "'Acme_State' is not valid: use 3 to 63 lowercase letters, digits, dots and "
        "dashes, starting and ending with a letter or digit\n"
    )


def test_endpoint_without_scheme_and_odd_transit_keys_are_refused():
    result = bootstrap(
        "--bucket",
        "acme-state-6",
        "--endpoint",
        "fsn1.your-objectstorage.com",
        "--secrets-provider",
        "openbao",
        "--transit-key",
        "a b'; rm -rf /",
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="y",
    )

    assert result.returncode == EXIT_USER_ERROR
    assert result.stderr == (
        "error: endpoint 'fsn1.your-objectstorage.com' is not a URL: write it with "
        "its scheme, e.g. https://fsn1.your-objectstorage.com; transit key 'a b'; rm "
        "-rf /' is not usable: use lowercase letters, digits, '-' and '_'\n"
    )
