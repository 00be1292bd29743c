from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import structlog

from opsconsole.logs import configure_logging


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging("INFO", buffer)
    yield buffer
    structlog.reset_defaults()


def test_log_lines_are_key_value_with_level(stream: io.StringIO) -> None:
    structlog.get_logger().info("event applied", correlation_id="c-1")
    line = stream.getvalue()
    assert "level='info'" in line
    assert "event='event applied'" in line
    assert "correlation_id='c-1'" in line


def test_secrets_are_masked(stream: io.StringIO) -> None:
    structlog.get_logger().warning("token refreshed", access_token="abc123", client_secret="s")
    line = stream.getvalue()
    assert "abc123" not in line
    assert "client_secret='***'" in line


def test_level_filters_lower_levels(stream: io.StringIO) -> None:
    configure_logging("WARNING", stream)
    structlog.get_logger().info("quiet")
    assert stream.getvalue() == ""
