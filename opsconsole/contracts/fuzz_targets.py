"""APIs the fuzz gate can start itself: the engine and the CRM and ERP sandboxes.

Each embedded target runs its FastAPI app on a free loopback port with throwaway state (a
temporary SQLite file, fresh secrets) and, for the sandboxes, a client-credentials token
that every generated request carries. The engine's CRM and ERP URLs point at a loopback port
that is bound but never listens, and its worker is off, so fuzzing never reaches another
system.
"""

from __future__ import annotations

import secrets
import socket
import ssl
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from opsconsole.contracts.fuzz import FuzzInputError, load_openapi
from opsconsole.errors import ConfigError
from opsconsole.serve import serve_in_thread

EMBEDDED_APIS = ("engine", "crm", "erp")
FUZZ_CLIENT_ID = "opsconsole-fuzz"
_OPENAPI_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass
class FuzzTarget:
    """A running API to fuzz: where it is, its OpenAPI document and headers for every call."""

    name: str
    base_url: str
    document: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def workspace_openapi(openapi_dir: Path, api: str) -> Path | None:
    """Return the workspace's OpenAPI file for `api` (``<api>.yaml``, ``<api>.v1.json``, ...).

    Raises:
        FuzzInputError: several files match, so the choice must be made with --openapi.
    """
    if not openapi_dir.is_dir():
        return None
    matches = [
        path
        for path in sorted(openapi_dir.iterdir())
        if path.suffix in _OPENAPI_SUFFIXES and path.name.split(".")[0] in (api, f"{api}-api")
    ]
    if len(matches) > 1:
        names = ", ".join(path.name for path in matches)
        raise FuzzInputError(
            f"Several OpenAPI documents match {api!r} in {openapi_dir}: {names}. "
            f"Pick one with --openapi FILE."
        )
    return matches[0] if matches else None


def fetch_openapi(
    base_url: str, headers: dict[str, str], ca_file: Path | None = None
) -> dict[str, Any]:
    """Download ``{base_url}/openapi.json`` from a running API.

    Raises:
        FuzzInputError: the request fails or does not return a JSON OpenAPI document.
    """
    url = f"{base_url.rstrip('/')}/openapi.json"
    try:
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=str(ca_file)) if ca_file else True
        )
        response = httpx.get(url, headers=headers, timeout=30.0, verify=verify)
        response.raise_for_status()
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise FuzzInputError(
            f"Cannot load the OpenAPI document from {url}: {exc}. Pass --openapi FILE."
        ) from exc
    if not isinstance(document, dict) or "openapi" not in document:
        raise FuzzInputError(f"{url} did not return an OpenAPI document. Pass --openapi FILE.")
    return document


