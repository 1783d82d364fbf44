"""Plain-text rendering of a plan: a resource tree with key inputs, then counts."""

from typing import Any

from souverain.plan import Plan, PlannedResource

# Inputs that say little in a tree (the JSON plan still has them all).
QUIET_INPUTS = {"publicKey", "__provider"}
MAX_VALUE_CHARS = 120


def short_type(type_token: str) -> str:
    """hcloud:index/server:Server -> hcloud:Server, pulumi-python:dynamic/s3:Bucket
    -> s3:Bucket; component and provider tokens (pulumi:providers:scaleway) stay
    whole."""
    package, _, rest = type_token.partition(":")
    if package in ("souverain", "pulumi"):
        return type_token
    if package == "pulumi-python":
        package = rest.split(":", 1)[0].removeprefix("dynamic/")
    return f"{package}:{rest.rsplit(':', 1)[-1]}"


def _inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        return f"{text[:MAX_VALUE_CHARS]}… ({len(text)} chars)"
    return text


def _describe(resource: PlannedResource) -> list[str]:
    """The resource's heading line, then one line per list item worth its own line."""
    heading = f"{short_type(resource.type)} {resource.name}"
    details, extra_lines = [], []
    for key, value in resource.inputs.items():
        if key in QUIET_INPUTS:
            continue
        if key == "rules" and isinstance(value, list):
            extra_lines += [f"rule {_inline(rule)}" for rule in value]
            if not value:
                extra_lines.append("rule (none: all inbound traffic denied)")
            continue
        details.append(f"{key}={_inline(value)}")
    if details:
        heading += "  " + " ".join(details)
    return [heading, *extra_lines]


def render_plan(plan: Plan) -> str:
    """The whole plan as text, the same bytes for the same plan."""
    children: dict[str | None, list[PlannedResource]] = {}
    urns = {resource.urn for resource in plan.resources}
    for resource in plan.resources:
        parent = resource.parent if resource.parent in urns else None
        children.setdefault(parent, []).append(resource)

    lines = [
        f"Plan of stack '{plan.stack}' (project {plan.project}): offline, nothing "
        "is created; (known after apply) marks values only a deployment can tell.",
        "",
    ]

    def walk(parent: str | None, indent: str) -> None:
        siblings = children.get(parent, [])
        for position, resource in enumerate(siblings):
            last = position == len(siblings) - 1
            branch, follow = ("└─ ", "   ") if last else ("├─ ", "│  ")
            heading, *extra = _describe(resource)
            lines.append(f"{indent}{branch}{heading}")
            lines.extend(f"{indent}{follow}  · {line}" for line in extra)
            walk(resource.urn, indent + follow)

    walk(None, "")
    counts = ", ".join(f"{provider} {n}" for provider, n in plan.counts().items())
    lines += ["", f"{len(plan.resources)} resources to create ({counts})"]
    return "\n".join(lines) + "\n"
