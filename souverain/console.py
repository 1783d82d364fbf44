"""How every command reports a failure: one readable message and an exit code."""

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from components.errors import ConfigError, SouverainError

EXIT_USER_ERROR = 1
# 2 is click's own code for a mistyped command line.
EXIT_CONFIG_ERROR = 3
# The plan is sound but breaks a sovereignty rule (docs/sovereignty.md).
EXIT_POLICY_VIOLATION = 4
EXIT_INTERNAL_ERROR = 70

ProjectDirOption = Annotated[
    Path | None,
    typer.Option(help="The souverain checkout (default: the one around cwd)."),
]
"""The --project-dir option every command that reads stacks takes."""

errors = Console(stderr=True, highlight=False)
# Set once by the CLI's root callback from --verbose.
VERBOSE = {"on": False}


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
        if VERBOSE["on"]:
            raise
        say_error(
            f"internal error: {type(err).__name__}: {err}. Run the same command as "
            "`souverain --verbose <command> …` for the traceback, and report it with "
            "that output."
        )
        raise typer.Exit(EXIT_INTERNAL_ERROR) from None
