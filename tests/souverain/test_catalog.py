"""`souverain catalog refresh` and `list`, against a fake Hetzner Cloud API."""

import datetime as dt
import inspect
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import hcloud
import pytest
from hcloud.locations import Location as ApiLocation
from hcloud.server_types import ServerType as ApiServerType
from typer.testing import CliRunner

import souverain.catalog
import souverain.catalog_refresh
import souverain.files
from components.errors import SouverainError
from components.hetzner.catalog import CATALOG_FILE, load_catalog, parse_catalog
from souverain.catalog import DEFAULT_ENDPOINT, render_listing
from souverain.catalog_refresh import (
    TOKEN_FIX,
    catalog_document,
    refresh_catalog,
    write_catalog,
)
from souverain.cli import app
from tests.fakes.hetzner_api import (
    TOKEN,
    FakeHetznerApi,
    RecordedRequest,
    api_deprecation,
    api_location,
    api_server_type,
)

TODAY = dt.date(2026, 12, 3)
runner = CliRunner()

FSN1 = api_location(
    1,
    "fsn1",
    city="Falkenstein",
    country="DE",
    network_zone="eu-central",
    description="Falkenstein DC Park 1",
    latitude=50.47612,
    longitude=12.370071,
)
HEL1 = api_location(
    3,
    "hel1",
    city="Helsinki",
    country="FI",
    network_zone="eu-central",
    description="Helsinki DC Park 1",
    latitude=60.169855,
    longitude=24.938379,
)
ASH = api_location(
    4,
    "ash",
    city="Ashburn, VA",
    country="US",
    network_zone="us-east",
    description="Ashburn, VA",
    latitude=39.045821,
    longitude=-77.487073,
)
SERVER_TYPES = [
    api_server_type(
        22,
        "cx23",
        cores=2,
        memory=4.0,
        disk=40,
        cpu_type="shared",
        architecture="x86",
        locations=[FSN1, HEL1],
    ),
    api_server_type(
        45,
        "cax11",
        cores=2,
        memory=4.0,
        disk=40,
        cpu_type="shared",
        architecture="arm",
        locations=[FSN1, HEL1],
    ),
    api_server_type(
        96,
        "ccx13",
        cores=2,
        memory=8.0,
        disk=80,
        cpu_type="dedicated",
        architecture="x86",
        locations=[FSN1, HEL1, ASH],
    ),
    # Offered until 2027 in fsn1, gone from hel1 since 2026-01-01, kept in ash.
    api_server_type(
        104,
        "cpx11",
        cores=2,
        memory=2.0,
        disk=40,
        cpu_type="shared",
        architecture="x86",
        locations=[FSN1, HEL1, ASH],
        deprecations={
            "fsn1": api_deprecation("2026-10-16T00:00:00Z", "2027-01-01T00:00:00Z"),
            "hel1": api_deprecation("2025-10-16T00:00:00Z", "2026-01-01T00:00:00Z"),
        },
    ),
]
NOT_DEPRECATED = {"deprecation": None}


def expected_catalogue(endpoint: str) -> dict:
    """The catalogue `refresh` must write for the fake's data set."""
    return {
        "as_of": "2026-12-03",
        "source": f"Hetzner Cloud API {endpoint} (server_types, locations)",
        "locations": {
            "ash": {
                "city": "Ashburn, VA",
                "country": "US",
                "description": "Ashburn, VA",
                "network_zone": "us-east",
            },
            "fsn1": {
                "city": "Falkenstein",
                "country": "DE",
                "description": "Falkenstein DC Park 1",
                "network_zone": "eu-central",
            },
            "hel1": {
                "city": "Helsinki",
                "country": "FI",
                "description": "Helsinki DC Park 1",
                "network_zone": "eu-central",
            },
        },
        "server_types": {
            "cax11": {
                "architecture": "arm",
                "cores": 2,
                "cpu_type": "shared",
                "description": "CAX11",
                "disk_gb": 40,
                "locations": {"fsn1": NOT_DEPRECATED, "hel1": NOT_DEPRECATED},
                "memory_gb": 4,
            },
            "ccx13": {
                "architecture": "x86",
                "cores": 2,
                "cpu_type": "dedicated",
                "description": "CCX13",
                "disk_gb": 80,
                "locations": {
                    "ash": NOT_DEPRECATED,
                    "fsn1": NOT_DEPRECATED,
                    "hel1": NOT_DEPRECATED,
                },
                "memory_gb": 8,
            },
            "cpx11": {
                "architecture": "x86",
                "cores": 2,
                "cpu_type": "shared",
                "description": "CPX11",
                "disk_gb": 40,
                "locations": {
                    "ash": NOT_DEPRECATED,
                    "fsn1": {
                        "deprecation": {
                            "announced": "2026-10-16T00:00:00+00:00",
                            "unavailable_after": "2027-01-01T00:00:00+00:00",
                        }
                    },
                    "hel1": {
                        "deprecation": {
                            "announced": "2025-10-16T00:00:00+00:00",
                            "unavailable_after": "2026-01-01T00:00:00+00:00",
                        }
                    },
                },
                "memory_gb": 2,
            },
            "cx23": {
                "architecture": "x86",
                "cores": 2,
                "cpu_type": "shared",
                "description": "CX23",
                "disk_gb": 40,
                "locations": {"fsn1": NOT_DEPRECATED, "hel1": NOT_DEPRECATED},
                "memory_gb": 4,
            },
        },
    }


