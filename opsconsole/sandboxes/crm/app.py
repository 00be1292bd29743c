"""The CRM sandbox: a subset of the Salesforce REST API, served by FastAPI.

Clients written for Salesforce, such as `simple-salesforce`, work against it unchanged:
OAuth client credentials, sObject create/read/update/delete and upsert by external ID,
describe, and SOQL queries with paging. Every committed change to an Account or an Order
is sent to the engine as a signed CloudEvent, after the write has returned.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from enum import Enum
from typing import Annotated, Any

from fastapi import (
    BackgroundTasks,
    Body,
    Depends,
    FastAPI,
    Form,
    Path,
    Query,
    Request,
    Response,
)
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from opsconsole.sandboxes import salesforce_ids
from opsconsole.sandboxes.control import TokenForm, TokenIssuer, sandbox_router
from opsconsole.sandboxes.crm import events, openapi, schema, values
from opsconsole.sandboxes.crm.errors import SalesforceApiError, invalid_session, not_found
from opsconsole.sandboxes.crm.models import (
    ERROR_RESPONSES,
    ApiVersion,
    OAuthError,
    QueryResult,
    SaveResult,
    SObjectRecord,
    TokenResponse,
)
from opsconsole.sandboxes.crm.query import QueryEngine, QueryPage
from opsconsole.sandboxes.crm.store import Change, CrmStore, resolve_sobject
from opsconsole.sandboxes.delivery import EventDelivery, RetryPolicy, delivery_lifespan
from opsconsole.sandboxes.faults import SANDBOX_PATH_PREFIX, FaultInjector, FaultMiddleware
from opsconsole.sandboxes.http import StripTrailingSlash, TraceContext, trace_context
from opsconsole.sandboxes.request_log import RequestLog, RequestLogMiddleware

TOKEN_PATH = "/services/oauth2/token"
# API versions served under /services/data/vNN.0. They all behave the same.
SUPPORTED_VERSIONS = tuple(f"{major}.0" for major in range(20, 100))
VersionPath = Annotated[
    str,
    Path(
        description="API version, e.g. v60.0.",
        json_schema_extra={"enum": [f"v{v}" for v in SUPPORTED_VERSIONS]},
    ),
]
_ORG_ID = salesforce_ids.stable_id(schema.ORG_PREFIX, "opsconsole-sandbox-org")


class CrmSettings(BaseModel):
    """Configuration of one CRM sandbox."""

    engine_webhook_url: str | None = Field(
        description="URL of the engine's /webhooks/crm endpoint; None sends no events."
    )
    webhook_secret: str = Field(description="HMAC secret that signs the change events.")
    clients: dict[str, str] = Field(description="OAuth client_id to client_secret.")
    api_version: str = Field("60.0", pattern=r"^\d{2,3}\.0$")
    query_page_size: int = Field(2000, ge=1, le=2000, description="Records per query page.")
    delivery: RetryPolicy = Field(default_factory=RetryPolicy)


class _Sandbox:
    """State of one running CRM sandbox."""

    def __init__(self, settings: CrmSettings) -> None:
        self.settings = settings
        self.store = CrmStore()
        self.queries = QueryEngine(self.store, settings.query_page_size)
        self.tokens = TokenIssuer(settings.clients)
        self.users = {
            client_id: salesforce_ids.stable_id(schema.USER_PREFIX, client_id)
            for client_id in settings.clients
        }
        self.faults = FaultInjector()
        self.requests = RequestLog()
        self.delivery = EventDelivery(
            settings.engine_webhook_url, settings.webhook_secret, settings.delivery
        )

    def publish(self, changes: list[Change], writer_id: str, trace: TraceContext) -> None:
        """Queue the events for `changes`; called after the response has been sent."""
        for event in events.events_for(changes, writer_id, trace):
            self.delivery.enqueue(event)


def create_app(settings: CrmSettings) -> FastAPI:
    """Build the CRM sandbox app; its event delivery runs during the app's lifespan."""
    sandbox = _Sandbox(settings)

    app = FastAPI(
        title="opsconsole CRM sandbox",
        version=settings.api_version,
        description="A subset of the Salesforce REST API for local integration testing.",
        lifespan=delivery_lifespan(sandbox.delivery),
    )
    app.state.sandbox = sandbox
    _add_error_handlers(app)
    app.include_router(
        sandbox_router(sandbox.faults, sandbox.delivery, sandbox.requests, ERROR_RESPONSES[400])
    )
    _add_auth_routes(app, sandbox)
    _add_index_routes(app, sandbox)
    _add_sobject_routes(app, sandbox)
    _add_query_routes(app, sandbox)
    app.add_middleware(FaultMiddleware, injector=sandbox.faults)
    app.add_middleware(StripTrailingSlash, prefix="/services/")
    # Outermost, so the log shows paths as sent and the responses of injected faults.
    app.add_middleware(RequestLogMiddleware, log=sandbox.requests)
    openapi.install(app)
    return app


