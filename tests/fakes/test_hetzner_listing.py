"""Label selectors, label rules and pages, as the fake Hetzner API applies them."""

import pytest

from tests.fakes.hetzner_contract import ApiError
from tests.fakes.hetzner_listing import label_problems, label_selector, page

WEB = {"env": "prod", "tier": "web"}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ("env=prod", True),
        ("env==prod", True),
        ("env!=prod", False),
        ("env", True),
        ("!env", False),
        ("!gpu", True),
        ("tier in (web,api)", True),
        ("tier notin (web,api)", False),
        ("gpu notin (a100)", True),
        ("env=prod,tier in (api, db)", False),
        ("env=prod,!gpu,tier", True),
        (" env = prod ", True),
        ("", True),
        # An empty value is a value, which env=prod does not have.
        ("env=", False),
    ],
)
def test_a_selector_matches_labels_as_the_api_documents(selector, matches):
    assert label_selector(selector)(WEB) is matches


@pytest.mark.parametrize(
    ("selector", "part"),
    [
        ("tier in (web", "tier in (web"),
        ("=prod", "=prod"),
        ("env prod", "env prod"),
        ("a,,b", ""),
    ],
)
def test_a_malformed_selector_is_invalid_input(selector, part):
    with pytest.raises(ApiError) as raised:
        label_selector(selector)

    assert raised.value.status == 422
    assert raised.value.body["error"]["details"] == {
        "fields": [
            {
                "name": "label_selector",
                "messages": [f"{part!r} is not a label selector requirement"],
            }
        ]
    }


def test_labels_follow_the_documented_rules():
    assert label_problems({"example.com/team": "web", "just-a-key": ""}) == []
    assert label_problems(
        {
            "hetzner.cloud/managed": "yes",
            "Bad_Prefix/x": "y",
            "-dash": "x",
            "ok": "-dash",
            "long": "x" * 64,
        }
    ) == [
        "key 'hetzner.cloud/managed' uses the reserved prefix hetzner.cloud/",
        "key 'Bad_Prefix/x' has a prefix that is not a DNS subdomain",
        "key '-dash' is not a valid label name",
        "value '-dash' of 'ok' is not a valid label value",
        f"value {'x' * 64!r} of 'long' is not a valid label value",
    ]


ITEMS = [
    {"id": 3, "name": "c", "labels": {"role": "web"}, "status": "off"},
    {"id": 1, "name": "a", "labels": {"role": "web"}, "status": "running"},
    {"id": 2, "name": "b", "labels": {"role": "db"}, "status": "running"},
]


def test_a_page_filters_sorts_and_says_where_it_is():
    query = {"label_selector": "role=web", "sort": ["name:desc"], "per_page": 1}

    assert page("servers", ITEMS, query, limit=50) == {
        "servers": [ITEMS[0]],
        "meta": {
            "pagination": {
                "page": 1,
                "per_page": 1,
                "previous_page": None,
                "next_page": 2,
                "last_page": 2,
                "total_entries": 2,
            }
        },
    }


def test_a_page_is_by_id_unless_sorted_and_filters_on_fields():
    listed = page("servers", ITEMS, {"status": ["running"]}, limit=50)

    assert [item["id"] for item in listed["servers"]] == [1, 2]
    assert page("servers", ITEMS, {"name": "b"}, limit=50)["servers"] == [ITEMS[2]]


def test_a_page_never_holds_more_than_the_limit():
    listed = page("servers", ITEMS, {"per_page": 50, "page": 2}, limit=2)

    assert listed["servers"] == [ITEMS[0]]
    assert listed["meta"]["pagination"]["per_page"] == 2


def test_a_page_below_one_is_invalid_input():
    with pytest.raises(ApiError) as raised:
        page("servers", ITEMS, {"page": 0}, limit=50)

    assert raised.value.body["error"]["message"] == (
        "invalid input in field 'page': must be at least 1"
    )
