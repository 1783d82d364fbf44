"""The typed stack configuration: valid settings parse, every mistake is named."""

import datetime
import json
from pathlib import Path

import pytest
import yaml

from components.config import KNOWN_KEYS, StackConfig, parse_stack_config
from components.errors import ConfigError
from tests.conftest import ADMIN_KEY, TODAY

REPO = Path(__file__).resolve().parents[2]


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
        "nodePools.cp.serverType 'cx99' is not a Hetzner server type: use cx53, "
        "cx43, cx33 or cx23 (every type: souverain catalog list --location fsn1)",
    ),
    (
        "type retired in the chosen location",
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
        "acme.eu, without scheme, path or trailing dot (internationalised names in "
        "their xn-- form)",
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
        "number and slows down past 7, use 1, 3, 5 or 7",
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
        "nodePools.w.count is '-1': it must be at least 0",
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
        "nodePools.cp.labels.souverain.eu/role uses the prefix souverain.eu/, which "
        "is reserved: choose another key",
    ),
    (
        "not an ssh key",
        {"sshPublicKeys": {"alice": "AAAAC3Nza alice@laptop"}},
        "sshPublicKeys.alice is not an OpenSSH public key: paste the one line of "
        "~/.ssh/id_ed25519.pub, starting with ssh-ed25519",
    ),
    (
        "same ssh key twice",
        {"sshPublicKeys": {"alice": ADMIN_KEY, "bob": ADMIN_KEY}},
        "sshPublicKeys.bob is the same key as 'alice': Hetzner refuses duplicates, "
        "keep one",
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
        "allowedSshCidrs[0] '203.0.113.7/24' is not an IP range with no host bits "
        "set: use e.g. 203.0.113.7/32 for one address",
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
        "nodePools must be a map, not text: write it in the stack file as a YAML map",
    ),
    (
        "bare IP addresses without prefix",
        {"allowedSshCidrs": ["198.51.100.7"]},
        "allowedSshCidrs[0] '198.51.100.7' has no prefix length: write 198.51.100.7/32",
    ),
    (
        "the same range twice",
        {"allowedKubeApiCidrs": ["203.0.113.0/24", "203.0.113.0/24"]},
        "allowedKubeApiCidrs[1] '203.0.113.0/24' repeats item 0: keep one",
    ),
    (
        "empty required value",
        {"startupName": ""},
        "startupName is empty: give it a value",
    ),
    (
        "null optional value",
        {"image": None},
        "image is empty: give it a value or delete the line",
    ),
    (
        "image name with spaces",
        {"image": "Windows 95"},
        "image 'Windows 95' is not a Hetzner image name: use e.g. ubuntu-24.04 or "
        "debian-13",
    ),
    (
        "snake_case key",
        {"load_balancer_type": "lb11"},
        "load_balancer_type is not a souverain setting: did you mean "
        "'loadBalancerType'?",
    ),
    (
        "more ingress servers than the balancer serves",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cx33", "count": 3},
                "w": {"role": "worker", "serverType": "cx33", "count": 30},
            }
        },
        "nodePools sends web traffic to 30 servers, more than the 25 targets of "
        "lb11: use loadBalancerType lb21 or lb31",
    ),
    (
        "ssh key with a damaged body",
        {"sshPublicKeys": {"admin": "ssh-ed25519 AAAAB3NzaC1yc2E= x"}},
        "sshPublicKeys.admin is damaged: its body does not decode to an ssh-ed25519 "
        "key, copy the line again from the .pub file",
    ),
    (
        "label with Hetzner's reserved prefix",
        {
            "nodePools": {
                "cp": {
                    "role": "control-plane",
                    "serverType": "cx33",
                    "count": 1,
                    "labels": {"hetzner.cloud/x": "y"},
                }
            }
        },
        "nodePools.cp.labels.hetzner.cloud/x uses the prefix hetzner.cloud/, which "
        "is reserved: choose another key",
    ),
    (
        "count written as a boolean",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cx33", "count": True}
            }
        },
        "nodePools.cp.count 'true' is not a whole number: write e.g. 3",
    ),
    (
        "control plane too large for etcd",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cx33", "count": 9}
            }
        },
        "nodePools has 9 control-plane servers: etcd keeps quorum only with an odd "
        "number and slows down past 7, use 1, 3, 5 or 7",
    ),
    (
        "network over Hetzner's gateway",
        {"networkCidr": "172.31.0.0/16"},
        "networkCidr '172.31.0.0/16' overlaps 172.31.1.0/24, where every Hetzner "
        "server's public gateway 172.31.1.1 lives: use e.g. 10.0.0.0/16",
    ),
    (
        "location in capitals",
        {"location": "FSN1"},
        "location 'FSN1' must be written in lowercase: use fsn1",
    ),
    (
        "server type in capitals",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "CX23", "count": 1}
            }
        },
        "nodePools.cp.serverType 'CX23' must be written in lowercase: use cx23",
    ),
    (
        "misspelt count is one problem, not a missing control plane too",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cx33", "cuont": 1}
            }
        },
        "nodePools.cp.cuont is not a souverain setting: did you mean 'count'?",
    ),
    (
        "pool written as text",
        {"nodePools": {"main": "cx23"}},
        "nodePools.main must be a map with role, serverType and count, not text",
    ),
    (
        "list written as text",
        {"allowedSshCidrs": "203.0.113.0/24"},
        "allowedSshCidrs must be a list, not text: write it in the stack file as a "
        "YAML list",
    ),
    (
        "DSA key",
        {"sshPublicKeys": {"admin": "ssh-dss AAAAB3NzaC1kc3M= x"}},
        "sshPublicKeys.admin is a DSA key, which OpenSSH no longer accepts: use "
        "ed25519",
    ),
]


