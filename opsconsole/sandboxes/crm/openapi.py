"""Per-object paths and request body schemas in the CRM sandbox's OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from opsconsole.sandboxes.crm.schema import SOBJECTS, FieldDef, SObjectDef
from opsconsole.sandboxes.openapi import (
    expand_path_parameter,
    set_json_body,
    set_json_response,
    set_parameter_schema,
)

ID_PATTERN = r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def install(app: FastAPI) -> None:
    """Make `app.openapi()` publish one path per object type with its field schema."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            expand_path_parameter(document, "sobject", list(SOBJECTS), _edit)
            query_result = document["components"]["schemas"]["QueryResult"]
            query_result["properties"]["records"]["items"] = queried_record_schema()
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _edit(name: str, method: str, path: str, operation: dict[str, Any]) -> bool:
    sobject = SOBJECTS[name]
    if method == "get" and path.endswith(("/{record_id}", "/{field}/{value}")):
        set_json_response(operation, "200", record_schema(sobject))
    if path.endswith("/{field}/{value}"):
        external = [f.name for f in sobject.fields if f.external_id]
        set_parameter_schema(operation, "field", {"type": "string", "enum": ["Id", *external]})
        set_parameter_schema(operation, "value", {"type": "string", "minLength": 1})
        # The external ID comes from the URL; repeating it in the body is allowed only when
        # the values match, so the documented body leaves it out.
        body = body_schema(sobject, creating=True)
        for name in external:
            body["properties"].pop(name, None)
        set_json_body(operation, body)
    elif path.endswith("/{record_id}"):
        set_parameter_schema(operation, "record_id", {"type": "string", "pattern": ID_PATTERN})
        set_json_body(operation, body_schema(sobject, creating=False))
    else:
        set_json_body(operation, body_schema(sobject, creating=True))
    return True


def body_schema(sobject: SObjectDef, *, creating: bool) -> dict[str, Any]:
    """Return the JSON schema of a create (or update) body for `sobject`."""
    writable = [f for f in sobject.fields if (f.createable if creating else f.updateable)]
    schema: dict[str, Any] = {
        "type": "object",
        "title": f"{sobject.name}{'Create' if creating else 'Update'}",
        "properties": {f.name: _field_schema(f) for f in writable},
        "additionalProperties": False,
    }
    required = [f.name for f in writable if f.required]
    if creating and required:
        schema["required"] = required
    return schema


def record_schema(sobject: SObjectDef) -> dict[str, Any]:
    """Return the JSON schema of a `sobject` record as GET returns it (`fields` may pick some)."""
    properties = {"attributes": _ATTRIBUTES, **{f.name: _read_schema(f) for f in sobject.fields}}
    return {
        "type": "object",
        "title": f"{sobject.name}Record",
        "required": ["attributes"],
        "properties": properties,
    }


def queried_record_schema() -> dict[str, Any]:
    """Return the schema of a SOQL result record: any object's fields, as selected."""
    properties: dict[str, Any] = {"attributes": _ATTRIBUTES}
    for sobject in SOBJECTS.values():
        for field in sobject.fields:
            schema = _read_schema(field)
            known = properties.setdefault(field.name, schema)
            if known != schema:
                properties[field.name] = {"type": sorted({*known["type"], *schema["type"]})}
    return {
        "type": "object",
        "title": "QueriedRecord",
        "required": ["attributes"],
        "properties": properties,
    }


_ATTRIBUTES = {
    "type": "object",
    "required": ["type", "url"],
    "properties": {"type": {"type": "string"}, "url": {"type": "string"}},
}


def _read_schema(field: FieldDef) -> dict[str, Any]:
    kind = {"currency": "number", "double": "number", "boolean": "boolean"}.get(
        field.type, "string"
    )
    return {"type": [kind, "null"] if field.nillable else [kind]}


def _field_schema(field: FieldDef) -> dict[str, Any]:
    schema = _value_schema(field)
    if not field.required:
        if "anyOf" in schema:
            schema["anyOf"] = [*schema["anyOf"], {"type": "null"}]
            return schema
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def _value_schema(field: FieldDef) -> dict[str, Any]:
    if field.type in {"currency", "double"}:
        # Like Salesforce, the sandbox reads a number from a JSON number or a numeric string.
        digits = field.precision - field.scale
        bound = 10**digits
        number = {"type": "number", "exclusiveMinimum": -bound, "exclusiveMaximum": bound}
        text = {"type": "string", "pattern": rf"^-?[0-9]{{1,{digits}}}(\.[0-9]+)?$"}
        return {"anyOf": [number, text]}
    if field.type == "date":
        return {"type": "string", "format": "date"}
    if field.type == "boolean":
        return {"type": "boolean"}
    if field.type == "reference":
        return {"type": "string", "pattern": ID_PATTERN}
    if field.type == "picklist":
        return {"type": "string", "enum": list(field.picklist)}
    schema: dict[str, Any] = {"type": "string", "maxLength": field.length}
    if field.required:
        schema["minLength"] = 1
    if field.type == "email":
        schema["pattern"] = EMAIL_PATTERN
    return schema
