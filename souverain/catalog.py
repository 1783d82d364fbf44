"""`souverain catalog`: rebuild Hetzner's server-type catalogue from the API, list it.

`refresh` asks the Hetzner Cloud API, through hcloud-python, for every location and
server type and writes them in the layout `components/hetzner/catalog.py` reads.
`list` shows which server types a new server can use in a location today.
"""

import datetime as dt
import inspect
import json
import logging
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import requests
import typer
from hcloud import APIException, Client
from hcloud.deprecation import DeprecationInfo
from hcloud.locations import Location as ApiLocation
from hcloud.server_types import ServerType as ApiServerType

from components.errors import SouverainError
from components.hetzner.catalog import (
    CATALOG_FILE,
    Catalog,
    load_catalog,
    parse_catalog,
)
from components.text import one_of
from souverain.console import reported_errors

logger = logging.getLogger(__name__)

# Read from hcloud-python itself, so `refresh` asks the API the library would ask.
DEFAULT_ENDPOINT: str = inspect.signature(Client).parameters["api_endpoint"].default
# hcloud-python waits for an answer forever unless told otherwise.
REQUEST_TIMEOUT_SECONDS = 30
TOKEN_FIX = (
    "create an API token in the Hetzner Console (https://console.hetzner.com, your "
    "project > Security > API tokens), then run `export HCLOUD_TOKEN=<token>`"
)
LISTING_COLUMNS = (
    "name",
    "architecture",
    "cpu type",
    "cores",
    "memory GB",
    "disk GB",
    "offered",
)
NUMERIC_COLUMNS = frozenset({"cores", "memory GB", "disk GB"})

catalog_app = typer.Typer(
    help="The Hetzner locations and server types souverain checks stacks against.",
    no_args_is_help=True,
)


def _today() -> dt.date:
    """Today's date; one function, so tests can pin it."""
    return dt.date.today()


def _number(value: float) -> int | float:
    """4.0 -> 4, so whole sizes read as the API's documentation writes them."""
    return int(value) if float(value).is_integer() else value


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
                "cores": _number(server_type.cores),
                "memory_gb": _number(server_type.memory),
                "disk_gb": _number(server_type.disk),
                "architecture": server_type.architecture,
                "cpu_type": server_type.cpu_type,
                "locations": _availability(server_type),
            }
            for server_type in server_types
        },
    }


def _api_problem(err: APIException, endpoint: str) -> SouverainError:
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


def fetch_catalog(token: str, endpoint: str, today: dt.date) -> dict[str, Any]:
    """Ask the Cloud API for every location and server type; return the catalogue."""
    if not token:
        raise SouverainError(f"HCLOUD_TOKEN is not set: {TOKEN_FIX}")

    client = Client(
        token=token,
        api_endpoint=endpoint,
        application_name="souverain",
        timeout=REQUEST_TIMEOUT_SECONDS,
    )
    try:
        locations = client.locations.get_all()
        server_types = client.server_types.get_all()
    except APIException as err:
        raise _api_problem(err, endpoint) from err
    except requests.RequestException as err:
        raise SouverainError(
            f"could not reach the Hetzner Cloud API at {endpoint} "
            f"({type(err).__name__}): check the network connection, and the "
            "--endpoint option or HCLOUD_ENDPOINT variable if you set one"
        ) from err

    return catalog_document(locations, server_types, endpoint, today)


def write_catalog(document: dict[str, Any], path: Path) -> None:
    """Write `document` to `path` whole or not at all, in the catalogue's layout."""
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if not path.parent.is_dir():
        raise SouverainError(
            f"cannot write the catalogue to {path}: the folder {path.parent} does not "
            "exist; create it or choose another --output"
        )

    # A rename within one folder replaces the file in one step, so a reader (or a
    # refresh that dies halfway) sees the old catalogue or the new one, never a mix.
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with partial.open("w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise SouverainError(
            f"cannot write the catalogue to {path}: {err.strerror or err}; check the "
            "folder's permissions and free space, or choose another --output"
        ) from err
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


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


