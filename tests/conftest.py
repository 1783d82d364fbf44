"""Shared fixtures: valid settings to break, and a recorder of declared resources."""

import copy
import datetime as dt
from collections.abc import Callable

import pytest

from souverain.plan import Plan, run_plan
from tests.fakes.s3_server import S3Server, running_s3_server

TODAY = dt.date(2026, 12, 3)
ADMIN_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEyNwmg8Pf3sWFP/Ja0sbzC4QIlIanSTKMBoRAOkUaYu"
    " admin@acme.example"
)

VALID_SETTINGS = {
    "startupName": "acme",
    "domain": "acme.eu",
    "location": "fsn1",
    "nodePools": {
        "control-plane": {"role": "control-plane", "serverType": "cx33", "count": 3},
        "workers": {"role": "worker", "serverType": "cx43", "count": 2},
    },
    "sshPublicKeys": {"admin": ADMIN_KEY},
    "allowedSshCidrs": ["203.0.113.0/24"],
    "allowedKubeApiCidrs": ["203.0.113.0/24"],
}


@pytest.fixture(autouse=True)
def eu_state_backend(tmp_path_factory, monkeypatch) -> None:
    """An EU state backend for every test, as a team that followed docs/state.md has.

    `souverain plan` fails when the Pulumi CLI would keep the state in the US, and an
    unset backend means Pulumi Cloud: without this, every plan test would depend on
    the machine's own `pulumi login`. Tests of that rule set their own environment.
    """
    home = tmp_path_factory.mktemp("pulumi-home")
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{home / 'state'}")
    monkeypatch.setenv("PULUMI_HOME", str(home))
    monkeypatch.delenv("PULUMI_CREDENTIALS_PATH", raising=False)


@pytest.fixture
def settings() -> dict:
    """A fresh deep copy of valid raw settings, for a test to break one field of."""
    return copy.deepcopy(VALID_SETTINGS)


@pytest.fixture
def declare() -> Callable[[Callable[[], None]], Plan]:
    """Run a program under Pulumi's mock runtime and return every registration.

    Each call runs in its own context, so no Pulumi setting outlives the test.
    """

    def run(program: Callable[[], None], config: dict[str, str] | None = None) -> Plan:
        return run_plan(program, "souverain", "test", config or {}, set())

    return run


@pytest.fixture(scope="session")
def s3() -> S3Server:
    """One real S3 server process (moto) for the whole run; tests use unique names."""
    with running_s3_server() as server:
        yield server
