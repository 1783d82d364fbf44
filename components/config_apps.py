"""The self-hosted tools' settings: one map, `apps`, of tool to its switch and sizes.

Kept apart from `config.py`, which reads it as one field of the stack's model. Sizes
are written as Kubernetes quantities (`500m`, `1Gi`), so a value copied from a
tool's documentation or from `kubectl top` reads the same here; they are parsed into
whole millicores and mebibytes, which the capacity check adds up.
"""

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from components.config_rules import Problem
from components.text import one_of

# The order the plan lists them in, and the order the docs describe them.
TOOLS = ("umami", "openbao", "twenty", "glitchtip", "hanko")
# Analytics tools souverain does not run, with the reason, so the fix is obvious.
NOT_OFFERED = {
    "plausible": "Plausible Community Edition needs ClickHouse beside Postgres: use "
    "umami, which keeps its data in Postgres only",
}
CPU_RE = re.compile(r"^(\d+)m$|^(\d+(?:\.\d{1,3})?)$")
MEMORY_RE = re.compile(r"^(\d+)(Mi|Gi)$")
STORAGE_RE = re.compile(r"^(\d+)Gi$")
# Hetzner volumes start at 10 GB; CloudNativePG's WAL needs room beside the data.
MIN_STORAGE_GIB = 10
MAX_STORAGE_GIB = 10240


@dataclass(frozen=True)
class AppSize:
    """What one tool's main container requests, and its database volume."""

    cpu_millicores: int
    """CPU the tool's main container requests, in thousandths of a core."""
    memory_mib: int
    """Memory the tool's main container requests, in MiB."""
    storage_gib: int
    """Size of the tool's database volume, in GiB."""


# What each tool asks for unless the stack says otherwise: each tool's documented
# minimum with headroom for a startup's first year (Twenty's docs ask for 2 GB for
# server and worker together; GlitchTip's for 512 MB).
DEFAULT_SIZES = {
    "umami": AppSize(250, 512, 10),
    "openbao": AppSize(250, 256, 10),
    "twenty": AppSize(500, 1024, 20),
    "glitchtip": AppSize(250, 512, 20),
    "hanko": AppSize(100, 128, 10),
}


def _problem(message: str) -> PydanticCustomError:
    return PydanticCustomError("souverain", "{message}", {"message": message})


def cpu_millicores(value: str) -> int | None:
    """`500m` or `0.5` as 500; None when `value` is no CPU quantity."""
    match = CPU_RE.match(value)
    if match is None:
        return None
    if match.group(1) is not None:
        return int(match.group(1))
    return round(float(match.group(2)) * 1000)


def memory_mib(value: str) -> int | None:
    """`512Mi` as 512, `2Gi` as 2048; None when `value` is no such quantity."""
    match = MEMORY_RE.match(value)
    if match is None:
        return None
    return int(match.group(1)) * (1024 if match.group(2) == "Gi" else 1)


class AppSettings(BaseModel):
    """One tool's switch and sizes, keyed in config by the tool's name."""

    # The same rules as the stack's own settings (config._Model), written here
    # because config.py imports this module.
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=False,
        validate_by_alias=True,
        extra="forbid",
        frozen=True,
    )

    enabled: bool = True
    """Run the tool; false keeps it out of the stack while its entry stays."""
    cpu: str | None = None
    """CPU its main container requests, e.g. 500m; unset, the tool's default."""
    memory: str | None = None
    """Memory its main container requests, e.g. 1Gi; unset, the tool's default."""
    storage: str | None = None
    """Its database volume, e.g. 20Gi; unset, the tool's default."""

    @field_validator("cpu", mode="before")
    @classmethod
    def _cores_as_written(cls, value: Any) -> Any:
        # Kubernetes takes `cpu: 1` or `cpu: 0.5` unquoted, so users write it so.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("memory", "storage", mode="before")
    @classmethod
    def _sizes_have_units(cls, value: Any) -> Any:
        # A bare number would be bytes to Kubernetes: surely not what was meant.
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise _problem(f"{value} has no unit: write it in Gi or Mi, e.g. {value}Gi")
        return value

    @field_validator("cpu")
    @classmethod
    def _cpu_quantity(cls, value: str | None) -> str | None:
        if value is not None and not cpu_millicores(value):
            raise _problem(
                f"'{value}' is not a CPU request: write millicores such as 500m, "
                "or cores such as 1.5"
            )
        return value

    @field_validator("memory")
    @classmethod
    def _memory_quantity(cls, value: str | None) -> str | None:
        if value is not None and not memory_mib(value):
            raise _problem(
                f"'{value}' is not a memory request: write it in Mi or Gi, e.g. "
                "512Mi or 2Gi"
            )
        return value

    @field_validator("storage")
    @classmethod
    def _storage_quantity(cls, value: str | None) -> str | None:
        if value is None:
            return value
        match = STORAGE_RE.match(value)
        size = int(match.group(1)) if match else 0
        if not MIN_STORAGE_GIB <= size <= MAX_STORAGE_GIB:
            raise _problem(
                f"'{value}' is not a volume size souverain can ask Hetzner for: "
                f"write whole GiB from {MIN_STORAGE_GIB}Gi to {MAX_STORAGE_GIB}Gi, "
                "e.g. 20Gi"
            )
        return value


def tool_problems(apps: dict[str, Any]) -> list[Problem]:
    """Keys of the `apps` map that name no tool souverain runs."""
    problems: list[Problem] = []
    for name in apps:
        if name in TOOLS:
            continue
        reason = NOT_OFFERED.get(name)
        if reason is None:
            reason = f"souverain runs {one_of(TOOLS)}"
        problems.append(((name,), f"is not a tool souverain runs: {reason}"))
    return problems


def app_size(tool: str, settings: AppSettings | None) -> AppSize:
    """The tool's sizes: its defaults, with what the stack sets in their place."""
    default = DEFAULT_SIZES[tool]
    if settings is None:
        return default
    return AppSize(
        cpu_millicores=cpu_millicores(settings.cpu)
        if settings.cpu
        else default.cpu_millicores,
        memory_mib=memory_mib(settings.memory)
        if settings.memory
        else default.memory_mib,
        storage_gib=int(settings.storage.removesuffix("Gi"))
        if settings.storage
        else default.storage_gib,
    )


def enabled_apps(enable_apps: bool, apps: dict[str, AppSettings]) -> dict[str, AppSize]:
    """The tools a stack runs, in TOOLS order, with their sizes.

    With `enableApps` on, every tool runs unless its entry says `enabled: false`.
    """
    if not enable_apps:
        return {}
    return {
        tool: app_size(tool, apps.get(tool))
        for tool in TOOLS
        if apps.get(tool) is None or apps[tool].enabled
    }


def apps_problem(cluster: bool, buckets: bool) -> list[str]:
    """Why the tools have nowhere to run or nowhere to back up to, if they have not."""
    problems = []
    if not cluster:
        problems.append(
            "enableApps needs enableCluster: the tools run on the k3s cluster; set "
            "enableCluster to true"
        )
    if not buckets:
        problems.append(
            "enableApps needs enableBuckets: the tools' databases are backed up to "
            "the backups bucket; set enableBuckets to true"
        )
    return problems
