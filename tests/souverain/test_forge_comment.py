"""`souverain post-comment` against fake GitHub, Forgejo and GitLab comment APIs.

Each test runs the command as a CI job would, with the forge's variables in the
environment, then checks the exact requests the fake received, the comments it
keeps, and what the command printed: never the token, never a traceback.
"""

import json
from pathlib import Path

import pytest
import tenacity
from typer.testing import CliRunner

from souverain import forge_comment
from souverain.cli import app
from souverain.console import EXIT_USER_ERROR
from tests.fakes.forge_api import FakeForge

runner = CliRunner()
TOKEN = "tok-7Qx2LmZ9vK4pR8sT"
VARIABLES = [
    "GITHUB_API_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_EVENT_PATH",
    "GITHUB_TOKEN",
    "FORGEJO_API_URL",
    "FORGEJO_REPOSITORY",
    "FORGEJO_EVENT_PATH",
    "FORGEJO_TOKEN",
    "CI_API_V4_URL",
    "CI_PROJECT_ID",
    "CI_MERGE_REQUEST_IID",
    "GITLAB_TOKEN",
]
MARKER = "<!-- souverain:preview stack=prod -->"
REPORT = f"{MARKER}\n## souverain preview of prod\n\n3 to create, 1 to update.\n"
NEWER = f"{MARKER}\n## souverain preview of prod\n\n3 to create, 2 to update.\n"
# What each forge's first listing request asks for, after the list's path.
FIRST_PAGE = {
    "github": "?per_page=100",
    "forgejo": "",
    "gitlab": "?per_page=100&sort=asc&order_by=created_at",
}
WHERE = {
    "github": "pull request #5 of acme/infra",
    "forgejo": "pull request #5 of acme/infra",
    "gitlab": "merge request !7 of project 42",
}
FORGE_NAME = {"github": "GitHub", "forgejo": "Forgejo", "gitlab": "GitLab"}
TOKEN_VARIABLE = {
    "github": "GITHUB_TOKEN",
    "forgejo": "FORGEJO_TOKEN",
    "gitlab": "GITLAB_TOKEN",
}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    """Retries happen at once: the tests count attempts, not seconds."""
    monkeypatch.setattr(forge_comment, "RETRY_WAIT", tenacity.wait_none())


@pytest.fixture(params=["github", "forgejo", "gitlab"])
def fake(request):
    """A fake of each forge in turn, with the token TOKEN."""
    with FakeForge(request.param, TOKEN) as served:
        yield served


def ci_env(fake: FakeForge, tmp_path: Path, **changes: str | None) -> dict:
    """The variables the forge's runner sets in a pull request job, and no other."""
    env: dict[str, str | None] = dict.fromkeys(VARIABLES)
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"action": "synchronize", "pull_request": {"number": 5}})
    )
    if fake.forge == "github":
        env.update(
            GITHUB_API_URL=fake.api_url,
            GITHUB_REPOSITORY="acme/infra",
            GITHUB_EVENT_PATH=str(event),
            GITHUB_TOKEN=TOKEN,
        )
    elif fake.forge == "forgejo":
        env.update(
            FORGEJO_API_URL=fake.api_url,
            FORGEJO_REPOSITORY="acme/infra",
            FORGEJO_EVENT_PATH=str(event),
            FORGEJO_TOKEN=TOKEN,
        )
    else:
        env.update(
            CI_API_V4_URL=fake.api_url,
            CI_PROJECT_ID="42",
            CI_MERGE_REQUEST_IID="7",
            GITLAB_TOKEN=TOKEN,
        )
    env.update(changes)
    return env


def post(tmp_path: Path, forge: str, env: dict, report: str = REPORT, *args: str):
    """Run `souverain post-comment` with `report`; the token must never show."""
    path = tmp_path / "report.md"
    path.write_text(report)
    result = runner.invoke(
        app, ["post-comment", str(path), "--forge", forge, *args], env=env
    )
    printed = result.stdout + result.stderr
    assert TOKEN not in printed
    assert "Traceback" not in printed
    return result


def comment_path(fake: FakeForge, comment_id: int) -> str:
    return fake.dialect.prefix + fake.dialect.item_prefix + str(comment_id)


def list_path(fake: FakeForge) -> str:
    return fake.dialect.prefix + fake.dialect.list_path


def link(fake: FakeForge, comment_id: int) -> str:
    """How the command names the comment it wrote."""
    if fake.forge == "github":
        return f": https://github.com/acme/infra/pull/5#issuecomment-{comment_id}"
    if fake.forge == "forgejo":
        return f": https://codeberg.org/acme/infra/pulls/5#issuecomment-{comment_id}"
    return f" (comment {comment_id})"


