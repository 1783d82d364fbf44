"""Waiting until an endpoint answers ready, as Pulumi dynamic resources.

A new cluster's API answers minutes after its servers exist (cloud-init installs
k3s), and Rancher's URL only once its certificate is issued. Each wait is a resource
that later ones depend on. It calls out in `create` alone, so `pulumi preview`, a
refresh or an unchanged `pulumi up` never waits and never touches the network; a new
URL or kubeconfig (a new cluster) replaces it, and so waits again.

The kubeconfig is secret and stays in the inputs: each `create` writes its CA and
client certificate to a private temporary folder for the length of the wait.
"""

import logging
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi.dynamic
import requests
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_before_delay,
    wait_exponential,
)

from components.bunny.unknowns import unknown_keys
from components.errors import SouverainError
from components.kubernetes.kubeconfig import (
    KubeconfigCredentials,
    kubeconfig_credentials,
    kubeconfig_problem,
)

DEFAULT_TIMEOUT_SECONDS = 15 * 60
# One request may take this long; a slow answer is as good as none.
REQUEST_TIMEOUT_SECONDS = 10.0
# Between attempts: 1 s, 2 s, 4 s... at most 15 s, so a ready endpoint is seen soon.
BACKOFF = wait_exponential(multiplier=1, max=15)
CLOUD_INIT_LOG = "/var/log/cloud-init-output.log"
# Inputs that mean another endpoint: a change waits again.
IDENTITY = ("target", "url", "kubeconfig")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """What is waited for: the path asked, the body that means ready, what to check."""

    what: str
    path: str
    ready_body: str
    hints: str
    """What to check when it never answers; `{host}` is the URL's host."""


TARGETS = {
    "kubernetes-api": Target(
        what="the Kubernetes API",
        path="/readyz",
        ready_body="ok",
        hints=(
            "that this machine's address is in allowedKubeApiCidrs (the firewall lets "
            "only those reach the API), the first control-plane server's console in "
            "the Hetzner Console, and its cloud-init log: `ssh root@{host} tail -n 100 "
            f"{CLOUD_INIT_LOG}`"
        ),
    ),
    "rancher": Target(
        what="Rancher",
        path="/ping",
        ready_body="pong",
        hints=(
            "that {host} resolves to the load balancer (`dig +short {host}`), that its "
            "certificate was issued (`kubectl -n cattle-system describe certificate "
            "tls-rancher-ingress`), and Traefik's log (`kubectl -n traefik logs "
            "daemonset/traefik`)"
        ),
    ),
}


class EndpointNotReadyError(SouverainError):
    """The endpoint did not answer ready in time, or refused the credentials."""


class _NotReadyYetError(Exception):
    """One attempt failed in a way that waiting may cure."""


