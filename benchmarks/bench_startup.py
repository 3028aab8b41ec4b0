"""Benchmark: start-up of `excelflow --help` and a whole `excelflow collect` with nothing new,
this source tree against another (e.g. the commit before a refactoring), in one run.

    python benchmarks/bench_startup.py --baseline ../baseline [--runs 15]

Both commands run as fresh child processes (`python -m excelflow.cli …` with PYTHONPATH set to
one tree or the other), alternating between the two trees run after run so that the machine's
load falls on both alike; medians are reported with their ratio (this tree ÷ baseline). The
nothing-new pass runs on a working folder each tree has collected itself beforehand (the shipped
2021 register, 2021-H1 workbooks generated, 12 filled returns collected), so each reads its own
cache. Prints Markdown for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNITS = ("区科技局", "区工信局", "区商务局", "区财政局", "永丰街道", "芦林街道", "丰溪街道", "区发改委", "区教体局",
         "区民政局", "区住建局", "区交通局")


def run(src: Path, *args: str, cwd: Path | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of one `python -m excelflow.cli ARGS` with `src` first on the path.

    CPU (user + system of the child, from wait4) is what the command costs; wall time also holds
    whatever else the shared machine was doing.
    """
    env = {**os.environ, "PYTHONPATH": str(src)}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "excelflow.cli", *args], env=env, cwd=cwd or src,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 3):
        raise SystemExit(f"{src}: excelflow {' '.join(args)} failed:\n{err.decode('utf-8', 'replace')}")
    return elapsed, usage.ru_utime + usage.ru_stime


def prepare(src: Path, folder: Path) -> None:
    """A working folder collected once by the excelflow in `src`."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    script = f"""
import shutil, sys
from datetime import datetime
from pathlib import Path
sys.path.insert(0, {str(src)!r})
from excelflow.cli import main
root = Path({str(folder)!r})
init = main.commands["init"]
example = ["--example"] if any(p.name == "example" for p in init.params) else []  # older trees: init wrote the example
for args in (["init", str(root), *example], ["generate", "--round", "2021-H1", "--root", str(root), "--now", "2021-06-01T09:00"]):
    try:
        main(args, standalone_mode=False)
    except SystemExit:
        pass
from excelflow.demo import fill_workbook
templates = root / "outbox" / "2021-H1" / "templates"
for unit in {UNITS!r}:
    source = templates / f"{{unit}}.xlsx"
    if source.exists():
        fill_workbook(source, root / "inbox" / f"{{unit}}.xlsx",
                      lambda task, sheet: {{"完成状态": "序时推进", "完成进度(%)": 60, "进展情况": "按计划推进。"}})
"""
    subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True)
    run(src, "collect", "--root", str(folder), "--now", "2021-06-14T10:00")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", type=Path, required=True, help="the other source tree (holding excelflow/)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    trees = {"this tree": ROOT, "baseline": args.baseline.resolve()}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        for name, src in trees.items():
            folders[name] = Path(tmp) / name.replace(" ", "-") / "督查 2021"
            prepare(src, folders[name])
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for i in range(args.runs):
            order = list(trees) if i % 2 == 0 else list(reversed(trees))
            for name in order:
                src = trees[name]
                times.setdefault(("help", name), []).append(run(src, "--help"))
                times.setdefault(("collect", name), []).append(
                    run(src, "collect", "--root", str(folders[name]), "--now", "2021-06-14T18:00"))
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Python {platform.python_version()}, {args.runs} runs each, alternating; load average {load:.1f} "
          f"on {os.cpu_count()} cores.\n")
    print("| command | measure | this tree, median (ms) | baseline, median (ms) | ratio |")
    print("|---|---|---|---|---|")
    for what, label in (("help", "`excelflow --help`"), ("collect", "`excelflow collect`, nothing new")):
        for k, measure in ((1, "CPU"), (0, "wall")):
            mine = statistics.median(t[k] for t in times[(what, "this tree")]) * 1000
            base = statistics.median(t[k] for t in times[(what, "baseline")]) * 1000
            print(f"| {label} | {measure} | {mine:.0f} | {base:.0f} | {mine / base:.2f} |")


if __name__ == "__main__":
    main()
