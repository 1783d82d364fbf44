"""The pull zone provider against the fake bunny.net API over HTTP, and its normal
form."""

from collections.abc import Iterator

import pytest
from pulumi.output import Unknown

from components.bunny import pull_zone
from components.bunny.client import BunnyApiError, BunnyClient
from components.bunny.pull_zone import (
    PullZoneProvider,
    normalized_hostname,
    normalized_origin_url,
)
from tests.fakes.bunny_api import FakeBunnyApi, RecordedRequest
from tests.fakes.bunny_contract import error as bunny_error

zones = PullZoneProvider()
SETTINGS = {
    "OriginUrl": "https://origin.acme.eu",
    "OriginHostHeader": "",
    "CacheControlMaxAgeOverride": -1,
    "OptimizerEnabled": False,
    "ShieldDDosProtectionEnabled": True,
    "ShieldDDosProtectionType": 1,
    "AWSSigningEnabled": False,
}


@pytest.fixture
def api() -> Iterator[FakeBunnyApi]:
    with FakeBunnyApi() as fake:
        yield fake


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """The client's waits between attempts, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(BunnyClient, "sleep", staticmethod(waited.append))
    return waited


def inputs(api: FakeBunnyApi, **overrides) -> dict:
    return {
        "name": "acme-web",
        "origin_url": "https://origin.acme.eu/",
        "hostnames": ["CDN.acme.eu"],
        "access_key": "fake-bunny-access-key",
        "api_url": api.endpoint,
        **overrides,
    }


def make_zone(api: FakeBunnyApi, **overrides) -> tuple[str, dict]:
    checked = zones.check({}, inputs(api, **overrides))
    assert checked.failures == []
    created = zones.create(checked.inputs)
    return created.id, created.outs


def post(path: str, json: dict) -> RecordedRequest:
    return RecordedRequest("POST", path, json=json)


def test_create_adds_the_zone_then_hostnames_with_certificates_then_settings(api):
    zone_id, outs = make_zone(api)

    assert api.requests == [
        post("/pullzone", {"Name": "acme-web", "OriginUrl": "https://origin.acme.eu"}),
        post("/pullzone/2001/addHostname", {"Hostname": "cdn.acme.eu"}),
        RecordedRequest(
            "GET", "/pullzone/loadFreeCertificate", {"hostname": ["cdn.acme.eu"]}
        ),
        post(
            "/pullzone/2001/setForceSSL", {"Hostname": "cdn.acme.eu", "ForceSSL": True}
        ),
        post("/pullzone/2001", SETTINGS),
    ]
    assert zone_id == "2001"
    assert {key: outs[key] for key in ("pull_zone_id", "cdn_hostname")} == {
        "pull_zone_id": 2001,
        "cdn_hostname": "acme-web.b-cdn.net",
    }
    assert (outs["hostnames"], outs["certificates_pending"]) == (["cdn.acme.eu"], [])


def test_create_reads_the_cdn_hostname_from_the_answer(api):
    _, outs = make_zone(api, hostnames=[])
    api.pull_zones[2001]["Hostnames"][0]["Value"] = "acme-web-7.b-cdn.net"

    read = zones.read("2001", outs)

    assert read.outs["cdn_hostname"] == "acme-web-7.b-cdn.net"
    assert read.outs["hostnames"] == []


def test_read_gives_the_zone_as_bunny_has_it(api):
    zone_id, outs = make_zone(
        api, cache_max_age_seconds=3600, waf={"ddos_protection_type": 2}
    )

    read = zones.read(zone_id, outs)

    assert read.id == "2001"
    assert {key: read.outs[key] for key in pull_zone.MANAGED} == {
        "origin_url": "https://origin.acme.eu",
        "origin_host_header": None,
        "hostnames": ["cdn.acme.eu"],
        "force_ssl": True,
        "cache_max_age_seconds": 3600,
        "optimizer_enabled": False,
        "waf": {"ddos_protection_enabled": True, "ddos_protection_type": 2},
        "origin_signing": None,
    }


def test_zone_deleted_out_of_band_reads_as_gone_and_deletes_quietly(api):
    zone_id, outs = make_zone(api)
    zones.delete(zone_id, outs)

    assert api.requests[-1] == RecordedRequest("DELETE", "/pullzone/2001")
    assert api.pull_zones == {}
    assert zones.read(zone_id, outs).id == ""
    zones.delete(zone_id, outs)  # a second delete finds nothing and is fine


def test_a_second_apply_shows_no_change(api):
    zone_id, outs = make_zone(api, origin_host_header="Origin.Acme.EU")

    refreshed = zones.read(zone_id, outs).outs
    again = zones.check(refreshed, inputs(api, origin_host_header="Origin.Acme.EU"))

    assert zones.diff(zone_id, refreshed, again.inputs).changes is False


def test_values_bunny_rewrites_show_no_change(api):
    zone_id, outs = make_zone(api)
    zone = api.pull_zones[2001]
    zone["OriginUrl"] = "https://ORIGIN.acme.eu:443/"
    zone["Hostnames"][1]["Value"] = "Cdn.Acme.EU"

    refreshed = zones.read(zone_id, outs).outs
    again = zones.check(refreshed, inputs(api)).inputs

    assert zones.diff(zone_id, refreshed, again).changes is False


def test_changes_made_by_hand_are_seen_and_put_back(api):
    zone_id, outs = make_zone(api, hostnames=["cdn.acme.eu", "static.acme.eu"])
    zone = api.pull_zones[2001]
    zone |= {"OriginUrl": "http://evil.example", "CacheControlMaxAgeOverride": 60}
    zone["Hostnames"][1]["ForceSSL"] = False
    zone["Hostnames"].pop(2)  # static.acme.eu
    zone["Hostnames"].append({**zone["Hostnames"][1], "Value": "old.acme.eu"})
    api.requests.clear()

    drifted = zones.read(zone_id, outs).outs
    assert (drifted["origin_url"], drifted["cache_max_age_seconds"]) == (
        "http://evil.example",
        60,
    )
    assert (drifted["hostnames"], drifted["force_ssl"]) == (
        ["cdn.acme.eu", "old.acme.eu"],
        False,
    )
    assert zones.diff(zone_id, drifted, outs).changes is True
    zones.update(zone_id, drifted, outs)

    assert api.requests[1:] == [
        RecordedRequest("GET", "/pullzone/2001"),
        RecordedRequest(
            "DELETE", "/pullzone/2001/removeHostname", json={"Hostname": "old.acme.eu"}
        ),
        post(
            "/pullzone/2001/setForceSSL", {"Hostname": "cdn.acme.eu", "ForceSSL": True}
        ),
        post("/pullzone/2001/addHostname", {"Hostname": "static.acme.eu"}),
        RecordedRequest(
            "GET", "/pullzone/loadFreeCertificate", {"hostname": ["static.acme.eu"]}
        ),
        post(
            "/pullzone/2001/setForceSSL",
            {"Hostname": "static.acme.eu", "ForceSSL": True},
        ),
        post("/pullzone/2001", SETTINGS),
    ]
    restored = zones.read(zone_id, outs).outs
    assert zones.diff(zone_id, restored, outs).changes is False


def test_name_change_replaces_and_other_settings_update_in_place(api):
    zone_id, outs = make_zone(api)

    renamed = zones.diff(zone_id, outs, {**outs, "name": "acme-www"})
    tuned = zones.diff(zone_id, outs, {**outs, "optimizer_enabled": True})

    assert (renamed.replaces, renamed.delete_before_replace) == (["name"], True)
    assert (tuned.changes, tuned.replaces) == (True, [])
    assert zones.update(zone_id, outs, {**outs, "optimizer_enabled": True}).outs[
        "optimizer_enabled"
    ]
    assert api.requests[-1].json == {**SETTINGS, "OptimizerEnabled": True}


def test_a_hostname_without_a_certificate_is_asked_for_again(api):
    zone_id, outs = make_zone(api)
    api.pull_zones[2001]["Hostnames"][1]["HasCertificate"] = False

    pending = zones.read(zone_id, outs).outs
    assert pending["certificates_pending"] == ["cdn.acme.eu"]
    assert zones.diff(zone_id, pending, outs).changes is True
    updated = zones.update(zone_id, pending, outs).outs

    assert api.requests[-2] == RecordedRequest(
        "GET", "/pullzone/loadFreeCertificate", {"hostname": ["cdn.acme.eu"]}
    )
    assert updated["certificates_pending"] == []


def test_a_certificate_refused_before_dns_points_here_only_warns(api, capsys):
    api.fail(400, body=bunny_error("pullzone.dns_not_ready", None, "DNS not ready"))

    with BunnyClient("fake-bunny-access-key", base_url=api.endpoint) as client:
        pull_zone._load_certificate(
            client, "cdn.acme.eu", {"CnameDomain": "acme-web.b-cdn.net"}
        )

    assert capsys.readouterr().err == (
        "warning: no certificate yet for cdn.acme.eu (DNS not ready): point its "
        "CNAME at acme-web.b-cdn.net, then run `pulumi up` again\n"
    )


def test_a_certificate_for_an_unknown_hostname_is_an_error(api):
    with BunnyClient("fake-bunny-access-key", base_url=api.endpoint) as client:
        with pytest.raises(BunnyApiError) as caught:
            pull_zone._load_certificate(client, "cdn.acme.eu", {})

    assert caught.value.status == 404


def test_check_refuses_hostnames_that_are_not_a_list(api):
    failures = zones.check({}, inputs(api, hostnames="cdn.acme.eu")).failures

    assert [(f.property, f.reason) for f in failures] == [
        ("hostnames", "hostnames is a list of DNS names")
    ]


def test_a_failed_create_takes_the_half_made_zone_down(api):
    make_zone(api)

    with pytest.raises(BunnyApiError) as caught:
        make_zone(api, name="acme-other")

    assert caught.value.error_key == "pullzone.hostname_taken"
    assert api.requests[-1] == RecordedRequest("DELETE", "/pullzone/2002")
    assert list(api.pull_zones) == [2001]


def test_a_server_error_is_retried_through_the_provider(api, sleeps):
    zone_id, outs = make_zone(api, hostnames=[])
    api.fail(500)

    read = zones.read(zone_id, outs)

    assert [r.path for r in api.requests[-2:]] == [f"/pullzone/{zone_id}"] * 2
    assert (read.id, len(sleeps)) == (zone_id, 1)


def test_check_names_each_bad_property(api):
    failures = zones.check(
        {},
        inputs(
            api,
            name="Acme_Web",
            origin_url="ftp://origin.acme.eu",
            hostnames=["cdn.acme.eu", "CDN.acme.eu.", "bad..name", "acme.b-cdn.net"],
            force_ssl="yes",
            optimizer_enabled=None,
            cache_max_age_seconds=-5,
            waf={"ddos_protection_type": 3},
        ),
    ).failures

    assert [(f.property, f.reason) for f in failures] == [
        (
            "name",
            "pull zone name 'Acme_Web' must be 3 to 60 lowercase letters, digits and "
            "dashes, starting and ending with a letter or digit",
        ),
        (
            "origin_url",
            "origin_url 'ftp://origin.acme.eu' must be an http:// or https:// URL "
            "with a host, as in https://app.acme.eu",
        ),
        (
            "hostnames",
            "'cdn.acme.eu' is listed twice; 'bad..name' is not a valid DNS hostname; "
            "'acme.b-cdn.net' is bunny.net's own: the pull zone answers on "
            "<name>.b-cdn.net by itself, list only your own domains",
        ),
        ("force_ssl", "force_ssl is true or false"),
        ("optimizer_enabled", "optimizer_enabled is true or false"),
        (
            "cache_max_age_seconds",
            "cache_max_age_seconds is -1 (follow the origin) or a whole number of "
            "seconds from 0",
        ),
        (
            "waf",
            "waf takes ddos_protection_enabled (true or false) and "
            "ddos_protection_type (0 detect only, 1 active standard, 2 active "
            "aggressive)",
        ),
    ]


@pytest.mark.parametrize(
    ("name", "origin_url", "hostname"),
    [
        ("ab", "https://", "localhost"),
        ("-acme", "origin.acme.eu", "acme.123"),
        ("a" * 61, None, "x" * 64 + ".acme.eu"),
    ],
)
def test_check_refuses_short_names_hostless_urls_and_odd_hostnames(
    api, name, origin_url, hostname
):
    failures = zones.check(
        {}, inputs(api, name=name, origin_url=origin_url, hostnames=[hostname])
    ).failures

    assert [(f.property, f.reason) for f in failures] == [
        (
            "name",
            f"pull zone name '{name}' must be 3 to 60 lowercase letters, digits and "
            "dashes, starting and ending with a letter or digit",
        ),
        (
            "origin_url",
            f"origin_url '{origin_url}' must be an http:// or https:// URL with a "
            "host, as in https://app.acme.eu",
        ),
        ("hostnames", f"'{hostname}' is not a valid DNS hostname"),
    ]


def test_check_takes_whole_numbers_pulumi_sends_as_floats(api):
    checked = zones.check({}, inputs(api, cache_max_age_seconds=3600.0))

    assert checked.failures == []
    assert checked.inputs["cache_max_age_seconds"] == 3600


@pytest.mark.parametrize(
    ("written", "compared"),
    [
        ("https://origin.acme.eu", "https://origin.acme.eu"),
        ("https://origin.acme.eu/", "https://origin.acme.eu"),
        ("https://origin.acme.eu:443", "https://origin.acme.eu"),
        ("HTTPS://Origin.Acme.EU:443/", "https://origin.acme.eu"),
        ("http://origin.acme.eu:80/", "http://origin.acme.eu"),
        ("http://origin.acme.eu:443", "http://origin.acme.eu:443"),
        ("https://origin.acme.eu:8443/app/", "https://origin.acme.eu:8443/app"),
        ("https://origin.acme.eu/?v=2", "https://origin.acme.eu?v=2"),
        ("http://[2001:db8::1]:80/", "http://[2001:db8::1]"),
    ],
)
def test_origin_url_normal_form(written, compared):
    assert normalized_origin_url(written) == compared


@pytest.mark.parametrize(
    ("written", "compared"),
    [
        ("cdn.acme.eu", "cdn.acme.eu"),
        ("CDN.Acme.EU.", "cdn.acme.eu"),
        (" a.eu ", "a.eu"),
    ],
)
def test_hostname_normal_form(written, compared):
    assert normalized_hostname(written) == compared


def test_normal_form_fills_defaults_and_ignores_hostname_order():
    written = {
        "origin_url": "https://origin.acme.eu/",
        "hostnames": ["static.acme.eu", "CDN.acme.eu"],
        "origin_host_header": "",
        "waf": {"ddos_protection_type": 2.0},
    }

    assert pull_zone.normalized(written) == {
        "origin_url": "https://origin.acme.eu",
        "origin_host_header": None,
        "hostnames": ["cdn.acme.eu", "static.acme.eu"],
        "force_ssl": True,
        "cache_max_age_seconds": -1,
        "optimizer_enabled": False,
        "waf": {"ddos_protection_enabled": True, "ddos_protection_type": 2},
        "origin_signing": None,
    }


def test_a_preview_with_an_origin_not_known_yet_passes_check(api):
    pending = inputs(api, origin_url=Unknown())

    checked = zones.check({}, pending)
    diff = zones.diff(
        "2001", {**pending, "origin_url": "https://203.0.113.10"}, pending
    )

    assert checked.failures == []
    assert (diff.changes, diff.replaces) == (True, [])


def test_a_private_bucket_origin_is_signed_with_its_s3_keys(api):
    signing = {"access_key": "AKIAHETZNER", "secret_key": "s3-secret", "region": "fsn1"}
    zone_id, outs = make_zone(api, hostnames=[], origin_signing=signing)

    settings = api.requests[-1]
    assert (settings.method, settings.path) == ("POST", f"/pullzone/{zone_id}")
    assert {k: v for k, v in settings.json.items() if k.startswith("AWS")} == {
        "AWSSigningEnabled": True,
        "AWSSigningKey": "AKIAHETZNER",
        "AWSSigningSecret": "s3-secret",
        "AWSSigningRegionName": "fsn1",
    }
    assert outs["origin_signing"] == signing
    read = zones.read(zone_id, outs).outs
    assert zones.diff(zone_id, read, outs).changes is False
    rotated = {**outs, "origin_signing": {**signing, "secret_key": "new-secret"}}
    assert zones.diff(zone_id, read, rotated).changes is True
