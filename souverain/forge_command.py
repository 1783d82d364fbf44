"""`souverain post-comment`: put a preview report on its pull or merge request."""

from pathlib import Path
from typing import Annotated

import typer

from components.errors import SouverainError
from souverain import console
from souverain.forge_targets import FORGES, Overrides, comment_target, forge_problem


def post_comment(
    report: Annotated[
        Path, typer.Argument(help="The Markdown report `souverain comment` wrote.")
    ],
    forge: Annotated[str, typer.Option(help="github, forgejo or gitlab.")],
    api_url: Annotated[
        str | None,
        typer.Option(help="The forge's API root (default: from the CI variables)."),
    ] = None,
    repository: Annotated[
        str | None,
        typer.Option(
            help="OWNER/REPO, or GitLab's project id (default: from the CI variables)."
        ),
    ] = None,
    number: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="The pull request's number or merge request's IID (default: from "
            "the CI variables).",
        ),
    ] = None,
) -> None:
    """Post a preview report on the pull request, or update the one posted before.

    The token comes from the environment only: GITHUB_TOKEN, FORGEJO_TOKEN or
    GITLAB_TOKEN (docs/ci.md).
    """
    # Imported here: requests and tenacity cost every other command a tenth of a
    # second at start.
    from souverain.forge_comment import MARKER_RE, post_report, report_marker

    with console.reported_errors():
        if forge not in FORGES:
            raise SouverainError(forge_problem(forge))
        try:
            text = report.read_text(encoding="utf-8")
        except OSError as err:
            raise SouverainError(
                f"cannot read the report {report}: {err.strerror or err}; make it "
                "with `souverain comment PREVIEW.json --output report.md`"
            ) from None
        marker = report_marker(text, report)
        target = comment_target(forge, Overrides(api_url, repository, number))

        posted = post_report(target, text, marker)
        preview = f"preview of stack {MARKER_RE.match(marker).group(1)}"
        link = f": {posted.url}" if posted.url else f" (comment {posted.comment_id})"
        said = {
            "posted": f"Posted the {preview} on {target.where}",
            "updated": f"Updated the {preview} on {target.where}",
            "unchanged": f"The {preview} on {target.where} was already up to date",
        }[posted.action]
        typer.echo(said + link)
