from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Header
from pydantic import BaseModel
from typer.testing import CliRunner

from opsconsole.cli.main import app
from opsconsole.serve import RunningServer, serve_in_thread

runner = CliRunner()


class Quote(BaseModel):
    amount: str
    currency: str


def _quote_app(*, crash_on_long_currency: bool) -> FastAPI:
    api = FastAPI()

    @api.get("/quotes/{currency}", response_model=Quote)
    def read_quote(currency: str, x_tenant: str = Header()) -> Quote:
        if crash_on_long_currency and len(currency) > 3:
            raise RuntimeError("currency code longer than its column")
        return Quote(amount="1.00", currency=currency)

    return api


@pytest.fixture(autouse=True)
def quiet_server_errors() -> Iterator[None]:
    logger = logging.getLogger("uvicorn.error")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.fixture
def broken_server() -> Iterator[RunningServer]:
    with serve_in_thread(_quote_app(crash_on_long_currency=True), name="quotes") as server:
        yield server


@pytest.fixture
def healthy_server() -> Iterator[RunningServer]:
    with serve_in_thread(_quote_app(crash_on_long_currency=False), name="quotes") as server:
        yield server


def _fuzz(server: RunningServer, tmp_path: Path, *extra: str) -> tuple[int, str, Path]:
    junit = tmp_path / "fuzz.xml"
    arguments = ["contracts", "fuzz", "--api", "quotes", "--base-url", server.url]
    arguments += ["--max-examples", "25", "--seed", "7", "--junit", str(junit), *extra]
    result = runner.invoke(app, arguments)
    return result.exit_code, result.output, junit


def test_fuzz_running_api_passes(healthy_server: RunningServer, tmp_path: Path) -> None:
    code, output, junit = _fuzz(healthy_server, tmp_path, "-H", "X-Tenant: t1")

    assert code == 0, output
    assert "GET /quotes/{currency} (positive)" in output
    assert ET.parse(junit).getroot().get("failures") == "0"


def test_fuzz_server_error_exits_one(broken_server: RunningServer, tmp_path: Path) -> None:
    code, output, junit = _fuzz(broken_server, tmp_path, "-H", "X-Tenant: t1")

    assert code == 1, output
    assert "Server error" in output
    assert "curl -X GET" in output
    assert "seed: 7" in output
    assert ET.parse(junit).getroot().get("failures") == "1"


def test_fuzz_reads_openapi_file(healthy_server: RunningServer, tmp_path: Path) -> None:
    document = _quote_app(crash_on_long_currency=False).openapi()
    path = tmp_path / "quotes.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    code, output, _ = _fuzz(healthy_server, tmp_path, "--openapi", str(path), "-H", "X-Tenant: a")

    assert code == 0, output


def test_fuzz_bad_header_exits_two(healthy_server: RunningServer, tmp_path: Path) -> None:
    code, output, _ = _fuzz(healthy_server, tmp_path, "-H", "no separator")

    assert code == 2
    assert "Invalid --header 'no separator'" in output


def test_fuzz_unknown_embedded_api_exits_two() -> None:
    result = runner.invoke(app, ["contracts", "fuzz", "--api", "wms"])

    assert result.exit_code == 2
    assert "Unknown API 'wms'" in result.output


def test_fuzz_embedded_erp_passes(tmp_path: Path) -> None:
    pytest.importorskip("opsconsole.sandboxes.erp.app")
    junit = tmp_path / "erp.xml"
    arguments = ["contracts", "fuzz", "--api", "erp", "--max-examples", "3", "--seed", "1"]
    arguments += ["--no-stateful", "--junit", str(junit), "-w", str(tmp_path)]

    result = runner.invoke(app, arguments)

    assert result.exit_code == 0, result.output
    assert "Fuzzing erp at http://127.0.0.1:" in result.output
    assert int(ET.parse(junit).getroot().get("tests") or 0) > 10


def test_fuzz_https_api_with_ca_file(tmp_path: Path) -> None:
    from opsconsole.sandboxes.tls import local_tls

    tls = local_tls(tmp_path / "state")
    api = _quote_app(crash_on_long_currency=False)
    with serve_in_thread(api, name="quotes-tls", tls=tls.server) as server:
        arguments = ["contracts", "fuzz", "--api", "quotes", "--base-url", server.url]
        arguments += ["--ca-file", str(tls.ca_file), "--max-examples", "5", "--seed", "3"]
        arguments += ["-H", "X-Tenant: t1"]

        result = runner.invoke(app, arguments)

    assert server.url.startswith("https://")
    assert result.exit_code == 0, result.output
