from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import requests
from typer.testing import CliRunner

from opsconsole.cli.main import app
from opsconsole.sandboxes.launch import SandboxKind, SandboxOptions, start_sandbox

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "not a loopback address"),
        (["--host", "example.org"], "not a loopback address"),
        (["--client", "no-secret"], "is not ID=SECRET"),
        (["--engine-url", "ftp://x"], "not an http:// or https:// URL"),
    ],
)
def test_serve_rejects_bad_options(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["sandbox", "serve", "erp", "--port", "0", *args])

    assert result.exit_code == 2
    assert message in result.output


def test_serve_help_names_defaults() -> None:
    result = CliRunner().invoke(app, ["sandbox", "serve", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    assert "8401" in result.output
    assert "8402" in result.output
    assert "http://127.0.0.1:8400" in result.output


def test_start_crm_sandbox_with_generated_credentials(tmp_path: Path) -> None:
    options = SandboxOptions(SandboxKind.CRM, "127.0.0.1", 0, "http://127.0.0.1:8400", tmp_path)
    started = start_sandbox(options)

    with started.server, requests.Session() as session:
        session.trust_env = False
        session.verify = str(started.ca_file)
        session.headers["Connection"] = "close"
        token = session.post(
            f"{started.server.url}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "opsconsole-engine",
                "client_secret": started.clients["opsconsole-engine"],
            },
        )

    assert token.status_code == 200
    assert started.event_url == "http://127.0.0.1:8400/webhooks/crm"
    assert set(started.clients) == {"opsconsole-engine", "opsconsole-synthetic"}
    assert started.event_secret
    assert started.ca_file is not None
    assert started.ca_file.is_relative_to(tmp_path)


def test_start_erp_sandbox_without_events(tmp_path: Path) -> None:
    options = SandboxOptions(
        SandboxKind.ERP, "127.0.0.1", 0, None, tmp_path, "secret", {"me": "pw"}
    )
    started = start_sandbox(options)

    with started.server, httpx.Client(trust_env=False) as http:
        token = http.post(
            f"{started.server.url}/services/rest/auth/oauth2/v1/token",
            data={"grant_type": "client_credentials", "client_id": "me", "client_secret": "pw"},
        )

    assert token.status_code == 200
    assert started.event_url is None
    assert started.ca_file is None


def test_serve_prints_credentials_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    command = [sys.executable, "-m", "opsconsole", "sandbox", "serve", "crm", "--port", "0"]
    command += ["--client", "cli-client=cli-secret", "--state-dir", str(tmp_path)]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "Press Ctrl-C" in line:
            break
    output = "".join(lines)
    url = re.search(r"https://127\.0\.0\.1:\d+", output)
    ca_file = tmp_path / "tls" / "sandbox-ca.pem"

    try:
        assert url is not None, output
        with requests.Session() as session:
            session.trust_env = False
            session.verify = str(ca_file)
            session.headers["Connection"] = "close"
            token = session.post(
                f"{url.group()}/services/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "cli-client",
                    "client_secret": "cli-secret",
                },
            )
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)

    assert token.status_code == 200
    assert str(ca_file) in output
    assert "cli-secret" in output
    assert process.returncode == 0
    assert "Stopping the sandbox." in rest
