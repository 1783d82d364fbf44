"""The storage zone provider against the fake bunny.net API over HTTP."""

from collections.abc import Iterator

import pytest

from components.bunny.client import BunnyClient
from components.bunny.storage_zone import StorageZoneProvider, normalized
from tests.fakes.bunny_api import FakeBunnyApi, RecordedRequest

zones = StorageZoneProvider()


@pytest.fixture
def api() -> Iterator[FakeBunnyApi]:
    with FakeBunnyApi() as fake:
        yield fake


def inputs(api: FakeBunnyApi, **overrides) -> dict:
    return {
        "name": "acme-files",
        "region": "DE",
        "replication_regions": [],
        "zone_tier": 0,
        "access_key": "fake-bunny-access-key",
        "api_url": api.endpoint,
        **overrides,
    }


def make_zone(api: FakeBunnyApi, **overrides) -> tuple[str, dict]:
    checked = zones.check({}, inputs(api, **overrides))
    assert checked.failures == []
    created = zones.create(checked.inputs)
    return created.id, created.outs


def reasons(api: FakeBunnyApi, **overrides) -> list[tuple[str, str]]:
    failures = zones.check({}, inputs(api, **overrides)).failures
    return [(f.property, f.reason) for f in failures]


def test_create_sends_name_region_replicas_and_tier(api):
    zone_id, outs = make_zone(api, replication_regions=["SE"], zone_tier=1.0)

    assert api.requests == [
        RecordedRequest(
            "POST",
            "/storagezone",
            json={
                "Name": "acme-files",
                "Region": "DE",
                "ReplicationRegions": ["SE"],
                "ZoneTier": 1,
            },
        )
    ]
    assert zone_id == "3001"
    assert {key: outs[key] for key in normalized(outs)} == {
        "name": "acme-files",
        "region": "DE",
        "replication_regions": ["SE"],
        "zone_tier": 1,
    }
    assert (outs["storage_zone_id"], outs["storage_hostname"]) == (
        3001,
        "storage.bunnycdn.com",
    )


def test_read_gives_the_hostname_bunny_answers(api):
    zone_id, outs = make_zone(api, region="SE")

    read = zones.read(zone_id, outs)

    assert (read.id, read.outs["storage_hostname"]) == (
        "3001",
        "se.storage.bunnycdn.com",
    )


def test_deleting_keeps_the_pull_zones_pulumi_manages_itself(api):
    zone_id, outs = make_zone(api)
    zones.delete(zone_id, outs)

    assert api.requests[-1] == RecordedRequest(
        "DELETE", "/storagezone/3001", {"deleteLinkedPullZones": ["false"]}
    )
    assert zones.read(zone_id, outs).id == ""
    zones.delete(zone_id, outs)  # a second delete finds nothing and is fine


def test_a_zone_marked_deleted_reads_as_gone(api):
    zone_id, outs = make_zone(api)
    api.storage_zones[3001]["Deleted"] = True

    assert zones.read(zone_id, outs).id == ""


def test_a_second_apply_shows_no_change(api):
    zone_id, outs = make_zone(api, replication_regions=["SE"])

    refreshed = zones.read(zone_id, outs).outs
    again = zones.check(refreshed, inputs(api, replication_regions=["SE"])).inputs

    assert zones.diff(zone_id, refreshed, again).changes is False


def test_a_replica_added_by_hand_is_seen_and_needs_a_new_zone(api):
    zone_id, outs = make_zone(api)
    api.storage_zones[3001]["ReplicationRegions"].append("SE")

    drifted = zones.read(zone_id, outs).outs
    diff = zones.diff(zone_id, drifted, outs)

    assert drifted["replication_regions"] == ["SE"]
    assert (diff.changes, diff.replaces) == (True, ["replication_regions"])


def test_a_replica_dropped_by_hand_is_seen_and_added_back(api):
    zone_id, outs = make_zone(api, replication_regions=["SE"])
    api.storage_zones[3001]["ReplicationRegions"].clear()

    drifted = zones.read(zone_id, outs).outs
    diff = zones.diff(zone_id, drifted, outs)
    updated = zones.update(zone_id, drifted, outs).outs

    assert drifted["replication_regions"] == []
    assert (diff.changes, diff.replaces) == (True, [])
    assert api.requests[-2:] == [
        RecordedRequest("POST", "/storagezone/3001", json={"ReplicationZones": ["SE"]}),
        RecordedRequest("GET", "/storagezone/3001"),
    ]
    assert updated["replication_regions"] == ["SE"]
    assert api.storage_zones[3001]["ReplicationRegions"] == ["SE"]


def test_name_region_and_tier_changes_replace_the_zone(api):
    zone_id, outs = make_zone(api)

    for key, value in (("name", "acme-other"), ("region", "SE"), ("zone_tier", 1)):
        diff = zones.diff(zone_id, outs, {**outs, key: value})
        assert (diff.replaces, diff.delete_before_replace) == ([key], True), key


def test_adding_a_replica_updates_in_place(api):
    zone_id, outs = make_zone(api)

    diff = zones.diff(zone_id, outs, {**outs, "replication_regions": ["SE"]})
    updated = zones.update(zone_id, outs, {**outs, "replication_regions": ["SE"]})

    assert (diff.changes, diff.replaces) == (True, [])
    assert api.requests[-2].json == {"ReplicationZones": ["SE"]}
    assert updated.outs["replication_regions"] == ["SE"]


def test_a_server_error_is_retried_through_the_provider(api, monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr(BunnyClient, "sleep", staticmethod(waited.append))
    zone_id, outs = make_zone(api)
    api.fail(500)

    read = StorageZoneProvider().read(zone_id, outs)

    assert [r.method for r in api.requests[-2:]] == ["GET", "GET"]
    assert (read.id, len(waited)) == (zone_id, 1)


@pytest.mark.parametrize("region", ["UK", "NY", "LA", "SG", "SYD", "BR", "JH", "de"])
def test_a_main_region_outside_the_eu_is_refused(api, region):
    assert reasons(api, region=region) == [
        ("region", f"storage region '{region}' is outside the EU: use DE or SE")
    ]


def test_replicas_outside_the_eu_twice_or_on_the_main_region_are_refused(api):
    replicas = ["NY", "SE", "SE", "DE", "SG"]

    assert reasons(api, replication_regions=replicas) == [
        (
            "replication_regions",
            "storage region 'NY' is outside the EU: use DE or SE; replication region "
            "'SE' is listed twice; replication region 'DE' is the main region; "
            "storage region 'SG' is outside the EU: use DE or SE",
        )
    ]


def test_check_names_each_bad_property(api):
    assert reasons(
        api, name="Acme Files", region=None, replication_regions="SE", zone_tier=2
    ) == [
        (
            "name",
            "storage zone name 'Acme Files' must be 3 to 60 lowercase letters, digits "
            "and dashes, starting and ending with a letter or digit",
        ),
        ("region", "a storage zone needs a region: use DE or SE"),
        ("replication_regions", "replication_regions is a list"),
        ("zone_tier", "zone_tier is 0 (standard) or 1 (edge), not 2"),
    ]
