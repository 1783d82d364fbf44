"""Diffs of known changes to the prod stack, and the rules they follow, exactly."""

from pathlib import Path

import pytest

from souverain.diff import (
    ABSENT,
    CREATE,
    DELETE,
    DEPLOYED,
    REPLACE,
    SECRET,
    UPDATE,
    PropertyChange,
    ResourceChange,
    compare_plans,
    compare_values,
    join_path,
    redact,
    redact_inputs,
    split_path,
    under,
)
from souverain.plan import UNKNOWN, Plan, PlannedResource, plan_stack
from tests.souverain.test_plan import make_project

REPO = Path(__file__).resolve().parents[2]
PROD = (REPO / "stacks" / "Pulumi.prod.yaml").read_text()
SERVER = "hcloud:index/server:Server"
POOL = "urn:pulumi:prod::souverain::souverain:hetzner:NodePool"
WORKER_URN = f"{POOL}$hcloud:index/server:Server::acme-workers-%d"


@pytest.fixture(scope="module")
def prod() -> Plan:
    """The prod stack as it is in the repository."""
    return plan_stack("prod", REPO)


def prod_with(tmp_path: Path, old: str, new: str) -> Plan:
    """The prod stack with one piece of its stack file replaced."""
    assert PROD.count(old) == 1, old
    return plan_stack("prod", make_project(tmp_path, "prod", PROD.replace(old, new)))


def test_one_more_worker_creates_exactly_its_server(prod, tmp_path):
    after = prod_with(tmp_path, "      count: 2\n", "      count: 3\n")

    diff = compare_plans(prod, after)

    assert diff.changes == (
        ResourceChange(CREATE, WORKER_URN % 3, SERVER, "acme-workers-3"),
    )
    assert diff.summary() == "+1 to create, ~0 to update, ±0 to replace, -0 to delete"
    assert diff.unchanged == len(prod.resources) == 167


def test_one_worker_less_deletes_exactly_its_server(prod, tmp_path):
    after = prod_with(tmp_path, "      count: 2\n", "      count: 1\n")

    diff = compare_plans(prod, after)

    assert diff.changes == (
        ResourceChange(DELETE, WORKER_URN % 2, SERVER, "acme-workers-2"),
    )
    assert diff.unchanged == 166


def test_a_changed_label_shows_its_path_and_values_on_each_resource(prod, tmp_path):
    after = prod_with(tmp_path, "tier: apps", "tier: web")

    diff = compare_plans(prod, after)

    change = (PropertyChange("labels.tier", "apps", "web"),)
    assert [(c.action, c.name, c.properties) for c in diff.changes] == [
        (UPDATE, "acme-workers-spread-1", change),
        (UPDATE, "acme-workers-1", change),
        (UPDATE, "acme-workers-2", change),
    ]


def test_a_larger_server_type_resizes_in_place(prod, tmp_path):
    after = prod_with(tmp_path, "serverType: cx43", "serverType: cx53")

    diff = compare_plans(prod, after)

    assert [(c.action, c.name, c.properties) for c in diff.changes] == [
        (UPDATE, f"acme-workers-{n}", (PropertyChange("serverType", "cx43", "cx53"),))
        for n in (1, 2)
    ]


def test_a_new_network_range_replaces_the_network_and_what_is_built_on_its_id(
    prod, tmp_path
):
    after = prod_with(tmp_path, "networkCidr: 10.0.0.0/16", "networkCidr: 10.1.0.0/16")

    diff = compare_plans(prod, after)

    new_id = PropertyChange("networkId", DEPLOYED, UNKNOWN, replaces=True)
    assert [(c.name, c.properties) for c in diff.of(REPLACE)] == [
        ("acme-lb-network", (new_id,)),
        (
            "acme-network",
            (PropertyChange("ipRange", "10.0.0.0/16", "10.1.0.0/16", replaces=True),),
        ),
        (
            "acme-nodes-subnet",
            (
                PropertyChange("ipRange", "10.0.0.0/17", "10.1.0.0/17", replaces=True),
                new_id,
            ),
        ),
    ]
    # The servers follow the network in place: a new private IP and network id,
    # nothing from the resources that stay (firewalls, placement groups).
    updated = {c.name: c.properties for c in diff.of(UPDATE)}
    assert updated["acme-workers-1"] == (
        PropertyChange("networks[0].ip", "10.0.88.1", "10.1.88.1"),
        PropertyChange("networks[0].networkId", DEPLOYED, UNKNOWN),
    )
    assert diff.summary() == "+0 to create, ~6 to update, ±3 to replace, -0 to delete"