def test_a_second_run_updates_the_one_comment_and_leaves_others_alone(fake, tmp_path):
    human = fake.add("Looks good to me")
    env = ci_env(fake, tmp_path)

    first = post(tmp_path, fake.forge, env)
    second = post(tmp_path, fake.forge, env, NEWER)

    assert first.exit_code == 0, first.stderr
    assert second.exit_code == 0, second.stderr
    posted = human + 1
    assert fake.requests == [
        ("GET", list_path(fake) + FIRST_PAGE[fake.forge]),
        ("POST", list_path(fake)),
        ("GET", list_path(fake) + FIRST_PAGE[fake.forge]),
        (fake.dialect.update_method, comment_path(fake, posted)),
    ]
    assert fake.bodies() == ["Looks good to me", NEWER]
    assert first.stdout == (
        f"Posted the preview of stack prod on {WHERE[fake.forge]}{link(fake, posted)}\n"
    )
    assert second.stdout == (
        f"Updated the preview of stack prod on {WHERE[fake.forge]}"
        f"{link(fake, posted)}\n"
    )


def test_an_unchanged_report_sends_no_update(fake, tmp_path):
    kept = fake.add(REPORT)

    result = post(tmp_path, fake.forge, ci_env(fake, tmp_path))

    assert result.exit_code == 0, result.stderr
    assert fake.requests == [("GET", list_path(fake) + FIRST_PAGE[fake.forge])]
    assert result.stdout == (
        f"The preview of stack prod on {WHERE[fake.forge]} was already up to date"
        f"{link(fake, kept)}\n"
    )


def test_another_stacks_preview_is_not_taken_for_this_one(fake, tmp_path):
    dev = "<!-- souverain:preview stack=dev -->\n## souverain preview of dev\n"
    fake.add(dev)
    # The marker quoted further down a comment is not the comment's marker.
    fake.add(f"Why does this say\n{MARKER}\n?")

    result = post(tmp_path, fake.forge, ci_env(fake, tmp_path))

    assert result.exit_code == 0, result.stderr
    assert fake.bodies() == [dev, f"Why does this say\n{MARKER}\n?", REPORT]


@pytest.mark.parametrize("forge", ["github", "gitlab"])
def test_every_page_is_read_before_a_new_comment_is_posted(forge, tmp_path):
    with FakeForge(forge, TOKEN, page_size=2) as fake:
        for number in range(5):
            fake.add(f"comment {number}")

        result = post(tmp_path, forge, ci_env(fake, tmp_path))

    assert result.exit_code == 0, result.stderr
    first = list_path(fake) + FIRST_PAGE[forge]
    assert fake.requests == [
        ("GET", first),
        ("GET", f"{first}&page=2"),
        ("GET", f"{first}&page=3"),
        ("POST", list_path(fake)),
    ]
    assert len(fake.comments) == 6


@pytest.mark.parametrize("forge", ["github", "gitlab"])
def test_the_preview_on_a_later_page_is_updated(forge, tmp_path):
    with FakeForge(forge, TOKEN, page_size=2) as fake:
        fake.add("first")
        fake.add("second")
        fake.add("third")
        preview = fake.add(REPORT)
        fake.add("fifth")

        result = post(tmp_path, forge, ci_env(fake, tmp_path), NEWER)

    assert result.exit_code == 0, result.stderr
    first = list_path(fake) + FIRST_PAGE[forge]
    assert fake.requests == [
        ("GET", first),
        ("GET", f"{first}&page=2"),
        (fake.dialect.update_method, comment_path(fake, preview)),
    ]
    assert fake.bodies() == ["first", "second", "third", NEWER, "fifth"]


def test_a_gitlab_system_note_is_never_taken_for_the_preview(tmp_path):
    with FakeForge("gitlab", TOKEN) as fake:
        fake.add(REPORT, system=True)

        result = post(tmp_path, "gitlab", ci_env(fake, tmp_path), NEWER)

    assert result.exit_code == 0, result.stderr
    assert fake.bodies() == [REPORT, NEWER]


def test_a_refused_token_is_one_line_naming_its_variable(fake, tmp_path):
    variable = TOKEN_VARIABLE[fake.forge]
    env = ci_env(fake, tmp_path, **{variable: "not-the-token-1234"})

    result = post(tmp_path, fake.forge, env)

    assert result.exit_code == EXIT_USER_ERROR
    fixes = {
        "github": "the job needs `permissions: pull-requests: write`, and a pull "
        "request from a fork only ever gets a read-only token",
        "forgejo": "a pull request from a fork only ever gets a read-only token; "
        "otherwise check that Actions are enabled for the repository",
        "gitlab": "the token needs the api scope and at least the Reporter role on "
        "the project, and must not have expired",
    }
    assert result.stderr.splitlines() == [
        f"error: {FORGE_NAME[fake.forge]} refused the token in {variable} "
        f"(HTTP 401 on GET {list_path(fake)}): {fixes[fake.forge]}"
    ]
    assert "not-the-token-1234" not in result.stdout + result.stderr
    assert len(fake.requests) == 1


