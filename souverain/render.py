"""Plain-text rendering of a plan: a resource tree with key inputs, then counts."""

import graphlib
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
    # A multi-line value (a chart's config file) would break the tree: one line.
    text = str(value).replace("\n", "\\n")
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


def _in_creation_order(
    siblings: list[PlannedResource], everything: list[PlannedResource]
) -> list[PlannedResource]:
    """Siblings ordered so each comes after those it waits for, then by URN.

    A sibling waits for another when anything in its subtree depends on anything in
    the other's, so a component with the cluster's add-ons lists after the cluster.
    """
    parent_of = {resource.urn: resource.parent for resource in everything}
    sibling_urns = {resource.urn for resource in siblings}

    def sibling_holding(urn: str | None) -> str | None:
        while urn is not None and urn not in sibling_urns:
            urn = parent_of.get(urn)
        return urn

    waits_for: dict[str, set[str]] = {urn: set() for urn in sibling_urns}
    for resource in everything:
        holder = sibling_holding(resource.urn)
        if holder is None:
            continue
        for dependency in resource.dependencies:
            other = sibling_holding(dependency)
            if other is not None and other != holder:
                waits_for[holder].add(other)

    sorter = graphlib.TopologicalSorter(waits_for)
    by_urn = {resource.urn: resource for resource in siblings}
    ordered: list[PlannedResource] = []
    try:
        sorter.prepare()
    except graphlib.CycleError:
        return siblings  # components that wait on each other: keep URN order
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered += [by_urn[urn] for urn in ready]
        sorter.done(*ready)
    return ordered


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
        siblings = _in_creation_order(children.get(parent, []), plan.resources)
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
