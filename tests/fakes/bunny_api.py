"""A fake bunny.net Core API on 127.0.0.1, held to bunny.net's own OpenAPI contract.

Requests are checked against the official spec before they touch any state: a path
the spec lacks answers 404, a method the path lacks 405, a missing or wrong
`AccessKey` 401, and a query parameter or body the operation does not allow 400, all
in bunny.net's error format (`ErrorKey`, `Field`, `Message`). Every body the fake
sends is then validated against the schema the spec gives for that operation and
status: a body that breaks it is answered with a 500 instead and kept in
`contract_violations`, which fail the test when the fake stops.

It keeps DNS zones with their records, pull zones with their hostnames, and storage
zones (tests/fakes/bunny_state.py). A test can queue faults that are answered before
any of this (`FakeBunnyApi.fail`) and read every request received in `requests`.
"""

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.bunny_contract import ApiError, RefusalError, error, load_contract
from tests.fakes.bunny_state import BunnyState
from tests.fakes.serving import LoopbackServer, ServedFake

ACCESS_KEY = "fake-bunny-access-key"
# The time the fake writes into dates, fixed so that tests can compare whole bodies.
NOW = "2026-12-03T12:00:00Z"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received; equal when method, path, query, json and key
    are, so a test can compare the whole list against the calls it expects."""

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    json: Any = None
    access_key: str | None = ACCESS_KEY
    # Which other headers a client library adds is its own business.
    headers: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    body: bytes = field(default=b"", compare=False, repr=False)
    received_at: float = field(default=0.0, compare=False, repr=False)


@dataclass(frozen=True)
class Fault:
    """An answer a test queued, sent instead of handling the next request."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass(frozen=True)
class Reply:
    """What the fake answers, and the operation whose responses it must match.

    Without an operation (the request was refused before one ran) an error body is
    held to `ApiErrorData`.
    """

    status: int
    body: Any = None
    operation: tuple[str, str] | None = None


class _RequestHandler(BaseHTTPRequestHandler):
    server: LoopbackServer

    def _serve(self) -> None:
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        request = RecordedRequest(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            json=parsed,
            access_key=self.headers.get("AccessKey"),
            headers=dict(self.headers.items()),
            body=raw,
            received_at=time.monotonic(),
        )
        status, headers, payload = self.server.fake.respond(request)

        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if payload and "Content-Type" not in headers:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    # http.server hands a request to the method named do_<HTTP method>.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read `FakeBunnyApi.requests` instead."""


class FakeBunnyApi(ServedFake):
    """A bunny.net Core API on a free port of 127.0.0.1, for one test.

    Start it (or use it as a context manager), point a client at `endpoint`, then
    read the requests it received in `requests` and the zones it keeps in
    `dns_zones`, `pull_zones` and `storage_zones` (API bodies by Id).
    """

    vendor = "bunny.net"

    def __init__(self, access_key: str = ACCESS_KEY, *, now: str = NOW):
        self.access_key = access_key
        self.requests: list[RecordedRequest] = []
        self.faults: deque[Fault] = deque()
        self.contract = load_contract()
        self.state = BunnyState(self.contract, now)
        self.dns_zones = self.state.dns_zones
        self.pull_zones = self.state.pull_zones
        self.storage_zones = self.state.storage_zones
        self._routes = self.state.routes()
        self._lock = threading.Lock()
        self.serve(_RequestHandler)

    @property
    def endpoint(self) -> str:
        """The API's base URL, in place of https://api.bunny.net."""
        return self.base_url

    def fail(
        self,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests with `status` before handling any.

        `body` goes out as JSON, or as it is when bytes; faults are the test's own
        words and are not held to the spec.
        """
        self.faults.extend([Fault(status, headers or {}, body)] * times)

    def respond(self, request: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        """Record `request`; return the status, headers and body to send."""
        with self._lock:
            self.requests.append(request)
            if self.faults:
                fault = self.faults.popleft()
                return fault.status, fault.headers, _encode(fault.body)

            reply = self._reply(request)
            problem = self.contract.response_problem(
                reply.operation, reply.status, reply.body
            )
            if problem is not None:
                violation = f"{request.method} {request.path} -> {reply.status}: "
                violation += problem
                self.contract_violations.append(violation)
                reply = Reply(500, error("contract_violation", None, violation))
            return reply.status, {}, _encode(reply.body)

    def _reply(self, request: RecordedRequest) -> Reply:
        matched = self.contract.match(request.path)
        if matched is None:
            message = f"{request.path} is not a path of the bunny.net Core API"
            return Reply(404, error("not_found", None, message))
        template, path_values = matched
        method = request.method.lower()
        if method not in self.contract.methods(template):
            message = f"{request.method} is not allowed on {request.path}"
            return Reply(405, error("method_not_allowed", None, message))

        operation = (template, method)
        if request.access_key != self.access_key:
            # The spec's own words for every 401.
            message = "The request authorization failed"
            return Reply(401, error("unauthorized", None, message), operation)

        handler = self._routes.get(operation)
        if handler is None:
            message = (
                f"the fake bunny.net API does not serve {request.method} {template} "
                "yet: add a route to tests/fakes/bunny_state.py"
            )
            return Reply(501, error("not_implemented", None, message))

        try:
            call = self.contract.parse(
                operation, path_values, request.query, request.body
            )
            status, body = handler(call)
        except RefusalError as err:
            return Reply(err.status, err.body)
        except ApiError as err:
            return Reply(err.status, err.body, operation)
        return Reply(status, body, operation)


def _encode(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    return json.dumps(body).encode()