def wait_until_ready(
    target: str,
    url: str,
    timeout_seconds: float,
    kubeconfig: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Ask `url` + the target's path until it answers ready, for `timeout_seconds`.

    Raises EndpointNotReadyError naming what was asked, for how long, the last error
    and what to check; a 401 or 403 fails at once, since waiting cannot cure it.
    """
    spec = TARGETS[target]
    probe_url = url.rstrip("/") + spec.path
    deadline = time.monotonic() + timeout_seconds
    retrying = Retrying(
        stop=stop_before_delay(timeout_seconds),
        wait=BACKOFF,
        retry=retry_if_exception_type(_NotReadyYetError),
        sleep=sleep,
        before_sleep=lambda state: logger.info(
            "%s at %s is not ready yet: %s", spec.what, url, state.outcome.exception()
        ),
    )
    credentials = kubeconfig_credentials(kubeconfig) if kubeconfig else None

    with tempfile.TemporaryDirectory(prefix="souverain-ready-") as folder:
        tls = _tls_options(credentials, Path(folder))
        try:
            retrying(_ask, spec, probe_url, tls, deadline)
        except RetryError as err:
            attempts = err.last_attempt.attempt_number
            raise EndpointNotReadyError(
                f"{spec.what} at {url} did not answer ready: GET {probe_url} failed "
                f"for {_duration(timeout_seconds)} ({attempts} "
                f"attempt{'' if attempts == 1 else 's'}), last error: "
                f"{err.last_attempt.exception()}. Check "
                f"{spec.hints.format(host=_host(url))}"
            ) from None


def _tls_options(
    credentials: KubeconfigCredentials | None, folder: Path
) -> dict[str, Any]:
    """requests' verify, cert and headers for the kubeconfig's CA and credentials."""
    if credentials is None:
        return {"verify": True}  # the system's CAs, e.g. for Let's Encrypt

    options: dict[str, Any] = {"verify": True, "headers": {}}
    if credentials.ca_pem:
        (folder / "ca.pem").write_bytes(credentials.ca_pem)
        options["verify"] = str(folder / "ca.pem")
    if credentials.client_cert_pem and credentials.client_key_pem:
        (folder / "client.pem").write_bytes(credentials.client_cert_pem)
        (folder / "client-key.pem").write_bytes(credentials.client_key_pem)
        options["cert"] = (str(folder / "client.pem"), str(folder / "client-key.pem"))
    if credentials.token:
        options["headers"]["Authorization"] = f"Bearer {credentials.token}"
    return options


def _ask(spec: Target, probe_url: str, tls: dict[str, Any], deadline: float) -> None:
    """One GET; raises _NotReadyYetError with a short reason unless ready."""
    timeout = max(1.0, min(REQUEST_TIMEOUT_SECONDS, deadline - time.monotonic()))
    try:
        answer = requests.get(probe_url, timeout=timeout, **tls)
    except requests.Timeout:
        raise _NotReadyYetError(f"no answer within {_duration(timeout)}") from None
    except requests.exceptions.SSLError as err:
        raise _NotReadyYetError(f"TLS failed: {_root_cause(err)}") from None
    except requests.ConnectionError as err:
        raise _NotReadyYetError(f"no connection: {_root_cause(err)}") from None

    body = answer.text.strip()
    if answer.status_code in (401, 403):
        raise EndpointNotReadyError(
            f"{spec.what} at {probe_url} refused the kubeconfig's credentials (HTTP "
            f"{answer.status_code}): pass the admin kubeconfig of this cluster"
        )
    if answer.status_code != 200 or body != spec.ready_body:
        raise _NotReadyYetError(f"HTTP {answer.status_code}: {body[:200]}")


def _root_cause(err: BaseException) -> str:
    """The innermost reason of a requests error, without urllib3's object reprs."""
    seen = err
    while True:
        inner = getattr(seen, "reason", None) or seen.__cause__
        if inner is None and seen.args and isinstance(seen.args[0], BaseException):
            inner = seen.args[0]
        if not isinstance(inner, BaseException) or inner is seen:
            break
        seen = inner
    if isinstance(seen, OSError) and seen.strerror:
        return seen.strerror
    return str(seen)


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _duration(seconds: float) -> str:
    if seconds >= 60:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


class ReadinessProvider(ResourceProvider):
    """Waits in `create`; everything else is bookkeeping without a request."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        pending = unknown_keys(news)
        failures = [
            CheckFailure(prop, reason)
            for prop, reason in _problems(news)
            if prop not in pending
        ]
        if "url" not in pending and not failures:
            news = {**news, "url": str(news["url"]).rstrip("/")}
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        pending = unknown_keys(news)
        replaces = [
            key for key in IDENTITY if key in pending or olds.get(key) != news.get(key)
        ]
        changed = olds.get("timeout_seconds") != news.get("timeout_seconds")
        return DiffResult(changes=bool(replaces or changed), replaces=replaces)

    def create(self, props: dict[str, Any]) -> CreateResult:
        wait_until_ready(
            props["target"],
            props["url"],
            float(props["timeout_seconds"]),
            props.get("kubeconfig"),
        )
        return CreateResult(f"{props['target']}-{uuid.uuid4().hex[:12]}", props)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # A refresh must not fail, nor wait, because the cluster is down right now.
        return ReadResult(id_, props)

    def update(
        self, _id: str, _olds: dict[str, Any], news: dict[str, Any]
    ) -> UpdateResult:
        return UpdateResult(news)  # only the timeout changed: nothing to wait for

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        pass  # a wait leaves nothing behind


def _problems(props: dict[str, Any]) -> list[tuple[str, str]]:
    """One (property, reason) per bad input."""
    problems = []
    target = props.get("target")
    if target not in TARGETS:
        problems.append(("target", f"'{target}' is not one of {sorted(TARGETS)}"))
    url = props.get("url")
    if not isinstance(url, str) or not url.startswith("https://"):
        problems.append(
            ("url", f"'{url}' is not an https:// URL: write e.g. https://10.0.0.2:6443")
        )
    timeout = props.get("timeout_seconds")
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or timeout <= 0
    ):
        problems.append(
            ("timeout_seconds", f"{timeout!r} is not a positive number of seconds")
        )
    kubeconfig = props.get("kubeconfig")
    if target == "kubernetes-api":
        problem = kubeconfig_problem(kubeconfig) if kubeconfig else "is missing"
        if problem:
            problems.append(("kubeconfig", f"the kubeconfig {problem}"))
    return problems


class ClusterReady(pulumi.dynamic.Resource, module="kubernetes", name="ClusterReady"):
    """Exists once the new cluster's API answers /readyz with its admin credentials."""

    def __init__(
        self,
        name: str,
        api_url: pulumi.Input[str],
        kubeconfig: pulumi.Input[str],
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(
            ReadinessProvider(),
            name,
            {
                "target": "kubernetes-api",
                "url": api_url,
                "kubeconfig": pulumi.Output.secret(kubeconfig),
                "timeout_seconds": timeout_seconds,
            },
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["kubeconfig"])
            ),
        )


class RancherReady(pulumi.dynamic.Resource, module="kubernetes", name="RancherReady"):
    """Exists once Rancher answers /ping over HTTPS with a publicly trusted cert."""

    def __init__(
        self,
        name: str,
        url: pulumi.Input[str],
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(
            ReadinessProvider(),
            name,
            {
                "target": "rancher",
                "url": url,
                "kubeconfig": None,
                "timeout_seconds": timeout_seconds,
            },
            opts,
        )
