"""Benchmark the comparison outputs: figures, workbook, reminders, draft notification.

    python benchmarks/bench_compare.py [--units 1000] [--repeat 5]

Two registers, measured in one run:

- the shipped 2021 register (79 units, 1,419 entries), the size a district really has;
- a synthetic one: N units × 20 entries (unit i leads 10 tasks and co-hosts the 10 tasks unit
  i+1 leads), 20,000 entries for N = 1,000, to see how the work grows.

Entry states are drawn from a seeded generator (60 % on time, 10 % late, 15 % missing, 10 %
incomplete, 5 % invalid). For each register: `compare()` alone, each renderer alone (in
memory), `write_comparison` to disk, and a second `write_comparison` with nothing new (the
bytes are compared and nothing is written). Medians of --repeat runs, CPU and wall.
Prints a Markdown table to paste into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from excelflow.intake.records import EntryReport
from excelflow.register.campaign import default_register
from excelflow.register.model import Register, Round, Task, Unit
from excelflow.register.statuses import CHOICES
from excelflow.reports.comparison_workbook import comparison_bytes, write_comparison
from excelflow.reports.figures import compare
from excelflow.reports.ledger import EntryState
from excelflow.reports.notification import notification_bytes
from excelflow.reports.reminders import reminders_text
from excelflow.workspace import Workspace

NOW = datetime(2021, 6, 28, 9)
TEXT = "已召开专题调度会3次,协调解决问题5个,项目按计划推进,完成年度目标的{}%。"


def synthetic(units: int) -> Register:
    names = [f"单位{i:04d}" for i in range(units)]
    tasks = []
    for i, name in enumerate(names):
        for k in range(10):
            tasks.append(Task(i * 10 + k + 1, f"{'一二三四五六七'[i % 7]}、第{i % 7 + 1}章(若干项)", None,
                              f"聚焦首位产业和主导产业深入实施产业链链长制(第{i * 10 + k + 1}项)。",
                              (name,), (names[(i + 1) % units],)))
    rnd = Round("2021-H1", "半年", date(2021, 6, 15), date(2021, 6, 25))
    return Register("通知", tuple(Unit(n, contact="张三", phone="13900000000") for n in names),
                    tuple(tasks), (rnd,), settings={"督查室联系人": "陈哲琪", "电话": "18879351014"})


def states(register: Register, seed: int = 1) -> list[EntryState]:
    rng = random.Random(seed)
    rnd = register.round("2021-H1")
    assert rnd is not None
    out = []
    for e in register.expected_entries():
        deadline = rnd.deadline(e.role)
        state = rng.choices(("on_time", "late", "missing", "incomplete", "invalid"), (60, 10, 15, 10, 5))[0]
        if state == "missing":
            out.append(EntryState(e.task_id, e.unit, e.role, "missing", None, 0, deadline, None, ()))
            continue
        days = rng.randint(1, 5) if state == "late" else 0
        progress = rng.choice((30, 50, 80, 100))
        content = EntryReport(e.task_id, e.unit, e.role, rng.choice(CHOICES) if state != "incomplete" else None,
                              progress=float(progress), progress_text=TEXT.format(progress),
                              problems=rng.choice(("", "资金缺口较大,需上级支持。")),
                              complete=state != "incomplete", usable=state != "invalid")
        received = datetime.combine(deadline + timedelta(days=days), datetime.min.time())
        out.append(EntryState(e.task_id, e.unit, e.role, state, received, days, deadline,  # type: ignore[arg-type]
                              None if state == "invalid" else content, ("x.xlsx",)))
    return out


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu) * 1000, statistics.median(wall) * 1000


def measure(label: str, register: Register, repeat: int) -> list[str]:
    ss = states(register)
    c = compare(register, "2021-H1", ss, None, NOW)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp))
        first = timed(lambda: write_comparison(ws, register, "2021-H1", ss, None, NOW), 1)
        xlsx_size = ws.comparison_path("2021-H1").stat().st_size
        cases = [
            ("`compare()` figures", lambda: compare(register, "2021-H1", ss, None, NOW)),
            ("workbook bytes (xlsxwriter)", lambda: comparison_bytes(c)),
            ("reminders text", lambda: reminders_text(c)),
            ("draft notification bytes (python-docx)", lambda: notification_bytes(c)),
        ]
        for name, fn in cases:
            cpu, wall = timed(fn, repeat)
            rows.append(f"| {label} | {name} | {cpu:.0f} | {wall:.0f} |")
        rows.append(f"| {label} | `write_comparison` to disk, first time | {first[0]:.0f} | {first[1]:.0f} |")
        again = timed(lambda: write_comparison(ws, register, "2021-H1", ss, None, NOW), repeat)
        rows.append(f"| {label} | `write_comparison`, nothing new (no write) | {again[0]:.0f} | {again[1]:.0f} |")
    rows.append(f"| {label} | (workbook size {xlsx_size / 1024:.0f} KiB, {len(ss):,} entries, "
                f"{len(c.chase):,} chase rows) | | |")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, {platform.machine()}, repeat {args.repeat}")
    print("| register | measure | CPU (ms) | wall (ms) |")
    print("|---|---|---|---|")
    for line in measure("shipped 2021", default_register(), args.repeat):
        print(line, flush=True)
    for line in measure(f"synthetic {args.units}×20", synthetic(args.units), max(1, args.repeat // 2)):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