@contextmanager
def _unused_loopback_url() -> Iterator[str]:
    """Yield an http URL on a loopback port that is bound but refuses every connection."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def _import_error(api: str, module: str, exc: ImportError) -> ConfigError:
    return ConfigError(
        f"Cannot start the embedded {api} for fuzzing: {module} is not importable ({exc}). "
        f"Pass --base-url URL to fuzz a running {api} instead."
    )


def _engine_app(state_dir: Path, dead_url: str) -> tuple[Any, Callable[[str], dict[str, str]]]:
    try:
        from opsconsole.engine.app import create_app
        from opsconsole.engine.settings import EngineSettings
    except ImportError as exc:
        raise _import_error("engine", "opsconsole.engine.app", exc) from exc
    settings = EngineSettings(
        database_url=f"sqlite:///{state_dir / 'engine.db'}",
        crm_base_url=dead_url,
        crm_client_secret=secrets.token_urlsafe(16),
        erp_base_url=dead_url,
        erp_client_secret=secrets.token_urlsafe(16),
        crm_webhook_secrets=[secrets.token_urlsafe(16)],
        erp_event_secrets=[secrets.token_urlsafe(16)],
        run_worker=False,
    )
    return create_app(settings), lambda base_url: {}


def _crm_app(state_dir: Path, dead_url: str) -> tuple[Any, Callable[[str], dict[str, str]]]:
    try:
        from opsconsole.sandboxes.crm.app import CrmSettings, create_app
    except ImportError as exc:
        raise _import_error("CRM sandbox", "opsconsole.sandboxes.crm.app", exc) from exc
    secret = secrets.token_urlsafe(16)
    settings = CrmSettings(
        engine_webhook_url=None,
        webhook_secret=secrets.token_urlsafe(16),
        clients={FUZZ_CLIENT_ID: secret},
    )
    return create_app(settings), _token_headers("/services/oauth2/token", secret)


def _erp_app(state_dir: Path, dead_url: str) -> tuple[Any, Callable[[str], dict[str, str]]]:
    try:
        from opsconsole.sandboxes.erp.app import ErpSettings, create_app
    except ImportError as exc:
        raise _import_error("ERP sandbox", "opsconsole.sandboxes.erp.app", exc) from exc
    secret = secrets.token_urlsafe(16)
    settings = ErpSettings(
        engine_event_url=None,
        event_secret=secrets.token_urlsafe(16),
        clients={FUZZ_CLIENT_ID: secret},
    )
    return create_app(settings), _token_headers("/services/rest/auth/oauth2/v1/token", secret)


def _token_headers(token_path: str, secret: str) -> Callable[[str], dict[str, str]]:
    """Return a function that fetches a client-credentials token from a running sandbox."""

    def fetch(base_url: str) -> dict[str, str]:
        form = {
            "grant_type": "client_credentials",
            "client_id": FUZZ_CLIENT_ID,
            "client_secret": secret,
        }
        response = httpx.post(f"{base_url}{token_path}", data=form, timeout=30.0)
        if response.status_code != 200:
            raise ConfigError(
                f"The embedded sandbox rejected the fuzzing client's token request with "
                f"{response.status_code}: {response.text[:300]}"
            )
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return fetch


_FACTORIES = {"engine": _engine_app, "crm": _crm_app, "erp": _erp_app}


@contextmanager
def embedded_app(api: str) -> Iterator[Any]:
    """Build the FastAPI app of `api` (engine, crm, erp) with throwaway state, not served."""
    with _throwaway_app(api) as (app, _):
        yield app


@contextmanager
def _throwaway_app(api: str) -> Iterator[tuple[Any, Callable[[str], dict[str, str]]]]:
    if api not in _FACTORIES:
        raise ConfigError(
            f"Unknown API {api!r} for an embedded run. Choose one of {', '.join(EMBEDDED_APIS)}, "
            f"or pass --base-url URL to fuzz a running API."
        )
    with (
        tempfile.TemporaryDirectory(prefix=f"opsconsole-fuzz-{api}-") as folder,
        _unused_loopback_url() as dead_url,
    ):
        yield _FACTORIES[api](Path(folder), dead_url)


@contextmanager
def _embedded(api: str, document_path: Path | None) -> Iterator[FuzzTarget]:
    with (
        _throwaway_app(api) as (app, headers_for),
        serve_in_thread(app, name=f"{api} (fuzz)") as server,
    ):
        document = load_openapi(document_path) if document_path else app.openapi()
        yield FuzzTarget(api, server.url, document, headers_for(server.url))


@contextmanager
def _remote(
    api: str,
    base_url: str,
    document_path: Path | None,
    headers: dict[str, str],
    ca_file: Path | None,
) -> Iterator[FuzzTarget]:
    if document_path is not None:
        document = load_openapi(document_path)
    else:
        document = fetch_openapi(base_url, headers, ca_file)
    yield FuzzTarget(api, base_url.rstrip("/"), document, dict(headers))


def open_target(
    api: str,
    *,
    base_url: str | None,
    document_path: Path | None,
    headers: dict[str, str],
    ca_file: Path | None = None,
) -> AbstractContextManager[FuzzTarget]:
    """Start `api` embedded on loopback, or describe the running API at `base_url`.

    Headers given here are added to those an embedded target needs (they win on a clash).
    `ca_file` is the PEM bundle that verifies a running https API's certificate.
    """
    if base_url is not None:
        return _remote(api, base_url, document_path, headers, ca_file)
    return _with_extra_headers(_embedded(api, document_path), headers)


@contextmanager
def _with_extra_headers(
    target: AbstractContextManager[FuzzTarget], headers: dict[str, str]
) -> Iterator[FuzzTarget]:
    with target as running:
        running.headers.update(headers)
        yield running
