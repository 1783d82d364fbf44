"""The CI templates: valid for their forge and safe from forks.

Each rendered template is checked against the schema its forge's editors use
(SchemaStore's, vendored by check-jsonschema), then parsed for the rules that keep
secrets away from forks: no `pull_request_target`, a same-repository condition on
the preview, secrets only in jobs a fork cannot start, `pulumi up` only on main
behind a person's approval, and actions pinned by commit. `souverain ci init` is
tested in test_ci.py.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from souverain.ci import PULUMI_CLI_VERSION, render_workflow
from souverain.state import MIN_PULUMI_CLI

REPO = Path(__file__).resolve().parents[2]
FORGES = ["github", "forgejo", "gitlab"]
SCHEMA = {
    "github": "vendor.github-workflows",
    # Forgejo reads GitHub's workflow syntax; what it does not have is checked below.
    "forgejo": "vendor.github-workflows",
    "gitlab": "vendor.gitlab-ci",
}
SAME_REPOSITORY = {
    "github": "github.event_name == 'pull_request' && "
    "github.event.pull_request.head.repo.full_name == github.repository",
    "forgejo": "forgejo.event_name == 'pull_request' && "
    "forgejo.event.pull_request.head.repo.full_name == forgejo.repository",
}
PINNED_CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"


def workflow(forge: str, stack: str = "prod") -> dict:
    """The rendered template, parsed."""
    return yaml.safe_load(render_workflow(forge, stack))


def triggers(document: dict) -> dict:
    """The `on:` section; PyYAML reads the key `on` as YAML 1.1's boolean true."""
    return document[True]


def check_schema(forge: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            SCHEMA[forge],
            str(path),
        ],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("forge", FORGES)
def test_each_template_is_valid_for_its_forge(forge, tmp_path):
    path = tmp_path / f"{forge}.yml"
    path.write_text(render_workflow(forge, "prod"))

    checked = check_schema(forge, path)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok -- validation done" in checked.stdout


@pytest.mark.parametrize("forge", FORGES)
def test_the_schema_check_catches_a_job_without_its_runner_or_script(forge, tmp_path):
    # Proves the check above can fail: the same template, one required key renamed.
    text = render_workflow(forge, "prod")
    broken = text.replace("runs-on:", "runs-onn:").replace("  script:", "  scripts:")
    path = tmp_path / f"{forge}.yml"
    path.write_text(broken)

    checked = check_schema(forge, path)

    assert checked.returncode == 1
    assert "Schema validation errors were encountered." in checked.stdout


@pytest.mark.parametrize("forge", FORGES)
def test_no_template_uses_pull_request_target(forge):
    # Outside the comments, which say why not.
    assert "pull_request_target" not in yaml.safe_dump(workflow(forge))


@pytest.mark.parametrize("forge", FORGES)
def test_every_placeholder_is_filled_and_the_stack_is_set_once(forge):
    text = render_workflow(forge, "acme-dev")

    assert "__" not in text
    document = yaml.safe_load(text)
    settings = document["env" if forge != "gitlab" else "variables"]
    assert settings["SOUVERAIN_STACK"] == "acme-dev"
    assert settings["PULUMI_VERSION"] == PULUMI_CLI_VERSION


def test_the_pulumi_cli_is_the_release_the_e2e_suite_runs():
    tools = (REPO / "tests" / "e2e" / "tools.sh").read_text()

    assert f"PULUMI_VERSION=v{PULUMI_CLI_VERSION}\n" in tools
    version = tuple(int(part) for part in PULUMI_CLI_VERSION.split("."))
    assert version >= tuple(int(part) for part in MIN_PULUMI_CLI.split("."))


@pytest.mark.parametrize("forge", FORGES)
def test_every_job_sets_up_as_the_readme_says_and_checks_the_cli_it_downloads(
    forge,
):
    readme = (REPO / "README.md").read_text()
    setup = re.search(r"^(python3 -m venv \.venv && [^\n]*?) && ", readme, re.M)
    text = render_workflow(forge, "prod")

    assert (
        setup.group(1)
        == "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]'"
    )
    assert text.count(setup.group(1)) == (1 if forge == "gitlab" else 2)
    assert text.count("| sha256sum -c -") == (1 if forge == "gitlab" else 2)
    assert text.count('pulumi login "${SOUVERAIN_STATE_URL}"') == (
        1 if forge == "gitlab" else 2
    )


@pytest.mark.parametrize("forge", FORGES)
def test_the_preview_posts_its_report_through_post_comment(forge):
    text = render_workflow(forge, "prod")
    order = [
        "pulumi preview --json --show-sames --stack "
        '"${SOUVERAIN_STACK}" > preview.json',
        '.venv/bin/souverain comment preview.json --stack "${SOUVERAIN_STACK}"',
        f".venv/bin/souverain post-comment report.md --forge {forge}",
        'exit "${verdict:-0}"',
    ]
    # GitLab folds the long comment line into the one above in its YAML.
    text = text.replace('"\n      --output', '" --output').replace("\\\n  ", "")

    positions = [text.find(command) for command in order]

    assert -1 not in positions, positions
    assert positions == sorted(positions)


