"""Lists as the Cloud API answers them, and the labels and selectors they filter by.

A list endpoint filters by every query parameter named like a field of its items
(`name`, `status`, `type`, `fingerprint`, `ip`, the `id` of actions), by
`label_selector`, sorts by `sort` (`id`, `name:desc`…) and cuts pages of `per_page`
entries, never more than the fake's `max_per_page`.
"""

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from tests.fakes.hetzner_contract import Body, invalid_input

# The API's defaults: 25 entries per page, never more than 50 whatever is asked.
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 50
# Query parameters that are not a filter on the item field of the same name.
NOT_FILTERS = frozenset(
    {"page", "per_page", "sort", "label_selector", "include_deprecated"}
)

# Label keys and values as the API documents them ("Labels" in the spec): a name of
# at most 63 characters, alphanumeric at both ends, with an optional DNS prefix.
_LABEL_NAME = re.compile(r"[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?")
_DNS_PREFIX = re.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
)
RESERVED_LABEL_PREFIX = "hetzner.cloud/"

Labels = dict[str, str]
Selector = Callable[[Labels], bool]


def page(key: str, items: Iterable[Body], query: dict[str, Any], limit: int) -> Body:
    """The page of `items` the query asks for, under `key`, with the API's meta."""
    selected = label_selector(query.get("label_selector", ""))
    kept = [
        item
        for item in items
        if selected(item.get("labels") or {}) and _kept(item, query)
    ]
    for field, descending in reversed(_sort_keys(query.get("sort", []))):
        kept.sort(key=lambda item: _sortable(item.get(field)), reverse=descending)

    number = query.get("page", 1)
    per_page = min(query.get("per_page", DEFAULT_PER_PAGE), limit)
    if number < 1 or per_page < 1:
        name = "page" if number < 1 else "per_page"
        raise invalid_input({name: ["must be at least 1"]})
    last_page = max(1, math.ceil(len(kept) / per_page))
    start = (number - 1) * per_page
    pagination = {
        "page": number,
        "per_page": per_page,
        "previous_page": number - 1 if number > 1 else None,
        "next_page": number + 1 if number < last_page else None,
        "last_page": last_page,
        "total_entries": len(kept),
    }
    return {
        key: kept[start : start + per_page],
        "meta": {"pagination": pagination},
    }


def _kept(item: Body, query: dict[str, Any]) -> bool:
    for name, wanted in query.items():
        if name not in NOT_FILTERS:
            value = item.get(name)
            allowed = wanted if isinstance(wanted, list) else [wanted]
            if value not in allowed and str(value) not in map(str, allowed):
                return False
    return True


def _sort_keys(values: list[str]) -> list[tuple[str, bool]]:
    keys = []
    for value in values:
        field, _, direction = value.partition(":")
        keys.append((field, direction == "desc"))
    return keys or [("id", False)]


def _sortable(value: Any) -> tuple[bool, Any]:
    # None (an unfinished action) sorts first, as it cannot be compared.
    return (value is not None, value if value is not None else 0)


def label_problems(labels: Labels) -> list[str]:
    """What is wrong with `labels` under the API's rules; empty when nothing."""
    problems = []
    for key, value in labels.items():
        prefix, _, name = key.rpartition("/")
        if prefix and f"{prefix}/".startswith(RESERVED_LABEL_PREFIX):
            problems.append(f"key {key!r} uses the reserved prefix hetzner.cloud/")
        elif prefix and (len(prefix) > 253 or not _DNS_PREFIX.fullmatch(prefix)):
            problems.append(f"key {key!r} has a prefix that is not a DNS subdomain")
        elif not _LABEL_NAME.fullmatch(name):
            problems.append(f"key {key!r} is not a valid label name")
        if value and not _LABEL_NAME.fullmatch(value):
            problems.append(f"value {value!r} of {key!r} is not a valid label value")
    return problems


def check_labels(body: Body) -> None:
    """Refuse the `labels` of a request body when they break the API's rules."""
    problems = label_problems(body.get("labels") or {})
    if problems:
        raise invalid_input({"labels": problems})


_REQUIREMENT = re.compile(
    r"\s*(?:!\s*(?P<absent>[^\s!=,()]+)"
    r"|(?P<key>[^\s!=,()]+)\s*(?:(?P<op>==|=|!=)\s*(?P<value>[^\s!=,()]*)"
    r"|\s+(?P<set_op>in|notin)\s*\((?P<values>[^()]*)\))?)\s*"
)


def label_selector(text: str) -> Selector:
    """A test of labels for a selector such as `env=prod,tier in (web,api),!gpu`.

    Raises `invalid_input` on `label_selector` when the text is not a selector.
    """
    tests: list[Selector] = []
    for part in _split_requirements(text) if text.strip() else []:
        found = _REQUIREMENT.fullmatch(part)
        if found is None or not part.strip():
            message = f"{part.strip()!r} is not a label selector requirement"
            raise invalid_input({"label_selector": [message]})
        tests.append(_requirement(found))
    return lambda labels: all(test(labels) for test in tests)


def _split_requirements(text: str) -> list[str]:
    """`text` cut at the commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _requirement(found: re.Match[str]) -> Selector:
    if found["absent"]:
        return lambda labels: found["absent"] not in labels
    key = found["key"]
    if found["op"]:
        wanted, equal = found["value"], found["op"] != "!="
        return lambda labels: (labels.get(key) == wanted) == equal
    if found["set_op"]:
        values = {value.strip() for value in found["values"].split(",")}
        inside = found["set_op"] == "in"
        return lambda labels: (key in labels and labels[key] in values) == inside
    return lambda labels: key in labels
