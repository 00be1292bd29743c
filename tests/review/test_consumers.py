"""Affected consumers: touchpoints from the catalog and pacts that use the changed field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opsconsole.review import consumers
from opsconsole.review.diff import diff_sources

D2020 = "https://json-schema.org/draft/2020-12/schema"


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def touchpoint(name: str, owner: str, contracts: list[Any]) -> str:
    listed = "\n".join(f"    - {json.dumps(item)}" for item in contracts)
    return (
        f"apiVersion: opsconsole.dev/v1\nkind: Touchpoint\nmetadata:\n  name: {name}\n"
        f"spec:\n  owner: {owner}\n  contracts:\n{listed}\n"
    )


def http_pact(consumer: str, method: str, path: str, body: Any) -> dict[str, Any]:
    return {
        "consumer": {"name": consumer},
        "provider": {"name": "order-api"},
        "interactions": [
            {
                "type": "Synchronous/HTTP",
                "description": f"{consumer} creates an order",
                "request": {"method": method, "path": path, "body": body},
                "response": {"status": 201},
            }
        ],
    }


def message_pact(consumer: str, contents: Any) -> dict[str, Any]:
    return {
        "consumer": {"name": consumer},
        "provider": {"name": "order-events"},
        "interactions": [
            {
                "type": "Asynchronous/Messages",
                "description": "an order.created event",
                "contents": {"content": contents, "contentType": "application/json"},
            }
        ],
    }


def openapi(schema: dict[str, Any]) -> dict[str, Any]:
    body = {"content": {"application/json": {"schema": schema}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Orders", "version": "1"},
        "paths": {"/orders": {"post": {"requestBody": body, "responses": {"201": {}}}}},
    }


def impacts(tmp_path: Path, contract: str, old: Any, new: Any) -> list[consumers.Impact]:
    old_path = write(tmp_path / "old" / Path(contract).name, old)
    new_path = write(tmp_path / contract, new)
    result = diff_sources(str(old_path), str(new_path))
    for change in result.changes:
        change.contract = contract
    return consumers.assess(
        contract,
        result.changes,
        consumers.load_touchpoints(tmp_path),
        consumers.load_pacts(tmp_path),
    )


def names(found: list[consumers.Consumer]) -> set[str]:
    return {consumer.name for consumer in found}


def test_required_field_affects_only_pacts_not_sending_it(tmp_path: Path) -> None:
    contract = "contracts/openapi/orders.json"
    write(
        tmp_path / "catalog/crm.yaml", touchpoint("crm-sync", "team-crm", [{"openapi": contract}])
    )
    write(
        tmp_path / "contracts/pacts/a.json",
        http_pact("sends-it", "POST", "/orders", {"currency": "EUR"}),
    )
    write(
        tmp_path / "contracts/pacts/b.json", http_pact("omits-it", "POST", "/orders", {"id": "1"})
    )
    schema = {"type": "object", "properties": {"currency": {"type": "string"}}}
    required = {**schema, "required": ["currency"]}
    [impact] = impacts(tmp_path, contract, openapi(schema), openapi(required))
    assert impact.change.id == "required-added"
    assert names(impact.affected) == {"omits-it", "crm-sync"}
    assert names(impact.safe) == {"sends-it"}


def test_removed_enum_value_affects_only_pacts_sending_it(tmp_path: Path) -> None:
    contract = "contracts/openapi/orders.json"
    write(
        tmp_path / "contracts/pacts/a.json",
        http_pact("drafts", "POST", "/orders", {"status": "draft"}),
    )
    write(
        tmp_path / "contracts/pacts/b.json",
        http_pact("approves", "POST", "/orders", {"status": "approved"}),
    )
    old = {"type": "object", "properties": {"status": {"enum": ["draft", "approved"]}}}
    new = {"type": "object", "properties": {"status": {"enum": ["approved"]}}}
    [impact] = impacts(tmp_path, contract, openapi(old), openapi(new))
    assert names(impact.affected) == {"drafts"}
    assert names(impact.safe) == {"approves"}


def test_removed_field_no_pact_reads_is_safe(tmp_path: Path) -> None:
    contract = "contracts/schemas/order-created.v1.json"
    pact_path = "contracts/pacts/billing-events.json"
    listed = [{"schema": contract}, {"pact": pact_path}]
    write(tmp_path / "catalog/billing.yaml", touchpoint("billing-feed", "team-billing", listed))
    write(tmp_path / pact_path, message_pact("billing", {"order_id": "SO-1", "total": 12.5}))
    closed = {"$schema": D2020, "type": "object", "additionalProperties": False}
    text = {"type": "string"}
    old = {**closed, "properties": {"order_id": text, "legacy_code": text}}
    new = {**closed, "properties": {"order_id": text}}
    [impact] = impacts(tmp_path, contract, old, new)
    assert impact.change.id == "property-removed"
    assert impact.affected == []
    assert names(impact.safe) == {"billing", "billing-feed"}
    assert "legacy_code" in impact.safe[0].reason


def test_touchpoint_without_pact_is_affected(tmp_path: Path) -> None:
    contract = "contracts/schemas/order.v1.json"
    write(tmp_path / "catalog/wms.yaml", touchpoint("wms-feed", "team-wms", [contract]))
    old = {"$schema": D2020, "type": "string", "maxLength": 10}
    new = {"$schema": D2020, "type": "string", "maxLength": 5}
    [impact] = impacts(tmp_path, contract, old, new)
    [consumer] = impact.affected
    assert (consumer.name, consumer.owner, consumer.kind) == ("wms-feed", "team-wms", "touchpoint")


def test_readers_tolerate_odd_files(tmp_path: Path) -> None:
    write(tmp_path / "catalog/broken.yaml", "kind: [unclosed")
    write(tmp_path / "catalog/system.yaml", "kind: System\nmetadata: {name: erp}\n")
    write(
        tmp_path / "catalog/bare.yaml", "kind: Touchpoint\nspec:\n  contracts: ./contracts/x.json\n"
    )
    write(tmp_path / "contracts/pacts/broken.json", "{")
    plain_body = http_pact("v3-style", "POST", "/orders", {"id": "1"})
    write(tmp_path / "contracts/pacts/v3.json", plain_body)
    [bare] = consumers.load_touchpoints(tmp_path)
    assert bare.name == "bare"
    assert bare.owner == ""
    [loaded] = consumers.load_pacts(tmp_path)
    assert loaded.interactions[0].request_body == {"id": "1"}


def token_pact(consumer: str) -> dict[str, Any]:
    pact = http_pact(consumer, "POST", "/oauth/token", {"grant_type": "client_credentials"})
    pact["interactions"][0]["description"] = "a client-credentials token request"
    pact["interactions"][0]["response"]["body"] = {"status": "activated", "vat": "x"}
    return pact


def test_new_required_field_spares_unrelated_pact(tmp_path: Path) -> None:
    contract = "contracts/schemas/customer.v1.json"
    pact_path = "contracts/pacts/erp.json"
    listed = [{"schema": contract}, {"pact": pact_path}]
    write(tmp_path / "catalog/erp.yaml", touchpoint("hub-to-erp", "team-erp", listed))
    write(tmp_path / pact_path, token_pact("sync-engine"))
    base = {"$schema": D2020, "type": "object", "properties": {"name": {"type": "string"}}}
    for name in ("qqq_code", "vat_id"):
        properties = {"name": {"type": "string"}, name: {"type": "string"}}
        new = {**base, "properties": properties, "required": [name]}
        [impact] = impacts(tmp_path, contract, base, new)
        assert impact.change.id == "required-added"
        assert impact.affected == []
        assert names(impact.safe) == {"sync-engine", "hub-to-erp"}
        assert name in impact.safe[0].reason


def test_nested_required_field_matches_exact_path(tmp_path: Path) -> None:
    contract = "contracts/schemas/customer.v1.json"
    listed = [contract] + [f"contracts/pacts/{name}.json" for name in "abc"]
    write(tmp_path / "catalog/hub.yaml", touchpoint("customer-hub", "team-hub", listed))
    request = {"billing_address": {"city": "Lyon"}, "billing_address_zip": "69001"}
    write(
        tmp_path / "contracts/pacts/a.json",
        http_pact("omits-zip", "POST", "/customers", request),
    )
    complete = {"billing_address": {"city": "Lyon", "zip": "69001"}}
    write(
        tmp_path / "contracts/pacts/b.json",
        http_pact("sends-zip", "POST", "/customers", complete),
    )
    write(
        tmp_path / "contracts/pacts/c.json",
        http_pact("other-object", "POST", "/customers", {"shipping_address": {"city": "Lyon"}}),
    )
    text = {"type": "string"}
    address = {"type": "object", "properties": {"city": text, "zip": text}}
    old = {"$schema": D2020, "type": "object", "properties": {"billing_address": address}}
    required_zip = {**address, "required": ["zip"]}
    new = {**old, "properties": {"billing_address": required_zip}}
    [impact] = impacts(tmp_path, contract, old, new)
    assert impact.change.id == "required-added"
    assert names(impact.affected) == {"omits-zip", "customer-hub"}
    assert names(impact.safe) == {"sends-zip", "other-object"}