def _salesforce_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SalesforceApiError)
    return JSONResponse(exc.body(), status_code=exc.status)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith(SANDBOX_PATH_PREFIX):
        return await request_validation_exception_handler(request, exc)
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    if request.url.path == TOKEN_PATH:
        # The token endpoint follows OAuth 2.0, not the REST API, so its errors use RFC 6749's
        # {"error", "error_description"} body, the same as its other 400 responses.
        oauth_error = OAuthError(error="invalid_request", error_description=problems)
        return JSONResponse(oauth_error.model_dump(), status_code=400)
    error = SalesforceApiError(400, "JSON_PARSER_ERROR", f"Invalid request: {problems}")
    return JSONResponse(error.body(), status_code=400)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        error = SalesforceApiError(
            405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed."
        )
    elif exc.status_code == 404:
        error = not_found()
    else:
        error = SalesforceApiError(exc.status_code, "UNKNOWN_EXCEPTION", str(exc.detail))
    return JSONResponse(error.body(), status_code=error.status, headers=exc.headers)


def _add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SalesforceApiError, _salesforce_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


_bearer = HTTPBearer(auto_error=False, description="Access token from /services/oauth2/token.")


def _api_version(version: str) -> str:
    number = version.removeprefix("v")
    if not version.startswith("v") or number not in SUPPORTED_VERSIONS:
        raise not_found()
    return number


def _add_auth_routes(app: FastAPI, sandbox: _Sandbox) -> None:
    @app.post(
        TOKEN_PATH,
        response_model=TokenResponse,
        responses={400: {"model": OAuthError}},
        tags=["oauth"],
    )
    def issue_token(
        request: Request,
        form: Annotated[TokenForm, Form()],
    ) -> Any:
        """Issue an access token with the OAuth 2.0 client-credentials flow."""
        grant = sandbox.tokens.issue(form.client_id, form.client_secret)
        if grant is None:
            body = OAuthError(
                error="invalid_client", error_description="Invalid client credentials"
            )
            return JSONResponse(body.model_dump(), status_code=400)
        return _token_response(
            request, grant.token, sandbox.users[form.client_id], form.client_secret
        )


def _token_response(request: Request, token: str, user_id: str, secret: str) -> TokenResponse:
    instance_url = str(request.base_url).rstrip("/")
    identity = f"{instance_url}/id/{_ORG_ID}/{user_id}"
    issued_at = str(int(time.time() * 1000))
    digest = hmac.new(secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
    return TokenResponse(
        access_token=token,
        instance_url=instance_url,
        id=identity,
        issued_at=issued_at,
        signature=base64.b64encode(digest).decode(),
    )


def _current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    sandbox: _Sandbox = request.app.state.sandbox
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    client_id = sandbox.tokens.client_for(header)
    if client_id is None:
        raise invalid_session()
    return sandbox.users[client_id]


UserId = Annotated[str, Depends(_current_user)]


def _add_index_routes(app: FastAPI, sandbox: _Sandbox) -> None:

    @app.get("/services/data", response_model=list[ApiVersion], tags=["index"])
    def list_versions() -> list[ApiVersion]:
        """List the REST API versions the sandbox serves."""
        return [
            ApiVersion(label=f"v{v}", url=f"/services/data/v{v}", version=v)
            for v in SUPPORTED_VERSIONS
        ]

    @app.get(
        "/services/data/{version}",
        response_model=dict[str, str],
        responses=ERROR_RESPONSES,
        tags=["index"],
    )
    def list_resources(version: VersionPath, _: UserId) -> dict[str, str]:
        """List the resources of one API version."""
        base = f"/services/data/v{_api_version(version)}"
        return {name: f"{base}/{name}" for name in ("sobjects", "query", "queryAll", "limits")}

    @app.get(
        "/services/data/{version}/sobjects",
        response_model=dict[str, Any],
        responses=ERROR_RESPONSES,
        tags=["sobjects"],
    )
    def describe_global(version: VersionPath, _: UserId) -> dict[str, Any]:
        """List the object types with their key prefixes."""
        number = _api_version(version)
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [
                schema.describe_global_entry(sobject, number)
                for sobject in schema.SOBJECTS.values()
            ],
        }


