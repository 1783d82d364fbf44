"""What changes between two plans of a stack: resources to create, update, replace
and delete, each with the inputs that change.

A pure calculation. Resources are matched by URN; inputs are compared path by path
(`labels.tier`, `publicNets[0].ipv4Enabled`), the way Pulumi names a property in its
own diffs. Whether a change replaces a resource comes from `replacements.py`. Secrets
never reach a `Diff`: every value passes through `redact` first.
"""

import graphlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from souverain.plan import UNKNOWN, Plan, PlannedResource
from souverain.replacements import replacing_inputs

CREATE, UPDATE, REPLACE, DELETE, SAME = "create", "update", "replace", "delete", "same"
ACTIONS = (CREATE, UPDATE, REPLACE, DELETE)
SECRET = "[secret]"
# How Pulumi's serialised state marks special values: {SIG_KEY: <kind>, ...}. Any
# kind not named here, secrets included, is shown as a secret.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SHOWN_SIGNATURES = {
    "c44067f5952c0a294b673a41bacd8c17": "(asset)",
    "0def7320c3a5731c473e5ecbe6d01bc7": "(archive)",
    "5cf8f73096256a8f31e491e813e4eb8e": "(resource reference)",
}
# Inputs whose name says they hold a credential are hidden even where a file does
# not mark them secret, e.g. a plan written by a souverain that did not.
SECRET_NAME = re.compile(
    r"secret|password|passphrase|token|private_?key|access_?key|api_?key|"
    r"credential|kubeconfig|dockerconfig",
    re.IGNORECASE,
)
# Types whose inputs are all secret, whatever their names.
SECRET_TYPES = {"kubernetes:core/v1:Secret"}
# Under a credential's name, what only names a Kubernetes Secret is shown: a
# reference object (`secretRef: {name: app-env}`, `secretKeyRef: {name, key}`) or a
# `secretName` string, when every part reads as a Kubernetes name or key. A value
# that names nothing, or could be a credential itself, stays hidden.
REFERENCE_PARTS = {"name", "key", "namespace", "optional"}
SECRET_NAME_KEY = re.compile(r"^(?:secretName|\w+SecretName)$")
KUBERNETES_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
KUBERNETES_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Absent:
    """The value of an input a resource does not have."""

    def __repr__(self) -> str:
        return "(none)"


ABSENT = _Absent()
# What an input holds now, where the base plan could not know it either.
DEPLOYED = "(as deployed)"


@dataclass(frozen=True)
class PropertyChange:
    """One input that changes: its path and its old and new values, redacted."""

    path: str
    old: Any
    new: Any
    secret: bool = False
    """A secret changes: neither value is shown."""
    replaces: bool = False
    """The provider replaces the resource for this change."""


@dataclass(frozen=True)
class ResourceChange:
    """What happens to one resource, and why."""

    action: str
    urn: str
    type: str
    name: str
    properties: tuple[PropertyChange, ...] = ()
    replacement_known: bool = True
    """False when an update might still be a replacement: the provider decides."""


@dataclass(frozen=True)
class Diff:
    """Every change between two plans of one stack, in a stable order."""

    stack: str
    changes: tuple[ResourceChange, ...]
    unchanged: int
    ignored: tuple[tuple[str, str], ...] = field(default=())
    """(resource name, input path) of changes the program tells the engine to
    ignore (ignoreChanges): they take effect only on new resources."""

    def of(self, action: str) -> list[ResourceChange]:
        """The changes of one action, in URN order."""
        return [change for change in self.changes if change.action == action]

    def summary(self) -> str:
        """The counts: `+1 to create, ~0 to update, ±0 to replace, -0 to delete`."""
        signs = {CREATE: "+", UPDATE: "~", REPLACE: "±", DELETE: "-"}
        return ", ".join(
            f"{signs[action]}{len(self.of(action))} to {action}" for action in ACTIONS
        )


def _names_a_secret(value: Any, name: str) -> bool:
    """True when `value`, held under `name`, only names a Kubernetes Secret."""
    if isinstance(value, str):
        return bool(SECRET_NAME_KEY.match(name)) and (
            value == UNKNOWN or bool(KUBERNETES_NAME.match(value))
        )
    if not isinstance(value, dict) or "name" not in value:
        return False
    if not set(value) <= REFERENCE_PARTS:
        return False
    for part, item in value.items():
        if part == "optional":
            if not isinstance(item, bool):
                return False
            continue
        pattern = KUBERNETES_KEY if part == "key" else KUBERNETES_NAME
        if item != UNKNOWN and not (isinstance(item, str) and pattern.match(item)):
            return False
    return True


