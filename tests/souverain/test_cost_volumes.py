"""The Hetzner volumes counted from a plan's claims and Postgres clusters."""

from typing import Any

import pytest

from souverain.cost_volumes import VolumeClaim, billed_gb, volume_claims
from souverain.plan import Plan, PlannedResource


def resource(kind: str, name: str, spec: dict[str, Any]) -> PlannedResource:
    return PlannedResource(
        urn=f"urn:pulumi:prod::acme::{kind}::{name}",
        type=kind,
        name=name,
        parent=None,
        custom=True,
        inputs={"spec": spec},
        dependencies=(),
    )


def claim(name: str, size: str, storage_class: str | None = None) -> PlannedResource:
    spec: dict[str, Any] = {"resources": {"requests": {"storage": size}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    return resource("kubernetes:core/v1:PersistentVolumeClaim", name, spec)


def postgres(name: str, spec: dict[str, Any]) -> PlannedResource:
    return resource("kubernetes:postgresql.cnpg.io/v1:Cluster", name, spec)


@pytest.mark.parametrize(
    ("quantity", "gb"),
    [("20Gi", 20), ("10Gi", 10), ("500Mi", 10), ("10241Mi", 11), ("1Ti", 1024)],
)
def test_a_claim_is_billed_in_whole_gib_from_10(quantity, gb):
    assert billed_gb(quantity) == gb


@pytest.mark.parametrize("quantity", ["20G", "20", "(known after apply)", None])
def test_sizes_without_a_binary_unit_are_not_guessed(quantity):
    assert billed_gb(quantity) is None


def test_each_postgres_instance_has_its_data_and_wal_volumes():
    plan = Plan(
        "acme",
        "prod",
        [
            postgres(
                "crm-db",
                {
                    "instances": 3,
                    "storage": {"size": "40Gi"},
                    "walStorage": {"size": "5Gi"},
                },
            ),
            claim("files", "15Gi"),
            claim("scratch", "50Gi", storage_class="local-path"),
        ],
    )

    assert volume_claims(plan) == [
        VolumeClaim("files", 15),
        *[VolumeClaim("crm-db storage", 40)] * 3,
        *[VolumeClaim("crm-db walStorage", 10)] * 3,
    ]
