"""Reading `Pulumi.yaml` and `stacks/Pulumi.<stack>.yaml` the way the Pulumi CLI does.

The offline plan has no Pulumi CLI to hand it config, so this module turns the two
files into the flat `namespace:key -> string` map the engine would pass to the
program: project defaults first, the stack's values over them, structured values as
JSON, and encrypted values replaced by a placeholder (no passphrase needed).
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.errors import ConfigError, SouverainError

SECRET_PLACEHOLDER = "[secret]"
# libyaml's loader when PyYAML was built with it: ten times faster on Pulumi.yaml,
# which every plan reads.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Pulumi's own rule for a stack name; it also keeps the file name a plain name.
STACK_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


@dataclass(frozen=True)
class Project:
    """The parts of `Pulumi.yaml` the plan needs."""

    root: Path
    name: str
    stack_config_dir: Path
    config_defaults: dict[str, Any] = field(default_factory=dict)

    def stack_file(self, stack: str) -> Path:
        """Where the settings of `stack` live."""
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """Names of the stacks that have a settings file."""
        return sorted(
            path.name[len("Pulumi.") : -len(".yaml")]
            for path in self.stack_config_dir.glob("Pulumi.*.yaml")
        )


def find_project(start: Path) -> Project:
    """Read the `Pulumi.yaml` in `start` or the nearest folder above it."""
    if not start.is_dir():
        raise SouverainError(f"{start} is not a folder: pass a souverain checkout")
    for folder in [start, *start.resolve().parents]:
        manifest = folder / "Pulumi.yaml"
        if manifest.is_file():
            return _read_project(manifest)
    raise SouverainError(
        f"no Pulumi.yaml in {start} or above: run souverain inside a souverain "
        "checkout, or point --project-dir at one"
    )


def _read_project(manifest: Path) -> Project:
    data = _read_yaml(manifest, "Pulumi.yaml")
    name = data.get("name")
    defaults = {}
    for key, declaration in (data.get("config") or {}).items():
        if isinstance(declaration, dict) and "default" in declaration:
            full_key = key if ":" in key else f"{name}:{key}"
            defaults[full_key] = declaration["default"]
    config_dir = manifest.parent / (data.get("stackConfigDir") or ".")
    return Project(manifest.parent, name, config_dir, defaults)


def _read_yaml(path: Path, shown_as: str) -> dict:
    """The YAML map in `path`; a broken file is a ConfigError naming line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(
            ["the file is not UTF-8 text: save it again as UTF-8"], shown_as
        ) from None
    return parse_yaml(text, shown_as)


def parse_yaml(text: str, shown_as: str) -> dict:
    """The YAML map in `text`, read as a stack file is; errors name line and column."""
    try:
        data = yaml.load(text, Loader=YAML_LOADER) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or "not valid YAML"
        raise ConfigError(
            [
                f"{where}{problem}: fix the YAML (indentation and colons are the usual "
                "culprits)"
            ],
            shown_as,
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(["the file must hold a YAML map at its top level"], shown_as)
    return data


def _contains_secret(value: Any) -> bool:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return True
        return any(_contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secret(v) for v in value)
    return False


def _as_engine_string(value: Any) -> str:
    """The string form the Pulumi engine hands a program for a config value."""
    if value is None:
        return ""  # the settings check reports the empty value by name
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True)


def read_stack_config(project: Project, stack: str) -> tuple[dict[str, str], set[str]]:
    """The engine-style config map of `stack`, and the keys that hold secrets.

    An encrypted value (`secure:`) becomes the placeholder `[secret]`; the key is
    reported as secret so the program treats it as one.
    """
    path = project.stack_file(stack)
    if not path.is_file():
        known = ", ".join(project.stacks()) or "none yet"
        raise SouverainError(
            f"stack '{stack}' has no settings file {path.relative_to(project.root)}: "
            f"known stacks are {known} (start {stack} with `souverain new {stack} "
            "--domain <domain>`)"
        )
    shown_as = str(path.relative_to(project.root))
    return engine_config(project, _read_yaml(path, shown_as), shown_as)


def engine_config(
    project: Project, document: dict, shown_as: str
) -> tuple[dict[str, str], set[str]]:
    """The engine-style config map of a stack file's parsed `document`.

    Split from `read_stack_config` so `souverain new` checks a stack file it has not
    written yet exactly as the plan will read it.
    """
    stack_values = document.get("config") or {}
    if not isinstance(stack_values, dict):
        raise ConfigError(["'config' must be a map of key: value"], shown_as)

    stack_values = {
        key if ":" in key else f"{project.name}:{key}": value
        for key, value in stack_values.items()
    }
    merged = {**project.config_defaults, **stack_values}
    config, secret_keys = {}, set()
    for key, value in merged.items():
        if _contains_secret(value):
            secret_keys.add(key)
            config[key] = SECRET_PLACEHOLDER
        else:
            config[key] = _as_engine_string(value)
    return config, secret_keys
