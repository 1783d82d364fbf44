"""`souverain catalog refresh`: rebuild the catalogue from the Hetzner Cloud API.

Kept apart from the listing so that only `refresh` pays for importing hcloud-python
and requests; every other command starts without them.
"""

import datetime as dt
import logging
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import requests
from hcloud import APIException, Client
from hcloud.deprecation import DeprecationInfo
from hcloud.locations import Location as ApiLocation
from hcloud.server_types import ServerType as ApiServerType

from components.errors import SouverainError
from components.hetzner.catalog import CATALOG_FILE, load_catalog
from components.text import whole_number
from souverain.catalog import DEFAULT_ENDPOINT
from souverain.files import write_json_whole

logger = logging.getLogger(__name__)
T = TypeVar("T")

# hcloud-python waits for an answer forever unless told otherwise.
REQUEST_TIMEOUT_SECONDS = 30
TOKEN_FIX = (
    "create an API token in the Hetzner Console (https://console.hetzner.com, your "
    "project > Security > API tokens), then run `export HCLOUD_TOKEN=<token>`"
)


def _deprecation(info: DeprecationInfo | None) -> dict[str, str] | None:
    if info is None:
        return None
    return {
        "announced": info.announced.isoformat(),
        "unavailable_after": info.unavailable_after.isoformat(),
    }


def _availability(server_type: ApiServerType) -> dict[str, dict[str, Any]]:
    """Per location, the deprecation of `server_type` there (None: not deprecated)."""
    if server_type.locations is not None:
        return {
            entry.location.name: {"deprecation": _deprecation(entry.deprecation)}
            for entry in server_type.locations
        }

    # Answers from before the API's per-location server types (changelog of
    # 2025-09-24) only list prices per location and one deprecation for the type.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        deprecation = _deprecation(server_type.deprecation)
    return {
        price["location"]: {"deprecation": deprecation}
        for price in server_type.prices or []
    }


def catalog_document(
    locations: Iterable[ApiLocation],
    server_types: Iterable[ApiServerType],
    endpoint: str,
    today: dt.date,
) -> dict[str, Any]:
    """The catalogue, in the layout of `server_types.json`, from the API's objects."""
    return {
        "as_of": today.isoformat(),
        "source": f"Hetzner Cloud API {endpoint} (server_types, locations)",
        "locations": {
            location.name: {
                "city": location.city,
                "country": location.country,
                "description": location.description,
                "network_zone": location.network_zone,
            }
            for location in locations
        },
        "server_types": {
            server_type.name: {
                "description": server_type.description,
                "cores": whole_number(server_type.cores),
                "memory_gb": whole_number(server_type.memory),
                "disk_gb": whole_number(server_type.disk),
                "architecture": server_type.architecture,
                "cpu_type": server_type.cpu_type,
                "locations": _availability(server_type),
            }
            for server_type in server_types
        },
    }


def api_problem(err: APIException, endpoint: str) -> SouverainError:
    """One line for an error the API answered: what it said and what to do."""
    said = f"{err.message} ({err.code}"
    if err.correlation_id:
        said += f", correlation id {err.correlation_id}"
    said += ")"
    if err.code == "unauthorized":
        return SouverainError(
            f"the Hetzner Cloud API at {endpoint} rejected HCLOUD_TOKEN: {said}; "
            f"{TOKEN_FIX}"
        )
    return SouverainError(
        f"the Hetzner Cloud API at {endpoint} answered: {said}; run the command again, "
        "and if it fails the same way, check https://status.hetzner.com"
    )


def ask_api(token: str, endpoint: str, ask: Callable[[Client], T]) -> T:
    """`ask(client)` with a client of the API at `endpoint`; failures as one line."""
    if not token:
        raise SouverainError(f"HCLOUD_TOKEN is not set: {TOKEN_FIX}")

    client = Client(
        token=token,
        api_endpoint=endpoint,
        application_name="souverain",
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    try:
        return ask(client)
    except APIException as err:
        raise api_problem(err, endpoint) from err
    except requests.RequestException as err:
        raise SouverainError(
            f"could not reach the Hetzner Cloud API at {endpoint} "
            f"({type(err).__name__}): check the network connection, and the "
            "--endpoint option or HCLOUD_ENDPOINT variable if you set one"
        ) from err


def fetch_catalog(token: str, endpoint: str, today: dt.date) -> dict[str, Any]:
    """Ask the Cloud API for every location and server type; return the catalogue."""

    def ask(client: Client) -> tuple[list[ApiLocation], list[ApiServerType]]:
        return client.locations.get_all(), client.server_types.get_all()

    locations, server_types = ask_api(token, endpoint, ask)
    return catalog_document(locations, server_types, endpoint, today)


def write_catalog(document: dict[str, Any], path: Path) -> None:
    """Write `document` to `path` whole or not at all, in the catalogue's layout."""
    write_json_whole(document, path, "catalogue")


def refresh_catalog(
    output: Path, endpoint: str, token: str, today: dt.date
) -> dict[str, Any]:
    """Rebuild the catalogue from the API at `endpoint`, write it to `output`."""
    endpoint = endpoint.rstrip("/") or DEFAULT_ENDPOINT
    document = fetch_catalog(token, endpoint, today)
    write_catalog(document, output)

    logger.info(
        "wrote %d server types and %d locations to %s",
        len(document["server_types"]),
        len(document["locations"]),
        output,
    )
    if output.resolve() == CATALOG_FILE.resolve():
        # The shipped catalogue is read once per process; forget the old one.
        load_catalog.cache_clear()
    return document
