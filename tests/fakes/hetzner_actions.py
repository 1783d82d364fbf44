"""The fake's actions endpoints: every action it starts has already succeeded.

hcloud-go polls GET /actions?id=… while an action runs (action_waiter.go) and
hcloud-python GET /actions/{id}; since every action the fake returns has finished,
clients see `success` at once and rarely poll at all. The per-resource endpoints
(GET /servers/actions, /servers/{id}/actions/{action_id}…) answer from the same
actions, filtered to their kind or resource.
"""

from collections.abc import Callable
from typing import Any

from tests.fakes.hetzner_contract import Body, Call, not_found
from tests.fakes.hetzner_listing import page
from tests.fakes.hetzner_state import KINDS, HetznerState

# The kinds whose actions the spec lists under /<kind>/actions.
KINDS_WITH_ACTIONS = (
    "servers",
    "networks",
    "firewalls",
    "load_balancers",
    "primary_ips",
)

Handler = Callable[[Call], tuple[int, Any]]


class ActionRoutes:
    """Handlers for GET /actions and the actions of each kind and resource."""

    def __init__(self, state: HetznerState):
        self.state = state

    def routes(self) -> dict[tuple[str, str], Handler]:
        """The handler of each operation served, by (path template, method)."""
        routes: dict[tuple[str, str], Handler] = {
            ("/actions", "get"): self._list(None, None),
            ("/actions/{id}", "get"): self._get(None, "id", None),
        }
        for kind in KINDS_WITH_ACTIONS:
            routes[(f"/{kind}/actions", "get")] = self._list(kind, None)
            routes[(f"/{kind}/actions/{{id}}", "get")] = self._get(kind, "id", None)
            routes[(f"/{kind}/{{id}}/actions", "get")] = self._list(kind, "id")
            routes[(f"/{kind}/{{id}}/actions/{{action_id}}", "get")] = self._get(
                kind, "action_id", "id"
            )
        return routes

    def _about(self, action: Body, kind: str | None, resource_id: int | None) -> bool:
        """True when `action` concerns the kind, and the resource when one is given."""
        if kind is None:
            return True
        return any(
            resource["type"] == KINDS[kind][0] and resource_id in (None, resource["id"])
            for resource in action["resources"]
        )

    def _list(self, kind: str | None, resource_key: str | None) -> Handler:
        def handler(call: Call) -> tuple[int, Body]:
            query = dict(call.params)
            resource_id = None
            if resource_key is not None:
                resource_id = query.pop(resource_key)
                self.state.find(kind, resource_id)
            actions = [
                action
                for action in self.state.actions.values()
                if self._about(action, kind, resource_id)
            ]
            return 200, page("actions", actions, query, self.state.max_per_page)

        return handler

    def _get(
        self, kind: str | None, action_key: str, resource_key: str | None
    ) -> Handler:
        def handler(call: Call) -> tuple[int, Body]:
            resource_id = None
            if resource_key is not None:
                resource_id = call.params[resource_key]
                self.state.find(kind, resource_id)
            action = self.state.actions.get(call.params[action_key])
            if action is None or not self._about(action, kind, resource_id):
                raise not_found("action", call.params[action_key])
            return 200, {"action": action}

        return handler
