"""Benchmark: `excelflow collect` on 1,000 filled returns, against pandas+openpyxl reading the same files.

    python benchmarks/bench_collect.py [N]        # N returns, default 1000

Builds a working folder from the shipped register (79 units), fills every unit's 2021-H1 workbook
once with openpyxl, then makes N distinct returns from them (each a copy whose progress text
differs, so every file has its own content: 79 units × ~13 versions, i.e. resubmissions).
Then, each in its own process so peak memory is that job's alone:

1. `excelflow collect` end to end (the CLI: lock, scan, read, archive, parse, states, rollups,
   receipts, comparison), wall time per return and peak RSS;
2. the baseline: `pandas.read_excel(path, sheet_name=None, engine="openpyxl")` on the same N
   files, which only reads them;
3. `excelflow collect` again with nothing new: wall time, and (in a probe process) that no
   workbook is opened and pandas is not imported.

Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path

MARKER = "No.00000"  # ASCII: openpyxl writes CJK text as character references
NOW = "2021-06-16T09:00"


def build(root: Path, n: int) -> list[Path]:
    from excelflow.demo import fill_workbook
    from excelflow.forms.generate import generate_round
    from excelflow.register.campaign import init_workspace
    from excelflow.register.load import load_register
    from excelflow.workspace import Workspace

    ws = Workspace(root)
    init_workspace(ws, example=True)
    generate_round(ws, load_register(ws.register_path), "2021-H1", now=datetime(2021, 6, 1))
    filled: list[Path] = []
    staging = root.parent / "filled"
    for template in sorted(ws.templates_dir("2021-H1").glob("*.xlsx")):
        target = staging / template.name
        fill_workbook(template, target, lambda task, _s: {
            "完成状态": "序时推进", "完成进度(%)": 60, "进展情况": f"{MARKER} 任务{task}按计划推进,已完成阶段目标。",
            "存在问题": "资金缺口较大。", "下步打算": "加快推进。"})
        filled.append(target)
    files: list[Path] = []
    for i in range(n):
        source = filled[i % len(filled)]
        target = ws.inbox / f"批次{i // 100:02d}" / f"{source.stem}-{i:05d}.xlsx"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_variant(source.read_bytes(), i))
        files.append(target)
    distinct = len({f.read_bytes() for f in files})
    assert distinct == n, f"only {distinct} distinct returns"
    return files


def _variant(data: bytes, i: int) -> bytes:
    """The same workbook with its marker text numbered `i` (same length: the zip stays valid)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename.startswith(("xl/worksheets/", "xl/sharedStrings")):
                body = body.replace(MARKER.encode(), f"No.{i:05d}".encode())
            dst.writestr(item, body)
    return out.getvalue()


def measured(code: str) -> tuple[float, int, str]:
    """Run `code` in a fresh interpreter: (seconds, peak RSS in MiB, its stdout)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        f"p = subprocess.run([sys.executable, '-c', {code!r}], capture_output=True, text=True)\n"
        "dt = time.perf_counter() - t\n"
        "assert p.returncode in (0, 3), p.stderr\n"
        "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(p.stdout, end='')\n"
    )
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, check=True).stdout
    first, _, rest = out.partition("\n")
    seconds, rss_kb = first.split()
    return float(seconds), int(rss_kb) // 1024, rest


def collect_code(root: Path) -> str:
    return ("import sys\n"
            "from excelflow.cli import main\n"
            f"sys.argv = ['excelflow', 'collect', '--root', {str(root)!r}, '--now', {NOW!r}]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, 3, None), e.code\n")


def pandas_code(files: list[Path], listing: Path) -> str:
    listing.write_text(json.dumps([str(f) for f in files]), encoding="utf-8")
    return ("import json, pandas\n"
            f"files = json.load(open({str(listing)!r}, encoding='utf-8'))\n"
            "rows = 0\n"
            "for f in files:\n"
            "    for frame in pandas.read_excel(f, sheet_name=None, engine='openpyxl').values():\n"
            "        rows += len(frame)\n"
            "print(rows)\n")


def probe_code(root: Path) -> str:
    return ("import sys\n"
            "opened = []\n"
            "def hook(event, args):\n"
            "    if event == 'open' and isinstance(args[0], str) and args[0].endswith(('.xlsx', '.xls', '.ods', '.xlsm')):\n"
            "        opened.append(args[0])\n"
            "sys.addaudithook(hook)\n"
            "from excelflow.cli import main\n"
            f"sys.argv = ['excelflow', 'collect', '--root', {str(root)!r}, '--now', {NOW!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('WORKBOOKS_OPENED', len(opened), 'PANDAS', 'pandas' in sys.modules, file=sys.stderr)\n")


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "督查室 bench"
        t = time.perf_counter()
        files = build(root, n)
        size = sum(f.stat().st_size for f in files)
        print(f"built {n} returns ({size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s", file=sys.stderr)

        col_s, col_mb, _ = measured(collect_code(root))
        print(f"collect: {col_s:.1f} s, {col_mb} MiB", file=sys.stderr)
        archived = len([p for p in (root / "archive").rglob("*.xlsx")])
        outputs = len([p for p in (root / "outbox" / "2021-H1").rglob("*") if p.is_file() and "templates" not in p.parts])
        pd_s, pd_mb, _ = measured(pandas_code(files, root.parent / "files.json"))
        again_s, again_mb, _ = measured(collect_code(root))
        probe = subprocess.run([sys.executable, "-c", probe_code(root)], capture_output=True, text=True)
        verdict = next(line for line in probe.stderr.splitlines() if line.startswith("WORKBOOKS_OPENED"))
        bare_s, bare_mb, _ = measured("import sys")

    print(f"\n{n} returns, {size / 1e6:.1f} MB; archived {archived}; outputs written {outputs}; "
          f"{os.cpu_count()} cores\n")
    print("| job | wall time | per return | peak RSS |")
    print("|---|---|---|---|")
    print(f"| `excelflow collect`, {n} new returns (end to end) | {col_s:.1f} s | {col_s / n * 1000:.1f} ms | {col_mb} MiB |")
    print(f"| baseline: `pandas.read_excel(engine=\"openpyxl\")`, same files, read only | {pd_s:.1f} s | {pd_s / n * 1000:.1f} ms | {pd_mb} MiB |")
    print(f"| `excelflow collect` again, nothing new | {again_s:.2f} s | – | {again_mb} MiB |")
    print(f"| Python start-up alone | {bare_s:.2f} s | – | {bare_mb} MiB |")
    print(f"\nnothing-new probe: {verdict}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
