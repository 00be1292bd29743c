"""Scenarios that ship with opsconsole, for use outside a workspace."""

from __future__ import annotations

from pathlib import Path

LEAD_TO_CASH = Path(__file__).with_name("lead-to-cash.yaml")
