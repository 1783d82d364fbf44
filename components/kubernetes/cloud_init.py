"""Each server's cloud-init user data: the k3s config, the CA files, the install step.

A pure function of its inputs, so tests render it directly and the same inputs give
the same bytes (sorted keys, no timestamps): a rendered document differing between
two runs would show as a change on every `pulumi up`. Every k3s option written is
checked against the pinned release's option names, and the document against
Hetzner's 32 KiB limit on user data.
"""

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import jinja2
import yaml

from components.errors import CloudInitError
from components.hetzner.layout import (
    KUBE_API_PORT,
    LABEL_INGRESS,
    LABEL_POOL,
    LABEL_ROLE,
)
from components.kubernetes.k3s_flags import load_flags

K3S_CONFIG_FILE = "/etc/rancher/k3s/config.yaml"
# k3s reads these after config.yaml, in name order (k3s docs, "Configuration File").
K3S_DROP_IN_DIR = "/etc/rancher/k3s/config.yaml.d"
SERVER_TLS_DIR = "/var/lib/rancher/k3s/server/tls"
INSTALL_SCRIPT = "/usr/local/sbin/souverain-install-k3s"
# Hetzner refuses user data over 32 KiB when it creates a server.
USER_DATA_LIMIT_BYTES = 32 * 1024
# Traefik, the Hetzner cloud controller and its CSI driver come as Helm releases with
# the cluster's add-ons; k3s' own would fight them for the same ports and volumes.
DISABLED_COMPONENTS = ("traefik", "servicelb", "local-storage")
# The install script writes this option at boot, once it knows the interface.
FLANNEL_IFACE_OPTION = "flannel-iface"

Role = Literal["control-plane", "worker"]

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("components.kubernetes", "templates"),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)
_TEMPLATES.filters["shell_quote"] = shlex.quote


@dataclass(frozen=True)
class K3sNode:
    """One server's place in the cluster."""

    name: str
    """The server's name, which is also its Kubernetes node name."""
    pool: str
    """The pool it belongs to, labelled on the node."""
    role: Role
    """control-plane servers run `k3s server` (API, etcd); workers `k3s agent`."""
    private_ip: str
    """Its fixed address in the private network, which all cluster traffic uses."""
    ingress: bool = False
    """Whether the load balancer sends it web traffic, labelled on the node."""
    initialises: bool = False
    """True for the one server that starts the cluster (`cluster-init`)."""
    api_address: str | None = None
    """The public address clients reach its API on, added to its certificate."""


@dataclass(frozen=True)
class EtcdBackups:
    """Where the control plane uploads etcd snapshots."""

    endpoint: str
    """The S3 endpoint URL, e.g. https://fsn1.your-objectstorage.com."""
    region: str
    """The bucket's region (Hetzner: the location)."""
    bucket: str
    """The bucket's name."""
    folder: str
    """The folder inside the bucket."""
    access_key: str = field(repr=False)
    """S3 access key (secret)."""
    secret_key: str = field(repr=False)
    """S3 secret key (secret)."""


@dataclass(frozen=True)
class K3sClusterSpec:
    """What every node of one cluster shares."""

    version: str
    """The k3s release, e.g. v1.35.5+k3s1."""
    join_address: str
    """Private address of the initialising server, which the others join."""
    server_token: str = field(repr=False)
    """The server token (secret)."""
    agent_token: str = field(repr=False)
    """The agent token (secret)."""
    ca_files: Mapping[str, str] = field(repr=False)
    """PEM text by path under k3s' server/tls folder, for the initialising server."""
    snapshot_schedule: str | None = None
    """Cron schedule of etcd snapshots; None takes none."""
    snapshot_retention: int = 5
    """How many snapshots to keep."""
    backups: EtcdBackups | None = None
    """Where snapshots are uploaded; None keeps them on the servers only."""


@dataclass(frozen=True)
class _File:
    path: str
    permissions: str
    content: str = field(repr=False)  # keys and tokens: never in a traceback


def k3s_config(node: K3sNode, cluster: K3sClusterSpec) -> dict[str, Any]:
    """The node's /etc/rancher/k3s/config.yaml as a map, its option names checked."""
    labels = [
        f"{LABEL_INGRESS}={'true' if node.ingress else 'false'}",
        f"{LABEL_POOL}={node.pool}",
        f"{LABEL_ROLE}={node.role}",
    ]
    config: dict[str, Any] = {
        "node-name": node.name,
        "node-ip": node.private_ip,
        "node-label": labels,
        # The Hetzner cloud controller (an add-on) initialises the nodes.
        "kubelet-arg": ["cloud-provider=external"],
    }
    if node.role == "worker":
        config["server"] = _join_url(cluster)
        config["token"] = cluster.agent_token
    else:
        config.update(_server_options(node, cluster))
    load_flags().check(_command(node), [*config, FLANNEL_IFACE_OPTION])
    return config


