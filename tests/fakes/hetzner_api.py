"""A fake Hetzner Cloud API on 127.0.0.1, held to Hetzner's own OpenAPI contract.

Every body the fake sends is first validated against the schema the official spec
gives for that path, method and status, so the fake cannot drift from the real API
unnoticed: a body that breaks the contract is answered with a 500 instead, and kept in
`contract_violations`, which fail the test when the fake stops.

It serves GET /v1/locations and GET /v1/server_types, paginated as the API paginates.
To fake another endpoint, add its spec path, method and handler to `_routes()`.
Operations the spec has and the fake lacks answer 501, so a missing route is plain.
"""

import datetime as dt
import functools
import json
import math
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import referencing
import referencing.jsonschema
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from tests.fakes.serving import SHARED_SPECS, LoopbackServer, ServedFake, read_spec

# Hetzner publishes the spec at https://docs.hetzner.cloud/cloud.spec.json.
SPEC_FILE = Path(
    os.environ.get("HETZNER_CLOUD_SPEC", SHARED_SPECS / "hetzner-cloud/cloud.spec.json")
)
SPEC_URI = "urn:souverain:hetzner-cloud-spec"
API_PREFIX = "/v1"
TOKEN = "fake-hcloud-token"
# The API's defaults: 25 entries per page, never more than 50 whatever is asked.
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 50
# Every operation in the spec shares one error schema; requests the spec has no
# operation for (404, 405) are held to this operation's.
ERROR_SCHEMA_OPERATION = ("/locations", "get")
# The keys of an OpenAPI path item that name operations (others are parameters etc.).
HTTP_METHODS = frozenset(
    {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
)

Body = dict[str, Any]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, as the client sent it."""

    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    body: bytes = b""


@dataclass(frozen=True)
class Reply:
    """What a handler answers, and the spec operation whose schema the body obeys."""

    status: int
    body: Body
    operation: tuple[str, str] = ERROR_SCHEMA_OPERATION


Handler = Callable[[RecordedRequest], Reply]


def _pointer_token(text: str) -> str:
    """Escape one JSON Pointer token (RFC 6901)."""
    return text.replace("~", "~0").replace("/", "~1")


_formats = FormatChecker(formats=())


@_formats.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339: a date, a time and an offset, as in 2023-06-01T00:00:00Z."""
    if not isinstance(value, str):
        return True
    return "T" in value and dt.datetime.fromisoformat(value).tzinfo is not None


class Contract:
    """The operations and response schemas of the official Cloud API spec."""

    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        # The spec is OpenAPI 3.1, whose schemas are JSON Schema 2020-12; registering
        # the whole document lets a schema's $ref point anywhere inside it.
        resource = referencing.Resource.from_contents(
            spec, default_specification=referencing.jsonschema.DRAFT202012
        )
        self._registry = referencing.Registry().with_resource(SPEC_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}
        self._templates = [
            (template, _template_pattern(template))
            for template in sorted(spec["paths"], key=lambda t: (t.count("{"), t))
        ]

    def match(self, path: str) -> str | None:
        """The spec's path template for `path` (/servers/42 -> /servers/{id})."""
        for template, pattern in self._templates:
            if pattern.fullmatch(path):
                return template
        return None

    def methods(self, template: str) -> set[str]:
        """The lowercase HTTP methods the spec has operations for on `template`."""
        return set(self.spec["paths"][template]) & HTTP_METHODS

    def validate(self, operation: tuple[str, str], status: int, body: Body) -> None:
        """Raise ValidationError when `body` breaks the schema for this response."""
        template, method = operation
        responses = self.spec["paths"][template][method]["responses"]
        keys = [str(status), f"{status // 100}xx", "default"]
        key = next((k for k in keys if k in responses), None)
        if key is None:
            raise ValidationError(
                f"the spec gives no {status} response for {method.upper()} {template}"
            )

        pointer = "/".join(
            [
                "",
                "paths",
                _pointer_token(template),
                method,
                "responses",
                key,
                "content",
                _pointer_token("application/json"),
                "schema",
            ]
        )
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator(
                {"$ref": f"{SPEC_URI}#{quote(pointer, safe='/~')}"},
                registry=self._registry,
                format_checker=_formats,
            )
        self._validators[pointer].validate(body)


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    )


@functools.cache
def load_contract(spec_file: Path = SPEC_FILE) -> Contract:
    """The contract in `spec_file`, read once per test session."""
    spec = read_spec(
        spec_file,
        "Hetzner Cloud OpenAPI",
        "https://docs.hetzner.cloud/cloud.spec.json",
        "HETZNER_CLOUD_SPEC",
    )
    return Contract(spec)


def error(code: str, message: str, details: Body | None = None) -> Body:
    """An error body in the API's format."""
    return {"error": {"code": code, "message": message, "details": details}}


def api_deprecation(announced: str, unavailable_after: str) -> Body:
    """A deprecation as the API writes one, dates such as 2026-01-01T00:00:00Z."""
    return {"announced": announced, "unavailable_after": unavailable_after}


def api_location(
    location_id: int,
    name: str,
    *,
    city: str,
    country: str,
    network_zone: str,
    description: str,
    latitude: float = 0.0,
    longitude: float = 0.0,
) -> Body:
    """A location as GET /locations lists it."""
    return {
        "id": location_id,
        "name": name,
        "description": description,
        "country": country,
        "city": city,
        "latitude": latitude,
        "longitude": longitude,
        "network_zone": network_zone,
    }