@pytest.mark.parametrize(
    "changes, expected",
    [(changes, expected) for _, changes, expected in BAD_CONFIGURATIONS],
    ids=[case for case, _, _ in BAD_CONFIGURATIONS],
)
def test_bad_configuration_is_named_with_its_fix(settings, changes, expected):
    assert problems_of({**settings, **changes}) == [expected]


@pytest.mark.parametrize(
    "missing, fix",
    [
        (
            "startupName",
            "run `pulumi config set souverain:startupName <value>` or add it to the "
            "stack file",
        ),
        (
            "nodePools",
            "run `pulumi config set --path 'souverain:nodePools.<name>' <value>` or "
            "add it to the stack file as a YAML map",
        ),
        (
            "allowedKubeApiCidrs",
            "run `pulumi config set --path 'souverain:allowedKubeApiCidrs[0]' <value>` "
            "or add it to the stack file as a YAML list",
        ),
    ],
)
def test_missing_required_setting_says_how_to_set_it(settings, missing, fix):
    del settings[missing]

    assert problems_of(settings) == [f"{missing} is required: {fix}"]


def test_every_bad_item_of_a_list_is_reported(settings):
    settings["allowedSshCidrs"] = ["bad", "1.2.3.4/8", "10.0.0.0/8", "10.0.0.0/8"]

    assert problems_of(settings) == [
        "allowedSshCidrs[0] 'bad' is not an IP range with no host bits set: use e.g. "
        "203.0.113.7/32 for one address",
        "allowedSshCidrs[1] '1.2.3.4/8' is not an IP range with no host bits set: "
        "use e.g. 203.0.113.7/32 for one address",
        "allowedSshCidrs[3] '10.0.0.0/8' repeats item 2: keep one",
    ]


def test_ranges_are_kept_in_the_canonical_form_hetzner_answers_with(settings):
    settings["allowedKubeApiCidrs"] = ["2001:DB8:0:0::/48"]

    config = parse_stack_config(settings, today=TODAY)

    assert config.allowed_kube_api_cidrs == ["2001:db8::/48"]


def test_encrypted_setting_that_is_no_secret_is_refused(settings):
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(settings, today=TODAY, secret_keys={"startupName"})

    assert caught.value.problems == [
        "startupName is stored encrypted, but it is not a secret and would reach the "
        "Pulumi state in plain text: set it again without --secret (`pulumi config "
        "set souverain:startupName <value>`)"
    ]