def _holds_a_reference(value: Any, name: str) -> bool:
    """True when `value` names a Kubernetes Secret somewhere inside."""
    if _names_a_secret(value, name):
        return True
    if isinstance(value, dict) and SIG_KEY not in value:
        return any(_holds_a_reference(v, str(k)) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_a_reference(v, "") for v in value)
    return False


def redact(value: Any, name: str = "", credential: bool = False) -> Any:
    """`value` with every secret replaced by `[secret]`, however it was marked.

    `name` is the input's own name: a credential's name hides its whole value. Only
    what names a Kubernetes Secret (a `{name: ...}` reference, a `secretName`) is
    shown inside it, the rest hidden. `credential` says `value` sits inside one.
    """
    credential = credential or bool(SECRET_NAME.search(name))
    if isinstance(value, dict) and SIG_KEY in value:
        shown = SHOWN_SIGNATURES.get(str(value[SIG_KEY]), SECRET)
        return SECRET if credential else shown
    if credential and _names_a_secret(value, name):
        return dict(sorted(value.items())) if isinstance(value, dict) else value
    if credential and not _holds_a_reference(value, name):
        return SECRET if value not in (None, "", UNKNOWN) else value
    if isinstance(value, dict):
        return {str(k): redact(v, str(k), credential) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [redact(v, "", credential) for v in value]
    return value


def redact_inputs(type_token: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A resource's inputs with every secret hidden; a Secret's data all hidden."""
    shown = redact(inputs)
    if type_token in SECRET_TYPES:
        for key in ("data", "stringData"):
            if shown.get(key) not in (None, UNKNOWN):
                shown[key] = SECRET
    return shown


def join_path(path: str, key: str | int) -> str:
    """Pulumi's property path syntax: `a.b`, `a[0]`, `labels["souverain.eu/role"]`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def compare_values(old: Any, new: Any, path: str = "") -> list[PropertyChange]:
    """Every path where two redacted input trees differ, in key order."""
    if old == new:
        return []
    if SECRET in (old, new):
        return [PropertyChange(path, SECRET, SECRET, secret=True)]
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in sorted(set(old) | set(new)):
            before, after = old.get(key, ABSENT), new.get(key, ABSENT)
            changes += compare_values(before, after, join_path(path, key))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else ABSENT
            after = new[index] if index < len(new) else ABSENT
            changes += compare_values(before, after, join_path(path, index))
        return changes
    return [PropertyChange(path, old, new)]


def unknown_paths(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """(path, value) of every input only a deployment can tell."""
    if value == UNKNOWN:
        return [(path, value)]
    if isinstance(value, dict):
        items: Iterable = sorted(value.items())
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    return [
        found
        for key, item in items
        for found in unknown_paths(item, join_path(path, key))
    ]


def value_at(value: Any, path: str) -> Any:
    """The value at a Pulumi property path in `value`, or ABSENT."""
    for key in split_path(path):
        if isinstance(value, dict) and isinstance(key, str) and key in value:
            value = value[key]
        elif isinstance(value, list) and isinstance(key, int) and key < len(value):
            value = value[key]
        else:
            return ABSENT
    return value


_PATH_PART = re.compile(r'\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def split_path(path: str) -> list[str | int]:
    """`a.b[0]["x.y"]` -> ["a", "b", 0, "x.y"]; a part it cannot read ends the path."""
    parts: list[str | int] = []
    position = 0
    while position < len(path):
        match = _PATH_PART.match(path, position)
        if match is None:
            parts.append(path[position:])
            break
        name, index, quoted = match.groups()
        parts.append(name if name else int(index) if index else json.loads(quoted))
        position = match.end()
    return parts


def path_order(path: str) -> list[tuple[int, int, str]]:
    """A sort key that puts `a[2]` before `a[10]` and keeps names in order."""
    return [
        (0, part, "") if isinstance(part, int) else (1, 0, part)
        for part in split_path(path)
    ]


def under(path: str, prefixes: Iterable[str]) -> bool:
    """True when `path` is one of `prefixes` or inside one ("*" matches all)."""
    parts = split_path(path)
    for prefix in prefixes:
        wanted = split_path(prefix)
        if prefix == "*" or parts[: len(wanted)] == wanted:
            return True
    return False


def decide(
    resource: PlannedResource, properties: list[PropertyChange]
) -> ResourceChange:
    """Update or replace, from which of `properties` the provider replaces for."""
    replacing = replacing_inputs(resource.type, resource.replace_on_changes)
    marked = [
        PropertyChange(
            p.path,
            p.old,
            p.new,
            p.secret,
            replacing is not None and under(p.path, replacing),
        )
        for p in properties
    ]
    action = REPLACE if any(p.replaces for p in marked) else UPDATE
    return ResourceChange(
        action,
        resource.urn,
        resource.type,
        resource.name,
        tuple(marked),
        replacement_known=replacing is not None,
    )


def _in_dependency_order(plan: Plan) -> list[PlannedResource]:
    """The plan's resources, each after the ones it depends on, ties by URN."""
    by_urn = {r.urn: r for r in plan.resources}
    sorter = graphlib.TopologicalSorter(
        {r.urn: [d for d in r.dependencies if d in by_urn] for r in plan.resources}
    )
    sorter.prepare()
    ordered = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered += [by_urn[urn] for urn in ready]
        sorter.done(*ready)
    return ordered


def _follow_renewed(
    resource: PlannedResource,
    old_inputs: dict[str, Any],
    new_inputs: dict[str, Any],
    renewed: set[str],
    found: list[PropertyChange],
) -> list[PropertyChange]:
    """The unknown inputs that change because what they come from is new.

    A plan written before inputs' own dependencies were recorded has only the
    resource's; then every unknown input follows any of them.
    """
    by_input = dict(resource.property_dependencies)
    seen = {p.path for p in found}
    changes = []
    for path, value in unknown_paths(new_inputs):
        if path in seen or under(path, resource.ignore_changes):
            continue
        sources = (
            by_input.get(str(split_path(path)[0]), ())
            if by_input
            else resource.dependencies
        )
        if renewed.intersection(sources):
            old = value_at(old_inputs, path)
            changes.append(
                PropertyChange(path, DEPLOYED if old == UNKNOWN else old, value)
            )
    return changes


def compare_plans(before: Plan, after: Plan) -> Diff:
    """What `pulumi up` would do to a stack deployed as `before` to make it `after`.

    Inputs a deployment fills in (ids) are unknown in both plans, so they compare
    equal; once a resource they depend on is created or replaced, they are reported
    as changing to `(known after apply)`, as Pulumi's preview would.
    """
    old_by_urn = {r.urn: r for r in before.resources}
    changes: list[ResourceChange] = []
    ignored: list[tuple[str, str]] = []
    renewed: set[str] = set()  # created or replaced: their outputs change
    unchanged = 0
    for resource in _in_dependency_order(after):
        old = old_by_urn.get(resource.urn)
        if old is None:
            changes.append(
                ResourceChange(CREATE, resource.urn, resource.type, resource.name)
            )
            renewed.add(resource.urn)
            continue
        old_inputs = redact_inputs(old.type, old.inputs)
        new_inputs = redact_inputs(resource.type, resource.inputs)
        properties = compare_values(old_inputs, new_inputs)
        kept = [p for p in properties if not under(p.path, resource.ignore_changes)]
        ignored += [(resource.name, p.path) for p in properties if p not in kept]
        kept += _follow_renewed(resource, old_inputs, new_inputs, renewed, kept)
        kept.sort(key=lambda p: path_order(p.path))
        if not kept:
            unchanged += 1
            continue
        change = decide(resource, kept)
        if change.action == REPLACE:
            renewed.add(resource.urn)
        changes.append(change)

    new_urns = {r.urn for r in after.resources}
    changes += [
        ResourceChange(DELETE, r.urn, r.type, r.name)
        for r in before.resources
        if r.urn not in new_urns
    ]
    order = {action: index for index, action in enumerate(ACTIONS)}
    changes.sort(key=lambda c: (order[c.action], c.urn))
    return Diff(after.stack, tuple(changes), unchanged, tuple(sorted(ignored)))
