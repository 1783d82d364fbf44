"""The add-on charts, pinned, and their values rendered from `helm-values/`.

Nothing here declares a resource. Each chart's values file is a Jinja template fed
with settings derived in `template_settings`; tests render every file and check it
against the chart's own values schema. Secrets are never rendered into the text: the
component adds them to the parsed values as Pulumi secrets (`with_secret`).
"""

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import pulumi
import yaml

from components.hetzner import layout

# Beside components/, in the project's root, where users look for and edit them.
VALUES_DIR = Path(__file__).resolve().parents[2] / "helm-values"
INGRESS_CLASS = "traefik"
# k3s's default --cluster-cidr; the cloud controller routes each node's share of it.
DEFAULT_CLUSTER_CIDR = "10.42.0.0/16"
# Traefik's entry points, by the load balancer's destination ports (layout.WEB_PORTS).
ENTRY_POINT_PORTS = dict(zip(("web", "websecure"), layout.WEB_PORTS, strict=True))


@dataclass(frozen=True)
class Chart:
    """One pinned Helm chart and where its release goes."""

    chart: str
    """The chart's name in its repository."""
    version: str
    """The exact chart version; the values schemas in tests are this version's."""
    repo: str
    """The chart repository's URL."""
    namespace: str
    """The namespace the release is installed in."""
    timeout_seconds: int
    """How long Helm waits for the release's pods and jobs to be ready."""

    @property
    def values_file(self) -> Path:
        """The values template, e.g. helm-values/traefik.yaml.j2."""
        return VALUES_DIR / f"{self.chart}.yaml.j2"


CCM = Chart(
    "hcloud-cloud-controller-manager",
    "1.35.0",
    "https://charts.hetzner.cloud",
    "kube-system",
    300,
)
CSI = Chart("hcloud-csi", "2.22.1", "https://charts.hetzner.cloud", "kube-system", 300)
CERT_MANAGER = Chart(
    "cert-manager", "v1.21.1", "https://charts.jetstack.io", "cert-manager", 600
)
TRAEFIK = Chart("traefik", "41.3.0", "https://traefik.github.io/charts", "traefik", 600)
# Rancher pulls large images and migrates its CRDs on first start: give it longer.
RANCHER = Chart(
    "rancher",
    "2.15.0",
    "https://releases.rancher.com/server-charts/stable",
    "cattle-system",
    900,
)
CHARTS = (CCM, CSI, CERT_MANAGER, TRAEFIK, RANCHER)


def rancher_hostname(domain: str) -> str:
    """Where Rancher answers: rancher.<domain>, a name the DNS zone points at the LB."""
    return f"rancher.{domain}"


def template_settings(
    *,
    domain: str,
    startup_name: str,
    location: str,
    network_cidr: str,
    cluster_cidr: str,
    rancher_replicas: int,
    letsencrypt_email: str,
    ingress_node_selector: Mapping[str, str],
) -> dict[str, Any]:
    """Everything the values templates may use, derived from the component's args."""
    return {
        "startup_name": startup_name,
        "location": location,
        "network_cidr": network_cidr,
        "cluster_cidr": cluster_cidr,
        "host_ports": ENTRY_POINT_PORTS,
        "ingress_class": INGRESS_CLASS,
        "ingress_node_selector": dict(ingress_node_selector),
        "hostname": rancher_hostname(domain),
        "rancher_replicas": rancher_replicas,
        "letsencrypt_email": letsencrypt_email,
    }


# One environment for every values file: StrictUndefined, so a misspelt name fails.
_ENVIRONMENT = jinja2.Environment(
    undefined=jinja2.StrictUndefined, keep_trailing_newline=True
)
# libyaml's loader when PyYAML has it: the values are parsed on every plan.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=64)
def _template(values_file: Path, modified_ns: int) -> tuple[jinja2.Template, set]:
    """A values file compiled once per version of it, and the names it uses."""
    del modified_ns  # part of the cache key only: an edited file compiles again
    parsed = _ENVIRONMENT.parse(values_file.read_text(encoding="utf-8"))
    names = jinja2.meta.find_undeclared_variables(parsed)
    return _ENVIRONMENT.from_string(parsed), names


def render_values(chart: Chart, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The chart's values: its template rendered with `settings`, parsed as YAML.

    A setting the template names but `settings` lacks raises KeyError instead of
    rendering as an empty string.
    """
    values_file = chart.values_file
    template, names = _template(values_file, values_file.stat().st_mtime_ns)
    missing = names - set(settings)
    if missing:
        raise KeyError(
            f"{VALUES_DIR.name}/{values_file.name} uses "
            f"{', '.join(sorted(missing))}, which the settings lack"
        )
    return yaml.load(template.render(**settings), Loader=_YAML_LOADER) or {}


def with_secret(
    values: Mapping[str, Any], path: tuple[str, ...], secret: pulumi.Input[str]
) -> dict[str, Any]:
    """A copy of `values` with a Pulumi secret at `path`, e.g. ("bootstrapPassword",).

    The secret stays an Output, so the engine encrypts it in the state and a preview
    shows it as [secret]; the rendered text never held it.
    """
    merged = copy.deepcopy(dict(values))
    node = merged
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = pulumi.Output.secret(secret)
    return merged
