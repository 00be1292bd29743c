"""Pacts are checked against a provider's OpenAPI document: requests and response schemas."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsconsole.contracts.pact.files import PactFile, load_pact
from opsconsole.contracts.pact.openapi import check_against_openapi, load_openapi
from opsconsole.errors import ConfigError
from opsconsole.reports import CheckStatus

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Customer API", "version": "1"},
    "servers": [{"url": "http://127.0.0.1:8400/api/v1"}],
    "paths": {
        "/customers/{customerId}": {
            "parameters": [
                {
                    "name": "customerId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^C-[0-9]+$"},
                }
            ],
            "get": {
                "parameters": [{"name": "expand", "in": "query", "schema": {"type": "boolean"}}],
                "responses": {
                    "200": {
                        "description": "The customer",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Customer"}
                            }
                        },
                    },
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            },
        },
        "/customers": {
            "post": {
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewCustomer"}}
                    },
                },
                "responses": {
                    "201": {
                        "description": "Created",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Customer"}
                            }
                        },
                    }
                },
            }
        },
    },
    "components": {
        "schemas": {
            "NewCustomer": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "email": {"type": "string", "format": "email"},
                },
            },
            "Customer": {
                "allOf": [
                    {"$ref": "#/components/schemas/NewCustomer"},
                    {
                        "type": "object",
                        "required": ["id", "credit_limit"],
                        "properties": {
                            "id": {"type": "string"},
                            "credit_limit": {"type": "integer"},
                        },
                    },
                ]
            },
        },
        "responses": {
            "NotFound": {
                "description": "Not found",
                "content": {
                    "application/problem+json": {
                        "schema": {"type": "object", "properties": {"title": {"type": "string"}}}
                    }
                },
            }
        },
    },
}


def _interaction(
    description: str, request: dict[str, Any], status: int, body: Any = None
) -> dict[str, Any]:
    response: dict[str, Any] = {"status": status}
    if body is not None:
        response["body"] = {"content": body, "contentType": "application/json", "encoded": False}
    return {
        "type": "Synchronous/HTTP",
        "description": description,
        "request": request,
        "response": response,
    }


def _pact(*interactions: dict[str, Any]) -> PactFile:
    content = {
        "consumer": {"name": "console"},
        "provider": {"name": "engine"},
        "interactions": list(interactions),
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    return PactFile(
        path=Path("console-engine.json"), consumer="console", provider="engine", content=content
    )


READ = {"method": "GET", "path": "/api/v1/customers/C-300"}
CUSTOMER = {"id": "C-300", "name": "Nordwerk AG", "credit_limit": 5000}


def _status(
    interaction: dict[str, Any], document: dict[str, Any] | None = None
) -> tuple[CheckStatus, str]:
    report = check_against_openapi([_pact(interaction)], document or OPENAPI, "engine")
    check = report.checks[0]
    return check.status, check.message


def test_documented_interaction_passes() -> None:
    assert _status(_interaction("read", READ, 200, CUSTOMER))[0] is CheckStatus.PASSED


def test_response_may_leave_out_required_fields() -> None:
    partial = {"id": "C-300", "credit_limit": 5000}

    assert _status(_interaction("read", READ, 200, partial))[0] is CheckStatus.PASSED


def test_removed_response_field_fails() -> None:
    document = copy.deepcopy(OPENAPI)
    part = document["components"]["schemas"]["Customer"]["allOf"][1]
    del part["properties"]["credit_limit"]
    part["required"] = ["id"]

    status, message = _status(_interaction("read", READ, 200, CUSTOMER), document)

    assert status is CheckStatus.FAILED
    assert "$.credit_limit is not declared" in message


def test_changed_type_fails_with_diff() -> None:
    report = check_against_openapi(
        [_pact(_interaction("read", READ, 200, {**CUSTOMER, "credit_limit": "5000"}))],
        OPENAPI,
        "engine",
    )

    check = report.checks[0]
    assert check.status is CheckStatus.FAILED
    assert check.expected == {"$.credit_limit": {"type": "integer"}}
    assert check.actual == {"$.credit_limit": "5000"}


def test_undocumented_status_fails() -> None:
    status, message = _status(_interaction("read", READ, 410))

    assert status is CheckStatus.FAILED
    assert "status 410 is not documented" in message


def test_unknown_path_and_method_fail() -> None:
    unknown_path = _status(_interaction("x", {"method": "GET", "path": "/api/v1/orders"}, 200))
    wrong_method = _status(_interaction("y", {**READ, "method": "DELETE"}, 204))

    assert unknown_path[0] is CheckStatus.FAILED
    assert "no operation" in unknown_path[1]
    assert wrong_method[0] is CheckStatus.FAILED
    assert "only for GET" in wrong_method[1]


def test_invalid_request_parts_fail() -> None:
    bad_id = _status(
        _interaction("a", {"method": "GET", "path": "/api/v1/customers/300"}, 200, CUSTOMER)
    )
    bad_query = _status(
        _interaction("b", {**READ, "query": {"expand": ["sometimes"]}}, 200, CUSTOMER)
    )
    extra_query = _status(_interaction("c", {**READ, "query": {"page": ["2"]}}, 200, CUSTOMER))

    assert "path parameter 'customerId'" in bad_id[1]
    assert "query parameter 'expand'" in bad_query[1]
    assert "'page' is not documented" in extra_query[1]


def test_request_body_and_required_header_are_checked() -> None:
    create = {
        "method": "POST",
        "path": "/api/v1/customers",
        "headers": {"Content-Type": ["application/json"]},
        "body": {
            "content": {"email": "not-an-email"},
            "contentType": "application/json",
            "encoded": False,
        },
    }

    report = check_against_openapi(
        [_pact(_interaction("create", create, 201, CUSTOMER))], OPENAPI, "engine"
    )

    assert report.checks[0].status is CheckStatus.FAILED
    problems = [report.checks[0].message, *report.checks[0].details]
    assert any("'Idempotency-Key' is required" in p for p in problems)
    assert any("'name' is a required property" in p for p in problems)
    assert any("is not a 'email'" in p for p in problems)


def test_message_interactions_are_skipped() -> None:
    message = {"type": "Asynchronous/Messages", "description": "an event", "contents": {}}

    assert _status(message)[0] is CheckStatus.SKIPPED


def test_openapi_30_nullable_is_understood(tmp_path: Path) -> None:
    document = copy.deepcopy(OPENAPI)
    document["openapi"] = "3.0.3"
    document["components"]["schemas"]["NewCustomer"]["properties"]["email"]["nullable"] = True
    path = tmp_path / "customer.yaml"
    path.write_text(yaml.safe_dump(document))

    loaded = load_openapi(path)
    status, _ = _status(_interaction("read", READ, 200, {**CUSTOMER, "email": None}), loaded)

    assert status is CheckStatus.PASSED


def test_document_that_is_not_openapi_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "swagger.yaml"
    path.write_text("swagger: '2.0'\n")

    with pytest.raises(ConfigError, match="not an OpenAPI 3 document"):
        load_openapi(path)


def test_erp_sandbox_document_gates_token_pact(tmp_path: Path) -> None:
    from opsconsole.contracts.pact.workspace import engine_erp_pact
    from opsconsole.sandboxes.erp.app import ErpSettings, create_app

    app = create_app(ErpSettings(engine_event_url=None, event_secret="s", clients={"c": "s"}))
    document = json.loads(json.dumps(app.openapi()))
    engine_erp_pact(messages=False).write_file(tmp_path)
    pact = load_pact(tmp_path / "sync-engine-erp.json")
    token = next(i for i in pact.interactions if "token" in i["description"])
    broken = copy.deepcopy(token)
    broken["description"] = "a token whose expiry is text"
    broken["response"]["body"]["content"]["expires_in"] = "3600"
    pact.content["interactions"] = [token, broken]

    report = check_against_openapi([pact], document, "erp")

    assert [c.status for c in report.checks] == [CheckStatus.PASSED, CheckStatus.FAILED]
    assert "$.expires_in" in report.checks[1].message