def _add_sobject_routes(app: FastAPI, sandbox: _Sandbox) -> None:
    base = "/services/data/{version}/sobjects/{sobject}"
    tags: list[str | Enum] = ["sobjects"]

    @app.get(base, response_model=dict[str, Any], responses=ERROR_RESPONSES, tags=tags)
    def sobject_info(version: VersionPath, sobject: str, _: UserId) -> dict[str, Any]:
        """Return basic information about an object type."""
        definition = resolve_sobject(sobject)
        return {
            "objectDescribe": schema.describe_global_entry(definition, _api_version(version)),
            "recentItems": [],
        }

    @app.post(
        base,
        status_code=201,
        response_model=SaveResult,
        response_model_exclude_none=True,
        responses=ERROR_RESPONSES,
        tags=tags,
    )
    def create_record(
        request: Request,
        background: BackgroundTasks,
        version: VersionPath,
        sobject: str,
        body: Annotated[dict[str, Any], Body()],
        user_id: UserId,
    ) -> SaveResult:
        """Create a record; the response carries its new 18-character ID."""
        _api_version(version)
        result = sandbox.store.create(resolve_sobject(sobject), body, user_id)
        background.add_task(sandbox.publish, result.changes, user_id, trace_context(request))
        return SaveResult(id=result.record_id)

    @app.get(
        f"{base}/describe", response_model=dict[str, Any], responses=ERROR_RESPONSES, tags=tags
    )
    def describe_sobject(version: VersionPath, sobject: str, _: UserId) -> dict[str, Any]:
        """Describe an object type's fields: name, type, length, nillable, externalId."""
        return schema.describe(resolve_sobject(sobject), _api_version(version))

    @app.get(
        f"{base}/{{record_id}}",
        response_model=SObjectRecord,
        responses=ERROR_RESPONSES,
        tags=tags,
    )
    def get_record(
        version: VersionPath,
        sobject: str,
        record_id: str,
        _: UserId,
        fields: Annotated[str | None, Query(description="Comma-separated field names.")] = None,
    ) -> dict[str, Any]:
        """Read a record by its 15- or 18-character ID."""
        number = _api_version(version)
        definition = resolve_sobject(sobject)
        record = sandbox.store.get(definition, record_id)
        return _render_record(definition, record, number, fields)

    @app.patch(
        f"{base}/{{record_id}}",
        status_code=204,
        response_class=Response,
        responses=ERROR_RESPONSES,
        tags=tags,
    )
    def update_record(
        request: Request,
        background: BackgroundTasks,
        version: VersionPath,
        sobject: str,
        record_id: str,
        body: Annotated[dict[str, Any], Body()],
        user_id: UserId,
    ) -> Response:
        """Update the given fields of a record."""
        _api_version(version)
        result = sandbox.store.update(resolve_sobject(sobject), record_id, body, user_id)
        background.add_task(sandbox.publish, result.changes, user_id, trace_context(request))
        return Response(status_code=204)

    @app.delete(
        f"{base}/{{record_id}}",
        status_code=204,
        response_class=Response,
        responses=ERROR_RESPONSES,
        tags=tags,
    )
    def delete_record(
        request: Request,
        background: BackgroundTasks,
        version: VersionPath,
        sobject: str,
        record_id: str,
        user_id: UserId,
    ) -> Response:
        """Delete a record; its order items or contacts go with it."""
        _api_version(version)
        result = sandbox.store.delete(resolve_sobject(sobject), record_id, user_id)
        background.add_task(sandbox.publish, result.changes, user_id, trace_context(request))
        return Response(status_code=204)

    _add_external_id_routes(app, sandbox, base)


