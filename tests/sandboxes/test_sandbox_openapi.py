from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from sandbox_helpers import CLIENTS, ENGINE, crm_settings
from schemathesis import checks

from opsconsole.sandboxes.crm.app import create_app as create_crm_app
from opsconsole.sandboxes.erp.app import ErpSettings
from opsconsole.sandboxes.erp.app import create_app as create_erp_app
from opsconsole.sandboxes.tls import LocalTLS
from opsconsole.serve import serve_in_thread

# Salesforce and NetSuite return 400 for schema-valid bodies that name records which do not
# exist, so acceptance of positive data is left out. Everything the document promises is
# checked.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def _erp_app() -> FastAPI:
    settings = ErpSettings(engine_event_url=None, event_secret="s", clients=CLIENTS)
    return create_erp_app(settings)


def test_crm_document_has_path_per_object() -> None:
    document = create_crm_app(crm_settings(None)).openapi()
    paths = document["paths"]

    assert "/services/data/{version}/sobjects/Account" in paths
    assert "/services/data/{version}/sobjects/{sobject}" not in paths
    body = paths["/services/data/{version}/sobjects/Account"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["required"] == ["Name"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["Name"]["maxLength"] == 255
    assert (
        "TotalAmount"
        not in paths["/services/data/{version}/sobjects/Order"]["post"]["requestBody"]["content"][
            "application/json"
        ]["schema"]["properties"]
    )
    upsert = paths["/services/data/{version}/sobjects/Invoice__c/{field}/{value}"]["patch"]
    field = next(p for p in upsert["parameters"] if p["name"] == "field")
    assert field["schema"]["enum"] == ["Id", "ERP_Invoice_Id__c"]


def test_erp_document_has_path_per_record_type() -> None:
    paths = _erp_app().openapi()["paths"]

    customer = paths["/services/rest/record/v1/customer"]["post"]["requestBody"]
    schema = customer["content"]["application/json"]["schema"]
    assert schema["properties"]["addr1"]["maxLength"] == 150
    assert schema["properties"]["state"]["maxLength"] == 30
    assert set(paths["/services/rest/record/v1/invoice"]) == {"get"}
    assert set(paths["/services/rest/record/v1/invoice/{key}"]) == {"get", "delete"}
    assert "/sandbox/control/salesOrder/{order_id}/invoice" in paths


def _fuzz(
    document: dict[str, Any], base_url: str, session: requests.Session, verify: str | bool = True
) -> list[str]:
    schema = schemathesis.openapi.from_dict(document)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(base_url=base_url, session=session, checks=CHECKS, verify=verify)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    return failures


@pytest.fixture
def crm_fuzz_target(tls: LocalTLS) -> Iterator[tuple[FastAPI, str, requests.Session, str]]:
    app = create_crm_app(crm_settings(None))
    with serve_in_thread(app, name="crm", tls=tls.server) as server, requests.Session() as session:
        session.trust_env = False
        session.verify = str(tls.ca_file)
        session.headers["Connection"] = "close"
        token = session.post(
            f"{server.url}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": ENGINE[0],
                "client_secret": ENGINE[1],
            },
        ).json()["access_token"]
        session.headers["Authorization"] = f"Bearer {token}"
        yield app, server.url, session, str(tls.ca_file)


def test_crm_answers_as_documented(
    crm_fuzz_target: tuple[FastAPI, str, requests.Session, str],
) -> None:
    app, url, session, ca_file = crm_fuzz_target

    assert _fuzz(app.openapi(), url, session, ca_file) == []


def test_erp_answers_as_documented() -> None:
    app = _erp_app()
    with serve_in_thread(app, name="erp") as server, requests.Session() as session:
        session.trust_env = False
        token = session.post(
            f"{server.url}/services/rest/auth/oauth2/v1/token",
            data={
                "grant_type": "client_credentials",
                "client_id": ENGINE[0],
                "client_secret": ENGINE[1],
            },
        ).json()["access_token"]
        session.headers["Authorization"] = f"Bearer {token}"
        failures = _fuzz(app.openapi(), server.url, session)

    assert failures == []
