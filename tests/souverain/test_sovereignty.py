"""The sovereignty report over whole plans: the built-in stacks, and plans that fail."""

from pathlib import Path

import pytest

from souverain.plan import UNKNOWN, Plan, PlannedResource, plan_stack
from souverain.sovereignty import sovereignty_report
from souverain.state_backend import BackendSetting

REPO = Path(__file__).resolve().parents[2]
EU_BACKEND = BackendSetting("file:///srv/state", "PULUMI_BACKEND_URL")
BUCKET = "pulumi-python:dynamic/s3:Bucket"


def planned(type_token: str, name: str, custom: bool = True, **inputs):
    """A resource as the offline plan records it."""
    urn = f"urn:pulumi:test::souverain::{type_token}::{name}"
    return PlannedResource(urn, type_token, name, None, custom, inputs, ())


def small_plan(stack: str = "dev", location: str = "fsn1") -> Plan:
    """A server, its firewall, a Kubernetes secret on it, a password and a component."""
    return Plan(
        "souverain",
        stack,
        [
            planned("acme:web:Site", "acme-site", custom=False),
            planned("hcloud:index/server:Server", "acme-web-1", location=location),
            planned("hcloud:index/firewall:Firewall", "acme-web", rules=[]),
            planned("kubernetes:core/v1:Secret", "acme-env", stringData="[secret]"),
            planned("random:index/randomPassword:RandomPassword", "acme-pw", length=32),
        ],
    )


@pytest.mark.parametrize(
    ("stack", "verdict"),
    [
        ("dev", "sovereignty: 46 resources, all in the EU (DE) — passed\n"),
        ("prod", "sovereignty: 167 resources, all in the EU (DE, FR, SI) — passed\n"),
        (
            "hank-parts",
            "sovereignty: 174 resources, all in the EU (DE, FR, NL, SE, SI) — passed\n",
        ),
    ],
)
def test_the_built_in_stacks_pass_every_rule(stack, verdict):
    report = sovereignty_report(plan_stack(stack, REPO), EU_BACKEND)

    assert report.violations == []
    assert report.verdict() == verdict


def test_every_row_says_who_holds_the_resource_and_where_its_data_is():
    report = sovereignty_report(small_plan(), EU_BACKEND)

    assert [(r.name, r.provider, r.jurisdiction, r.location) for r in report.rows] == [
        ("acme-site", "acme", "nobody (a component)", "—"),
        ("acme-web-1", "hcloud", "Hetzner Online GmbH (DE)", "fsn1 (Falkenstein, DE)"),
        ("acme-web", "hcloud", "Hetzner Online GmbH (DE)", "Hetzner's Cloud API (DE)"),
        (
            "acme-env",
            "kubernetes",
            "own k3s cluster at Hetzner Online GmbH (DE)",
            "the cluster's servers: fsn1 (Falkenstein, DE)",
        ),
        (
            "acme-pw",
            "random",
            "nobody (computed locally, kept in the state)",
            "the Pulumi state",
        ),
    ]
    assert report.countries == ("DE",)


def test_a_server_outside_the_eu_fails_the_report():
    report = sovereignty_report(small_plan(location="ash"), EU_BACKEND)

    assert not report.passed
    assert report.verdict() == (
        "sovereignty: 1 violation — failed\n"
        "  - [eu-locations] acme-web-1: location 'ash' is outside the EU; use fsn1, "
        "hel1 or nbg1\n"
    )
    assert report.rows[1].location == "ash (Ashburn, VA, US)"
    assert report.rows[3].location == "the cluster's servers: ash (Ashburn, VA, US)"


def test_an_unknown_provider_and_a_us_backend_fail_together():
    plan = Plan(
        "souverain",
        "dev",
        [planned("aws:s3/bucket:Bucket", "acme-logs", bucket="acme-logs")],
    )
    backend = BackendSetting("https://api.pulumi.com", "PULUMI_BACKEND_URL")

    report = sovereignty_report(plan, backend)

    assert [(v.rule, v.resource) for v in report.violations] == [
        ("eu-providers", "acme-logs"),
        ("state-backend-not-us-saas", "state backend"),
    ]
    assert report.rows[0].jurisdiction == "unknown"
    assert report.rows[0].location == "unknown"


def test_the_text_table_lists_each_resource_then_the_backend_and_the_verdict():
    text = sovereignty_report(small_plan(), EU_BACKEND).render_text()

    lines = text.splitlines()
    assert lines[0].split() == ["resource", "type", "held", "by", "data", "location"]
    assert lines[2] == (
        "acme-web-1  hcloud:Server          Hetzner Online GmbH (DE)"
        "                      fsn1 (Falkenstein, DE)"
    )
    assert lines[-3:] == [
        "state backend: file:///srv/state: this machine's disk (from "
        "PULUMI_BACKEND_URL)",
        "",
        "sovereignty: 5 resources, all in the EU (DE) — passed",
    ]


