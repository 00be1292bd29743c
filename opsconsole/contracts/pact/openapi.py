"""Check consumer pacts against a provider's OpenAPI document, without running the provider.

Each HTTP interaction must name a documented operation and send a request that operation
accepts (path and query parameters, required headers, body). Its expected response must use
a documented status, validate against the response schema, and rely only on fields the
schema declares. A field the consumer reads but the provider never promised fails the check,
because the provider may drop it without breaking its own document.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from opsconsole.contracts.pact.files import PactFile
from opsconsole.errors import ConfigError
from opsconsole.reports import CheckResult, CheckStatus, GateReport

GATE_NAME = "contracts check-openapi"
_DOCUMENT_URI = "urn:opsconsole:openapi"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TRANSPORT_HEADERS = {"authorization", "content-type", "accept", "content-length", "host"}


def load_openapi(path: Path) -> dict[str, Any]:
    """Read an OpenAPI 3.0 or 3.1 document (YAML or JSON); 3.0 schemas are converted to 3.1.

    Raises:
        ConfigError: the file is unreadable or is not an OpenAPI 3 document.
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"OpenAPI document {path} cannot be read: {exc}.") from exc
    version = str(document.get("openapi", "")) if isinstance(document, dict) else ""
    if not version.startswith("3."):
        raise ConfigError(
            f"{path} is not an OpenAPI 3 document (its `openapi` field is {version or 'missing'})."
        )
    converted: dict[str, Any] = (
        _nullable_to_type_lists(document) if version.startswith("3.0") else document
    )
    return converted


