"""Test-suite wide hooks. The controller of a pytest-xdist run loads only this top conftest."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# In CI, property tests draw the same examples on every run so a red build always reproduces;
# locally they draw new examples each run to keep finding new cases.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session", autouse=True)
def _cache_dir_under_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the compiled schema check that catalog commands cache out of the user's home."""
    os.environ["OPSCONSOLE_CACHE_DIR"] = str(tmp_path_factory.mktemp("opsconsole-cache"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the compatibility suite's agreement rate, which a worker may have recorded."""
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []
    ):
        for name, value in getattr(report, "user_properties", []):
            if name == "compat_agreement":
                terminalreporter.write_sep("-", "JSON Schema compatibility suite")
                terminalreporter.write_line(str(value))
