"""Collect and generate against the simple scripts a clerk's IT person would write (issue 13).

    python benchmarks/bench_floor.py --before ../excelflow-before [--units 1000] [--repeat 3]
                                     [--scaling 250,500,1000,2000] [--keep DIR] [--rows collect,generate,...]

The working folder is what an office of a city's size has: `excelflow init` + `excelflow import` of
a synthetic notice (`--units` departments and 23 towns, 1.5 tasks per department, each task with
one or two lead units and three to nine co-units: for 1,000 units, 1,023 units with entries,
1,500 tasks and about 10,850 entries). `excelflow generate` hands out 2021-H1's workbooks; each is
filled with openpyxl (a status, a progress, three texts in every row) and returned to `inbox/`.

Rows, each measured in fresh processes alternating between this tree, the `--before` tree (an
earlier excelflow, e.g. a `git worktree` of the commit before) and the baseline, `--repeat`
times, medians reported (wall time, CPU of the process and everything it waited for, and the peak
resident memory of all its processes together, sampled every 50 ms):

- `collect`: the first `excelflow collect` of every return, against baseline 1: for each file
  `pd.read_excel(engine="openpyxl", sheet_name=None, header=<the form's header row>)`, keep the
  sheets with a 序号 column, concat, one `to_excel` with openpyxl;
- `generate`: `excelflow generate` of every workbook, against baseline 2: per unit, load
  `workbooks/template.xlsx` with openpyxl, write the same rows (序号, 任务内容, 牵头/协办单位,
  完成时限 in the sample row's styles), save;
- `nothing-new`: `excelflow collect` again on a collected folder, against `excelflow --help`, and
  a probe (audit hook) that no workbook is opened and no workbook library imported;
- `history`: a pass with 20 new 2021-H1 returns over an archive of five earlier rounds (every
  unit's return: ~5,100) against the same over ~200 archived, the round's outputs up to date
  before in both; the ratio of the two;
- `scaling`: the first collect for 250, 500, 1,000, 2,000 units (`--scaling`), this tree and
  the before tree.

Both trees are byte-compiled first, as `pip install` does: a machine with
`PYTHONDONTWRITEBYTECODE` set (this one) would otherwise compile every excelflow module again in
every process of every run (~0.1 s a process), which an installed excelflow never does and the
baseline's libraries (compiled when installed) do not either.

Building takes minutes (openpyxl fills thousands of workbooks, on every core); `--keep DIR` keeps
the folders so a second run measures at once. Run it on a quiet machine: the two cores are shared.
Prints Markdown for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUND = "2021-H1"
GENERATED = "2021-06-01T09:00"
NOW = "2021-06-16T09:00"  # the first collect: after the co-units' deadline, before the leads'
LATER = "2021-06-20T09:00"  # the history passes: returns of the earlier rounds are long in
HISTORY_ROUNDS = (("2019-H1", "2019年半年", date(2019, 6, 15), date(2019, 6, 25)),
                  ("2019-FY", "2019年全年", date(2019, 12, 15), date(2019, 12, 25)),
                  ("2020-H1", "2020年半年", date(2020, 6, 15), date(2020, 6, 25)),
                  ("2020-FY", "2020年全年", date(2020, 12, 15), date(2020, 12, 25)),
                  ("2021-Q1", "2021年一季度", date(2021, 3, 15), date(2021, 3, 25)))
SMALL_HISTORY = 198
NEW_RETURNS = 20

FIRST = "安宝昌东丰福光和华嘉建江锦京康乐利隆美明宁平庆瑞盛泰天万文祥新兴阳永裕长振正中"
SECOND = "澜邦诚达峰航恒弘辉济凯朗磊茂鹏启仁荣睿顺涛伟信轩雅远泽哲志卓"
THIRD = "甲乙丙丁"
SUFFIXES = ("局", "委", "办", "中心")
TOWNS = [f"{a}{b}镇" for a, b in zip("青白石桃竹梅杉柳枫松柏槐杨桂荷兰菊芦苇茶梨杏橙", "溪岭桥湾坪塘冲坑岗埠口渡洲坂垅圩墩寨店铺集口源")]


# -- the synthetic campaign --------------------------------------------------------------------------
def notice_text(units: int, seed: int = 13) -> str:
    """A notice of a city's office: `units` departments, 23 towns, 1.5 tasks per department."""
    rng = random.Random(seed)
    names = [f"市{a}{b}{c}{SUFFIXES[(i + j + k) % 4]}" for i, a in enumerate(FIRST) for j, b in enumerate(SECOND)
             for k, c in enumerate(THIRD)]
    rng.shuffle(names)
    departments = names[:units]
    towns = TOWNS[:23]
    tasks = units * 3 // 2
    lines = ["某某市人民政府办公室关于印发2021年重点工作责任分工的通知", "", "各县（市、区）人民政府，市直各单位：", "",
             "联系人：张三（电话 13800000000）", "", "2021年重点工作责任分工", ""]
    per_chapter = -(-tasks // 10)
    for number in range(1, tasks + 1):
        if (number - 1) % per_chapter == 0:
            chapter = (number - 1) // per_chapter
            count = min(per_chapter, tasks - number + 1)
            lines.append(f"{'一二三四五六七八九十'[chapter]}、第{chapter + 1}方面重点工作（{count}项）")
        lead = [departments[(number - 1) % units]]
        if rng.random() < 0.25:
            lead.append(rng.choice(departments))
        lead = list(dict.fromkeys(lead))
        co = [c for c in rng.sample(departments + towns, rng.randint(3, 9)) if c not in lead]
        lines.append(f"{number}.推进第{number}项重点工作，加快项目建设，确保年度目标任务全面完成。"
                     f"（牵头单位：{'、'.join(lead)}；责任单位：{'、'.join(co)}）")
    return "\n".join(lines) + "\n"


def cli(src: Path, *args: str, cwd: Path | None = None) -> None:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-m", "excelflow.cli", *args], env=env, cwd=cwd or src,
                          capture_output=True, text=True)
    if done.returncode not in (0, 3):
        raise SystemExit(f"excelflow {' '.join(args)} failed:\n{done.stderr}")


