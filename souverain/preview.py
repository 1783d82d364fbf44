"""A real `pulumi preview --json` document, read into the same `Diff` and plans.

The engine writes one step per resource operation (`create`, `update`, `same`,
`delete`, and for a replacement `replace`, `create-replacement` and
`delete-replaced`), each with the old and new state and, for changes, the properties
that differ. Here the engine's verdict is taken as it is; only the values are
redacted again, whatever the document holds. The old and new states become two
`Plan`s, so the cost model prices both sides.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.errors import SouverainError
from souverain.diff import (
    ACTIONS,
    CREATE,
    DELETE,
    REPLACE,
    SAME,
    SECRET,
    UPDATE,
    Diff,
    PropertyChange,
    ResourceChange,
    compare_values,
    path_order,
    redact_inputs,
    split_path,
    value_at,
)
from souverain.plan import STACK_TYPE, UNKNOWN, Plan, PlannedResource
from souverain.preview_shape import PREVIEW_FIX, load_preview

# How the engine writes a value only the deployment can tell.
ENGINE_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
REPLACING_OPS = {
    "replace",
    "create-replacement",
    "delete-replaced",
    "import-replacement",
}
OPS = {"create": CREATE, "import": CREATE, "update": UPDATE, "delete": DELETE}


def _from_engine(value: Any) -> Any:
    """An engine value as a plan shows it: unknowns named, whole numbers as ints."""
    if value == ENGINE_UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _from_engine(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_engine(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _visible(value: Any) -> Any:
    """Values without the engine's and the bridge's bookkeeping (`__defaults`,
    `__meta`, a dynamic resource's pickled `__provider`), at any depth."""
    if isinstance(value, dict):
        return {k: _visible(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_visible(v) for v in value]
    return value


def _resource(state: dict[str, Any], key: str = "inputs") -> PlannedResource:
    """A step's old or new state as a planned resource, its values redacted."""
    urn, type_token = str(state["urn"]), str(state.get("type", ""))
    values = _visible(_from_engine(state.get(key) or {}))
    return PlannedResource(
        urn=urn,
        type=type_token,
        name=urn.split("::", 3)[-1],
        parent=state.get("parent"),
        custom=bool(state.get("custom")),
        inputs=redact_inputs(type_token, values),
        dependencies=tuple(sorted(state.get("dependencies") or ())),
        ignore_changes=tuple(state.get("ignoreChanges") or ()),
    )


def _contains_secret(value: Any) -> bool:
    if value == SECRET:
        return True
    if isinstance(value, dict):
        return any(_contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secret(v) for v in value)
    return False


def _properties(step: dict[str, Any]) -> list[PropertyChange]:
    """The properties the engine says differ, with old and new values."""
    old_state, new_state = step.get("oldState") or {}, step.get("newState") or {}
    old_inputs = _resource(old_state).inputs if old_state else {}
    old_outputs = _resource(old_state, "outputs").inputs if old_state else {}
    new_inputs = _resource(new_state).inputs if new_state else {}
    replacing = {str(key) for key in step.get("replaceReasons") or ()}
    detailed = step.get("detailedDiff")
    if detailed:
        paths = {path: entry for path, entry in detailed.items()}
    elif step.get("diffReasons"):
        paths = {str(key): {"kind": "update"} for key in step["diffReasons"]}
    else:
        return compare_values(old_inputs, new_inputs)
    changes = []
    for path in sorted(paths, key=path_order):
        top = str(split_path(path)[0]) if path else path
        if top.startswith("__"):
            continue
        entry = paths[path] if isinstance(paths[path], dict) else {}
        # The engine compares some properties with the last state read back (a
        # change made in the console), not with the last inputs.
        source = old_inputs if entry.get("inputDiff") else old_outputs
        old, new = value_at(source, path), value_at(new_inputs, path)
        secret = _contains_secret(old) or _contains_secret(new)
        replaces = str(entry.get("kind", "")).endswith("-replace") or top in replacing
        if secret:
            old = new = SECRET
        changes.append(PropertyChange(path, old, new, secret, replaces))
    return changes


def _stack_of(urn: str, source: Path) -> tuple[str, str]:
    """(stack, project) of a URN: urn:pulumi:<stack>::<project>::<type>::<name>."""
    head, _, rest = urn.partition("::")
    project = rest.partition("::")[0]
    if not head.startswith("urn:pulumi:") or not project:
        raise SouverainError(
            f"{source} has a step whose urn '{urn}' is not a Pulumi URN; {PREVIEW_FIX}"
        )
    return head.removeprefix("urn:pulumi:"), project


def _grouped_steps(
    steps: list[Any], source: Path, stack: str | None
) -> tuple[str, str, dict[str, list[dict]]]:
    """The preview's stack and project, and its steps grouped by URN."""
    by_urn: dict[str, list[dict]] = {}
    found: set[tuple[str, str]] = set()
    for step in steps:
        found.add(_stack_of(step["urn"], source))
        if step["urn"].split("::")[2:3] != [STACK_TYPE]:
            by_urn.setdefault(step["urn"], []).append(step)
    if len(found) != 1:
        stacks = ", ".join(sorted(s for s, _ in found)) or "none"
        raise SouverainError(
            f"{source} holds the steps of {len(found)} stacks ({stacks}), not one; "
            f"{PREVIEW_FIX}"
        )
    ((previewed, project),) = found
    if stack is not None and previewed != stack:
        raise SouverainError(
            f"{source} is a preview of the stack '{previewed}', not '{stack}': run "
            f"`pulumi preview --json --show-sames --stack {stack}`, or pass --stack "
            f"{previewed}"
        )
    return previewed, project, by_urn


@dataclass(frozen=True)
class Preview:
    """A preview's changes, and the stack before and after them as plans."""

    diff: Diff
    before: Plan
    after: Plan
    complete: bool
    """False when the document leaves out the unchanged resources (no
    `--show-sames`): then the plans hold only the changed ones."""


def _unchanged(document: dict[str, Any], steps: list[dict], listed: int) -> int:
    """How many resources stay as they are, the stack itself not counted."""
    summary = document.get("changeSummary") or {}
    if not isinstance(summary.get("same"), int):
        return listed
    stack_same = any(
        step["urn"].split("::")[2:3] == [STACK_TYPE] and step.get("op") == "same"
        for step in steps
    )
    return summary["same"] - stack_same


def read_preview(source: Path, stack: str | None = None) -> Preview:
    """The changes of a preview, and the stack before and after them.

    `stack`, when given, must be the previewed stack.
    """
    document = load_preview(source)
    previewed, project, by_urn = _grouped_steps(document["steps"], source, stack)
    changes, before, after, listed = [], [], [], 0
    for urn, steps in sorted(by_urn.items()):
        ops = {str(step.get("op")) for step in steps}
        if ops & REPLACING_OPS:
            action = REPLACE
            step = next((s for s in steps if s.get("op") == "replace"), steps[0])
        else:
            step = steps[0]
            action = OPS.get(str(step.get("op")), SAME)
        old = [s["oldState"] for s in steps if s.get("oldState")]
        new = [s["newState"] for s in steps if s.get("newState")]
        if old and action != CREATE:
            before.append(_resource(old[0]))
        if new and action != DELETE:
            after.append(_resource(new[-1]))
        if action == SAME:
            # `same`, and steps that change nothing (read, refresh, discard).
            listed += step.get("op") == "same"
            continue
        state = (new or old)[-1] if action != DELETE else (old or new)[0]
        resource = _resource(state)
        properties = _properties(step) if action in (UPDATE, REPLACE) else []
        changes.append(
            ResourceChange(action, urn, resource.type, resource.name, tuple(properties))
        )
    order = {action: index for index, action in enumerate(ACTIONS)}
    changes.sort(key=lambda c: (order[c.action], c.urn))
    unchanged = _unchanged(document, document["steps"], listed)
    diff = Diff(previewed, tuple(changes), unchanged)
    return Preview(
        diff,
        Plan(project, previewed, before),
        Plan(project, previewed, after),
        complete=unchanged <= listed,
    )
