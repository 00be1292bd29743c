"""Write the OpenAPI documents of the engine and sandboxes into a workspace, or check them.

The documents are generated from the apps' code, so the committed YAML files are a snapshot:
`check_documents` tells CI when a change to the code was not followed by a new export.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from opsconsole.contracts.fuzz_targets import EMBEDDED_APIS, embedded_app
from opsconsole.errors import ConfigError


@dataclass(frozen=True)
class DocumentState:
    """How one committed document compares with the one the code generates."""

    api: str
    path: Path
    status: str  # "written", "unchanged", "differs" or "missing"


def openapi_yaml(api: str) -> str:
    """Return the OpenAPI document of `api` (engine, crm, erp) as YAML text."""
    with embedded_app(api) as app:
        document = asyncio.run(_document_in_lifespan(app))
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


async def _document_in_lifespan(app: Any) -> dict[str, Any]:
    # Running the lifespan closes what the app opened (store, HTTP clients) once we are done.
    async with app.router.lifespan_context(app):
        document: dict[str, Any] = app.openapi()
        return document


def document_path(openapi_dir: Path, api: str) -> Path:
    """Return where the document of `api` lives in a workspace's OpenAPI folder."""
    return openapi_dir / f"{api}.yaml"


def export_documents(
    openapi_dir: Path, apis: tuple[str, ...] = EMBEDDED_APIS
) -> list[DocumentState]:
    """Write each API's document to `openapi_dir`, leaving files whose text is current alone."""
    _check_names(apis)
    openapi_dir.mkdir(parents=True, exist_ok=True)
    states = []
    for api in apis:
        path = document_path(openapi_dir, api)
        text = openapi_yaml(api)
        if _read(path) == text:
            states.append(DocumentState(api, path, "unchanged"))
            continue
        path.write_text(text, encoding="utf-8")
        states.append(DocumentState(api, path, "written"))
    return states


def check_documents(
    openapi_dir: Path, apis: tuple[str, ...] = EMBEDDED_APIS
) -> list[DocumentState]:
    """Compare each committed document with the one the code generates; write nothing."""
    _check_names(apis)
    states = []
    for api in apis:
        path = document_path(openapi_dir, api)
        committed = _read(path)
        if committed is None:
            status = "missing"
        else:
            status = "unchanged" if committed == openapi_yaml(api) else "differs"
        states.append(DocumentState(api, path, status))
    return states


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _check_names(apis: tuple[str, ...]) -> None:
    unknown = [api for api in apis if api not in EMBEDDED_APIS]
    if unknown:
        raise ConfigError(
            f"Unknown API {unknown[0]!r} for --api. Choose from: {', '.join(EMBEDDED_APIS)}."
        )
