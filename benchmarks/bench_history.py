"""Benchmark: does a collect pass cost grow with the archive, or only with what is new?

    python benchmarks/bench_history.py [--history 5000] [--new 20] [--repeat 3] [--versions 4] [--keep DIR]

Two working folders with the same register (the shipped 2021 one, plus monthly rounds up to
2021-04, enough for earlier rounds to hold `--history` returns: every unit returns `--versions`
versions per round, a first return and its corrections):

- **history**: `--history` filled returns of earlier rounds, collected by a real pass beforehand
  (so they are in `archive/` and, as on a real share, still in `inbox/`);
- **empty**: nothing collected before.

Into each, the same `--new` filled 2021-H1 returns are dropped, and one `collect.run_pass`
(`--round 2021-H1`) is timed, in this process, on a fresh copy each repetition (median
reported). Also timed: a pass with nothing new on each folder, and the whole `excelflow collect`
command in a child process (Python start-up and imports included). A cProfile of the history
pass shows which calls grow with the archive.

A folder kept (`--keep`) from a build by an earlier excelflow whose archive index is of an older
layout is migrated once before timing (`Archive.compact()`, timed and printed): the passes then
measure the steady state, not a one-time migration.

Returns are filled by writing the input cells straight into the generated workbooks' sheet XML
(inline strings, as some tools save them): thousands of openpyxl round trips would take minutes
and measure nothing of interest here. Prints Markdown for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from python_calamine import CalamineWorkbook

from excelflow.forms.generate import generate_round
from excelflow.register.campaign import init_workspace
from excelflow.register.load import load_register
from excelflow.register.model import Register, Round
from excelflow.register.write import write_register
from excelflow.runs.collect import run_pass
from excelflow.workspace import Workspace

CURRENT = "2021-H1"
NOW = datetime(2021, 6, 10, 9, 0)
ROOT = Path(__file__).resolve().parent.parent


def monthly_rounds(count: int) -> list[Round]:
    """`count` monthly rounds ending 2021-04, oldest first (deadlines the 10th and 15th)."""
    rounds = []
    year, month = 2021, 4
    for _ in range(count):
        rounds.append(Round(f"{year}-{month:02d}", f"{year}年{month}月", date(year, month, 10), date(year, month, 15)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return rounds[::-1]


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def fill_plan(template: bytes) -> dict[int, list[tuple[str, str]]]:
    """Per sheet XML number, the (cell, kind) of 完成状态, 完成进度(%) and 进展情况 in every task row."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(template))
    plans: dict[int, list[tuple[str, str]]] = {}
    for number, name in enumerate(book.sheet_names, start=1):
        rows = book.get_sheet_by_name(name).to_python()
        header = next((i for i, row in enumerate(rows) if row and row[0] == "序号"), None)
        if header is None:
            continue
        cols = {str(v): c for c, v in enumerate(rows[header]) if v != ""}
        cells = []
        for r, row in enumerate(rows[header + 1:], start=header + 2):
            if isinstance(row[0], float):
                cells.append((f"{column_letter(cols['完成状态'])}{r}", "status"))
                cells.append((f"{column_letter(cols['完成进度(%)'])}{r}", "progress"))
                cells.append((f"{column_letter(cols['进展情况'])}{r}", "text"))
        plans[number] = cells
    return plans


def fill_xml(template: bytes, plan: dict[int, list[tuple[str, str]]], note: str) -> bytes:
    """The workbook with 完成状态, 完成进度(%) and 进展情况 typed into every task row."""
    body = {"status": ("inlineStr", "<is><t>序时推进</t></is>"), "progress": ("", "<v>50</v>"),
            "text": ("inlineStr", f"<is><t>{note}</t></is>")}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            if match and int(match.group(1)) in plan:
                xml = data.decode("utf-8")
                for ref, kind in plan[int(match.group(1))]:
                    t, value = body[kind]
                    attr = f' t="{t}"' if t else ""
                    xml = re.sub(rf'<c r="{ref}"( s="\d+")?/>', lambda m: f'<c r="{ref}"{m.group(1) or ""}{attr}>{value}</c>', xml)
                data = xml.encode("utf-8")
            dst.writestr(item, data)
    return out.getvalue()


def load_register_of_shipped() -> Register:
    from excelflow.register.campaign import default_register

    return default_register()


def build_base(root: Path, history_rounds: int) -> tuple[Workspace, Register]:
    ws = Workspace(root)
    init_workspace(ws, example=True)
    shipped = load_register(ws.register_path)
    register = replace(shipped, rounds=tuple(monthly_rounds(history_rounds)) + shipped.rounds)
    write_register(ws.register_path, register)
    register = load_register(ws.register_path)
    generate_round(ws, register, CURRENT, now=NOW)
    return ws, register