def _server_options(node: K3sNode, cluster: K3sClusterSpec) -> dict[str, Any]:
    """Options of `k3s server`: tokens, what to leave out, where snapshots go."""
    options: dict[str, Any] = {
        "token": cluster.server_token,
        "agent-token": cluster.agent_token,
        "disable": list(DISABLED_COMPONENTS),
        "disable-cloud-controller": True,
        "secrets-encryption": True,
    }
    if node.initialises:
        options["cluster-init"] = True
    else:
        options["server"] = _join_url(cluster)
    if node.api_address:
        options["tls-san"] = [node.api_address]
    if cluster.snapshot_schedule is None:
        options["etcd-disable-snapshots"] = True
        return options
    options["etcd-snapshot-schedule-cron"] = cluster.snapshot_schedule
    options["etcd-snapshot-retention"] = cluster.snapshot_retention
    backups = cluster.backups
    if backups is not None:
        endpoint = urlsplit(backups.endpoint)
        options.update(
            {
                "etcd-s3": True,
                # k3s takes the host alone, and plain HTTP as a separate switch.
                "etcd-s3-endpoint": endpoint.netloc,
                "etcd-s3-region": backups.region,
                "etcd-s3-bucket": backups.bucket,
                "etcd-s3-folder": backups.folder,
                "etcd-s3-access-key": backups.access_key,
                "etcd-s3-secret-key": backups.secret_key,
            }
        )
        if endpoint.scheme == "http":
            options["etcd-s3-insecure"] = True
    return options


def render_user_data(node: K3sNode, cluster: K3sClusterSpec) -> str:
    """The node's whole #cloud-config document.

    Raises CloudInitError when an option is unknown to the pinned k3s or the
    document is over Hetzner's limit.
    """
    command = _command(node)
    config = yaml.safe_dump(
        k3s_config(node, cluster), sort_keys=True, default_flow_style=False
    )
    files = [_File(K3S_CONFIG_FILE, "0600", config)]
    if node.initialises:
        files += [
            _File(
                f"{SERVER_TLS_DIR}/{path}",
                "0600" if path.endswith(".key") else "0644",
                _one_final_newline(pem),
            )
            for path, pem in sorted(cluster.ca_files.items())
        ]
    files.append(
        _File(
            INSTALL_SCRIPT,
            "0700",
            _TEMPLATES.get_template("install-k3s.sh.j2").render(
                version=cluster.version,
                command=command,
                node_name=node.name,
                node_ip=node.private_ip,
                drop_in_dir=K3S_DROP_IN_DIR,
                flannel_iface_option=FLANNEL_IFACE_OPTION,
            ),
        )
    )
    document = _TEMPLATES.get_template("cloud-config.yaml.j2").render(
        node_name=node.name,
        version=cluster.version,
        command=command,
        files=files,
        install_script=INSTALL_SCRIPT,
    )
    _check_size(node.name, document, files)
    return document


def _command(node: K3sNode) -> Literal["server", "agent"]:
    return "agent" if node.role == "worker" else "server"


def _join_url(cluster: K3sClusterSpec) -> str:
    return f"https://{cluster.join_address}:{KUBE_API_PORT}"


def _one_final_newline(text: str) -> str:
    # A block scalar keeps exactly one final newline; the file must match it.
    return text.rstrip("\n") + "\n"


def _check_size(name: str, document: str, files: list[_File]) -> None:
    size = len(document.encode())
    if size <= USER_DATA_LIMIT_BYTES:
        return
    largest = sorted(files, key=lambda f: (-len(f.content.encode()), f.path))[:3]
    parts = ", ".join(f"{f.path} ({len(f.content.encode())} bytes)" for f in largest)
    raise CloudInitError(
        f"the user data of {name} is {size} bytes, over Hetzner's limit of "
        f"{USER_DATA_LIMIT_BYTES} bytes (32 KiB); its largest parts are {parts}: "
        "shorten those parts, since Hetzner refuses to create the server otherwise"
    )
