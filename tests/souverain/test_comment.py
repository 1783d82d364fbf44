"""`souverain comment` on `pulumi preview --json` documents, real and doctored.

The fixture is the real engine's preview of the e2e stack (tests/e2e/
test_preview_comment.py) after its workers pool got a second server and a label,
with `--show-sames`; only each state's stack trace and the run's diagnostics, which
held this machine's paths, were taken out.
"""

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from souverain.cli import app
from souverain.console import EXIT_USER_ERROR
from souverain.diff import (
    ABSENT,
    CREATE,
    REPLACE,
    UPDATE,
    PropertyChange,
    ResourceChange,
)
from souverain.plan import UNKNOWN
from souverain.preview import read_preview

FIXTURE = Path(__file__).parent / "fixtures" / "preview-e2e-workers.json"
URN = "urn:pulumi:e2e::souverain::souverain:hetzner:NodePool$hcloud:index/"
BUCKET_URN = (
    "urn:pulumi:e2e::souverain::souverain:hetzner:Bucket"
    "$pulumi-python:dynamic/s3:Bucket::acme-backups-bucket"
)
SIGNED_SECRET = {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    "plaintext": '"an-unmasked-secret-value"',
}
STACK_URN = "urn:pulumi:e2e::souverain::pulumi:pulumi:Stack::souverain-e2e"
runner = CliRunner()


@pytest.fixture
def document() -> dict:
    """A fresh copy of the real preview document, for a test to doctor."""
    return json.loads(FIXTURE.read_text())


def write(tmp_path: Path, document: dict) -> Path:
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(document))
    return path


def step_of(document: dict, urn: str) -> dict:
    return next(step for step in document["steps"] if step["urn"] == urn)


def test_the_real_preview_becomes_the_diff_the_engine_decided():
    preview = read_preview(FIXTURE, "e2e")

    label = (PropertyChange("labels.tier", ABSENT, "apps"),)
    assert preview.diff.changes == (
        ResourceChange(
            CREATE,
            f"{URN}server:Server::acme-workers-2",
            "hcloud:index/server:Server",
            "acme-workers-2",
        ),
        ResourceChange(
            UPDATE,
            f"{URN}placementGroup:PlacementGroup::acme-workers-spread-1",
            "hcloud:index/placementGroup:PlacementGroup",
            "acme-workers-spread-1",
            label,
        ),
        ResourceChange(
            UPDATE,
            f"{URN}server:Server::acme-workers-1",
            "hcloud:index/server:Server",
            "acme-workers-1",
            label,
        ),
    )
    # 40 resources with the stack: 37 stay, the stack not counted.
    assert preview.diff.unchanged == 36
    assert preview.complete is True
    assert (len(preview.before.resources), len(preview.after.resources)) == (38, 39)


def test_the_comment_command_writes_the_report_with_the_exact_difference(tmp_path):
    output = tmp_path / "comment.md"

    result = runner.invoke(app, ["comment", str(FIXTURE), "--output", str(output)])

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "e2e: +1 to create, ~2 to update, ±0 to replace, -0 to delete (36 unchanged)\n"
        "  + hcloud:Server acme-workers-2\n"
        "  ~ hcloud:PlacementGroup acme-workers-spread-1\n"
        "  ~ hcloud:Server acme-workers-1\n"
        # One cx23 (2.99) and its IPv4 (0.50); VAT rounds to 3.64 and 4.31.
        "monthly cost: 19.17 → 22.66 EUR net (+3.49), 22.81 → 26.97 EUR gross "
        "(+4.16)\n"
        "sovereignty: passed\n"
    )
    markdown = output.read_text()
    assert markdown.startswith(
        "<!-- souverain:preview stack=e2e -->\n## Changes to `e2e`\n\n"
        "From `pulumi preview` of the deployed stack (`preview-e2e-workers.json`).\n"
    )
    assert (
        "| `hcloud:PlacementGroup` | `acme-workers-spread-1` | `labels.tier`: "
        "`(none)` → `apps` |\n"
    ) in markdown


def test_the_real_previews_secrets_stay_hidden_and_doctored_ones_too(
    tmp_path, document
):
    # The engine wrote "[secret]" for the bucket's keys; make one a signed secret
    # with its plaintext, and put a credential in the clear under its own name, as
    # another tool might, and let both change.
    step = step_of(document, BUCKET_URN)
    step["op"] = "update"
    step["oldState"] = copy.deepcopy(step["newState"])
    step["oldState"]["inputs"]["secret_key"] = "old-plain-credential"
    step["newState"]["inputs"]["secret_key"] = SIGNED_SECRET
    step["newState"]["inputs"]["access_key"] = "new-plain-credential"
    step["detailedDiff"] = {
        "secret_key": {"kind": "update", "inputDiff": True},
        "access_key": {"kind": "update", "inputDiff": True},
    }

    result = runner.invoke(app, ["comment", str(write(tmp_path, document))])

    assert result.exit_code == 0, result.output
    assert (
        "| `s3:Bucket` | `acme-backups-bucket` | `access_key`: changed (secret)<br>"
        "`secret_key`: changed (secret) |\n"
    ) in result.stdout
    for secret in ("an-unmasked-secret-value", "plain-credential"):
        assert secret not in result.stdout
    assert FIXTURE.read_text().count('"[secret]"') == 110


