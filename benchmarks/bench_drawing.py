"""Drawing receipts, rollups and reporting workbooks: xlsxwriter's own code against `xlsx_fast`.

    python benchmarks/bench_drawing.py FOLDER [--round 2021-H1] [--count 300] [--repeat 3]

FOLDER is a working folder after its first collect (a city's: bench_floor.py `--keep` builds one;
collect a copy of DIR/fresh-1000/folder). From its register and archive this draws `--count`
receipts (`receipts.build_receipt`), rollups (`rollup.render_rollup`) and reporting workbooks
(`render.render_unit`) in one process, CPU time per output; `xlsx_fast.ENABLED` on ("fast") and
off ("xlsxwriter") in fresh processes, alternating, `--repeat` times; medians. Each process also
prints a digest of everything it drew: the two must be equal (the same bytes).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import hashlib, json, sys, time
from datetime import datetime
from pathlib import Path
from excelflow import xlsx_fast
from excelflow.forms.campaign_key import ensure_key
from excelflow.forms.generate import load_style
from excelflow.forms.plan import plan_unit, template_version
from excelflow.forms.render import render_unit
from excelflow.register.load import load_register
from excelflow.reports.ledger import round_states, states_by_key
from excelflow.reports.receipts import build_receipt, make_receipt
from excelflow.reports.rollup import render_rollup, rollup_rows
from excelflow.store.archive import Archive
from excelflow.workspace import Workspace

folder, round_id, count, mode = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
xlsx_fast.ENABLED = mode == "fast"
ws = Workspace(folder)
register = load_register(ws.register_path)
rnd = register.require_round(round_id)
key = ensure_key(ws)
subs = [s for s in Archive(ws).submissions(rounds=[round_id]) if s.round_id == round_id]
now = max(s.received_at for s in subs)
by_key = states_by_key(round_states(register, round_id, subs, now))
receipts = [(make_receipt(s, register, by_key), s.received_at) for s in subs[:count]]
rollups = [(u, rollup_rows(register, u, by_key)) for u in register.leads_in_task_order()[:count]]
style, _ = load_style(ws)
entries = {}
for e in register.expected_entries():
    entries.setdefault(e.unit, []).append((e.task_id, e.role))
plans = [plan_unit(register, rnd, u, entries[u], style, None, False) for u in list(entries)[:count]]
jobs = {
    "receipt": [lambda r=r, t=t: build_receipt(r, t) for r, t in receipts],
    "rollup": [lambda u=u, rows=rows: render_rollup(register, rnd, u, rows, now, key) for u, rows in rollups],
    "unit": [lambda p=p: render_unit(p, style, template_version(p, style.digest()), "2021-06-01T09:00:00", key)[0]
             for p in plans],
}
result = {}
for kind, draws in jobs.items():
    for draw in draws[:10]:
        draw()  # models and caches made, as in a pass's worker after its first outputs
    digest = hashlib.sha256()
    start = time.process_time()
    for draw in draws:
        digest.update(draw())
    result[kind] = [(time.process_time() - start) / len(draws) * 1000, len(draws), digest.hexdigest()[:16]]
print(json.dumps(result))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--round", default="2021-H1")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, list[float | int | str]]]] = {"fast": [], "xlsxwriter": []}
    for _ in range(args.repeat):
        for mode in runs:
            out = subprocess.run([sys.executable, "-c", CHILD, str(args.folder), args.round, str(args.count), mode],
                                 check=True, capture_output=True, text=True, cwd=ROOT).stdout
            runs[mode].append(json.loads(out))
            print(f"  {mode}: " + ", ".join(f"{k} {v[0]:.2f} ms" for k, v in runs[mode][-1].items()), file=sys.stderr)
    print("| output | xlsxwriter's code, CPU per output | `xlsx_fast` | ratio | outputs | same bytes |")
    print("|---|---:|---:|---:|---:|---|")
    for kind in runs["fast"][0]:
        plain = statistics.median(float(r[kind][0]) for r in runs["xlsxwriter"])
        fast = statistics.median(float(r[kind][0]) for r in runs["fast"])
        same = {r[kind][2] for r in runs["fast"] + runs["xlsxwriter"]}
        print(f"| {kind} | {plain:.2f} ms | {fast:.2f} ms | {fast / plain:.2f} | {runs['fast'][0][kind][1]} | "
              f"{'yes' if len(same) == 1 else 'NO'} |")
    print(f"\n{args.repeat} runs of each, alternating fresh processes; medians. Python {sys.version.split()[0]}.")


if __name__ == "__main__":
    main()