def _fill(job: tuple[str, str, str]) -> None:
    from excelflow.demo import fill_workbook

    source, target, note = job
    fill_workbook(Path(source), Path(target), lambda task, _sheet: {
        "完成状态": "序时推进", "完成进度(%)": 60, "进展情况": f"{note}任务{task}按计划推进,已完成阶段目标。",
        "存在问题": "资金缺口较大。", "下步打算": "加快推进。"})


def fill_all(templates: Path, out: Path, note: str) -> list[Path]:
    """Every template filled with openpyxl (on every core), 100 to a folder as units' mail piles up."""
    jobs = [(str(t), str(out / f"批次{i // 100:02d}" / t.name), note)
            for i, t in enumerate(sorted(templates.glob("*.xlsx")))]
    with Pool(os.cpu_count() or 1) as pool:
        pool.map(_fill, jobs, chunksize=8)
    return [Path(j[1]) for j in jobs]


def build_campaign(folder: Path, units: int) -> None:
    """`init` + `import` of the synthetic notice, then `generate` of 2021-H1 (this tree)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    notice = folder.parent / f"通知-{units}.txt"
    notice.write_text(notice_text(units), encoding="utf-8")
    cli(ROOT, "init", str(folder))
    cli(ROOT, "import", str(notice), "--root", str(folder))
    cli(ROOT, "generate", "--round", ROUND, "--root", str(folder), "--now", GENERATED)


def build_fresh(work: Path, units: int) -> Path:
    """`work/fresh-N`: the campaign with every 2021-H1 workbook filled and in the inbox, nothing collected."""
    fresh = work / f"fresh-{units}"
    if (fresh / "built").exists():
        return fresh
    shutil.rmtree(fresh, ignore_errors=True)
    started = time.perf_counter()
    build_campaign(fresh / "folder", units)
    fill_all(fresh / "folder" / "outbox" / ROUND / "templates", fresh / "folder" / "inbox", "")
    (fresh / "built").write_text(f"{time.perf_counter() - started:.0f} s\n")
    return fresh


def build_history(work: Path, fresh: Path) -> tuple[Path, Path, Path]:
    """Two folders with five earlier rounds in the register: `big` with every unit's return of each
    archived, `small` with 198 returns of the last; both collected for 2021-H1 once (outputs up to
    date); and the 20 new 2021-H1 returns to drop into copies of them."""
    base = work / "history"
    big, small, new = base / "big", base / "small", base / "new"
    if (base / "built").exists():
        return big, small, new
    shutil.rmtree(base, ignore_errors=True)
    started = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    from excelflow.register.load import load_register
    from excelflow.register.model import Round
    from excelflow.register.write import write_register

    shutil.copytree(fresh / "folder", big)
    shutil.rmtree(big / "inbox")
    (big / "inbox").mkdir()
    register = load_register(big / "workbooks" / "register.xlsx")
    earlier = tuple(Round(*r) for r in HISTORY_ROUNDS)
    write_register(big / "workbooks" / "register.xlsx", replace(register, rounds=earlier + register.rounds))
    shutil.copytree(big, small)
    for rid, _, co_deadline, _ in HISTORY_ROUNDS:
        cli(ROOT, "generate", "--round", rid, "--root", str(big), "--now", f"{co_deadline:%Y-%m-%d}T08:00")
        filled = fill_all(big / "outbox" / rid / "templates", big / "inbox" / rid, f"{rid} ")
        cli(ROOT, "collect", "--round", rid, "--root", str(big), "--now", f"{co_deadline:%Y-%m-%d}T09:00")
        if rid == HISTORY_ROUNDS[-1][0]:
            for path in filled[:SMALL_HISTORY]:
                target = small / "inbox" / rid / path.relative_to(big / "inbox" / rid)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
            shutil.copytree(big / "outbox" / rid / "templates", small / "outbox" / rid / "templates")
            cli(ROOT, "collect", "--round", rid, "--root", str(small), "--now", f"{co_deadline:%Y-%m-%d}T09:00")
    for folder in (big, small):  # the round's outputs up to date, nothing new for it yet
        cli(ROOT, "collect", "--round", ROUND, "--root", str(folder), "--now", LATER)
    returned = sorted((fresh / "folder" / "inbox").rglob("*.xlsx"))[:NEW_RETURNS]
    for path in returned:
        target = new / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    (base / "built").write_text(f"{time.perf_counter() - started:.0f} s\n")
    return big, small, new


# -- measuring ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Measure:
    wall: float
    cpu: float
    peak_mib: float


def _tree_rss(root_pid: int) -> int:
    """Resident bytes of `root_pid` and every process below it."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def measure(command: Sequence[str], src: Path | None = None, cwd: Path | None = None) -> Measure:
    """Run `command` in a fresh process: wall time, CPU (its own and its waited children's), peak
    resident memory of all its processes together."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    started = time.perf_counter()
    # In its own tree: `python -m` puts the working directory first on the path.
    child = subprocess.Popen(list(command), env=env, cwd=cwd or src or ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(child.pid))
            done.wait(0.05)  # the sampling itself takes a few ms of a shared core

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        raise SystemExit(f"{' '.join(command)} failed ({code}):\n{err.decode('utf-8', 'replace')[-3000:]}")
    return Measure(wall, usage.ru_utime + usage.ru_stime, peak / 1048576)


def byte_compile(tree: Path) -> None:
    """Write the `.pyc` files of `tree`'s excelflow, as `pip install` does for an installed one."""
    done = subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "excelflow")],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"compileall {tree} failed:\n{done.stdout}{done.stderr}")


def excelflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "excelflow.cli", *args]


PANDAS = """
import json, sys
import pandas as pd
files, header, out = json.load(open(sys.argv[1], encoding="utf-8")), int(sys.argv[2]), sys.argv[3]
frames = []
for f in files:
    for name, frame in pd.read_excel(f, engine="openpyxl", sheet_name=None, header=header).items():
        if "序号" in frame.columns:
            frame.insert(0, "文件", f)
            frame.insert(1, "工作表", name)
            frames.append(frame)
pd.concat(frames, ignore_index=True).to_excel(out, engine="openpyxl", index=False)
"""

OPENPYXL = """
import copy, json, sys, warnings
from pathlib import Path
import openpyxl
template, jobs, out = Path(sys.argv[1]), json.load(open(sys.argv[2], encoding="utf-8")), Path(sys.argv[3])
warnings.simplefilter("ignore")
out.mkdir(parents=True, exist_ok=True)
for unit, rows in jobs.items():
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    header = next(r for r in range(1, 31) if sheet.cell(r, 1).value == "序号")
    columns = {sheet.cell(header, c).value: c for c in range(1, sheet.max_column + 1)}
    styles = {c: copy.copy(sheet.cell(header + 1, c)._style) for c in columns.values()}
    for r, row in enumerate(rows, start=header + 1):
        for name, c in columns.items():
            cell = sheet.cell(r, c, row.get(name))
            cell._style = copy.copy(styles[c])
    sheet.protection.sheet = True
    book.save(out / f"{unit}.xlsx")
"""

