"""Whether a file is a `pulumi preview --json` document souverain can read.

The engine writes a fixed shape (its `previewDigest`: steps, diagnostics, a change
summary). A file that strays from it, edited by hand or written by another tool, is
refused here with the step and field that are wrong, before any of it is read; so is
a preview the engine could not finish, with the error it reported.
"""

import json
from pathlib import Path
from typing import Any

from components.errors import SouverainError
from souverain.plan import STACK_TYPE

PREVIEW_FIX = (
    "write it with `pulumi preview --json --show-sames --stack <stack> > preview.json`"
)
NOT_ENGINE = "so the file is not what `pulumi preview --json` writes"
# The fields of a step and of its states that souverain reads, and the JSON kind
# the engine writes for each (its previewStep and apitype.ResourceV3); null is
# allowed wherever the engine may leave a field out.
STEP_FIELDS = {
    "op": str,
    "oldState": dict,
    "newState": dict,
    "detailedDiff": dict,
    "diffReasons": list,
    "replaceReasons": list,
}
STATE_FIELDS = {
    "urn": str,
    "type": str,
    "parent": str,
    "custom": bool,
    "inputs": dict,
    "outputs": dict,
    "dependencies": list,
    "ignoreChanges": list,
}
REQUIRED_STEP_FIELDS = ("urn", "op")
REQUIRED_STATE_FIELDS = ("urn", "type")
KIND_NAMES = {
    str: "a string",
    bool: "true or false",
    int: "a number",
    float: "a number",
    list: "a list",
    dict: "an object",
    type(None): "null",
}


def _kind(value: Any) -> str:
    """The JSON kind of a value, as a sentence names it."""
    return KIND_NAMES.get(type(value), type(value).__name__)


def _field_problem(
    owner: dict[str, Any],
    fields: dict[str, type],
    required: tuple[str, ...],
    prefix: str = "",
) -> str | None:
    """What is wrong with the fields of a step or state, or None."""
    for key in required:
        if owner.get(key) is None:
            return f"'{prefix}{key}' is missing"
    for key, kind in fields.items():
        value = owner.get(key)
        if value is not None and not isinstance(value, kind):
            return f"'{prefix}{key}' is {_kind(value)}, not {KIND_NAMES[kind]}"
    for key in ("dependencies", "ignoreChanges", "diffReasons", "replaceReasons"):
        if key in fields and not all(isinstance(i, str) for i in owner.get(key) or ()):
            return f"'{prefix}{key}' is not a list of strings"
    return None


def _step_problem(step: Any) -> str | None:
    """What makes `step` something the engine never writes, or None."""
    if not isinstance(step, dict):
        return f"it is {_kind(step)}, not an object"
    problem = _field_problem(step, {"urn": str, **STEP_FIELDS}, REQUIRED_STEP_FIELDS)
    if problem is not None:
        return problem
    for key in ("oldState", "newState"):
        state = step.get(key)
        if state is not None:
            problem = problem or _field_problem(
                state, STATE_FIELDS, REQUIRED_STATE_FIELDS, f"{key}."
            )
    for path, entry in (step.get("detailedDiff") or {}).items():
        if problem is None and not isinstance(entry, dict):
            problem = f"'detailedDiff' entry '{path}' is {_kind(entry)}, not an object"
    return problem


def check_steps(steps: list[Any], source: Path) -> None:
    """Refuse the first step that is not shaped as the engine writes one."""
    for index, step in enumerate(steps):
        problem = _step_problem(step)
        if problem is None:
            continue
        urn = step.get("urn") if isinstance(step, dict) else None
        which = f"step {index} ({urn})" if isinstance(urn, str) else f"step {index}"
        raise SouverainError(
            f"{source}: {which}: {problem}, {NOT_ENGINE}; {PREVIEW_FIX}"
        )


def _first_error(diagnostics: list[Any]) -> tuple[str, str] | None:
    """(URN, message on one line) of the preview's first error, or None.

    The engine writes each diagnostic's prefix (`error: `) into its message.
    """
    for entry in diagnostics:
        if not isinstance(entry, dict) or entry.get("severity") != "error":
            continue
        text = " ".join(str(entry.get("message") or "").split())
        urn = entry.get("urn")
        return (urn if isinstance(urn, str) else "", text.removeprefix("error: "))
    return None


def _refuse_failed(diagnostics: list[Any], source: Path) -> None:
    """A preview the engine could not finish shows no change: say what failed."""
    found = _first_error(diagnostics)
    if found is None:
        return
    urn, message = found
    parts = urn.split("::", 3)
    at = f" at {parts[-1]}" if len(parts) == 4 and parts[2] != STACK_TYPE else ""
    stack = parts[0].removeprefix("urn:pulumi:") if len(parts) == 4 else "<stack>"
    raise SouverainError(
        f"the preview in {source} failed{at}: {message or '(no message)'}; fix the "
        f"program or the stack's configuration, then run `pulumi preview --json "
        f"--show-sames --stack {stack}` again"
    )


def load_preview(source: Path) -> dict[str, Any]:
    """The preview document in `source`, refused with the fix if it is not one.

    A preview whose diagnostics hold an error is refused with that error: the
    engine stopped, so its steps are not the whole change.
    """
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise SouverainError(f"cannot read {source}: {err}; {PREVIEW_FIX}") from None
    except json.JSONDecodeError as err:
        raise SouverainError(
            f"{source} is not JSON ({err.msg}, line {err.lineno}); {PREVIEW_FIX}"
        ) from None
    if not isinstance(document, dict):
        raise SouverainError(
            f"{source} is {_kind(document)}, not a `pulumi preview --json` document; "
            f"{PREVIEW_FIX}"
        )
    if "resources" in document:
        raise SouverainError(
            f"{source} is a souverain plan, not a preview: compare two plans with "
            f"`souverain plan --stack <stack> --compare {source}`"
        )
    for key, kind in (("diagnostics", list), ("changeSummary", dict)):
        if document.get(key) is not None and not isinstance(document[key], kind):
            raise SouverainError(
                f"{source}: '{key}' is {_kind(document[key])}, not "
                f"{KIND_NAMES[kind]}, {NOT_ENGINE}; {PREVIEW_FIX}"
            )
    _refuse_failed(document.get("diagnostics") or [], source)
    if not isinstance(document.get("steps"), list):
        raise SouverainError(
            f"{source} is not a `pulumi preview --json` document: it has no 'steps' "
            f"list; {PREVIEW_FIX}"
        )
    check_steps(document["steps"], source)
    return document