def drop_returns(ws: Workspace, round_id: str, units: list[str], versions: int, into: Path) -> int:
    """Each unit returns `versions` filled versions (a first return, then corrections)."""
    into.mkdir(parents=True, exist_ok=True)
    dropped = 0
    for unit in units:
        template = ws.template_file(round_id, unit).read_bytes()
        plan = fill_plan(template)
        for v in range(1, versions + 1):
            name = f"{unit}.xlsx" if v == 1 else f"{unit}(第{v}版).xlsx"
            (into / name).write_bytes(fill_xml(template, plan, f"{round_id} 第{v}版:按计划推进"))
            dropped += 1
    return dropped


def timed_pass(base: Path, scratch: Path, new_inbox: Path | None) -> float:
    """Copy `base` to `scratch`, add the new returns, time one pass; the copy is left for inspection."""
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(base, scratch)
    if new_inbox is not None:
        shutil.copytree(new_inbox, scratch / "inbox" / CURRENT)
    started = time.perf_counter()
    run_pass(Workspace(scratch), round_id=CURRENT, now=NOW)
    return time.perf_counter() - started


def timed_command(root: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "excelflow.cli", "collect", "--root", str(root), "--round", CURRENT, "--now", NOW.isoformat()],
        cwd=ROOT, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return time.perf_counter() - started


