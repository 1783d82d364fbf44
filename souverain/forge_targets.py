"""Where `souverain post-comment` posts: each forge's API, read from its CI variables.

GitHub Actions and Forgejo Actions describe the running job in `GITHUB_*` variables
(Forgejo also as `FORGEJO_*`), with the pull request in the event file; GitLab CI
describes it in `CI_*` variables. Options given on the command line win over them,
so the command also runs outside CI. The token is only ever read from the
environment, never from an option, so it stays out of shell history and `ps`.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from components.errors import SouverainError

FORGES = ("github", "forgejo", "gitlab")
# GitHub refuses a longer comment body with HTTP 422.
GITHUB_MAX_BODY = 65536
# GitLab's limit for a note; Forgejo documents none, so it gets the same.
GITLAB_MAX_BODY = 1_000_000
# The REST API version whose comment endpoints this module speaks.
GITHUB_API_VERSION = "2022-11-28"


@dataclass(frozen=True)
class Overrides:
    """What the command line says instead of the CI variables."""

    api_url: str | None = None
    repository: str | None = None
    number: int | None = None


@dataclass(frozen=True)
class CommentTarget:
    """One pull or merge request's comments on one forge, and how to write them."""

    forge: str
    """The forge's name as people write it, for messages: GitHub, Forgejo, GitLab."""
    api_url: str
    """The API root, e.g. https://api.github.com or https://codeberg.org/api/v1."""
    comments_path: str
    """Lists the comments (GET) and creates one (POST)."""
    comment_path: str
    """One comment, with `{id}` for its id; updated with `update_method`."""
    update_method: str
    list_params: dict[str, str]
    """Query parameters of the first listing request (page size, order)."""
    token_variable: str
    """The environment variable the token came from, named in errors."""
    refused_fix: str
    """What to check when the forge refuses the token."""
    where: str
    """The pull or merge request, for messages, e.g. 'pull request #5 of acme/infra'."""
    max_body: int
    skip_system_notes: bool = False
    """GitLab lists its own events (pushes, approvals) among the notes."""
    # repr=False: the headers carry the token, which must not reach a log or a
    # traceback through this object.
    headers: dict[str, str] = field(default_factory=dict, repr=False)


def comment_target(
    forge: str, overrides: Overrides, env: Mapping[str, str] | None = None
) -> CommentTarget:
    """The comment target of `forge` for the job described by `env`."""
    env = os.environ if env is None else env
    if forge == "github":
        return _github(overrides, env)
    if forge == "forgejo":
        return _forgejo(overrides, env)
    if forge == "gitlab":
        return _gitlab(overrides, env)
    raise SouverainError(forge_problem(forge))


def forge_problem(forge: str) -> str:
    """The refusal of a forge souverain does not know."""
    return (
        f"forge '{forge}' is not one souverain knows: use github, forgejo or gitlab "
        "(Codeberg runs Forgejo)"
    )


def _github(overrides: Overrides, env: Mapping[str, str]) -> CommentTarget:
    outside = "GitHub Actions sets it in every job; outside Actions pass"
    api_url = overrides.api_url or _required(
        env, ["GITHUB_API_URL"], f"{outside} --api-url https://api.github.com"
    )
    repository = overrides.repository or _required(
        env, ["GITHUB_REPOSITORY"], f"{outside} --repository OWNER/REPO"
    )
    owner, repo = _owner_and_repo(repository)
    number = overrides.number or _pull_number(env, ["GITHUB_EVENT_PATH"], "GitHub")
    token = _required(
        env,
        ["GITHUB_TOKEN"],
        "give the step `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`",
    )
    return CommentTarget(
        forge="GitHub",
        api_url=api_url.rstrip("/"),
        comments_path=f"/repos/{owner}/{repo}/issues/{number}/comments",
        comment_path=f"/repos/{owner}/{repo}/issues/comments/{{id}}",
        update_method="PATCH",
        list_params={"per_page": "100"},
        token_variable="GITHUB_TOKEN",
        refused_fix=(
            "the job needs `permissions: pull-requests: write`, and a pull request "
            "from a fork only ever gets a read-only token"
        ),
        where=f"pull request #{number} of {owner}/{repo}",
        max_body=GITHUB_MAX_BODY,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": GITHUB_API_VERSION,
        },
    )