def _nullable_to_type_lists(node: Any) -> Any:
    """Rewrite OpenAPI 3.0 `nullable: true` as a JSON Schema type list including null."""
    if isinstance(node, list):
        return [_nullable_to_type_lists(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _nullable_to_type_lists(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True and isinstance(node.get("type"), str):
        converted["type"] = [node["type"], "null"]
    return converted


@dataclass
class _Findings:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    expected: dict[str, Any] = field(default_factory=dict)
    actual: dict[str, Any] = field(default_factory=dict)


class OpenAPIChecker:
    """Checks interactions against one OpenAPI document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_DOCUMENT_URI, resource)
        self._prefixes = _server_paths(document)

    def check_pact(self, pact: PactFile, title: str) -> list[CheckResult]:
        """Return one check per interaction of `pact`."""
        suite = f"{pact.consumer} -> {pact.provider} (OpenAPI: {title})"
        return [self._check_interaction(suite, i) for i in pact.interactions]

    def _check_interaction(self, suite: str, interaction: dict[str, Any]) -> CheckResult:
        started = time.perf_counter()
        name = str(interaction.get("description", "?"))
        kind = str(interaction.get("type", "Synchronous/HTTP"))
        if "request" not in interaction or "Message" in kind:
            return CheckResult(
                suite=suite,
                name=name,
                status=CheckStatus.SKIPPED,
                message="Message interactions are not described by OpenAPI.",
            )
        findings = _Findings()
        self._check_http(interaction, findings)
        status = CheckStatus.FAILED if findings.problems else CheckStatus.PASSED
        message = findings.problems[0] if findings.problems else "; ".join(findings.notes)
        more = len(findings.problems) - 1
        if more > 0:
            message += f" (and {more} more)"
        return CheckResult(
            suite=suite,
            name=name,
            status=status,
            message=message,
            expected=findings.expected or None,
            actual=findings.actual or None,
            details=findings.problems[1:] + (findings.notes if findings.problems else []),
            duration_seconds=time.perf_counter() - started,
        )

    def _check_http(self, interaction: dict[str, Any], findings: _Findings) -> None:
        request = interaction["request"]
        method = str(request.get("method", "GET")).lower()
        path = _path_text(request.get("path", "/"))
        found = self._operation(method, path, findings)
        if found is None:
            return
        pointer, operation, path_params = found
        parameters = self._parameters(pointer, operation)
        self._check_path_params(parameters, path_params, findings)
        self._check_query(parameters, _query(request.get("query")), findings)
        self._check_headers(parameters, request.get("headers") or {}, findings)
        self._check_request_body(pointer, operation, request, findings)
        self._check_response(pointer, operation, interaction.get("response") or {}, findings)

    # Operation lookup

    def _operation(
        self, method: str, path: str, findings: _Findings
    ) -> tuple[str, dict[str, Any], dict[str, str]] | None:
        documented = self.document.get("paths") or {}
        for candidate in self._candidate_paths(path):
            for template, item in documented.items():
                values = _match_template(template, candidate)
                if values is None or not isinstance(item, dict):
                    continue
                operation = item.get(method)
                if not isinstance(operation, dict):
                    allowed = ", ".join(m.upper() for m in _METHODS if m in item)
                    findings.problems.append(
                        f"{method.upper()} {path}: the path {template} is documented, but only "
                        f"for {allowed}."
                    )
                    return None
                pointer = f"/paths/{_escape(template)}/{method}"
                return pointer, operation, values
        findings.problems.append(
            f"{method.upper()} {path}: no operation in the OpenAPI document matches this path."
        )
        return None

    def _candidate_paths(self, path: str) -> Iterator[str]:
        yield path
        for prefix in self._prefixes:
            if path.startswith(prefix + "/"):
                yield path[len(prefix) :]

    def _parameters(
        self, pointer: str, operation: dict[str, Any]
    ) -> list[tuple[str, dict[str, Any]]]:
        """Return (JSON pointer, parameter) pairs of the path item and the operation."""
        item_pointer = pointer.rsplit("/", 1)[0]
        item = self._at(item_pointer)
        found: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        for owner_pointer, owner in ((item_pointer, item), (pointer, operation)):
            for index, raw in enumerate(owner.get("parameters") or []):
                param_pointer, param = self._deref(f"{owner_pointer}/parameters/{index}", raw)
                key = (str(param.get("in")), str(param.get("name")))
                found[key] = (param_pointer, param)
        return list(found.values())

    # Request parts

    def _check_path_params(
        self,
        parameters: list[tuple[str, dict[str, Any]]],
        values: dict[str, str],
        findings: _Findings,
    ) -> None:
        for pointer, param in parameters:
            if param.get("in") == "path" and param.get("name") in values:
                self._check_parameter(pointer, param, values[str(param["name"])], findings)

    def _check_query(
        self,
        parameters: list[tuple[str, dict[str, Any]]],
        query: dict[str, list[str]],
        findings: _Findings,
    ) -> None:
        declared = {str(p.get("name")): (ptr, p) for ptr, p in parameters if p.get("in") == "query"}
        for name, (pointer, param) in declared.items():
            if name in query:
                for value in query[name]:
                    self._check_parameter(pointer, param, value, findings)
            elif param.get("required"):
                findings.problems.append(f"query parameter {name!r} is required but not sent.")
        for name in sorted(set(query) - set(declared)):
            findings.problems.append(
                f"query parameter {name!r} is not documented for this operation."
            )

    def _check_headers(
        self,
        parameters: list[tuple[str, dict[str, Any]]],
        headers: dict[str, Any],
        findings: _Findings,
    ) -> None:
        sent = {name.lower() for name in headers}
        for _pointer, param in parameters:
            name = str(param.get("name", ""))
            if param.get("in") != "header" or name.lower() in _TRANSPORT_HEADERS:
                continue
            if param.get("required") and name.lower() not in sent:
                findings.problems.append(f"header {name!r} is required but not sent.")

    def _check_parameter(
        self, pointer: str, param: dict[str, Any], value: str, findings: _Findings
    ) -> None:
        if "schema" not in param:
            return
        schema_pointer = f"{pointer}/schema"
        coerced = _coerce(value, self._at(schema_pointer))
        for error in self._errors(schema_pointer, coerced):
            where = f"{param.get('in')} parameter {param.get('name')!r}"
            findings.problems.append(f"{where}: {error.message}.")
            findings.expected[where] = error.schema
            findings.actual[where] = coerced

    def _check_request_body(
        self, pointer: str, operation: dict[str, Any], request: dict[str, Any], findings: _Findings
    ) -> None:
        body = _body(request)
        spec = operation.get("requestBody")
        if spec is None:
            if body is not _ABSENT:
                findings.problems.append("the request sends a body, but the operation takes none.")
            return
        body_pointer, spec = self._deref(f"{pointer}/requestBody", spec)
        if body is _ABSENT:
            if spec.get("required"):
                findings.problems.append("the operation requires a request body, none is sent.")
            return
        media = _json_media(spec.get("content") or {})
        if media is not None:
            media_pointer = f"{body_pointer}/content/{_escape(media)}/schema"
            self._validate("request body", media_pointer, body, findings)

    # Response

    def _check_response(
        self, pointer: str, operation: dict[str, Any], response: dict[str, Any], findings: _Findings
    ) -> None:
        status = str(response.get("status", 200))
        responses = operation.get("responses") or {}
        key = next(
            (k for k in (status, f"{status[0]}XX", f"{status[0]}xx", "default") if k in responses),
            None,
        )
        if key is None:
            documented = ", ".join(sorted(str(k) for k in responses)) or "none"
            findings.problems.append(
                f"response status {status} is not documented (documented: {documented})."
            )
            findings.expected["status"] = sorted(str(k) for k in responses)
            findings.actual["status"] = status
            return
        response_pointer, spec = self._deref(f"{pointer}/responses/{_escape(key)}", responses[key])
        body = _body(response)
        if body is _ABSENT:
            return
        media = _json_media(spec.get("content") or {})
        if media is None:
            findings.problems.append(
                f"the consumer expects a JSON body, but response {key} documents no JSON content."
            )
            return
        schema_pointer = f"{response_pointer}/content/{_escape(media)}/schema"
        # A consumer lists only the response fields it reads, so a required field it leaves
        # out is no mismatch; the provider still sends it.
        self._validate("response body", schema_pointer, body, findings, partial=True)
        self._check_declared(schema_pointer, body, "$", findings)

    def _check_declared(self, pointer: str, value: Any, where: str, findings: _Findings) -> None:
        """Fail each field the consumer relies on that the response schema does not declare."""
        properties, extra, required = self._object_shape(pointer)
        if isinstance(value, dict):
            for key, item in value.items():
                path = f"{where}.{key}"
                if key in properties:
                    if key not in required:
                        findings.notes.append(f"{path} is optional in the provider's schema.")
                    self._check_declared(properties[key], item, path, findings)
                elif extra is not None:
                    self._check_declared(extra, item, path, findings)
                else:
                    findings.problems.append(
                        f"response field {path} is not declared in the provider's schema."
                    )
                    findings.expected[path] = item
                    findings.actual[path] = "(not in schema)"
        elif isinstance(value, list) and value:
            items = self._items_pointer(pointer)
            if items is not None:
                self._check_declared(items, value[0], f"{where}[0]", findings)

    def _object_shape(self, pointer: str) -> tuple[dict[str, str], str | None, set[str]]:
        """Collect declared properties (name -> pointer), the extra-properties schema, required."""
        properties: dict[str, str] = {}
        required: set[str] = set()
        extra: str | None = None
        for schema_pointer, schema in self._branches(pointer):
            for name in schema.get("properties") or {}:
                properties.setdefault(name, f"{schema_pointer}/properties/{_escape(name)}")
            required.update(schema.get("required") or [])
            if isinstance(schema.get("additionalProperties"), dict):
                extra = f"{schema_pointer}/additionalProperties"
        return properties, extra, required

    def _items_pointer(self, pointer: str) -> str | None:
        for schema_pointer, schema in self._branches(pointer):
            if isinstance(schema.get("items"), dict):
                return f"{schema_pointer}/items"
        return None

    def _branches(self, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield the schema at `pointer` and its allOf/anyOf/oneOf parts, references followed."""
        resolved_pointer, schema = self._deref(pointer, self._at(pointer))
        yield resolved_pointer, schema
        for keyword in ("allOf", "anyOf", "oneOf"):
            for index, _part in enumerate(schema.get(keyword) or []):
                yield from self._branches(f"{resolved_pointer}/{keyword}/{index}")

    # Schema plumbing

    def _validate(
        self, part: str, pointer: str, value: Any, findings: _Findings, *, partial: bool = False
    ) -> None:
        for error in self._errors(pointer, value):
            if partial and error.validator == "required":
                continue
            path = error.json_path
            findings.problems.append(f"{part} {path}: {error.message}.")
            findings.expected[path] = {error.validator: error.validator_value}
            findings.actual[path] = error.instance

    def _errors(self, pointer: str, value: Any) -> list[Any]:
        validator = Draft202012Validator(
            {"$ref": f"{_DOCUMENT_URI}#{pointer}"},
            registry=self._registry,
            format_checker=FormatChecker(),
        )
        return sorted(validator.iter_errors(value), key=lambda e: e.json_path)

    def _at(self, pointer: str) -> Any:
        node: Any = self.document
        for part in pointer.lstrip("/").split("/") if pointer else []:
            key = part.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    def _deref(self, pointer: str, node: Any) -> tuple[str, dict[str, Any]]:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#/") or seen > 20:
                raise ConfigError(
                    f"Reference {ref!r} at {pointer} is not supported; only references inside "
                    "the same document (#/...) are."
                )
            pointer, node, seen = ref[1:], self._at(ref[1:]), seen + 1
        return pointer, node if isinstance(node, dict) else {}


def check_against_openapi(
    pacts: Sequence[PactFile], document: dict[str, Any], provider: str
) -> GateReport:
    """Check every interaction of the pacts with `provider` against `document`.

    Raises:
        ConfigError: no pact names `provider`.
    """
    chosen = [p for p in pacts if p.provider == provider]
    if not chosen:
        raise ConfigError(f"No pact names provider {provider!r}; nothing to check.")
    title = str((document.get("info") or {}).get("title", "OpenAPI"))
    checker = OpenAPIChecker(copy.deepcopy(document))
    report = GateReport(gate=f"{GATE_NAME} --provider {provider}")
    started = time.perf_counter()
    for pact in chosen:
        for check in checker.check_pact(pact, title):
            report.add(check)
    report.duration_seconds = time.perf_counter() - started
    return report


# Helpers for pact request and response parts

_ABSENT = object()


def _body(part: dict[str, Any]) -> Any:
    """Return the JSON body of a V2-V4 pact request or response, or `_ABSENT`."""
    if "body" not in part:
        return _ABSENT
    body = part["body"]
    if isinstance(body, dict) and "content" in body and "contentType" in body:
        content = body["content"]
        if isinstance(content, str) and "json" in str(body.get("contentType")):
            try:
                return json.loads(content)
            except ValueError:
                return content
        return content
    return body


def _path_text(path: Any) -> str:
    if isinstance(path, dict):  # V2 pacts may carry a matcher object with an example
        return str(path.get("value") or path.get("example") or "/")
    return str(path)


def _query(query: Any) -> dict[str, list[str]]:
    if isinstance(query, dict):
        return {
            str(k): [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in query.items()
        }
    if isinstance(query, str) and query:
        found: dict[str, list[str]] = {}
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            found.setdefault(key, []).append(value)
        return found
    return {}


def _match_template(template: str, path: str) -> dict[str, str] | None:
    names: list[str] = []

    def replace(match: re.Match[str]) -> str:
        names.append(match.group(1).replace("\\", ""))
        return "([^/]+)"

    pattern = re.sub(r"\\\{([^}]+)\\\}", replace, re.escape(template))
    found = re.fullmatch(pattern, path)
    if found is None:
        return None
    return dict(zip(names, found.groups(), strict=True))


def _server_paths(document: dict[str, Any]) -> list[str]:
    prefixes = []
    for server in document.get("servers") or []:
        url = str(server.get("url", ""))
        path = re.sub(r"^[a-z]+://[^/]+", "", url).rstrip("/")
        if path:
            prefixes.append(path)
    return prefixes


def _json_media(content: dict[str, Any]) -> str | None:
    for media in content:
        if media == "application/json" or media.endswith("+json"):
            return str(media)
    return None


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _coerce(value: str, schema: Any) -> Any:
    """Turn a path or query string into the type its schema declares, when it parses."""
    kinds = schema.get("type") if isinstance(schema, dict) else None
    kinds = kinds if isinstance(kinds, list) else [kinds]
    for kind, parse in (("integer", int), ("number", float)):
        if kind in kinds:
            try:
                return parse(value)
            except ValueError:
                return value
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    return value
