"""Read pact files and pick the ones that name a given provider."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from opsconsole.errors import ConfigError


class PactFile(BaseModel):
    """A pact file on disk with the names of its consumer and provider."""

    path: Path
    consumer: str
    provider: str
    content: dict[str, Any]

    @property
    def interactions(self) -> list[dict[str, Any]]:
        """Return the pact's interactions (V4) or messages (V3 message pacts)."""
        found = self.content.get("interactions") or self.content.get("messages") or []
        return [i for i in found if isinstance(i, dict)]


def load_pact(path: Path) -> PactFile:
    """Read one pact file.

    Raises:
        ConfigError: the file is not JSON or names no consumer or provider.
    """
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Pact file {path} cannot be read as JSON: {exc}.") from exc
    consumer = (content.get("consumer") or {}).get("name") if isinstance(content, dict) else None
    provider = (content.get("provider") or {}).get("name") if isinstance(content, dict) else None
    if not consumer or not provider:
        raise ConfigError(
            f"Pact file {path} has no consumer.name or provider.name; is it a pact file?"
        )
    return PactFile(path=path, consumer=consumer, provider=provider, content=content)


def find_pacts(paths: Sequence[Path]) -> list[PactFile]:
    """Load every pact file in `paths`; a folder contributes its `*.json` files, sorted.

    Raises:
        ConfigError: a path does not exist or a file is not a pact.
    """
    pacts: list[PactFile] = []
    for path in paths:
        if path.is_dir():
            pacts.extend(load_pact(p) for p in sorted(path.glob("*.json")))
        elif path.is_file():
            pacts.append(load_pact(path))
        else:
            raise ConfigError(f"Pact source {path} does not exist. Check the path.")
    return pacts


def pacts_for_provider(paths: Sequence[Path], provider: str) -> list[PactFile]:
    """Return the pacts in `paths` whose provider is `provider`.

    Raises:
        ConfigError: a path does not exist, or no pact there names `provider`.
    """
    pacts = find_pacts(paths)
    chosen = [p for p in pacts if p.provider == provider]
    if not chosen:
        names = ", ".join(sorted({p.provider for p in pacts})) or "none"
        shown = ", ".join(str(p) for p in paths)
        raise ConfigError(
            f"No pact in {shown} names provider {provider!r} (providers found: {names}). "
            "Check --provider or the pact folder."
        )
    return chosen