PROBE = """
import sys
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], str) and args[0].endswith((".xlsx", ".xls", ".ods", ".xlsm")):
        opened.append(args[0])
sys.addaudithook(hook)
from excelflow.cli import main
try:
    main(["collect", "--root", sys.argv[1], "--now", sys.argv[2]])
except SystemExit:
    pass
heavy = [m for m in ("pandas", "openpyxl", "xlsxwriter", "python_calamine", "docx") if m in sys.modules]
print("opened", len(opened), "imported", ",".join(heavy) or "none", file=sys.stderr)
"""


def header_row(templates: Path) -> int:
    """The 0-based row of the form's header (序号 …), as the pandas script is told it."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(next(templates.glob("*.xlsx"))))
    for name in book.sheet_names:
        for i, row in enumerate(book.get_sheet_by_name(name).to_python()[:30]):
            if row and row[0] == "序号" and "完成状态" in row:
                return i
    raise SystemExit("no header row in the templates")


def unit_rows(folder: Path) -> dict[str, list[dict[str, object]]]:
    """For baseline 2: each unit's rows as its workbook shows them (序号, 任务内容, units, 完成时限)."""
    sys.path.insert(0, str(ROOT))
    from excelflow.register.load import load_register
    from excelflow.wording import cell_day

    register = load_register(folder / "workbooks" / "register.xlsx")
    rnd = register.require_round(ROUND)
    out: dict[str, list[dict[str, object]]] = {}
    for e in register.expected_entries():
        task = register.task(e.task_id)
        assert task is not None
        row: dict[str, object] = {"序号": task.id, "任务内容": task.text, "完成时限": cell_day(rnd.deadline(e.role))}
        row["协办单位" if e.role == "lead" else "牵头单位"] = "、".join(task.co if e.role == "lead" else task.lead)
        out.setdefault(e.unit, []).append(row)
    return out


def copy_of(source: Path, scratch: Path, name: str, only_round: str | None = None) -> Path:
    """A copy of a working folder; with `only_round`, without the other rounds' outputs (a pass for
    that round never reads them, and copying tens of thousands of files would take longer than it)."""
    target = scratch / name
    if target.exists():
        shutil.rmtree(target)

    def skip(folder: str, names: list[str]) -> list[str]:
        if only_round is None or Path(folder).name != "outbox" or Path(folder).parent != source:
            return []
        return [n for n in names if n != only_round and (Path(folder) / n).is_dir()]

    shutil.copytree(source, target, symlinks=True, ignore=skip)
    # The copy on the disk before the timed run: a pass neither pays for writing the benchmark's
    # own copy nor is spared it, whichever way it syncs (`excelflow/fs_sync.py`).
    os.sync()
    return target


def median(values: list[Measure]) -> Measure:
    return Measure(statistics.median(m.wall for m in values), statistics.median(m.cpu for m in values),
                   statistics.median(m.peak_mib for m in values))