def test_another_location_replaces_the_servers_for_their_location(prod, tmp_path):
    after = prod_with(tmp_path, "location: fsn1", "location: nbg1")

    diff = compare_plans(prod, after)

    server = next(c for c in diff.of(REPLACE) if c.name == "acme-workers-1")
    assert server.properties == (
        PropertyChange("location", "fsn1", "nbg1", replaces=True),
    )
    replaced = {c.name for c in diff.of(REPLACE)}
    assert {"acme-lb", "acme-control-plane-1-ipv4", "acme-backups-bucket"} <= replaced


def test_a_new_image_is_ignored_on_running_servers_and_said_so(prod, tmp_path):
    after = prod_with(
        tmp_path,
        "  souverain:location: fsn1\n",
        "  souverain:location: fsn1\n  souverain:image: debian-12\n",
    )

    diff = compare_plans(prod, after)

    assert diff.changes == ()
    assert diff.ignored == tuple(
        (name, "image")
        for name in [f"acme-control-plane-{n}" for n in (1, 2, 3)]
        + ["acme-workers-1", "acme-workers-2"]
    )


def test_an_update_the_provider_may_turn_into_a_replacement_is_marked(prod, tmp_path):
    after = prod_with(tmp_path, "storage: 40Gi", "storage: 50Gi")

    diff = compare_plans(prod, after)

    (database,) = diff.changes
    assert (database.action, database.name, database.replacement_known) == (
        UPDATE,
        "acme-apps-twenty-database",
        False,
    )
    assert database.properties == (PropertyChange("spec.storage.size", "40Gi", "50Gi"),)


def resource(urn_name: str, inputs: dict, **options) -> PlannedResource:
    return PlannedResource(
        urn=f"urn:pulumi:s::souverain::kubernetes:core/v1:ConfigMap::{urn_name}",
        type="kubernetes:core/v1:ConfigMap",
        name=urn_name,
        parent=None,
        custom=True,
        inputs=inputs,
        dependencies=(),
        **options,
    )


def test_replace_on_changes_of_the_program_makes_a_replacement():
    before = Plan("souverain", "s", [resource("c", {"data": {"a": "1"}})])
    after = Plan(
        "souverain",
        "s",
        [resource("c", {"data": {"a": "2"}}, replace_on_changes=("data",))],
    )

    (change,) = compare_plans(before, after).changes

    assert (change.action, change.properties) == (
        REPLACE,
        (PropertyChange("data.a", "1", "2", replaces=True),),
    )


def test_a_secret_change_shows_no_value_whichever_side_marks_it():
    assert compare_values({"token": SECRET}, {"token": "s3cr3t-but-unmarked"}) == [
        PropertyChange("token", SECRET, SECRET, secret=True)
    ]
    assert compare_values({"env": [{"value": "old"}]}, {"env": [SECRET]}) == [
        PropertyChange("env[0]", SECRET, SECRET, secret=True)
    ]


def test_a_plan_from_another_version_leaks_no_secret_it_did_not_mark():
    # A base written by a souverain that kept a credential in the clear, and one in
    # the engine's own secret form: neither value may reach a report.
    old = {
        "secret_key": "AKIA-PLAIN",
        "password": {
            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
            "plaintext": '"hunter2"',
        },
        "labels": {"team": "core"},
    }
    new = {"secret_key": SECRET, "password": SECRET, "labels": {"team": "data"}}

    assert redact(old) == {
        "labels": {"team": "core"},
        "password": SECRET,
        "secret_key": SECRET,
    }
    assert compare_values(redact(old), redact(new)) == [
        PropertyChange("labels.team", "core", "data")
    ]


# Inputs that only name Kubernetes Secrets, as the apps and cert-manager declare them.
SECRET_REFERENCES = {
    "tls": [{"hosts": ["twenty.acme.eu"], "secretName": "twenty-tls"}],
    "envFrom": [{"secretRef": {"name": "twenty-env"}}],
    "env": [
        {"valueFrom": {"secretKeyRef": {"key": "url", "name": "db", "optional": True}}}
    ],
    "volumes": [{"name": "config", "secret": {"secretName": "hanko-env"}}],
    "privateKeySecretRef": {"name": "letsencrypt-account"},
    "s3Credentials": {
        "accessKeyId": {"key": "ACCESS_KEY_ID", "name": "backups-s3"},
        "secretAccessKey": {"key": "ACCESS_SECRET_KEY", "name": "backups-s3"},
    },
    "bootstrap": {"initdb": {"secret": {"name": "twenty-db-owner"}}},
    "hcloudToken": {"existingSecret": {"key": "token", "name": "hcloud"}},
    "imagePullSecrets": [{"name": UNKNOWN}],
}


