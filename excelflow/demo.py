"""`excelflow demo`: the main job on the shipped default, from a clean install.

Builds a working folder from the shipped 2021 register of 广丰区, generates the 2021-H1 reporting
workbooks, and plays a realistic half-year of returns through the inbox, collecting at the times a
clerk would:

- most units fill their workbook and return it before the deadline;
- some co-units return a few days late, and two lead units after their deadline;
- some units stay silent;
- one unit leaves 进展情况 empty (incomplete), one types a status nobody can place (invalid);
- one unit's return is saved as `.xls` through LibreOffice (when `soffice` is installed; the demo
  says so when it is not);
- one unit resubmits with corrections (content from the correction, timeliness from the first);
- one unit retypes the form in a workbook of its own, without the identity sheet (identified from
  the unit name in its header block, with a warning);
- one lead unit fills its rollup and returns it (it counts as its lead report).

The filling lives here, not in tests, so `pip install . && excelflow demo` works anywhere. Filling
copies of generated workbooks with openpyxl is what a unit's office suite does; it is never used
on a return (openpyxl drops parts of a workbook it does not understand).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl

from excelflow.errors import WorkspaceError
from excelflow.forms.generate import generate_round
from excelflow.register.campaign import init_workspace
from excelflow.register.load import load_register
from excelflow.register.model import Register
from excelflow.register.statuses import BEHIND, DONE, NOT_STARTED, ON_SCHEDULE
from excelflow.runs.summary import summary_lines
from excelflow.runs.watch import guarded_pass
from excelflow.wording import moment, round_name
from excelflow.workspace import Workspace

ROUND = "2021-H1"
INPUT_HEADERS = ("完成状态", "完成进度(%)", "进展情况", "存在问题", "下步打算", "备注")
SEED = 2021  # the demo is the same every time

# Texts units write, by status (realistic phrasing from published 督查 reports).
PROGRESS_TEXTS = {
    DONE: ["已全面完成年度目标任务,相关资料已归档。", "已完成项目验收并投入使用。"],
    ON_SCHEDULE: ["已制定工作方案,明确责任分工和时间节点,目前按序时推进。",
                  "上半年已完成年度任务的{p}%,各项工作有序开展。",
                  "已召开专题调度会 3 次,协调解决问题 5 个,项目按计划推进。"],
    BEHIND: ["受资金和用地指标影响,进度滞后于序时。", "前期手续办理时间较长,开工时间推迟。"],
    NOT_STARTED: ["项目前期论证中,尚未启动实施。"],
}
PROBLEM_TEXTS = ["资金缺口较大,需上级支持。", "用地指标紧张。", "部分企业配合度不高。", ""]
NEXT_TEXTS = ["下半年加大调度力度,确保完成全年目标。", "加快推进项目建设,争取年底前完工。", "继续做好跟踪服务。"]


def entry_values(rng: random.Random, task_id: int, role: str) -> dict[str, Any]:
    """A plausible filled row: mostly 序时推进, some 已完成, a few 滞后 with a reason."""
    status = rng.choices([ON_SCHEDULE, DONE, BEHIND, NOT_STARTED], weights=[60, 20, 15, 5])[0]
    progress = {DONE: 100, ON_SCHEDULE: rng.choice([40, 50, 55, 60, 70]), BEHIND: rng.choice([20, 30]),
                NOT_STARTED: 0}[status]
    text = rng.choice(PROGRESS_TEXTS[status]).format(p=progress)
    problem = rng.choice(PROBLEM_TEXTS[:3]) if status == BEHIND else rng.choice(PROBLEM_TEXTS)
    return {"完成状态": status, "完成进度(%)": progress, "进展情况": text, "存在问题": problem,
            "下步打算": rng.choice(NEXT_TEXTS), "备注": ""}


def fill_workbook(source: Path, target: Path, values: Callable[[int, str], Mapping[str, Any] | None]) -> int:
    """Fill a copy of a generated workbook (or a rollup) as a unit would; returns rows filled.

    `values(task_id, sheet_name)` gives the input cells of a row (header → value) or None to leave
    it empty. Rows are found by their 序号 cell under the `序号` header, as a person would.
    """
    book = openpyxl.load_workbook(source)
    filled = 0
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            continue
        header_row, columns = _header(sheet)
        if header_row is None:
            continue
        for r in range(header_row + 1, sheet.max_row + 1):
            raw = sheet.cell(r, columns["序号"]).value
            task_id = _task_id(raw)
            if task_id is None:
                continue
            row_values = values(task_id, sheet.title)
            if row_values is None:
                continue
            for header, value in row_values.items():
                if header in columns:
                    sheet.cell(r, columns[header]).value = value
            filled += 1
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return filled


def _header(sheet: Any) -> tuple[int | None, dict[str, int]]:
    for r in range(1, min(sheet.max_row, 40) + 1):
        row = {str(sheet.cell(r, c).value).strip(): c for c in range(1, sheet.max_column + 1)
               if sheet.cell(r, c).value is not None}
        if "序号" in row and "完成状态" in row:
            return r, row
    return None, {}


def _task_id(raw: Any) -> int | None:
    try:
        return int(float(str(raw).strip()))
    except (TypeError, ValueError):
        return None


def retype_workbook(target: Path, unit: str, round_name: str, rows: list[tuple[int, Mapping[str, Any]]]) -> None:
    """A unit's own spreadsheet: the same columns retyped, no identity sheet, 填报单位 in the header."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append([f"{round_name}重点工作进展情况表"])
    sheet.append(["填报单位", unit])
    sheet.append(["序号", "完成状态", "完成进度(%)", "进展情况", "存在问题", "下步打算"])
    for task_id, values in rows:
        sheet.append([task_id, *(values.get(h, "") for h in ("完成状态", "完成进度(%)", "进展情况", "存在问题", "下步打算"))])
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def save_as_xls(source: Path, target_dir: Path) -> Path | None:
    """Save `source` as .xls through LibreOffice (as a unit on an old office suite would)."""
    office = soffice()
    if office is None:
        return None
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([office, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", "xls:MS Excel 97", "--outdir", str(target_dir), str(source)],
                       check=True, capture_output=True, timeout=300)
    out = target_dir / (source.stem + ".xls")
    return out if out.is_file() else None


# -- the scenario ----------------------------------------------------------------------------------
@dataclass
class DemoResult:
    root: Path
    outputs: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


PASS_TIMES = (
    datetime(2021, 6, 11, 17, 30),
    datetime(2021, 6, 15, 17, 30),   # co-unit deadline day
    datetime(2021, 6, 18, 9, 0),     # late co-units
    datetime(2021, 6, 25, 17, 30),   # lead deadline day
    datetime(2021, 6, 28, 9, 0),     # late leads, a correction
)


def _answers(values: Mapping[int, Mapping[str, Any]]) -> Callable[[int, str], Mapping[str, Any] | None]:
    """What a unit types into each task row (by task id, whatever the sheet)."""
    def answer(task: int, _sheet: str) -> Mapping[str, Any] | None:
        return values.get(task)

    return answer


def plan_scenario(register: Register, rng: random.Random) -> dict[str, tuple[int, str]]:
    """unit → (index of the pass that first sees its return, how it returns); silent units absent.

    A unit returns one workbook for all its entries. Units that co-host anything aim at the
    co-unit deadline (passes 0–1), units that only lead at the lead deadline (passes 1–3). A few of
    each are late (pass 2 for co-units, pass 4 for leads) or silent.
    """
    order = [u.name for u in register.units]
    expected = register.expected_entries()
    units = sorted({e.unit for e in expected}, key=lambda u: order.index(u) if u in order else len(order))
    co_hosts = [u for u in units if any(e.unit == u and e.role == "co" for e in expected)]
    lead_only = [u for u in units if u not in co_hosts]
    rng.shuffle(co_hosts)
    rng.shuffle(lead_only)
    plan: dict[str, tuple[int, str]] = {}
    for i, unit in enumerate(co_hosts):
        if i < 3:
            continue  # silent
        plan[unit] = (2, "late") if i < 7 else (rng.choice((0, 1)), "report")
    for i, unit in enumerate(lead_only):
        if i < 2:
            continue  # silent (one of them returns its rollup at the end)
        plan[unit] = (4, "late") if i < 4 else (rng.choice((1, 2, 3)), "report")
    on_time = [u for u in co_hosts[7:]]
    # The retyped form comes from a unit with few entries (retyping 50 rows is not what people do).
    small = sorted(on_time, key=lambda u: sum(1 for e in expected if e.unit == u))
    retyper = small[0]
    plan[retyper] = (plan[retyper][0], "retyped")
    others = [u for u in on_time if u != retyper]
    for unit, kind in zip(others[:4], ("incomplete", "invalid", "xls", "correction"), strict=True):
        plan[unit] = (0 if kind == "correction" else plan[unit][0], kind)
    return plan


def run_demo(directory: Path, *, echo: Callable[[str], None] = print, last_now: datetime | None = None) -> DemoResult:
    """Build, fill and collect the demo folder at `directory` (created; must be new or empty)."""
    ws = Workspace(directory)
    if directory.exists() and any(directory.iterdir()):
        raise WorkspaceError(f"演示文件夹 {directory} 已存在且不是空的。请换一个新文件夹名,例如 excelflow demo 演示2")
    result = DemoResult(directory)
    for line in init_workspace(ws, example=True):
        echo(line)
    register = load_register(ws.register_path)
    rnd = register.round(ROUND)
    assert rnd is not None, "the shipped register has the 2021-H1 round"
    report = generate_round(ws, register, ROUND, now=datetime(2021, 6, 1, 9, 0))
    echo(f"已生成 {len(report.written)} 个单位的 {round_name(rnd)} 填报表:{ws.templates_dir(ROUND)}")

    rng = random.Random(SEED)
    plan = plan_scenario(register, rng)
    by_unit: dict[str, list[tuple[int, str]]] = {}
    for e in register.expected_entries():
        by_unit.setdefault(e.unit, []).append((e.task_id, e.role))

    staging = ws.state / "demo-staging"
    deliveries: dict[int, list[tuple[Path, str]]] = {}  # pass index → (file, inbox name)
    xls_units: list[tuple[str, Path, int]] = []
    for unit, (when, kind) in plan.items():
        template = ws.template_file(ROUND, unit)
        values = {task: entry_values(rng, task, role) for task, role in by_unit[unit]}
        if kind == "incomplete":
            first = next(iter(values))
            values[first] = {**values[first], "进展情况": "", "完成状态": ""}
        if kind == "invalid":
            first = next(iter(values))
            values[first] = {**values[first], "完成状态": "基本差不多"}
        name = f"{unit}-2021年半年重点工作进展.xlsx"
        target = staging / f"{unit}-{kind}.xlsx"
        if kind == "retyped":
            retype_workbook(target, unit, round_name(rnd), sorted(values.items()))
            name = f"{unit}上半年工作进展(自制表).xlsx"
        else:
            fill_workbook(template, target, _answers(values))
        if kind == "xls":
            xls_units.append((unit, target, when))
            continue
        deliveries.setdefault(when, []).append((target, f"{unit}/{name}"))
        if kind == "correction":
            corrected = {t: {**v, "完成状态": DONE, "完成进度(%)": 100, "进展情况": "(更正)已全面完成年度目标任务。"}
                         for t, v in values.items()}
            fixed = staging / f"{unit}-corrected.xlsx"
            fill_workbook(template, fixed, _answers(corrected))
            deliveries.setdefault(2, []).append((fixed, f"{unit}/{unit}-2021年半年重点工作进展(更正).xlsx"))
    if xls_units:
        if soffice() is None:
            result.notes.append("本机没有安装 LibreOffice(soffice),跳过「另存为 .xls」的演示;该单位改为报送 .xlsx。")
            for unit, target, when in xls_units:
                deliveries.setdefault(when, []).append((target, f"{unit}/{unit}-半年进展.xlsx"))
        else:
            for unit, target, when in xls_units:
                xls = save_as_xls(target, staging / "xls")
                if xls is None:
                    result.notes.append("LibreOffice 未能另存为 .xls;该单位改为报送 .xlsx。")
                    deliveries.setdefault(when, []).append((target, f"{unit}/{unit}-半年进展.xlsx"))
                else:
                    deliveries.setdefault(when, []).append((xls, f"{unit}/{unit}-半年进展(旧版Excel).xls"))
                    result.notes.append(f"{unit} 的报表经 LibreOffice 另存为 .xls 后报送。")

    times = list(PASS_TIMES)
    if last_now is not None:
        times[-1] = max(last_now, times[-2])
    final = None
    rollup_unit: str | None = None
    written: list[Path] = []
    for index, at in enumerate(times):
        if index == 4:
            rollup_unit = _return_a_rollup(ws, register, plan, rng, staging, deliveries)
        for source, name in deliveries.get(index, []):
            target = ws.inbox / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        # The same locked, logged pass `excelflow collect` runs, so `status` shows the last pass.
        final = guarded_pass(ws, round_id=ROUND, now=at)
        written += final.outputs
        echo(f"{moment(at)} 收集:新收 {len(final.new)} 份")
    shutil.rmtree(staging, ignore_errors=True)
    assert final is not None
    echo("")
    for line in scenario_lines(register, plan, rollup_unit):
        echo(line)
    echo("")
    for line in summary_lines(final, ws.root):
        echo(line)
    for note in result.notes:
        echo(f"说明:{note}")
    result.outputs = sorted({p for p in written if p.exists()})
    echo("")
    invalid = next((u for u, (_, kind) in plan.items() if kind == "invalid"), None)
    leads = register.leads_in_task_order()
    for line in output_listing(ws, ROUND, receipt_of=invalid, rollup_of=leads[0] if leads else None):
        echo(line)
    return result


# Folders of a round's outputs and what a clerk calls their files.
OUTPUT_FOLDERS: tuple[tuple[str, str], ...] = (
    ("templates", "填报表"), ("rollups", "牵头汇总表"), ("receipts", "回执(.xlsx 和 .txt)"),
)


def output_listing(ws: Workspace, round_id: str, *, receipt_of: str | None = None,
                   rollup_of: str | None = None) -> list[str]:
    """The few files a clerk opens first, then one line saying where the rest are.

    Hundreds of templates, rollups and receipts listed one by one would scroll the summary off
    the screen; they are counted by folder instead.
    """
    first: list[tuple[str, Path]] = [
        ("对比通报(先看「总览」,谁需要关注)", ws.comparison_path(round_id)),
        ("通报草稿(核对后填上期号即可印发)", ws.notification_path(round_id)),
        ("催报提醒(可直接复制到微信、短信)", ws.reminders_path(round_id)),
    ]
    if rollup_of is not None:
        first.append((f"牵头汇总表({rollup_of})", ws.rollup_file(round_id, rollup_of)))
    receipts = sorted(ws.receipts_dir(round_id).glob(f"回执-{receipt_of}-*.txt")) if receipt_of else []
    if receipts:
        first.append((f"回执({receipt_of},第一行是要对方做什么)", receipts[-1]))
    shown = [(label, path) for label, path in first if path.exists()]
    lines = ["先打开这几个文件:"]
    lines += [f"  {label}:{path}" for label, path in shown]
    files = [p for p in ws.outbox.rglob("*") if p.is_file()]
    rest = len(files) - len(shown)
    counts = []
    for folder, name in OUTPUT_FOLDERS:
        n = sum(1 for p in files if p.parent == ws.round_dir(round_id) / folder)
        if n:
            counts.append(f"{folder}/ {n} 个{name}")
    detail = f"({'、'.join(counts)})" if counts else ""
    lines.append(f"其余 {rest} 个输出文件在 {ws.round_dir(round_id)}{os.sep} 下{detail}。")
    return lines


def _return_a_rollup(ws: Workspace, register: Register, plan: Mapping[str, tuple[int, str]], rng: random.Random,
                     staging: Path, deliveries: dict[int, list[tuple[Path, str]]]) -> str | None:
    """A lead unit that stayed silent so far fills its rollup and returns it (counts as its report)."""
    silent_leads = [u for u in register.leads_in_task_order() if u not in plan
                    and not any(e.unit == u and e.role == "co" for e in register.expected_entries())]
    if not silent_leads:
        return None
    unit = silent_leads[0]
    rollup = ws.rollup_paths(ROUND, register.leads_in_task_order())[unit]
    if not rollup.exists():
        return None
    target = staging / f"{unit}-rollup.xlsx"
    fill_workbook(rollup, target, lambda task, _sheet: entry_values(rng, task, "lead"))
    deliveries.setdefault(4, []).append((target, f"{unit}/{unit}-牵头汇总(已填).xlsx"))
    return unit


SCENARIO_NAMES = {
    "late": "逾期报送", "incomplete": "漏填「完成状态」「进展情况」(不完整)", "invalid": "完成状态填「基本差不多」(无效)",
    "xls": "经 LibreOffice 另存为 .xls 报送", "correction": "报送后又交更正版", "retyped": "自己重新录入的表格(无标识)",
}


def scenario_lines(register: Register, plan: Mapping[str, tuple[int, str]], rollup_unit: str | None) -> list[str]:
    """What the demo's units did, so the summary can be checked against it."""
    silent = sorted({e.unit for e in register.expected_entries()} - set(plan) - {rollup_unit or ""})
    lines = ["演示情景:"]
    for kind, name in SCENARIO_NAMES.items():
        units = [u for u, (_, k) in plan.items() if k == kind]
        if units:
            lines.append(f"  {name}:{'、'.join(units)}")
    if rollup_unit:
        lines.append(f"  前几次未报、最后直接填好牵头汇总表报回:{rollup_unit}")
    lines.append(f"  始终未报:{'、'.join(silent)}")
    return lines
