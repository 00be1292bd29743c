"""Where log lines go: the standard `logging` tree under "opsconsole", on standard error.

Modules log through `logging.getLogger("opsconsole.<area>")` (the engine renders key=value
lines with structlog first). Standard output stays free for what a command prints on
purpose (reports, `--json`), and values under secret-looking keys are masked before any line
is rendered.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

ROOT_LOGGER = "opsconsole"
_SECRET_KEYS = ("secret", "token", "password", "authorization", "signature", "api_key")
MASK = "***"


def mask_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace the value of every key that names a secret with a mask (a structlog processor)."""
    for key in event:
        if any(part in key.lower() for part in _SECRET_KEYS):
            event[key] = MASK
    return event


class _CurrentStderr:
    """Write to whatever `sys.stderr` is at the time of the write, not at configuration time.

    Test runners and `CliRunner` swap and close standard error; a handler bound to the old
    object would fail on its next line.
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class _OpsconsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `configure_logging` installs, so a second call replaces it."""


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send opsconsole log lines at `level` and above to `stream` (standard error by default)."""
    numeric = logging.getLevelName(level.upper())
    logger = logging.getLogger(ROOT_LOGGER)
    for handler in [h for h in logger.handlers if isinstance(h, _OpsconsoleHandler)]:
        logger.removeHandler(handler)
    handler = _OpsconsoleHandler(stream or _CurrentStderr())
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(numeric if isinstance(numeric, int) else logging.INFO)
    logger.propagate = False