def test_api_keys_in_the_clear_are_hidden_by_their_name():
    old = {"apiKey": "sk-live-1", "api_key": "sk-live-2", "region": "fr-par"}

    assert redact(old) == {"apiKey": SECRET, "api_key": SECRET, "region": "fr-par"}


def test_references_that_only_name_kubernetes_secrets_are_shown():
    assert redact(SECRET_REFERENCES) == SECRET_REFERENCES


def test_the_prod_ingress_shows_its_tls_secret_name(prod):
    (ingress,) = [r for r in prod.resources if r.name == "acme-apps-twenty-ingress"]

    shown = redact_inputs(ingress.type, ingress.inputs)

    assert shown["spec"]["tls"] == [
        {"hosts": ["twenty.acme.example"], "secretName": "twenty-tls"}
    ]


def test_a_renamed_tls_secret_shows_both_names():
    old = {"spec": {"tls": [{"secretName": "twenty-tls"}]}}
    new = {"spec": {"tls": [{"secretName": "twenty-tls-2"}]}}

    assert compare_values(redact(old), redact(new)) == [
        PropertyChange("spec.tls[0].secretName", "twenty-tls", "twenty-tls-2")
    ]


SIGNED = {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    "plaintext": '"twenty-tls"',
}


@pytest.mark.parametrize(
    ("inputs", "shown"),
    [
        # Credentials where a reference could be.
        (
            {"s3Credentials": {"accessKeyId": "AKIA1", "secretAccessKey": "a/b+c"}},
            {"s3Credentials": SECRET},
        ),
        # A reference with one part too many is no reference.
        (
            {"secretRef": {"name": "twenty-env", "value": "hunter2"}},
            {"secretRef": SECRET},
        ),
        # A part that cannot be a Kubernetes name.
        (
            {"privateKeySecretRef": {"name": "-----BEGIN KEY-----\nMIIE"}},
            {"privateKeySecretRef": SECRET},
        ),
        ({"secretName": "Not a Secret's name"}, {"secretName": SECRET}),
        ({"tls": [{"secretName": SIGNED}]}, {"tls": [{"secretName": SECRET}]}),
        ({"secret": {"name": SIGNED}}, {"secret": SECRET}),
        ({"secret": {"name": SECRET}}, {"secret": SECRET}),
        # Only `secretName` strings are names; another credential's string is not.
        ({"clientSecret": "looks-like-a-name"}, {"clientSecret": SECRET}),
        # A credential holding no reference is hidden whole, its keys too.
        ({"token": ["abc", "def"]}, {"token": SECRET}),
        ({"tokens": {"t0k3n": "admin"}}, {"tokens": SECRET}),
        # One holding a reference shows it, and hides what is beside it.
        (
            {
                "extraSecretEnvironmentVars": [
                    {"envName": "SEAL", "secretKey": "key", "secretName": "seal"}
                ]
            },
            {
                "extraSecretEnvironmentVars": [
                    {"envName": SECRET, "secretKey": SECRET, "secretName": "seal"}
                ]
            },
        ),
    ],
)
def test_what_is_or_could_be_a_credential_stays_hidden_beside_references(inputs, shown):
    assert redact(inputs) == shown


def test_a_kubernetes_secret_hides_all_its_data():
    inputs = {"data": {"token": "c2VjcmV0"}, "stringData": {"a": "b"}, "type": "x"}

    shown = redact_inputs("kubernetes:core/v1:Secret", inputs)

    assert shown == {"data": SECRET, "stringData": SECRET, "type": "x"}


def test_property_paths_read_as_pulumi_writes_them():
    assert join_path("labels", "souverain.eu/role") == 'labels["souverain.eu/role"]'
    assert join_path(join_path("publicNets", 0), "ipv4Enabled") == (
        "publicNets[0].ipv4Enabled"
    )
    assert split_path('labels["souverain.eu/role"]') == ["labels", "souverain.eu/role"]
    assert split_path("publicNets[0].ipv4Enabled") == ["publicNets", 0, "ipv4Enabled"]
    assert under("sshKeys[0]", ["sshKeys"]) is True
    assert under("sshKeysExtra", ["sshKeys"]) is False
    assert under("anything", ["*"]) is True


def test_an_input_that_appears_or_goes_away_is_absent_on_the_other_side():
    assert compare_values({"a": 1}, {"b": 2}) == [
        PropertyChange("a", 1, ABSENT),
        PropertyChange("b", ABSENT, 2),
    ]
    assert compare_values({"l": [1]}, {"l": [1, 2]}) == [
        PropertyChange("l[1]", ABSENT, 2)
    ]
