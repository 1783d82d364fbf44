"""The state backend the Pulumi CLI would use, found offline, and the rule over it."""

import json
from pathlib import Path

import pytest

from souverain.state_backend import (
    FIX,
    BackendSetting,
    backend_reminder,
    check_state_backend,
    describe_backend,
    find_backend,
)

HETZNER_LOGIN = (
    "s3://acme-pulumi-state?endpoint=https%3A%2F%2Ffsn1.your-objectstorage.com"
    "&region=fsn1&use_path_style=true"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: souverain\nruntime: python\n")
    return tmp_path


def login(home: Path, document: dict) -> dict[str, str]:
    """A PULUMI_HOME whose credentials.json holds `document`; its environment."""
    home.mkdir(exist_ok=True)
    (home / "credentials.json").write_text(json.dumps(document))
    return {"PULUMI_HOME": str(home)}


def test_the_variable_comes_first_then_pulumi_yaml_then_the_login(project, tmp_path):
    env = login(tmp_path / "home", {"current": "https://api.pulumi.com"})
    (project / "Pulumi.yaml").write_text(
        "name: souverain\nbackend:\n  url: file:///srv/state\n"
    )

    assert find_backend(project, {**env, "PULUMI_BACKEND_URL": "file:///x"}) == (
        BackendSetting("file:///x", "PULUMI_BACKEND_URL")
    )
    assert find_backend(project, env) == BackendSetting(
        "file:///srv/state", f"backend.url in {project / 'Pulumi.yaml'}"
    )
    (project / "Pulumi.yaml").write_text("name: souverain\n")
    assert find_backend(project, env) == BackendSetting(
        "https://api.pulumi.com",
        f"the current login, {tmp_path / 'home' / 'credentials.json'}",
    )


def test_the_credentials_path_variable_wins_over_pulumi_home(project, tmp_path):
    env = {
        **login(tmp_path / "home", {"current": "https://api.pulumi.com"}),
        "PULUMI_CREDENTIALS_PATH": str(tmp_path / "creds"),
    }
    login(tmp_path / "creds", {"current": HETZNER_LOGIN, "accessTokens": {}})

    assert find_backend(project, env).url == HETZNER_LOGIN


def test_no_source_yet_breaks_no_rule_but_reminds_of_pulumi_cloud(project, tmp_path):
    setting = find_backend(project, {"PULUMI_HOME": str(tmp_path / "empty")})

    assert setting.url is None
    assert check_state_backend(setting) == []
    assert backend_reminder(setting) == (
        "no state backend is set yet, and a bare `pulumi login` would keep the state "
        "in Pulumi Cloud, run by Pulumi Corporation under US law: before `pulumi up`, "
        f"{FIX}, or set PULUMI_BACKEND_URL"
    )


def test_a_set_backend_needs_no_reminder():
    assert backend_reminder(BackendSetting(HETZNER_LOGIN, "PULUMI_BACKEND_URL")) is None


def test_an_encrypted_login_cannot_be_read_and_says_how_to_tell(project, tmp_path):
    env = login(tmp_path / "home", {"$pulumiSecureStore": 1, "data": "…"})

    (violation,) = check_state_backend(find_backend(project, env))

    assert violation.message == (
        f"the current `pulumi login` in {tmp_path / 'home' / 'credentials.json'} is "
        "encrypted, so souverain cannot tell where the state goes; set "
        "PULUMI_BACKEND_URL or backend.url in Pulumi.yaml to the backend's URL"
    )


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        (
            "https://api.pulumi.com",
            "is Pulumi Cloud, run by Pulumi Corporation under US law",
        ),
        (
            "https://app.pulumi.com/acme",
            "is Pulumi Cloud, run by Pulumi Corporation under US law",
        ),
        (
            "s3://acme-state?region=eu-central-1",
            "is Amazon S3, run by Amazon Web Services under US law whatever its region",
        ),
        ("gs://acme-state", "is Google Cloud Storage, run by Google LLC under US law"),
        (
            "azblob://acme-state",
            "is Azure Blob Storage, run by Microsoft Corporation under US law",
        ),
        (
            "s3://acme-state?endpoint=minio.example.com",
            "keeps the state at 'minio.example.com', not an Object Storage known to "
            "be in the EU",
        ),
        ("https://pulumi.acme.example", "is not a backend known to be in the EU"),
    ],
)
def test_us_saas_and_unknown_backends_fail_with_the_way_to_an_eu_bucket(url, refusal):
    assert [v.message for v in check_state_backend(BackendSetting(url, "test"))] == [
        f"'{url}' {refusal}; {FIX}"
    ]


@pytest.mark.parametrize(
    ("url", "where"),
    [
        (HETZNER_LOGIN, "fsn1 (Falkenstein, DE) Object Storage"),
        ("s3://acme-state?endpoint=s3.nl-ams.scw.cloud", "nl-ams (NL) Object Storage"),
        ("file:///srv/pulumi-state", "this machine's disk"),
    ],
)
def test_eu_object_storage_and_local_files_pass(url, where):
    setting = BackendSetting(url, "PULUMI_BACKEND_URL")

    assert check_state_backend(setting) == []
    assert describe_backend(setting) == f"{url}: {where} (from PULUMI_BACKEND_URL)"
