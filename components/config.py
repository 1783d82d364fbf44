"""The stack configuration: read from Pulumi config and checked whole.

`config_model.py` holds the typed model; this module turns the engine's flat
`souverain:key -> text` map into it: it parses structured values, refuses credentials
stored in plain text, says which credentials a switched-on part still needs, and
gathers every problem into one ConfigError. Every check runs before a single resource
is declared.
"""

import datetime as dt
import json
from typing import Any

from pydantic import ValidationError

from components import capacity, config_apps, config_cluster, config_messages
from components.config_apps import AppSettings
from components.config_model import (
    LOAD_BALANCER_TYPES,
    NAMESPACE,
    NodePool,
    StackConfig,
)
from components.errors import ConfigError

__all__ = [
    "KNOWN_KEYS",
    "LOAD_BALANCER_TYPES",
    "NAMESPACE",
    "REQUIRED",
    "SECRET_SETTINGS",
    "NodePool",
    "StackConfig",
    "load_stack_config",
    "missing_secret_settings",
    "parse_stack_config",
]


# Settings whose value is a list or a map: Pulumi hands them to the program as JSON.
EXPECTED_SHAPE = {
    field.alias: {list: "list", dict: "map"}.get(
        getattr(field.annotation, "__origin__", None), "value"
    )
    for field in StackConfig.model_fields.values()
}
KNOWN_KEYS = set(EXPECTED_SHAPE)
# The settings that are credentials: they must be stored encrypted, and each part
# that is switched on needs its own.
SECRET_SETTINGS = {
    "enableBuckets": ("s3AccessKey", "s3SecretKey"),
    "enableBunny": ("bunnyAccessKey",),
    "enableRegistry": ("scalewayAccessKey", "scalewaySecretKey"),
    "enableEmail": ("scalewayAccessKey", "scalewaySecretKey"),
    "enableCluster": ("hcloudClusterToken",),
}
MODELS = [StackConfig, NodePool, AppSettings]


def _describe(error: dict) -> str:
    key = str(error["loc"][0]) if error["loc"] else ""
    return config_messages.describe(error, MODELS, EXPECTED_SHAPE.get(key, "value"))


def _prepared(
    raw: dict[str, Any], secret_keys: set[str]
) -> tuple[dict[str, Any], list[str], set[str]]:
    """Raw settings made ready for the model, the problems found, and the keys skipped.

    Catches what pydantic would misreport: empty values, encrypted settings that are
    not secrets, and lists or maps written as plain text.
    """
    values, problems, skipped = {}, [], set()
    secrets = {key for keys in SECRET_SETTINGS.values() for key in keys}
    for key, value in raw.items():
        shape = EXPECTED_SHAPE.get(key)
        if key in secrets and key not in secret_keys and value:
            problems.append(
                f"{key} is stored in plain text: store it encrypted with "
                f"`pulumi config set --secret {NAMESPACE}:{key} <value>`"
            )
        elif key in secret_keys and key not in secrets and shape is not None:
            problems.append(
                f"{key} is stored encrypted, but it is not a secret and would reach "
                "the Pulumi state in plain text: set it again without --secret "
                f"(`pulumi config set {NAMESPACE}:{key} <value>`)"
            )
        elif value is None or value == "":
            fix = (
                "give it a value"
                if key in REQUIRED
                else "give it a value or delete the line"
            )
            problems.append(f"{key} is empty: {fix}")
        elif shape in ("list", "map") and isinstance(value, str):
            try:
                values[key] = json.loads(value)
                continue
            except json.JSONDecodeError:
                problems.append(
                    f"{key} must be a {shape}, not text: write it in the stack file "
                    f"as a YAML {shape}"
                )
        else:
            values[key] = value
            continue
        skipped.add(key)
    return values, problems, skipped


REQUIRED = {f.alias for f in StackConfig.model_fields.values() if f.is_required()}


