"""Time validation and reporting of a generated catalog (default 5,000 touchpoints).

Usage: python bench/catalog_bench.py [--touchpoints N] [--repeat R]

In process, it times each step (best of R): load (parse and schema check), validate (the
rules), build (the report model) and rendering in each format. The headline total is what
`opsconsole catalog report --format html` does: load, validate, build, draw the graph and
render HTML. It then times that command end to end, interpreter start-up included. Wall-clock
and CPU time are both printed, because CPU time is less disturbed by other load on the machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog_generate import generate

from opsconsole.catalog.catalog import load_catalog
from opsconsole.catalog.graph import build_graph
from opsconsole.catalog.inventory import build_report
from opsconsole.catalog.render import render_csv, render_html, render_json, render_markdown
from opsconsole.catalog.rules import validate
from opsconsole.catalog.svg import render_svg

Timing = tuple[float, float]


def _timed(step: Callable[[], object]) -> tuple[object, Timing]:
    cpu, wall = time.process_time(), time.perf_counter()
    value = step()
    return value, (time.perf_counter() - wall, time.process_time() - cpu)


def run_once(root: Path) -> dict[str, Timing]:
    """Load, validate, build and render `root` once; return (wall, CPU) seconds per step."""
    times: dict[str, Timing] = {}
    result, times["load"] = _timed(lambda: load_catalog(root))
    findings, times["validate"] = _timed(lambda: validate(result))  # type: ignore[arg-type]
    report, times["build"] = _timed(lambda: build_report(result.catalog, findings))  # type: ignore
    _, times["md"] = _timed(lambda: render_markdown(report))  # type: ignore[arg-type]
    _, times["csv"] = _timed(lambda: render_csv(report))  # type: ignore[arg-type]
    _, times["json"] = _timed(lambda: render_json(report))  # type: ignore[arg-type]
    _, times["html"] = _timed(
        lambda: render_html(report, render_svg(build_graph(result.catalog)))  # type: ignore
    )
    steps = ("load", "validate", "build", "html")
    times["total"] = (sum(times[s][0] for s in steps), sum(times[s][1] for s in steps))
    return times


def _time_command(root: Path, repeat: int) -> Timing:
    command = [sys.executable, "-m", "opsconsole", "catalog", "report", "-w", str(root)]
    command += ["-f", "html", "-o", str(root / "report.html")]
    best: Timing = (float("inf"), float("inf"))
    for _ in range(repeat):
        start = time.perf_counter()
        cpu = _children_cpu()
        subprocess.run(command, check=True, capture_output=True)
        run = (time.perf_counter() - start, _children_cpu() - cpu)
        best = min(best, run)
    return best


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--touchpoints", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        generate(root, arguments.touchpoints)
        runs = [run_once(root) for _ in range(arguments.repeat)]
        command = _time_command(root, arguments.repeat)
    print(f"{arguments.touchpoints} touchpoints, best of {arguments.repeat} (wall / CPU seconds):")
    for step in runs[0]:
        wall = min(run[step][0] for run in runs)
        cpu = min(run[step][1] for run in runs)
        print(f"  {step:<9} {wall:5.2f} / {cpu:5.2f}")
    print(
        f"  command   {command[0]:5.2f} / {command[1]:5.2f}  (catalog report -f html, end to end)"
    )


if __name__ == "__main__":
    main()
