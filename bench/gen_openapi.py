"""Generate two versions of a large OpenAPI 3.1 document for the review benchmark.

The document imitates an ERP system API: many resources with CRUD operations, shared
components reached through `$ref` chains (Money → Currency, Address → Country, Party built with
`allOf`), paged list responses, a `oneOf` with a discriminator, and descriptions on everything.
The second version carries a realistic change set: removed and added properties, enum values,
tightened bounds, a new required field, a removed operation and edited descriptions.

Usage: python bench/gen_openapi.py OUT_DIR [--resources N]   (default N gives about 1 MB)
"""

from __future__ import annotations

import argparse
import copy
import json
import random
from pathlib import Path
from typing import Any

WORDS = [
    "customer",
    "vendor",
    "invoice",
    "payment",
    "order",
    "shipment",
    "item",
    "warehouse",
    "ledger",
    "account",
    "journal",
    "contract",
    "subscription",
    "quote",
    "lead",
    "contact",
    "project",
    "task",
    "asset",
    "employee",
    "expense",
    "budget",
    "receipt",
    "credit",
    "memo",
    "return",
    "transfer",
    "bin",
    "lot",
    "serial",
    "price",
    "discount",
    "tax",
    "region",
    "channel",
]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def sentence(rng: random.Random, words: int = 14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def shared_components(rng: random.Random) -> dict[str, Any]:
    return {
        "Currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": sentence(rng)},
        "Money": {
            "type": "object",
            "required": ["amount", "currency"],
            "properties": {
                "amount": {"type": "string", "pattern": r"^-?\d+(\.\d{1,4})?$"},
                "currency": ref("Currency"),
            },
        },
        "Country": {"type": "string", "minLength": 2, "maxLength": 2},
        "Address": {
            "type": "object",
            "properties": {
                "line1": {"type": "string", "maxLength": 150},
                "line2": {"type": "string", "maxLength": 150},
                "city": {"type": "string", "maxLength": 80},
                "state": {"type": "string", "maxLength": 30},
                "country": ref("Country"),
            },
        },
        "Party": {
            "allOf": [
                {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
                {"properties": {"name": {"type": "string"}, "address": ref("Address")}},
            ],
            "unevaluatedProperties": False,
        },
        "Problem": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 100, "maximum": 599},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
            },
        },
        "Attachment": {
            "oneOf": [ref("FileAttachment"), ref("LinkAttachment")],
            "discriminator": {
                "propertyName": "kind",
                "mapping": {
                    "file": "#/components/schemas/FileAttachment",
                    "link": "#/components/schemas/LinkAttachment",
                },
            },
        },
        "FileAttachment": {
            "type": "object",
            "required": ["kind", "size"],
            "properties": {"kind": {"const": "file"}, "size": {"type": "integer", "minimum": 0}},
        },
        "LinkAttachment": {
            "type": "object",
            "required": ["kind", "url"],
            "properties": {"kind": {"const": "link"}, "url": {"type": "string", "format": "uri"}},
        },
    }


def resource_schema(rng: random.Random, name: str) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "id": {"type": "string", "description": sentence(rng)},
        "status": {"type": "string", "enum": ["draft", "active", "closed", "cancelled"]},
        "total": ref("Money"),
        "party": ref("Party"),
        "shipTo": {"anyOf": [ref("Address"), {"type": "null"}]},
        "attachments": {"type": "array", "items": ref("Attachment"), "maxItems": 20},
        "lines": {"type": "array", "items": ref(f"{name}Line")},
        "createdAt": {"type": "string", "format": "date-time"},
    }
    for index in range(rng.randint(12, 20)):
        properties[f"field{index}"] = rng.choice(
            [
                {
                    "type": "string",
                    "maxLength": rng.choice([30, 80, 150]),
                    "description": sentence(rng),
                },
                {"type": "integer", "minimum": 0, "maximum": rng.choice([99, 999, 9999])},
                {"type": ["string", "null"], "description": sentence(rng)},
                {"type": "boolean", "default": False},
                {"type": "number", "multipleOf": 0.01},
            ]
        )
    return {
        "type": "object",
        "required": ["id", "status"],
        "description": sentence(rng, 30),
        "properties": properties,
    }


