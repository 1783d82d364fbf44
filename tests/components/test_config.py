"""The typed stack configuration: valid settings parse, every mistake is named."""

import json

import pytest
import yaml

from components.config import KNOWN_KEYS, StackConfig, parse_stack_config
from components.errors import ConfigError
from tests.conftest import ADMIN_KEY, TODAY


def problems_of(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, today=TODAY)
    return caught.value.problems


def test_valid_settings_parse_into_typed_config(settings):
    config = parse_stack_config(settings, today=TODAY)

    assert config.startup_name == "acme"
    assert config.network_cidr == "10.0.0.0/16"
    assert config.network_zone == "eu-central"
    assert config.node_pools["workers"].server_type == "cx43"
    assert config.node_pools["workers"].count == 2
    assert config.node_pools["workers"].public_ipv4 is True
    assert config.load_balancer_type == "lb11"


def test_engine_strings_are_parsed_like_the_pulumi_engine_passes_them(settings):
    # The engine hands structured config as JSON text and booleans as "true"/"false".
    raw = {
        key: json.dumps(value) if isinstance(value, (dict, list)) else value
        for key, value in settings.items()
    }
    raw["enableCluster"] = "false"

    config = parse_stack_config(raw, today=TODAY)

    assert config.allowed_ssh_cidrs == ["203.0.113.0/24"]
    assert config.enable_cluster is False


BAD_CONFIGURATIONS = [
    (
        "location outside the EU",
        {"location": "ash"},
        "location 'ash' is outside the EU: use fsn1, hel1 or nbg1",
    ),
    (
        "unknown location",
        {"location": "fra1"},
        "location 'fra1' is not a Hetzner location: use fsn1, hel1 or nbg1",
    ),
    (
        "retired server type",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cx22", "count": 1}
            }
        },
        "nodePools.cp.serverType 'cx22' was retired in fsn1 on 2026-01-01: use cpx22, "
        "cx23, cpx12 or cpx32 (every type: souverain catalog list --location fsn1)",
    ),
    (
        "unknown server type",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cx99", "count": 1}
            }
        },
        "nodePools.cp.serverType 'cx99' is not a Hetzner server type: use cax11, "
        "cax21, cax31 or cax41 (every type: souverain catalog list --location fsn1)",
    ),
    (
        "server type not offered in the location",
        {
            "location": "hel1",
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cpx11", "count": 1}
            },
        },
        "nodePools.cp.serverType 'cpx11' was retired in hel1 on 2026-01-01: use cpx12, "
        "cpx22, cx23 or cpx32 (every type: souverain catalog list --location hel1)",
    ),
    (
        "bad startup name",
        {"startupName": "Acme_GmbH"},
        "startupName 'Acme_GmbH' is not a usable name: use 3 to 30 lowercase letters, "
        "digits and single dashes, starting with a letter (e.g. acme)",
    ),
    (
        "domain with a scheme",
        {"domain": "https://acme.eu"},
        "domain 'https://acme.eu' is not a domain name: use a lowercase name such as "
        "acme.eu, without scheme, path or trailing dot",
    ),
    (
        "public network range",
        {"networkCidr": "8.8.0.0/16"},
        "networkCidr '8.8.0.0/16' is not a private IPv4 range: Hetzner networks use "
        "10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, e.g. 10.0.0.0/16",
    ),
    (
        "network overlapping k3s",
        {"networkCidr": "10.0.0.0/8"},
        "networkCidr '10.0.0.0/8' overlaps 10.42.0.0/16, which k3s uses for pods and "
        "services: use e.g. 10.0.0.0/16",
    ),
    (
        "network with host bits",
        {"networkCidr": "10.0.0.1/16"},
        "networkCidr '10.0.0.1/16' is not an IPv4 range with no host bits set: use "
        "e.g. 10.0.0.0/16",
    ),
    (
        "network too small",
        {"networkCidr": "192.168.0.0/24"},
        "networkCidr '192.168.0.0/24' has prefix /24: use /8 to /22, so the nodes' "
        "subnet (the first half) holds at least 512 addresses",
    ),
    (
        "even control plane",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cx33", "count": 2}
            }
        },
        "nodePools has 2 control-plane servers: etcd keeps quorum only with an odd "
        "number, use 1, 3 or 5",
    ),
    (
        "no control plane",
        {"nodePools": {"w": {"role": "worker", "serverType": "cx33", "count": 2}}},
        "nodePools has no control-plane server: add a pool with role: control-plane "
        "and count: 1 (or 3 for high availability)",
    ),
    (
        "unknown role",
        {"nodePools": {"cp": {"role": "master", "serverType": "cx33", "count": 1}}},
        "nodePools.cp.role 'master' is not allowed: use 'control-plane' or 'worker'",
    ),
    (
        "count not a number",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cx33", "count": "three"}
            }
        },
        "nodePools.cp.count 'three' is not a whole number: write e.g. 3",
    ),
    (
        "negative count",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cx33", "count": 1},
                "w": {"role": "worker", "serverType": "cx33", "count": -1},
            }
        },
        "nodePools.w.count is -1: it must be at least 0",
    ),
    (
        "pool name with capitals",
        {
            "nodePools": {
                "Main": {"role": "control-plane", "serverType": "cx33", "count": 1}
            }
        },
        "nodePools pool name 'Main' is not usable: use up to 20 lowercase letters, "
        "digits and dashes, starting with a letter",
    ),
    (
        "misspelt pool setting",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "servertype": "cx33", "count": 1}
            }
        },
        "nodePools.cp.servertype is not a souverain setting: "
        "did you mean 'serverType'?",
    ),
    (
        "label with souverain's prefix",
        {
            "nodePools": {
                "cp": {
                    "role": "control-plane",
                    "serverType": "cx33",
                    "count": 1,
                    "labels": {"souverain.eu/role": "x"},
                }
            }
        },
        "nodePools.cp.labels label 'souverain.eu/role' uses the prefix souverain.eu/ "
        "that souverain sets itself: choose another key",
    ),
    (
        "not an ssh key",
        {"sshPublicKeys": {"alice": "AAAAC3Nza alice@laptop"}},
        "sshPublicKeys key 'alice' is not an OpenSSH public key: paste one line of "
        "~/.ssh/id_ed25519.pub, starting with ssh-ed25519",
    ),
    (
        "same ssh key twice",
        {"sshPublicKeys": {"alice": ADMIN_KEY, "bob": ADMIN_KEY}},
        "sshPublicKeys keys 'alice' and 'bob' are the same key: Hetzner refuses "
        "duplicates, keep one",
    ),
    (
        "no ssh key",
        {"sshPublicKeys": {}},
        "sshPublicKeys is empty: add at least one key, e.g. admin: 'ssh-ed25519 "
        "AAAA... you@host'",
    ),
    (
        "ssh range with host bits",
        {"allowedSshCidrs": ["203.0.113.7/24"]},
        "allowedSshCidrs '203.0.113.7/24' is not an IP range with no host bits set: "
        "use e.g. 203.0.113.7/32 for one address",
    ),
    (
        "nobody may reach the kubernetes api",
        {"allowedKubeApiCidrs": []},
        "allowedKubeApiCidrs is empty, so nobody could reach the Kubernetes API: add "
        "your office or VPN range, e.g. 203.0.113.7/32",
    ),
    (
        "unknown load balancer type",
        {"loadBalancerType": "lb99"},
        "loadBalancerType 'lb99' is not a Hetzner load balancer type: use lb11, lb21 "
        "or lb31",
    ),
    (
        "switch for a part not built yet",
        {"enableCluster": True},
        "enableCluster asks for a part souverain does not deploy yet (issue #7): set "
        "it to false",
    ),
    (
        "switch that is not a boolean",
        {"enableBuckets": "yes please"},
        "enableBuckets 'yes please' is not true or false",
    ),
    (
        "misspelt top-level key",
        {"locaton": "fsn1"},
        "locaton is not a souverain setting: did you mean 'location'?",
    ),
    (
        "node pools written as unreadable JSON",
        {"nodePools": "{control-plane: 3"},
        "nodePools is not a readable list or map: Expecting property name enclosed in "
        "double quotes",
    ),
]


