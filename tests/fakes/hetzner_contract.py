"""Hetzner's Cloud API contract, read from the official OpenAPI spec, for the fake.

`Contract` finds the operation for a path and method, types and checks its path and
query parameters and its JSON body against the spec, and says what is wrong with a
response body. A request the spec refuses raises `ApiError` in Hetzner's error format:
`invalid_input` with one entry per bad field, or `json_error` for a body that is not
JSON, with the statuses of the spec's table of error codes.

Where clients send what the API takes but the spec does not say, the request is
first relaxed as hetzner_relaxations.py lists, each case with the client code that
sends it.
"""

import datetime as dt
import functools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import referencing
import referencing.jsonschema
from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from tests.fakes.hetzner_relaxations import (
    BORROWED_QUERY_PARAMETERS,
    drop_echoed,
    relaxed,
)
from tests.fakes.openapi_paths import PathIndex
from tests.fakes.serving import SHARED_SPECS, read_spec

# Hetzner publishes the spec at https://docs.hetzner.cloud/cloud.spec.json.
SPEC_FILE = Path(
    os.environ.get("HETZNER_CLOUD_SPEC", SHARED_SPECS / "hetzner-cloud/cloud.spec.json")
)
SPEC_URI = "urn:souverain:hetzner-cloud-spec"
# Every operation in the spec shares one error schema; requests the spec has no
# operation for (404, 405) are held to this operation's.
ERROR_SCHEMA_OPERATION = ("/locations", "get")
# The statuses the spec's table of error codes gives these codes.
INVALID_INPUT_STATUS = 422
JSON_ERROR_STATUS = 400

Body = dict[str, Any]


def error(code: str, message: str, details: Body | None = None) -> Body:
    """An error body in the API's format."""
    return {"error": {"code": code, "message": message, "details": details}}


class ApiError(Exception):
    """An answer in Hetzner's error format, raised by checks and handlers."""

    def __init__(
        self, status: int, code: str, message: str, details: Body | None = None
    ):
        super().__init__(message)
        self.status = status
        self.body = error(code, message, details)


def invalid_input(problems: dict[str, list[str]]) -> ApiError:
    """`invalid_input` naming every bad field, as the spec's example writes it."""
    names = sorted(problems)
    if len(names) == 1:
        message = f"invalid input in field '{names[0]}': {problems[names[0]][0]}"
    else:
        message = "invalid input in fields " + ", ".join(f"'{n}'" for n in names)
    fields = [{"name": name, "messages": problems[name]} for name in names]
    return ApiError(INVALID_INPUT_STATUS, "invalid_input", message, {"fields": fields})


def not_found(kind: str, resource_id: Any) -> ApiError:
    """404 `not_found` for a resource such as ("server", 42)."""
    return ApiError(404, "not_found", f"{kind} with ID {resource_id} not found")


@dataclass(frozen=True)
class Call:
    """A request that passed the contract: its parameters typed as the spec says."""

    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None


_formats = FormatChecker(formats=())


