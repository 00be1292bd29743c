"""Client for the Salesforce REST API subset the engine uses (real org or the CRM sandbox)."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from opsconsole.engine.clients.failures import (
    DeliveryError,
    FailureClass,
    response_error,
    transport_error,
)

SYSTEM = "CRM"
TIMEOUT_SECONDS = 10.0


class CrmClient:
    """Salesforce REST calls with a client-credentials token, refreshed on INVALID_SESSION_ID."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        ca_file: str | None = None,
        api_version: str = "60.0",
    ) -> None:
        verify: ssl.SSLContext | bool = True
        if ca_file:
            verify = ssl.create_default_context(cafile=ca_file)
        # trust_env=False: proxy and CA bundle variables of the host must not redirect or
        # re-trust calls that carry our token.
        self._http = httpx.Client(verify=verify, trust_env=False, timeout=TIMEOUT_SECONDS)
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._api_version = api_version
        self._lock = threading.Lock()
        self._token: str | None = None
        self._instance_url = self._base_url
        self._user_id: str | None = None

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def user_id(self) -> str | None:
        """Return the CRM user ID the engine writes as, from the token response."""
        if self._user_id is None:
            self._ensure_token()
        return self._user_id

    def _ensure_token(self) -> str:
        with self._lock:
            if self._token is None:
                self._fetch_token()
            assert self._token is not None
            return self._token

    def _fetch_token(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        try:
            response = self._http.post(f"{self._base_url}/services/oauth2/token", data=form)
        except httpx.TransportError as exc:
            raise transport_error(SYSTEM, "token request", exc) from exc
        if response.status_code != 200:
            error = response_error(SYSTEM, "token request", response)
            raise (
                DeliveryError(str(error), FailureClass.AUTH) if error.retryable is False else error
            )
        body = response.json()
        self._token = body["access_token"]
        self._instance_url = (body.get("instance_url") or self._base_url).rstrip("/")
        # Salesforce's identity URL ends with the user ID: .../id/<org id>/<user id>.
        self._user_id = str(body.get("id", "")).rstrip("/").rsplit("/", 1)[-1] or None

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send a call under `/services/data/vNN.0/`, retrying once with a fresh token on 401."""
        url_path = f"/services/data/v{self._api_version}/{path.lstrip('/')}"
        response = self._send(method, url_path, json, params, headers)
        if response.status_code == 401:
            with self._lock:
                self._token = None
            response = self._send(method, url_path, json, params, headers)
        if response.status_code >= 400:
            raise response_error(SYSTEM, f"{method} {url_path}", response)
        return response

    def _send(
        self,
        method: str,
        url_path: str,
        json: Any,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        token = self._ensure_token()
        all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        try:
            return self._http.request(
                method,
                f"{self._instance_url}{url_path}",
                json=json,
                params=params,
                headers=all_headers,
            )
        except httpx.TransportError as exc:
            raise transport_error(SYSTEM, f"{method} {url_path}", exc) from exc

    def get_record(
        self, sobject: str, record_id: str, headers: Mapping[str, str]
    ) -> dict[str, Any]:
        """Return one record."""
        response = self.request("GET", f"sobjects/{sobject}/{record_id}", headers=headers)
        record: dict[str, Any] = response.json()
        return record

    def query(self, soql: str, headers: Mapping[str, str]) -> list[dict[str, Any]]:
        """Run a SOQL query and return every record, following `nextRecordsUrl` pages."""
        response = self.request("GET", "query", params={"q": soql}, headers=headers)
        body = response.json()
        records: list[dict[str, Any]] = list(body.get("records", []))
        while not body.get("done", True) and body.get("nextRecordsUrl"):
            locator = body["nextRecordsUrl"].rsplit("/", 1)[-1]
            body = self.request("GET", f"query/{locator}", headers=headers).json()
            records.extend(body.get("records", []))
        return records

    def update(
        self, sobject: str, record_id: str, fields: dict[str, Any], headers: Mapping[str, str]
    ) -> None:
        """Update fields of one record."""
        self.request("PATCH", f"sobjects/{sobject}/{record_id}", json=fields, headers=headers)

    def upsert(
        self,
        sobject: str,
        external_field: str,
        value: str,
        fields: dict[str, Any],
        headers: Mapping[str, str],
    ) -> str | None:
        """Create or update the record whose `external_field` is `value`, returning a new ID."""
        path = f"sobjects/{sobject}/{external_field}/{quote(value, safe='')}"
        response = self.request("PATCH", path, json=fields, headers=headers)
        if response.status_code == 201:
            return str(response.json().get("id"))
        return None
