"""The `souverain` command line: plan stacks offline and keep the catalogue fresh."""

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.logging import RichHandler

from components.errors import SouverainError
from souverain import console
from souverain.catalog import catalog_app
from souverain.ci import ci_app
from souverain.console import ProjectDirOption
from souverain.cost_command import cost, prices_app
from souverain.forge_command import post_comment
from souverain.new import new
from souverain.preview_command import comment, load_base, report_changes
from souverain.sovereignty_command import print_verdict, sovereignty
from souverain.state import state_app

app = typer.Typer(
    help="souverain: a European startup's production stack on European providers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(catalog_app, name="catalog")
app.add_typer(state_app, name="state")
app.add_typer(prices_app, name="prices")
app.add_typer(ci_app, name="ci")
app.command()(new)
app.command()(cost)
app.command()(sovereignty)
app.command(name="post-comment")(post_comment)
app.command()(comment)


@app.callback()
def main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show debug logs and tracebacks.")
    ] = False,
) -> None:
    """Configure logging once for every command."""
    console.VERBOSE["on"] = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=console.errors, show_path=verbose, markup=False)],
    )


@app.command()
def plan(
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="The stack to plan.")
    ] = "dev",
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the plan as JSON here.")
    ] = None,
    project_dir: ProjectDirOption = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            metavar="BASE",
            help="Report the changes from BASE: a plan file from --json, or a git "
            "ref whose stack file is planned with this checkout's code.",
        ),
    ] = None,
    report_file: Annotated[
        Path | None,
        typer.Option("--report", help="Write the --compare report here, not stdout."),
    ] = None,
) -> None:
    """Show what `pulumi up` would create for a stack, without any cloud account.

    The sovereignty rules run over the plan too; a broken one exits with code 4.
    With --compare, the tree gives way to a Markdown report of the changes, their
    monthly cost and the sovereignty verdict (docs/previews.md).
    """
    # Imported here: Pulumi's SDK takes most of a second to import, which the other
    # commands should not pay.
    from souverain.plan import plan_stack
    from souverain.render import render_plan

    with console.reported_errors():
        result = plan_stack(stack, project_dir)
        baseline = None
        if compare is not None or report_file is not None:
            # Read before --json writes: the base may be the very file it replaces.
            baseline = load_base(result, compare, report_file, project_dir)
        if json_file is not None:
            _write_json(result.as_json(), json_file)
        if baseline is not None:
            sovereign = report_changes(result, baseline, report_file, project_dir)
        else:
            typer.echo(render_plan(result), nl=False)
            sovereign = print_verdict(result, project_dir)
        for warning in result.warnings:
            console.say_error(f"warning: {warning}")
    if not sovereign:
        raise typer.Exit(console.EXIT_POLICY_VIOLATION)


def _write_json(document: dict, path: Path) -> None:
    """Write the plan as JSON; a path that cannot be written is the user's to fix."""
    try:
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    except OSError as err:
        raise SouverainError(
            f"cannot write the plan to {path}: {err.strerror or err}; choose a path "
            "in a folder that exists and that you can write to"
        ) from None
    logging.getLogger(__name__).info("wrote the plan as JSON to %s", path)
