"""The tools' charts, pinned, and their values rendered from `helm-values/`.

The same way as the add-ons (`addons_values.py`): a Jinja template per chart, fed
with settings derived here; nothing secret is rendered into the text. OpenBao reads
its database URL and its seal key from Secrets through environment variables, so
its configuration file holds neither.
"""

from collections.abc import Mapping
from typing import Any

from components.config_apps import AppSize
from components.kubernetes.addons_values import Chart

# One operator for every tool's Postgres. Chart 0.29.0 ships CloudNativePG 1.30.0;
# both CloudNativePG charts come from the project's repository, cloudnative-pg/charts.
CLOUDNATIVE_PG = Chart(
    "cloudnative-pg",
    "0.29.0",
    "https://cloudnative-pg.github.io/charts",
    "cnpg-system",
    600,
)
# CloudNativePG deprecated its in-tree Barman Cloud backups in 1.26 for this plugin
# (chart 0.7.0, plugin v0.13.0). It must sit in the operator's namespace, and takes
# its TLS certificates from cert-manager.
BARMAN_CLOUD = Chart(
    "plugin-barman-cloud",
    "0.7.0",
    "https://cloudnative-pg.github.io/charts",
    "cnpg-system",
    600,
)
# OpenBao's official chart (openbao/openbao-helm): chart 0.29.2, OpenBao v2.6.2.
OPENBAO = Chart(
    "openbao", "0.29.2", "https://openbao.github.io/openbao-helm", "openbao", 600
)
APP_CHARTS = (CLOUDNATIVE_PG, BARMAN_CLOUD, OPENBAO)

# The Secrets OpenBao's environment is read from, in its namespace.
OPENBAO_STORAGE_SECRET = "openbao-storage"
OPENBAO_SEAL_SECRET = "openbao-seal"
# Named in the seal stanza; a new key gets a new id and the old one moves to
# previous_key, so OpenBao can still read what the old key sealed.
OPENBAO_SEAL_KEY_ID = "souverain-1"


def template_settings(
    *, openbao: AppSize | None, node_selector: Mapping[str, str]
) -> dict[str, Any]:
    """Everything the tools' values templates may use."""
    size = openbao or AppSize(0, 0, 0)
    return {
        "node_selector": dict(node_selector),
        "openbao_cpu": f"{size.cpu_millicores}m",
        "openbao_memory": f"{size.memory_mib}Mi",
        "openbao_storage_secret": OPENBAO_STORAGE_SECRET,
        "openbao_seal_secret": OPENBAO_SEAL_SECRET,
        "openbao_seal_key_id": OPENBAO_SEAL_KEY_ID,
    }
