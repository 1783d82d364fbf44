"""The end-to-end cloud: the real Pulumi engine against the three fakes and S3.

The engine and the hcloud plugin come from tests/e2e/tools.sh. Without them these tests
are skipped, except in CI (CI=true), where a missing tool is a failure.
"""

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.bunny_api import FakeBunnyApi
from tests.fakes.hetzner_api import FakeHetznerApi
from tests.fakes.s3_server import S3Server

TOOLS = Path(
    os.environ.get("SOUVERAIN_E2E_TOOLS", Path.home() / ".cache" / "souverain-e2e")
)
# The hcloud Terraform provider refuses any token that is not 64 characters long.
HCLOUD_TOKEN = "fake-hcloud-token".ljust(64, "0")
PASSPHRASE = "e2e-passphrase"


@dataclass
class Cloud:
    """The fakes one end-to-end stack runs against."""

    hetzner: FakeHetznerApi
    bunny: FakeBunnyApi
    s3: S3Server


@pytest.fixture(scope="session")
def tools() -> Path:
    """The folder tests/e2e/tools.sh built the Pulumi CLI and plugins into."""
    missing = [
        path
        for path in (TOOLS / "bin" / "pulumi", TOOLS / "pulumi-home" / "plugins")
        if not path.exists()
    ]
    if missing:
        reason = (
            f"the end-to-end tools are not built ({missing[0]} is missing): run "
            "tests/e2e/tools.sh, or set SOUVERAIN_E2E_TOOLS to where it built them"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return TOOLS


@pytest.fixture
def cloud(s3: S3Server) -> Iterator[Cloud]:
    """A fresh fake Hetzner project and bunny.net account, and the shared S3 server."""
    with FakeHetznerApi(token=HCLOUD_TOKEN) as hetzner, FakeBunnyApi() as bunny:
        yield Cloud(hetzner, bunny, s3)
        assert hetzner.contract_violations == []


@pytest.fixture
def dynamic_provider_host(tmp_path: Path) -> Path:
    """A folder holding the program the engine starts for Python dynamic providers.

    The engine looks for `pulumi-resource-pulumi-python` on PATH and runs it with its
    own arguments; ours runs this interpreter, where `components` is importable, so
    the pickled providers load the code under test.
    """
    folder = tmp_path / "bin"
    folder.mkdir()
    host = folder / "pulumi-resource-pulumi-python"
    host.write_text(f'#!/bin/sh\nexec "{sys.executable}" -u -m pulumi.dynamic "$@"\n')
    host.chmod(0o755)
    return folder


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A project folder holding only the repository's Pulumi.yaml, as the CLI reads it.

    The program itself runs in this process (the Automation API's inline program), so
    the folder needs no code: only the project file, with its config declarations.
    """
    repo = Path(__file__).resolve().parents[2]
    shutil.copy(repo / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "state").mkdir()
    return tmp_path