@_formats.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339: a date, a time and an offset, as in 2023-06-01T00:00:00Z."""
    if not isinstance(value, str):
        return True
    return "T" in value and dt.datetime.fromisoformat(value).tzinfo is not None


def _pointer(*parts: str | int) -> str:
    """A JSON Pointer (RFC 6901) to `parts`."""
    tokens = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "".join(f"/{token}" for token in tokens)


class Contract(PathIndex):
    """The operations, parameters and schemas of the official Cloud API spec."""

    def __init__(self, spec: dict[str, Any]):
        super().__init__(spec)
        # The spec is OpenAPI 3.1, whose schemas are JSON Schema 2020-12; registering
        # the whole document lets a schema's $ref point anywhere inside it.
        resource = referencing.Resource.from_contents(
            spec, default_specification=referencing.jsonschema.DRAFT202012
        )
        self._registry = referencing.Registry().with_resource(SPEC_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}

    def parse(
        self,
        operation: tuple[str, str],
        path_values: dict[str, str],
        query: dict[str, list[str]],
        raw_body: bytes,
    ) -> Call:
        """The request as the operation allows it; raise ApiError otherwise."""
        problems: dict[str, list[str]] = {}
        params: dict[str, Any] = {}
        declared = self._parameters(operation)
        for name in sorted(set(query) - {p["name"] for p, _ in declared}):
            problems[name] = [f"is not a parameter of {_where(operation)}"]

        for param, pointer in declared:
            name = param["name"]
            if param["in"] == "path":
                raw: list[str] | None = [path_values[name]]
            else:
                raw = query.get(name)
            if raw is None:
                if param.get("required"):
                    problems[name] = ["is required"]
                continue
            try:
                value = _typed(raw, param["schema"])
            except ValueError as err:
                problems[name] = [str(err)]
                continue
            messages = self._messages(pointer, value, name)
            if messages:
                problems |= messages
            else:
                params[name] = value

        body = self._body(operation, raw_body, problems)
        if problems:
            raise invalid_input(problems)
        return Call(params, body)

    def _parameters(self, operation: tuple[str, str]) -> list[tuple[Body, str]]:
        """Each parameter the operation takes, with a pointer to its schema."""
        found: list[tuple[Body, str]] = []
        sources = [operation, BORROWED_QUERY_PARAMETERS.get(operation)]
        for template, method in filter(None, sources):
            spec = self.spec["paths"][template][method]
            for index, param in enumerate(spec.get("parameters", [])):
                if any(param["name"] == known["name"] for known, _ in found):
                    continue
                where = ("paths", template, method, "parameters", index, "schema")
                found.append((param, _pointer(*where)))
        return found

    def _body(
        self, operation: tuple[str, str], raw: bytes, problems: dict[str, list[str]]
    ) -> Any:
        template, method = operation
        request_body = self.spec["paths"][template][method].get("requestBody")
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError as err:
            message = f"syntax error: {err}"
            raise ApiError(JSON_ERROR_STATUS, "json_error", message) from None
        if request_body is None:
            # hcloud-go sends nothing to actions without a body, hcloud-python may
            # send {}: both are an empty request.
            if body not in (None, {}):
                problems["body"] = [f"{_where(operation)} takes no body"]
            return None
        if body is None:
            if request_body.get("required"):
                message = f"{_where(operation)} needs a JSON body"
                raise ApiError(JSON_ERROR_STATUS, "json_error", message)
            return None

        checked = relaxed(operation, body)
        content = ("content", "application/json", "schema")
        pointer = _pointer("paths", template, method, "requestBody", *content)
        problems |= self._messages(pointer, checked, "body")
        drop_echoed(operation, body)
        return body

    def _messages(self, pointer: str, value: Any, name: str) -> dict[str, list[str]]:
        """What is wrong with `value` under the schema at `pointer`, by field."""
        messages: dict[str, list[str]] = {}
        errors = self._validator(pointer).iter_errors(value)
        for err in (leaf for error in errors for leaf in _closest_errors(error)):
            for where, message in _describe(err):
                if name != "body":
                    where = name + where.removeprefix("body")
                if message not in messages.setdefault(where, []):
                    messages[where].append(message)
        return messages

    def validate(
        self, operation: tuple[str, str], status: int, body: Body | None
    ) -> None:
        """Raise ValidationError when `body` breaks the schema for this response."""
        template, method = operation
        responses = self.spec["paths"][template][method]["responses"]
        keys = [str(status), f"{status // 100}xx", "default"]
        key = next((k for k in keys if k in responses), None)
        if key is None:
            raise ValidationError(
                f"the spec gives no {status} response for {_where(operation)}"
            )
        if "content" not in responses[key]:
            if body is not None:
                raise ValidationError(f"the spec gives {status} no body")
            return
        if body is None:
            raise ValidationError(f"the spec gives {status} a body")

        content = ("content", "application/json", "schema")
        pointer = _pointer("paths", template, method, "responses", key, *content)
        self._validator(pointer).validate(body)

    def _validator(self, pointer: str) -> Draft202012Validator:
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator(
                {"$ref": f"{SPEC_URI}#{quote(pointer, safe='/~')}"},
                registry=self._registry,
                format_checker=_formats,
            )
        return self._validators[pointer]


def _where(operation: tuple[str, str]) -> str:
    return f"{operation[1].upper()} {operation[0]}"


def _typed(raw: list[str], schema: Body) -> Any:
    """A parameter's text as the type its schema declares; arrays repeat the name."""
    if schema.get("type") == "array":
        return [_scalar(value, schema.get("items", {})) for value in raw]
    return _scalar(raw[-1], schema)


def _scalar(raw: str, schema: Body) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", raw):
            raise ValueError(f"must be an integer, not {raw!r}")
        return int(raw)
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise ValueError(f"must be true or false, not {raw!r}")
        return raw.lower() == "true"
    return raw


def _closest_errors(err: ValidationError) -> list[ValidationError]:
    """The errors worth reporting for `err`: for a oneOf or anyOf, those of the form
    the value comes closest to, preferring forms whose fixed values (such as a
    service's `protocol`) it has."""
    if err.validator not in ("oneOf", "anyOf") or not err.context:
        return [err]
    forms: dict[Any, list[ValidationError]] = {}
    for sub in err.context:
        forms.setdefault(sub.relative_schema_path[0], []).append(sub)

    def distance(errors: list[ValidationError]) -> tuple[bool, int]:
        return any(e.validator in ("enum", "const") for e in errors), len(errors)

    closest = min(forms.values(), key=distance)
    return [leaf for sub in closest for leaf in _closest_errors(sub)]


_TYPE_NAMES = {"integer": "an integer", "object": "an object", "array": "a list"}


def _describe(err: ValidationError) -> list[tuple[str, str]]:
    """Each field an error is about (`rules[0].port`) and what is wrong with it."""
    path = list(err.absolute_path)
    if err.validator == "required":
        missing = [name for name in err.validator_value if name not in err.instance]
        return [(_field([*path, name]), "is required") for name in missing]
    if err.validator == "additionalProperties":
        known = err.schema.get("properties", {})
        extra = sorted(name for name in err.instance if name not in known)
        message = "is not a field of this request"
        return [(_field([*path, name]), message) for name in extra]

    message = err.message
    if err.validator == "type":
        kinds = err.validator_value
        kinds = [kinds] if isinstance(kinds, str) else kinds
        named = [_TYPE_NAMES.get(k, f"a {k}") for k in kinds if k != "null"]
        message = f"must be {' or '.join(named)}"
    elif err.validator == "enum":
        message = "must be one of " + ", ".join(map(str, err.validator_value))
    return [(_field(path), message)]


def _field(path: list[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text or "body"


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