def line_schema(rng: random.Random) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["sku", "quantity"],
        "properties": {
            "sku": {"type": "string", "maxLength": 40},
            "quantity": {"type": "number", "exclusiveMinimum": 0},
            "rate": ref("Money"),
            "memo": {"type": "string", "description": sentence(rng)},
        },
    }


def operations(rng: random.Random, name: str, plural: str) -> dict[str, Any]:
    def body(schema: dict[str, Any]) -> dict[str, Any]:
        return {"content": {"application/json": {"schema": schema}}}

    problem = {"description": "Problem", **body(ref("Problem"))}
    page = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref(name)},
            "hasMore": {"type": "boolean"},
        },
    }
    item_path = {
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "get": {
            "operationId": f"get{name}",
            "description": sentence(rng, 25),
            "responses": {"200": {"description": "OK", **body(ref(name))}, "404": problem},
        },
        "patch": {
            "operationId": f"update{name}",
            "requestBody": body(ref(name)),
            "responses": {"204": {"description": "Updated"}, "422": problem},
        },
        "delete": {
            "operationId": f"delete{name}",
            "responses": {"204": {"description": "Deleted"}},
        },
    }
    collection = {
        "get": {
            "operationId": f"list{name}",
            "description": sentence(rng, 25),
            "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
            ],
            "responses": {"200": {"description": "OK", **body(page)}},
        },
        "post": {
            "operationId": f"create{name}",
            "parameters": [
                {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
            ],
            "requestBody": {"required": True, **body(ref(name))},
            "responses": {"201": {"description": "Created", **body(ref(name))}, "422": problem},
        },
    }
    return {f"/{plural}": collection, f"/{plural}/{{id}}": item_path}


def build(resources: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    schemas = shared_components(rng)
    paths: dict[str, Any] = {}
    for index in range(resources):
        name = f"{WORDS[index % len(WORDS)].capitalize()}{index}"
        schemas[name] = resource_schema(rng, name)
        schemas[f"{name}Line"] = line_schema(rng)
        paths.update(operations(rng, name, f"{name.lower()}s"))
    return {
        "openapi": "3.1.0",
        "info": {"title": "ERP system API", "version": "1.0.0", "description": sentence(rng, 40)},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def evolve(document: dict[str, Any], seed: int = 11) -> dict[str, Any]:
    """Apply a realistic change set to a copy of `document`."""
    rng = random.Random(seed)
    changed = copy.deepcopy(document)
    schemas = changed["components"]["schemas"]
    names = [n for n in schemas if n[0].isupper() and n[-1].isdigit()]
    for name in rng.sample(names, min(8, len(names))):
        properties = schemas[name]["properties"]
        properties.pop("field1", None)
        properties["status"]["enum"] = ["draft", "active", "closed", "archived"]
        properties["externalId"] = {"type": "string", "maxLength": 64}
        schemas[name]["required"].append("createdAt")
    schemas["Address"]["properties"]["state"]["maxLength"] = 20
    schemas["Money"]["properties"]["amount"]["description"] = "Decimal amount as a string."
    first_path = next(iter(changed["paths"]))
    changed["paths"][first_path].pop("post", None)
    for path in rng.sample(list(changed["paths"]), min(20, len(changed["paths"]))):
        for operation in changed["paths"][path].values():
            if isinstance(operation, dict) and "description" in operation:
                operation["description"] += " Updated."
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="Folder to write erp-api.v1.json and v2 into.")
    parser.add_argument("--resources", type=int, default=110, help="Number of resources.")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    first = build(args.resources)
    for version, document in (("v1", first), ("v2", evolve(first))):
        path = args.out / f"erp-api.{version}.json"
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        print(f"{path}: {path.stat().st_size / 1_000_000:.2f} MB")


if __name__ == "__main__":
    main()
