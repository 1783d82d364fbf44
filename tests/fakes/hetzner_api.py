"""A fake Hetzner Cloud API on 127.0.0.1, held to Hetzner's own OpenAPI contract.

Requests are checked against the official spec before they touch any state: a path
the spec lacks answers 404, a method the path lacks 405, an operation the fake does
not serve 501, a missing or wrong token 401, and parameters or a body the operation
does not allow 422 `invalid_input` (hetzner_contract.py). Every body the fake sends
is then validated against the schema the spec gives for that operation and status:
a body that breaks it is answered with a 500 instead and kept in
`contract_violations`, which fail the test when the fake stops.

The fake keeps a whole project (hetzner_state.py): networks, firewalls, placement
groups, SSH keys, servers, primary IPs and load balancers, whose actions all succeed
at once, over a catalogue of locations, server types, images and load balancer types
(hetzner_catalog.py).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jsonschema import ValidationError

from tests.fakes.hetzner_actions import ActionRoutes
from tests.fakes.hetzner_catalog import (
    CatalogRoutes,
    api_deprecation,
    api_location,
    api_server_type,
    default_catalog,
)
from tests.fakes.hetzner_contract import (
    ERROR_SCHEMA_OPERATION,
    ApiError,
    Body,
    Call,
    error,
    load_contract,
)
from tests.fakes.hetzner_firewalls import FirewallRoutes
from tests.fakes.hetzner_listing import MAX_PER_PAGE
from tests.fakes.hetzner_load_balancers import LoadBalancerRoutes
from tests.fakes.hetzner_networks import NetworkRoutes
from tests.fakes.hetzner_server_parts import ServerPartRoutes
from tests.fakes.hetzner_servers import ServerRoutes
from tests.fakes.hetzner_state import NOW, HetznerState
from tests.fakes.openapi_paths import HTTP_METHODS
from tests.fakes.serving import LoopbackServer, ServedFake

__all__ = [
    "HTTP_METHODS",
    "NOW",
    "TOKEN",
    "FakeHetznerApi",
    "RecordedRequest",
    "api_deprecation",
    "api_location",
    "api_server_type",
    "load_contract",
]

API_PREFIX = "/v1"
# The Terraform provider behind pulumi-hcloud refuses, before any request, a token
# that is not 64 characters long (hcloud/provider.go): Pulumi runs pass one of those.
TOKEN = "fake-hcloud-token"

Handler = Callable[[Call], tuple[int, Any]]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, as the client sent it."""

    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    body: bytes = b""

    @property
    def json(self) -> Any:
        """The body parsed as JSON; None when there is none."""
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Reply:
    """What the fake answers, and the spec operation whose schema the body obeys."""

    status: int
    body: Body | None
    operation: tuple[str, str] = ERROR_SCHEMA_OPERATION


class _RequestHandler(BaseHTTPRequestHandler):
    server: LoopbackServer

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = RecordedRequest(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            authorization=self.headers.get("Authorization"),
            body=self.rfile.read(length),
        )
        status, payload, correlation_id = self.server.fake.respond(request)

        self.send_response(status)
        if payload:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Correlation-Id", correlation_id)
        self.end_headers()
        self.wfile.write(payload)

    # http.server hands a request to the method named do_<HTTP method>.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read `FakeHetznerApi.requests` instead."""


class FakeHetznerApi(ServedFake):
    """A Hetzner Cloud API on a free port of 127.0.0.1, for one test.

    Start it (or use it as a context manager) and point a client at `endpoint`.
    The project it keeps is `state` (see HetznerState: one dict of API bodies per
    kind, and out-of-band `set_labels`, `delete`, `remaining`, `is_empty`); its
    catalogue is `resources`, the project's own catalogue unless a test replaces a
    list in it. Every request received is in `requests`.
    """

    vendor = "Hetzner"

    def __init__(
        self, token: str = TOKEN, *, max_per_page: int = MAX_PER_PAGE, now: str = NOW
    ):
        self.token = token
        self.requests: list[RecordedRequest] = []
        self.contract = load_contract()
        self.state = HetznerState(default_catalog(now), now)
        self.state.max_per_page = max_per_page
        self.resources = self.state.catalog
        self._routes: dict[tuple[str, str], Handler] = {}
        for part in (
            CatalogRoutes(self.state),
            ActionRoutes(self.state),
            NetworkRoutes(self.state),
            FirewallRoutes(self.state),
            ServerPartRoutes(self.state),
            ServerRoutes(self.state),
            LoadBalancerRoutes(self.state),
        ):
            self._routes |= part.routes()
        self.serve(_RequestHandler)

    @property
    def endpoint(self) -> str:
        """The API's base URL, as hcloud.Client's api_endpoint takes it."""
        return f"{self.base_url}{API_PREFIX}"

    def respond(self, request: RecordedRequest) -> tuple[int, bytes, str]:
        """Record `request`; return the status, body and correlation id to send."""
        with self.state.lock:
            self.requests.append(request)
            correlation_id = f"fake-{len(self.requests):04d}"
            reply = self._handle(request)
            self.state.settle()
            try:
                self.contract.validate(reply.operation, reply.status, reply.body)
            except ValidationError as err:
                violation = (
                    f"{request.method} {request.path} -> {reply.status}: "
                    f"{err.message} (at {err.json_path})"
                )
                self.contract_violations.append(violation)
                reply = Reply(500, error("contract_violation", violation))
            payload = json.dumps(reply.body).encode() if reply.body is not None else b""
        return reply.status, payload, correlation_id

    def _handle(self, request: RecordedRequest) -> Reply:
        matched = None
        if request.path.startswith(f"{API_PREFIX}/"):
            matched = self.contract.match(request.path.removeprefix(API_PREFIX))
        if matched is None:
            return Reply(404, error("not_found", f"{request.path} not found"))

        template, path_values = matched
        method = request.method.lower()
        if method not in self.contract.methods(template):
            message = f"{request.method} is not allowed on {request.path}"
            return Reply(405, error("method_not_allowed", message))

        operation = (template, method)
        handler = self._routes.get(operation)
        if handler is None:
            message = (
                f"the fake Hetzner API does not serve {request.method} {template} "
                "yet: add a route to one of tests/fakes/hetzner_*.py"
            )
            return Reply(501, error("not_implemented", message), operation)

        if request.authorization != f"Bearer {self.token}":
            return Reply(
                401, error("unauthorized", "unable to authenticate"), operation
            )
        try:
            call = self.contract.parse(
                operation, path_values, request.query, request.body
            )
            status, body = handler(call)
        except ApiError as err:
            return Reply(err.status, err.body, operation)
        return Reply(status, body, operation)