def as_written(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def list_request(resource: str, page: int, token: str = TOKEN) -> RecordedRequest:
    """The request hcloud-python sends for one page of a list."""
    return RecordedRequest(
        method="GET",
        path=f"/v1/{resource}",
        query={"page": [str(page)], "per_page": ["50"]},
        authorization=f"Bearer {token}",
    )


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command runs on TODAY, whatever the clock says."""
    monkeypatch.setattr(souverain.catalog, "_today", lambda: TODAY)


@pytest.fixture(autouse=True)
def shipped_catalogue_untouched() -> Iterator[None]:
    """Guards the repository's catalogue: no test may rewrite it."""
    before = CATALOG_FILE.read_bytes()
    yield
    assert CATALOG_FILE.read_bytes() == before


@pytest.fixture(autouse=True)
def no_hcloud_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own HCLOUD_* settings must not reach these tests."""
    monkeypatch.delenv("HCLOUD_TOKEN", raising=False)
    monkeypatch.delenv("HCLOUD_ENDPOINT", raising=False)


@pytest.fixture
def hetzner_api() -> Iterator[FakeHetznerApi]:
    """The fake API with three locations and four server types, two per page."""
    with FakeHetznerApi(max_per_page=2) as api:
        api.resources["locations"] = [FSN1, HEL1, ASH]
        api.resources["server_types"] = SERVER_TYPES
        yield api


@pytest.fixture
def catalogue_file(tmp_path: Path) -> Path:
    """The expected catalogue of the fake data set, written where `list` can read it."""
    path = tmp_path / "server_types.json"
    path.write_text(as_written(expected_catalogue("https://api.hetzner.cloud/v1")))
    return path


def test_refresh_writes_every_page_of_locations_and_server_types(
    hetzner_api, tmp_path, caplog
):
    output = tmp_path / "catalogue.json"
    caplog.set_level(logging.INFO, logger="souverain.catalog_refresh")

    result = runner.invoke(
        app,
        ["catalog", "refresh", "--endpoint", hetzner_api.endpoint, "-o", str(output)],
        env={"HCLOUD_TOKEN": TOKEN},
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert hetzner_api.requests == [
        list_request("locations", 1),
        list_request("locations", 2),
        list_request("server_types", 1),
        list_request("server_types", 2),
    ]
    assert output.read_text() == as_written(expected_catalogue(hetzner_api.endpoint))
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        (
            "souverain.catalog_refresh",
            logging.INFO,
            f"wrote 4 server types and 3 locations to {output}",
        )
    ]


def test_refresh_result_reads_back_with_per_location_deadlines(hetzner_api, tmp_path):
    output = tmp_path / "catalogue.json"

    document = refresh_catalog(output, hetzner_api.endpoint, TOKEN, TODAY)

    assert document == expected_catalogue(hetzner_api.endpoint)
    catalog = parse_catalog(json.loads(output.read_text()))
    assert catalog.server_types["cpx11"].unavailable_after == {
        "ash": None,
        "fsn1": dt.date(2027, 1, 1),
        "hel1": dt.date(2026, 1, 1),
    }
    assert catalog.eu_locations() == ["fsn1", "hel1"]
    assert catalog.types_offered_in("hel1", TODAY) == ["cax11", "ccx13", "cx23"]


def test_refresh_takes_the_endpoint_from_hcloud_endpoint(hetzner_api, tmp_path):
    output = tmp_path / "catalogue.json"

    # A trailing slash, as people paste URLs, must not change what is asked or written.
    result = runner.invoke(
        app,
        ["catalog", "refresh", "--output", str(output)],
        env={"HCLOUD_TOKEN": TOKEN, "HCLOUD_ENDPOINT": f"{hetzner_api.endpoint}/"},
    )

    assert result.exit_code == 0, result.output
    assert len(hetzner_api.requests) == 4
    assert json.loads(output.read_text())["source"] == (
        f"Hetzner Cloud API {hetzner_api.endpoint} (server_types, locations)"
    )


def test_refresh_without_token_says_how_to_create_one(hetzner_api, tmp_path):
    output = tmp_path / "catalogue.json"

    result = runner.invoke(
        app,
        ["catalog", "refresh", "--endpoint", hetzner_api.endpoint, "-o", str(output)],
    )

    assert result.exit_code == 1
    assert result.stderr == f"error: HCLOUD_TOKEN is not set: {TOKEN_FIX}\n"
    assert "Traceback" not in result.output
    assert hetzner_api.requests == []
    assert not output.exists()


def test_refresh_with_a_rejected_token_keeps_the_old_catalogue(hetzner_api, tmp_path):
    output = tmp_path / "catalogue.json"
    output.write_text("the previous catalogue\n")

    result = runner.invoke(
        app,
        ["catalog", "refresh", "--endpoint", hetzner_api.endpoint, "-o", str(output)],
        env={"HCLOUD_TOKEN": "revoked-token"},
    )

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: the Hetzner Cloud API at {hetzner_api.endpoint} rejected "
        "HCLOUD_TOKEN: unable to authenticate (unauthorized, correlation id "
        f"fake-0001); {TOKEN_FIX}\n"
    )
    assert "Traceback" not in result.output
    assert "revoked-token" not in result.output
    assert hetzner_api.requests == [list_request("locations", 1, "revoked-token")]
    assert output.read_text() == "the previous catalogue\n"


def test_refresh_from_an_unreachable_endpoint_names_it(tmp_path):
    # A bound socket that never listens: connections to it are refused at once.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}/v1"
        result = runner.invoke(
            app,
            ["catalog", "refresh", "--endpoint", endpoint, "-o", str(tmp_path / "c")],
            env={"HCLOUD_TOKEN": TOKEN},
        )

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: could not reach the Hetzner Cloud API at {endpoint} "
        "(ConnectionError): check the network connection, and the --endpoint "
        "option or HCLOUD_ENDPOINT variable if you set one\n"
    )
    assert not (tmp_path / "c").exists()


def test_refresh_writes_the_shipped_catalogue_by_default(hetzner_api, monkeypatch):
    written = []
    # Recorded instead of written: the repository's catalogue is never touched.
    monkeypatch.setattr(
        souverain.catalog_refresh,
        "write_catalog",
        lambda document, path: written.append((document, path)),
    )

    result = runner.invoke(
        app,
        ["catalog", "refresh", "--endpoint", hetzner_api.endpoint],
        env={"HCLOUD_TOKEN": TOKEN},
    )

    assert result.exit_code == 0, result.output
    assert written == [(expected_catalogue(hetzner_api.endpoint), CATALOG_FILE)]


def test_write_catalog_leaves_the_old_file_whole_when_the_rename_fails(
    tmp_path, monkeypatch
):
    output = tmp_path / "catalogue.json"
    output.write_text("the previous catalogue\n")

    def disk_full(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(souverain.files.os, "replace", disk_full)
    with pytest.raises(SouverainError) as raised:
        write_catalog(expected_catalogue("https://api.hetzner.cloud/v1"), output)

    assert str(raised.value) == (
        f"cannot write the catalogue to {output}: No space left on device; check "
        "the folder's permissions and free space, or choose another --output"
    )
    assert output.read_text() == "the previous catalogue\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalogue.json"]


def test_write_catalog_into_a_missing_folder_says_so(tmp_path):
    output = tmp_path / "missing" / "catalogue.json"

    with pytest.raises(SouverainError) as raised:
        write_catalog({}, output)

    assert str(raised.value) == (
        f"cannot write the catalogue to {output}: the folder {output.parent} does "
        "not exist; create it or choose another --output"
    )


def test_catalog_document_falls_back_to_prices_without_per_location_data():
    # Answers from before the per-location server types (2025-09-24) have neither
    # `locations` nor per-location deprecations.
    location = ApiLocation(
        name="nbg1",
        city="Nuremberg",
        country="DE",
        description="Nuremberg DC Park 1",
        network_zone="eu-central",
    )
    server_type = ApiServerType(
        name="cx11",
        description="CX11",
        cores=1,
        memory=2.0,
        disk=20,
        cpu_type="shared",
        architecture="x86",
        prices=[{"location": "fsn1"}, {"location": "nbg1"}],
        deprecation={
            "announced": "2023-06-01T00:00:00Z",
            "unavailable_after": "2023-09-01T00:00:00Z",
        },
    )

    document = catalog_document(
        [location], [server_type], "https://api.hetzner.cloud/v1", TODAY
    )

    deprecation = {
        "announced": "2023-06-01T00:00:00+00:00",
        "unavailable_after": "2023-09-01T00:00:00+00:00",
    }
    assert document == {
        "as_of": "2026-12-03",
        "source": "Hetzner Cloud API https://api.hetzner.cloud/v1 "
        "(server_types, locations)",
        "locations": {
            "nbg1": {
                "city": "Nuremberg",
                "country": "DE",
                "description": "Nuremberg DC Park 1",
                "network_zone": "eu-central",
            }
        },
        "server_types": {
            "cx11": {
                "architecture": "x86",
                "cores": 1,
                "cpu_type": "shared",
                "description": "CX11",
                "disk_gb": 20,
                "locations": {
                    "fsn1": {"deprecation": deprecation},
                    "nbg1": {"deprecation": deprecation},
                },
                "memory_gb": 2,
            }
        },
    }


HEADER = (
    "catalogue: 2026-12-03\n"
    "source: Hetzner Cloud API https://api.hetzner.cloud/v1 (server_types, locations)\n"
)
FSN1_SECTION = (
    "fsn1 (Falkenstein, DE), offered on 2026-12-03:\n"
    "name   architecture  cpu type   cores  memory GB  disk GB  offered\n"
    "cax11  arm           shared         2          4       40\n"
    "ccx13  x86           dedicated      2          8       80\n"
    "cpx11  x86           shared         2          2       40  until 2027-01-01\n"
    "cx23   x86           shared         2          4       40\n"
)
HEL1_SECTION = (
    "hel1 (Helsinki, FI), offered on 2026-12-03:\n"
    "name   architecture  cpu type   cores  memory GB  disk GB\n"
    "cax11  arm           shared         2          4       40\n"
    "ccx13  x86           dedicated      2          8       80\n"
    "cx23   x86           shared         2          4       40\n"
)


def test_list_one_location_shows_its_types_and_their_deadlines(catalogue_file):
    result = runner.invoke(
        app,
        ["catalog", "list", "--location", "fsn1", "--catalog", str(catalogue_file)],
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{HEADER}\n{FSN1_SECTION}"


def test_list_without_location_shows_every_eu_location(catalogue_file):
    result = runner.invoke(app, ["catalog", "list", "--catalog", str(catalogue_file)])

    assert result.exit_code == 0, result.output
    # cpx11 left hel1 on 2026-01-01; ash is outside the EU.
    assert result.stdout == f"{HEADER}\n{FSN1_SECTION}\n{HEL1_SECTION}"


def test_list_a_location_outside_the_eu_says_stacks_cannot_use_it(catalogue_file):
    result = runner.invoke(
        app,
        ["catalog", "list", "--location", "ash", "--catalog", str(catalogue_file)],
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{HEADER}\n"
        "ash (Ashburn, VA, US), offered on 2026-12-03:\n"
        "note: ash is outside the EU; stacks can only use fsn1 or hel1\n"
        "name   architecture  cpu type   cores  memory GB  disk GB\n"
        "ccx13  x86           dedicated      2          8       80\n"
        "cpx11  x86           shared         2          2       40\n"
    )


def test_list_an_unknown_location_names_the_valid_ones(catalogue_file):
    result = runner.invoke(
        app,
        ["catalog", "list", "--location", "xyz1", "--catalog", str(catalogue_file)],
    )

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: 'xyz1' is not a location in the catalogue of 2026-12-03: use fsn1 or "
        "hel1 (EU), or ash (outside the EU); if Hetzner opened it since, run "
        "`souverain catalog refresh`\n"
    )
    assert "Traceback" not in result.output


def test_list_a_missing_catalogue_file_says_how_to_write_one(tmp_path):
    missing = tmp_path / "nowhere.json"

    result = runner.invoke(app, ["catalog", "list", "--catalog", str(missing)])

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: cannot read the catalogue {missing}: No such file or directory; "
        f"write one with `souverain catalog refresh --output {missing}`\n"
    )


def test_list_reads_the_shipped_catalogue_by_default():
    shipped = load_catalog()

    result = runner.invoke(app, ["catalog", "list", "--location", "fsn1"])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"catalogue: {shipped.as_of}\nsource: {shipped.source}\n\n"
        "fsn1 (Falkenstein, DE), offered on 2026-12-03:\n"
        "name   architecture  cpu type   cores  memory GB  disk GB"
    )


def test_render_listing_says_when_a_location_offers_nothing():
    document = expected_catalogue("https://api.hetzner.cloud/v1")
    document["locations"]["sin"] = {
        "city": "Singapore",
        "country": "SG",
        "description": "Singapore",
        "network_zone": "ap-southeast",
    }

    text = render_listing(parse_catalog(document), ["sin"], TODAY)

    assert text == (
        f"{HEADER}\n"
        "sin (Singapore, SG), offered on 2026-12-03:\n"
        "note: sin is outside the EU; stacks can only use fsn1 or hel1\n"
        "no server types are offered here\n"
    )


def test_default_endpoint_is_hcloud_pythons_own():
    default = inspect.signature(hcloud.Client).parameters["api_endpoint"].default

    assert DEFAULT_ENDPOINT == default
