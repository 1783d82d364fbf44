"""Pydantic's validation errors, turned into one sentence each for a stack's author.

A sentence names the setting first (`nodePools.workers.count`), then what is wrong
and the fix. User values are echoed only when short and scalar: a setting may hold a
pasted private key by mistake, and an error message must never print it back.
"""

import difflib
from typing import Any, get_args

from pydantic import BaseModel
from pydantic.alias_generators import to_camel

NAMESPACE = "souverain"
MAX_ECHO_CHARS = 40
KINDS = {
    dict: "a map",
    list: "a list",
    str: "text",
    bool: "true or false",
    int: "a number",
    float: "a number",
    type(None): "nothing",
}


# What each entry of a map setting holds, for an entry written as something else.
ENTRY_SHAPES = {
    "nodePools": "a map with role, serverType and count",
    "apps": "a map with enabled, cpu, memory or storage",
}


def kind_of(value: Any) -> str:
    """What a user wrote, in words: 'a list', 'text', 'nothing'."""
    return KINDS.get(type(value), type(value).__name__)


def echo(value: Any) -> str:
    """A short scalar value quoted, anything else described by its kind."""
    if isinstance(value, bool):
        return "'true'" if value else "'false'"
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value)
        if len(text) <= MAX_ECHO_CHARS and "\n" not in text:
            return f"'{text}'"
    return kind_of(value)


def setting_path(loc: tuple) -> str:
    """('nodePools', 'workers', 'count') -> nodePools.workers.count; indices as [i]."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def nested_model(root: type[BaseModel], key: Any) -> type[BaseModel] | None:
    """The model of each entry of the map setting `key` (nodePools: NodePool)."""
    for name, field in root.model_fields.items():
        if (field.alias or to_camel(name)) == key:
            entry = (get_args(field.annotation) or (None,))[-1]
            if isinstance(entry, type) and issubclass(entry, BaseModel):
                return entry
    return None


def closest_setting(loc: tuple, models: list[type[BaseModel]]) -> str | None:
    """The known setting an unknown key at `loc` was most likely meant to be.

    `models[0]` is the stack's model; a key inside a map setting is matched
    against that map's entry model.
    """
    model = models[0] if len(loc) == 1 else nested_model(models[0], loc[0])
    if model is None:
        return None
    known = sorted(
        field.alias or to_camel(name) for name, field in model.model_fields.items()
    )
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    return close[0] if close else None


def how_to_set(loc: tuple, expected: str) -> str:
    """The command that sets a missing setting, or where to add it."""
    if len(loc) > 1:
        parent = setting_path(loc[:-1])
        return f"add {loc[-1]} under {parent} in the stack file"
    key = loc[0]
    if expected == "list":
        return (
            f"run `pulumi config set --path '{NAMESPACE}:{key}[0]' <value>` or add "
            "it to the stack file as a YAML list"
        )
    if expected == "map":
        return (
            f"run `pulumi config set --path '{NAMESPACE}:{key}.<name>' <value>` or "
            "add it to the stack file as a YAML map"
        )
    return (
        f"run `pulumi config set {NAMESPACE}:{key} <value>` or add it to the stack file"
    )


def describe(error: dict, models: list[type[BaseModel]], expected: str) -> str:
    """One sentence for one pydantic error; `expected` is 'list', 'map' or 'value'."""
    loc = error["loc"]
    field = setting_path(loc)
    kind, value = error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "souverain":
        return f"{field} {ctx['message']}"
    if kind == "missing":
        return f"{field} is required: {how_to_set(loc, expected)}"
    if kind == "extra_forbidden":
        close = closest_setting(loc, models)
        hint = f"did you mean '{close}'?" if close else "remove it"
        return f"{field} is not a souverain setting: {hint}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{field} {echo(value)} is not a whole number: write e.g. 3"
    if kind in ("bool_parsing", "bool_type"):
        return f"{field} {echo(value)} is not true or false"
    if kind == "literal_error":
        return f"{field} {echo(value)} is not allowed: use {ctx.get('expected')}"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        word = "at least" if kind == "greater_than_equal" else "at most"
        return f"{field} is {echo(value)}: it must be {word} {bound}"
    if kind in ("model_type", "model_attributes_type"):
        shape = ENTRY_SHAPES.get(loc[0], "a map")
        return f"{field} must be {shape}, not {kind_of(value)}"
    if kind == "dict_type":
        return f"{field} must be a map of name: value, not {kind_of(value)}"
    if kind == "list_type":
        return f"{field} must be a list, not {kind_of(value)}"
    if kind == "string_type":
        return f"{field} must be text, not {kind_of(value)}"
    return f"{field} {error['msg']}"
