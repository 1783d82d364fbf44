"""The fake Hetzner Cloud API keeps to the official spec, and says so when it cannot."""

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.fakes.hetzner_api import (
    HTTP_METHODS,
    TOKEN,
    FakeHetznerApi,
    RecordedRequest,
    api_deprecation,
    api_location,
    api_server_type,
    load_contract,
)

FSN1 = api_location(
    1,
    "fsn1",
    city="Falkenstein",
    country="DE",
    network_zone="eu-central",
    description="Falkenstein DC Park 1",
)
HEL1 = api_location(
    3,
    "hel1",
    city="Helsinki",
    country="FI",
    network_zone="eu-central",
    description="Helsinki DC Park 1",
)
NBG1 = api_location(
    2,
    "nbg1",
    city="Nuremberg",
    country="DE",
    network_zone="eu-central",
    description="Nuremberg DC Park 1",
)


@pytest.fixture
def api() -> Iterator[FakeHetznerApi]:
    """The fake with three locations, two per page."""
    with FakeHetznerApi(max_per_page=2) as fake:
        fake.resources["locations"] = [FSN1, NBG1, HEL1]
        yield fake


def call(
    api: FakeHetznerApi, path: str, method: str = "GET", token: str | None = TOKEN
) -> tuple[int, dict, str]:
    """Send one request; return the status, the JSON body and the correlation id."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    request = urllib.request.Request(
        f"{api.endpoint}{path}", method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request) as response:
            return (
                response.status,
                json.load(response),
                response.headers["X-Correlation-Id"],
            )
    except urllib.error.HTTPError as err:
        return err.code, json.load(err), err.headers["X-Correlation-Id"]


def test_last_page_of_a_list_carries_the_api_pagination(api):
    status, body, correlation_id = call(api, "/locations?page=2&per_page=50")

    assert (status, correlation_id) == (200, "fake-0001")
    assert body == {
        "locations": [HEL1],
        "meta": {
            "pagination": {
                "page": 2,
                "per_page": 2,
                "previous_page": 1,
                "next_page": None,
                "last_page": 2,
                "total_entries": 3,
            }
        },
    }
    assert api.requests == [
        RecordedRequest(
            method="GET",
            path="/v1/locations",
            query={"page": ["2"], "per_page": ["50"]},
            authorization=f"Bearer {TOKEN}",
        )
    ]


def test_server_types_are_listed_with_their_per_location_deprecation(api):
    cx23 = api_server_type(
        22,
        "cx23",
        cores=2,
        memory=4.0,
        disk=40,
        cpu_type="shared",
        architecture="x86",
        locations=[FSN1],
        deprecations={
            "fsn1": api_deprecation("2026-10-16T00:00:00Z", "2027-01-01T00:00:00Z")
        },
    )
    api.resources["server_types"] = [cx23]

    status, body, _ = call(api, "/server_types")

    assert status == 200
    assert body["server_types"] == [cx23]
    assert body["server_types"][0]["locations"] == [
        {
            "id": 1,
            "name": "fsn1",
            "deprecation": {
                "announced": "2026-10-16T00:00:00Z",
                "unavailable_after": "2027-01-01T00:00:00Z",
            },
            "available": True,
            "recommended": False,
        }
    ]


def test_a_request_without_the_token_is_unauthorized(api):
    assert call(api, "/locations", token=None) == (
        401,
        {
            "error": {
                "code": "unauthorized",
                "message": "unable to authenticate",
                "details": None,
            }
        },
        "fake-0001",
    )


def test_a_path_the_spec_does_not_know_is_not_found(api):
    status, body, _ = call(api, "/nowhere")

    assert (status, body) == (
        404,
        {
            "error": {
                "code": "not_found",
                "message": "/v1/nowhere not found",
                "details": None,
            }
        },
    )


def test_a_method_the_spec_does_not_allow_on_a_path_is_refused(api):
    status, body, _ = call(api, "/locations", method="DELETE")

    assert (status, body) == (
        405,
        {
            "error": {
                "code": "method_not_allowed",
                "message": "DELETE is not allowed on /v1/locations",
                "details": None,
            }
        },
    )


def test_an_operation_the_fake_lacks_says_where_to_add_it(api):
    status, body, _ = call(api, "/volumes/42")

    assert (status, body["error"]["code"]) == (501, "not_implemented")
    assert body["error"]["message"] == (
        "the fake Hetzner API does not serve GET /volumes/{id} yet: add a route to "
        "one of tests/fakes/hetzner_*.py"
    )


def test_query_parameters_the_spec_refuses_are_invalid_input(api):
    status, body, _ = call(api, "/locations?sort=size&page=x&colour=red")

    assert (status, body) == (
        422,
        {
            "error": {
                "code": "invalid_input",
                "message": "invalid input in fields 'colour', 'page', 'sort[0]'",
                "details": {
                    "fields": [
                        {
                            "name": "colour",
                            "messages": ["is not a parameter of GET /locations"],
                        },
                        {"name": "page", "messages": ["must be an integer, not 'x'"]},
                        {
                            "name": "sort[0]",
                            "messages": [
                                "must be one of id, id:asc, id:desc, name, name:asc, "
                                "name:desc"
                            ],
                        },
                    ]
                },
            }
        },
    )


def test_a_body_that_breaks_the_spec_is_caught_not_sent(api):
    broken = {key: value for key, value in FSN1.items() if key != "city"}
    api.resources["locations"] = [broken]

    status, body, _ = call(api, "/locations")

    violation = (
        "GET /v1/locations -> 200: 'city' is a required property (at $.locations[0])"
    )
    assert (status, body) == (
        500,
        {
            "error": {
                "code": "contract_violation",
                "message": violation,
                "details": None,
            }
        },
    )
    assert api.contract_violations == [violation]
    api.contract_violations.clear()


def test_a_deprecation_date_without_time_breaks_the_spec(api):
    api.resources["server_types"] = [
        api_server_type(
            22,
            "cx23",
            cores=2,
            memory=4.0,
            disk=40,
            cpu_type="shared",
            architecture="x86",
            locations=[FSN1],
            deprecations={"fsn1": api_deprecation("2026-10-16", "2027-01-01")},
        )
    ]

    status, _, _ = call(api, "/server_types")

    assert status == 500
    assert api.contract_violations == [
        "GET /v1/server_types -> 200: '2027-01-01' is not a 'date-time' "
        "(at $.server_types[0].locations[0].deprecation.unavailable_after)"
    ]
    api.contract_violations.clear()


def test_stopping_after_a_violation_fails_the_test():
    fake = FakeHetznerApi().start()
    fake.contract_violations.append("GET /v1/locations -> 200: made up")

    with pytest.raises(AssertionError) as raised:
        fake.__exit__(None, None, None)

    assert str(raised.value) == (
        "the fake Hetzner API sent bodies the official spec forbids: "
        "['GET /v1/locations -> 200: made up']"
    )


def test_every_operation_in_the_spec_shares_one_error_schema():
    # 404 and 405 answers borrow ERROR_SCHEMA_OPERATION's schema; that is sound only
    # while the spec gives every operation the same one.
    spec = load_contract().spec
    schemas = set()
    for path_item in spec["paths"].values():
        for method in set(path_item) & HTTP_METHODS:
            for status, response in path_item[method]["responses"].items():
                if status[0] in "45":
                    schema = dict(response["content"]["application/json"]["schema"])
                    schema.pop("example", None)
                    schemas.add(json.dumps(schema, sort_keys=True))

    assert len(schemas) == 1
