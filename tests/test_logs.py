from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from opsconsole.engine.logs import get_logger
from opsconsole.logs import ROOT_LOGGER, configure_logging


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging("INFO", buffer)
    yield buffer
    logger = logging.getLogger(ROOT_LOGGER)
    logger.handlers.clear()
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


def test_engine_lines_are_key_value_with_level(stream: io.StringIO) -> None:
    get_logger().info("event applied", correlation_id="c-1")
    line = stream.getvalue()
    assert "level='info'" in line
    assert "event='event applied'" in line
    assert "correlation_id='c-1'" in line


def test_secrets_are_masked(stream: io.StringIO) -> None:
    get_logger().warning("token refreshed", access_token="abc123", client_secret="s")
    line = stream.getvalue()
    assert "abc123" not in line
    assert "client_secret='***'" in line


def test_level_filters_lower_levels(stream: io.StringIO) -> None:
    configure_logging("WARNING", stream)
    get_logger().info("quiet")
    logging.getLogger("opsconsole.sandboxes.delivery").info("quiet too")
    assert stream.getvalue() == ""


def test_second_configuration_replaces_handler(stream: io.StringIO) -> None:
    configure_logging("INFO", stream)
    logging.getLogger("opsconsole.sandboxes.delivery").warning("once")
    assert stream.getvalue().count("once") == 1
