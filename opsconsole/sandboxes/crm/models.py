"""Response bodies of the CRM sandbox, so its OpenAPI document describes them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opsconsole.sandboxes.crm.errors import SalesforceErrorItem


class TokenResponse(BaseModel):
    """OAuth 2.0 token response of Salesforce's client-credentials flow."""

    access_token: str
    instance_url: str
    id: str
    token_type: str = "Bearer"
    issued_at: str
    signature: str


class OAuthError(BaseModel):
    """OAuth 2.0 error response."""

    error: str
    error_description: str


class SaveResult(BaseModel):
    """Result of creating or upserting one record."""

    id: str
    success: bool = True
    errors: list[Any] = Field(default_factory=list)
    created: bool | None = None


class QueryResult(BaseModel):
    """One page of SOQL query results."""

    totalSize: int
    done: bool
    records: list[dict[str, Any]]
    nextRecordsUrl: str | None = None


class ApiVersion(BaseModel):
    """One REST API version the sandbox serves."""

    label: str
    url: str
    version: str


class SObjectRecord(BaseModel):
    """A record: `attributes` with type and URL, then its fields."""

    model_config = ConfigDict(extra="allow")

    attributes: dict[str, str]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": list[SalesforceErrorItem], "description": description}
    for status, description in (
        (400, "Invalid request, in Salesforce's error format."),
        (401, "Missing or invalid bearer token (INVALID_SESSION_ID)."),
        (404, "Unknown object type, record or resource (NOT_FOUND)."),
    )
}
