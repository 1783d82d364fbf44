"""`souverain post-comment`: one preview comment per stack on a pull request, updated.

The report `souverain comment` (or `souverain plan --compare`) writes starts with a
hidden marker line naming its stack. This command looks for a comment of the pull
request whose first line is that marker: it updates that comment when there is
one, and posts a new one otherwise, so each push replaces the preview in place
instead of piling up comments.
"""

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import tenacity

from components.errors import SouverainError
from souverain.forge_targets import (
    CommentTarget,
)

logger = logging.getLogger(__name__)

MARKER_RE = re.compile(r"^<!-- souverain:preview stack=(\S+) -->$")
TIMEOUT_S = 30
# A forge that fails four times running is down, not hiccuping.
ATTEMPTS = 4
# Module-level so tests can wait no time; 1 s, 2 s, 4 s between attempts.
RETRY_WAIT = tenacity.wait_exponential(multiplier=1, max=8)
TRUNCATED_NOTE = (
    "\n\n_The report is longer than {forge} takes in one comment "
    "({limit:,} characters); the CI job's log holds all of it._\n"
)


class _TransientError(Exception):
    """A failure worth another attempt: the forge or the network hiccuped."""


@dataclass(frozen=True)
class Posted:
    """What post-comment did."""

    action: str
    """'posted', 'updated' or 'unchanged'."""
    comment_id: int
    url: str | None


def report_marker(report: str, path: Path) -> str:
    """The marker line the report starts with; refuses a report without one."""
    first_line = report.split("\n", 1)[0].strip()
    if not MARKER_RE.match(first_line):
        raise SouverainError(
            f"{path} does not start with the marker line "
            "'<!-- souverain:preview stack=NAME -->', by which post-comment finds "
            "its earlier comment: make the report with `souverain comment "
            "PREVIEW.json --output report.md`"
        )
    return first_line


def fit_body(report: str, target: CommentTarget) -> str:
    """The report, cut at a line end with a note when the forge takes less."""
    if len(report) <= target.max_body:
        return report
    note = TRUNCATED_NOTE.format(forge=target.forge, limit=target.max_body)
    kept = report[: target.max_body - len(note)]
    # Cut at a line end, so no table row or code fence is left half-written.
    kept = kept[: kept.rfind("\n")] if "\n" in kept else kept
    logger.warning(
        "the report has %d characters, more than %s takes; posting the first %d",
        len(report),
        target.forge,
        len(kept),
    )
    return kept + note


def post_report(target: CommentTarget, report: str, marker: str) -> Posted:
    """Update the comment that carries `marker`, or post the report as a new one."""
    body = fit_body(report, target)
    with requests.Session() as session:
        session.headers.update(target.headers)
        existing = _find_comment(session, target, marker)
        if existing is None:
            created = _call(session, target, "POST", target.comments_path, body)
            return Posted("posted", created["id"], created.get("html_url"))

        if existing.get("body") == body:
            return Posted("unchanged", existing["id"], existing.get("html_url"))
        path = target.comment_path.format(id=existing["id"])
        updated = _call(session, target, target.update_method, path, body)
        return Posted("updated", updated["id"], updated.get("html_url"))


def _find_comment(
    session: requests.Session, target: CommentTarget, marker: str
) -> dict[str, Any] | None:
    """The oldest comment whose first line is `marker`, every page looked through."""
    url: str | None = target.api_url + target.comments_path
    params: dict[str, str] | None = target.list_params
    while url is not None:
        response = _send(session, target, "GET", url, params=params)
        comments = _json(response, target)
        if not isinstance(comments, list):
            raise SouverainError(
                f"{target.forge} answered the list of comments of {target.where} "
                "with something else than a list: check --api-url"
            )
        for comment in comments:
            if target.skip_system_notes and comment.get("system"):
                continue
            first_line = str(comment.get("body") or "").split("\n", 1)[0].strip()
            if first_line == marker:
                return comment
        # The next page's URL carries its own query.
        url, params = _next_page(response, target), None
    return None


def _next_page(response: requests.Response, target: CommentTarget) -> str | None:
    """The Link header's next page, if it stays on the API's own host."""
    link = response.links.get("next", {}).get("url")
    if link is None:
        return None
    # The token travels with every request: never to a host the API did not name.
    if urlsplit(link)[:2] != urlsplit(target.api_url)[:2]:
        raise SouverainError(
            f"{target.forge} pointed the next page of comments at {link}, outside "
            f"{target.api_url}: check --api-url"
        )
    return link