def test_a_replacement_names_the_properties_that_force_it(tmp_path, document):
    step = step_of(document, f"{URN}server:Server::acme-workers-1")
    step["op"] = "replace"
    step["newState"]["inputs"]["location"] = "nbg1"
    step["replaceReasons"] = ["location"]
    step["detailedDiff"] = {"location": {"kind": "update-replace", "inputDiff": True}}
    step["newState"]["inputs"]["placementGroupId"] = (
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    )
    document["steps"].append(
        {**copy.deepcopy(step), "op": "create-replacement", "oldState": None}
    )

    preview = read_preview(write(tmp_path, document))

    (replaced,) = preview.diff.of(REPLACE)
    assert replaced == ResourceChange(
        REPLACE,
        f"{URN}server:Server::acme-workers-1",
        "hcloud:index/server:Server",
        "acme-workers-1",
        (PropertyChange("location", "fsn1", "nbg1", replaces=True),),
    )
    (worker,) = [r for r in preview.after.resources if r.name == "acme-workers-1"]
    assert worker.inputs["placementGroupId"] == UNKNOWN


def test_deleting_a_protected_server_says_pulumi_up_will_stop_there(tmp_path, document):
    # As the engine writes a deletion, of a server deployed with protection on.
    step = step_of(document, f"{URN}server:Server::acme-workers-1")
    step["op"] = "delete"
    step["oldState"]["inputs"]["deleteProtection"] = True
    del step["newState"]

    result = runner.invoke(app, ["comment", str(write(tmp_path, document))])

    assert result.exit_code == 0, result.output
    assert (
        "| `hcloud:Server` | `acme-workers-1` | delete | `deleteProtection` on |\n"
    ) in result.stdout
    assert "\n### Will stop `pulumi up` (1)\n" in result.stdout


def test_a_preview_without_sames_reports_no_totals_and_says_why(tmp_path, document):
    # As the engine writes it without --show-sames: the stack's own step stays.
    document["steps"] = [
        s
        for s in document["steps"]
        if s["op"] != "same" or s["urn"].endswith("pulumi:pulumi:Stack::souverain-e2e")
    ]
    assert len(document["steps"]) == 4

    result = runner.invoke(app, ["comment", str(write(tmp_path, document))])

    assert result.exit_code == 0, result.output
    assert (
        "### Monthly cost\n\nThe cost cannot be estimated: the preview lists only the "
        "changed resources, so the stack's totals cannot be added up: write it with "
        "`pulumi preview --json --show-sames`\n"
    ) in result.stdout
    assert "(36 unchanged)" in result.stdout
    assert "> Note: the preview lists only the changed resources" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "not json",
            "is not JSON (Expecting value, line 1); write it with `pulumi preview "
            "--json --show-sames --stack <stack> > preview.json`",
        ),
        (
            json.dumps({"project": "souverain", "stack": "e2e", "resources": []}),
            "is a souverain plan, not a preview: compare two plans with `souverain "
            "plan --stack <stack> --compare",
        ),
        (
            json.dumps({"diagnostics": [{"message": "boom\n", "severity": "error"}]}),
            "failed: boom; fix the program or the stack's configuration, then run "
            "`pulumi preview --json --show-sames --stack <stack>` again",
        ),
        (
            json.dumps({"changeSummary": {}}),
            "is not a `pulumi preview --json` document: it has no 'steps' list",
        ),
        (
            "[]",
            "is a list, not a `pulumi preview --json` document; write it with",
        ),
    ],
)
def test_what_is_not_a_preview_is_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "preview.json"
    path.write_text(content)

    result = runner.invoke(app, ["comment", str(path)])

    assert result.exit_code == EXIT_USER_ERROR
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_preview_of_another_stack_is_refused_with_the_command_to_run():
    result = runner.invoke(app, ["comment", str(FIXTURE), "--stack", "prod"])

    assert result.exit_code == EXIT_USER_ERROR
    assert result.stderr == (
        f"error: {FIXTURE} is a preview of the stack 'e2e', not 'prod': run "
        "`pulumi preview --json --show-sames --stack prod`, or pass --stack e2e\n"
    )
    assert result.stdout == ""


