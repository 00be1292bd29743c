"""Direction-aware rules for OpenAPI 3.0/3.1 and AsyncAPI 3 documents."""

from __future__ import annotations

import copy
from typing import Any

from opsconsole.review.model import Level

from .conftest import Differ, by_rule


def api(
    request: dict[str, Any],
    response: dict[str, Any],
    *,
    version: str = "3.1.0",
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    order_post = {
        "operationId": "createOrder",
        "parameters": parameters or [],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewOrder"}}},
        },
        "responses": {
            "201": {
                "description": "Created",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
            },
            "422": {"description": "Invalid"},
        },
    }
    return {
        "openapi": version,
        "info": {"title": "Orders", "version": "1"},
        "paths": {
            "/orders": {"post": order_post},
            "/orders/{id}": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Order"}
                                }
                            },
                        }
                    }
                }
            },
        },
        "components": {"schemas": {"NewOrder": request, "Order": response}},
    }


def order(required: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


TEXT = {"type": "string"}


def test_required_in_request_breaks_clients(diff: Differ) -> None:
    old = api(order(note=TEXT), order(id=TEXT))
    new = api(order(["note"], note=TEXT), order(id=TEXT))
    change = by_rule(diff(old, new))["required-added"][0]
    assert change.level == Level.BREAKING
    assert change.path == "$.components.schemas.NewOrder.properties.note"


def test_required_in_response_does_not_break(diff: Differ) -> None:
    old = api(order(note=TEXT), order(id=TEXT))
    new = api(order(note=TEXT), order(["id"], id=TEXT))
    change = by_rule(diff(old, new))["required-added"][0]
    assert change.level == Level.INFO


def test_response_property_removed_breaks(diff: Differ) -> None:
    old = api(order(note=TEXT), order(id=TEXT, total={"type": "number"}))
    new = api(order(note=TEXT), order(id=TEXT))
    change = by_rule(diff(old, new))["property-removed"][0]
    assert change.level == Level.BREAKING
    operations = {usage.operation for usage in change.usages}
    assert operations == {"POST /orders", "GET /orders/{id}"}


def test_enum_value_added_breaks_response_not_request(diff: Differ) -> None:
    status_old = {"type": "string", "enum": ["draft", "approved"]}
    status_new = {"type": "string", "enum": ["draft", "approved", "shipped"]}
    in_request = by_rule(
        diff(api(order(status=status_old), order()), api(order(status=status_new), order()))
    )
    assert in_request["enum-value-added"][0].level == Level.INFO
    in_response = by_rule(
        diff(api(order(), order(status=status_old)), api(order(), order(status=status_new)))
    )
    assert in_response["enum-value-added"][0].level == Level.BREAKING


def test_shared_component_takes_worst_level(diff: Differ) -> None:
    old = api(order(), order())
    new = copy.deepcopy(old)
    shared = {"$ref": "#/components/schemas/Money"}
    for doc, length in ((old, 10), (new, 5)):
        doc["components"]["schemas"]["Money"] = {"type": "string", "maxLength": length}
        doc["components"]["schemas"]["NewOrder"]["properties"]["total"] = shared
        doc["components"]["schemas"]["Order"]["properties"]["total"] = shared
    change = by_rule(diff(old, new))["max-length-lowered"][0]
    assert change.level == Level.BREAKING
    assert {usage.part for usage in change.usages} == {"request", "response:201", "response:200"}


def test_operation_removed_and_added(diff: Differ) -> None:
    old = api(order(), order())
    new = copy.deepcopy(old)
    del new["paths"]["/orders/{id}"]
    new["paths"]["/invoices"] = {"get": {"responses": {"200": {"description": "OK"}}}}
    found = by_rule(diff(old, new))
    assert found["operation-removed"][0].level == Level.BREAKING
    assert found["operation-added"][0].level == Level.INFO


def test_renamed_path_parameter_is_same_operation(diff: Differ) -> None:
    old = api(order(), order())
    new = copy.deepcopy(old)
    new["paths"]["/orders/{orderId}"] = new["paths"].pop("/orders/{id}")
    assert "operation-removed" not in by_rule(diff(old, new))


def test_parameter_rules(diff: Differ) -> None:
    limit = {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}}
    tenant = {"name": "X-Tenant", "in": "header", "required": True, "schema": TEXT}
    old = api(order(), order(), parameters=[limit])
    tighter = {**limit, "required": True, "schema": {"type": "integer", "maximum": 50}}
    new = api(order(), order(), parameters=[tighter, tenant])
    found = by_rule(diff(old, new))
    assert found["request-parameter-added-required"][0].level == Level.BREAKING
    assert found["request-parameter-became-required"][0].level == Level.BREAKING
    assert found["maximum-lowered"][0].level == Level.BREAKING
    removed = by_rule(diff(new, old))
    assert removed["request-parameter-removed"][0].level == Level.WARNING


