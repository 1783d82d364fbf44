"""The tools' settings: the switch, the `apps` map, and every mistake in it named."""

import pytest

from components.config import parse_stack_config
from components.config_apps import AppSize, cpu_millicores, memory_mib
from components.errors import ConfigError
from tests.conftest import TODAY

SECRETS = {"s3AccessKey", "s3SecretKey", "hcloudClusterToken"}


@pytest.fixture
def apps_settings(settings) -> dict:
    """Valid settings with the cluster, the buckets and the tools on."""
    settings.update(
        enableCluster=True,
        enableBuckets=True,
        enableApps=True,
        s3AccessKey="a",
        s3SecretKey="s",
        hcloudClusterToken="c",
    )
    return settings


def problems_of(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, today=TODAY, secret_keys=SECRETS & set(raw))
    return caught.value.problems


def test_every_tool_runs_with_its_defaults_unless_told_otherwise(apps_settings):
    apps_settings["apps"] = {
        "twenty": {"cpu": "1", "memory": "2Gi", "storage": "40Gi"},
        "hanko": {"enabled": False},
    }

    config = parse_stack_config(apps_settings, today=TODAY, secret_keys=SECRETS)

    assert config.tools == {
        "umami": AppSize(250, 512, 10),
        "openbao": AppSize(250, 256, 10),
        "twenty": AppSize(1000, 2048, 40),
        "glitchtip": AppSize(250, 512, 20),
    }


def test_without_the_switch_no_tool_runs_whatever_the_map_says(apps_settings):
    apps_settings.update(enableApps=False, apps={"umami": {"enabled": True}})

    config = parse_stack_config(apps_settings, today=TODAY, secret_keys=SECRETS)

    assert config.tools == {}


def test_the_tools_need_the_cluster_and_the_buckets(settings):
    assert problems_of({**settings, "enableApps": True}) == [
        "enableApps needs enableCluster: the tools run on the k3s cluster; set "
        "enableCluster to true",
        "enableApps needs enableBuckets: the tools' databases are backed up to the "
        "backups bucket; set enableBuckets to true",
    ]


BAD_APPS = [
    (
        "a tool souverain does not run",
        {"matomo": {}},
        "apps.matomo is not a tool souverain runs: souverain runs umami, openbao, "
        "twenty, glitchtip or hanko",
    ),
    (
        "Plausible, which needs ClickHouse",
        {"plausible": {}},
        "apps.plausible is not a tool souverain runs: Plausible Community Edition "
        "needs ClickHouse beside Postgres: use umami, which keeps its data in "
        "Postgres only",
    ),
    (
        "a CPU request in words",
        {"umami": {"cpu": "lots"}},
        "apps.umami.cpu 'lots' is not a CPU request: write millicores such as "
        "500m, or cores such as 1.5",
    ),
    (
        "no CPU at all",
        {"umami": {"cpu": "0m"}},
        "apps.umami.cpu '0m' is not a CPU request: write millicores such as 500m, "
        "or cores such as 1.5",
    ),
    (
        "memory in gigabytes",
        {"twenty": {"memory": "2G"}},
        "apps.twenty.memory '2G' is not a memory request: write it in Mi or Gi, "
        "e.g. 512Mi or 2Gi",
    ),
    (
        "a volume under Hetzner's 10 GB",
        {"hanko": {"storage": "5Gi"}},
        "apps.hanko.storage '5Gi' is not a volume size souverain can ask Hetzner "
        "for: write whole GiB from 10Gi to 10240Gi, e.g. 20Gi",
    ),
    (
        "a volume size without its unit",
        {"twenty": {"storage": 20}},
        "apps.twenty.storage 20 has no unit: write it in Gi or Mi, e.g. 20Gi",
    ),
    (
        "a misspelt size",
        {"glitchtip": {"memroy": "1Gi"}},
        "apps.glitchtip.memroy is not a souverain setting: did you mean 'memory'?",
    ),
    (
        "a tool written as text",
        {"openbao": "yes"},
        "apps.openbao must be a map with enabled, cpu, memory or storage, not text",
    ),
    (
        "a switch that is not a boolean",
        {"umami": {"enabled": "maybe"}},
        "apps.umami.enabled 'maybe' is not true or false",
    ),
]


@pytest.mark.parametrize(
    "apps, expected",
    [(apps, expected) for _, apps, expected in BAD_APPS],
    ids=[case for case, _, _ in BAD_APPS],
)
def test_bad_apps_entry_is_named_with_its_fix(apps_settings, apps, expected):
    assert problems_of({**apps_settings, "apps": apps}) == [expected]


def test_cores_may_be_written_as_a_bare_number(apps_settings):
    # As Kubernetes takes them: cpu: 1 and cpu: 0.5, unquoted.
    apps = {"umami": {"cpu": 1}, "hanko": {"cpu": 0.5}}

    config = parse_stack_config(
        {**apps_settings, "apps": apps}, today=TODAY, secret_keys=SECRETS
    )

    assert config.apps["umami"].cpu == "1"
    assert config.apps["hanko"].cpu == "0.5"


def test_apps_written_as_text_is_refused(apps_settings):
    assert problems_of({**apps_settings, "apps": "umami"}) == [
        "apps must be a map, not text: write it in the stack file as a YAML map"
    ]


@pytest.mark.parametrize(
    ("text", "millicores"),
    [("500m", 500), ("1", 1000), ("1.5", 1500), ("0.25", 250), ("1.2345", None)],
)
def test_cpu_quantities(text, millicores):
    assert cpu_millicores(text) == millicores


@pytest.mark.parametrize(
    ("text", "mib"), [("512Mi", 512), ("2Gi", 2048), ("1G", None), ("1.5Gi", None)]
)
def test_memory_quantities(text, mib):
    assert memory_mib(text) == mib
