"""Time reviewing two versions of a large OpenAPI document (load, parse, diff, levels).

Usage: python bench/bench_review.py [--runs N] [--resources N]

Generates the documents with gen_openapi.py into a temporary folder, then runs the same work
as `opsconsole review diff` in-process N times. Prints the size, change counts and the minimum
and median wall and CPU time. CPU time is the steadier figure on a busy machine, and a whole
CLI run adds interpreter start and imports on top.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_openapi import build, evolve

from opsconsole.review.diff import counts, diff_sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="Timed runs (default 7).")
    parser.add_argument("--resources", type=int, default=112, help="Resources in the API.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        old, new = Path(folder) / "erp-api.v1.json", Path(folder) / "erp-api.v2.json"
        first = build(args.resources)
        old.write_text(json.dumps(first, indent=2), encoding="utf-8")
        new.write_text(json.dumps(evolve(first), indent=2), encoding="utf-8")
        size = old.stat().st_size / 1_000_000
        timings, cpu = [], []
        result = None
        for _ in range(args.runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            result = diff_sources(str(old), str(new))
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    assert result is not None
    operations = sum(
        1
        for item in first["paths"].values()
        for key in item
        if key in ("get", "post", "patch", "delete")
    )
    print(
        f"document: {size:.2f} MB, {len(first['paths'])} paths, {operations} operations, "
        f"{len(first['components']['schemas'])} component schemas"
    )
    print(f"changes: {len(result.changes)} {counts(result.changes)}")
    print(
        f"runs: {args.runs}, wall min {min(timings):.3f} s, median "
        f"{statistics.median(timings):.3f} s; CPU min {min(cpu):.3f} s, median "
        f"{statistics.median(cpu):.3f} s"
    )


if __name__ == "__main__":
    main()
