"""Where post-comment posts: each forge's CI variables, the options, the event file.

The command runs as a CI job would, with only the variables each test gives; a
missing or wrong one must stop it with one line naming the variable, before any
request, and the token must stay out of every message and repr.
"""

import json

import pytest

from components.errors import SouverainError
from souverain.console import EXIT_USER_ERROR
from souverain.forge_targets import Overrides, comment_target
from tests.fakes.forge_api import FakeForge
from tests.souverain.test_forge_comment import REPORT, TOKEN, VARIABLES, ci_env, post


@pytest.mark.parametrize(
    ("forge", "unset", "message"),
    [
        (
            "github",
            "GITHUB_REPOSITORY",
            "GITHUB_REPOSITORY is not set: GitHub Actions sets it in every job; "
            "outside Actions pass --repository OWNER/REPO",
        ),
        (
            "github",
            "GITHUB_TOKEN",
            "GITHUB_TOKEN is not set: give the step `env: GITHUB_TOKEN: "
            "${{ secrets.GITHUB_TOKEN }}`",
        ),
        (
            "forgejo",
            "FORGEJO_API_URL",
            "FORGEJO_API_URL (or GITHUB_API_URL) is not set: Forgejo's runner sets "
            "it in every job; outside Forgejo Actions pass --api-url "
            "https://codeberg.org/api/v1",
        ),
        (
            "gitlab",
            "CI_MERGE_REQUEST_IID",
            "CI_MERGE_REQUEST_IID is not set: GitLab sets it only in merge request "
            'pipelines (`rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event"`);'
            " elsewhere pass --number IID",
        ),
        (
            "gitlab",
            "GITLAB_TOKEN",
            "GITLAB_TOKEN is not set: store a project access token (role Reporter, "
            "scope api) as the masked CI/CD variable GITLAB_TOKEN, since GitLab's "
            "CI_JOB_TOKEN cannot write merge request notes (docs/ci.md)",
        ),
    ],
)
def test_a_missing_variable_is_one_line_naming_it(forge, unset, message, tmp_path):
    with FakeForge(forge, TOKEN) as fake:
        result = post(tmp_path, forge, ci_env(fake, tmp_path, **{unset: None}))

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.splitlines() == [f"error: {message}"]
    assert fake.requests == []


def test_a_forgejo_runner_before_v7_is_read_from_its_github_names(tmp_path):
    with FakeForge("forgejo", TOKEN) as fake:
        env = ci_env(fake, tmp_path)
        for name in ["API_URL", "REPOSITORY", "EVENT_PATH", "TOKEN"]:
            env[f"GITHUB_{name}"], env[f"FORGEJO_{name}"] = env[f"FORGEJO_{name}"], None

        result = post(tmp_path, "forgejo", env)

    assert result.exit_code == 0, result.stderr
    assert fake.bodies() == [REPORT]


def test_options_stand_in_for_the_variables_outside_ci(tmp_path):
    with FakeForge("github", TOKEN) as fake:
        env = dict.fromkeys(VARIABLES) | {"GITHUB_TOKEN": TOKEN}
        options = ["--api-url", fake.api_url, "--repository", "acme/infra"]

        result = post(tmp_path, "github", env, REPORT, *options, "--number", "5")

    assert result.exit_code == 0, result.stderr
    assert fake.bodies() == [REPORT]


def test_a_push_event_has_no_pull_request_to_comment_on(tmp_path):
    with FakeForge("github", TOKEN) as fake:
        push = tmp_path / "push.json"
        push.write_text(json.dumps({"ref": "refs/heads/main", "after": "ab12"}))

        result = post(
            tmp_path, "github", ci_env(fake, tmp_path, GITHUB_EVENT_PATH=str(push))
        )

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.splitlines() == [
        f"error: the event in {push} is not a pull request's: run post-comment in a "
        "job started by `pull_request`, or pass --number N"
    ]


def test_an_unknown_forge_is_named_with_the_known_ones(tmp_path):
    result = post(tmp_path, "gitea", dict.fromkeys(VARIABLES))

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr.splitlines() == [
        "error: forge 'gitea' is not one souverain knows: use github, forgejo or "
        "gitlab (Codeberg runs Forgejo)"
    ]


def test_a_gitlab_project_named_by_its_path_goes_in_encoded():
    env = {"CI_API_V4_URL": "https://gitlab.example/api/v4", "GITLAB_TOKEN": "t"}

    target = comment_target("gitlab", Overrides(repository="acme/infra", number=7), env)

    assert target.comments_path == "/projects/acme%2Finfra/merge_requests/7/notes"
    assert target.comment_path == "/projects/acme%2Finfra/merge_requests/7/notes/{id}"
    assert target.where == "merge request !7 of project acme/infra"


def test_a_repository_without_its_owner_is_refused():
    env = {"GITHUB_API_URL": "https://api.github.com", "GITHUB_TOKEN": "t"}

    with pytest.raises(SouverainError) as refused:
        comment_target("github", Overrides(repository="infra", number=5), env)

    assert str(refused.value) == (
        "repository 'infra' is not OWNER/REPO: write it as --repository acme/infra"
    )


def test_the_token_stays_out_of_the_targets_repr():
    env = {
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_REPOSITORY": "acme/infra",
        "GITHUB_TOKEN": TOKEN,
    }

    target = comment_target("github", Overrides(number=5), env)

    assert target.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in repr(target)
