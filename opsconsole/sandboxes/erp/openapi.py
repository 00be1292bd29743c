"""Per-record-type paths and request body schemas in the ERP sandbox's OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from opsconsole.sandboxes.erp.records import (
    CURRENCY_IDS,
    CUSTOMER,
    CUSTOMER_TEXT,
    INVOICE,
    LINE_TEXT,
    MAX_AMOUNT,
    RECORD_TYPES,
    SALES_ORDER,
    SALES_ORDER_TEXT,
    TextField,
)
from opsconsole.sandboxes.openapi import (
    expand_path_parameter,
    set_json_body,
    set_json_response,
    set_parameter_schema,
)

KEY_PATTERN = r"^([0-9]+|eid:.+)$"
_WRITES = {"post", "patch", "put"}


def install(app: FastAPI) -> None:
    """Make `app.openapi()` publish one path per record type with its field schema."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            expand_path_parameter(document, "record_type", RECORD_TYPES, _edit)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _edit(record_type: str, method: str, path: str, operation: dict[str, Any]) -> bool:
    # Invoices come from billing a sales order, so their paths are read-only.
    if record_type == INVOICE and method in _WRITES:
        return False
    set_parameter_schema(operation, "key", _key_schema(method))
    if method == "get" and path.endswith("/{key}"):
        set_json_response(operation, "200", record_schema(record_type))
    if method in _WRITES:
        partial = method == "patch"
        body = customer_schema(partial) if record_type == CUSTOMER else sales_order_schema(partial)
        if method == "put":
            # The external ID comes from the eid: key in the URL.
            body["properties"].pop("externalId")
        set_json_body(operation, body)
    return True


def _key_schema(method: str) -> dict[str, Any]:
    if method == "put":
        return {"type": "string", "pattern": r"^eid:.+$"}
    return {"type": "string", "pattern": KEY_PATTERN}


def customer_schema(partial: bool) -> dict[str, Any]:
    """Return the JSON schema of a customer body; `partial` for PATCH."""
    properties = {name: _text(spec) for name, spec in CUSTOMER_TEXT.items()}
    properties["currency"] = _currency()
    properties["subsidiary"] = _reference()
    return _object("customer", properties, [] if partial else ["companyName"])


def sales_order_schema(partial: bool) -> dict[str, Any]:
    """Return the JSON schema of a sales order body; `partial` for PATCH."""
    properties = {name: _text(spec) for name, spec in SALES_ORDER_TEXT.items()}
    properties.update(
        entity=_reference(),
        subsidiary=_reference(),
        currency=_currency(),
        tranDate={"type": "string", "format": "date"},
        item=_items(),
    )
    return _object("salesOrder", properties, [] if partial else ["entity", "item"])


_LINK = {
    "type": "object",
    "required": ["rel", "href"],
    "properties": {"rel": {"type": "string"}, "href": {"type": "string"}},
}


def record_schema(record_type: str) -> dict[str, Any]:
    """Return the JSON schema of a record as GET returns it; empty fields are left out."""
    text = {"type": "string"}
    reference = {"type": "object", "required": ["id"], "properties": {"id": text, "refName": text}}
    properties: dict[str, Any] = {
        "links": {"type": "array", "items": _LINK},
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "externalId": text,
        "currency": reference,
        "subsidiary": reference,
        "dateCreated": text,
        "lastModifiedDate": text,
    }
    required = ["links", "id"]
    if record_type == CUSTOMER:
        properties.update({name: text for name in CUSTOMER_TEXT})
        required.append("companyName")
    else:
        properties.update({name: text for name in SALES_ORDER_TEXT})
        properties.update(
            entity=reference,
            tranDate={"type": "string", "format": "date"},
            tranId=text,
            status=text,
            total={"type": "number"},
            createdFrom=reference,
            item={"type": "object", "properties": {"items": {"type": "array"}}},
        )
    return {
        "type": "object",
        "title": f"{record_type}Record",
        "required": required,
        "properties": properties,
    }


def _object(title: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "title": title,
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def _text(spec: TextField) -> dict[str, Any]:
    if spec.required:
        return {"type": "string", "minLength": 1, "maxLength": spec.max_length}
    return {"type": ["string", "null"], "maxLength": spec.max_length}


def _currency() -> dict[str, Any]:
    by_code = _object("currencyRef", {"refName": {"enum": list(CURRENCY_IDS)}}, ["refName"])
    by_id = _object("currencyId", {"id": {"enum": list(CURRENCY_IDS.values())}}, ["id"])
    return {"anyOf": [by_code, by_id]}


def _reference() -> dict[str, Any]:
    return _object("reference", {"id": {"type": "string", "pattern": "^[0-9]+$"}}, ["id"])


def _decimal() -> dict[str, Any]:
    bound = int(MAX_AMOUNT)
    number = {"type": "number", "exclusiveMinimum": -bound, "exclusiveMaximum": bound}
    text = {"type": "string", "pattern": r"^-?[0-9]{1,15}(\.[0-9]+)?$"}
    return {"anyOf": [number, text]}


def _items() -> dict[str, Any]:
    line = {name: _text(spec) for name, spec in LINE_TEXT.items()}
    line.update(
        item=_object("itemRef", {"refName": {"type": "string", "minLength": 1}}, ["refName"]),
        quantity=_decimal(),
        rate=_decimal(),
        # Optional: when given it must equal quantity * rate.
        amount=_decimal(),
    )
    lines = {
        "type": "array",
        "minItems": 1,
        "items": _object("line", line, ["item", "quantity", "rate"]),
    }
    return _object(f"{SALES_ORDER}Items", {"items": lines}, ["items"])
