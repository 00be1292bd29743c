"""The ERP sandbox: a subset of the NetSuite REST record API, served by FastAPI.

It keeps customers, sales orders and invoices, responds in NetSuite's shapes (204 with
`Location` on create, `links`, list pages, `o:errorDetails`), enforces field limits, and
sends a signed CloudEvent to the engine for each change after the write has returned.
Fulfilment and invoicing, which happen inside a real ERP, are sandbox control calls.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import BackgroundTasks, Body, Depends, FastAPI, Form, Query, Request, Response
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from opsconsole.sandboxes.control import SANDBOX_TAG, TokenForm, TokenIssuer, sandbox_router
from opsconsole.sandboxes.delivery import EventDelivery, RetryPolicy, delivery_lifespan
from opsconsole.sandboxes.erp import events, openapi, records
from opsconsole.sandboxes.erp.errors import (
    NetSuiteApiError,
    NetSuiteErrorBody,
    error,
    invalid_login,
)
from opsconsole.sandboxes.erp.query import parse_filter
from opsconsole.sandboxes.erp.store import ErpStore, WriteResult
from opsconsole.sandboxes.faults import SANDBOX_PATH_PREFIX, FaultInjector, FaultMiddleware
from opsconsole.sandboxes.http import trace_context
from opsconsole.sandboxes.request_log import RequestLog, RequestLogMiddleware

RECORD_PATH = "/services/rest/record/v1"
TOKEN_SECONDS = 3600
MAX_PAGE = 1000


class ErpSettings(BaseModel):
    """Configuration of one ERP sandbox."""

    engine_event_url: str | None = Field(
        description="URL of the engine's /events/erp endpoint; None sends no events."
    )
    event_secret: str = Field(description="HMAC secret that signs the change events.")
    clients: dict[str, str] = Field(description="OAuth client_id to client_secret.")
    delivery: RetryPolicy = Field(default_factory=RetryPolicy)


class TokenResponse(BaseModel):
    """OAuth 2.0 token response."""

    access_token: str
    token_type: str = "Bearer"
    expires_in: int


class Link(BaseModel):
    """A hypermedia link."""

    rel: str
    href: str


class ListItem(BaseModel):
    """One record in a list page."""

    links: list[Link]
    id: str


class RecordList(BaseModel):
    """One page of a record list."""

    links: list[Link]
    count: int
    hasMore: bool
    items: list[ListItem]
    offset: int
    totalResults: int


class ErpRecord(BaseModel):
    """A record with its `links` and fields; empty fields are left out."""

    model_config = {"extra": "allow"}

    links: list[Link]
    id: str


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": NetSuiteErrorBody, "description": description}
    for status, description in (
        (400, "Invalid request, in NetSuite's error format."),
        (401, "Missing or invalid bearer token."),
        (404, "Unknown record type or record."),
    )
}
_NO_CONTENT: dict[str, Any] = {
    "status_code": 204,
    "response_class": Response,
    "responses": {**_ERRORS, 204: {"description": "Done; `Location` names the record."}},
}


class _Sandbox:
    """State of one running ERP sandbox."""

    def __init__(self, settings: ErpSettings) -> None:
        self.settings = settings
        self.store = ErpStore()
        self.tokens = TokenIssuer(settings.clients)
        self.faults = FaultInjector()
        self.requests = RequestLog()
        self.delivery = EventDelivery(
            settings.engine_event_url, settings.event_secret, settings.delivery
        )

    def publish(self, result: WriteResult, request: Request) -> None:
        """Queue the events for a write; called after the response has been sent."""
        if self.delivery.target_url is None or not result.changes:
            return
        names = self.store.customer_names()
        trace = trace_context(request)
        for event in events.events_for(result.changes, _base_url(request), names, trace):
            self.delivery.enqueue(event)


def create_app(settings: ErpSettings) -> FastAPI:
    """Build the ERP sandbox app; its event delivery runs during the app's lifespan."""
    sandbox = _Sandbox(settings)

    app = FastAPI(
        title="opsconsole ERP sandbox",
        version="v1",
        description="A subset of the NetSuite REST record API for local integration testing.",
        lifespan=delivery_lifespan(sandbox.delivery),
    )
    app.state.sandbox = sandbox
    app.add_exception_handler(NetSuiteApiError, _netsuite_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.include_router(
        sandbox_router(sandbox.faults, sandbox.delivery, sandbox.requests, _ERRORS[400])
    )
    _add_token_route(app)
    _add_record_routes(app)
    _add_control_routes(app)
    app.add_middleware(FaultMiddleware, injector=sandbox.faults)
    # Outermost, so the log shows the responses of injected faults too.
    app.add_middleware(RequestLogMiddleware, log=sandbox.requests)
    openapi.install(app)
    return app


def _netsuite_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NetSuiteApiError)
    return JSONResponse(exc.body(), status_code=exc.status)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith(SANDBOX_PATH_PREFIX) and "/control/" not in request.url.path:
        return await request_validation_exception_handler(request, exc)
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return _netsuite_error(request, error(400, "INVALID_CONTENT", f"Invalid request: {problems}"))


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "NONEXISTENT_ID", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "UNEXPECTED")
    problem = error(exc.status_code, code, f"{request.method} {request.url.path}: {exc.detail}")
    return JSONResponse(problem.body(), status_code=exc.status_code, headers=exc.headers)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _sandbox(request: Request) -> _Sandbox:
    sandbox: _Sandbox = request.app.state.sandbox
    return sandbox


