"""Measure lead-to-cash throughput of the embedded stack (engine, sandboxes, SQLite).

Usage: python bench/demo_throughput.py [--orders 60] [--concurrency 1 4 8]

For each concurrency it starts a fresh stack, runs one warm-up transaction, then the batch,
and prints transactions per second with the p50/p95 of the order sync span. Record results in
bench/RESULTS.md with the machine and the date.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from opsconsole.stack import EmbeddedStack, StackOptions
from opsconsole.synthetic.batch import run_scenario_file
from opsconsole.synthetic.scenarios import LEAD_TO_CASH


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def measure(orders: int, concurrency: int) -> dict[str, float]:
    """Run `orders` lead-to-cash transactions on a fresh stack and return the figures."""
    with tempfile.TemporaryDirectory() as folder:
        options = StackOptions(state_dir=Path(folder), engine_port=0, crm_port=0, erp_port=0)
        with EmbeddedStack(options) as stack:
            assert stack.info is not None
            targets = stack.info.synthetic_targets()
            run_scenario_file(LEAD_TO_CASH, targets, count=1)
            started = time.perf_counter()
            batch = run_scenario_file(LEAD_TO_CASH, targets, count=orders, concurrency=concurrency)
            wall = time.perf_counter() - started
    order_sync = next(span for span in batch.summary.spans if span.name == "order sync")
    return {
        "passed": batch.summary.passed,
        "tps": orders / wall,
        "order_sync_p50_ms": order_sync.p50_s * 1000,
        "order_sync_p95_ms": order_sync.p95_s * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d')}, {_cpu_model()}, Python {platform.python_version()}")
    print("| concurrency | orders | passed | transactions/s | order sync p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|")
    for concurrency in args.concurrency:
        row = measure(args.orders, concurrency)
        print(
            f"| {concurrency} | {args.orders} | {row['passed']:.0f} | {row['tps']:.2f} "
            f"| {row['order_sync_p50_ms']:.0f} | {row['order_sync_p95_ms']:.0f} |"
        )


if __name__ == "__main__":
    main()