def _switched_on(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def missing_secret_settings(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """(switch, setting) pairs: credentials a switched-on part needs but lacks, each
    setting named once even when two parts need it."""
    missing = {}
    for switch, keys in SECRET_SETTINGS.items():
        if _switched_on(raw.get(switch)):
            for key in keys:
                if not raw.get(key) and key not in missing:
                    missing[key] = switch
    return [(switch, key) for key, switch in missing.items()]


def _part_problems(raw: dict[str, Any]) -> list[str]:
    """Parts switched on without what they stand on."""
    problems = []
    scaleway = [
        s for s in ("enableRegistry", "enableEmail") if _switched_on(raw.get(s))
    ]
    if scaleway and not raw.get("scalewayProjectId"):
        problems.append(
            f"scalewayProjectId is required when {scaleway[0]} is true: copy the "
            "project ID from the Scaleway console (Project settings) and run `pulumi "
            f"config set {NAMESPACE}:scalewayProjectId <id>`"
        )
    startup = str(raw.get("startupName") or "")
    if (
        _switched_on(raw.get("enableRegistry"))
        and not raw.get("registryNamespace")
        and 0 < len(startup) < 4
    ):
        problems.append(
            f"registryNamespace is required: the startup name '{startup}' is shorter "
            "than the 4 characters a registry namespace needs; set registryNamespace"
        )
    if _switched_on(raw.get("enableCluster")):
        problem = config_cluster.snapshots_problem(
            _switched_on(raw.get("enableBuckets")),
            raw.get("etcdSnapshotSchedule", config_cluster.SNAPSHOT_SCHEDULE),
        )
        problems += [problem] if problem else []
    if _switched_on(raw.get("enableApps")):
        problems += config_apps.apps_problem(
            _switched_on(raw.get("enableCluster")),
            _switched_on(raw.get("enableBuckets")),
        )
    email_without_dns = _switched_on(raw.get("enableEmail")) and not _switched_on(
        raw.get("enableBunny")
    )
    if email_without_dns:
        problems.append(
            "enableEmail needs enableBunny: the SPF, DKIM and DMARC records go in the "
            "bunny.net zone of the domain; set enableBunny to true"
        )
    return problems


def parse_stack_config(
    raw: dict[str, Any],
    today: dt.date | None = None,
    stack_file: str | None = None,
    secret_keys: set[str] | None = None,
) -> StackConfig:
    """Check `raw` settings (camelCase keys, no namespace) and return the typed config.

    `secret_keys` names the settings stored encrypted. Raises ConfigError listing every
    problem found, never a pydantic traceback.
    """
    values, problems, skipped = _prepared(raw, secret_keys or set())
    problems += [
        f"{key} is required when {switch} is true: run `pulumi config set --secret "
        f"{NAMESPACE}:{key} <value>`"
        for switch, key in missing_secret_settings(raw)
    ]
    problems += _part_problems(raw)
    context = {
        "location": values.get("location", "fsn1"),
        "load_balancer_type": values.get("loadBalancerType", "lb11"),
        "network_cidr": values.get("networkCidr", "10.0.0.0/16"),
        "enable_cluster": _switched_on(values.get("enableCluster")),
        "today": today or dt.date.today(),
    }
    try:
        config = StackConfig.model_validate(values, context=context)
    except ValidationError as err:
        errors = err.errors(include_url=False)
        problems += [_describe(e) for e in _without_echoes(errors, skipped)]
    if problems:
        raise ConfigError(problems, stack_file)
    # Last, on settings known to be sound: the pools must hold what runs on them.
    problems = capacity.capacity_problems(config, context["today"])
    if problems:
        raise ConfigError(problems, stack_file)
    return config


def _without_echoes(errors: list[dict], skipped: set[str]) -> list[dict]:
    """Drop errors that only repeat another one.

    A misspelt key also makes the real key missing, and a skipped value (empty,
    unreadable) makes its key missing: one line for each mistake, not two.
    """
    misspelt_targets = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            close = config_messages.closest_setting(error["loc"], MODELS)
            if close:
                misspelt_targets.add((*error["loc"][:-1], close))
    return [
        error
        for error in errors
        if not (
            error["type"] == "missing"
            and (error["loc"] in misspelt_targets or error["loc"][0] in skipped)
        )
    ]


def load_stack_config(today: dt.date | None = None) -> StackConfig:
    """Read the `souverain:` settings the Pulumi engine passed to this program."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    settings = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    raw = {k[len(prefix) :]: v for k, v in settings.items() if k.startswith(prefix)}
    secret = {
        key
        for key in raw
        if runtime_config.is_config_secret(prefix + key)
        or prefix + key in runtime_config.get_config_secret_keys_env()
    }
    stack_file = f"stacks/Pulumi.{pulumi.get_stack()}.yaml"
    return parse_stack_config(raw, today, stack_file, secret)
