"""BunnyClient against the fake bunny.net API: exact calls out, parsed answers back."""

import logging
import random
import socket
from collections.abc import Iterator

import pytest
import requests

from components.bunny.client import BunnyApiError, BunnyClient, BunnyNotFoundError
from components.errors import SouverainError
from tests.fakes.bunny_api import ACCESS_KEY, FakeBunnyApi, RecordedRequest

EMPTY_PAGE = {"Items": [], "CurrentPage": 1, "TotalItems": 0, "HasMoreItems": False}
TROUBLE_FIX = (
    "run `pulumi up` again, and if it fails the same way check https://status.bunny.net"
)


@pytest.fixture
def api() -> Iterator[FakeBunnyApi]:
    """An empty fake account."""
    with FakeBunnyApi() as fake:
        yield fake


@pytest.fixture
def waits() -> list[float]:
    """The waits between attempts, which the clients below note instead of sleeping."""
    return []


def client_for(
    api: FakeBunnyApi, waits: list[float], access_key: str = ACCESS_KEY, **options
) -> BunnyClient:
    """A client of the fake that notes its waits in `waits` instead of sleeping."""
    client = BunnyClient(access_key, base_url=api.endpoint, timeout=5, **options)
    client.sleep = waits.append
    return client


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff jitter at its maximum, so that waits are exact."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)


def test_post_sends_the_key_and_json_body_and_returns_the_new_zone(api, waits):
    zone = client_for(api, waits).post("/dnszone", {"Domain": "acme.eu"})

    assert api.requests == [
        RecordedRequest("POST", "/dnszone", json={"Domain": "acme.eu"})
    ]
    headers = api.requests[0].headers
    assert (headers["AccessKey"], headers["Content-Type"], headers["Accept"]) == (
        ACCESS_KEY,
        "application/json",
        "application/json",
    )
    assert (zone["Id"], zone["Domain"], zone["Records"]) == (1001, "acme.eu", [])


def test_get_sends_query_parameters_with_booleans_as_the_api_writes_them(api, waits):
    listed = client_for(api, waits).get(
        "/pullzone", {"page": 1, "includeCertificate": False}
    )

    assert api.requests == [
        RecordedRequest(
            "GET", "/pullzone", query={"page": ["1"], "includeCertificate": ["false"]}
        )
    ]
    assert listed == EMPTY_PAGE


def test_a_record_is_added_updated_and_deleted(api, waits):
    client = client_for(api, waits)
    zone = client.post("/dnszone", {"Domain": "acme.eu"})
    record = {"Type": 0, "Name": "www", "Value": "203.0.113.10", "Ttl": 300}

    added = client.put(f"/dnszone/{zone['Id']}/records", record)
    updated = client.post(f"/dnszone/1001/records/{added['Id']}", {"Ttl": 60})
    deleted = client.delete(f"/dnszone/1001/records/{added['Id']}")

    assert api.requests[1:] == [
        RecordedRequest("PUT", "/dnszone/1001/records", json=record),
        RecordedRequest("POST", "/dnszone/1001/records/5001", json={"Ttl": 60}),
        RecordedRequest("DELETE", "/dnszone/1001/records/5001"),
    ]
    assert (added["Id"], added["Value"], updated, deleted) == (
        5001,
        "203.0.113.10",
        None,
        None,
    )
    assert api.dns_zones[1001]["Records"] == []


def test_delete_sends_a_json_body_where_the_operation_takes_one(api, waits):
    client = client_for(api, waits)
    client.post("/pullzone", {"Name": "acme"})
    client.post("/pullzone/2001/addHostname", {"Hostname": "cdn.acme.eu"})

    client.delete("/pullzone/2001/removeHostname", body={"Hostname": "cdn.acme.eu"})

    assert api.requests[-1] == RecordedRequest(
        "DELETE", "/pullzone/2001/removeHostname", json={"Hostname": "cdn.acme.eu"}
    )
    assert [h["Value"] for h in api.pull_zones[2001]["Hostnames"]] == ["acme.b-cdn.net"]


