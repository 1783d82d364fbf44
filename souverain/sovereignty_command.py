"""`souverain sovereignty`, and the verdict `souverain plan` prints after its tree."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from souverain import console
from souverain.console import ProjectDirOption

if TYPE_CHECKING:
    from souverain.plan import Plan


def print_verdict(plan: "Plan", project_dir: Path | None) -> bool:
    """Print the sovereignty verdict of a plan; True when every rule holds."""
    from souverain.sovereignty import sovereignty_report

    report = sovereignty_report(plan, project_dir=project_dir)
    typer.echo(report.verdict(), nl=False)
    for reminder in report.reminders:
        console.say_error(f"warning: {reminder}")
    return report.passed


def sovereignty(
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="The stack to report on.")
    ] = "dev",
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Write Markdown, for a pull request.")
    ] = False,
    project_dir: ProjectDirOption = None,
) -> None:
    """Show who holds each resource, under which law, and where its data lives."""
    # Imported here: Pulumi's SDK takes most of a second to import, which the other
    # commands should not pay.
    from souverain.plan import plan_stack
    from souverain.sovereignty import sovereignty_report

    with console.reported_errors():
        report = sovereignty_report(plan_stack(stack, project_dir), None, project_dir)
        rendered = report.render_markdown() if markdown else report.render_text()
        typer.echo(rendered, nl=False)
    if not report.passed:
        raise typer.Exit(console.EXIT_POLICY_VIOLATION)
