"""Where `pulumi up` will stop: protected resources a change replaces or deletes.

Hetzner refuses to delete a resource whose `deleteProtection` is on, and souverain's
bucket provider refuses to delete a bucket that still holds objects unless its
`force_destroy` is on (docs/sovereignty.md). A replacement deletes the old resource
too, so either stops `pulumi up` there, half done. What counts is the protection of
the resource as deployed, the `before` side: a change that also switches it off
does not take effect before the old resource is deleted.
"""

from dataclasses import dataclass

from souverain.diff import DELETE, REPLACE, Diff, ResourceChange
from souverain.jurisdictions import kind_of, package_of
from souverain.plan import Plan

BUCKET = "s3:Bucket"


@dataclass(frozen=True)
class Stop:
    """A change `pulumi up` cannot carry out while a protection is on."""

    change: ResourceChange
    protection: str
    """The input that protects the resource, e.g. deleteProtection."""
    only_if_not_empty: bool = False
    """True for a bucket: it stops `pulumi up` only while it holds objects."""


def protected_stops(diff: Diff, before: Plan) -> list[Stop]:
    """The replacements and deletions of `diff` that a protection will refuse."""
    deployed = {resource.urn: resource for resource in before.resources}
    stops = []
    for change in diff.changes:
        resource = deployed.get(change.urn)
        if change.action not in (REPLACE, DELETE) or resource is None:
            continue
        package, kind = package_of(resource.type), kind_of(resource.type)
        if package == "hcloud" and resource.inputs.get("deleteProtection") is True:
            stops.append(Stop(change, "deleteProtection"))
        elif kind == BUCKET and resource.inputs.get("force_destroy") is not True:
            stops.append(Stop(change, "force_destroy", only_if_not_empty=True))
    return stops
