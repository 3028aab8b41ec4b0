"""Instructions a receipt and a rollup, and a parse, cost: this tree against an earlier one.

    python benchmarks/bench_instructions.py FOLDER --before OLD_TREE [--count 40]

FOLDER is a working folder after a collect (`excelflow demo DIR` makes one). Each figure is
counted by valgrind's callgrind (`apt install valgrind`): a process that loads FOLDER's register
and archive and then draws `--count` receipts and rollups (or parses `--count` of its returns),
less the same process doing none, divided by `--count`. On a shared machine whose speed swings
within minutes, seconds cannot tell a change of a few percent; instruction counts repeat to
0.01 % run after run (they do not see cache misses or a second core: the end-to-end figures stay
`bench_floor.py`'s).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys
from datetime import datetime
from pathlib import Path
from excelflow.forms.campaign_key import ensure_key
from excelflow.intake.read import read_return
from excelflow.register.load import load_register
from excelflow.reports.ledger import round_states, states_by_key
from excelflow.reports.receipts import build_receipt, make_receipt
from excelflow.reports.rollup import render_rollup, rollup_rows
from excelflow.store.archive import Archive
from excelflow.workspace import Workspace

folder, what, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ws = Workspace(folder)
register = load_register(ws.register_path)
key = ensure_key(ws)
if what == "parse":
    files = sorted(p for p in (folder / "inbox").rglob("*") if p.is_file())[:40]
    returns = [(p.read_bytes(), str(p.relative_to(folder))) for p in files]
    at = datetime(2021, 6, 28, 9)
    jobs = [lambda d=d, p=p: read_return(d, p, at, register, stale_pending=False, campaign=key) for d, p in returns]
else:
    rnd = max(register.rounds, key=lambda r: len(list((folder / "outbox" / r.id / "receipts").glob("*.xlsx"))))
    subs = [s for s in Archive(ws).submissions(rounds=[rnd.id]) if s.round_id == rnd.id]
    now = max(s.received_at for s in subs)
    by_key = states_by_key(round_states(register, rnd.id, subs, now))
    receipts = [(make_receipt(s, register, by_key), s.received_at) for s in subs[:40]]
    rollups = [(u, rollup_rows(register, u, by_key)) for u in register.leads_in_task_order()[:40]]
    jobs = [lambda r=r, t=t, u=u, rows=rows: (build_receipt(r, t), render_rollup(register, rnd, u, rows, now, key))
            for (r, t), (u, rows) in zip(receipts, rollups)]
jobs[0]()  # the per-process caches filled, as in a worker after its first output
for i in range(count):
    jobs[i % len(jobs)]()
"""


def instructions(tree: Path, folder: Path, what: str, count: int) -> int:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    # Run in `tree`: `-c` puts the working directory first on the path (before an editable install).
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           os.path.realpath(sys.executable), "-c", CHILD, str(folder), what, str(count)],
                          env=env, cwd=tree, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"no count from valgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--before", type=Path, required=True, help="the earlier tree (holding excelflow/)")
    parser.add_argument("--count", type=int, default=40)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": ROOT}
    for tree in trees.values():  # compiled first: a module compiled in the counted run would count
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "excelflow")], check=True)
    print("| what | before | after | change |")
    print("|---|---:|---:|---:|")
    for what, label in (("draw", "a receipt and a rollup"), ("parse", "a parse")):
        per = {}
        for name, tree in trees.items():
            per[name] = (instructions(tree, args.folder, what, args.count)
                         - instructions(tree, args.folder, what, 0)) / args.count
        print(f"| {label} | {per['before'] / 1e6:.2f} M | {per['after'] / 1e6:.2f} M | "
              f"{(per['after'] / per['before'] - 1) * 100:+.1f} % |")


if __name__ == "__main__":
    main()