def test_an_empty_answer_is_none(api, waits):
    client = client_for(api, waits)
    client.post("/pullzone", {"Name": "acme"})

    loaded = client.get("/pullzone/loadFreeCertificate", {"hostname": "acme.b-cdn.net"})

    assert loaded is None
    assert api.requests[-1] == RecordedRequest(
        "GET", "/pullzone/loadFreeCertificate", query={"hostname": ["acme.b-cdn.net"]}
    )


def test_a_429_is_retried_once_retry_after_has_passed(api, caplog):
    api.fail(429, headers={"Retry-After": "1"})
    client = BunnyClient(ACCESS_KEY, base_url=api.endpoint, timeout=5)

    with caplog.at_level(logging.WARNING, logger="components.bunny.client"):
        listed = client.get("/dnszone")

    assert listed == EMPTY_PAGE
    assert api.requests == [RecordedRequest("GET", "/dnszone")] * 2
    assert api.requests[1].received_at - api.requests[0].received_at >= 1.0
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "GET /dnszone: bunny.net answered 429; attempt 2 of 5 in 1.0 s")
    ]


def test_retry_after_replaces_the_backoff(api, waits):
    api.fail(429, headers={"Retry-After": "7"}, times=2)

    assert client_for(api, waits).get("/dnszone") == EMPTY_PAGE
    assert waits == [7.0, 7.0]
    assert len(api.requests) == 3


def test_a_retry_after_of_an_hour_waits_a_minute(api, waits):
    api.fail(429, headers={"Retry-After": "3600"})

    client_for(api, waits).get("/dnszone")

    assert waits == [60.0]


def test_a_500_is_retried_with_growing_waits_then_succeeds(api, waits, no_jitter):
    api.fail(500, times=2)

    zones = client_for(api, waits).get("/dnszone")

    assert zones["Items"] == []
    assert waits == [2.0, 3.0]
    assert api.requests == [RecordedRequest("GET", "/dnszone")] * 3


def test_a_500_to_a_create_is_not_sent_again(api, waits):
    # A gateway's 500 may come after bunny.net created the zone: a second POST would
    # then fail on the taken name, or create a second record for a PUT.
    api.fail(500)

    with pytest.raises(BunnyApiError) as raised:
        client_for(api, waits).post("/dnszone", {"Domain": "acme.eu"})

    assert raised.value.status == 500
    assert waits == []
    assert api.requests == [
        RecordedRequest("POST", "/dnszone", json={"Domain": "acme.eu"})
    ]


def test_a_500_on_every_attempt_is_an_error_after_the_last(api, waits, no_jitter):
    api.fail(500, times=3)

    with pytest.raises(BunnyApiError) as raised:
        client_for(api, waits, max_attempts=3).get("/dnszone")

    assert str(raised.value) == (
        "bunny.net failed GET /dnszone (500) after 3 attempts: Internal Server "
        f"Error; {TROUBLE_FIX}"
    )
    err = raised.value
    assert (err.status, err.error_key, err.field, err.message) == (
        500,
        None,
        None,
        "Internal Server Error",
    )
    assert waits == [2.0, 3.0]
    assert len(api.requests) == 3


def test_a_429_on_every_attempt_says_to_wait(api, waits):
    api.fail(429, times=2)

    with pytest.raises(BunnyApiError) as raised:
        client_for(api, waits, max_attempts=2).get("/dnszone")

    assert str(raised.value) == (
        "bunny.net refused GET /dnszone (429) after 2 attempts: Too Many Requests; "
        "bunny.net is limiting this account's requests: wait a minute, then run "
        "`pulumi up` again"
    )