def jobs_with_secrets(document: dict) -> dict[str, dict]:
    return {
        name: job
        for name, job in document["jobs"].items()
        if "secrets." in yaml.safe_dump(job)
    }


@pytest.mark.parametrize("forge", ["github", "forgejo"])
def test_secrets_reach_only_jobs_a_fork_cannot_start(forge):
    document = workflow(forge)
    context = "github" if forge == "github" else "forgejo"
    no_fork = [
        SAME_REPOSITORY[forge],
        f"{context}.event_name == 'push' && {context}.ref == 'refs/heads/main'",
        f"{context}.event_name == 'workflow_dispatch' && "
        f"{context}.ref == 'refs/heads/main' && inputs.stack == 'prod'",
    ]

    guarded = jobs_with_secrets(document)

    assert sorted(guarded) == ["preview", "up"]
    assert all(job["if"] in no_fork for job in guarded.values()), guarded
    assert "secrets." not in yaml.safe_dump(document["env"])
    # Secrets go to the steps that need them through env, never into a script,
    # where an expression's value would be pasted as shell code.
    for job in document["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step


@pytest.mark.parametrize("forge", ["github", "forgejo"])
def test_the_preview_runs_only_for_pull_requests_from_the_repository(forge):
    preview = workflow(forge)["jobs"]["preview"]

    assert preview["if"] == SAME_REPOSITORY[forge]


def test_github_runs_up_on_main_only_after_an_environments_reviewer_approves():
    document = workflow("github")
    up = document["jobs"]["up"]

    assert triggers(document) == {
        "pull_request": {"branches": ["main"]},
        "push": {"branches": ["main"]},
    }
    assert up["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert up["environment"] == "prod"
    assert up["concurrency"] == {
        "group": "souverain-prod-up",
        "cancel-in-progress": False,
    }
    assert up["steps"][-1]["run"] == (
        'pulumi up --yes --policy-pack policy --stack "${SOUVERAIN_STACK}"'
    )
    assert "environment" not in document["jobs"]["preview"]


def test_github_jobs_get_the_least_permissions_they_need():
    document = workflow("github")

    assert document["permissions"] == {}
    assert document["jobs"]["preview"]["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
    }
    assert document["jobs"]["up"]["permissions"] == {"contents": "read"}


@pytest.mark.parametrize("forge", ["github", "forgejo"])
def test_actions_are_pinned_by_commit_and_keep_no_credentials(forge):
    prefix = "" if forge == "github" else "https://github.com/"
    steps = [step for job in workflow(forge)["jobs"].values() for step in job["steps"]]

    used = [step for step in steps if "uses" in step]

    assert [step["uses"] for step in used] == [prefix + PINNED_CHECKOUT] * 2
    assert all(step["with"] == {"persist-credentials": False} for step in used)


def test_forgejo_deploys_only_when_started_by_hand_on_main_with_the_stacks_name():
    document = workflow("forgejo")
    up = document["jobs"]["up"]

    assert triggers(document) == {
        "pull_request": {"branches": ["main"]},
        "workflow_dispatch": {
            "inputs": {
                "stack": {
                    "description": "Type the stack's name to run pulumi up on it",
                    "required": True,
                    "type": "string",
                }
            }
        },
    }
    assert up["if"] == (
        "forgejo.event_name == 'workflow_dispatch' && "
        "forgejo.ref == 'refs/heads/main' && inputs.stack == 'prod'"
    )
    # Forgejo has no environments with reviewers: a key it ignores would only
    # promise an approval that never happens.
    assert "environment" not in up
    assert "permissions" not in document


def test_forgejo_posts_with_the_automatic_token_and_runs_on_a_chosen_runner():
    preview = workflow("forgejo")["jobs"]["preview"]

    post = preview["steps"][-1]
    assert post["env"] == {"FORGEJO_TOKEN": "${{ forgejo.token }}"}
    assert preview["runs-on"] == "${{ vars.SOUVERAIN_RUNNER || 'docker' }}"
    assert preview["container"] == {"image": "node:20-bookworm"}


def test_gitlab_previews_merge_requests_of_the_project_and_deploys_main_by_hand():
    document = workflow("gitlab")

    assert document["workflow"]["rules"] == [
        {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
        {"if": '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == "main"'},
    ]
    assert document["preview"]["rules"] == [
        {
            "if": '$CI_PIPELINE_SOURCE == "merge_request_event" && '
            "$CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_PROJECT_ID && "
            "$CI_MERGE_REQUEST_PROJECT_ID == $CI_PROJECT_ID"
        }
    ]
    assert document["up"]["rules"] == [
        {
            "if": '$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == "main"',
            "when": "manual",
        }
    ]
    assert document["up"]["environment"] == {
        "name": "prod",
        "deployment_tier": "production",
    }
    assert document["up"]["resource_group"] == "souverain-prod"
    assert document["up"]["script"] == [
        'pulumi up --yes --policy-pack policy --stack "${SOUVERAIN_STACK}"'
    ]


def test_gitlab_never_uses_the_job_token_for_the_note():
    text = render_workflow("gitlab", "prod")

    assert "CI_JOB_TOKEN" not in text
    assert "JOB-TOKEN" not in text
