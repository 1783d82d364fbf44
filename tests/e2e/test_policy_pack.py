"""The sovereignty policy pack under the real engine: `pulumi preview --policy-pack`.

The engine runs policy/__main__.py as a binary analyzer through a one-line launcher
(the CLI built by tools.sh has no Python language host, which would otherwise start
the pack): the pack's code, its policies and the engine's requests are the real ones.
"""

import sys
import time
from pathlib import Path

import pulumi
import pulumi_hcloud as hcloud
import pytest
from pulumi import automation as auto

from tests.e2e.conftest import HCLOUD_TOKEN, Cloud
from tests.e2e.test_pulumi_up import open_stack

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def policy_pack(tmp_path: Path) -> Path:
    """An executable that serves policy/ with this interpreter, as an analyzer.

    The engine starts it with its own address last; pulumi.policy runs the folder's
    __main__.py, which serves the pack.
    """
    launcher = tmp_path / "souverain-policy-pack"
    launcher.write_text(
        "#!/bin/sh\n"
        'for arg; do engine="$arg"; done\n'
        f'exec "{sys.executable}" -u -m pulumi.policy "$engine" "{REPO / "policy"}"\n'
    )
    launcher.chmod(0o755)
    return launcher


def timed(step: str, run):
    started = time.perf_counter()
    result = run()
    print(f"e2e: {step} took {time.perf_counter() - started:.1f}s")
    return result


def test_the_e2e_stack_passes_every_policy(
    workspace: Path, tools: Path, cloud: Cloud, dynamic_provider_host: Path, policy_pack
):
    stack = open_stack(workspace, tools, cloud, dynamic_provider_host)
    lines: list[str] = []

    preview = timed(
        "pulumi preview --policy-pack (e2e stack)",
        lambda: stack.preview(policy_packs=[str(policy_pack)], on_output=lines.append),
    )

    assert preview.change_summary["create"] > 20
    output = "\n".join(lines)
    assert "souverain-sovereignty" in output, output
    assert "mandatory" not in output, output


def test_a_server_outside_the_eu_in_prod_fails_the_preview(
    tmp_path: Path, tools: Path, cloud: Cloud, policy_pack
):
    def program() -> None:
        hcloud.Server(
            "acme-web-1",
            server_type="cpx11",
            image="ubuntu-24.04",
            location="ash",
        )
        pulumi.export("done", True)

    (tmp_path / "state").mkdir()
    stack = auto.create_or_select_stack(
        stack_name="prod",
        project_name="sovereignty-check",
        program=program,
        opts=auto.LocalWorkspaceOptions(
            work_dir=str(tmp_path),
            pulumi_home=str(tools / "pulumi-home"),
            env_vars={
                "PATH": f"{tools / 'bin'}:/usr/bin:/bin",
                "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
                "PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase",
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            },
            pulumi_command=auto.PulumiCommand(root=str(tools)),
        ),
    )
    stack.set_config("hcloud:endpoint", auto.ConfigValue(cloud.hetzner.endpoint))
    stack.set_config("hcloud:token", auto.ConfigValue(HCLOUD_TOKEN, secret=True))

    with pytest.raises(auto.CommandError) as failed:
        timed(
            "pulumi preview --policy-pack (server in ash, stack prod)",
            lambda: stack.preview(policy_packs=[str(policy_pack)]),
        )

    output = str(failed.value)
    assert "acme-web-1: location 'ash' is outside the EU; use fsn1, hel1 or nbg1" in (
        output
    )
    # The stack's name reached the pack: prod holds servers to deletion protection.
    assert (
        "acme-web-1: deleteProtection and rebuildProtection are off in the "
        "production stack 'prod'"
    ) in output
    assert "mandatory" in output
    assert cloud.hetzner.state.of("servers") == {}
