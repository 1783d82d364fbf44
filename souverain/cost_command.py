"""`souverain cost`: what a stack would cost per month, from its offline plan."""

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from souverain import console
from souverain.catalog import DEFAULT_ENDPOINT
from souverain.console import ProjectDirOption
from souverain.files import write_json_whole
from souverain.prices import PRICES_FILE

logger = logging.getLogger(__name__)


def cost(
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="The stack to price.")
    ] = "dev",
    vat: Annotated[
        str | None,
        typer.Option(
            "--vat", help="The VAT rate as a fraction (default: 0.19, Germany's)."
        ),
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the estimate as JSON.")
    ] = None,
    prices_file: Annotated[
        Path | None,
        typer.Option("--prices", help="Price with this file, not the shipped one."),
    ] = None,
    project_dir: ProjectDirOption = None,
) -> None:
    """Estimate a stack's monthly cost at list prices, net and with VAT."""
    # Imported here: Pulumi's SDK takes most of a second to import, which the other
    # commands should not pay.
    from souverain.cost import load_prices, price_plan, render_estimate, vat_rate
    from souverain.plan import plan_stack

    with console.reported_errors():
        rate = vat_rate(vat) if vat is not None else None
        prices = load_prices(prices_file)
        estimate = price_plan(plan_stack(stack, project_dir), prices, rate)
        if json_file is not None:
            write_json_whole(estimate.as_json(), json_file, "estimate", "--json")
            logger.info("wrote the estimate as JSON to %s", json_file)
        typer.echo(render_estimate(estimate), nl=False)


prices_app = typer.Typer(
    help="The list prices `souverain cost` uses, kept in souverain/prices.json.",
    no_args_is_help=True,
)


def _today() -> dt.date:
    """Today's date; one function, so tests can pin it."""
    return dt.date.today()


@prices_app.command()
def refresh(
    endpoint: Annotated[
        str,
        typer.Option("--endpoint", envvar="HCLOUD_ENDPOINT", help="The API to ask."),
    ] = DEFAULT_ENDPOINT,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the price data.")
    ] = PRICES_FILE,
) -> None:
    """Rewrite Hetzner's prices from its Cloud API's /pricing, using HCLOUD_TOKEN."""
    # Imported here, as for `catalog refresh`: hcloud-python is slow to import.
    from souverain.prices_refresh import refresh_prices

    with console.reported_errors():
        token = os.environ.get("HCLOUD_TOKEN", "")
        refresh_prices(output, endpoint, token, _today(), base=PRICES_FILE)
