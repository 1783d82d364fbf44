"""`souverain catalog`: rebuild Hetzner's server-type catalogue from the API, list it.

`refresh` asks the Hetzner Cloud API, through hcloud-python, for every location and
server type and writes them in the layout `components/hetzner/catalog.py` reads.
`list` shows which server types a new server can use in a location today.
"""

import datetime as dt
import json
import os
from pathlib import Path
from typing import Annotated

import typer

from components.errors import SouverainError
from components.hetzner.catalog import (
    CATALOG_FILE,
    Catalog,
    load_catalog,
    parse_catalog,
)
from components.text import one_of, whole_number
from souverain.console import reported_errors

# hcloud-python's own default; a test keeps the two equal.
DEFAULT_ENDPOINT = "https://api.hetzner.cloud/v1"

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
                str(whole_number(server_type.memory_gb)),
                str(whole_number(server_type.disk_gb)),
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
    # Imported here: hcloud-python and requests take a fifth of a second to import,
    # which every other command would pay for nothing.
    from souverain import catalog_refresh

    with reported_errors():
        token = os.environ.get("HCLOUD_TOKEN", "")
        catalog_refresh.refresh_catalog(output, endpoint, token, _today())


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
