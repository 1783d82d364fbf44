"""The edge's names that point straight at the load balancer."""

from components.bunny.edge import direct_names, record_name


def test_extra_names_follow_the_built_in_ones_each_once():
    assert direct_names(["umami", "app", "hanko"]) == [
        "app",
        "api",
        "rancher",
        "umami",
        "hanko",
    ]


def test_record_names_are_keyed_by_label_not_position():
    assert [record_name(label, "A") for label in direct_names(["umami"])] == [
        "app-a",
        "api-a",
        "rancher-a",
        "umami-a",
    ]
