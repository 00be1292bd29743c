"""Rewrite of a sandbox's OpenAPI document so each object type gets its own paths.

The apps route every object type through one handler with a path parameter such as
`{sobject}`, but each type accepts different fields. Publishing one path per type with its
own request body schema lets clients and API testers such as schemathesis see exactly which
fields each type accepts.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

# Called with the value, the HTTP method, the original path and the copied operation. It edits
# the operation in place and returns False to leave the operation out for that value.
OperationEditor = Callable[[str, str, str, dict[str, Any]], bool]


def expand_path_parameter(
    document: dict[str, Any], parameter: str, values: Iterable[str], edit: OperationEditor
) -> None:
    """Replace every path containing `{parameter}` with one path per value."""
    placeholder = "{" + parameter + "}"
    paths: dict[str, Any] = document["paths"]
    for path in [p for p in paths if placeholder in p]:
        template = paths.pop(path)
        for value in values:
            operations = _operations_for(template, parameter, value, path, edit)
            if operations:
                paths[path.replace(placeholder, value)] = operations


def _operations_for(
    template: dict[str, Any], parameter: str, value: str, path: str, edit: OperationEditor
) -> dict[str, Any]:
    operations = {}
    for method, operation in template.items():
        copied = copy.deepcopy(operation)
        copied["parameters"] = [p for p in copied.get("parameters", []) if p["name"] != parameter]
        copied["operationId"] = f"{copied['operationId']}_{value}"
        if edit(value, method, path, copied):
            operations[method] = copied
    return operations


def set_json_body(operation: dict[str, Any], schema: dict[str, Any]) -> None:
    """Set the JSON request body schema of `operation`, if it has a body."""
    body = operation.get("requestBody")
    if body is not None:
        body["content"] = {"application/json": {"schema": schema}}


def set_parameter_schema(operation: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    """Set the schema of the parameter `name` of `operation`."""
    for parameter in operation.get("parameters", []):
        if parameter["name"] == name:
            parameter["schema"] = schema


def set_json_response(operation: dict[str, Any], status: str, schema: dict[str, Any]) -> None:
    """Set the JSON schema of the `status` response of `operation`."""
    response = operation["responses"][status]
    response["content"] = {"application/json": {"schema": schema}}
