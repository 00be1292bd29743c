"""RFC 9457 Problem Details for every error the engine's HTTP API returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from opsconsole.errors import (
    FieldError,
    IdempotencyConflict,
    IdentityError,
    OpsconsoleError,
    SignatureError,
    SystemOfRecordError,
    ValidationError,
)

PROBLEM_BASE = "https://opsconsole.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"

_PROBLEM_DESCRIPTIONS = {
    400: "The body cannot be parsed.",
    401: "The signature header is missing or does not match any configured secret.",
    404: "The resource the request names does not exist.",
    409: "The request conflicts with the current state of the resource.",
    413: "The body is larger than the endpoint accepts.",
    422: "The request or one of its fields is invalid, or an Idempotency-Key was reused.",
}


class ProblemField(BaseModel):
    """One invalid field of a request: a JSON Pointer-like path and what is wrong with it."""

    path: str
    message: str


class Problem(BaseModel):
    """RFC 9457 Problem Details, with an `errors` list when fields are invalid."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemField] = Field(default_factory=list)


class NotFound(OpsconsoleError):
    """A resource the request names does not exist."""


class Conflict(OpsconsoleError):
    """The request conflicts with the current state of a resource."""


class ReusedIdempotencyKey(IdempotencyConflict):
    """An Idempotency-Key came back with a different request body."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was already used with a different request body. "
            "Send the original body to get the stored response, or use a new key."
        )
        self.key = key


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    errors: Sequence[FieldError] = (),
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build a Problem Details response whose `errors` list names each invalid field."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [{"path": error.path, "message": error.message} for error in errors]
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return OpenAPI responses for `statuses`, each a Problem Details body."""
    content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}
    return {
        status: {"description": _PROBLEM_DESCRIPTIONS[status], "content": content}
        for status in statuses
    }


def add_problem_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """Add the Problem schemas that `problem_responses` refers to to an OpenAPI document."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas["Problem"] = schema
    return document


def install_problem_handlers(app: FastAPI) -> None:
    """Answer request validation, HTTP and opsconsole errors with Problem Details."""
    app.add_exception_handler(RequestValidationError, _request_invalid)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(OpsconsoleError, _opsconsole_error)  # type: ignore[arg-type]


async def _request_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        FieldError(path="/" + "/".join(str(part) for part in error["loc"]), message=error["msg"])
        for error in exc.errors()
    ]
    return problem(
        422, "invalid-request", "Invalid request", "The request has invalid fields.", errors=errors
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    title = {404: "Not found", 405: "Method not allowed", 413: "Content too large"}.get(
        exc.status_code, "HTTP error"
    )
    return problem(exc.status_code, f"http-{exc.status_code}", title, str(exc.detail))


async def _opsconsole_error(request: Request, exc: OpsconsoleError) -> JSONResponse:
    if isinstance(exc, SignatureError):
        return problem(401, "invalid-signature", "Invalid signature", str(exc))
    if isinstance(exc, ReusedIdempotencyKey):
        field = FieldError("/headers/Idempotency-Key", f"key {exc.key!r} reused with another body")
        return problem(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            str(exc),
            errors=[field],
            extra={"idempotency_key": exc.key},
        )
    if isinstance(exc, ValidationError):
        return problem(422, "invalid-payload", "Invalid payload", str(exc), errors=exc.errors)
    if isinstance(exc, IdentityError):
        return problem(422, "invalid-identifier", "Invalid identifier", str(exc))
    if isinstance(exc, SystemOfRecordError):
        return problem(409, "not-system-of-record", "Not the system of record", str(exc))
    if isinstance(exc, Conflict):
        return problem(409, "conflict", "Conflict", str(exc))
    if isinstance(exc, NotFound):
        return problem(404, "not-found", "Not found", str(exc))
    return problem(500, "internal-error", "Internal error", str(exc))