def _forgejo(overrides: Overrides, env: Mapping[str, str]) -> CommentTarget:
    # Runners before v7 set only the GITHUB_* names, so both are read.
    outside = "Forgejo's runner sets it in every job; outside Forgejo Actions pass"
    api_url = overrides.api_url or _required(
        env,
        ["FORGEJO_API_URL", "GITHUB_API_URL"],
        f"{outside} --api-url https://codeberg.org/api/v1",
    )
    repository = overrides.repository or _required(
        env,
        ["FORGEJO_REPOSITORY", "GITHUB_REPOSITORY"],
        f"{outside} --repository OWNER/REPO",
    )
    owner, repo = _owner_and_repo(repository)
    number = overrides.number or _pull_number(
        env, ["FORGEJO_EVENT_PATH", "GITHUB_EVENT_PATH"], "Forgejo"
    )
    token = _required(
        env,
        ["FORGEJO_TOKEN", "GITHUB_TOKEN"],
        "give the step `env: FORGEJO_TOKEN: ${{ forgejo.token }}`",
    )
    return CommentTarget(
        forge="Forgejo",
        api_url=api_url.rstrip("/"),
        comments_path=f"/repos/{owner}/{repo}/issues/{number}/comments",
        comment_path=f"/repos/{owner}/{repo}/issues/comments/{{id}}",
        update_method="PATCH",
        # Forgejo answers the whole list at once; a Link header is followed if sent.
        list_params={},
        token_variable="FORGEJO_TOKEN",
        refused_fix=(
            "a pull request from a fork only ever gets a read-only token; otherwise "
            "check that Actions are enabled for the repository"
        ),
        where=f"pull request #{number} of {owner}/{repo}",
        max_body=GITLAB_MAX_BODY,
        headers={"Authorization": f"token {token}", "Accept": "application/json"},
    )


def _gitlab(overrides: Overrides, env: Mapping[str, str]) -> CommentTarget:
    outside = "GitLab CI sets it in every job; outside GitLab CI pass"
    api_url = overrides.api_url or _required(
        env, ["CI_API_V4_URL"], f"{outside} --api-url https://gitlab.com/api/v4"
    )
    project = overrides.repository or _required(
        env, ["CI_PROJECT_ID"], f"{outside} --repository PROJECT_ID"
    )
    iid = overrides.number or _positive(
        _required(
            env,
            ["CI_MERGE_REQUEST_IID"],
            "GitLab sets it only in merge request pipelines (`rules: - if: "
            '$CI_PIPELINE_SOURCE == "merge_request_event"`); elsewhere pass '
            "--number IID",
        ),
        "CI_MERGE_REQUEST_IID",
    )
    # GitLab's CI_JOB_TOKEN cannot reach the notes API, so a token of its own it is.
    token = _required(
        env,
        ["GITLAB_TOKEN"],
        "store a project access token (role Reporter, scope api) as the masked "
        "CI/CD variable GITLAB_TOKEN, since GitLab's CI_JOB_TOKEN cannot write "
        "merge request notes (docs/ci.md)",
    )
    # A project may be named by its path (group/project), which goes in encoded.
    project_ref = quote(project, safe="")
    notes = f"/projects/{project_ref}/merge_requests/{iid}/notes"
    return CommentTarget(
        forge="GitLab",
        api_url=api_url.rstrip("/"),
        comments_path=notes,
        comment_path=f"{notes}/{{id}}",
        update_method="PUT",
        list_params={"per_page": "100", "sort": "asc", "order_by": "created_at"},
        token_variable="GITLAB_TOKEN",
        refused_fix=(
            "the token needs the api scope and at least the Reporter role on the "
            "project, and must not have expired"
        ),
        where=f"merge request !{iid} of project {project}",
        max_body=GITLAB_MAX_BODY,
        skip_system_notes=True,
        headers={"PRIVATE-TOKEN": token},
    )


def _required(env: Mapping[str, str], names: list[str], where: str) -> str:
    """The first of `names` set in `env`; a one-line error naming it otherwise."""
    for name in names:
        if env.get(name):
            return env[name]
    named = names[0] if len(names) == 1 else f"{names[0]} (or {names[1]})"
    raise SouverainError(f"{named} is not set: {where}")


def _owner_and_repo(repository: str) -> tuple[str, str]:
    owner, _, repo = repository.partition("/")
    if not owner or not repo or "/" in repo:
        raise SouverainError(
            f"repository '{repository}' is not OWNER/REPO: write it as "
            "--repository acme/infra"
        )
    return quote(owner, safe=""), quote(repo, safe="")


def _positive(text: str, name: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise SouverainError(
            f"{name} is '{text}', not a pull or merge request number: pass --number N"
        )
    return int(text)


def _pull_number(env: Mapping[str, str], names: list[str], forge: str) -> int:
    """The pull request's number, from the event file the runner wrote."""
    path = Path(
        _required(
            env,
            names,
            f"{forge}'s runner sets it in every job; outside it pass --number N",
        )
    )
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SouverainError(
            f"cannot read the event file {path} named by {names[0]}: "
            f"{getattr(err, 'strerror', None) or err}; pass --number N"
        ) from None
    pull = event.get("pull_request") if isinstance(event, dict) else None
    number = pull.get("number") if isinstance(pull, dict) else None
    if not isinstance(number, int) or number <= 0:
        raise SouverainError(
            f"the event in {path} is not a pull request's: run post-comment in a "
            "job started by `pull_request`, or pass --number N"
        )
    return number