def _add_external_id_routes(app: FastAPI, sandbox: _Sandbox, base: str) -> None:
    tags: list[str | Enum] = ["sobjects"]

    @app.get(
        f"{base}/{{field}}/{{value}}",
        response_model=SObjectRecord,
        responses={**ERROR_RESPONSES, 300: {"description": "Several records match."}},
        tags=tags,
    )
    def get_by_external_id(
        version: VersionPath, sobject: str, field: str, value: str, _: UserId
    ) -> dict[str, Any]:
        """Read a record by the value of an external ID field."""
        number = _api_version(version)
        definition = resolve_sobject(sobject)
        external = _external_id_field(definition, field)
        if external.name == "Id":
            return _render_record(definition, sandbox.store.get(definition, value), number)
        matches = sandbox.store.find_by(definition, external, value)
        if not matches:
            raise not_found()
        if len(matches) > 1:
            raise SalesforceApiError(300, "MULTIPLE_CHOICES", "More than one record found")
        return _render_record(definition, matches[0], number)

    @app.patch(
        f"{base}/{{field}}/{{value}}",
        status_code=201,
        response_model=SaveResult,
        responses={**ERROR_RESPONSES, 204: {"description": "An existing record was updated."}},
        tags=tags,
    )
    def upsert_record(
        request: Request,
        background: BackgroundTasks,
        version: VersionPath,
        sobject: str,
        field: str,
        value: str,
        body: Annotated[dict[str, Any], Body()],
        user_id: UserId,
    ) -> Any:
        """Create or update the record whose external ID field has `value`."""
        _api_version(version)
        definition = resolve_sobject(sobject)
        external = _external_id_field(definition, field)
        result = sandbox.store.upsert(definition, external, value, body, user_id)
        background.add_task(sandbox.publish, result.changes, user_id, trace_context(request))
        if not result.created:
            return Response(status_code=204, background=background)
        return SaveResult(id=result.record_id, created=True)


def _add_query_routes(app: FastAPI, sandbox: _Sandbox) -> None:
    tags: list[str | Enum] = ["query"]

    @app.get(
        "/services/data/{version}/query",
        response_model=QueryResult,
        response_model_exclude_none=True,
        responses=ERROR_RESPONSES,
        tags=tags,
    )
    def run_query(
        version: VersionPath,
        q: Annotated[str, Query(description="SOQL query.")],
        _: UserId,
    ) -> QueryResult:
        """Run a SOQL query and return the first page of its records."""
        number = _api_version(version)
        return _query_result(sandbox.queries.run(q, number), number)

    @app.get(
        "/services/data/{version}/query/{locator}",
        response_model=QueryResult,
        response_model_exclude_none=True,
        responses=ERROR_RESPONSES,
        tags=tags,
    )
    def query_more(version: VersionPath, locator: str, _: UserId) -> QueryResult:
        """Return the next page of a query result, named by `nextRecordsUrl`."""
        number = _api_version(version)
        return _query_result(sandbox.queries.more(locator), number)


def _query_result(page: QueryPage, api_version: str) -> QueryResult:
    next_url = None
    if page.next_locator is not None:
        next_url = f"/services/data/v{api_version}/query/{page.next_locator}"
    return QueryResult(
        totalSize=page.total_size,
        done=next_url is None,
        records=page.records,
        nextRecordsUrl=next_url,
    )


def _external_id_field(sobject: schema.SObjectDef, name: str) -> schema.FieldDef:
    definition = sobject.field(name)
    if definition is None or not (definition.external_id or definition.name == "Id"):
        raise SalesforceApiError(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {name}",
        )
    return definition


def _render_record(
    sobject: schema.SObjectDef,
    record: dict[str, Any],
    api_version: str,
    fields: str | None = None,
) -> dict[str, Any]:
    names = [d.name for d in sobject.fields]
    if fields:
        names = [_known_field(sobject, name.strip()) for name in fields.split(",") if name.strip()]
    rendered: dict[str, Any] = {
        "attributes": {
            "type": sobject.name,
            "url": f"/services/data/v{api_version}/sobjects/{sobject.name}/{record['Id']}",
        }
    }
    rendered.update({name: values.render(record.get(name)) for name in names})
    return rendered


def _known_field(sobject: schema.SObjectDef, name: str) -> str:
    definition = sobject.field(name)
    if definition is None:
        raise SalesforceApiError(
            400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject.name}'."
        )
    return definition.name