def test_a_pasted_private_key_is_never_echoed(settings):
    private = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
    settings["allowedSshCidrs"] = {"key": private}

    problems = problems_of(settings)

    assert problems == ["allowedSshCidrs must be a list, not a map"]
    assert "PRIVATE" not in " ".join(problems)


def test_ingress_goes_to_workers_unless_a_pool_says_otherwise(settings):
    assert parse_stack_config(settings, today=TODAY).ingress_pools() == ["workers"]

    settings["nodePools"]["control-plane"]["ingress"] = True
    settings["nodePools"]["workers"]["ingress"] = False
    config = parse_stack_config(settings, today=TODAY)
    assert config.ingress_pools() == ["control-plane"]

    settings["nodePools"] = {
        "main": {"role": "control-plane", "serverType": "cx23", "count": 1}
    }
    config = parse_stack_config(settings, today=TODAY)
    assert config.ingress_pools() == ["main"]


def test_every_problem_is_reported_at_once(settings):
    settings.update(
        location="ash",
        domain="ACME",
        nodePools={"cp": {"role": "control-plane", "serverType": "cx33", "count": 2}},
        enableApps=True,
    )

    problems = problems_of(settings)

    # Parts switched on without what they stand on come first, then each setting.
    assert [p.split(" ", 1)[0] for p in problems] == [
        "enableApps",
        "enableApps",
        "domain",
        "location",
        "nodePools",
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

    config = parse_stack_config(settings, today=datetime.date(2025, 12, 31))

    assert config.node_pools["control-plane"].server_type == "cx22"


def test_project_file_declares_the_same_defaults_as_the_model():
    # Pulumi.yaml's defaults reach `pulumi up`; the model's reach the checks. A drift
    # would make the two disagree about a stack that sets nothing.
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    fields_by_alias = {f.alias: f for f in StackConfig.model_fields.values()}

    for key, declaration in declared.items():
        assert key in KNOWN_KEYS, f"Pulumi.yaml declares unknown key {key}"
        field = fields_by_alias[key]
        if "default" in declaration:
            assert declaration["default"] == field.default, key
        else:
            assert field.is_required(), key


def test_buckets_need_both_s3_keys_stored_encrypted(settings):
    settings.update(enableBuckets=True, s3AccessKey="AKIAPLAIN")

    with pytest.raises(ConfigError) as caught:
        parse_stack_config(settings, today=TODAY, secret_keys=set())

    assert caught.value.problems == [
        "s3AccessKey is stored in plain text: store it encrypted with `pulumi config "
        "set --secret souverain:s3AccessKey <value>`",
        "s3SecretKey is required when enableBuckets is true: run `pulumi config set "
        "--secret souverain:s3SecretKey <value>`",
    ]


def test_buckets_use_the_locations_endpoint_unless_told_otherwise(settings):
    settings.update(enableBuckets=True, s3AccessKey="a", s3SecretKey="b")
    keys = {"s3AccessKey", "s3SecretKey"}

    config = parse_stack_config(settings, today=TODAY, secret_keys=keys)
    assert config.s3_endpoint == "https://fsn1.your-objectstorage.com"

    settings["objectStorageEndpoint"] = "http://127.0.0.1:9000/"
    config = parse_stack_config(settings, today=TODAY, secret_keys=keys)
    assert config.s3_endpoint == "http://127.0.0.1:9000"


def test_bunny_needs_its_key_encrypted_and_storage_in_the_eu(settings):
    settings.update(
        enableBunny=True,
        bunnyStorageRegion="NY",
        bunnyStorageReplication=["SE", "UK", "de"],
    )

    with pytest.raises(ConfigError) as caught:
        parse_stack_config(settings, today=TODAY, secret_keys=set())

    assert caught.value.problems == [
        "bunnyAccessKey is required when enableBunny is true: run `pulumi config set "
        "--secret souverain:bunnyAccessKey <value>`",
        "bunnyStorageRegion storage region 'NY' is outside the EU: use DE or SE",
        "bunnyStorageReplication[1] storage region 'UK' is outside the EU: use DE or "
        "SE",
        "bunnyStorageReplication[2] 'de' must be written in capitals: use DE",
    ]


CLUSTER_SECRETS = {"s3AccessKey", "s3SecretKey", "hcloudClusterToken"}


@pytest.fixture
def cluster_settings(settings) -> dict:
    """Valid settings with the cluster on, snapshots going to the backups bucket."""
    settings.update(
        enableCluster=True,
        enableBuckets=True,
        s3AccessKey="a",
        s3SecretKey="b",
        hcloudClusterToken="c",
    )
    return settings


def cluster_problems_of(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, today=TODAY, secret_keys=CLUSTER_SECRETS)
    return caught.value.problems


BAD_CLUSTER_CONFIGURATIONS = [
    (
        "k3s version without its tag's shape",
        {"k3sVersion": "1.35.5"},
        "k3sVersion '1.35.5' is not a k3s release: write it as k3s tags it, e.g. "
        "v1.35.5+k3s1",
    ),
    (
        "k3s version Rancher 2.15 does not manage",
        {"k3sVersion": "v1.31.4+k3s1"},
        "k3sVersion 'v1.31.4+k3s1' is Kubernetes 1.31, which Rancher 2.15 does not "
        "manage: use a v1.34, v1.35 or v1.36 release, e.g. v1.35.5+k3s1",
    ),
    (
        "snapshot schedule in words",
        {"etcdSnapshotSchedule": "every 6 hours"},
        "etcdSnapshotSchedule 'every 6 hours' is not a cron schedule: write five "
        "fields, e.g. '0 */6 * * *' (every six hours), or off to take no etcd "
        "snapshots",
    ),
    (
        "no snapshot kept",
        {"etcdSnapshotRetention": 0},
        "etcdSnapshotRetention is '0': it must be at least 1",
    ),
    (
        "snapshots without a bucket",
        {"enableBuckets": False, "s3AccessKey": None, "s3SecretKey": None},
        "enableCluster needs enableBuckets: etcd snapshots are uploaded to the "
        "backups bucket; set enableBuckets to true, or set etcdSnapshotSchedule to "
        "off to take none",
    ),
    (
        "control plane without a public address",
        {
            "nodePools": {
                "cp": {
                    "role": "control-plane",
                    "serverType": "cx33",
                    "count": 1,
                    "publicIpv4": False,
                }
            }
        },
        "nodePools.cp.publicIpv4 is false, but the Kubernetes API is reached on the "
        "control-plane servers' public IPv4: set it to true (the firewall still "
        "admits only allowedKubeApiCidrs)",
    ),
    (
        "pool larger than its address block",
        {
            "networkCidr": "172.16.0.0/22",
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cx33", "count": 1},
                "workers": {"role": "worker", "serverType": "cx33", "count": 7},
            },
        },
        "nodePools.workers.count is 7, more than the 6 private addresses a pool has "
        "in networkCidr 172.16.0.0/22: use a larger networkCidr (each pool takes "
        "1/64 of its first half) or split the pool",
    ),
    (
        "two pools in one address block",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cx33", "count": 1},
                "pool22": {"role": "worker", "serverType": "cx33", "count": 1},
                "workers": {"role": "worker", "serverType": "cx33", "count": 1},
            }
        },
        "nodePools pools 'pool22' and 'workers' would take private addresses from "
        "the same block 10.0.88.0/23: rename the newer one, e.g. 'workers' to "
        "'workers-2' (renaming a pool replaces its servers)",
    ),
    (
        "two control-plane pools",
        {
            "nodePools": {
                "cp": {"role": "control-plane", "serverType": "cx33", "count": 1},
                "control-plane": {
                    "role": "control-plane",
                    "serverType": "cx33",
                    "count": 2,
                },
                "workers": {"role": "worker", "serverType": "cx33", "count": 1},
            }
        },
        "nodePools has 2 control-plane pools (control-plane, cp): with "
        "enableCluster, keep one and set its count",
    ),
    (
        "cluster without its Hetzner token",
        {"hcloudClusterToken": None},
        "hcloudClusterToken is required when enableCluster is true: run `pulumi "
        "config set --secret souverain:hcloudClusterToken <value>`",
    ),
    (
        "app namespace with capitals",
        {"appNamespaces": ["Shop"]},
        "appNamespaces[0] 'Shop' is not a Kubernetes namespace name: use lowercase "
        "letters, digits and dashes, at most 63, e.g. 'apps'",
    ),
    (
        "app namespace of an add-on",
        {"appNamespaces": ["shop", "cattle-system"]},
        "appNamespaces[1] 'cattle-system' belongs to the cluster's own add-ons: pick "
        "a namespace of your own, e.g. 'apps'",
    ),
    (
        # Regression: accepted here, then refused by ClusterAddons mid-plan with
        # exit code 1 and the component's field name instead of the setting's.
        "app namespace under a prefix Kubernetes or Rancher keeps",
        {"appNamespaces": ["shop", "cattle-fleet-system"]},
        "appNamespaces[1] 'cattle-fleet-system' belongs to the cluster's own add-ons: "
        "pick a namespace of your own, e.g. 'apps'",
    ),
    (
        "app namespace twice",
        {"appNamespaces": ["shop", "shop"]},
        "appNamespaces lists a namespace twice: keep each once",
    ),
    (
        "Let's Encrypt address without a domain",
        {"letsencryptEmail": "ops"},
        "letsencryptEmail 'ops' is not an e-mail address: write it as name@example.eu",
    ),
    (
        "no Rancher pod",
        {"rancherReplicas": 0},
        "rancherReplicas is '0': it must be at least 1",
    ),
]


