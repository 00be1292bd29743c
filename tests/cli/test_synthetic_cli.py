from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from opsconsole.cli.main import app
from opsconsole.cli.synthetic import load_targets
from opsconsole.errors import ConfigError

runner = CliRunner()


def test_run_needs_exactly_one_target_source(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: x\n", encoding="utf-8")
    result = runner.invoke(app, ["synthetic", "run", str(scenario)])
    assert result.exit_code == 2
    assert "Give exactly one of --targets FILE and --embedded" in result.output


def test_invalid_scenario_is_reported_by_field(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: x\ntargets: {}\nsteps: []\n", encoding="utf-8")
    targets = tmp_path / "t.yaml"
    targets.write_text("shop: {base_url: 'http://127.0.0.1:9'}\n", encoding="utf-8")
    result = runner.invoke(app, ["synthetic", "run", str(scenario), "--targets", str(targets)])
    assert result.exit_code == 2
    assert "steps: List should have at least 1 item" in result.output
    assert "Traceback" not in result.output


def test_targets_file_reads_secret_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_SECRET", "from-env")
    path = tmp_path / "targets.yaml"
    path.write_text(
        "crm: {base_url: 'https://127.0.0.1:8401', client_id: me, client_secret_env: CRM_SECRET}\n",
        encoding="utf-8",
    )
    assert load_targets(path)["crm"].client_secret == "from-env"


def test_targets_file_names_missing_secret_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOPE_SECRET", raising=False)
    path = tmp_path / "targets.yaml"
    path.write_text("crm: {base_url: 'x', client_secret_env: NOPE_SECRET}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\$NOPE_SECRET, which is not set"):
        load_targets(path)


def test_targets_file_needs_base_url(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("crm: {client_id: me}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="needs base_url"):
        load_targets(path)


def test_targets_file_rejects_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("crm: {base_url: 'x', clientsecret: oops}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown keys clientsecret"):
        load_targets(path)


def test_demo_checks_scenario_before_starting(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--scenario", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Starting the engine" not in result.output


def test_unreachable_target_is_reported_before_running(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        "crm: {base_url: 'http://127.0.0.1:9', client_id: a, client_secret: b}\n"
        "erp: {base_url: 'http://127.0.0.1:9', client_id: a, client_secret: b}\n",
        encoding="utf-8",
    )
    scenario = Path(__file__).resolve().parents[2] / "synthetic" / "lead-to-cash.yaml"
    result = runner.invoke(app, ["synthetic", "run", str(scenario), "--targets", str(targets)])
    assert result.exit_code == 2
    assert "Target 'crm' could not be reached for a token" in result.output
    assert "lead-to-cash" not in result.output
