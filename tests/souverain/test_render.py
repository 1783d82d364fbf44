"""The plan as text: the tree lists what is created first above what waits for it."""

from souverain.plan import Plan, PlannedResource
from souverain.render import render_plan

STACK = "urn:pulumi:dev::souverain::"


def resource(
    name: str, type_: str, parent: str | None = None, dependencies: tuple = ()
) -> PlannedResource:
    return PlannedResource(
        urn=f"{STACK}{type_}::{name}",
        type=type_,
        name=name,
        parent=parent,
        custom=not type_.startswith("souverain:"),
        inputs={},
        dependencies=dependencies,
    )


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if "─ " in line]


def test_siblings_are_listed_after_those_they_wait_for_then_by_name():
    cluster = resource("acme", "souverain:kubernetes:K3sCluster")
    addons = resource("acme", "souverain:kubernetes:ClusterAddons")
    ready = resource("ready", "test:index:Ready", parent=addons.urn)
    # Alphabetically first, but it waits for the readiness check.
    ccm = resource("a-ccm", "test:index:Release", addons.urn, (ready.urn,))
    rancher = resource("b-rancher", "test:index:Release", addons.urn, (ccm.urn,))
    admin = resource("admin", "test:index:Cert", parent=cluster.urn)
    # The add-ons wait for the cluster through a child: the components follow suit.
    ready = PlannedResource(**{**ready.__dict__, "dependencies": (admin.urn,)})
    plan = Plan("souverain", "dev", [addons, ccm, rancher, ready, cluster, admin])

    assert headings(render_plan(plan)) == [
        "├─ souverain:kubernetes:K3sCluster acme",
        "│  └─ test:Cert admin",
        "└─ souverain:kubernetes:ClusterAddons acme",
        "   ├─ test:Ready ready",
        "   ├─ test:Release a-ccm",
        "   └─ test:Release b-rancher",
    ]


def test_components_that_wait_on_each_other_keep_name_order():
    first = resource("a", "souverain:test:Part")
    second = resource("b", "souverain:test:Part")
    one_urn, two_urn = f"{STACK}test:index:Thing::one", f"{STACK}test:index:Thing::two"
    one = resource("one", "test:index:Thing", first.urn, (two_urn,))
    two = resource("two", "test:index:Thing", second.urn, (one_urn,))
    plan = Plan("souverain", "dev", [first, second, one, two])

    assert headings(render_plan(plan)) == [
        "├─ souverain:test:Part a",
        "│  └─ test:Thing one",
        "└─ souverain:test:Part b",
        "   └─ test:Thing two",
    ]


def test_a_multi_line_value_stays_on_its_resources_line():
    # Regression: OpenBao's chart takes its config file as one multi-line value,
    # which broke the tree over several lines.
    release = resource("acme-apps-openbao", "kubernetes:helm.sh/v3:Release")
    release = PlannedResource(**{**release.__dict__, "inputs": {"config": "a\nb"}})

    text = render_plan(Plan("souverain", "dev", [release]))

    assert "─ kubernetes:Release acme-apps-openbao  config=a\\nb\n" in text
    assert len(text.splitlines()) == 5
