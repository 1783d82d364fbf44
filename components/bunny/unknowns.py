"""Values a preview cannot know yet, as Pulumi hands them to dynamic providers.

During a preview, an input that depends on a resource not created yet (a load
balancer's address, a pull zone's host name) reaches `check` and `diff` as a
`pulumi.output.Unknown` object. It must pass through unchecked and count as a change:
checking it as a value would fail the preview of every new stack.
"""

from typing import Any

from pulumi.output import Unknown


def unknown_keys(props: dict[str, Any]) -> set[str]:
    """The properties whose value a preview does not know yet."""
    return {key for key, value in props.items() if _holds_unknown(value)}


def _holds_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(_holds_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_unknown(v) for v in value)
    return False
