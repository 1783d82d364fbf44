"""The fake bunny.net Core API keeps to the official spec, and says when it cannot."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fakes.bunny_api import ACCESS_KEY, NOW, FakeBunnyApi, RecordedRequest
from tests.fakes.bunny_contract import (
    UNDOCUMENTED_RESPONSES,
    load_contract,
    nullable_as_json_schema,
)
from tests.fakes.openapi_paths import HTTP_METHODS


@pytest.fixture
def api() -> Iterator[FakeBunnyApi]:
    """An empty fake account."""
    with FakeBunnyApi() as fake:
        yield fake


def call(
    api: FakeBunnyApi,
    method: str,
    path: str,
    body: Any = None,
    params: dict[str, Any] | None = None,
    access_key: str | None = ACCESS_KEY,
) -> tuple[int, Any]:
    """Send one request; return the status and the JSON body (None when empty)."""
    headers = {"AccessKey": access_key} if access_key is not None else {}
    response = requests.request(
        method,
        f"{api.endpoint}{path}",
        json=body,
        params=params,
        headers=headers,
        timeout=5,
    )
    return response.status_code, response.json() if response.content else None


def bunny_error(key: str, field: str | None, message: str) -> dict[str, Any]:
    return {"ErrorKey": key, "Field": field, "Message": message}


def test_a_zone_keeps_the_records_added_to_it(api):
    _, zone = call(api, "POST", "/dnszone", {"Domain": "acme.eu"})
    record = {"Type": 0, "Name": "www", "Value": "203.0.113.10", "Ttl": 300}
    status, added = call(api, "PUT", f"/dnszone/{zone['Id']}/records", record)

    assert (status, added["Id"], added["Type"], added["Name"]) == (201, 5001, 0, "www")
    status, listed = call(api, "GET", "/dnszone", params={"search": "acme"})
    assert status == 200
    assert listed["Items"][0]["Records"] == [added]
    assert {key: listed["Items"][0][key] for key in ("Id", "Domain")} == {
        "Id": 1001,
        "Domain": "acme.eu",
    }
    assert {key: listed[key] for key in ("CurrentPage", "TotalItems")} == {
        "CurrentPage": 1,
        "TotalItems": 1,
    }
    assert api.requests == [
        RecordedRequest("POST", "/dnszone", json={"Domain": "acme.eu"}),
        RecordedRequest("PUT", "/dnszone/1001/records", json=record),
        RecordedRequest("GET", "/dnszone", query={"search": ["acme"]}),
    ]


def test_a_new_zone_has_every_field_of_the_model_and_bunny_nameservers(api):
    status, zone = call(api, "POST", "/dnszone", {"Domain": "acme.eu"})

    assert status == 201
    assert zone == {
        "Id": 1001,
        "Domain": "acme.eu",
        "Records": [],
        "DateModified": NOW,
        "DateCreated": NOW,
        "NameserversDetected": False,
        "CustomNameserversEnabled": False,
        "Nameserver1": "kiki.bunny.net",
        "Nameserver2": "coco.bunny.net",
        "SoaEmail": None,
        "NameserversNextCheck": NOW,
        "LoggingEnabled": False,
        "LoggingIPAnonymizationEnabled": False,
        "LogAnonymizationType": None,
        "DnsSecEnabled": False,
        "CertificateKeyType": 0,
    }


def test_records_are_updated_and_deleted_in_their_zone(api):
    _, zone = call(api, "POST", "/dnszone", {"Domain": "acme.eu"})
    path = f"/dnszone/{zone['Id']}/records"
    _, record = call(api, "PUT", path, {"Type": 3, "Name": "", "Value": "v=spf1 -all"})

    status, body = call(api, "POST", f"{path}/{record['Id']}", {"Ttl": 60})
    assert (status, body) == (204, None)
    assert api.dns_zones[1001]["Records"][0]["Ttl"] == 60

    assert call(api, "DELETE", f"{path}/{record['Id']}") == (204, None)
    assert api.dns_zones[1001]["Records"] == []
    assert call(api, "DELETE", f"{path}/{record['Id']}") == (
        404,
        bunny_error(
            "dnsrecord.not_found",
            "id",
            "The DNS Zone or DNS Record with the requested ID does not exist.",
        ),
    )


def test_nullable_fields_take_null(api):
    # OpenAPI 3.0's `nullable` is not JSON Schema: without the conversion the
    # validator would refuse these nulls.
    _, zone = call(api, "POST", "/dnszone", {"Domain": "acme.eu", "Records": None})
    record = {"Type": 3, "Name": "_dmarc", "Value": "v=DMARC1", "Comment": None}

    status, added = call(api, "PUT", f"/dnszone/{zone['Id']}/records", record)

    assert (status, added["Comment"], added["Value"]) == (201, None, "v=DMARC1")


def test_a_path_the_spec_does_not_know_is_not_found(api):
    assert call(api, "GET", "/dnszones") == (
        404,
        bunny_error(
            "not_found", None, "/dnszones is not a path of the bunny.net Core API"
        ),
    )


def test_a_method_the_spec_does_not_allow_on_a_path_is_refused(api):
    assert call(api, "PUT", "/dnszone") == (
        405,
        bunny_error("method_not_allowed", None, "PUT is not allowed on /dnszone"),
    )


@pytest.mark.parametrize("access_key", [None, "someone-else"])
def test_a_request_without_the_right_access_key_is_unauthorized(api, access_key):
    status, body = call(
        api, "POST", "/dnszone", {"Domain": "acme.eu"}, access_key=access_key
    )

    assert (status, body) == (
        401,
        bunny_error("unauthorized", None, "The request authorization failed"),
    )
    assert api.dns_zones == {}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"Domain": 42}, "Domain", "42 is not of type 'string'"),
        ({}, "Domain", "'Domain' is a required property"),
        (
            {"Domain": "acme.eu", "Dnssec": True},
            "Dnssec",
            "Additional properties are not allowed ('Dnssec' was unexpected)",
        ),
        (
            {"Domain": "acme.eu", "Records": [{"Type": 16}]},
            "Records[0].Type",
            "16 is not one of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]",
        ),
    ],
)
def test_a_body_the_spec_does_not_allow_is_refused(api, body, field, message):
    status, answer = call(api, "POST", "/dnszone", body)

    assert (status, answer) == (400, bunny_error("validation_error", field, message))
    assert api.dns_zones == {}


def test_a_record_type_written_as_a_name_is_refused(api):
    # DnsRecordTypes is an integer enum: "A" is 0.
    _, zone = call(api, "POST", "/dnszone", {"Domain": "acme.eu"})

    status, body = call(api, "PUT", f"/dnszone/{zone['Id']}/records", {"Type": "A"})

    assert (status, body["ErrorKey"], body["Field"]) == (
        400,
        "validation_error",
        "Type",
    )


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"sort": "name"}, "sort", "sort is not a parameter of GET /dnszone"),
        ({"perPage": 2}, "perPage", "2 is less than the minimum of 5.0"),
        ({"page": "first"}, "page", "page must be an integer, not 'first'"),
    ],
)
def test_a_query_parameter_the_spec_does_not_allow_is_refused(
    api, params, field, message
):
    status, body = call(api, "GET", "/dnszone", params=params)

    assert (status, body) == (400, bunny_error("validation_error", field, message))


def test_a_body_on_an_operation_that_takes_none_is_refused(api):
    assert call(api, "GET", "/dnszone", {"Domain": "acme.eu"}) == (
        400,
        bunny_error("validation_error", None, "GET /dnszone takes no body"),
    )


def test_a_pull_zone_answers_on_its_b_cdn_net_hostname(api):
    body = {"Name": "acme", "OriginUrl": "https://origin.acme.eu", "Type": 0}

    status, zone = call(api, "POST", "/pullzone", body)

    assert status == 201
    assert (zone["Id"], zone["Name"], zone["OriginUrl"]) == (
        2001,
        "acme",
        "https://origin.acme.eu",
    )
    assert (zone["CnameDomain"], zone["Enabled"]) == ("acme.b-cdn.net", True)
    assert zone["Hostnames"] == [
        {
            "Id": 7001,
            "Value": "acme.b-cdn.net",
            "ForceSSL": False,
            "IsSystemHostname": True,
            "IsManagedHostname": False,
            "HasCertificate": True,
            "Certificate": None,
            "CertificateKey": None,
            "CertificateKeyType": 0,
            "CertificateProvisionType": 0,
        }
    ]


def test_a_setting_spelled_differently_by_the_add_model_lands_on_the_zone(api):
    # PullZoneAddModel says EnableWebpVary, PullZoneModel says EnableWebPVary.
    _, zone = call(api, "POST", "/pullzone", {"Name": "acme", "EnableWebpVary": True})

    assert zone["EnableWebPVary"] is True
    assert "EnableWebpVary" not in zone


def test_a_custom_hostname_gets_force_ssl_and_a_free_certificate(api):
    _, zone = call(api, "POST", "/pullzone", {"Name": "acme"})
    path = f"/pullzone/{zone['Id']}"
    hostname = {"Hostname": "cdn.acme.eu"}

    assert call(api, "POST", f"{path}/addHostname", hostname) == (204, None)
    assert call(api, "POST", f"{path}/addHostname", hostname) == (
        400,
        bunny_error(
            "pullzone.hostname_taken", "Hostname", "The hostname is already registered."
        ),
    )
    force_ssl = {"Hostname": "cdn.acme.eu", "ForceSSL": True}
    assert call(api, "POST", f"{path}/setForceSSL", force_ssl) == (204, None)
    certificate = {"hostname": "cdn.acme.eu"}
    assert call(api, "GET", "/pullzone/loadFreeCertificate", params=certificate) == (
        200,
        None,
    )

    _, zone = call(api, "GET", path)
    custom = zone["Hostnames"][1]
    assert (custom["Value"], custom["ForceSSL"], custom["HasCertificate"]) == (
        "cdn.acme.eu",
        True,
        True,
    )
    assert call(api, "DELETE", f"{path}/removeHostname", hostname) == (204, None)
    assert [h["Value"] for h in api.pull_zones[2001]["Hostnames"]] == ["acme.b-cdn.net"]


def test_a_free_certificate_for_an_unknown_hostname_is_not_found(api):
    assert call(
        api, "GET", "/pullzone/loadFreeCertificate", params={"hostname": "x.eu"}
    ) == (
        404,
        bunny_error(
            "pullzone.hostname_not_found",
            "hostname",
            "The hostname was not found in the account",
        ),
    )


def test_listing_pull_zones_without_a_page_is_refused(api):
    # Without `page` the API answers a bare list the spec does not document.
    assert call(api, "GET", "/pullzone") == (
        400,
        bunny_error(
            "fake.page_required",
            "page",
            "send page=1 or more: without it bunny.net answers a bare list",
        ),
    )
    assert call(api, "GET", "/pullzone", params={"page": 1}) == (
        200,
        {"Items": [], "CurrentPage": 1, "TotalItems": 0, "HasMoreItems": False},
    )


def test_a_storage_zone_lists_the_pull_zones_that_serve_it(api):
    storage = {"Name": "acme-assets", "Region": "SE", "ReplicationRegions": ["DE"]}
    status, zone = call(api, "POST", "/storagezone", storage)
    assert status == 201
    assert (zone["Id"], zone["StorageHostname"], zone["ReplicationRegions"]) == (
        3001,
        "se.storage.bunnycdn.com",
        ["DE"],
    )

    _, pull_zone = call(
        api, "POST", "/pullzone", {"Name": "acme", "StorageZoneId": 3001}
    )
    assert pull_zone["OriginType"] == 2
    _, zone = call(api, "GET", "/storagezone/3001")
    assert [linked["Id"] for linked in zone["PullZones"]] == [2001]

    assert call(api, "DELETE", "/storagezone/3001") == (204, None)
    assert api.pull_zones == {}
    listed = call(api, "GET", "/storagezone", params={"page": 1})
    assert listed == (
        200,
        {"Items": [], "CurrentPage": 1, "TotalItems": 0, "HasMoreItems": False},
    )
    _, deleted = call(
        api, "GET", "/storagezone", params={"page": 1, "includeDeleted": "true"}
    )
    assert [(z["Id"], z["Deleted"]) for z in deleted["Items"]] == [(3001, True)]


def test_queued_faults_are_answered_before_the_request_is_handled(api):
    api.fail(429, headers={"Retry-After": "1"})
    api.fail(500, body={"Message": "try later"})

    first = requests.get(
        f"{api.endpoint}/dnszone", headers={"AccessKey": ACCESS_KEY}, timeout=5
    )
    second = call(api, "GET", "/dnszone")
    third = call(api, "GET", "/dnszone")

    assert (first.status_code, first.headers["Retry-After"], first.content) == (
        429,
        "1",
        b"",
    )
    assert second == (500, {"Message": "try later"})
    assert third == (
        200,
        {"Items": [], "CurrentPage": 1, "TotalItems": 0, "HasMoreItems": False},
    )
    assert api.requests == [RecordedRequest("GET", "/dnszone")] * 3


def test_a_body_that_breaks_the_spec_is_caught_not_sent(api):
    _, zone = call(api, "POST", "/dnszone", {"Domain": "acme.eu"})
    api.dns_zones[zone["Id"]]["Domain"] = 42

    status, body = call(api, "GET", f"/dnszone/{zone['Id']}")

    violation = (
        "GET /dnszone/1001 -> 200: 42 is not of type 'string', 'null' (at $.Domain)"
    )
    assert (status, body) == (500, bunny_error("contract_violation", None, violation))
    assert api.contract_violations == [violation]
    api.contract_violations.clear()


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (
            204,
            {"Ok": True},
            "the spec gives 204 for POST /pullzone/{id}/setForceSSL no body",
        ),
        (
            200,
            None,
            "the spec gives no 200 response for POST /pullzone/{id}/setForceSSL",
        ),
        (
            404,
            {"Message": 404},
            "404 is not of type 'string', 'null' (at $.Message)",
        ),
    ],
)
def test_answers_the_spec_does_not_document_are_problems(status, body, problem):
    operation = ("/pullzone/{id}/setForceSSL", "post")

    assert load_contract().response_problem(operation, status, body) == problem


def test_an_operation_the_fake_lacks_says_where_to_add_it(api):
    assert call(api, "GET", "/country") == (
        501,
        bunny_error(
            "not_implemented",
            None,
            "the fake bunny.net API does not serve GET /country yet: add a route to "
            "tests/fakes/bunny_state.py",
        ),
    )


def test_stopping_after_a_violation_fails_the_test():
    fake = FakeBunnyApi().start()
    fake.contract_violations.append("GET /dnszone -> 200: made up")

    with pytest.raises(AssertionError) as raised:
        fake.__exit__(None, None, None)

    assert str(raised.value) == (
        "the fake bunny.net API sent bodies the official spec forbids: "
        "['GET /dnszone -> 200: made up']"
    )


def test_nullable_becomes_a_json_schema_type_union():
    assert nullable_as_json_schema(
        {
            "type": "object",
            "properties": {
                "Name": {"type": "string", "nullable": True},
                "Type": {"nullable": True, "oneOf": [{"$ref": "#/x"}]},
                "nullable": {"type": "boolean"},
            },
        }
    ) == {
        "type": "object",
        "properties": {
            "Name": {"type": ["string", "null"]},
            "Type": {"anyOf": [{"oneOf": [{"$ref": "#/x"}]}, {"type": "null"}]},
            "nullable": {"type": "boolean"},
        },
    }


def test_every_undocumented_response_is_still_missing_from_the_spec():
    # When bunny.net documents one of these answers, its entry must go: the spec's
    # own schema then applies.
    spec = load_contract().spec
    for (template, method, status), _ in UNDOCUMENTED_RESPONSES.items():
        assert method in set(spec["paths"][template]) & HTTP_METHODS
        response = spec["paths"][template][method]["responses"].get(str(status), {})
        assert "content" not in response, (template, method, status)


def test_a_missing_spec_skips_outside_ci_and_fails_in_ci(monkeypatch, tmp_path):
    missing = tmp_path / "core-api.openapi.json"
    message = (
        f"the bunny.net Core API OpenAPI spec is not at {missing}: download "
        "https://core-api-public-docs.b-cdn.net/docs/v3/public.json and point "
        "BUNNY_CORE_SPEC at it"
    )
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="^the bunny.net Core API"):
        load_contract(Path(missing))

    monkeypatch.setenv("CI", "true")
    with pytest.raises(FileNotFoundError) as raised:
        load_contract(Path(missing))
    assert str(raised.value) == message
