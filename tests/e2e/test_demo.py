"""`opsconsole demo` and `opsconsole up` on the real embedded stack."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from opsconsole.cli.main import app

REPO = Path(__file__).resolve().parents[2]


def test_demo_runs_orders_and_writes_reports(tmp_path: Path) -> None:
    report = tmp_path / "demo.json"
    junit = tmp_path / "demo.xml"
    result = CliRunner().invoke(
        app,
        ["demo", "--orders", "3", "--json", str(report), "--junit", str(junit)],
        catch_exceptions=False,
    )

    assert result.exit_code == 0, result.output
    assert "PASS 3 of 3 transactions" in result.output
    summary = json.loads(report.read_text(encoding="utf-8"))
    assert summary["passed"] == 3
    assert summary["duplicates_found"] == 0
    assert summary["api_success_rate"] == 1.0
    assert summary["failures"] == []
    assert summary["cleanup_failures"] == []
    order_sync = next(span for span in summary["spans"] if span["name"] == "order sync")
    assert order_sync["count"] == 3
    assert order_sync["p95_ms"] >= order_sync["p50_ms"] > 0
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "3"
    assert suite.get("failures") == "0"


def test_demo_fails_when_assertions_fail(tmp_path: Path) -> None:
    scenario = (REPO / "synthetic" / "lead-to-cash.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        scenario.replace("status: Pending Fulfillment", "status: Shipped").replace(
            "timeout_s: 30", "timeout_s: 5"
        )
    )
    report = tmp_path / "demo.json"
    result = CliRunner().invoke(
        app,
        ["demo", "--orders", "1", "--scenario", str(broken), "--json", str(report)],
        catch_exceptions=False,
    )

    assert result.exit_code == 1
    failure = json.loads(report.read_text(encoding="utf-8"))["failures"][0]
    assert failure["step"] == "ERP accepts order"
    assert "expected 'Shipped'" in failure["message"]
    assert failure["correlation_id"] in result.output


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_up_prints_json_and_stops_on_signal(tmp_path: Path, stop_signal: signal.Signals) -> None:
    command = [
        sys.executable,
        "-m",
        "opsconsole",
        "up",
        "--json",
        "--state-dir",
        str(tmp_path),
        "--engine-port",
        "0",
        "--crm-port",
        "0",
        "--erp-port",
        "0",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    ) as proc:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        health = httpx.get(f"{info['engine']['url']}/health", timeout=5, trust_env=False)
        token = httpx.post(
            info["crm"]["token_url"],
            data={
                "grant_type": "client_credentials",
                "client_id": info["crm"]["client_id"],
                "client_secret": info["crm"]["client_secret"],
            },
            verify=ssl.create_default_context(cafile=info["crm"]["ca_file"]),
            trust_env=False,
        )
        proc.send_signal(stop_signal)
        assert proc.wait(timeout=20) == 0

    assert health.json() == {"status": "ok"}
    assert token.status_code == 200
    assert Path(info["crm"]["ca_file"]).is_file()
