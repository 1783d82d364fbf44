"""Each server's user data: valid cloud-config, the exact k3s config, the limits."""

import dataclasses
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from components.errors import CloudInitError
from components.kubernetes import cloud_init
from components.kubernetes.cloud_init import (
    EtcdBackups,
    K3sClusterSpec,
    K3sNode,
    k3s_config,
    render_user_data,
)
from components.kubernetes.k3s_flags import load_flags
from tests.fakes.serving import SHARED_SPECS, read_spec

SCHEMA_FILE = Path(
    os.environ.get(
        "CLOUD_INIT_SCHEMA", SHARED_SPECS / "cloud-init/schema-cloud-config-v1.json"
    )
)
SERVER_TOKEN = "S" * 48
AGENT_TOKEN = "A" * 48


def pem(kind: str, body: str, end: str = "\n") -> str:
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----{end}"


CA_FILES = {
    "server-ca.crt": pem("CERTIFICATE", "c2VydmVy"),
    # A key without its final newline: written with one.
    "server-ca.key": pem("EC PRIVATE KEY", "c2VjcmV0", end=""),
    "etcd/peer-ca.crt": pem("CERTIFICATE", "cGVlcg=="),
    "service.key": pem("RSA PRIVATE KEY", "c2E="),
}
CLUSTER = K3sClusterSpec(
    version="v1.35.5+k3s1",
    join_address="10.0.70.1",
    server_token=SERVER_TOKEN,
    agent_token=AGENT_TOKEN,
    ca_files=CA_FILES,
    snapshot_schedule="0 */6 * * *",
    snapshot_retention=28,
    backups=EtcdBackups(
        endpoint="https://fsn1.your-objectstorage.com",
        region="fsn1",
        bucket="acme-backups",
        folder="etcd-snapshots",
        access_key="AKIAEXAMPLE",
        secret_key="s3-secret-example",
    ),
)
FIRST = K3sNode(
    name="acme-control-plane-1",
    pool="control-plane",
    role="control-plane",
    private_ip="10.0.70.1",
    initialises=True,
    api_address="203.0.113.10",
)
JOINING = K3sNode(
    name="acme-control-plane-2",
    pool="control-plane",
    role="control-plane",
    private_ip="10.0.70.2",
    api_address="203.0.113.11",
)
WORKER = K3sNode(
    name="acme-workers-1",
    pool="workers",
    role="worker",
    private_ip="10.0.88.1",
    ingress=True,
)
SNAPSHOT_OPTIONS = {
    "etcd-s3": True,
    "etcd-s3-access-key": "AKIAEXAMPLE",
    "etcd-s3-bucket": "acme-backups",
    "etcd-s3-endpoint": "fsn1.your-objectstorage.com",
    "etcd-s3-folder": "etcd-snapshots",
    "etcd-s3-region": "fsn1",
    "etcd-s3-secret-key": "s3-secret-example",
    "etcd-snapshot-retention": 28,
    "etcd-snapshot-schedule-cron": "0 */6 * * *",
}


@pytest.fixture(scope="module")
def schema() -> dict:
    return read_spec(
        SCHEMA_FILE,
        "cloud-init cloud-config",
        "schema-cloud-config-v1.json from canonical/cloud-init "
        "(cloudinit/config/schemas/)",
        "CLOUD_INIT_SCHEMA",
    )


def parsed(node: K3sNode, cluster: K3sClusterSpec = CLUSTER) -> dict:
    document = render_user_data(node, cluster)
    assert document.startswith("#cloud-config\n"), node.name
    return yaml.safe_load(document)


def files_of(document: dict) -> dict[str, dict]:
    return {entry["path"]: entry for entry in document["write_files"]}


def written_config(node: K3sNode) -> dict:
    return yaml.safe_load(files_of(parsed(node))[cloud_init.K3S_CONFIG_FILE]["content"])


@pytest.mark.parametrize("node", [FIRST, JOINING, WORKER], ids=lambda n: n.name)
def test_user_data_is_valid_cloud_config(schema, node):
    document = parsed(node)

    jsonschema.Draft4Validator(schema).validate(document)
    assert document["runcmd"] == [[cloud_init.INSTALL_SCRIPT]]