@pytest.mark.parametrize(
    "changes, expected",
    [(changes, expected) for _, changes, expected in BAD_CONFIGURATIONS],
    ids=[case for case, _, _ in BAD_CONFIGURATIONS],
)
def test_bad_configuration_is_named_with_its_fix(settings, changes, expected):
    assert problems_of({**settings, **changes}) == [expected]


@pytest.mark.parametrize("missing", ["startupName", "domain", "nodePools"])
def test_missing_required_setting_says_how_to_set_it(settings, missing):
    del settings[missing]

    assert problems_of(settings) == [
        f"{missing} is required: run `pulumi config set souverain:{missing} <value>` "
        "or add it to the stack file"
    ]


def test_every_problem_is_reported_at_once(settings):
    settings.update(
        location="ash",
        domain="ACME",
        nodePools={"cp": {"role": "control-plane", "serverType": "cx33", "count": 2}},
        enableApps=True,
    )

    problems = problems_of(settings)

    assert [p.split(" ", 1)[0] for p in problems] == [
        "domain",
        "location",
        "nodePools",
        "enableApps",
    ]


def test_config_error_message_lists_problems_under_the_stack_file(settings):
    settings["location"] = "sin"
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(settings, today=TODAY, stack_file="stacks/Pulumi.dev.yaml")

    assert str(caught.value) == (
        "1 configuration problem in stacks/Pulumi.dev.yaml:\n"
        "  - location 'sin' is outside the EU: use fsn1, hel1 or nbg1"
    )


def test_deprecated_type_is_still_accepted_before_its_last_day(settings):
    settings["nodePools"]["control-plane"]["serverType"] = "cx22"
    import datetime as dt

    config = parse_stack_config(settings, today=dt.date(2025, 12, 31))

    assert config.node_pools["control-plane"].server_type == "cx22"


def test_project_file_declares_the_same_defaults_as_the_model():
    # Pulumi.yaml's defaults reach `pulumi up`; the model's reach the checks. A drift
    # would make the two disagree about a stack that sets nothing.
    declared = yaml.safe_load(open("Pulumi.yaml"))["config"]
    fields_by_alias = {f.alias: f for f in StackConfig.model_fields.values()}

    for key, declaration in declared.items():
        assert key in KNOWN_KEYS, f"Pulumi.yaml declares unknown key {key}"
        field = fields_by_alias[key]
        if "default" in declaration:
            assert declaration["default"] == field.default, key
        else:
            assert field.is_required(), key
