"""Message payloads of an AsyncAPI 3 document, resolved against the local schema registry.

A payload names canonical schemas by relative file `$ref` (``../schemas/customer.v1.json``).
The registry keys schemas by `$id`, so each such reference is rewritten to the `$id` of the
file it names; validation then never leaves the workspace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

import yaml

from opsconsole.contracts.registry import SchemaSet
from opsconsole.errors import ConfigError


class AsyncApiError(ConfigError):
    """An AsyncAPI document cannot be read, or a payload names a schema that is not local."""


def message_payloads(document_path: Path, schemas: SchemaSet) -> dict[str, dict[str, Any]]:
    """Map each message's name (for events, the CloudEvents type) to its resolved payload."""
    document = _load(document_path)
    uris = {entry.path.resolve(): entry.uri for entry in schemas.entries}
    payloads = {}
    for key, message in document.get("components", {}).get("messages", {}).items():
        name = message.get("name", key)
        payloads[name] = _rewrite(message["payload"], document_path.parent, uris)
    return payloads


def _load(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise AsyncApiError(f"Cannot read the AsyncAPI document {path}: {exc}") from exc
    if not isinstance(document, dict) or not str(document.get("asyncapi", "")).startswith("3."):
        raise AsyncApiError(f"{path} is not an AsyncAPI 3 document (no `asyncapi: 3.x` field).")
    return document


def _rewrite(node: Any, base: Path, uris: dict[Path, str]) -> Any:
    if isinstance(node, list):
        return [_rewrite(item, base, uris) for item in node]
    if not isinstance(node, dict):
        return node
    rewritten = {key: _rewrite(value, base, uris) for key, value in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#") and "://" not in ref:
        rewritten["$ref"] = _registry_ref(ref, base, uris)
    return rewritten


def _registry_ref(ref: str, base: Path, uris: dict[Path, str]) -> str:
    file_part, fragment = urldefrag(ref)
    target = (base / file_part).resolve()
    if target not in uris:
        raise AsyncApiError(
            f"$ref {ref!r} names {target}, which is not a schema under contracts/schemas/. "
            "Point it at a canonical schema file."
        )
    return uris[target] + (f"#{fragment}" if fragment else "")