_bearer = HTTPBearer(auto_error=False, description="Access token from the token endpoint.")


def _require_client(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    client_id = _sandbox(request).tokens.client_for(header)
    if client_id is None:
        raise invalid_login()
    return client_id


Client = Annotated[str, Depends(_require_client)]


def _record_type(record_type: str) -> str:
    if record_type not in records.RECORD_TYPES:
        raise error(
            404,
            "INVALID_RCRD_TYPE",
            f"Record type '{record_type}' does not exist. Use one of "
            f"{', '.join(records.RECORD_TYPES)}.",
        )
    return record_type


def _add_token_route(app: FastAPI) -> None:
    @app.post(
        "/services/rest/auth/oauth2/v1/token",
        response_model=TokenResponse,
        responses={400: {"model": NetSuiteErrorBody}, 401: {"model": NetSuiteErrorBody}},
        tags=["oauth"],
    )
    def issue_token(
        request: Request,
        form: Annotated[TokenForm, Form()],
    ) -> TokenResponse:
        """Issue an access token with the OAuth 2.0 client-credentials flow."""
        grant = _sandbox(request).tokens.issue(form.client_id, form.client_secret)
        if grant is None:
            raise invalid_login()
        return TokenResponse(access_token=grant.token, expires_in=TOKEN_SECONDS)


def _created(request: Request, record_type: str, result: WriteResult) -> Response:
    location = f"{_base_url(request)}{RECORD_PATH}/{record_type}/{result.record_id}"
    return Response(status_code=204, headers={"Location": location})


def _add_record_routes(app: FastAPI) -> None:
    tags: list[str | Enum] = ["records"]

    @app.get(
        f"{RECORD_PATH}/{{record_type}}", response_model=RecordList, responses=_ERRORS, tags=tags
    )
    def list_records(
        request: Request,
        record_type: str,
        _: Client,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
        offset: Annotated[int, Query(ge=0)] = 0,
        q: Annotated[str | None, Query(description='Filter, e.g. externalId IS "A-1".')] = None,
    ) -> RecordList:
        """List record IDs a page at a time, optionally filtered by `q`."""
        kind = _record_type(record_type)
        fields = {
            "id",
            "externalId",
            "companyName",
            "email",
            "phone",
            "city",
            "state",
            "country",
            "entity",
            "status",
            "tranId",
            "currency",
            "createdFrom",
            "memo",
        }
        where = parse_filter(q, fields) if q else None
        ids = _sandbox(request).store.list_ids(kind, where)
        return _page(request, kind, ids, limit, offset, q)

    @app.get(
        f"{RECORD_PATH}/{{record_type}}/{{key}}",
        response_model=ErpRecord,
        responses=_ERRORS,
        tags=tags,
    )
    def get_record(request: Request, record_type: str, key: str, _: Client) -> dict[str, Any]:
        """Read a record by internal ID or by `eid:<externalId>`."""
        kind = _record_type(record_type)
        sandbox = _sandbox(request)
        record = sandbox.store.get(kind, key)
        return records.render(kind, record, _base_url(request), sandbox.store.customer_names())

    @app.post(f"{RECORD_PATH}/{{record_type}}", **_NO_CONTENT, tags=tags)
    def create_record(
        request: Request,
        background: BackgroundTasks,
        record_type: str,
        body: Annotated[dict[str, Any], Body()],
        _: Client,
    ) -> Response:
        """Create a record; `Location` names its internal ID."""
        sandbox = _sandbox(request)
        result = sandbox.store.create(_record_type(record_type), body)
        background.add_task(sandbox.publish, result, request)
        return _created(request, record_type, result)

    @app.patch(f"{RECORD_PATH}/{{record_type}}/{{key}}", **_NO_CONTENT, tags=tags)
    def update_record(
        request: Request,
        background: BackgroundTasks,
        record_type: str,
        key: str,
        body: Annotated[dict[str, Any], Body()],
        _: Client,
    ) -> Response:
        """Update the given fields of a record."""
        sandbox = _sandbox(request)
        result = sandbox.store.update(_record_type(record_type), key, body)
        background.add_task(sandbox.publish, result, request)
        return Response(status_code=204)

    @app.put(f"{RECORD_PATH}/{{record_type}}/{{key}}", **_NO_CONTENT, tags=tags)
    def upsert_record(
        request: Request,
        background: BackgroundTasks,
        record_type: str,
        key: str,
        body: Annotated[dict[str, Any], Body()],
        _: Client,
    ) -> Response:
        """Create or update the record with external ID `key` (`eid:<externalId>`)."""
        sandbox = _sandbox(request)
        result = sandbox.store.upsert(_record_type(record_type), key, body)
        background.add_task(sandbox.publish, result, request)
        return _created(request, record_type, result)

    @app.delete(f"{RECORD_PATH}/{{record_type}}/{{key}}", **_NO_CONTENT, tags=tags)
    def delete_record(request: Request, record_type: str, key: str, _: Client) -> Response:
        """Delete a record."""
        _sandbox(request).store.delete(_record_type(record_type), key)
        return Response(status_code=204)


def _page(
    request: Request, record_type: str, ids: list[str], limit: int, offset: int, q: str | None
) -> RecordList:
    base = f"{_base_url(request)}{RECORD_PATH}/{record_type}"
    query = f"&q={quote(q)}" if q else ""
    window = ids[offset : offset + limit]
    has_more = offset + len(window) < len(ids)
    last_offset = max(0, (len(ids) - 1) // limit * limit)
    links = [Link(rel="self", href=f"{base}?limit={limit}&offset={offset}{query}")]
    links.append(Link(rel="first", href=f"{base}?limit={limit}&offset=0{query}"))
    if offset > 0:
        previous = max(0, offset - limit)
        links.append(Link(rel="previous", href=f"{base}?limit={limit}&offset={previous}{query}"))
    if has_more:
        links.append(Link(rel="next", href=f"{base}?limit={limit}&offset={offset + limit}{query}"))
    links.append(Link(rel="last", href=f"{base}?limit={limit}&offset={last_offset}{query}"))
    items = [ListItem(links=[Link(rel="self", href=f"{base}/{rid}")], id=rid) for rid in window]
    return RecordList(
        links=links,
        count=len(items),
        hasMore=has_more,
        items=items,
        offset=offset,
        totalResults=len(ids),
    )


def _add_control_routes(app: FastAPI) -> None:
    tags: list[str | Enum] = [SANDBOX_TAG]
    control = "/sandbox/control/salesOrder/{order_id}"

    @app.post(f"{control}/fulfil", response_model=ErpRecord, responses=_ERRORS, tags=tags)
    def fulfil_order(
        request: Request, background: BackgroundTasks, order_id: str
    ) -> dict[str, Any]:
        """Fulfil a sales order: Pending Fulfillment becomes Pending Billing."""
        sandbox = _sandbox(request)
        result = sandbox.store.fulfil(order_id)
        background.add_task(sandbox.publish, result, request)
        return _rendered(request, records.SALES_ORDER, result)

    @app.post(f"{control}/invoice", response_model=ErpRecord, responses=_ERRORS, tags=tags)
    def invoice_order(
        request: Request, background: BackgroundTasks, order_id: str
    ) -> dict[str, Any]:
        """Bill a fulfilled sales order; the response is the new invoice."""
        sandbox = _sandbox(request)
        result = sandbox.store.bill(order_id)
        background.add_task(sandbox.publish, result, request)
        return _rendered(request, records.INVOICE, result)


def _rendered(request: Request, record_type: str, result: WriteResult) -> dict[str, Any]:
    store = _sandbox(request).store
    record = store.get(record_type, result.record_id)
    return records.render(record_type, record, _base_url(request), store.customer_names())