def test_two_bad_gateways_are_retried_then_the_comment_is_posted(
    fake, tmp_path, caplog
):
    fake.faults = [502, 502]

    result = post(tmp_path, fake.forge, ci_env(fake, tmp_path))

    assert result.exit_code == 0, result.stderr
    listing = ("GET", list_path(fake) + FIRST_PAGE[fake.forge])
    assert fake.requests == [listing, listing, listing, ("POST", list_path(fake))]
    assert fake.bodies() == [REPORT]
    retries = [r.getMessage() for r in caplog.records if "trying again" in r.message]
    assert retries == [f"GET {list_path(fake)} failed (HTTP 502); trying again"] * 2


def test_a_forge_that_keeps_failing_stops_after_four_attempts(tmp_path):
    with FakeForge("github", TOKEN) as fake:
        fake.faults = [503] * 4

        result = post(tmp_path, "github", ci_env(fake, tmp_path))

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.splitlines() == [
        "error: GitHub did not answer GET /repos/acme/infra/issues/5/comments after "
        "4 attempts (HTTP 503): try the job again later"
    ]
    assert len(fake.requests) == 4
    assert fake.comments == {}


def test_a_client_error_is_not_retried(tmp_path):
    with FakeForge("github", TOKEN) as fake:
        fake.faults = [422]

        result = post(tmp_path, "github", ci_env(fake, tmp_path))

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.splitlines() == [
        "error: GitHub refused the request (HTTP 422 on GET "
        "/repos/acme/infra/issues/5/comments): fault 422"
    ]
    assert len(fake.requests) == 1


def test_a_report_too_long_for_github_is_cut_at_a_line_end_with_a_note(tmp_path):
    rows = "".join(f"| server-{number} | cx23 | fsn1 |\n" for number in range(4000))
    report = f"{MARKER}\n## souverain preview of prod\n\n{rows}"
    assert len(report) > 65536

    with FakeForge("github", TOKEN) as fake:
        result = post(tmp_path, "github", ci_env(fake, tmp_path), report)

    assert result.exit_code == 0, result.stderr
    [body] = fake.bodies()
    note = (
        "\n\n_The report is longer than GitHub takes in one comment (65,536 "
        "characters); the CI job's log holds all of it._\n"
    )
    assert body.startswith(f"{MARKER}\n## souverain preview of prod\n")
    assert body.endswith(" | cx23 | fsn1 |" + note)
    assert len(body) <= 65536
    assert report.startswith(body.removesuffix(note))


def test_a_redirect_is_not_followed_so_the_token_stays_home(tmp_path):
    with FakeForge("gitlab", TOKEN) as fake:
        fake.redirect_to = "http://127.0.0.1:9"

        result = post(tmp_path, "gitlab", ci_env(fake, tmp_path))

    assert result.exit_code == EXIT_USER_ERROR
    listing = list_path(fake) + FIRST_PAGE["gitlab"]
    assert result.stderr.splitlines() == [
        f"error: GitLab redirected HTTP 301 on GET {list_path(fake)} to "
        f"http://127.0.0.1:9{listing}: pass the API root it redirects to as "
        "--api-url"
    ]
    assert fake.requests == [("GET", listing)]


def test_a_next_page_on_another_host_is_refused(tmp_path):
    with FakeForge("github", TOKEN, page_size=1) as fake:
        fake.add("first")
        fake.add("second")
        fake.link_base = "https://elsewhere.example"

        result = post(tmp_path, "github", ci_env(fake, tmp_path))

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.splitlines() == [
        "error: GitHub pointed the next page of comments at https://elsewhere.example"
        "/repos/acme/infra/issues/5/comments?per_page=100&page=2, outside "
        f"{fake.api_url}: check --api-url"
    ]
    assert len(fake.requests) == 1


def test_a_report_without_the_marker_line_is_refused_before_any_request(fake, tmp_path):
    result = post(tmp_path, fake.forge, ci_env(fake, tmp_path), "## A preview\n")

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'report.md'} does not start with the marker line "
        "'<!-- souverain:preview stack=NAME -->', by which post-comment finds its "
        "earlier comment: make the report with `souverain comment PREVIEW.json "
        "--output report.md`"
    ]
    assert fake.requests == []
