"""The HTML report renders in headless Chromium with its matrix and graph, offline."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from opsconsole.catalog.catalog import load_catalog
from opsconsole.catalog.graph import build_graph
from opsconsole.catalog.inventory import build_report
from opsconsole.catalog.render import render_html
from opsconsole.catalog.rules import validate
from opsconsole.catalog.svg import render_svg

REPOSITORY = Path(__file__).resolve().parents[2]
ARTIFACTS = REPOSITORY / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed"),
]


def _chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = load_catalog(REPOSITORY)
    report = build_report(result.catalog, validate(result))
    html = render_html(report, render_svg(build_graph(result.catalog)))
    path = tmp_path_factory.mktemp("report") / "catalog-report.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_report_dom_has_matrix_and_graph(report_file: Path, tmp_path: Path) -> None:
    dom = _chromium(tmp_path / "profile", "--dump-dom", report_file.as_uri()).stdout

    assert '<table class="matrix">' in dom
    assert "<svg" in dom
    assert 'data-system="integration-hub"' in dom
    assert "crm-order-to-hub" in dom


def test_report_screenshot_is_kept(report_file: Path, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "catalog-report.png"
    screenshot.unlink(missing_ok=True)

    _chromium(
        tmp_path / "profile",
        f"--screenshot={screenshot}",
        "--window-size=1280,2400",
        "--hide-scrollbars",
        report_file.as_uri(),
    )

    print(f"Screenshot of the catalog report: {screenshot}")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000


def test_report_prints_to_pdf(report_file: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "catalog-report.pdf"

    _chromium(
        tmp_path / "profile",
        f"--print-to-pdf={pdf}",
        "--no-pdf-header-footer",
        report_file.as_uri(),
    )

    content = pdf.read_bytes()
    assert content.startswith(b"%PDF-")
    assert content.count(b"/Type /Page") - content.count(b"/Type /Pages") >= 2