def api_server_type(
    server_type_id: int,
    name: str,
    *,
    cores: int,
    memory: float,
    disk: float,
    cpu_type: str,
    architecture: str,
    locations: Iterable[Body],
    deprecations: dict[str, Body] | None = None,
) -> Body:
    """A server type as GET /server_types lists it, offered in `locations`.

    `deprecations` maps a location name to its deprecation (see `api_deprecation`).
    """
    deprecations = deprecations or {}
    locations = list(locations)
    price = {"net": "0.0100", "gross": "0.0119"}
    return {
        "id": server_type_id,
        "name": name,
        "description": name.upper(),
        "cores": cores,
        "memory": memory,
        "disk": disk,
        # The type-wide fields only serve old clients since deprecation became per
        # location (changelog of 2025-09-24).
        "deprecated": False,
        "deprecation": None,
        "prices": [
            {
                "location": location["name"],
                "price_hourly": price,
                "price_monthly": price,
                "included_traffic": 21990232555520,
                "price_per_tb_traffic": price,
            }
            for location in locations
        ],
        "storage_type": "local",
        "cpu_type": cpu_type,
        "architecture": architecture,
        "locations": [
            {
                "id": location["id"],
                "name": location["name"],
                "deprecation": deprecations.get(location["name"]),
                "available": True,
                "recommended": False,
            }
            for location in locations
        ],
    }


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

    Fill `resources` with API objects (see `api_location`, `api_server_type`), start
    it (or use it as a context manager), point a client at `endpoint`, then read the
    requests it received in `requests`.
    """

    vendor = "Hetzner"

    def __init__(self, token: str = TOKEN, *, max_per_page: int = MAX_PER_PAGE):
        self.token = token
        self.max_per_page = max_per_page
        self.resources: dict[str, list[Body]] = {"locations": [], "server_types": []}
        self.requests: list[RecordedRequest] = []
        self.contract = load_contract()
        self._lock = threading.Lock()
        self.serve(_RequestHandler)

    @property
    def endpoint(self) -> str:
        """The API's base URL, as hcloud.Client's api_endpoint takes it."""
        return f"{self.base_url}{API_PREFIX}"

    def _routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("/locations", "get"): self._list("locations"),
            ("/server_types", "get"): self._list("server_types"),
        }

    def respond(self, request: RecordedRequest) -> tuple[int, bytes, str]:
        """Record `request`; return the status, body and correlation id to send."""
        with self._lock:
            self.requests.append(request)
            correlation_id = f"fake-{len(self.requests):04d}"

        reply = self._handle(request)
        try:
            self.contract.validate(reply.operation, reply.status, reply.body)
        except ValidationError as err:
            violation = (
                f"{request.method} {request.path} -> {reply.status}: {err.message} "
                f"(at {err.json_path})"
            )
            with self._lock:
                self.contract_violations.append(violation)
            reply = Reply(500, error("contract_violation", violation))
        return reply.status, json.dumps(reply.body).encode(), correlation_id

    def _handle(self, request: RecordedRequest) -> Reply:
        template = None
        if request.path.startswith(f"{API_PREFIX}/"):
            template = self.contract.match(request.path.removeprefix(API_PREFIX))
        if template is None:
            return Reply(404, error("not_found", f"{request.path} not found"))

        method = request.method.lower()
        if method not in self.contract.methods(template):
            return Reply(
                405,
                error(
                    "method_not_allowed",
                    f"{request.method} is not allowed on {request.path}",
                ),
            )

        operation = (template, method)
        handler = self._routes().get(operation)
        if handler is None:
            message = (
                f"the fake Hetzner API does not serve {request.method} {template} "
                "yet: add a route to tests/fakes/hetzner_api.py"
            )
            return Reply(501, error("not_implemented", message), operation)

        if request.authorization != f"Bearer {self.token}":
            return Reply(
                401, error("unauthorized", "unable to authenticate"), operation
            )
        return handler(request)

    def _list(self, key: str) -> Handler:
        """A handler listing `resources[key]` page by page, as the API does."""

        def handler(request: RecordedRequest) -> Reply:
            operation = (f"/{key}", "get")
            problems = {
                name: ["is not supported by the fake yet"]
                for name in request.query
                if name not in ("page", "per_page")
            }
            page = _positive_int(request.query, "page", 1, problems)
            per_page = _positive_int(
                request.query, "per_page", DEFAULT_PER_PAGE, problems
            )
            if problems:
                fields = [
                    {"name": name, "messages": messages}
                    for name, messages in sorted(problems.items())
                ]
                body = error("invalid_input", "invalid query", {"fields": fields})
                return Reply(400, body, operation)

            per_page = min(per_page, self.max_per_page)
            items = self.resources[key]
            last_page = max(1, math.ceil(len(items) / per_page))
            start = (page - 1) * per_page
            pagination = {
                "page": page,
                "per_page": per_page,
                "previous_page": page - 1 if page > 1 else None,
                "next_page": page + 1 if page < last_page else None,
                "last_page": last_page,
                "total_entries": len(items),
            }
            body = {
                key: items[start : start + per_page],
                "meta": {"pagination": pagination},
            }
            return Reply(200, body, operation)

        return handler


def _positive_int(
    query: dict[str, list[str]],
    name: str,
    default: int,
    problems: dict[str, list[str]],
) -> int:
    """The query parameter `name` as a positive integer; notes a problem if not."""
    values = query.get(name)
    if not values:
        return default
    if not values[-1].isdigit() or int(values[-1]) < 1:
        problems[name] = ["must be a positive integer"]
        return default
    return int(values[-1])