def test_a_400_carries_bunny_error_key_field_and_message(api, waits):
    with pytest.raises(BunnyApiError) as raised:
        client_for(api, waits).post("/dnszone", {"Domain": 42})

    assert str(raised.value) == (
        "bunny.net refused POST /dnszone (400 validation_error, field Domain): 42 is "
        "not of type 'string'"
    )
    err = raised.value
    assert (err.status, err.error_key, err.field, err.message) == (
        400,
        "validation_error",
        "Domain",
        "42 is not of type 'string'",
    )
    assert len(api.requests) == 1
    assert waits == []


def test_a_refused_key_is_explained_and_never_shown(api, waits, caplog):
    secret = "secret-key-0123456789"
    # One retry first, so that there is a log line to search for the key.
    api.fail(503)
    client = client_for(api, waits, access_key=secret)

    with caplog.at_level(logging.DEBUG), pytest.raises(BunnyApiError) as raised:
        client.get("/dnszone")

    assert str(raised.value) == (
        "bunny.net refused GET /dnszone (401 unauthorized): The request authorization "
        "failed; check souverain:bunnyAccessKey: bunny.net dashboard > Account "
        "settings > API key, then `pulumi config set --secret souverain:bunnyAccessKey "
        "<key>`"
    )
    assert raised.value.status == 401
    assert api.requests[-1].access_key == secret
    shown = [str(raised.value), repr(raised.value), repr(client), caplog.text]
    assert [text for text in shown if secret in text] == []


def test_a_missing_object_is_not_found(api, waits):
    with pytest.raises(BunnyNotFoundError) as raised:
        client_for(api, waits).get("/dnszone/999")

    assert str(raised.value) == (
        "bunny.net refused GET /dnszone/999 (404 dnszone.not_found, field id): The "
        "DNS Zone with the requested ID does not exist."
    )
    assert raised.value.status == 404


def test_an_unreachable_api_is_retried_then_explained(waits, no_jitter):
    # A port that was free a moment ago: nothing listens there.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = BunnyClient(ACCESS_KEY, base_url=f"http://127.0.0.1:{port}", timeout=5)
    client.sleep = waits.append

    with pytest.raises(BunnyApiError) as raised:
        client.get("/dnszone")

    assert str(raised.value) == (
        f"got no answer from bunny.net at http://127.0.0.1:{port} for GET /dnszone "
        "(ConnectionError) after 5 attempts: check the network connection, then run "
        "`pulumi up` again"
    )
    assert raised.value.status == 0
    assert waits == [2.0, 3.0, 5.0, 9.0]


def test_a_success_that_is_not_json_is_an_error(api, waits):
    api.fail(200, headers={"Content-Type": "text/html"}, body=b"<html>hello</html>")

    with pytest.raises(BunnyApiError) as raised:
        client_for(api, waits).get("/dnszone")

    assert str(raised.value) == (
        "bunny.net answered GET /dnszone (200) with a body that is not JSON: "
        f"'<html>hello</html>'; {TROUBLE_FIX}"
    )


def test_every_request_carries_the_timeout(api, waits, monkeypatch):
    timeouts = []
    send = requests.Session.request

    def spy(self, method, url, **kwargs):
        timeouts.append(kwargs.get("timeout"))
        return send(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    client = client_for(api, waits)

    client.post("/dnszone", {"Domain": "acme.eu"})
    api.fail(500)
    client.get("/dnszone/1001")  # sent twice: the retry carries the timeout too
    client.delete("/dnszone/1001")

    assert timeouts == [5, 5, 5, 5]


def test_a_path_without_its_leading_slash_is_refused(api, waits):
    with pytest.raises(ValueError) as raised:
        client_for(api, waits).get("dnszone")

    assert str(raised.value) == "an API path starts with '/', as in /dnszone: 'dnszone'"
    assert api.requests == []


def test_an_empty_access_key_is_refused_before_any_request():
    with pytest.raises(SouverainError) as raised:
        BunnyClient("")

    assert str(raised.value) == (
        "the bunny.net access key is empty: check souverain:bunnyAccessKey: bunny.net "
        "dashboard > Account settings > API key, then `pulumi config set --secret "
        "souverain:bunnyAccessKey <key>`"
    )