def test_a_preview_the_engine_stopped_on_an_error_is_refused_with_that_error(
    tmp_path, document
):
    # As the engine writes them: each message starts with its prefix, a program's
    # output comes as info, and the first error may span several lines.
    document["diagnostics"] = [
        {"message": "building the stack\n", "severity": "info"},
        {
            "urn": f"{URN}server:Server::acme-workers-1",
            "message": "warning: serverType cx23 is deprecated\n",
            "severity": "warning",
        },
        {
            "urn": f"{URN}server:Server::acme-workers-1",
            "message": "error: hcloud:index/server:Server resource 'acme-workers-1' "
            "has a problem:\n    location 'nbg9' is not a valid location\n",
            "severity": "error",
        },
        {"urn": STACK_URN, "message": "error: preview failed\n", "severity": "error"},
    ]
    path = write(tmp_path, document)

    result = runner.invoke(app, ["comment", str(path)])

    assert result.exit_code == EXIT_USER_ERROR, result.output
    assert result.stderr == (
        f"error: the preview in {path} failed at acme-workers-1: "
        "hcloud:index/server:Server resource 'acme-workers-1' has a problem: "
        "location 'nbg9' is not a valid location; fix the program or the stack's "
        "configuration, then run `pulumi preview --json --show-sames --stack e2e` "
        "again\n"
    )
    assert result.stdout == ""


def test_a_program_that_failed_is_named_by_its_folded_exception(tmp_path, document):
    document["diagnostics"] = [
        {
            "urn": STACK_URN,
            "message": "error: Program failed with an unhandled exception:\n"
            "Traceback (most recent call last):\n"
            '  File "__main__.py", line 9, in <module>\n'
            "components.errors.ConfigError: 1 configuration problem\n",
            "severity": "error",
        }
    ]
    path = write(tmp_path, document)

    result = runner.invoke(app, ["comment", str(path)])

    assert result.exit_code == EXIT_USER_ERROR, result.output
    assert result.stderr == (
        f"error: the preview in {path} failed: Program failed with an unhandled "
        'exception: Traceback (most recent call last): File "__main__.py", line 9, '
        "in <module> components.errors.ConfigError: 1 configuration problem; fix the "
        "program or the stack's configuration, then run `pulumi preview --json "
        "--show-sames --stack e2e` again\n"
    )


def test_warnings_alone_leave_the_report_as_it_is(tmp_path, document):
    document["diagnostics"] = [
        {"urn": STACK_URN, "message": "warning: a note\n", "severity": "warning"}
    ]

    result = runner.invoke(app, ["comment", str(write(tmp_path, document))])

    assert result.exit_code == 0, result.output
    assert "**+1 to create, ~2 to update, ±0 to replace, -0 to delete**" in (
        result.stdout
    )


SERVER_X = "urn:pulumi:prod::souverain::hcloud:index/server:Server::x"
STEP = {"urn": SERVER_X, "op": "update"}
STATE = {"urn": SERVER_X, "type": "hcloud:index/server:Server", "inputs": {}}


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (
            {"steps": [{**STEP, "oldState": "str"}]},
            f"step 0 ({SERVER_X}): 'oldState' is a string, not an object",
        ),
        (
            {"steps": [{**STEP, "oldState": STATE, "detailedDiff": [1, 2]}]},
            f"step 0 ({SERVER_X}): 'detailedDiff' is a list, not an object",
        ),
        (
            {"steps": [{**STEP, "oldState": {"type": STATE["type"], "inputs": {}}}]},
            f"step 0 ({SERVER_X}): 'oldState.urn' is missing",
        ),
        (
            {"steps": [{**STEP, "detailedDiff": {"location": "update-replace"}}]},
            f"step 0 ({SERVER_X}): 'detailedDiff' entry 'location' is a string, not "
            "an object",
        ),
        (
            {"steps": [STEP, {**STEP, "newState": {**STATE, "inputs": [1]}}]},
            f"step 1 ({SERVER_X}): 'newState.inputs' is a list, not an object",
        ),
        (
            {"steps": [{**STEP, "oldState": {**STATE, "dependencies": [1]}}]},
            f"step 0 ({SERVER_X}): 'oldState.dependencies' is not a list of strings",
        ),
        ({"steps": [STEP, 3]}, "step 1: it is a number, not an object"),
        ({"steps": [{"urn": SERVER_X}]}, f"step 0 ({SERVER_X}): 'op' is missing"),
        ({"steps": [], "diagnostics": "boom"}, "'diagnostics' is a string, not a list"),
        (
            {"steps": [], "changeSummary": [1]},
            "'changeSummary' is a list, not an object",
        ),
    ],
)
def test_a_malformed_preview_names_the_step_and_field_in_one_line(
    tmp_path, document, problem
):
    path = write(tmp_path, document)

    result = runner.invoke(app, ["comment", str(path)])

    assert result.exit_code == EXIT_USER_ERROR, result.output
    assert result.stderr == (
        f"error: {path}: {problem}, so the file is not what `pulumi preview --json` "
        "writes; write it with `pulumi preview --json --show-sames --stack <stack> > "
        "preview.json`\n"
    )
    assert result.stdout == ""
