"""The workspace's providers, started embedded on loopback for verification.

Each provider runs its real app with a fresh state. Its provider states create records
through the provider's own HTTP API (so IDs, defaults and events come from the provider
itself), and its message producers return the events the provider actually sent, caught by
an event sink that takes the engine's place.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from opsconsole.contracts.pact import workspace
from opsconsole.contracts.pact.capture import EventCapture, create_capture_app
from opsconsole.contracts.pact.relay import Relay
from opsconsole.errors import ConfigError
from opsconsole.serve import serve_in_thread
from opsconsole.wire import CloudEvent, signed_headers


@dataclass
class EmbeddedProvider:
    """A running provider: where it listens, its relay, and headers every request needs."""

    base_url: str
    relay: Relay
    headers: dict[str, str] = field(default_factory=dict)


ProviderFactory = Callable[[Path], AbstractContextManager[EmbeddedProvider]]


def _ok(response: httpx.Response, step: str) -> httpx.Response:
    if response.is_error:
        raise RuntimeError(f"{step} failed with {response.status_code}: {response.text[:300]}")
    return response


# CRM


@contextmanager
def embedded_crm(state_dir: Path) -> Iterator[EmbeddedProvider]:
    """Run the CRM sandbox with an event sink in place of the engine."""
    from opsconsole.sandboxes.crm.app import CrmSettings, create_app

    secret = secrets.token_hex(16)
    capture = EventCapture(secret)
    with ExitStack() as stack:
        sink = stack.enter_context(serve_in_thread(create_capture_app(capture), name="event sink"))
        settings = CrmSettings(
            engine_webhook_url=f"{sink.url}/webhooks/crm",
            webhook_secret=secret,
            clients={workspace.CRM_CLIENT_ID: workspace.CRM_CLIENT_SECRET},
        )
        crm = stack.enter_context(serve_in_thread(create_app(settings), name="CRM sandbox"))
        token = _crm_token(crm.url)
        api = stack.enter_context(
            httpx.Client(
                base_url=f"{crm.url}{workspace.CRM_DATA}",
                headers={"Authorization": f"Bearer {token}"},
            )
        )
        relay = Relay(
            state_handlers=_crm_states(api),
            message_producers={
                "a crm.account.created event": lambda values: capture.produce(
                    "crm.account.created", values.get("accountId")
                ),
                # Adding the order's item sends an update too; this interaction is about the
                # update that activated the order, which may arrive after it.
                "a crm.order.updated event for an activated order": lambda values: capture.produce(
                    "crm.order.updated", values.get("orderId"), where=_activated
                ),
            },
        )
        yield EmbeddedProvider(crm.url, relay, {"Authorization": f"Bearer {token}"})


def _activated(event: dict[str, Any]) -> bool:
    return bool(event.get("data", {}).get("fields", {}).get("Status") == "Activated")


def _crm_token(base_url: str) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": workspace.CRM_CLIENT_ID,
        "client_secret": workspace.CRM_CLIENT_SECRET,
    }
    answer = _ok(httpx.post(f"{base_url}/services/oauth2/token", data=form), "CRM token request")
    return str(answer.json()["access_token"])


def _crm_states(api: httpx.Client) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    def create(sobject: str, fields: dict[str, Any]) -> str:
        answer = _ok(api.post(f"/sobjects/{sobject}", json=fields), f"Creating a CRM {sobject}")
        return str(answer.json()["id"])

    def account(params: dict[str, Any]) -> dict[str, Any]:
        fields = {"Name": params.get("name", "Nordwerk AG")}
        if params.get("city"):
            fields["BillingCity"] = params["city"]
        return {"accountId": create("Account", fields)}

    def activated_order(params: dict[str, Any]) -> dict[str, Any]:
        account_id = account({"name": "Nordwerk AG"})["accountId"]
        today = datetime.now(UTC).date().isoformat()
        order_id = create(
            "Order", {"AccountId": account_id, "EffectiveDate": today, "CurrencyIsoCode": "EUR"}
        )
        create(
            "OrderItem",
            {
                "OrderId": order_id,
                "Quantity": params.get("quantity", 2),
                "UnitPrice": params.get("unitPrice", 250.0),
                "SKU__c": params.get("sku", "PUMP-200"),
            },
        )
        _ok(
            api.patch(f"/sobjects/Order/{order_id}", json={"Status": "Activated"}),
            "Activating the order",
        )
        return {"accountId": account_id, "orderId": order_id}

    return {
        "an account exists": account,
        "an account is created": account,
        "an activated order with one item exists": activated_order,
        "an order is activated": activated_order,
    }


# ERP


@contextmanager
def embedded_erp(state_dir: Path) -> Iterator[EmbeddedProvider]:
    """Run the ERP sandbox with an event sink in place of the engine."""
    from opsconsole.sandboxes.erp.app import ErpSettings, create_app

    secret = secrets.token_hex(16)
    capture = EventCapture(secret)
    with ExitStack() as stack:
        sink = stack.enter_context(serve_in_thread(create_capture_app(capture), name="event sink"))
        settings = ErpSettings(
            engine_event_url=f"{sink.url}/events/erp",
            event_secret=secret,
            clients={workspace.ERP_CLIENT_ID: workspace.ERP_CLIENT_SECRET},
        )
        erp = stack.enter_context(serve_in_thread(create_app(settings), name="ERP sandbox"))
        token = _erp_token(erp.url)
        api = stack.enter_context(
            httpx.Client(base_url=erp.url, headers={"Authorization": f"Bearer {token}"})
        )

        def event(event_type: str, key: str) -> Callable[[dict[str, Any]], Any]:
            return lambda values: capture.produce(event_type, values.get(key))

        relay = Relay(
            state_handlers=_erp_states(api),
            message_producers={
                "an erp.customer.created event": event("erp.customer.created", "customerId"),
                "an erp.salesorder.accepted event": event(
                    "erp.salesorder.accepted", "salesOrderId"
                ),
                "an erp.salesorder.fulfilled event": event(
                    "erp.salesorder.fulfilled", "salesOrderId"
                ),
                "an erp.invoice.created event": event("erp.invoice.created", "invoiceId"),
            },
        )
        yield EmbeddedProvider(erp.url, relay, {"Authorization": f"Bearer {token}"})


def _erp_token(base_url: str) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": workspace.ERP_CLIENT_ID,
        "client_secret": workspace.ERP_CLIENT_SECRET,
    }
    url = f"{base_url}/services/rest/auth/oauth2/v1/token"
    return str(_ok(httpx.post(url, data=form), "ERP token request").json()["access_token"])


def _erp_states(api: httpx.Client) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    records = workspace.ERP_RECORDS

    def created_id(response: httpx.Response, step: str) -> str:
        location = str(_ok(response, step).headers.get("Location", ""))
        return location.rstrip("/").rsplit("/", 1)[-1]

    def customer(params: dict[str, Any]) -> dict[str, Any]:
        external_id = params.get("externalId") or f"pact-{secrets.token_hex(6)}"
        body = {"companyName": params.get("companyName", "Nordwerk AG"), "subsidiary": {"id": "1"}}
        answer = api.put(f"{records}/customer/eid:{external_id}", json=body)
        return {"customerId": created_id(answer, "Creating an ERP customer")}

    def accepted(params: dict[str, Any]) -> dict[str, Any]:
        customer_id = customer({})["customerId"]
        body = {
            "entity": {"id": customer_id},
            "externalId": f"pact-order-{secrets.token_hex(6)}",
            "tranDate": datetime.now(UTC).date().isoformat(),
            "currency": {"refName": "EUR"},
            "item": {"items": [{"item": {"refName": "PUMP-200"}, "quantity": 2, "rate": "250.00"}]},
        }
        order_id = created_id(
            api.post(f"{records}/salesOrder", json=body), "Creating a sales order"
        )
        return {"customerId": customer_id, "salesOrderId": order_id}

    def fulfilled(params: dict[str, Any]) -> dict[str, Any]:
        values = accepted(params)
        control = f"/sandbox/control/salesOrder/{values['salesOrderId']}/fulfil"
        _ok(api.post(control), "Fulfilling the sales order")
        return values

    def invoiced(params: dict[str, Any]) -> dict[str, Any]:
        values = fulfilled(params)
        control = f"/sandbox/control/salesOrder/{values['salesOrderId']}/invoice"
        invoice = _ok(api.post(control), "Invoicing the sales order").json()
        return {**values, "invoiceId": str(invoice["id"])}

    return {
        "a customer exists": customer,
        "a customer is created": customer,
        "a sales order is accepted": accepted,
        "a sales order is fulfilled": fulfilled,
        "a sales order is invoiced": invoiced,
    }


# The sync engine


@contextmanager
def embedded_engine(state_dir: Path) -> Iterator[EmbeddedProvider]:
    """Run the engine on a fresh SQLite file, its worker off, with no CRM or ERP behind it."""
    from opsconsole.engine.app import create_app
    from opsconsole.engine.settings import EngineSettings

    secret = secrets.token_hex(16)
    state_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=state_dir, prefix="pact-engine-") as folder:
        settings = EngineSettings(
            database_url=f"sqlite:///{Path(folder) / 'engine.sqlite'}",
            # The worker is off, so these loopback URLs are never called.
            crm_base_url="http://127.0.0.1:9",
            crm_client_secret="unused",
            erp_base_url="http://127.0.0.1:9",
            erp_client_secret="unused",
            crm_webhook_secrets=[secret],
            erp_event_secrets=[secret],
            run_worker=False,
        )
        with serve_in_thread(create_app(settings), name="engine") as engine:
            relay = Relay(state_handlers=_engine_states(engine.url, secret))
            yield EmbeddedProvider(engine.url, relay)


def _engine_states(
    base_url: str, secret: str
) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    def account_event_received(params: dict[str, Any]) -> dict[str, Any]:
        event = CloudEvent(
            source="/sandbox/crm",
            type="crm.account.created",
            subject=workspace.ACCOUNT_ID,
            correlationid=str(params["correlationId"]),
            data={
                "sobject": "Account",
                "id": workspace.ACCOUNT_ID,
                "fields": {"Id": workspace.ACCOUNT_ID, "Name": "Nordwerk AG"},
                "changedFields": ["Name"],
                "lastModifiedById": "0055g00000OtHeRAAV",
            },
        )
        body, headers = signed_headers(event, secret)
        _ok(
            httpx.post(f"{base_url}/webhooks/crm", content=body, headers=headers),
            "Sending the event",
        )
        return {}

    return {"an account event was received": account_event_received}


EMBEDDED_PROVIDERS: dict[str, ProviderFactory] = {
    workspace.CRM: embedded_crm,
    workspace.ERP: embedded_erp,
    workspace.ENGINE: embedded_engine,
}


def embedded_provider(name: str, state_dir: Path) -> AbstractContextManager[EmbeddedProvider]:
    """Return the context that runs provider `name` embedded.

    Raises:
        ConfigError: no embedded provider has that name.
    """
    factory = EMBEDDED_PROVIDERS.get(name)
    if factory is None:
        known = ", ".join(sorted(EMBEDDED_PROVIDERS))
        raise ConfigError(
            f"No embedded provider is named {name!r} (known: {known}). Verify another "
            "provider by passing --base-url with its running URL."
        )
    return factory(state_dir)
