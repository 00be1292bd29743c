from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the agreement rate the suite test recorded, also when it ran in a worker."""
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []
    ):
        for name, value in getattr(report, "user_properties", []):
            if name == "compat_agreement":
                terminalreporter.write_sep("-", "JSON Schema compatibility suite")
                terminalreporter.write_line(str(value))