def _call(
    session: requests.Session,
    target: CommentTarget,
    method: str,
    path: str,
    body: str,
) -> dict[str, Any]:
    """Send a comment body; the forge's answer is the comment it stored."""
    response = _send(
        session, target, method, target.api_url + path, json={"body": body}
    )
    stored = _json(response, target)
    if not isinstance(stored, dict) or not isinstance(stored.get("id"), int):
        raise SouverainError(
            f"{target.forge} answered {method} {path} without the comment's id: "
            "check --api-url"
        )
    return stored


def _send(
    session: requests.Session,
    target: CommentTarget,
    method: str,
    url: str,
    **kwargs: Any,
) -> requests.Response:
    """One request, tried again on a 5xx answer or a network failure."""
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(_TransientError),
        stop=tenacity.stop_after_attempt(ATTEMPTS),
        wait=RETRY_WAIT,
        before_sleep=lambda state: logger.warning(
            "%s %s failed (%s); trying again",
            method,
            urlsplit(url).path,
            state.outcome.exception() if state.outcome else "?",
        ),
        reraise=True,
    )
    try:
        response = retrying(_attempt, session, method, url, **kwargs)
    except _TransientError as err:
        raise SouverainError(
            f"{target.forge} did not answer {method} {urlsplit(url).path} after "
            f"{ATTEMPTS} attempts ({err}): try the job again later"
        ) from None
    except requests.Timeout:
        raise SouverainError(
            f"{target.forge} did not answer {method} {urlsplit(url).path} in "
            f"{TIMEOUT_S} s, so the comment may or may not be there: run the job "
            "again, which updates it"
        ) from None
    _refuse_errors(response, target, method)
    return response


def _attempt(
    session: requests.Session, method: str, url: str, **kwargs: Any
) -> requests.Response:
    # No redirects: requests would carry a PRIVATE-TOKEN header to any host.
    try:
        response = session.request(
            method, url, timeout=TIMEOUT_S, allow_redirects=False, **kwargs
        )
    except requests.ConnectionError as err:
        raise _TransientError(f"no connection: {type(err).__name__}") from None
    except requests.Timeout as err:
        # A POST that timed out may have been stored: posting again would make a
        # second comment, so only idempotent requests are tried again.
        if method == "POST":
            raise
        raise _TransientError(f"no answer in {TIMEOUT_S} s") from err
    if response.status_code >= 500:
        raise _TransientError(f"HTTP {response.status_code}")
    return response


def _json(response: requests.Response, target: CommentTarget) -> Any:
    """The answer's JSON; an answer in another format is not the forge's API."""
    try:
        return response.json()
    except ValueError:
        raise SouverainError(
            f"{target.forge} answered {urlsplit(response.url).path} with something "
            "else than JSON: check --api-url, which is the API root (e.g. "
            "https://codeberg.org/api/v1), not the web address"
        ) from None


def _refuse_errors(
    response: requests.Response, target: CommentTarget, method: str
) -> None:
    """Turn an answer that is not a success into one line that says what to fix."""
    status = response.status_code
    if status < 300:
        return
    request = f"HTTP {status} on {method} {urlsplit(response.url).path}"
    if status < 400:
        raise SouverainError(
            f"{target.forge} redirected {request} to "
            f"{response.headers.get('Location', '?')}: pass the API root it "
            "redirects to as --api-url"
        )
    if status in (401, 403):
        raise SouverainError(
            f"{target.forge} refused the token in {target.token_variable} "
            f"({request}): {target.refused_fix}"
        )
    if status == 404:
        raise SouverainError(
            f"{target.forge} does not know {target.where} ({request}): check "
            "--repository and --number, and that the token can see the repository"
        )
    raise SouverainError(
        f"{target.forge} refused the request ({request}): {_error_message(response)}"
    )


def _error_message(response: requests.Response) -> str:
    """The forge's own explanation, from the fields its error bodies use."""
    try:
        document = response.json()
    except ValueError:
        return response.text[:200] or "no explanation given"
    if isinstance(document, dict):
        for key in ("message", "error", "errors"):
            if document.get(key):
                return str(document[key])[:200]
    return str(document)[:200]