def test_first_control_plane_initialises_the_cluster_with_the_custom_cas():
    assert written_config(FIRST) == {
        "agent-token": AGENT_TOKEN,
        "cluster-init": True,
        "disable": ["traefik", "servicelb", "local-storage"],
        "disable-cloud-controller": True,
        **SNAPSHOT_OPTIONS,
        "kubelet-arg": ["cloud-provider=external"],
        "node-ip": "10.0.70.1",
        "node-label": [
            "souverain.eu/ingress=false",
            "souverain.eu/pool=control-plane",
            "souverain.eu/role=control-plane",
        ],
        "node-name": "acme-control-plane-1",
        "secrets-encryption": True,
        "tls-san": ["203.0.113.10"],
        "token": SERVER_TOKEN,
    }
    files = files_of(parsed(FIRST))
    tls = cloud_init.SERVER_TLS_DIR
    assert {path: f["permissions"] for path, f in files.items()} == {
        cloud_init.K3S_CONFIG_FILE: "0600",
        f"{tls}/etcd/peer-ca.crt": "0644",
        f"{tls}/server-ca.crt": "0644",
        f"{tls}/server-ca.key": "0600",
        f"{tls}/service.key": "0600",
        cloud_init.INSTALL_SCRIPT: "0700",
    }
    # Written byte for byte, one final newline added where the PEM lacked it.
    assert files[f"{tls}/server-ca.crt"]["content"] == CA_FILES["server-ca.crt"]
    assert files[f"{tls}/server-ca.key"]["content"] == (
        CA_FILES["server-ca.key"] + "\n"
    )
    assert all(f["owner"] == "root:root" for f in files.values())


def test_joining_control_plane_joins_the_first_over_the_private_network():
    config = written_config(JOINING)

    assert config["server"] == "https://10.0.70.1:6443"
    assert "cluster-init" not in config
    assert config["token"] == SERVER_TOKEN
    assert config["agent-token"] == AGENT_TOKEN
    assert config["node-ip"] == "10.0.70.2"
    assert config["tls-san"] == ["203.0.113.11"]
    assert {k: config[k] for k in SNAPSHOT_OPTIONS} == SNAPSHOT_OPTIONS
    # The CAs reach joining servers through k3s' encrypted bootstrap data instead.
    assert list(files_of(parsed(JOINING))) == [
        cloud_init.K3S_CONFIG_FILE,
        cloud_init.INSTALL_SCRIPT,
    ]


def test_worker_joins_as_an_agent_with_the_agent_token_only():
    assert written_config(WORKER) == {
        "kubelet-arg": ["cloud-provider=external"],
        "node-ip": "10.0.88.1",
        "node-label": [
            "souverain.eu/ingress=true",
            "souverain.eu/pool=workers",
            "souverain.eu/role=worker",
        ],
        "node-name": "acme-workers-1",
        "server": "https://10.0.70.1:6443",
        "token": AGENT_TOKEN,
    }
    assert SERVER_TOKEN not in render_user_data(WORKER, CLUSTER)


def test_install_script_installs_the_pinned_release_as_server_or_agent():
    server = files_of(parsed(JOINING))[cloud_init.INSTALL_SCRIPT]["content"]
    agent = files_of(parsed(WORKER))[cloud_init.INSTALL_SCRIPT]["content"]

    assert server.startswith("#!/bin/sh\n")
    assert (
        'INSTALL_K3S_VERSION=v1.35.5+k3s1 INSTALL_K3S_EXEC=server \\\n  sh "$installer"'
        in server
    )
    assert 'INSTALL_K3S_EXEC=agent \\\n  sh "$installer"' in agent
    assert "node_ip=10.0.88.1\n" in agent
    # Flannel is pinned to the interface that holds the private address.
    assert "printf '%s: %s\\n' flannel-iface \"$iface\"" in agent
    assert "/etc/rancher/k3s/config.yaml.d/50-flannel-iface.yaml" in agent


# Stand-ins for the commands the install script calls on a server: `ip` shows the
# private address on enp7s0; `curl` saves an installer that records how it was run,
# or fails as curl -f does on an HTTP error.
FAKE_IP = """#!/bin/sh
echo "3: enp7s0    inet 10.0.88.1/32 brd 10.0.88.1 scope global dynamic enp7s0"
"""
FAKE_CURL = """#!/bin/sh
[ -n "${CURL_FAILS:-}" ] && exit 22
while [ "$1" != "-o" ]; do shift; done
printf 'echo "$INSTALL_K3S_VERSION $INSTALL_K3S_EXEC" > "$RAN"\\n' > "$2"
"""


