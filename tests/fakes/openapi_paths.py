"""Which operation of an OpenAPI document a request path names, for the fake APIs."""

import re
from typing import Any

# The keys of an OpenAPI path item that name operations (others are parameters etc.).
HTTP_METHODS = frozenset(
    {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
)


class PathIndex:
    """The path templates of one spec, matched against the paths requests use."""

    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        # Literal segments win over parameters: /servers/actions is not /servers/{id}.
        self._templates = [
            (template, _template_pattern(template))
            for template in sorted(spec["paths"], key=lambda t: (t.count("{"), t))
        ]

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The spec's template for `path` and the raw values of its parameters."""
        for template, pattern in self._templates:
            found = pattern.fullmatch(path)
            if found:
                return template, found.groupdict()
        return None

    def methods(self, template: str) -> set[str]:
        """The lowercase HTTP methods the spec has operations for on `template`."""
        return set(self.spec["paths"][template]) & HTTP_METHODS


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{([^}]+)\}", template)
    # re.split keeps the captured names at the odd positions.
    return re.compile(
        "".join(
            f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
            for index, part in enumerate(parts)
        )
    )
