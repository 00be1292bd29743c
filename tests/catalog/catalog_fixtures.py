"""Catalog entities for tests: base systems and a team, and complete touchpoints."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from opsconsole.catalog.catalog import load_catalog
from opsconsole.catalog.findings import Finding
from opsconsole.catalog.rules import validate

WriteWorkspace = Callable[..., Path]

BASE_ENTITIES: list[dict[str, Any]] = [
    {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {"name": "integration-team"},
        "spec": {"type": "team", "children": []},
    },
    *[
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "System",
            "metadata": {"name": name, "title": name.upper()},
            "spec": {"type": kind, "owner": "group:integration-team"},
        }
        for name, kind in (("crm", "crm"), ("erp", "erp"), ("hub", "middleware"))
    ],
]


def touchpoint(name: str, **spec: Any) -> dict[str, Any]:
    """A complete, valid touchpoint; keyword arguments replace spec fields (None removes one)."""
    full: dict[str, Any] = {
        "mode": "api",
        "source": "system:crm",
        "target": "system:hub",
        "objects": ["customer"],
        "direction": "one-way",
        "criticality": "medium",
        "latency": {"target": "30s"},
        "failureImpact": {"category": "revenue", "description": "Orders cannot be booked."},
        "owner": "group:integration-team",
        "runbook": "https://runbooks.example.test/customer",
        "contracts": [{"type": "json-schema", "path": "contracts/customer.json"}],
        "monitors": [{"name": "lag", "type": "metric", "query": "lag_seconds"}],
    }
    full.update(spec)
    return {
        "apiVersion": "opsconsole.dev/v1alpha1",
        "kind": "Touchpoint",
        "metadata": {"name": name},
        "spec": {key: value for key, value in full.items() if value is not None},
    }


def findings_of(root: Path) -> list[Finding]:
    """Load and validate the catalog under `root`."""
    return validate(load_catalog(root))


def rules_of(root: Path) -> list[str]:
    """The rule of each finding under `root`, in report order."""
    return [finding.rule for finding in findings_of(root)]
