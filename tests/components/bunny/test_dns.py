"""DNS zone and record providers against the fake bunny.net API, over HTTP."""

from collections.abc import Iterator

import pytest
from pulumi.output import Unknown

from components.bunny.client import BunnyApiError
from components.bunny.dns import DnsRecordProvider, DnsZoneProvider
from tests.fakes.bunny_api import ACCESS_KEY, FakeBunnyApi

zones, records = DnsZoneProvider(), DnsRecordProvider()


@pytest.fixture
def api() -> Iterator[FakeBunnyApi]:
    with FakeBunnyApi() as fake:
        yield fake


def connection(api: FakeBunnyApi) -> dict:
    return {"access_key": ACCESS_KEY, "api_url": api.endpoint}


def make_zone(api: FakeBunnyApi, domain: str = "acme.eu") -> dict:
    checked = zones.check({}, {"domain": domain, **connection(api)})
    assert checked.failures == []
    created = zones.create(checked.inputs)
    return {**created.outs, "id": created.id}


def make_record(api: FakeBunnyApi, zone_id: int, **record) -> tuple[str, dict]:
    checked = records.check({}, {**record, "zone_id": zone_id, **connection(api)})
    assert checked.failures == []
    created = records.create(checked.inputs)
    return created.id, created.outs


def test_zone_is_created_for_its_domain_and_read_back(api):
    zone = make_zone(api, "Acme.EU.")

    assert api.requests[0].method == "POST"
    assert api.requests[0].path == "/dnszone"
    assert api.requests[0].json == {"Domain": "acme.eu"}
    assert zone["domain"] == "acme.eu"
    assert zone["zone_id"] == int(zone["id"])
    read = zones.read(zone["id"], zone)
    assert read.id == zone["id"]
    assert read.outs["domain"] == "acme.eu"


def test_zone_deleted_out_of_band_reads_as_gone_and_deletes_quietly(api):
    zone = make_zone(api)
    del api.dns_zones[zone["zone_id"]]

    assert zones.read(zone["id"], zone).id == ""
    zones.delete(zone["id"], zone)  # no error: nothing left to delete


def test_zone_replaced_only_for_another_domain(api):
    zone = make_zone(api)

    assert zones.diff(zone["id"], zone, {**zone}).changes is False
    other = zones.diff(zone["id"], zone, {**zone, "domain": "acme.de"})
    assert (other.replaces, other.delete_before_replace) == (["domain"], True)


def test_record_is_added_with_bunnys_integer_type(api):
    zone = make_zone(api)

    record_id, outs = make_record(
        api, zone["zone_id"], type="MX", name="@", value="mx.acme.eu.", priority=10
    )

    put = api.requests[-1]
    assert (put.method, put.path) == ("PUT", f"/dnszone/{zone['zone_id']}/records")
    assert put.json == {
        "Type": 4,
        "Name": "",
        "Value": "mx.acme.eu",
        "Ttl": 300,
        "Priority": 10,
    }
    assert outs["record_id"] == int(record_id)
    assert (outs["type"], outs["name"], outs["value"]) == ("MX", "", "mx.acme.eu")


def test_a_second_apply_of_the_same_record_shows_no_change(api):
    zone = make_zone(api)
    inputs = {
        "type": "CNAME",
        "name": "www",
        "value": "Acme.b-cdn.net.",
        "zone_id": zone["zone_id"],
        **connection(api),
    }
    record_id, outs = make_record(api, **{**inputs, "zone_id": zone["zone_id"]})

    refreshed = records.read(record_id, outs).outs
    again = records.check(refreshed, inputs).inputs

    assert records.diff(record_id, refreshed, again).changes is False


def test_record_value_changed_out_of_band_is_seen_and_put_back(api):
    zone = make_zone(api)
    record_id, outs = make_record(
        api, zone["zone_id"], type="A", name="app", value="203.0.113.10"
    )
    for answer in api.dns_zones[zone["zone_id"]]["Records"]:
        if str(answer["Id"]) == record_id:
            answer["Value"] = "198.51.100.99"

    drifted = records.read(record_id, outs).outs
    assert drifted["value"] == "198.51.100.99"
    assert records.diff(record_id, drifted, outs).changes is True
    records.update(record_id, drifted, outs)

    post = api.requests[-1]
    assert (post.method, post.path) == (
        "POST",
        f"/dnszone/{zone['zone_id']}/records/{record_id}",
    )
    assert post.json["Value"] == "203.0.113.10"
    assert records.read(record_id, outs).outs["value"] == "203.0.113.10"


