"""The `souverain` command line: plan stacks offline and keep the catalogue fresh."""

import json
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler

from components.errors import ConfigError, SouverainError
from souverain.catalog import catalog_app

EXIT_USER_ERROR = 1
EXIT_CONFIG_ERROR = 2
EXIT_INTERNAL_ERROR = 70

app = typer.Typer(
    help="souverain: a European startup's production stack on European providers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(catalog_app, name="catalog")
errors = Console(stderr=True, highlight=False)
_state = {"verbose": False}


@app.callback()
def main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show debug logs and tracebacks.")
    ] = False,
) -> None:
    """Configure logging once for every command."""
    _state["verbose"] = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=errors, show_path=verbose, markup=False)],
    )


def say_error(message: str) -> None:
    """Print to stderr as is: no markup, no wrapping, so lines stay greppable."""
    errors.print(message, markup=False, soft_wrap=True, highlight=False)


@contextmanager
def reported_errors():
    """Turn errors into one readable message and an exit code; tracebacks only on -v."""
    try:
        yield
    except ConfigError as err:
        say_error(f"error: {err}")
        say_error("Fix the stack file, then run the command again.")
        raise typer.Exit(EXIT_CONFIG_ERROR) from None
    except SouverainError as err:
        say_error(f"error: {err}")
        raise typer.Exit(EXIT_USER_ERROR) from None
    except Exception as err:
        if _state["verbose"]:
            raise
        say_error(
            f"internal error: {type(err).__name__}: {err}. Run again with --verbose "
            "for the traceback, and report it with that output."
        )
        raise typer.Exit(EXIT_INTERNAL_ERROR) from None


@app.command()
def plan(
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="The stack to plan.")
    ] = "dev",
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the plan as JSON here.")
    ] = None,
    project_dir: Annotated[
        Path | None,
        typer.Option(help="The souverain checkout (default: the one around cwd)."),
    ] = None,
) -> None:
    """Show what `pulumi up` would create for a stack, without any cloud account."""
    from souverain.plan import plan_stack
    from souverain.render import render_plan

    with reported_errors():
        result = plan_stack(stack, project_dir)
        typer.echo(render_plan(result), nl=False)
        if json_file is not None:
            document = json.dumps(result.as_json(), indent=2, sort_keys=True)
            json_file.write_text(document + "\n")
            logging.getLogger(__name__).info("wrote the plan as JSON to %s", json_file)
