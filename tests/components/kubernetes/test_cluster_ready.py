"""The readiness waits against a local HTTPS server; the provider's other calls."""

import socket
from collections.abc import Iterator

import pytest
from pulumi.output import Unknown

from components.kubernetes.cluster_ready import (
    EndpointNotReadyError,
    ReadinessProvider,
    wait_until_ready,
)
from tests.components.kubernetes.https_api import (
    ADMIN_CN,
    HttpsApi,
    TestCa,
    kubeconfig_for,
    running,
)

provider = ReadinessProvider()
API_HINTS = (
    "Check that this machine's address is in allowedKubeApiCidrs (the firewall lets "
    "only those reach the API), the first control-plane server's console in the "
    "Hetzner Console, and its cloud-init log: `ssh root@127.0.0.1 tail -n 100 "
    "/var/log/cloud-init-output.log`"
)


def no_sleep(_seconds: float) -> None:
    pass


@pytest.fixture
def api() -> Iterator[HttpsApi]:
    yield from running(HttpsApi())


@pytest.fixture
def kubeconfig(api: HttpsApi) -> str:
    return kubeconfig_for(api.ca, api.ca.issue(ADMIN_CN, server=False), api.url)


def props(api: HttpsApi, kubeconfig: str, **changes) -> dict:
    base = {
        "target": "kubernetes-api",
        "url": api.url,
        "kubeconfig": kubeconfig,
        "timeout_seconds": 30.0,
    }
    return {**base, **changes}


def test_create_asks_readyz_with_the_admin_certificate_once_it_answers_ok(
    api, kubeconfig
):
    checked = provider.check({}, props(api, kubeconfig, url=api.url + "/"))
    assert checked.failures == []

    created = provider.create(checked.inputs)

    assert [(r.method, r.path, r.client_cn) for r in api.requests] == [
        ("GET", "/readyz", ADMIN_CN)
    ]
    assert created.id.startswith("kubernetes-api-")
    assert created.outs == props(api, kubeconfig)


def test_wait_asks_again_until_the_api_is_ready(api, kubeconfig):
    api.answers = [(503, "[-]etcd failed"), (200, "ok\n")]

    wait_until_ready("kubernetes-api", api.url, 30, kubeconfig, sleep=no_sleep)

    assert [r.path for r in api.requests] == ["/readyz", "/readyz"]


def test_wait_fails_after_its_bound_with_what_was_tried_and_what_to_check(
    api, kubeconfig
):
    api.answers = [(500, "[-]etcd failed")]

    with pytest.raises(EndpointNotReadyError) as caught:
        wait_until_ready("kubernetes-api", api.url, 0.2, kubeconfig)

    assert str(caught.value) == (
        f"the Kubernetes API at {api.url} did not answer ready: GET {api.url}/readyz "
        "failed for 0.2 seconds (1 attempt), last error: HTTP 500: [-]etcd failed. "
        + API_HINTS
    )


def test_wait_on_a_closed_port_reports_the_refused_connection(kubeconfig):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"https://127.0.0.1:{port}"

    with pytest.raises(EndpointNotReadyError) as caught:
        wait_until_ready("kubernetes-api", url, 0.2, kubeconfig)

    assert str(caught.value) == (
        f"the Kubernetes API at {url} did not answer ready: GET {url}/readyz failed "
        "for 0.2 seconds (1 attempt), last error: no connection: Connection refused. "
        + API_HINTS
    )


def test_wait_refuses_a_server_certificate_from_another_ca(api):
    stranger = TestCa()
    other = kubeconfig_for(stranger, stranger.issue(ADMIN_CN, server=False), api.url)

    with pytest.raises(EndpointNotReadyError) as caught:
        wait_until_ready("kubernetes-api", api.url, 0.2, other)

    assert "last error: TLS failed: [SSL: CERTIFICATE_VERIFY_FAILED]" in str(
        caught.value
    )
    assert api.requests == []  # the handshake failed: nothing was asked


def test_refused_credentials_fail_at_once_without_waiting(api, kubeconfig):
    api.answers = [(401, '{"kind":"Status","code":401}')]

    with pytest.raises(EndpointNotReadyError) as caught:
        wait_until_ready("kubernetes-api", api.url, 30, kubeconfig, sleep=no_sleep)

    assert str(caught.value) == (
        f"the Kubernetes API at {api.url}/readyz refused the kubeconfig's credentials "
        "(HTTP 401): pass the admin kubeconfig of this cluster"
    )
    assert len(api.requests) == 1


def test_rancher_wait_trusts_the_system_cas_and_sends_no_client_certificate(
    monkeypatch,
):
    with HttpsApi(require_client_cert=False, answers=[(200, "pong")]) as rancher:
        # Stands in for the system's CAs, which would trust Let's Encrypt.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", rancher.ca_file)

        wait_until_ready("rancher", rancher.url, 5, sleep=no_sleep)

    assert [(r.path, r.client_cn) for r in rancher.requests] == [("/ping", None)]


def test_rancher_wait_names_dns_certificate_and_traefik_to_check(monkeypatch):
    with HttpsApi(require_client_cert=False, answers=[(404, "404 page not found")]) as (
        rancher
    ):
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", rancher.ca_file)
        with pytest.raises(EndpointNotReadyError) as caught:
            wait_until_ready("rancher", rancher.url, 0.2)

    assert str(caught.value) == (
        f"Rancher at {rancher.url} did not answer ready: GET {rancher.url}/ping "
        "failed for 0.2 seconds (1 attempt), last error: HTTP 404: 404 page not "
        "found. Check that 127.0.0.1 resolves to the load balancer (`dig +short "
        "127.0.0.1`), that its certificate was issued (`kubectl -n cattle-system "
        "describe certificate tls-rancher-ingress`), and Traefik's log (`kubectl -n "
        "traefik logs daemonset/traefik`)"
    )


def test_check_reports_each_bad_input_once(api):
    checked = provider.check(
        {},
        {
            "target": "kubernetes-api",
            "url": "http://10.0.0.2:6443",
            "kubeconfig": "clusters: []",
            "timeout_seconds": 0,
        },
    )

    assert [(f.property, f.reason) for f in checked.failures] == [
        (
            "url",
            "'http://10.0.0.2:6443' is not an https:// URL: write e.g. "
            "https://10.0.0.2:6443",
        ),
        ("timeout_seconds", "0 is not a positive number of seconds"),
        ("kubeconfig", "the kubeconfig has no current-context, nor a single context"),
    ]


def test_check_lets_values_a_preview_cannot_know_pass(api):
    pending = props(api, Unknown(), url=Unknown())

    assert provider.check({}, pending).failures == []


def test_a_new_url_or_kubeconfig_waits_again_a_new_timeout_does_not(api, kubeconfig):
    old = props(api, kubeconfig)

    assert provider.diff("id", old, {**old}).changes is False
    assert provider.diff(
        "id", old, {**old, "url": "https://10.0.0.3:6443"}
    ).replaces == ["url"]
    assert provider.diff("id", old, {**old, "kubeconfig": Unknown()}).replaces == [
        "kubeconfig"
    ]
    longer = provider.diff("id", old, {**old, "timeout_seconds": 60.0})
    assert (longer.changes, longer.replaces) == (True, [])


def test_read_update_and_delete_never_call_out(api, kubeconfig):
    current = props(api, kubeconfig)

    assert provider.read("kubernetes-api-1", current).outs == current
    assert provider.update("kubernetes-api-1", current, current).outs == current
    provider.delete("kubernetes-api-1", current)
    assert api.requests == []
