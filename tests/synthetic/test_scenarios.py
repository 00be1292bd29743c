from __future__ import annotations

from pathlib import Path

from opsconsole.synthetic.model import load_scenario
from opsconsole.synthetic.scenarios import LEAD_TO_CASH

WORKSPACE_COPY = Path(__file__).resolve().parents[2] / "synthetic" / "lead-to-cash.yaml"


def test_packaged_lead_to_cash_matches_workspace() -> None:
    assert LEAD_TO_CASH.read_text(encoding="utf-8") == WORKSPACE_COPY.read_text(encoding="utf-8")


def test_lead_to_cash_loads_with_cleanup_and_spans() -> None:
    scenario = load_scenario(LEAD_TO_CASH)
    assert scenario.steps[0].name == "create CRM account"
    assert scenario.steps[-1].name == "CRM shows invoice"
    assert {span.name for span in scenario.spans} >= {"order sync"}
    assert len(scenario.cleanup) == 5
