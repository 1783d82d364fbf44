"""`pulumi up` for real: the engine, the hcloud plugin and our dynamic providers.

One stack's whole life, against the fakes: create it, find nothing to change, preview
a config change, notice a change made in the console, destroy it and leave every fake
empty. The engine's wall times are printed for the issue note and docs/e2e.md.
"""

import os
import re
import runpy
import time
from pathlib import Path

import yaml
from pulumi import automation as auto

from tests.e2e.conftest import HCLOUD_TOKEN, PASSPHRASE, Cloud

REPO = Path(__file__).resolve().parents[2]
STACK = "e2e"
# package:module:Type, as the engine prints a resource's type.
TYPE_TOKEN = re.compile(r"^[a-z0-9-]+:[^:\s]+:[A-Za-z]+$")


def open_stack(
    workspace: Path, tools: Path, cloud: Cloud, provider_host: Path
) -> auto.Stack:
    """The e2e stack with its settings, pointed at the fakes, running __main__.py."""
    path = os.pathsep.join([str(provider_host), str(tools / "bin"), os.environ["PATH"]])
    env = {
        "PATH": path,
        "PULUMI_BACKEND_URL": f"file://{workspace / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        # A missing plugin must fail at once, never be downloaded.
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }
    stack = auto.create_or_select_stack(
        stack_name=STACK,
        project_name="souverain",
        program=lambda: runpy.run_path(str(REPO / "__main__.py"), run_name="__main__"),
        opts=auto.LocalWorkspaceOptions(
            work_dir=str(workspace),
            pulumi_home=str(tools / "pulumi-home"),
            env_vars=env,
            pulumi_command=auto.PulumiCommand(root=str(tools)),
        ),
    )

    # The settings as a user writes them, then what only this run knows.
    stack_file = workspace / "stacks" / f"Pulumi.{STACK}.yaml"
    written = yaml.safe_load(stack_file.read_text()) or {}
    settings = yaml.safe_load((REPO / "tests" / "e2e" / "Pulumi.e2e.yaml").read_text())
    written["config"] = {
        **settings["config"],
        "hcloud:endpoint": cloud.hetzner.endpoint,
        "hcloud:pollInterval": "50ms",
        "souverain:objectStorageEndpoint": cloud.s3.endpoint,
        "souverain:bunnyApiUrl": cloud.bunny.endpoint,
    }
    stack_file.write_text(yaml.safe_dump(written))
    for key, value in {
        "hcloud:token": HCLOUD_TOKEN,
        "souverain:s3AccessKey": cloud.s3.access_key,
        "souverain:s3SecretKey": cloud.s3.secret_key,
        "souverain:bunnyAccessKey": cloud.bunny.access_key,
    }.items():
        stack.set_config(key, auto.ConfigValue(value, secret=True))
    return stack


def edit_settings(workspace: Path, change) -> None:
    """Change the stack file's settings, as a user would in an editor."""
    stack_file = workspace / "stacks" / f"Pulumi.{STACK}.yaml"
    written = yaml.safe_load(stack_file.read_text())
    change(written["config"])
    stack_file.write_text(yaml.safe_dump(written))


def set_worker_count(workspace: Path, count: int) -> None:
    """Set the workers pool's count."""
    edit_settings(
        workspace,
        lambda config: config["souverain:nodePools"]["workers"].update(count=count),
    )


def changed_resources(lines: list[str]) -> list[tuple[str, str, str]]:
    """(sign, type, name) of each resource a preview's text says it would change."""
    changes = []
    for line in lines:
        parts = line.split()
        if (
            len(parts) >= 3
            and parts[0] in ("+", "~", "-", "+-")
            and TYPE_TOKEN.match(parts[1])
        ):
            changes.append((parts[0], parts[1], parts[2]))
    return sorted(set(changes))


def timed(step: str, run):
    started = time.perf_counter()
    result = run()
    print(f"e2e: {step} took {time.perf_counter() - started:.1f}s")
    return result