def alternate(jobs: dict[str, object], repeat: int) -> dict[str, Measure]:
    """Run each named job (a callable giving a Measure) `repeat` times, rotating their order."""
    names = list(jobs)
    got: dict[str, list[Measure]] = {n: [] for n in names}
    for i in range(repeat):
        order = names[i % len(names):] + names[:i % len(names)]
        for name in order:
            job = jobs[name]
            assert callable(job)
            got[name].append(job())
            print(f"  {name}: {got[name][-1].wall:.2f} s (cpu {got[name][-1].cpu:.2f} s, "
                  f"peak {got[name][-1].peak_mib:.0f} MiB, load {os.getloadavg()[0]:.1f})", file=sys.stderr)
    return {n: median(v) for n, v in got.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the earlier tree (holding excelflow/)")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scaling", default="250,500,1000,2000")
    parser.add_argument("--rows", default="collect,generate,nothing-new,history,scaling")
    parser.add_argument("--keep", type=Path, help="build (and reuse) the folders here")
    args = parser.parse_args()
    rows = set(args.rows.split(","))
    trees = {"after": ROOT, "before": args.before.resolve()}
    for tree in trees.values():
        byte_compile(tree)
    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="bench-floor-"))
    work.mkdir(parents=True, exist_ok=True)
    scratch = work / "scratch"
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()

    print(f"building in {work} (this tree)", file=sys.stderr)
    fresh = build_fresh(work, args.units)
    folder = fresh / "folder"
    inbox_files = sorted((folder / "inbox").rglob("*.xlsx"))
    listing = work / "returns.json"
    listing.write_text(json.dumps([str(p) for p in inbox_files], ensure_ascii=False), encoding="utf-8")
    header = header_row(folder / "outbox" / ROUND / "templates")
    units = len(list((folder / "outbox" / ROUND / "templates").glob("*.xlsx")))
    # Let the file system settle after building. On ext4 without a journal (this machine's disk) a
    # new file skips every inode freed in the last 60 s (longer while the inode table is not yet
    # written back), one look-up each: a first collect 25 s after deleting a copy of the city's
    # folder took 10.0 s, 70 s after it 8.4 s.
    time.sleep(70)

    results: dict[str, dict[str, Measure]] = {}
    notes: list[str] = []
    collected: dict[str, Path] = {}
    if "collect" in rows or "nothing-new" in rows:
        print("collect", file=sys.stderr)
        counter = iter(range(10_000))

        def collect_job(tree: str) -> Measure:
            root = copy_of(folder, scratch, f"collect-{tree}-{next(counter)}")
            collected[tree] = root
            return measure(excelflow("collect", "--root", str(root), "--now", NOW), trees[tree])

        jobs: dict[str, object] = {"after": lambda: collect_job("after"), "before": lambda: collect_job("before"),
                                   "baseline": lambda: measure([sys.executable, "-c", PANDAS, str(listing), str(header),
                                                                str(scratch / "all-returns.xlsx")])}
        results["collect"] = alternate(jobs, args.repeat)
    if "generate" in rows:
        print("generate", file=sys.stderr)
        bare = scratch / "bare"
        shutil.copytree(folder, bare, ignore=shutil.ignore_patterns("inbox", "outbox"))
        (bare / "inbox").mkdir()
        (bare / "outbox").mkdir()
        rows_file = work / "unit-rows.json"
        rows_file.write_text(json.dumps(unit_rows(folder), ensure_ascii=False), encoding="utf-8")
        counter2 = iter(range(10_000))

        def generate_job(tree: str) -> Measure:
            root = copy_of(bare, scratch, f"generate-{tree}-{next(counter2)}")
            return measure(excelflow("generate", "--round", ROUND, "--root", str(root), "--now", GENERATED), trees[tree])

        jobs = {"after": lambda: generate_job("after"), "before": lambda: generate_job("before"),
                "baseline": lambda: measure([sys.executable, "-c", OPENPYXL, str(folder / "workbooks" / "template.xlsx"),
                                             str(rows_file), str(scratch / f"openpyxl-{next(counter2)}")])}
        results["generate"] = alternate(jobs, args.repeat)
    if "nothing-new" in rows:
        print("nothing new", file=sys.stderr)
        jobs = {"after": lambda: measure(excelflow("collect", "--root", str(collected["after"]), "--now", NOW), ROOT),
                "before": lambda: measure(excelflow("collect", "--root", str(collected["before"]), "--now", NOW),
                                          trees["before"]),
                "baseline": lambda: measure(excelflow("--help"), ROOT)}
        results["nothing-new"] = alternate(jobs, max(args.repeat, 5))
        for tree in ("after", "before"):
            probe = subprocess.run([sys.executable, "-c", PROBE, str(collected[tree]), NOW], capture_output=True, text=True,
                                   env={**os.environ, "PYTHONPATH": str(trees[tree])})
            notes.append(f"nothing-new probe ({tree}): {probe.stderr.strip().splitlines()[-1]}")
    if "history" in rows:
        print("history", file=sys.stderr)
        big, small, new = build_history(work, fresh)
        archived = {name: len(list((f / "archive").glob("??/*.json"))) // 2 for name, f in (("big", big), ("small", small))}
        counter3 = iter(range(10_000))

        def history_job(tree: str, base: Path) -> Measure:
            root = copy_of(base, scratch, f"history-{tree}-{next(counter3)}", only_round=ROUND)
            shutil.copytree(new, root / "inbox" / "新到")
            time.sleep(1)  # the copy's writes settle
            return measure(excelflow("collect", "--round", ROUND, "--root", str(root), "--now", LATER), trees[tree])

        jobs = {f"{tree} {size}": (lambda t=tree, b=base: history_job(t, b))
                for tree in ("after", "before") for size, base in (("big", big), ("small", small))}
        results["history"] = alternate(jobs, args.repeat)
        notes.append(f"history archives: {archived['big']} and {archived['small']} returns archived "
                     f"(records on disk), {NEW_RETURNS} new")
    scaling: dict[int, dict[str, Measure]] = {}
    if "scaling" in rows:
        for n in (int(x) for x in args.scaling.split(",")):
            print(f"scaling {n}", file=sys.stderr)
            source = build_fresh(work, n) / "folder"
            counter4 = iter(range(10_000))
            time.sleep(10)

            def scaled(tree: str, source: Path = source, n: int = n) -> Measure:
                root = copy_of(source, scratch, f"scale-{n}-{tree}-{next(counter4)}")
                return measure(excelflow("collect", "--root", str(root), "--now", NOW), trees[tree])

            scaling[n] = alternate({"after": lambda: scaled("after"), "before": lambda: scaled("before")},
                                   args.repeat if n <= args.units else 1)

    print(f"\n`python benchmarks/bench_floor.py --before {args.before} --units {args.units} --repeat {args.repeat}` — "
          f"{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()}, "
          f"{datetime.now():%Y-%m-%d %H:%M}; {units} workbooks, {len(inbox_files)} returns; medians.\n")
    print("| job | after | before | baseline in the same run | after ÷ baseline | before ÷ baseline | goal |")
    print("|---|---:|---:|---:|---:|---:|---|")
    goals = {"collect": "≤ 0.25×", "generate": "≤ 0.3×", "nothing-new": "≤ 0.5 s"}
    for row, label in (("collect", f"first collect of {len(inbox_files)} returns"),
                       ("generate", f"generate {units} workbooks"), ("nothing-new", "nothing-new pass (`--help` as baseline)")):
        if row not in results:
            continue
        r = results[row]
        print(f"| {label} | {r['after'].wall:.2f} s | {r['before'].wall:.2f} s | {r['baseline'].wall:.2f} s | "
              f"{r['after'].wall / r['baseline'].wall:.2f}× | {r['before'].wall / r['baseline'].wall:.2f}× | {goals[row]} |")
    if "history" in results:
        h = results["history"]
        print(f"| {NEW_RETURNS} new returns over ~{archived['big']:,} archived vs over ~{archived['small']} | "
              f"{h['after big'].wall:.2f} / {h['after small'].wall:.2f} s | {h['before big'].wall:.2f} / "
              f"{h['before small'].wall:.2f} s | | {h['after big'].wall / h['after small'].wall:.2f}× | "
              f"{h['before big'].wall / h['before small'].wall:.2f}× | ≤ 1.2× |")
    print("\nCPU (all processes) and peak memory (all processes together), medians:\n")
    print("| job | after CPU | before CPU | baseline CPU | after peak | before peak | baseline peak |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row, r in results.items():
        if row == "history":
            for size in ("big", "small"):
                print(f"| history, {size} | {r['after ' + size].cpu:.2f} s | {r['before ' + size].cpu:.2f} s | | "
                      f"{r['after ' + size].peak_mib:.0f} MiB | {r['before ' + size].peak_mib:.0f} MiB | |")
            continue
        print(f"| {row} | {r['after'].cpu:.2f} s | {r['before'].cpu:.2f} s | {r['baseline'].cpu:.2f} s | "
              f"{r['after'].peak_mib:.0f} MiB | {r['before'].peak_mib:.0f} MiB | {r['baseline'].peak_mib:.0f} MiB |")
    if scaling:
        print("\nFirst collect as the office grows (units and returns together):\n")
        print("| units (returns) | after | before | after CPU | after peak |")
        print("|---|---:|---:|---:|---:|")
        for n, r in scaling.items():
            print(f"| {n} | {r['after'].wall:.2f} s | {r['before'].wall:.2f} s | {r['after'].cpu:.2f} s | "
                  f"{r['after'].peak_mib:.0f} MiB |")
        ns = sorted(scaling)
        if 1000 in scaling and 2000 in scaling:
            print(f"\n2,000 ÷ 1,000: after {scaling[2000]['after'].wall / scaling[1000]['after'].wall:.2f}×, "
                  f"before {scaling[2000]['before'].wall / scaling[1000]['before'].wall:.2f}× (goal ≤ 2.2×); sizes {ns}")
    for note in notes:
        print(f"\n{note}")
    # Removed only now: thousands of files deleted make creating files slow for a while after
    # (ext4 skips recently freed inodes), which would fall on the next measurement.
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    else:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