@pytest.mark.parametrize(
    "changes, expected",
    [(changes, expected) for _, changes, expected in BAD_CLUSTER_CONFIGURATIONS],
    ids=[case for case, _, _ in BAD_CLUSTER_CONFIGURATIONS],
)
def test_bad_cluster_setting_is_named_with_its_fix(cluster_settings, changes, expected):
    raw = {k: v for k, v in {**cluster_settings, **changes}.items() if v is not None}

    assert cluster_problems_of(raw) == [expected]


def test_cluster_settings_parse_with_their_defaults(cluster_settings):
    config = parse_stack_config(
        cluster_settings, today=TODAY, secret_keys=CLUSTER_SECRETS
    )

    assert config.enable_cluster is True
    assert config.k3s_version == "v1.35.5+k3s1"
    assert config.snapshot_cron == "0 */6 * * *"
    assert config.etcd_snapshot_retention == 28


def test_cluster_without_buckets_runs_with_snapshots_off(settings):
    # The engine passes every value as text.
    settings.update(
        enableCluster="true",
        etcdSnapshotSchedule="off",
        etcdSnapshotRetention="7",
        hcloudClusterToken="c",
    )

    config = parse_stack_config(settings, today=TODAY, secret_keys=CLUSTER_SECRETS)

    assert config.snapshot_cron is None
    assert config.etcd_snapshot_retention == 7


def test_a_bare_off_read_as_false_still_turns_snapshots_off(settings):
    # Regression: PyYAML reads `etcdSnapshotSchedule: off` as false; Pulumi's YAML
    # keeps the word.
    for value in (False, "false"):
        settings.update(
            enableCluster=True, etcdSnapshotSchedule=value, hcloudClusterToken="c"
        )
        config = parse_stack_config(settings, today=TODAY, secret_keys=CLUSTER_SECRETS)

        assert config.snapshot_cron is None


def test_address_blocks_are_only_checked_with_the_cluster_on(settings):
    settings["networkCidr"] = "172.16.0.0/22"
    settings["nodePools"]["workers"]["count"] = 7

    assert parse_stack_config(settings, today=TODAY).node_pools["workers"].count == 7
