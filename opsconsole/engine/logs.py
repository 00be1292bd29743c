"""Structured engine logs, handed to the standard `logging` logger "opsconsole.engine".

The engine renders each line as key=value pairs with the bound correlation ID. The host
process decides where lines go: `opsconsole engine serve` logs INFO to standard error, and
the embedded stack and tests keep their own logging setup. structlog's global configuration
is left alone, so hosting the engine never changes how other code logs.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

from opsconsole.logs import mask_secrets

LOGGER_NAME = "opsconsole.engine"

_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.format_exc_info,
    mask_secrets,
    structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
]


def get_logger() -> Any:
    """Return a structlog logger that writes rendered lines to the "opsconsole.engine" logger."""
    return structlog.wrap_logger(
        logging.getLogger(LOGGER_NAME),
        processors=_PROCESSORS,
        wrapper_class=structlog.stdlib.BoundLogger,
    )
