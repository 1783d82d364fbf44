"""Requests the spec refuses are answered in Hetzner's error format, field by field,
and what clients send beyond the spec's words is taken as the API takes it."""

import hcloud
import pytest

from tests.fakes.hetzner_contract import load_contract
from tests.fakes.hetzner_relaxations import (
    BORROWED_QUERY_PARAMETERS,
    ECHOED_FIELDS,
    ID_OR_NAME_FIELDS,
)

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def invalid(fields: dict[str, list[str]], message: str) -> dict:
    return {
        "error": {
            "code": "invalid_input",
            "message": message,
            "details": {
                "fields": [{"name": k, "messages": v} for k, v in fields.items()]
            },
        }
    }


def test_a_body_the_spec_refuses_names_every_bad_field(hetzner, send):
    status, body = send(
        "POST", "/networks", {"name": 7, "colour": "red", "labels": {"a": 1}}
    )

    # The spec's table of error codes gives invalid_input the status 422.
    assert (status, body) == (
        422,
        invalid(
            {
                "colour": ["is not a field of this request"],
                "ip_range": ["is required"],
                "labels.a": ["must be a string"],
                "name": ["must be a string"],
            },
            "invalid input in fields 'colour', 'ip_range', 'labels.a', 'name'",
        ),
    )
    assert hetzner.state.networks == {}


def test_a_nested_field_is_named_by_its_path(send):
    rule = {"direction": "sideways", "protocol": "tcp", "port": "22"}

    status, body = send("POST", "/firewalls", {"name": "web", "rules": [rule]})

    assert (status, body) == (
        422,
        invalid(
            {"rules[0].direction": ["must be one of in, out"]},
            "invalid input in field 'rules[0].direction': must be one of in, out",
        ),
    )


def test_a_rule_the_api_would_refuse_is_refused(send):
    rule = {"direction": "in", "protocol": "icmp", "port": "22"}

    status, body = send("POST", "/firewalls", {"name": "web", "rules": [rule]})

    assert (status, body) == (
        422,
        invalid(
            {
                "rules[0].port": ["is not allowed for icmp"],
                "rules[0].source_ips": ["is required for direction in"],
            },
            "invalid input in fields 'rules[0].port', 'rules[0].source_ips'",
        ),
    )


def test_a_body_that_is_not_json_is_a_json_error(send):
    status, body = send("POST", "/ssh_keys", b"{name: dev}")

    assert status == 400
    assert body["error"]["code"] == "json_error"
    assert body["error"]["message"].startswith("syntax error: Expecting property name")


def test_an_action_without_a_body_refuses_one(send):
    send(
        "POST", "/servers", {"name": "web", "server_type": "cx23", "image": "debian-12"}
    )

    assert send("POST", "/servers/5001/actions/poweron", {"force": True}) == (
        422,
        invalid(
            {"body": ["POST /servers/{id}/actions/poweron takes no body"]},
            "invalid input in field 'body': POST /servers/{id}/actions/poweron "
            "takes no body",
        ),
    )
    assert send("POST", "/servers/5001/actions/poweron", {})[0] == 201


def test_an_unknown_id_is_not_found(send):
    assert send("GET", "/networks/4242") == (
        404,
        {
            "error": {
                "code": "not_found",
                "message": "network with ID 4242 not found",
                "details": None,
            }
        },
    )


def test_an_id_that_is_not_a_number_is_invalid_input(send):
    assert send("DELETE", "/servers/web") == (
        422,
        invalid(
            {"id": ["must be an integer, not 'web'"]},
            "invalid input in field 'id': must be an integer, not 'web'",
        ),
    )


@pytest.mark.parametrize(
    ("path", "body", "kind"),
    [
        ("/networks", {"name": "acme", "ip_range": "10.0.0.0/16"}, "network"),
        ("/firewalls", {"name": "acme"}, "firewall"),
        ("/placement_groups", {"name": "acme", "type": "spread"}, "placement_group"),
        (
            "/load_balancers",
            {"name": "acme", "load_balancer_type": "lb11", "location": "fsn1"},
            "load_balancer",
        ),
    ],
)
def test_a_duplicate_name_is_a_uniqueness_error(send, path, body, kind):
    assert send("POST", path, body)[0] == 201

    assert send("POST", path, body) == (
        409,
        {
            "error": {
                "code": "uniqueness_error",
                "message": f"{kind} with the same name already exists",
                "details": {"fields": [{"name": "name"}]},
            }
        },
    )


def test_a_duplicate_server_name_is_refused_through_hcloud_python(client):
    server_type = hcloud.server_types.ServerType(name="cx23")
    image = hcloud.images.Image(name="ubuntu-24.04")
    client.servers.create(name="web-1", server_type=server_type, image=image)

    with pytest.raises(hcloud.APIException) as raised:
        client.servers.create(name="web-1", server_type=server_type, image=image)

    assert (raised.value.code, raised.value.message, raised.value.details) == (
        "uniqueness_error",
        "server with the same name already exists",
        {"fields": [{"name": "name"}]},
    )


def test_a_key_already_known_is_a_uniqueness_error_on_public_key(send):
    send("POST", "/ssh_keys", {"name": "dev", "public_key": f"{KEY} dev@acme"})

    status, body = send("POST", "/ssh_keys", {"name": "ops", "public_key": KEY})

    # The spec's own example of a uniqueness_error.
    assert (status, body) == (
        409,
        {
            "error": {
                "code": "uniqueness_error",
                "message": "SSH key with the same fingerprint already exists",
                "details": {"fields": [{"name": "public_key"}]},
            }
        },
    )


def test_ids_sent_as_numbers_where_the_spec_says_name_are_taken(hetzner, send):
    send("POST", "/ssh_keys", {"name": "dev", "public_key": KEY})

    # hcloud-go sends the image and the SSH keys by id, as JSON numbers.
    status, body = send(
        "POST",
        "/servers",
        {"name": "web", "server_type": 23, "image": 102, "ssh_keys": [4001]},
    )

    assert status == 201
    assert (body["server"]["server_type"]["name"], body["server"]["image"]["id"]) == (
        "cx23",
        102,
    )
    assert body["root_password"] is None
    assert hetzner.state.created_with[5001]["ssh_keys"] == [4001]


def test_an_image_for_the_other_architecture_is_refused(send):
    status, body = send(
        "POST", "/servers", {"name": "web", "server_type": "cax11", "image": 102}
    )

    assert (status, body) == (
        422,
        invalid(
            {"image": ["image 102 is for x86"]},
            "invalid input in field 'image': image 102 is for x86",
        ),
    )


def test_a_server_type_no_longer_offered_is_unavailable(send):
    server = {"name": "web", "server_type": "cx22", "image": "ubuntu-24.04"}

    status, body = send("POST", "/servers", server | {"location": "fsn1"})

    # cx22 left fsn1 on 2026-01-01 (components/hetzner/server_types.json).
    assert (status, body["error"]) == (
        412,
        {
            "code": "resource_unavailable",
            "message": "server type cx22 is not available in fsn1",
            "details": None,
        },
    )


def test_every_relaxation_names_an_operation_of_the_spec():
    spec = load_contract().spec
    operations = [*ID_OR_NAME_FIELDS, *ECHOED_FIELDS, *BORROWED_QUERY_PARAMETERS]
    operations += list(BORROWED_QUERY_PARAMETERS.values())

    assert [op for op in operations if op[1] not in spec["paths"].get(op[0], {})] == []