def test_record_type_change_replaces_and_value_change_updates(api):
    zone = make_zone(api)
    record_id, outs = make_record(
        api, zone["zone_id"], type="A", name="api", value="203.0.113.10"
    )

    retyped = records.diff(record_id, outs, {**outs, "type": "AAAA"})
    revalued = records.diff(record_id, outs, {**outs, "value": "203.0.113.11"})

    assert retyped.replaces == ["type"]
    assert revalued.changes is True and revalued.replaces == []


def test_record_deleted_out_of_band_reads_as_gone(api):
    zone = make_zone(api)
    record_id, outs = make_record(
        api, zone["zone_id"], type="TXT", name="@", value="v=spf1 -all"
    )
    records.delete(record_id, outs)

    assert records.read(record_id, outs).id == ""
    records.delete(record_id, outs)  # a second delete finds nothing and is fine


def test_throttling_is_retried_through_the_provider(api):
    zone = make_zone(api)
    api.fail(429, headers={"Retry-After": "1"})

    record_id, _ = make_record(
        api,
        zone["zone_id"],
        type="CAA",
        name="",
        value="letsencrypt.org",
        flags=0,
        tag="issue",
    )

    assert [r.method for r in api.requests[-2:]] == ["PUT", "PUT"]
    assert record_id


def test_a_wrong_key_is_a_clear_error_without_the_key(api):
    wrong = {"domain": "acme.eu", "access_key": "k-7f3a9c-old", "api_url": api.endpoint}
    with pytest.raises(BunnyApiError) as caught:
        zones.create(wrong)

    assert str(caught.value) == (
        "bunny.net refused POST /dnszone (401 unauthorized): The request "
        "authorization failed; check souverain:bunnyAccessKey: bunny.net dashboard > "
        "Account settings > API key, then `pulumi config set --secret "
        "souverain:bunnyAccessKey <key>`"
    )


def test_check_names_each_bad_record_property(api):
    failures = records.check(
        {}, {"type": "A", "value": "not-an-ip", "ttl": 1, **connection(api)}
    ).failures

    assert [(f.property, f.reason) for f in failures] == [
        ("value", "'not-an-ip' is not an IPv4 address for an A"),
        ("ttl", "ttl is a whole number of seconds from 15 to 86400"),
        ("zone_id", "a record needs its zone's id"),
    ]


def test_apex_points_at_a_pull_zone_through_bunnys_pullzone_record(api):
    zone = make_zone(api)

    record_id, outs = make_record(
        api,
        zone["zone_id"],
        type="PULLZONE",
        name="@",
        value="acme-site.b-cdn.net",
        pull_zone_id=2001,
    )

    assert api.requests[-1].json == {
        "Type": 7,
        "Name": "",
        "Value": "acme-site.b-cdn.net",
        "Ttl": 300,
        "PullZoneId": 2001,
    }
    assert records.read(record_id, outs).outs["pull_zone_id"] == 2001


def test_a_preview_with_values_not_known_yet_passes_check_and_counts_as_a_change(api):
    # A new stack's preview: the load balancer's address does not exist yet.
    pending = {
        "type": "A",
        "name": "app",
        "value": Unknown(),
        "zone_id": 1001,
        **connection(api),
    }

    checked = records.check({}, pending)
    diff = records.diff("5001", {**pending, "value": "203.0.113.10"}, pending)

    assert checked.failures == []
    assert isinstance(checked.inputs["value"], Unknown)
    assert (diff.changes, diff.replaces) == (True, [])


def test_numbers_arrive_as_floats_from_the_engine_and_are_accepted(api):
    # Pulumi's wire format carries every number as a double; the real engine sent
    # /dnszone/1001.0/records until tests/e2e caught it.
    zone_id = float(make_zone(api)["zone_id"])
    checked = records.check(
        {},
        {
            "type": "TXT",
            "name": "@",
            "value": "v=spf1 -all",
            "ttl": 3600.0,
            "zone_id": zone_id,
            **connection(api),
        },
    )
    assert checked.failures == []
    assert checked.inputs["ttl"] == 3600

    created = records.create(checked.inputs)
    read = records.read(created.id, {**checked.inputs, **created.outs})
    records.delete(created.id, read.outs)

    paths = [(r.method, r.path) for r in api.requests[1:]]
    assert paths == [
        ("PUT", "/dnszone/1001/records"),
        ("GET", "/dnszone/1001"),
        ("DELETE", f"/dnszone/1001/records/{created.id}"),
    ]


def test_update_keeps_the_record_id(api):
    zone = make_zone(api)
    record_id, outs = make_record(
        api, zone["zone_id"], type="A", name="app", value="203.0.113.10"
    )

    updated = records.update(record_id, outs, {**outs, "value": "203.0.113.11"}).outs

    assert updated["record_id"] == int(record_id)
    assert updated["value"] == "203.0.113.11"
