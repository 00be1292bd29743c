"""Client for the NetSuite REST record API subset the engine uses (real account or sandbox)."""

from __future__ import annotations

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

SYSTEM = "ERP"
TIMEOUT_SECONDS = 10.0
RECORD_PATH = "/services/rest/record/v1"


class ErpClient:
    """NetSuite REST record calls with a client-credentials bearer token."""

    def __init__(self, base_url: str, client_id: str, client_secret: str) -> None:
        self._http = httpx.Client(trust_env=False, timeout=TIMEOUT_SECONDS)
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._lock = threading.Lock()
        self._token: str | None = None

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _ensure_token(self) -> str:
        with self._lock:
            if self._token is None:
                self._token = self._fetch_token()
            return self._token

    def _fetch_token(self) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        url = f"{self._base_url}/services/rest/auth/oauth2/v1/token"
        try:
            response = self._http.post(url, data=form)
        except httpx.TransportError as exc:
            raise transport_error(SYSTEM, "token request", exc) from exc
        if response.status_code != 200:
            error = response_error(SYSTEM, "token request", response)
            raise (
                DeliveryError(str(error), FailureClass.AUTH) if error.retryable is False else error
            )
        return str(response.json()["access_token"])

    def request(
        self, method: str, path: str, *, json: Any = None, headers: Mapping[str, str]
    ) -> httpx.Response:
        """Send a call under the record API, retrying once with a fresh token on 401."""
        response = self._send(method, path, json, headers)
        if response.status_code == 401:
            with self._lock:
                self._token = None
            response = self._send(method, path, json, headers)
        if response.status_code >= 400:
            raise response_error(SYSTEM, f"{method} {path}", response)
        return response

    def _send(
        self, method: str, path: str, json: Any, headers: Mapping[str, str]
    ) -> httpx.Response:
        token = self._ensure_token()
        url = f"{self._base_url}{RECORD_PATH}/{path.lstrip('/')}"
        all_headers = {"Authorization": f"Bearer {token}", **headers}
        try:
            return self._http.request(method, url, json=json, headers=all_headers)
        except httpx.TransportError as exc:
            raise transport_error(SYSTEM, f"{method} {path}", exc) from exc

    def upsert(
        self, record_type: str, external_id: str, body: dict[str, Any], headers: Mapping[str, str]
    ) -> str:
        """Create or update the record with `external_id` and return its internal ID."""
        path = f"{record_type}/eid:{quote(external_id, safe='')}"
        response = self.request("PUT", path, json=body, headers=headers)
        location = response.headers.get("Location")
        if location:
            return str(location).rstrip("/").rsplit("/", 1)[-1]
        record = self.request("GET", path, headers=headers).json()
        return str(record["id"])
