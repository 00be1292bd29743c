"""Structured logging for long-running services: key=value lines on standard error.

Standard output stays free for what a command prints on purpose (reports, `--json`), and
values under secret-looking keys are masked before any line is written.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

_SECRET_KEYS = ("secret", "token", "password", "authorization", "signature", "api_key")
MASK = "***"


def mask_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace the value of every key that names a secret with a mask."""
    for key in event:
        if any(part in key.lower() for part in _SECRET_KEYS):
            event[key] = MASK
    return event


class _CurrentStderr:
    """Write to whatever `sys.stderr` is at the time of the write, not at configuration time.

    Test runners and `CliRunner` swap and close standard error; a logger bound to the old
    object would fail on its next line.
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send structlog output at `level` and above to `stream` (standard error by default)."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            mask_secrets,
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=stream or _CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