def _read_catalog(path: Path | None) -> Catalog:
    """The shipped catalogue, or the one in `path`."""
    if path is None:
        return load_catalog()
    try:
        return parse_catalog(json.loads(path.read_text(encoding="utf-8")))
    except OSError as err:
        raise SouverainError(
            f"cannot read the catalogue {path}: {err.strerror or err}; write one with "
            f"`souverain catalog refresh --output {path}`"
        ) from err
    except (ValueError, KeyError, TypeError) as err:
        raise SouverainError(
            f"{path} is not a souverain catalogue ({type(err).__name__}: {err}); "
            f"rebuild it with `souverain catalog refresh --output {path}`"
        ) from err


def _check_location(catalog: Catalog, location: str) -> None:
    if location in catalog.locations:
        return
    eu = catalog.eu_locations()
    elsewhere = sorted(set(catalog.locations) - set(eu))
    valid = f"{one_of(eu)} (EU)"
    if elsewhere:
        valid += f", or {one_of(elsewhere)} (outside the EU)"
    raise SouverainError(
        f"'{location}' is not a location in the catalogue of {catalog.as_of}: use "
        f"{valid}; if Hetzner opened it since, run `souverain catalog refresh`"
    )


def _table(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """A header and rows, numbers right-aligned, columns two spaces apart."""
    rows = [columns, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if column in NUMERIC_COLUMNS else cell.ljust(width)
            for column, cell, width in zip(columns, row, widths, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _location_section(catalog: Catalog, location: str, today: dt.date) -> list[str]:
    """A heading, a note when outside the EU, and the table of types offered."""
    place = catalog.locations[location]
    lines = [f"{location} ({place.city}, {place.country}), offered on {today}:"]
    if not place.in_eu:
        lines.append(
            f"note: {location} is outside the EU; stacks can only use "
            f"{one_of(catalog.eu_locations())}"
        )

    rows = []
    for name in catalog.types_offered_in(location, today):
        server_type = catalog.server_types[name]
        last_day = server_type.unavailable_after[location]
        rows.append(
            (
                name,
                server_type.architecture,
                server_type.cpu_type,
                str(server_type.cores),
                str(_number(server_type.memory_gb)),
                str(_number(server_type.disk_gb)),
                f"until {last_day}" if last_day is not None else "",
            )
        )
    if not rows:
        return [*lines, "no server types are offered here"]
    if any(row[-1] for row in rows):
        return [*lines, *_table(LISTING_COLUMNS, rows)]
    # Nothing here is being retired: an empty "offered" column would only puzzle.
    return [*lines, *_table(LISTING_COLUMNS[:-1], [row[:-1] for row in rows])]


def render_listing(catalog: Catalog, locations: list[str], today: dt.date) -> str:
    """The catalogue's date and source, then per location the types offered today."""
    lines = [f"catalogue: {catalog.as_of}", f"source: {catalog.source}"]
    for location in locations:
        lines += ["", *_location_section(catalog, location, today)]
    return "\n".join(lines) + "\n"


@catalog_app.command()
def refresh(
    endpoint: Annotated[
        str,
        typer.Option("--endpoint", envvar="HCLOUD_ENDPOINT", help="The API to ask."),
    ] = DEFAULT_ENDPOINT,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the catalogue.")
    ] = CATALOG_FILE,
) -> None:
    """Rebuild the catalogue from the Hetzner Cloud API, using HCLOUD_TOKEN."""
    with reported_errors():
        token = os.environ.get("HCLOUD_TOKEN", "")
        refresh_catalog(output, endpoint, token, _today())


@catalog_app.command("list")
def list_server_types(
    location: Annotated[
        str | None,
        typer.Option(
            "--location", "-l", help="Only this location (default: every EU one)."
        ),
    ] = None,
    catalog_file: Annotated[
        Path | None,
        typer.Option(
            "--catalog",
            help="Read this catalogue instead of the one shipped with souverain.",
        ),
    ] = None,
) -> None:
    """Show the server types a new server can use today, per location."""
    with reported_errors():
        catalog = _read_catalog(catalog_file)
        if location is not None:
            _check_location(catalog, location)
        locations = [location] if location is not None else catalog.eu_locations()
        typer.echo(render_listing(catalog, locations, _today()), nl=False)