def test_media_type_and_status_rules(diff: Differ) -> None:
    old = api(order(), order())
    new = copy.deepcopy(old)
    post = new["paths"]["/orders"]["post"]
    post["requestBody"]["content"]["application/xml"] = post["requestBody"]["content"].pop(
        "application/json"
    )
    del post["responses"]["201"]
    found = by_rule(diff(old, new))
    assert found["request-media-type-removed"][0].level == Level.BREAKING
    assert found["request-media-type-added"][0].level == Level.INFO
    assert found["response-status-removed"][0].level == Level.BREAKING


def test_nullable_removed_in_openapi_30_request(diff: Differ) -> None:
    old = api(order(note={"type": "string", "nullable": True}), order(), version="3.0.3")
    new = api(order(note={"type": "string"}), order(), version="3.0.3")
    change = by_rule(diff(old, new))["type-narrowed"][0]
    assert change.level == Level.BREAKING
    assert "null" in change.reason


def test_nullable_30_equals_type_list_31(diff: Differ) -> None:
    old = api(order(note={"type": "string", "nullable": True}), order(), version="3.0.3")
    new = api(order(note={"type": ["string", "null"]}), order(), version="3.0.3")
    new["openapi"] = "3.1.0"
    assert diff(old, new).breaking == []


def test_discriminator_rules(diff: Differ) -> None:
    def pets(mapping: dict[str, str], name: str = "petType") -> dict[str, Any]:
        pet = {
            "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "discriminator": {"propertyName": name, "mapping": mapping},
        }
        doc = api(pet, order())
        doc["components"]["schemas"]["Cat"] = order(["petType"], petType={"const": "cat"})
        doc["components"]["schemas"]["Dog"] = order(["petType"], petType={"const": "dog"})
        return doc

    both = {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"}
    only_cat = {"cat": "#/components/schemas/Cat"}
    assert diff(pets(both), pets(both)).changes == []
    found = by_rule(diff(pets(both), pets(only_cat)))
    assert found["discriminator-mapping-removed"][0].level == Level.BREAKING
    assert by_rule(diff(pets(both), pets(both, "kind")))["discriminator-property-changed"]


def asyncapi(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Orders events", "version": "1"},
        "channels": {
            "orderCreated": {
                "address": "orders.created",
                "messages": {"OrderCreated": {"$ref": "#/components/messages/OrderCreated"}},
            }
        },
        "operations": {
            "publishOrderCreated": {
                "action": action,
                "channel": {"$ref": "#/channels/orderCreated"},
                "messages": [{"$ref": "#/channels/orderCreated/messages/OrderCreated"}],
            }
        },
        "components": {"messages": {"OrderCreated": {"payload": payload}}},
    }


def test_asyncapi_sent_message_breaks_on_widening(diff: Differ) -> None:
    old = asyncapi("send", order(status={"enum": ["new"]}))
    new = asyncapi("send", order(status={"enum": ["new", "held"]}))
    change = by_rule(diff(old, new))["enum-value-added"][0]
    assert change.level == Level.BREAKING
    assert {u.operation for u in change.usages} == {"channel orderCreated"}


def test_asyncapi_received_message_breaks_on_narrowing(diff: Differ) -> None:
    old = asyncapi("receive", order(status={"enum": ["new", "held"]}))
    widened = asyncapi("receive", order(status={"enum": ["new", "held", "gone"]}))
    assert diff(old, widened).breaking == []
    narrowed = asyncapi("receive", order(status={"enum": ["new"]}))
    assert by_rule(diff(old, narrowed))["enum-value-removed"][0].level == Level.BREAKING


def test_asyncapi_channel_rules(diff: Differ) -> None:
    old = asyncapi("send", order())
    moved = copy.deepcopy(old)
    moved["channels"]["orderCreated"]["address"] = "orders.v2.created"
    assert by_rule(diff(old, moved))["channel-address-changed"][0].level == Level.BREAKING
    changed_action = asyncapi("receive", order())
    assert by_rule(diff(old, changed_action))["operation-action-changed"]


def test_request_body_rules(diff: Differ) -> None:
    old = api(order(), order())
    optional = copy.deepcopy(old)
    optional["paths"]["/orders"]["post"]["requestBody"]["required"] = False
    assert by_rule(diff(optional, old))["request-body-became-required"][0].level == Level.BREAKING
    without = copy.deepcopy(old)
    del without["paths"]["/orders"]["post"]["requestBody"]
    assert by_rule(diff(old, without))["request-body-removed"][0].level == Level.WARNING
    added = by_rule(diff(without, old))["request-body-added-required"][0]
    assert added.level == Level.BREAKING
    assert by_rule(diff(without, optional))["request-body-added"][0].level == Level.INFO


def test_response_media_and_status_added(diff: Differ) -> None:
    old = api(order(), order())
    new = copy.deepcopy(old)
    responses = new["paths"]["/orders"]["post"]["responses"]
    responses["201"]["content"]["application/xml"] = responses["201"]["content"].pop(
        "application/json"
    )
    responses["409"] = {"description": "Conflict"}
    found = by_rule(diff(old, new))
    assert found["response-media-type-removed"][0].level == Level.BREAKING
    assert found["response-media-type-added"][0].level == Level.INFO
    assert found["response-status-added"][0].level == Level.INFO


def test_operation_deprecated_and_parameter_optional(diff: Differ) -> None:
    required = {"name": "limit", "in": "query", "required": True, "schema": {"type": "integer"}}
    old = api(order(), order(), parameters=[required])
    new = api(order(), order(), parameters=[{**required, "required": False}])
    new["paths"]["/orders"]["post"]["deprecated"] = True
    found = by_rule(diff(old, new))
    assert found["operation-deprecated"][0].level == Level.WARNING
    assert found["request-parameter-became-optional"][0].level == Level.INFO


def test_discriminator_added_removed_and_remapped(diff: Differ) -> None:
    plain = api({"oneOf": [{"$ref": "#/components/schemas/Order"}]}, order())
    tagged = copy.deepcopy(plain)
    mapping = {"order": "#/components/schemas/Order"}
    tagged["components"]["schemas"]["NewOrder"]["discriminator"] = {
        "propertyName": "kind",
        "mapping": mapping,
    }
    assert by_rule(diff(plain, tagged))["discriminator-added"]
    assert by_rule(diff(tagged, plain))["discriminator-removed"]
    more = copy.deepcopy(tagged)
    discriminator = more["components"]["schemas"]["NewOrder"]["discriminator"]
    discriminator["mapping"] = {"order": "#/components/schemas/NewOrder", "rush": mapping["order"]}
    found = by_rule(diff(tagged, more))
    assert found["discriminator-mapping-added"][0].level == Level.WARNING
    assert found["discriminator-mapping-changed"][0].level == Level.BREAKING


def test_asyncapi_channel_and_message_lifecycle(diff: Differ) -> None:
    old = asyncapi("send", order())
    new = copy.deepcopy(old)
    new["channels"]["orderShipped"] = new["channels"].pop("orderCreated")
    new["operations"]["publishOrderCreated"]["channel"] = {"$ref": "#/channels/orderShipped"}
    found = by_rule(diff(old, new))
    assert found["channel-removed"][0].level == Level.BREAKING
    assert found["channel-added"][0].level == Level.INFO
    assert found["operation-channel-changed"][0].level == Level.BREAKING
    extra = copy.deepcopy(old)
    messages = extra["channels"]["orderCreated"]["messages"]
    messages["OrderAmended"] = {"payload": order()}
    assert by_rule(diff(old, extra))["message-added"][0].level == Level.INFO
    assert by_rule(diff(extra, old))["message-removed"][0].level == Level.BREAKING


def test_asyncapi_avro_payload_not_compared(diff: Differ) -> None:
    avro = {
        "schemaFormat": "application/vnd.apache.avro;version=1.9.0",
        "schema": {"type": "record"},
    }
    old, new = asyncapi("send", order()), asyncapi("send", order())
    for doc in (old, new):
        doc["components"]["messages"]["OrderCreated"]["payload"] = avro
    change = by_rule(diff(old, new))["payload-format-not-compared"][0]
    assert change.level == Level.WARNING


def test_unused_component_change_is_warning(diff: Differ) -> None:
    old, new = api(order(), order()), api(order(), order())
    old["components"]["schemas"]["Legacy"] = {"type": "string", "maxLength": 10}
    new["components"]["schemas"]["Legacy"] = {"type": "string", "maxLength": 5}
    change = by_rule(diff(old, new))["max-length-lowered"][0]
    assert change.level == Level.WARNING
    assert change.path == "$.components.schemas.Legacy"


def test_used_component_keeps_operation_level(diff: Differ) -> None:
    old = api(order(note=TEXT), order(id=TEXT))
    new = api(order(["note"], note=TEXT), order(id=TEXT))
    changes = by_rule(diff(old, new))["required-added"]
    assert len(changes) == 1
    assert changes[0].level == Level.BREAKING
