"""`souverain plan --compare` and `souverain comment`: the change report of a stack.

Both write the same Markdown (report.py): to stdout, or to a file while stdout gets a
few lines saying what changes and what it costs. Both exit with code 4 after writing
when the changed stack breaks a sovereignty rule, as `souverain plan` does.
"""

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from components.errors import SouverainError
from souverain import console
from souverain.console import ProjectDirOption

if TYPE_CHECKING:
    from souverain.baseline import Baseline
    from souverain.plan import Plan
    from souverain.report import Report

logger = logging.getLogger(__name__)


def _deliver(report: "Report", target: Path | None) -> None:
    """Markdown to stdout; or to `target`, with the short summary on stdout."""
    if target is None:
        typer.echo(report.markdown, nl=False)
        return
    try:
        target.write_text(report.markdown, encoding="utf-8")
    except OSError as err:
        raise SouverainError(
            f"cannot write the report to {target}: {err.strerror or err}; choose a "
            "path in a folder that exists and that you can write to"
        ) from None
    typer.echo(report.summary, nl=False)
    logger.info("wrote the report to %s", target)


def load_base(
    plan: "Plan", base: str | None, target: Path | None, project_dir: Path | None
) -> "Baseline":
    """The plan `plan` is compared with, read from `base` (a plan file or git ref)."""
    from souverain.baseline import load_baseline

    if base is None:
        raise SouverainError(
            f"--report {target} needs something to compare with: add --compare "
            "with a plan file or a git ref, e.g. --compare main"
        )
    return load_baseline(base, plan.stack, project_dir, plan.project)


def report_changes(
    plan: "Plan", baseline: "Baseline", target: Path | None, project_dir: Path | None
) -> bool:
    """Compare `plan` with `baseline`, deliver the report; True when it is sovereign."""
    from souverain.diff import compare_plans
    from souverain.report import build_report

    diff = compare_plans(baseline.plan, plan)
    report = build_report(diff, baseline.plan, plan, baseline.description, project_dir)
    _deliver(report, target)
    return report.sovereign


def comment(
    preview: Annotated[
        Path,
        typer.Argument(
            help="The output of `pulumi preview --json`.", show_default=False
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the Markdown here, not stdout."),
    ] = None,
    stack: Annotated[
        str | None,
        typer.Option("--stack", "-s", help="Refuse a preview of any other stack."),
    ] = None,
    project_dir: ProjectDirOption = None,
) -> None:
    """Write the change report of a real `pulumi preview --json`, for a pull request.

    The same Markdown as `souverain plan --compare`, from the engine's own verdict:
    changes, monthly cost before and after, sovereignty. Secrets are never shown.
    """
    # Imported here: Pulumi's SDK takes most of a second to import, which the other
    # commands should not pay.
    from souverain.preview import read_preview
    from souverain.report import build_report

    with console.reported_errors():
        found = read_preview(preview, stack)
        description = f"From `pulumi preview` of the deployed stack (`{preview.name}`)."
        report = build_report(
            found.diff,
            found.before,
            found.after,
            description,
            project_dir,
            complete=found.complete,
        )
        _deliver(report, output)
    if not report.sovereign:
        raise typer.Exit(console.EXIT_POLICY_VIOLATION)
