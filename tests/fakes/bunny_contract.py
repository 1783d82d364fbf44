"""bunny.net's Core API contract, read from the official OpenAPI spec, for fakes.

`Contract` finds the operation for a path and method, refuses a query parameter or
body the operation does not allow (as `RefusalError(400)`, in bunny.net's error format:
`ErrorKey`, `Field`, `Message`), says what is wrong with a response body, and builds
fresh API objects from the spec's schemas.

The spec is OpenAPI 3.0: its `nullable` is rewritten as JSON Schema before any
validation, and `UNDOCUMENTED_RESPONSES` lists the answers the API gives that the
spec leaves out.
"""

import datetime as dt
import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import referencing
import referencing.jsonschema
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from tests.fakes.openapi_paths import PathIndex
from tests.fakes.serving import SHARED_SPECS, read_spec

# bunny.net publishes the spec at https://core-api-public-docs.b-cdn.net/docs/v3/public.json.
# The specs sit in shared/ beside the checkout, on developers' machines and in CI.
SPEC_FILE = Path(
    os.environ.get("BUNNY_CORE_SPEC", SHARED_SPECS / "bunnynet/core-api.openapi.json")
)
SPEC_URI = "urn:souverain:bunnynet-core-spec"
# The spec's one error schema; refusals made before an operation runs follow it.
ERROR_SCHEMA = "ApiErrorData"
# Answers the API gives that the spec leaves out, with the schema they follow.
UNDOCUMENTED_RESPONSES = {
    # The spec documents these 201s without a body, yet the API returns the new zone:
    # bunny.net's own Terraform provider (internal/api/dnszone.go, pullzone.go) reads
    # the new Id from it.
    ("/dnszone", "post", 201): "DnsZoneModel",
    ("/pullzone", "post", 201): "PullZoneModel",
    # A hostname already on a pull zone is refused with an error body; the spec lists
    # only 204, 401, 404 and 500 here.
    ("/pullzone/{id}/addHostname", "post", 400): ERROR_SCHEMA,
}

Body = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """A request that passed the contract: its parameters typed as the spec says."""

    params: dict[str, Any]
    body: Any


class ApiError(Exception):
    """An answer in bunny.net's error format, raised by checks and handlers."""

    def __init__(self, status: int, key: str, field: str | None, message: str):
        super().__init__(message)
        self.status = status
        self.body = error(key, field, message)


class RefusalError(ApiError):
    """A request refused before any operation runs, so held to no operation's list
    of responses, only to the spec's error schema."""


def error(key: str, field: str | None, message: str) -> Body:
    """An error body as bunny.net writes one (the spec's `ApiErrorData`)."""
    return {"ErrorKey": key, "Field": field, "Message": message}


_formats = FormatChecker(formats=())


