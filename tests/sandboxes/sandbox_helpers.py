"""Shared pieces of the sandbox tests: real servers, an event receiver and client helpers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from fastapi import FastAPI, Request, Response
from simple_salesforce import Salesforce

from opsconsole.errors import SignatureError
from opsconsole.sandboxes.crm.app import CrmSettings
from opsconsole.sandboxes.crm.app import create_app as create_crm_app
from opsconsole.sandboxes.delivery import RetryPolicy
from opsconsole.sandboxes.erp.app import ErpSettings
from opsconsole.sandboxes.erp.app import create_app as create_erp_app
from opsconsole.sandboxes.tls import LocalTLS, local_tls
from opsconsole.serve import RunningServer, serve_in_thread
from opsconsole.wire import verify_signature

CRM_SECRET = "crm-webhook-secret"
ERP_SECRET = "erp-event-secret"
ENGINE = ("opsconsole-engine", "engine-secret")
SYNTHETIC = ("opsconsole-synthetic", "synthetic-secret")
CLIENTS = dict([ENGINE, SYNTHETIC])
FAST_RETRIES = RetryPolicy(max_attempts=5, initial_backoff_seconds=0.01, max_backoff_seconds=0.05)


def wait_for(condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll `condition` until it returns something truthy; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.02)
    pytest.fail(f"condition not met within {timeout} s")


@dataclass
class ReceivedEvent:
    """An event the receiver accepted, with the headers it came with."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class EventReceiver:
    """A stand-in for the engine's event endpoints that checks every signature."""

    secrets: dict[str, str]
    fail_next: int = 0
    events: list[ReceivedEvent] = field(default_factory=list)
    rejected_signatures: int = 0
    failures_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhooks/crm")
        async def crm(request: Request) -> Response:
            return await self._receive(request, self.secrets["crm"])

        @app.post("/events/erp")
        async def erp(request: Request) -> Response:
            return await self._receive(request, self.secrets["erp"])

        return app

    async def _receive(self, request: Request, secret: str) -> Response:
        body = await request.body()
        try:
            verify_signature(body, request.headers.get("X-Opsconsole-Signature"), [secret])
        except SignatureError:
            with self.lock:
                self.rejected_signatures += 1
            return Response(status_code=401)
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                self.failures_sent += 1
                return Response(status_code=503)
            self.events.append(
                ReceivedEvent(request.url.path, _json(body), dict(request.headers.items()))
            )
        return Response(status_code=202)

    def of_type(self, event_type: str) -> list[ReceivedEvent]:
        with self.lock:
            return [e for e in self.events if e.body["type"] == event_type]


def _json(body: bytes) -> dict[str, Any]:
    import json

    parsed: dict[str, Any] = json.loads(body)
    return parsed


@pytest.fixture
def receiver() -> Iterator[EventReceiver]:
    events = EventReceiver(secrets={"crm": CRM_SECRET, "erp": ERP_SECRET})
    with serve_in_thread(events.app(), name="receiver") as server:
        events.url = server.url
        yield events


@pytest.fixture
def tls(tmp_path: Path) -> LocalTLS:
    return local_tls(tmp_path / "state")


def crm_settings(receiver_url: str | None, **overrides: Any) -> CrmSettings:
    """Return CRM settings pointed at a receiver, with fast retries."""
    url = f"{receiver_url}/webhooks/crm" if receiver_url else None
    values: dict[str, Any] = {
        "engine_webhook_url": url,
        "webhook_secret": CRM_SECRET,
        "clients": CLIENTS,
        "delivery": FAST_RETRIES,
    }
    values.update(overrides)
    return CrmSettings(**values)


@pytest.fixture
def crm_server(tls: LocalTLS, receiver: EventReceiver) -> Iterator[RunningServer]:
    app = create_crm_app(crm_settings(receiver.url, query_page_size=3))
    with serve_in_thread(app, name="crm", tls=tls.server) as server:
        yield server


def requests_session(ca_file: Path) -> requests.Session:
    """Return a session that trusts only the sandbox CA, whatever the environment sets."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_file)
    # uvicorn waits for an idle TLS keep-alive connection to finish its TLS shutdown when it
    # stops, which takes 10 s while a test still keeps a response; one request per
    # connection avoids that.
    session.headers["Connection"] = "close"
    return session


def crm_token(server: RunningServer, session: requests.Session, client: tuple[str, str]) -> str:
    """Fetch an access token for `client` with the client-credentials flow."""
    response = session.post(
        f"{server.url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client[0],
            "client_secret": client[1],
        },
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def salesforce_client(
    server: RunningServer, ca_file: Path, client: tuple[str, str] = SYNTHETIC
) -> Salesforce:
    """Return an unmodified simple-salesforce client logged in to the sandbox."""
    session = requests_session(ca_file)
    token = crm_token(server, session, client)
    return Salesforce(instance_url=server.url, session_id=token, session=session, version="60.0")


@pytest.fixture
def sf(crm_server: RunningServer, tls: LocalTLS) -> Iterator[Salesforce]:
    client = salesforce_client(crm_server, tls.ca_file)
    yield client
    client.session.close()


@pytest.fixture
def crm_session(crm_server: RunningServer, tls: LocalTLS) -> Iterator[requests.Session]:
    with requests_session(tls.ca_file) as session:
        yield session


@pytest.fixture
def erp_server(receiver: EventReceiver) -> Iterator[RunningServer]:
    settings = ErpSettings(
        engine_event_url=f"{receiver.url}/events/erp",
        event_secret=ERP_SECRET,
        clients=CLIENTS,
        delivery=FAST_RETRIES,
    )
    with serve_in_thread(create_erp_app(settings), name="erp") as server:
        yield server


def erp_client(server: RunningServer, client: tuple[str, str] = ENGINE) -> httpx.Client:
    """Return an httpx client with a bearer token for the ERP sandbox."""
    http = httpx.Client(base_url=server.url, trust_env=False, timeout=10)
    response = http.post(
        "/services/rest/auth/oauth2/v1/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client[0],
            "client_secret": client[1],
        },
    )
    response.raise_for_status()
    http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return http


@pytest.fixture
def erp(erp_server: RunningServer) -> Iterator[httpx.Client]:
    http = erp_client(erp_server)
    yield http
    http.close()
