"""Time the validation of 100,000 payloads against a canonical-style schema.

Builds a throwaway workspace with a sales-order event schema (a `$ref` to a sibling schema by
relative URL, uuid and date-time formats, decimal-string money) and 100,000 recorded payloads
in one JSON Lines file, then measures:

- the compiled Python validator alone (`PayloadValidator.violations`, one reused validator),
- the same with the jsonschema-rs fast path (`fast=True`),
- the whole gate, `validate_workspace` (reading and parsing the file, building the report),
  with and without the fast path.

One payload in 100 is invalid (bad uuid), so the failure path is exercised too.

Run from the repository root:  python -m bench.validate_payloads [--count N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opsconsole.contracts.registry import load_schemas
from opsconsole.contracts.validation import PayloadValidator, validate_workspace
from opsconsole.workspace import Workspace

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://schemas.opsconsole.example/canonical/"
MONEY = {"type": "string", "pattern": "^-?[0-9]{1,15}(\\.[0-9]{1,4})?$"}

ORDER = {
    "$schema": DIALECT,
    "$id": BASE + "sales-order.v1.json",
    "type": "object",
    "required": ["order_id", "customer_id", "currency", "lines", "total"],
    "properties": {
        "order_id": {"type": "string", "minLength": 1},
        "customer_id": {"type": "string", "minLength": 1},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "lines": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["sku", "quantity", "unit_price"],
                "properties": {
                    "sku": {"type": "string"},
                    "quantity": {"type": "integer", "minimum": 1},
                    "unit_price": MONEY,
                },
                "unevaluatedProperties": False,
            },
        },
        "total": MONEY,
    },
    "unevaluatedProperties": False,
}
EVENT = {
    "$schema": DIALECT,
    "$id": BASE + "sales-order-accepted.v1.json",
    "type": "object",
    "required": ["event_id", "occurred_at", "order"],
    "properties": {
        "event_id": {"type": "string", "format": "uuid"},
        "occurred_at": {"type": "string", "format": "date-time"},
        "order": {"$ref": "sales-order.v1.json"},
    },
    "unevaluatedProperties": False,
}


def _payload(index: int) -> dict[str, Any]:
    event_id = "42" if index % 100 == 0 else str(uuid.UUID(int=index + 1))
    return {
        "event_id": event_id,
        "occurred_at": f"2026-12-04T10:{index % 60:02d}:00Z",
        "order": {
            "order_id": f"SO-{index}",
            "customer_id": f"C-{index % 997}",
            "currency": "EUR",
            "lines": [
                {"sku": "PUMP-200", "quantity": 2, "unit_price": "125.00"},
                {"sku": "VALVE-7", "quantity": 1, "unit_price": "19.90"},
            ],
            "total": "269.90",
        },
    }


def _build_workspace(root: Path, count: int) -> tuple[Workspace, list[dict[str, Any]]]:
    workspace = Workspace(root)
    workspace.schemas_dir.mkdir(parents=True)
    for name, schema in (("sales-order.v1", ORDER), ("sales-order-accepted.v1", EVENT)):
        (workspace.schemas_dir / f"{name}.json").write_text(json.dumps(schema))
    payloads = [_payload(index) for index in range(count)]
    recorded = workspace.contracts_dir / "recorded" / "sales-order-accepted.v1"
    recorded.mkdir(parents=True)
    lines = "\n".join(json.dumps(payload) for payload in payloads)
    (recorded / "bench.jsonl").write_text(lines + "\n")
    return workspace, payloads


def _timed(label: str, work: Callable[[], int], count: int) -> None:
    started = time.perf_counter()
    invalid = work()
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(f"| {label} | {elapsed:.2f} s | {rate:,.0f} /s | {invalid} |")


def _core_loop(workspace: Workspace, payloads: list[dict[str, Any]], fast: bool) -> int:
    schemas = load_schemas(workspace.schemas_dir)
    entry = schemas.by_name("sales-order-accepted.v1")
    assert entry is not None
    validator = PayloadValidator(schemas, fast=fast)
    return sum(1 for payload in payloads if validator.violations(entry, payload))


def _gate(workspace: Workspace, fast: bool) -> int:
    return len(validate_workspace(workspace, fast=fast).failures())


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    """Build the workspace, run each measurement once and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="payloads to validate")
    count = parser.parse_args().count
    print(f"machine: {_cpu_model()}, nproc {os.cpu_count()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        workspace, payloads = _build_workspace(Path(folder), count)
        print(f"| what ({count:,} payloads) | time | rate | invalid |")
        print("|---|---|---|---|")
        _timed(
            "compiled jsonschema validator", lambda: _core_loop(workspace, payloads, False), count
        )
        _timed("jsonschema-rs fast path", lambda: _core_loop(workspace, payloads, True), count)
        _timed("gate `contracts validate`", lambda: _gate(workspace, False), count)
        _timed("gate `contracts validate --fast`", lambda: _gate(workspace, True), count)


if __name__ == "__main__":
    main()