@_formats.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339: a date, a time and an offset, as in 2026-12-03T12:00:00Z."""
    if not isinstance(value, str):
        return True
    return "T" in value and dt.datetime.fromisoformat(value).tzinfo is not None


@_formats.checks("int32")
def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@_formats.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


def nullable_as_json_schema(node: Any) -> Any:
    """A copy of `node` with OpenAPI 3.0's `nullable` written as JSON Schema.

    JSON Schema has no `nullable`: a validator ignores it and refuses every null the
    spec allows. A schema with a type gains "null" as a second type; one without (the
    spec's `nullable` + `oneOf: [$ref]` for enums) becomes "that, or null".
    """
    if isinstance(node, list):
        return [nullable_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: nullable_as_json_schema(value) for key, value in node.items()}
    if node.get("nullable") is not True:
        return converted

    del converted["nullable"]
    if "type" not in converted:
        return {"anyOf": [converted, {"type": "null"}]}
    converted["type"] = [converted["type"], "null"]
    if "enum" in converted:
        converted["enum"] = [*converted["enum"], None]
    return converted


def _pointer(*parts: str | int) -> str:
    """A JSON Pointer (RFC 6901) to `parts`."""
    tokens = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "".join(f"/{token}" for token in tokens)


def _field(err: ValidationError) -> str | None:
    """The property an error is about, as `Records[0].Type`; None for the body."""
    path = list(err.absolute_path)
    if err.validator == "required":
        path.append(
            next(name for name in err.validator_value if name not in err.instance)
        )
    elif err.validator == "additionalProperties":
        known = err.schema.get("properties", {})
        path.append(sorted(name for name in err.instance if name not in known)[0])
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text or None


class Contract(PathIndex):
    """The operations, parameters and schemas of the official Core API spec."""

    def __init__(self, spec: dict[str, Any]):
        super().__init__(spec)
        # The spec is OpenAPI 3.0, whose schemas are close to JSON Schema draft 4
        # (boolean exclusiveMinimum, $ref siblings ignored) once `nullable` is gone.
        resource = referencing.Resource.from_contents(
            nullable_as_json_schema(spec),
            default_specification=referencing.jsonschema.DRAFT4,
        )
        self._registry = referencing.Registry().with_resource(SPEC_URI, resource)
        self._validators: dict[str, Draft4Validator] = {}

    def parse(
        self,
        operation: tuple[str, str],
        path_values: dict[str, str],
        query: dict[str, list[str]],
        raw_body: bytes,
    ) -> Call:
        """The request as the operation allows it; raise RefusalError(400) otherwise."""
        template, method = operation
        spec = self.spec["paths"][template][method]
        where = f"{method.upper()} {template}"
        params: dict[str, Any] = {}
        declared = {p["name"] for p in spec.get("parameters", []) if p["in"] == "query"}
        unknown = sorted(set(query) - declared)
        if unknown:
            message = f"{unknown[0]} is not a parameter of {where}"
            raise RefusalError(400, "validation_error", unknown[0], message)

        for index, param in enumerate(spec.get("parameters", [])):
            name = param["name"]
            raw = path_values.get(name) if param["in"] == "path" else None
            if param["in"] == "query" and name in query:
                raw = query[name][-1]
            if raw is None:
                if param.get("required"):
                    raise RefusalError(
                        400, "validation_error", name, f"{name} is required"
                    )
                continue
            value = _typed(raw, param["schema"], name)
            pointer = _pointer("paths", template, method, "parameters", index, "schema")
            self._refuse_invalid(pointer, value, field=name)
            params[name] = value

        return Call(params, self._body(template, method, spec, raw_body))

    def _body(self, template: str, method: str, spec: Body, raw: bytes) -> Any:
        where = f"{method.upper()} {template}"
        request_body = spec.get("requestBody")
        if request_body is None:
            if raw:
                raise RefusalError(
                    400, "validation_error", None, f"{where} takes no body"
                )
            return None
        if not raw:
            if request_body.get("required"):
                message = f"{where} needs a JSON body"
                raise RefusalError(400, "validation_error", None, message)
            return None

        try:
            body = json.loads(raw)
        except ValueError as err:
            message = f"the body is not JSON: {err}"
            raise RefusalError(400, "validation_error", None, message) from None
        content = "application/json"
        pointer = _pointer(
            "paths", template, method, "requestBody", "content", content, "schema"
        )
        self._refuse_invalid(pointer, body)
        return body

    def _refuse_invalid(self, pointer: str, value: Any, field: str = "") -> None:
        err = best_match(self._validator(pointer).iter_errors(value))
        if err is not None:
            raise RefusalError(
                400, "validation_error", _field(err) or field or None, err.message
            )

    def response_problem(
        self, operation: tuple[str, str] | None, status: int, body: Any
    ) -> str | None:
        """What is wrong with answering `body` with `status`, or None if nothing."""
        pointer = _pointer("components", "schemas", ERROR_SCHEMA)
        if operation is not None:
            template, method = operation
            where = f"{method.upper()} {template}"
            documented = self.spec["paths"][template][method]["responses"]
            undocumented = UNDOCUMENTED_RESPONSES.get((template, method, status))
            if str(status) not in documented and undocumented is None:
                return f"the spec gives no {status} response for {where}"
            content = documented.get(str(status), {}).get("content", {})
            if "application/json" in content:
                pointer = _pointer(
                    *("paths", template, method, "responses", str(status)),
                    *("content", "application/json", "schema"),
                )
            elif undocumented is not None:
                pointer = _pointer("components", "schemas", undocumented)
            elif status < 400:
                if body is None:
                    return None
                return f"the spec gives {status} for {where} no body"

        if body is None:
            return f"sent no body where the spec has {pointer}"
        err = best_match(self._validator(pointer).iter_errors(body))
        if err is None:
            return None
        return f"{err.message} (at {err.json_path})"

    def blank(self, name: str, now: str) -> Body:
        """The schema `name` with every property set as a fresh object has it.

        The API writes every property: null where nullable, [] for lists, false, 0,
        the first enum value, and `now` for dates, unless the fake knows better.
        """
        return self._blank({"$ref": f"#/components/schemas/{name}"}, now)

    def _blank(self, schema: Body, now: str) -> Any:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return self._blank(self.spec["components"]["schemas"][name], now)
        if schema.get("type") == "array":
            return []
        if schema.get("nullable"):
            return None
        if "oneOf" in schema:
            return self._blank(schema["oneOf"][0], now)
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object":
            properties = schema.get("properties", {})
            return {name: self._blank(prop, now) for name, prop in properties.items()}
        if kind == "boolean":
            return False
        if kind in ("integer", "number"):
            number = schema.get("minimum", 0)
            return int(number) if kind == "integer" else float(number)
        return now if schema.get("format") == "date-time" else ""

    def _validator(self, pointer: str) -> Draft4Validator:
        if pointer not in self._validators:
            self._validators[pointer] = Draft4Validator(
                {"$ref": f"{SPEC_URI}#{quote(pointer, safe='/~')}"},
                registry=self._registry,
                format_checker=_formats,
            )
        return self._validators[pointer]


def _typed(raw: str, schema: Body, name: str) -> Any:
    """A parameter's text as the type its schema declares."""
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if kind == "boolean" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if kind in ("integer", "boolean"):
        message = f"{name} must be {'an' if kind == 'integer' else 'a'} {kind}"
        raise RefusalError(400, "validation_error", name, f"{message}, not {raw!r}")
    return raw


@functools.cache
def load_contract(spec_file: Path = SPEC_FILE) -> Contract:
    """The contract in `spec_file`, read once per test session."""
    spec = read_spec(
        spec_file,
        "bunny.net Core API OpenAPI",
        "https://core-api-public-docs.b-cdn.net/docs/v3/public.json",
        "BUNNY_CORE_SPEC",
    )
    return Contract(spec)
