"""Pulumi.yaml as a `pulumi new` template: what it asks for makes a stack that plans.

`pulumi new` itself is not run here: it needs the Pulumi CLI and its Python language
host, which this suite does without. What it does with the answers is simple and
checked below instead: each answer is saved as text under its key in the new stack's
file, a blank answer is left out, and a `secret` one is encrypted.
"""

from pathlib import Path

import yaml

from components.config import KNOWN_KEYS, NAMESPACE, REQUIRED, SECRET_SETTINGS
from souverain.plan import plan_stack
from tests.conftest import ADMIN_KEY
from tests.souverain.test_plan import SERVER, make_project

REPO = Path(__file__).resolve().parents[1]
PROJECT = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
TEMPLATE = PROJECT["template"]
PREFIX = f"{NAMESPACE}:"
CREDENTIALS = {key for keys in SECRET_SETTINGS.values() for key in keys}
# What a user types at the prompts that have no default.
ANSWERS = {
    "souverain:startupName": "acme",
    "souverain:domain": "acme.eu",
    "souverain:sshPublicKeys": f'{{"admin": "{ADMIN_KEY}"}}',
    "souverain:allowedKubeApiCidrs": '["203.0.113.7/32"]',
}


def test_every_prompt_is_a_setting_and_only_credentials_are_secret():
    for key, prompt in TEMPLATE["config"].items():
        assert set(prompt) <= {"description", "default", "secret"}, key
        assert prompt["description"], key
        if key.startswith(PREFIX):
            assert key.removeprefix(PREFIX) in KNOWN_KEYS, key
        else:
            assert key == "hcloud:token", key
        is_credential = key == "hcloud:token" or key.removeprefix(PREFIX) in CREDENTIALS
        assert prompt.get("secret", False) is is_credential, key


def test_every_required_setting_is_asked_for():
    asked = {key.removeprefix(PREFIX) for key in TEMPLATE["config"]}

    assert REQUIRED <= asked
    assert {key for key in ANSWERS} == {
        key
        for key, prompt in TEMPLATE["config"].items()
        if "default" not in prompt and not prompt.get("secret")
    }


def test_no_prompt_answers_a_setting_declared_as_an_array():
    # A prompt's answer is saved as text, and the Pulumi CLI refuses text for a
    # setting Pulumi.yaml declares as an array ("must be of type 'array<string>'").
    for key in TEMPLATE["config"]:
        declared = PROJECT["config"].get(key.removeprefix(PREFIX), {})
        assert declared.get("type") != "array", key


def test_a_stack_made_from_the_prompts_plans_without_edits(tmp_path):
    # As `pulumi new` saves it: every answer as text; the secret prompts left blank.
    config = {
        key: ANSWERS.get(key, prompt.get("default"))
        for key, prompt in TEMPLATE["config"].items()
        if not prompt.get("secret")
    }
    stack = yaml.safe_dump({"config": config}, sort_keys=False)

    plan = plan_stack("acme", make_project(tmp_path, "acme", stack))

    assert [s.name for s in plan.of_type(SERVER)] == ["acme-main-1"]
    assert plan.warnings == (
        "hcloudClusterToken is not set, so the plan stands in a placeholder; before "
        "`pulumi up`, run `pulumi config set --secret souverain:hcloudClusterToken "
        "<value> --stack acme` (enableCluster needs it)",
    )