def test_a_stack_is_created_kept_changed_refreshed_and_destroyed(
    workspace: Path, tools: Path, cloud: Cloud, dynamic_provider_host: Path
):
    stack = open_stack(workspace, tools, cloud, dynamic_provider_host)
    hetzner = cloud.hetzner.state

    # The S3 server serves the whole test session: the buckets must be this run's.
    before = {b["Name"] for b in cloud.s3.client().list_buckets()["Buckets"]}
    assert not before & {"acme-assets", "acme-backups"}

    up = timed("pulumi up", lambda: stack.up(on_output=print))

    assert up.summary.result == "succeeded"
    assert sorted(s["name"] for s in hetzner.of("servers").values()) == [
        "acme-control-plane-1",
        "acme-workers-1",
    ]
    assert [n["ip_range"] for n in hetzner.of("networks").values()] == ["10.0.0.0/16"]
    assert sorted(f["name"] for f in hetzner.of("firewalls").values()) == [
        "acme-control-plane",
        "acme-worker",
    ]
    (balancer,) = hetzner.of("load_balancers").values()
    assert sorted(s["listen_port"] for s in balancer["services"]) == [80, 443]
    assert [t["type"] for t in balancer["targets"]] == ["label_selector"]
    buckets = cloud.s3.client().list_buckets()["Buckets"]
    assert {"acme-assets", "acme-backups"} <= {b["Name"] for b in buckets}
    assert [z["Domain"] for z in cloud.bunny.dns_zones.values()] == ["acme.eu"]
    assert up.outputs["servers"].value == {
        "control-plane": ["acme-control-plane-1"],
        "workers": ["acme-workers-1"],
    }

    # Nothing changed, so nothing to do: every provider's diff is stable.
    timed(
        "pulumi preview --expect-no-changes",
        lambda: stack.preview(expect_no_changes=True, on_output=print),
    )

    # One more worker: exactly one server to create, nothing else touched.
    set_worker_count(workspace, 2)
    lines: list[str] = []
    preview = timed(
        "pulumi preview (a worker more)", lambda: stack.preview(on_output=lines.append)
    )
    assert {k: v for k, v in preview.change_summary.items() if k != "same"} == {
        "create": 1
    }
    assert changed_resources(lines) == [("+", "hcloud:index:Server", "acme-workers-2")]
    set_worker_count(workspace, 1)

    # A new image is for servers created from now on: none is rebuilt.
    edit_settings(
        workspace, lambda config: config.update({"souverain:image": "debian-12"})
    )
    stack.preview(expect_no_changes=True)
    edit_settings(workspace, lambda config: config.pop("souverain:image"))

    # A teammate edits a server's labels in the Hetzner console: refresh notices,
    # and the next preview puts them back.
    (worker_id,) = [
        id_ for id_, s in hetzner.of("servers").items() if s["name"] == "acme-workers-1"
    ]
    hetzner.set_labels("servers", worker_id, {"edited": "in-the-console"})
    refresh = timed("pulumi refresh", lambda: stack.refresh(on_output=print))
    assert refresh.summary.resource_changes.get("update") == 1
    lines.clear()
    drift = stack.preview(on_output=lines.append)
    assert {k: v for k, v in drift.change_summary.items() if k != "same"} == {
        "update": 1
    }
    assert changed_resources(lines) == [("~", "hcloud:index:Server", "acme-workers-1")]

    timed("pulumi destroy", lambda: stack.destroy(on_output=print))

    assert hetzner.remaining() == {}
    assert cloud.bunny.dns_zones == {}
    assert cloud.bunny.pull_zones == {}
    # bunny.net keeps a deleted storage zone, marked as such, as the fake does.
    assert [z for z in cloud.bunny.storage_zones.values() if not z["Deleted"]] == []
    names = {b["Name"] for b in cloud.s3.client().list_buckets()["Buckets"]}
    assert not names & {"acme-assets", "acme-backups"}
    assert [entry.kind for entry in stack.history()] == [
        "destroy",
        "refresh",
        "update",
    ]
