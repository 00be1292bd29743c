"""Test-suite wide hooks. The controller of a pytest-xdist run loads only this top conftest."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the compatibility suite's agreement rate, which a worker may have recorded."""
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []
    ):
        for name, value in getattr(report, "user_properties", []):
            if name == "compat_agreement":
                terminalreporter.write_sep("-", "JSON Schema compatibility suite")
                terminalreporter.write_line(str(value))
