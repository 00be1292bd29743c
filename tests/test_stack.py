"""Start-up guards of the embedded stack: loopback only, one stack per state folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from opsconsole.cli.main import app
from opsconsole.errors import ConfigError
from opsconsole.stack import EmbeddedStack, StackOptions


def _options(state_dir: Path, **overrides: object) -> StackOptions:
    values: dict[str, object] = {"engine_port": 0, "crm_port": 0, "erp_port": 0, **overrides}
    return StackOptions(state_dir=state_dir, **values)  # type: ignore[arg-type]


def test_stack_rejects_non_loopback_host(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'0\.0\.0\.0' is not a loopback address"):
        EmbeddedStack(_options(tmp_path, host="0.0.0.0")).start()


def test_second_stack_on_same_state_dir_rejected(tmp_path: Path) -> None:
    with (
        EmbeddedStack(_options(tmp_path)),
        pytest.raises(ConfigError, match="is in use by another opsconsole stack"),
    ):
        EmbeddedStack(_options(tmp_path)).start()


def test_state_dir_free_again_after_stop(tmp_path: Path) -> None:
    with EmbeddedStack(_options(tmp_path)):
        pass
    with EmbeddedStack(_options(tmp_path)) as again:
        assert again.info is not None


def test_unusable_database_url_is_config_error(tmp_path: Path) -> None:
    stack = EmbeddedStack(_options(tmp_path, database_url="foo://bar"))
    with pytest.raises(ConfigError, match="Cannot open the store at foo://bar"):
        stack.start()
    assert stack.servers == []
    with EmbeddedStack(_options(tmp_path)) as again:
        assert again.info is not None


def test_up_rejects_out_of_range_port() -> None:
    result = CliRunner().invoke(app, ["up", "--engine-port", "99999"])
    assert result.exit_code == 2
    assert "Invalid value for '--engine-port'" in result.output


def test_missing_output_folder_is_reported_not_raised(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "report.html"
    result = CliRunner().invoke(
        app, ["catalog", "report", "-f", "html", "-o", str(target), "--workspace", "."]
    )
    assert result.exit_code == 2
    assert f"No such file or directory: {target}" in result.output
