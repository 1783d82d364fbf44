"""The Hetzner volumes a stack's cluster will ask for, read from its planned claims.

Pulumi never declares these volumes: Hetzner's CSI driver creates one for each
persistent volume claim the cluster makes, and each CloudNativePG instance makes a
claim for its data (and one for its WAL when that is split off). They are billed all
the same, so the cost counts them from the claims in the plan.
"""

import math
import re
from dataclasses import dataclass
from typing import Any

from souverain.plan import Plan, PlannedResource

CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"
POSTGRES_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster"
HETZNER_STORAGE_CLASS = "hcloud-volumes"
"""The class `helm-values/hcloud-csi.yaml.j2` makes the default."""

SMALLEST_VOLUME_GB = 10
"""Hetzner makes no volume under 10 GB; the CSI driver rounds a smaller claim up."""

_QUANTITY = re.compile(r"^(\d+)(Ki|Mi|Gi|Ti)$")
_GIB_PER_UNIT = {"Ki": 1 / 1024**2, "Mi": 1 / 1024, "Gi": 1, "Ti": 1024}


@dataclass(frozen=True)
class VolumeClaim:
    """One volume the CSI driver will create: who asks for it and its billed size."""

    resource: str
    size_gb: int


def billed_gb(quantity: Any) -> int | None:
    """`20Gi` as the 20 GB Hetzner bills; None when `quantity` is not a known size.

    Hetzner sizes volumes in whole GB of 1024³ bytes, which is Kubernetes' Gi, so a
    claim is rounded up to whole GiB and to the smallest volume there is.
    """
    match = _QUANTITY.match(str(quantity))
    if match is None:
        return None
    gib = int(match.group(1)) * _GIB_PER_UNIT[match.group(2)]
    return max(SMALLEST_VOLUME_GB, math.ceil(gib))


def _spec(resource: PlannedResource) -> dict[str, Any]:
    spec = resource.inputs.get("spec")
    return spec if isinstance(spec, dict) else {}


def _claim_volume(resource: PlannedResource) -> list[VolumeClaim]:
    spec = _spec(resource)
    if spec.get("storageClassName", HETZNER_STORAGE_CLASS) != HETZNER_STORAGE_CLASS:
        return []
    size = billed_gb(spec.get("resources", {}).get("requests", {}).get("storage"))
    return [] if size is None else [VolumeClaim(resource.name, size)]


def _postgres_volumes(resource: PlannedResource) -> list[VolumeClaim]:
    """One data volume per instance, and one WAL volume per instance if split off."""
    spec = _spec(resource)
    instances = spec.get("instances", 1)
    instances = instances if isinstance(instances, int) else 1
    claims = []
    for part in ("storage", "walStorage"):
        settings = spec.get(part) or {}
        size = billed_gb(settings.get("size"))
        if size is not None:
            claims += [VolumeClaim(f"{resource.name} {part}", size)] * instances
    return claims


def volume_claims(plan: Plan) -> list[VolumeClaim]:
    """Every Hetzner volume the planned claims and Postgres clusters will create.

    A claim whose size is unknown until deployment is left out, since there is
    nothing honest to price it at.
    """
    claims = []
    for resource in plan.of_type(CLAIM):
        claims += _claim_volume(resource)
    for resource in plan.of_type(POSTGRES_CLUSTER):
        claims += _postgres_volumes(resource)
    return claims
