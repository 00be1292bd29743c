"""A small client for the broker's HTTP API, used by the CLI gates.

It speaks the standard Pact Broker endpoints, so it works against `opsconsole broker serve`
and against other brokers that implement them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from opsconsole.broker.matrix import DeployDecision
from opsconsole.contracts.pact.files import PactFile
from opsconsole.errors import ConfigError, OpsconsoleError


class BrokerRequestError(OpsconsoleError):
    """The broker could not be reached or rejected a request."""


class BrokerClient:
    """Calls to one broker at `base_url`, with an optional bearer token."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"Broker URL {base_url!r} is invalid; give an http:// or https:// URL such as "
                "http://127.0.0.1:8410."
            )
        headers = {"Accept": "application/hal+json, application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def close(self) -> None:
        """Close the underlying connection pool."""
        self._http.close()

    def __enter__(self) -> BrokerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def publish(
        self,
        pacts: Sequence[PactFile],
        version: str,
        *,
        branch: str | None = None,
        tags: Sequence[str] = (),
        build_url: str | None = None,
    ) -> list[str]:
        """Publish `pacts` as `version` of their consumer; return the broker's notices.

        Raises:
            ConfigError: the pacts belong to more than one consumer.
            BrokerRequestError: the broker rejected the publication.
        """
        consumers = sorted({p.consumer for p in pacts})
        if len(consumers) != 1:
            raise ConfigError(
                f"Pacts of several consumers ({', '.join(consumers)}) cannot share one "
                "consumer version; publish each consumer's pacts separately with --consumer."
            )
        body = {
            "pacticipantName": consumers[0],
            "pacticipantVersionNumber": version,
            "branch": branch,
            "tags": list(tags),
            "buildUrl": build_url,
            "contracts": [_contract(p) for p in pacts],
        }
        answer = self._request("POST", "/contracts/publish", json=body)
        return [str(n.get("text", "")) for n in answer.get("notices", [])]

    def create_environment(self, name: str, *, production: bool = False) -> dict[str, Any]:
        """Create an environment (or return the existing one of that name)."""
        return self._request("POST", "/environments", json={"name": name, "production": production})

    def record_deployment(self, pacticipant: str, version: str, environment: str) -> dict[str, Any]:
        """Record `version` of `pacticipant` as deployed to `environment`.

        Raises:
            BrokerRequestError: the version or environment is unknown to the broker.
        """
        found = self._request("GET", f"/pacticipants/{_seg(pacticipant)}/versions/{_seg(version)}")
        links = found.get("_links", {}).get("pb:record-deployment", [])
        link = next((item for item in links if item.get("name") == environment), None)
        if link is None:
            raise BrokerRequestError(
                f"Environment {environment!r} is unknown to the broker at {self.base_url}. "
                "Create it with `opsconsole broker create-environment`."
            )
        return self._request("POST", link["href"], json={})

    def can_i_deploy(self, pacticipant: str, version: str, environment: str) -> DeployDecision:
        """Ask whether `version` of `pacticipant` may be deployed to `environment`."""
        params = {"pacticipant": pacticipant, "version": version, "environment": environment}
        return DeployDecision.model_validate(self._request("GET", "/can-i-deploy", params=params))

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise BrokerRequestError(
                f"The broker at {self.base_url} could not be reached: {exc}. Start it with "
                "`opsconsole broker serve` or check --broker-url."
            ) from exc
        if response.is_error:
            raise BrokerRequestError(
                f"The broker answered {response.status_code} to {method} {path}: "
                f"{_error_text(response)}"
            )
        answer: dict[str, Any] = response.json()
        return answer


def _contract(pact: PactFile) -> dict[str, str]:
    encoded = base64.b64encode(json.dumps(pact.content).encode()).decode()
    return {
        "consumerName": pact.consumer,
        "providerName": pact.provider,
        "specification": "pact",
        "contentType": "application/json",
        "content": encoded,
    }


def _seg(value: str) -> str:
    return quote(value, safe="")


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    error = body.get("error", {}) if isinstance(body, dict) else {}
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return json.dumps(body)[:300]
