"""What clients send to the Cloud API beyond the words of its spec, and how the fake
takes it: each case names the client code that sends it, so it can be dropped once
the spec or the client changes."""

import copy
from typing import Any

# Body fields the spec types as a string although its own descriptions say "ID or
# name": hcloud-go sends the id as a JSON number (schema.IDOrName.MarshalJSON), and so
# does hcloud-python (`id_or_name`). `[]` marks a list of them.
ID_OR_NAME_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("/servers", "post"): ("server_type", "image", "location", "ssh_keys[]"),
    ("/servers/{id}/actions/change_type", "post"): ("server_type",),
    ("/load_balancers", "post"): ("load_balancer_type", "location"),
    ("/load_balancers/{id}/actions/change_type", "post"): ("load_balancer_type",),
}
# Fields a client echoes back from what it read: before deleting a firewall,
# terraform-provider-hcloud removes its `applied_to` as read (firewall/resource.go),
# and hcloud-go (SchemaFromFirewallResource) keeps the `applied_to_resources` of label
# selectors in it. The fake drops them.
ECHOED_FIELDS: dict[tuple[str, str], tuple[str, str]] = {
    ("/firewalls/{id}/actions/remove_from_resources", "post"): (
        "remove_from",
        "applied_to_resources",
    ),
}
# Query parameters the spec leaves out of an operation but clients send, taken from a
# sibling operation: hcloud-go waits for actions with GET /actions?id=…&sort=status&
# sort=id&page=1&per_page=50 (action_waiter.go, ActionListOpts).
BORROWED_QUERY_PARAMETERS = {("/actions", "get"): ("/servers/actions", "get")}


def relaxed(operation: tuple[str, str], body: Any) -> Any:
    """A copy of `body` as the spec would have it, for validation only."""
    if not isinstance(body, dict):
        return body
    checked = dict(body)
    for name in ID_OR_NAME_FIELDS.get(operation, ()):
        key = name.removesuffix("[]")
        value = checked.get(key)
        if name.endswith("[]") and isinstance(value, list):
            checked[key] = [_id_as_name(item) for item in value]
        elif key in checked:
            checked[key] = _id_as_name(value)
    if operation in ECHOED_FIELDS:
        checked = copy.deepcopy(checked)
        drop_echoed(operation, checked)
    return checked


def _id_as_name(value: Any) -> Any:
    is_id = isinstance(value, int) and not isinstance(value, bool)
    return str(value) if is_id else value


def drop_echoed(operation: tuple[str, str], body: Any) -> None:
    """Remove from `body` the fields clients echo back for this operation."""
    if operation not in ECHOED_FIELDS or not isinstance(body, dict):
        return
    key, echoed = ECHOED_FIELDS[operation]
    for item in body.get(key) or []:
        if isinstance(item, dict):
            item.pop(echoed, None)
