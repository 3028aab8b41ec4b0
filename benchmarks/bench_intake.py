"""Intake and archive speed: `python benchmarks/bench_intake.py [N]` (default N = 1000).

Measures, on N filled returns (the generated workbook of the fixture register, each made unique):
- scan_inbox over N files in 20 subfolders;
- read_bytes + read_return per return (calamine, from memory), against a baseline that reads the
  same files with pandas.read_excel(engine="openpyxl") (all sheets), same run;
- Archive.store + save_submission per return (two fsyncs each);
- a no-change pass: a fresh Archive answering lookup_path for all N (reads index + journal only),
  and whether pandas / openpyxl / xlsxwriter got imported by intake and archive.

Prints a Markdown table for benchmarks/RESULTS.md. Run on an idle machine; figures vary ±20%.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from excelflow.intake.read import read_return  # noqa: E402
from excelflow.intake.scan import read_bytes, scan_inbox  # noqa: E402
from excelflow.store.archive import Archive  # noqa: E402
from excelflow.workspace import Workspace  # noqa: E402

_spec = importlib.util.spec_from_file_location("make_fixtures", ROOT / "tests/data/returns/make_fixtures.py")
assert _spec and _spec.loader
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

NO_CHANGE_PASS = r"""
import sys, time
t0 = time.perf_counter()
from pathlib import Path
from excelflow.store.archive import Archive
from excelflow.intake.scan import scan_inbox
from excelflow.workspace import Workspace
ws = Workspace(Path(sys.argv[1]))
archive = Archive(ws)
known = sum(archive.lookup_path(c.path, c.size, c.mtime_ns) is not None for c in scan_inbox(ws.inbox))
subs = len(archive.submissions())
heavy = [m for m in ("pandas", "openpyxl", "xlsxwriter", "python_calamine") if m in sys.modules]
print(known, subs, round((time.perf_counter() - t0) * 1000), ",".join(heavy) or "none")
"""


def main(n: int) -> None:
    base = fixtures.filled()
    root = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    try:
        ws = Workspace(root)
        for i in range(n):
            folder = ws.inbox / f"单位组{i % 20:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            # Unique bytes per file (a zip comment), same content: what calamine reads is identical.
            (folder / f"区工信局-{i:04d}.xlsx").write_bytes(base[:-2] + (4).to_bytes(2, "little") + i.to_bytes(4, "little"))
        rows: list[tuple[str, str]] = []

        t = time.perf_counter()
        candidates = scan_inbox(ws.inbox)
        scan_ms = (time.perf_counter() - t) * 1000
        assert len(candidates) == n
        rows.append((f"scan_inbox, {n} files in 20 folders", f"{scan_ms:.1f} ms"))

        received = datetime(2021, 6, 20, 9, 0)
        t = time.perf_counter()
        datas, subs = [], []
        for c in candidates:
            data = read_bytes(ws.inbox, c)
            assert data is not None
            datas.append(data)
            subs.append(read_return(data, c.path, received, fixtures.REGISTER))
        intake_s = time.perf_counter() - t
        assert all(s.outcome == "accepted" for s in subs), subs[0].problems
        rows.append(("read_bytes + read_return (calamine), per return", f"{intake_s / n * 1000:.2f} ms"))

        import pandas as pd

        sample = candidates[: min(n, 200)]
        t = time.perf_counter()
        for c in sample:
            pd.read_excel(ws.inbox / c.path, sheet_name=None, engine="openpyxl", header=None)
        pandas_s = time.perf_counter() - t
        rows.append((f"baseline pandas.read_excel(engine=openpyxl), per return ({len(sample)} files)",
                     f"{pandas_s / len(sample) * 1000:.2f} ms"))

        archive = Archive(ws)
        t = time.perf_counter()
        for c, data, sub in zip(candidates, datas, subs):
            archive.store(data, c.path, received, mtime_ns=c.mtime_ns)
            archive.save_submission(sub)
        store_s = time.perf_counter() - t
        rows.append(("Archive.store + save_submission, per return", f"{store_s / n * 1000:.2f} ms"))
        archive.compact()

        out = subprocess.run([sys.executable, "-c", NO_CHANGE_PASS, str(root)], capture_output=True, text=True,
                             check=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).stdout.split()
        assert int(out[0]) == n and int(out[1]) == n, out
        rows.append((f"no-change pass in a fresh process: import, scan, lookup_path × {n}, load {n} submissions",
                     f"{out[2]} ms (heavy modules imported: {out[3]})"))
        index = (ws.archive / "index.json").stat().st_size
        rows.append(("archive index.json size", f"{index / 1024:.0f} KB for {n} returns"))

        rows.append(_shipped_register_figure())
        files = [str(ws.inbox / c.path) for c in candidates[:200]]
        rows.append(("peak RSS of a process reading 200 returns: intake / pandas+openpyxl",
                     f"{_peak_rss(INTAKE_READER, files)} MB / {_peak_rss(PANDAS_READER, files)} MB"))

        print(f"| measure (N = {n}) | result |\n|---|---|")
        for name, value in rows:
            print(f"| {name} | {value} |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


INTAKE_READER = r"""
import sys
from datetime import datetime
from pathlib import Path
from excelflow.intake.read import read_return
from excelflow.register.model import Register
register = Register("", (), (), ())
for name in sys.argv[1:]:
    read_return(Path(name).read_bytes(), name, datetime(2021, 6, 20), register)
print(next(int(l.split()[1]) // 1024 for l in open("/proc/self/status") if l.startswith("VmHWM")))
"""
PANDAS_READER = r"""
import sys
import pandas as pd
for name in sys.argv[1:]:
    pd.read_excel(name, sheet_name=None, engine="openpyxl", header=None)
print(next(int(l.split()[1]) // 1024 for l in open("/proc/self/status") if l.startswith("VmHWM")))
"""


def _peak_rss(script: str, files: list[str]) -> str:
    # VmHWM of the child's own address space (ru_maxrss would include this parent, copied at fork).
    out = subprocess.run([sys.executable, "-c", script, *files], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).stdout
    return out.strip()


def _shipped_register_figure() -> tuple[str, str]:
    """read_return on every workbook generate hands out for the shipped 2021 register (101 tasks)."""
    from excelflow.forms.plan import plan_unit, template_version
    from excelflow.forms.render import render_unit
    from excelflow.register.campaign import default_register

    register = default_register()
    style = fixtures.load_template_style(fixtures.SHIPPED_TEMPLATE)
    rnd = register.rounds[0]
    owed: dict[str, list] = {}
    for entry in register.expected_entries():
        owed.setdefault(entry.unit, []).append((entry.task_id, entry.role))
    books = []
    for unit, entries in owed.items():
        plan = plan_unit(register, rnd, unit, entries, style, None, False)
        books.append((unit, render_unit(plan, style, template_version(plan, style), "2021-06-01T09:00:00")[0]))
    received = datetime(2021, 6, 20, 9, 0)
    t = time.perf_counter()
    for unit, data in books:
        read_return(data, f"{unit}.xlsx", received, register)
    per = (time.perf_counter() - t) / len(books) * 1000
    entries = sum(len(e) for e in owed.values())
    return (f"read_return on the {len(books)} workbooks of the shipped 2021 register ({entries} entries), per return",
            f"{per:.2f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