def test_markdown_for_a_pull_request_lists_violations_then_every_resource():
    plan = small_plan(location="ash")
    plan.resources.append(
        planned("pulumi-python:dynamic/bunny:PullZone", "acme-cdn", force_ssl=False)
    )

    markdown = sovereignty_report(plan, EU_BACKEND).render_markdown()

    assert markdown == (
        "### Sovereignty of `dev`: failed\n"
        "\n"
        "| rule | resource | problem and fix |\n"
        "| --- | --- | --- |\n"
        "| eu-locations | `acme-web-1` | location 'ash' is outside the EU; use fsn1, "
        "hel1 or nbg1 |\n"
        "| cdn-forces-tls | `acme-cdn` | force_ssl is false, so the CDN also serves "
        "plain HTTP; leave force_ssl out (it defaults to true) or set it to true |\n"
        "\n"
        "State backend: file:///srv/state: this machine's disk (from "
        "PULUMI_BACKEND_URL)\n"
        "\n"
        "| provider | held by | resources |\n"
        "| --- | --- | ---: |\n"
        "| acme | nobody (a component) | 1 |\n"
        "| bunny | BunnyWay d.o.o. (SI) | 1 |\n"
        "| hcloud | Hetzner Online GmbH (DE) | 2 |\n"
        "| kubernetes | own k3s cluster at Hetzner Online GmbH (DE) | 1 |\n"
        "| random | nobody (computed locally, kept in the state) | 1 |\n"
        "\n"
        "<details><summary>Every resource</summary>\n"
        "\n"
        "| resource | type | data location |\n"
        "| --- | --- | --- |\n"
        "| `acme-site` | `acme:Site` | — |\n"
        "| `acme-web-1` | `hcloud:Server` | ash (Ashburn, VA, US) |\n"
        "| `acme-web` | `hcloud:Firewall` | Hetzner's Cloud API (DE) |\n"
        "| `acme-env` | `kubernetes:Secret` | the cluster's servers: ash (Ashburn, VA, "
        "US) |\n"
        "| `acme-pw` | `random:RandomPassword` | the Pulumi state |\n"
        "| `acme-cdn` | `bunny:PullZone` | bunny.net's edge, worldwide (cached public "
        "copies) |\n"
        "\n"
        "</details>\n"
    )


def test_markdown_of_a_passing_plan_says_so_in_one_line():
    markdown = sovereignty_report(small_plan(), EU_BACKEND).render_markdown()

    assert markdown.startswith(
        "### Sovereignty of `dev`: passed\n\n5 resources, all in the EU (DE).\n"
    )


def test_unknown_inputs_fail_rather_than_pass_unchecked():
    plan = small_plan(location=UNKNOWN)

    (violation,) = sovereignty_report(plan, EU_BACKEND).violations

    assert str(violation) == (
        "acme-web-1: location is only known after apply; set it to fsn1, hel1 or nbg1"
    )


def test_without_a_backend_the_report_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PULUMI_BACKEND_URL", "gs://acme-state")

    report = sovereignty_report(small_plan(), project_dir=REPO)

    assert report.backend == (
        "gs://acme-state: Google Cloud Storage, run by Google LLC under US law (from "
        "PULUMI_BACKEND_URL)"
    )
    assert [v.rule for v in report.violations] == ["state-backend-not-us-saas"]


def test_a_bucket_is_held_by_whoever_runs_its_endpoint():
    plan = Plan(
        "souverain",
        "dev",
        [
            planned(BUCKET, "local-bucket", endpoint="http://127.0.0.1:9000"),
            planned(BUCKET, "scw-bucket", endpoint="https://s3.pl-waw.scw.cloud"),
            planned(BUCKET, "far-bucket", endpoint="https://s3.us-east-1.example"),
        ],
    )

    report = sovereignty_report(plan, EU_BACKEND)

    assert [(r.jurisdiction, r.location) for r in report.rows] == [
        ("nobody (a store on the machine running Pulumi)", "this machine (127.0.0.1)"),
        ("Scaleway SAS (FR)", "pl-waw (PL) Object Storage"),
        ("unknown", "https://s3.us-east-1.example"),
    ]
    # The endpoint is the finding; its unknown holder is not reported twice.
    assert [(v.rule, v.resource) for v in report.violations] == [
        ("eu-locations", "far-bucket")
    ]
