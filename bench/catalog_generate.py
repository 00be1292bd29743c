"""Write a synthetic catalog of N touchpoints (default 5,000) for the catalog benchmark.

Usage: python bench/catalog_generate.py DIR [--touchpoints N]

The catalog has 60 systems (one of them middleware), 12 teams and one file per 100
touchpoints. A tenth of the touchpoints bypass the middleware and a seventh lack a runbook,
so every report section has content.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

import yaml

MODES = ("api", "event", "webhook", "batch", "file-transfer", "manual-reconciliation")
LEVELS = ("critical", "high", "medium", "low")
IMPACTS = ("revenue", "fulfilment", "cash-collection", "customer-experience", "internal")
OBJECTS = ("customer", "contact", "sales-order", "invoice", "payment", "product", "shipment")
LATENCIES = ("2s", "30s", "5m", "1h", "24h")


def _system(index: int) -> dict[str, Any]:
    kind = "middleware" if index == 0 else "other"
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "System",
        "metadata": {"name": f"system-{index:02d}"},
        "spec": {"type": kind, "owner": f"group:team-{index % 12:02d}"},
    }


def _group(index: int) -> dict[str, Any]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Group",
        "metadata": {"name": f"team-{index:02d}"},
        "spec": {"type": "team", "children": []},
    }


def _touchpoint(index: int, systems: int, rng: random.Random) -> dict[str, Any]:
    peer = f"system:system-{rng.randrange(1, systems):02d}"
    other = f"system:system-{rng.randrange(1, systems):02d}"
    direct = index % 10 == 0
    source, target = (peer, other) if direct else (peer, "system:system-00")
    if not direct and rng.random() < 0.5:
        source, target = target, source
    mode = MODES[index % len(MODES)]
    level = LEVELS[index % len(LEVELS)]
    obj = OBJECTS[index % len(OBJECTS)]
    spec: dict[str, Any] = {
        "mode": mode,
        "source": source,
        "target": target,
        "objects": [obj],
        "direction": "one-way",
        "criticality": level,
        "latency": {"target": rng.choice(LATENCIES)},
        "systemOfRecord": [
            {"object": obj, "system": f"system:system-{OBJECTS.index(obj) + 1:02d}"}
        ],
        "failureImpact": {"category": IMPACTS[index % len(IMPACTS)], "description": "Work stops."},
        "owner": f"group:team-{index % 12:02d}",
        "contracts": [{"type": "pact", "path": "contracts/pact.json"}],
        "monitors": [{"name": "check", "type": "synthetic", "path": "synthetic/check.yaml"}],
        "kpis": [{"name": "lag", "metric": "lag_seconds", "threshold": 60}],
        "dataClassification": "internal",
        "residency": ["eu"],
    }
    if mode in ("batch", "file-transfer", "manual-reconciliation"):
        spec["schedule"] = "0 2 * * *"
    if index % 7:
        spec["runbook"] = "https://runbooks.example.test/touchpoints"
    return {
        "apiVersion": "opsconsole.dev/v1alpha1",
        "kind": "Touchpoint",
        "metadata": {"name": f"touchpoint-{index:05d}", "title": f"Touchpoint {index}"},
        "spec": spec,
    }


def generate(root: Path, touchpoints: int, systems: int = 60, seed: int = 7) -> None:
    """Write the workspace (catalog/, contracts/, synthetic/) under `root`."""
    rng = random.Random(seed)
    catalog = root / "catalog"
    (catalog / "touchpoints").mkdir(parents=True, exist_ok=True)
    for folder, name in (("contracts", "pact.json"), ("synthetic", "check.yaml")):
        (root / folder).mkdir(exist_ok=True)
        (root / folder / name).write_text("{}\n", encoding="utf-8")
    base = [_group(i) for i in range(12)] + [_system(i) for i in range(systems)]
    (catalog / "base.yaml").write_text(yaml.safe_dump_all(base), encoding="utf-8")
    for start in range(0, touchpoints, 100):
        chunk = [_touchpoint(i, systems, rng) for i in range(start, min(start + 100, touchpoints))]
        path = catalog / "touchpoints" / f"batch-{start // 100:03d}.yaml"
        path.write_text(yaml.safe_dump_all(chunk, sort_keys=False), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--touchpoints", type=int, default=5000)
    arguments = parser.parse_args()
    generate(arguments.directory, arguments.touchpoints)


if __name__ == "__main__":
    main()