def run_install_script(tmp_path: Path, curl_fails: bool):
    """The worker's install script, run with stand-in commands and a local config
    folder; returns the finished process and the installer's record, if it ran."""
    script = files_of(parsed(WORKER))[cloud_init.INSTALL_SCRIPT]["content"]
    script = script.replace(cloud_init.K3S_DROP_IN_DIR, str(tmp_path / "config.d"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("ip", FAKE_IP), ("curl", FAKE_CURL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    ran = tmp_path / "ran"
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "RAN": str(ran),
        **({"CURL_FAILS": "1"} if curl_fails else {}),
    }
    finished = subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, text=True, timeout=30
    )
    return finished, ran.read_text() if ran.exists() else None


def test_install_script_runs_the_saved_installer_with_the_release(tmp_path):
    finished, record = run_install_script(tmp_path, curl_fails=False)

    assert finished.returncode == 0, finished.stderr
    assert record == "v1.35.5+k3s1 agent\n"
    drop_in = tmp_path / "config.d" / "50-flannel-iface.yaml"
    assert drop_in.read_text() == "flannel-iface: enp7s0\n"


def test_install_script_fails_when_the_installer_cannot_be_downloaded(tmp_path):
    # Regression: `curl … | sh -` ran an empty script when the download failed and
    # exited 0, so cloud-init reported success on a server without k3s.
    finished, record = run_install_script(tmp_path, curl_fails=True)

    assert finished.returncode != 0
    assert record is None


def test_snapshots_off_disables_them_and_names_no_bucket():
    cluster = dataclasses.replace(CLUSTER, snapshot_schedule=None, backups=None)

    config = k3s_config(FIRST, cluster)

    assert config["etcd-disable-snapshots"] is True
    assert not [key for key in config if key.startswith("etcd-s")]


def test_plain_http_endpoint_is_written_as_host_and_insecure_switch():
    backups = dataclasses.replace(CLUSTER.backups, endpoint="http://127.0.0.1:9000")
    cluster = dataclasses.replace(CLUSTER, backups=backups)

    config = k3s_config(FIRST, cluster)

    assert config["etcd-s3-endpoint"] == "127.0.0.1:9000"
    assert config["etcd-s3-insecure"] is True


def test_same_inputs_render_byte_identical_documents():
    for node in (FIRST, JOINING, WORKER):
        assert render_user_data(node, CLUSTER) == render_user_data(node, CLUSTER)
    # Map order must not matter either.
    reordered = dataclasses.replace(CLUSTER, ca_files=dict(reversed(CA_FILES.items())))
    assert render_user_data(FIRST, reordered) == render_user_data(FIRST, CLUSTER)


def test_user_data_over_hetzners_limit_names_its_size_and_largest_parts():
    huge = {**CA_FILES, "service.key": "K" * 40_000}
    cluster = dataclasses.replace(CLUSTER, ca_files=huge)

    with pytest.raises(CloudInitError) as caught:
        render_user_data(FIRST, cluster)

    assert str(caught.value) == (
        "the user data of acme-control-plane-1 is 43529 bytes, over Hetzner's limit "
        "of 32768 bytes (32 KiB); its largest parts are "
        "/var/lib/rancher/k3s/server/tls/service.key (40001 bytes), "
        "/usr/local/sbin/souverain-install-k3s (1243 bytes), "
        "/etc/rancher/k3s/config.yaml (743 bytes): shorten those parts, since "
        "Hetzner refuses to create the server otherwise"
    )


def test_every_option_written_is_one_of_the_pinned_release():
    flags = load_flags()

    assert flags.version == CLUSTER.version
    assert set(k3s_config(FIRST, CLUSTER)) <= flags.server
    assert set(k3s_config(JOINING, CLUSTER)) <= flags.server
    assert set(k3s_config(WORKER, CLUSTER)) <= flags.agent
    assert cloud_init.FLANNEL_IFACE_OPTION in flags.agent & flags.server


def test_unknown_k3s_option_is_refused_with_the_closest_one():
    with pytest.raises(CloudInitError) as caught:
        load_flags().check("server", ["node-name", "etcd-snapshot-shedule-cron"])

    assert str(caught.value) == (
        "k3s option 'etcd-snapshot-shedule-cron' is not an option of `k3s server` "
        "v1.35.5+k3s1: did you mean 'etcd-snapshot-schedule-cron'? (the names are "
        "in components/kubernetes/k3s_flags.json)"
    )


def test_server_only_option_is_refused_for_an_agent():
    with pytest.raises(CloudInitError) as caught:
        load_flags().check("agent", ["cluster-init"])

    assert str(caught.value).startswith(
        "k3s option 'cluster-init' is not an option of `k3s agent` v1.35.5+k3s1:"
    )


def test_secrets_never_show_in_the_specs_repr():
    text = repr(CLUSTER)

    assert SERVER_TOKEN not in text and AGENT_TOKEN not in text
    assert "s3-secret-example" not in text and "BEGIN" not in text
