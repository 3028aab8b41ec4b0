"""Benchmark `excelflow import`: every test notice and the shipped 101-task notice.

    python benchmarks/bench_import.py [--repeat 3]

For each notice: the whole `excelflow import` as a child process into a fresh empty folder (what a
clerk waits for; Python start-up included), and in-process `parse_notice` alone. Also what
importing pdfplumber costs (paid only when the notice is a PDF). Best of `--repeat` runs; the
machine is shared, so read the figures against each other, not as absolutes.

Prints a Markdown table to paste into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTICES = ROOT / "tests" / "data" / "notices"
SHIPPED = ROOT / "excelflow" / "data" / "guangfeng-2021-task-allocation.txt"


def best(repeat: int, run) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from excelflow.notice.parse import parse_notice

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    notices = [SHIPPED] + sorted(p for p in NOTICES.iterdir()
                                 if p.suffix in (".txt", ".md", ".html", ".xlsx", ".xls", ".ods", ".pdf")
                                 and not p.name.startswith("scanned"))
    print("| notice | tasks | `excelflow import` (process) | `parse_notice` |")
    print("|---|---:|---:|---:|")
    for notice in notices:
        def command() -> None:
            with tempfile.TemporaryDirectory() as folder:
                subprocess.run([sys.executable, "-m", "excelflow.cli", "import", str(notice), "--root", folder,
                                "--now", "2024-03-01T09:00"], env=env, check=True, capture_output=True)
        tasks = len(parse_notice(notice).tasks)
        process = best(args.repeat, command)
        parse = best(args.repeat, lambda: parse_notice(notice))
        print(f"| {notice.name} | {tasks} | {process * 1000:,.0f} ms | {parse * 1000:,.1f} ms |")
    pdf = best(args.repeat, lambda: subprocess.run([sys.executable, "-c", "import pdfplumber"], check=True))
    bare = best(args.repeat, lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    print(f"\nimport pdfplumber: {(pdf - bare) * 1000:,.0f} ms (child process, against an empty one)")


if __name__ == "__main__":
    main()
