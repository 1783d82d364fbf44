"""Deletion protection: which stacks are production, and what a stack then declares."""

from pathlib import Path

import pytest
import yaml

from components.protection import (
    deletion_protected,
    hcloud_protection,
    is_production_stack,
)
from souverain.plan import plan_stack
from tests.souverain.test_plan import make_project

REPO = Path(__file__).resolve().parents[2]
DEV = yaml.safe_load((REPO / "stacks" / "Pulumi.dev.yaml").read_text())
PROTECTABLE = (
    "hcloud:index/server:Server",
    "hcloud:index/loadBalancer:LoadBalancer",
    "hcloud:index/network:Network",
    "hcloud:index/primaryIp:PrimaryIp",
)


@pytest.mark.parametrize(
    ("stack", "production"),
    [
        ("prod", True),
        ("production", True),
        ("acme-prod", True),
        ("prod.eu", True),
        ("eu_prod_2", True),
        ("acme/souverain/PROD", True),
        ("dev", False),
        ("product-demo", False),
        ("preprod", False),
        ("e2e", False),
    ],
)
def test_a_stack_is_production_by_a_word_of_its_name(stack, production):
    assert is_production_stack(stack) is production


def test_the_setting_wins_over_the_name():
    assert deletion_protected(None, "prod") is True
    assert deletion_protected(False, "prod") is False
    assert deletion_protected(True, "dev") is True
    assert deletion_protected(None, "dev") is False


def test_hcloud_inputs_are_left_out_when_protection_is_off():
    assert hcloud_protection(False, rebuild=True) == {}
    assert hcloud_protection(True) == {"delete_protection": True}
    assert hcloud_protection(True, rebuild=True) == {
        "delete_protection": True,
        "rebuild_protection": True,
    }


def protection_by_resource(tmp_path: Path, stack: str, **settings) -> dict:
    """(deleteProtection, rebuildProtection) of each protectable resource."""
    config = {**DEV["config"], **{f"souverain:{k}": v for k, v in settings.items()}}
    folder = tmp_path / stack
    folder.mkdir()
    project = make_project(folder, stack, yaml.safe_dump({"config": config}))
    plan = plan_stack(stack, project)
    return {
        r.name: (r.inputs.get("deleteProtection"), r.inputs.get("rebuildProtection"))
        for r in plan.resources
        if r.type in PROTECTABLE
    }


def test_a_production_stack_protects_servers_balancer_network_and_addresses(tmp_path):
    assert protection_by_resource(tmp_path, "prod") == {
        "acme-dev-lb": (True, None),
        "acme-dev-main-1": (True, True),
        "acme-dev-main-1-ipv4": (True, None),
        "acme-dev-network": (True, None),
    }


def test_protection_switched_off_declares_what_a_dev_stack_does(tmp_path):
    expected = {
        "acme-dev-lb": (None, None),
        "acme-dev-main-1": (None, None),
        "acme-dev-main-1-ipv4": (None, None),
        "acme-dev-network": (None, None),
    }

    (tmp_path / "other").mkdir()
    assert protection_by_resource(tmp_path, "prod", deletionProtection=False) == (
        expected
    )
    assert protection_by_resource(tmp_path / "other", "dev") == expected


def test_a_stack_can_switch_protection_on_by_itself(tmp_path):
    protected = protection_by_resource(tmp_path, "staging", deletionProtection=True)

    assert protected["acme-dev-main-1"] == (True, True)
