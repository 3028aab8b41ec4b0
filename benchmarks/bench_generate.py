"""Benchmark `excelflow generate`: 1,000 units × 20 tasks, xlsxwriter vs an openpyxl fill.

    python benchmarks/bench_generate.py [--units 1000] [--tasks 20] [--baseline-units 1000]

Synthetic register: unit i leads 10 tasks and co-hosts the 10 tasks unit i+1 leads, so every
unit has 20 entries (10 lead, 10 co). Measured in one run on the same machine:

- `generate_round`: the whole command's work (plan, render with xlsxwriter in memory, atomic
  write, distribution list), per workbook;
- render only: `plan_unit` + `render_unit` into memory, per workbook;
- baseline: open the shipped template.xlsx with openpyxl, fill the same rows (values and the
  sample row's styles), save into memory, per workbook: what generate would cost with openpyxl.

Prints a Markdown table to paste into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

import openpyxl

from excelflow.forms.default_template import SHIPPED_TEMPLATE
from excelflow.forms.generate import generate_round
from excelflow.forms.plan import plan_unit, template_version
from excelflow.forms.render import render_unit
from excelflow.forms.template_style import load_template_style
from excelflow.register.model import Register, Round, Task, Unit
from excelflow.workspace import Workspace
from excelflow.xlsx import new_workbook

TASK_TEXT = "聚焦首位产业和主导产业深入实施产业链链长制和“开拓市场万里行”活动,促进产业高端补链、延链、强链(第{}项)。"


def synthetic_register(units: int, tasks_per_unit: int) -> Register:
    leads = tasks_per_unit // 2
    names = [f"区第{i:04d}局" for i in range(units)]
    tasks = []
    for i, name in enumerate(names):
        co = names[(i - 1) % units]
        for k in range(leads):
            tid = i * leads + k + 1
            tasks.append(Task(tid, "一、主攻工业", "(一)产业集群", TASK_TEXT.format(tid), (name,), (co,)))
    rounds = (Round("2021-H1", "半年", date(2021, 6, 15), date(2021, 6, 25)),)
    return Register("基准测试", tuple(Unit(n) for n in names), tuple(tasks), rounds)


def openpyxl_fill(template: bytes, rows: list[tuple[int, str, str, str]]) -> bytes:
    """Fill the template's sample sheet the way an openpyxl-based generator would."""
    book = openpyxl.load_workbook(BytesIO(template))
    sheet = book.worksheets[0]
    styles = [copy.copy(c._style) for c in sheet[4]]
    for r, (tid, text, others, deadline) in enumerate(rows, start=4):
        values = [tid, text, others, others, deadline]
        for c, style in enumerate(styles, start=1):
            cell = sheet.cell(r, c, values[c - 1] if c <= len(values) else None)
            cell._style = copy.copy(style)
    sheet.protection.sheet = True
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=20, help="entries per unit")
    parser.add_argument("--baseline-units", type=int, default=1000)
    args = parser.parse_args(argv)

    cpu0, wall0 = time.process_time(), time.perf_counter()
    load0 = " ".join(f"{x:.2f}" for x in os.getloadavg())
    register = synthetic_register(args.units, args.tasks)
    rnd = register.rounds[0]
    style = load_template_style(SHIPPED_TEMPLATE)
    now = datetime(2021, 6, 1, 9, 0)
    entries = len(register.expected_entries())

    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp))
        t0, c0 = time.perf_counter(), time.process_time()
        report = generate_round(ws, register, rnd.id, now=now, style=style)
        whole, whole_cpu = time.perf_counter() - t0, time.process_time() - c0
        sizes = [p.stat().st_size for p in report.written]
        assert len(report.written) == args.units

        t0, c0 = time.perf_counter(), time.process_time()
        rerun = generate_round(ws, register, rnd.id, now=now, style=style)
        unchanged, unchanged_cpu = time.perf_counter() - t0, time.process_time() - c0
        assert len(rerun.unchanged) == args.units

    tasks = {t.id: t for t in register.tasks}
    by_unit: dict[str, list] = {}
    for e in register.expected_entries():
        by_unit.setdefault(e.unit, []).append((e.task_id, e.role))
    digest = style.digest()
    render_times = []
    for unit, unit_entries in by_unit.items():
        t0 = time.process_time()
        plan = plan_unit(register, rnd, unit, unit_entries, style, None, False)
        render_unit(plan, style, template_version(plan, digest), now.isoformat())
        render_times.append(time.process_time() - t0)

    # Floor: what xlsxwriter alone costs for an empty workbook with the same sheets.
    floor_times = []
    for _ in range(200):
        t0 = time.process_time()
        book = new_workbook(BytesIO())
        for name in ("牵头任务", "协办任务", "填报说明", "_excelflow"):
            book.add_worksheet(name)
        book.close()
        floor_times.append(time.process_time() - t0)

    template = SHIPPED_TEMPLATE.read_bytes()
    baseline_times = []
    for unit in list(by_unit)[: args.baseline_units]:
        rows = [(tid, tasks[tid].text, "、".join(tasks[tid].co), "2021年6月25日")
                for tid, _ in by_unit[unit]]
        t0 = time.process_time()
        openpyxl_fill(template, rows)
        baseline_times.append(time.process_time() - t0)

    ms = 1000.0
    print(f"# generate benchmark — {args.units} units × {args.tasks} entries ({entries} entries), "
          f"Python {platform.python_version()}, {platform.machine()}")
    print()
    print("| measure | per workbook, CPU (ms) | per workbook, wall (ms) | total wall (s) |")
    print("|---|---|---|---|")
    print(f"| `generate_round` end to end (plan, xlsxwriter render, atomic write to disk) "
          f"| {whole_cpu / args.units * ms:.2f} | {whole / args.units * ms:.2f} | {whole:.2f} |")
    print(f"| re-run with nothing changed (plan, read identity with calamine, no write) "
          f"| {unchanged_cpu / args.units * ms:.2f} | {unchanged / args.units * ms:.2f} | {unchanged:.2f} |")
    print(f"| plan + render in memory, median | {statistics.median(render_times) * ms:.2f} | | |")
    print(f"| baseline: openpyxl fill of the same template, median ({len(baseline_times)} workbooks) "
          f"| {statistics.median(baseline_times) * ms:.2f} | | |")
    print(f"| floor: empty xlsxwriter workbook with the same 4 sheets, median | {statistics.median(floor_times) * ms:.2f} | | |")
    print(f"\ncpu time of the whole run {time.process_time() - cpu0:.1f} s (wall {time.perf_counter() - wall0:.1f} s; "
          f"load average before {load0})")
    print(f"speed-up of render over openpyxl fill (medians): "
          f"{statistics.median(baseline_times) / statistics.median(render_times):.1f}×; "
          f"workbook size median {statistics.median(sizes) / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