def build(work: Path, args: argparse.Namespace) -> tuple[Workspace, Workspace, Path, str]:
    """Both working folders and the new returns; the history's earlier returns collected once."""
    started = time.perf_counter()
    units = sorted({e.unit for e in load_register_of_shipped().expected_entries()})
    per_round = len(units)
    history_rounds = -(-args.history // (per_round * args.versions))
    history_ws, register = build_base(work / "history", history_rounds)
    # The same register, template and H1 workbooks, with nothing collected: a like-for-like pair.
    shutil.copytree(history_ws.root, work / "empty")
    empty_ws = Workspace(work / "empty")
    left = args.history
    for rnd in register.rounds[:history_rounds]:
        generate_round(history_ws, register, rnd.id, now=datetime.combine(rnd.co_deadline, datetime.min.time()))
        take = units[: -(-min(left, per_round * args.versions) // args.versions)]
        left -= drop_returns(history_ws, rnd.id, take, args.versions, history_ws.inbox / rnd.id)
        shutil.rmtree(history_ws.templates_dir(rnd.id))  # handed out long ago; not part of the test
    args.history -= left  # whole units' versions: may overshoot a little (left < 0)
    build_files = time.perf_counter() - started
    first = time.perf_counter()
    history_report = run_pass(history_ws, round_id=CURRENT, now=NOW)
    archive_pass = time.perf_counter() - first
    assert len(history_report.new) == args.history, (len(history_report.new), history_report.pending)
    run_pass(empty_ws, round_id=CURRENT, now=NOW)  # nothing in its inbox: writes the first outputs

    new_inbox = work / "new-returns"
    drop_returns(history_ws, CURRENT, units[: args.new], 1, new_inbox)

    setup_note = (f"setup {time.perf_counter() - started:.0f} s (of which first pass archiving {args.history} "
                  f"returns {archive_pass:.0f} s, building files {build_files:.0f} s)")
    return empty_ws, history_ws, new_inbox, setup_note


def migrate(ws: Workspace) -> str:
    """Rewrite an archive index and a pass cache of older layouts in the current ones (once)."""
    import json

    from excelflow.store.archive import INDEX_VERSION, Archive
    from excelflow.store.pass_cache import CACHE_NAME, PassCache

    notes = ""
    index = ws.archive / "index.json"
    version = json.loads(index.read_text(encoding="utf-8")).get("version")
    if version != INDEX_VERSION:
        started = time.perf_counter()
        Archive(ws).compact()
        notes += (f"; archive index migrated from version {version} to {INDEX_VERSION} once before timing "
                  f"({time.perf_counter() - started:.1f} s)")
    if "snapshots" in json.loads((ws.state / CACHE_NAME).read_text(encoding="utf-8")):
        started = time.perf_counter()
        PassCache(ws).save()  # moves the per-round snapshots out of collect-cache.json
        notes += f"; pass cache's snapshots moved to one file per round once ({time.perf_counter() - started:.1f} s)"
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--history", type=int, default=5000)
    parser.add_argument("--new", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--versions", type=int, default=4, help="returns per unit and earlier round (corrections)")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-history-"))
    work.mkdir(parents=True, exist_ok=True)

    marker = work / "built.txt"
    if marker.exists():  # --keep DIR from an earlier run: measure again without rebuilding
        empty_ws, history_ws = Workspace(work / "empty"), Workspace(work / "history")
        args.history, setup_note = int(marker.read_text().split()[0]), "setup reused from an earlier run"
        new_inbox = work / "new-returns"
        setup_note += migrate(history_ws)
    else:
        empty_ws, history_ws, new_inbox, setup_note = build(work, args)
        marker.write_text(f"{args.history} returns archived\n")

    timed_pass(empty_ws.root, work / "warm", new_inbox)  # imports and caches warmed up once
    results: dict[str, list[float]] = {"empty": [], "history": [], "empty-nothing-new": [], "history-nothing-new": []}
    for _ in range(args.repeat):
        for name, ws in (("empty", empty_ws), ("history", history_ws)):
            results[name].append(timed_pass(ws.root, work / f"run-{name}", new_inbox))
            started = time.perf_counter()
            run_pass(Workspace(work / f"run-{name}"), round_id=CURRENT, now=NOW)
            results[f"{name}-nothing-new"].append(time.perf_counter() - started)
    command = {name: timed_command(work / f"run-{name}") for name in ("empty", "history")}

    profile = cProfile.Profile()
    if (work / "run-profile").exists():
        shutil.rmtree(work / "run-profile")
    shutil.copytree(history_ws.root, work / "run-profile")
    shutil.copytree(new_inbox, work / "run-profile" / "inbox" / CURRENT)
    profile.enable()
    run_pass(Workspace(work / "run-profile"), round_id=CURRENT, now=NOW)
    profile.disable()

    # Which part grows: one full load of the archive (index.json parsed, every Submission built),
    # and how many times one pass loads it (each Archive object loads once, lazily).
    from excelflow.store.archive import Archive

    loads: dict[tuple[str, str], float] = {}
    for name, ws in (("empty", Workspace(work / "run-empty")), ("history", Workspace(work / "run-history"))):
        for what, rounds in (("all", None), ("pass", [CURRENT, None])):
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                Archive(ws).submissions(rounds=rounds)
                times.append(time.perf_counter() - started)
            loads[name, what] = statistics.median(times) * 1000
    stats = pstats.Stats(profile)
    archives_per_pass = sum(
        calls for (file, _, func), (calls, *_rest) in stats.stats.items()  # type: ignore[attr-defined]
        if file.endswith("archive.py") and func == "__init__"
    )

    med = {k: statistics.median(v) * 1000 for k, v in results.items()}
    index = Path(work / "run-history") / "archive" / "index.json"
    print(f"## Growing history: a pass with {args.new} new returns, archive of {args.history} vs empty\n")
    print(f"`python benchmarks/bench_history.py --history {args.history} --new {args.new} --repeat {args.repeat} "
          f"--versions {args.versions}` — {platform.machine()}, {os.cpu_count()} cores (shared), Python "
          f"{platform.python_version()}, {datetime.now():%Y-%m-%d}; {setup_note}; "
          f"archive index.json {index.stat().st_size / 1e6:.1f} MB.\n")
    print("| pass (round 2021-H1, median of %d) | empty archive | %d archived | difference |" % (args.repeat, args.history))
    print("|---|---:|---:|---:|")
    for label, key in ((f"{args.new} new returns, `run_pass`", ""), ("nothing new, `run_pass`", "-nothing-new")):
        e, h = med[f"empty{key}"], med[f"history{key}"]
        print(f"| {label} | {e:.0f} ms | {h:.0f} ms | {h - e:+.0f} ms ({(h - e) / args.history * 1000:+.0f} ms per 1,000 records) |")
    e, h = command["empty"] * 1000, command["history"] * 1000
    print(f"| nothing new, `excelflow collect` child process | {e:.0f} ms | {h:.0f} ms | {h - e:+.0f} ms |")
    for what, label in (("pass", f"what a pass reads, `Archive(ws).submissions(rounds=[{CURRENT!r}, None])`"),
                        ("all", "every parse in full, `Archive(ws).submissions()`")):
        e, h = loads["empty", what], loads["history", what]
        print(f"| {label} | {e:.0f} ms | {h:.0f} ms | {h - e:+.0f} ms "
              f"({(h - e) / args.history * 1000:+.0f} ms per 1,000 records) |")
    print(f"\nArchive objects created in one pass with new returns: {archives_per_pass}.")
    print("\nHistory pass, top calls by cumulative time (cProfile, so slower than above):\n")
    print("```")
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(r"excelflow", 18)
    print("\n".join(line for line in stream.getvalue().splitlines() if "excelflow" in line or "cumtime" in line))
    print("```")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
