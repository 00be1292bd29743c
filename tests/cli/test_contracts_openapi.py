"""`opsconsole contracts export-openapi` writes documents and fails `--check` when stale."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from opsconsole.cli.main import app

runner = CliRunner()


def test_check_fails_until_exported(tmp_path: Path) -> None:
    (tmp_path / "catalog").mkdir()
    arguments = ["contracts", "export-openapi", "--workspace", str(tmp_path), "--api", "engine"]

    stale = runner.invoke(app, [*arguments, "--check"])
    exported = runner.invoke(app, arguments)
    current = runner.invoke(app, [*arguments, "--check"])

    assert stale.exit_code == 1, stale.output
    assert "missing" in stale.output
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "contracts" / "openapi" / "engine.yaml").is_file()
    assert current.exit_code == 0, current.output


def test_unknown_api_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "catalog").mkdir()

    result = runner.invoke(
        app, ["contracts", "export-openapi", "--workspace", str(tmp_path), "--api", "wms"]
    )

    assert result.exit_code == 2
    assert "Choose from: engine, crm, erp" in result.output
