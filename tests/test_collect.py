"""`excelflow collect` on real generated workbooks: archive, states, rollups, receipts, reruns."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from collect_helpers import (
    ROUND,
    build_pristine,
    collect,
    drop,
    fill,
    fresh_workspace,
    run_cli,
    status_json,
    tree_digest,
    workbook_values,
)

from excelflow.forms.generate import generate_round
from excelflow.register.load import load_register
from excelflow.register.model import Round, nearest_round
from excelflow.register.write import write_register
from excelflow.workspace import Workspace


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_pristine(tmp_path_factory.mktemp("pristine") / "督查 2021").root


@pytest.fixture
def ws(pristine: Path, tmp_path: Path) -> Workspace:
    return fresh_workspace(pristine, tmp_path / "共享盘 督查室")


def entries_of(status: dict, unit: str) -> list[dict]:
    return [e for e in status["entries"] if e["unit"] == unit]


def test_returns_are_archived_once_and_a_rerun_changes_nothing(ws: Workspace, tmp_path: Path):
    drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx"), "科技局/区科技局.xlsx")
    first = collect(ws, "2021-06-14T10:00")
    assert "本次新收 1 份" in first.output
    archive_before, outbox_before = tree_digest(ws.archive), tree_digest(ws.outbox)
    blobs = [p for p in archive_before if p.endswith(".xlsx")]
    assert len(blobs) == 1
    assert (ws.archive / blobs[0]).read_bytes() == (ws.inbox / "科技局/区科技局.xlsx").read_bytes()

    again = collect(ws, "2021-06-14T18:00")
    assert "本次新收 0 份" in again.output and "没有新的报送,输出文件未改动" in again.output
    assert tree_digest(ws.archive) == archive_before
    assert tree_digest(ws.outbox) == outbox_before

    # Days overdue change with the date: on a later day only the comparison outputs are redone.
    next_day = collect(ws, "2021-06-20T10:00")
    assert "本次新收 0 份" in next_day.output
    changed = {p for p, h in tree_digest(ws.outbox).items() if outbox_before.get(p) != h}
    assert not any(p.startswith((f"{ROUND}/rollups/", f"{ROUND}/receipts/")) for p in changed)
    assert f"{ROUND}/状态.json" not in changed
    assert tree_digest(ws.archive) == archive_before


def test_receipt_time_is_when_first_collected_not_the_file_time(ws: Workspace, tmp_path: Path):
    target = drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx"), "区科技局.xlsx")
    import os

    old = datetime(2021, 6, 1).timestamp()
    os.utime(target, (old, old))  # copied with an early mtime: it must not make the return on time
    collect(ws, "2021-06-17T08:30")
    mine = entries_of(status_json(ws, "2021-06-30T00:00"), "区科技局")
    co = [e for e in mine if e["role"] == "co"]
    assert co and all(e["state"] == "late" and e["received_at"] == "2021-06-17T08:30:00" for e in co)
    lead = [e for e in mine if e["role"] == "lead"]
    assert lead and all(e["state"] == "on_time" for e in lead)


def test_nothing_new_reads_no_workbook_and_imports_no_pandas(ws: Workspace, tmp_path: Path):
    drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx"), "区科技局.xlsx")
    collect(ws, "2021-06-14T10:00")
    probe = f"""
import sys
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], str) and args[0].endswith((".xlsx", ".xls", ".ods", ".xlsm")):
        opened.append(args[0])
sys.addaudithook(hook)
from datetime import datetime
from pathlib import Path
from excelflow.runs.collect import run_pass
from excelflow.workspace import Workspace
report = run_pass(Workspace(Path({str(ws.root)!r})), round_id=None, now=datetime(2021, 6, 14, 18))
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & {{"pandas", "openpyxl", "xlsxwriter", "python_calamine"}})
# The notice's readers compile large patterns on import (~15 ms): a pass with nothing new needs none.
notice = sorted(set(sys.modules) & {{"excelflow.notice.issuer", "excelflow.notice.clauses"}})
print(len(report.new), report.rendered, len(report.outputs), heavy, opened, notice)
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["0", "False", "0", "[]", "[]", "[]"]


def test_originals_in_the_inbox_are_never_modified(ws: Workspace, tmp_path: Path):
    drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx"), "区科技局.xlsx")
    drop(ws, fill(ws, "永丰街道", tmp_path / "b.xlsx", status="差不多吧"), "乡镇/永丰街道.xlsx")
    (ws.inbox / "~$区科技局.xlsx").write_bytes(b"lock")
    before = tree_digest(ws.inbox)
    collect(ws, "2021-06-14T10:00")
    assert tree_digest(ws.inbox) == before


def test_file_still_being_copied_is_pending_and_collected_next_pass(ws: Workspace, tmp_path: Path):
    full = fill(ws, "区科技局", tmp_path / "a.xlsx").read_bytes()
    (ws.inbox / "区科技局.xlsx").write_bytes(full[: len(full) // 2])
    first = collect(ws, "2021-06-14T10:00")
    assert "待重试 1 份" in first.output and "inbox/区科技局.xlsx" in first.output
    assert {e["state"] for e in entries_of(status_json(ws, "2021-06-14T10:00"), "区科技局")} == {"missing"}

    (ws.inbox / "区科技局.xlsx").write_bytes(full)
    collect(ws, "2021-06-15T11:00")
    mine = entries_of(status_json(ws, "2021-06-15T12:00"), "区科技局")
    assert {e["state"] for e in mine} == {"on_time"}
    assert {e["received_at"] for e in mine} == {"2021-06-15T11:00:00"}


def test_blocking_error_makes_the_entry_invalid_and_the_receipt_names_the_cell(ws: Workspace, tmp_path: Path):
    source = fill(ws, "区科技局", tmp_path / "a.xlsx", {2: {"完成状态": "差不多吧", "进展情况": "写了"}})
    drop(ws, source, "区科技局.xlsx")
    collect(ws, "2021-06-14T10:00")
    states = {(e["task"], e["role"]): e["state"] for e in entries_of(status_json(ws, "2021-06-14T10:00"), "区科技局")}
    assert states[(2, "co")] == "invalid"
    assert states[(6, "co")] == "on_time"

    # Where the bad status was typed, found independently of excelflow.
    book = openpyxl.load_workbook(source)
    [cell] = [c.coordinate for s in book.worksheets for row in s.iter_rows() for c in row if c.value == "差不多吧"]
    [text] = list(ws.receipts_dir(ROUND).glob("回执-区科技局-*.txt"))
    receipt = text.read_text(encoding="utf-8")
    assert f"单元格 {cell}" in receipt and "差不多吧" in receipt and "第2项(协办):无效" in receipt
    xlsx = text.with_suffix(".xlsx")
    sheet = workbook_values(xlsx)["回执"]
    assert any("差不多吧" in str(v) for row in sheet for v in row)


def test_rollup_lists_each_co_unit_under_the_lead_row(ws: Workspace, tmp_path: Path):
    drop(ws, fill(ws, "上饶高新区", tmp_path / "a.xlsx", {1: {"完成状态": "已完成", "完成进度(%)": 100,
                                                              "进展情况": "高新区链长制已覆盖全部企业。"}}), "高新区.xlsx")
    collect(ws, "2021-06-16T09:00")
    register = load_register(ws.register_path)
    rows = workbook_values(ws.rollup_file(ROUND, "区工信局"))["牵头汇总"]
    header = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    columns = {h: i for i, h in enumerate(rows[header])}
    for name in ("序号", "完成状态", "完成进度(%)", "进展情况", "存在问题", "下步打算", "备注"):
        assert name in columns
    body = rows[header + 1:]
    numbered = [int(float(r[0])) for r in body if str(r[0]).strip() and "续" not in str(r[0])]
    led = [t.id for t in register.tasks if "区工信局" in register.lead_units(t)]
    assert numbered == led
    # Task 1's block: its co-units in register order, 序号 empty, 上饶高新区's report shown.
    start = next(i for i, r in enumerate(body) if str(r[0]).strip() == "1.0" or r[0] == 1.0)
    block = body[start + 1: start + 1 + len(register.co_units(register.task(1)))]
    assert [r[columns["单位"]] for r in block] == list(register.co_units(register.task(1)))
    # 序号 empty, except on a row that continues the task on a new page: `1(续)`, no task id
    assert all(str(r[0]).strip() in ("", "1(续)") for r in block)
    gx = next(r for r in block if r[columns["单位"]] == "上饶高新区")
    assert (gx[columns["报送情况"]], gx[columns["完成状态"]], gx[columns["进展情况"]]) == \
        ("逾期1天", "已完成", "高新区链长制已覆盖全部企业。")
    silent = next(r for r in block if r[columns["单位"]] == "永丰街道")
    assert silent[columns["报送情况"]] == "未报"


def test_filled_rollup_returned_counts_as_the_lead_report(ws: Workspace, tmp_path: Path):
    collect(ws, "2021-06-16T09:00")  # writes the rollups
    rollup = ws.rollup_file(ROUND, "区工信局")
    filled = fill(ws, "区工信局", tmp_path / "汇总.xlsx", source=rollup, status="滞后", text="综合各协办单位情况:推进偏慢。")
    drop(ws, filled, "工信局/牵头汇总.xlsx")
    collect(ws, "2021-06-26T10:00")
    mine = entries_of(status_json(ws, "2021-06-27T00:00"), "区工信局")
    lead = [e for e in mine if e["role"] == "lead"]
    assert lead and all((e["state"], e["status"]) == ("late", "滞后") for e in lead)
    assert {e["state"] for e in mine if e["role"] == "co"} == {"missing"}  # a rollup holds no co rows


def test_resubmission_takes_content_from_latest_and_timeliness_from_first(ws: Workspace, tmp_path: Path):
    drop(ws, fill(ws, "区科技局", tmp_path / "v1.xlsx", status="序时推进"), "区科技局.xlsx")
    collect(ws, "2021-06-14T10:00")
    drop(ws, fill(ws, "区科技局", tmp_path / "v2.xlsx", status="已完成", progress=100), "区科技局.xlsx")  # overwritten
    collect(ws, "2021-06-18T10:00")
    mine = entries_of(status_json(ws, "2021-06-30T00:00"), "区科技局")
    co = [e for e in mine if e["role"] == "co"]
    assert {(e["state"], e["status"], e["received_at"]) for e in co} == {("on_time", "已完成", "2021-06-14T10:00:00")}
    assert len([p for p in tree_digest(ws.archive) if p.endswith(".xlsx")]) == 2
    assert len(list(ws.receipts_dir(ROUND).glob("回执-区科技局-*.xlsx"))) == 2


@pytest.mark.parametrize(("now", "said"), [("2021-06-15T23:59", "按时"), ("2021-06-16T00:01", "逾期1天"),
                                            ("2021-06-18T09:00", "逾期3天")])
def test_receipt_says_on_time_or_days_late_as_the_ledger_judges_the_entry(ws: Workspace, tmp_path: Path, now: str,
                                                                          said: str):
    # 区科技局 co-hosts; the co-unit deadline is 2021-06-15 (the whole day counts).
    drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx"), "区科技局.xlsx")
    collect(ws, now)
    co = [e for e in entries_of(status_json(ws, now), "区科技局") if e["role"] == "co"]
    [text] = list(ws.receipts_dir(ROUND).glob("回执-区科技局-*.txt"))
    receipt = text.read_text(encoding="utf-8")
    lines = [line for line in receipt.splitlines() if line.strip().startswith("第") and "(协办)" in line]
    assert lines and len(lines) == len(co)
    assert all(f"、{said})" in line for line in lines), lines


def test_receipt_of_a_late_correction_keeps_the_first_versions_timeliness(ws: Workspace, tmp_path: Path):
    drop(ws, fill(ws, "区科技局", tmp_path / "v1.xlsx", status="序时推进"), "区科技局.xlsx")
    collect(ws, "2021-06-14T10:00")
    drop(ws, fill(ws, "区科技局", tmp_path / "v2.xlsx", status="已完成", progress=100), "区科技局(更正).xlsx")
    collect(ws, "2021-06-18T10:00")
    [late] = list(ws.receipts_dir(ROUND).glob("回执-区科技局-20210618-*.txt"))
    body = [line for line in late.read_text(encoding="utf-8").splitlines() if "(协办)" in line]
    assert body and all("按时" in line and "逾期" not in line for line in body)


def test_same_bytes_under_two_names_count_once(ws: Workspace, tmp_path: Path):
    source = fill(ws, "区科技局", tmp_path / "a.xlsx")
    drop(ws, source, "区科技局.xlsx")
    collect(ws, "2021-06-14T10:00")
    drop(ws, source, "转发/区科技局(转发).xlsx")
    again = collect(ws, "2021-06-16T10:00")
    assert "与已收文件内容相同 1 份" in again.output
    assert len([p for p in tree_digest(ws.archive) if p.endswith(".xlsx")]) == 1
    assert {e["received_at"] for e in entries_of(status_json(ws, "2021-06-30T00:00"), "区科技局")} == {"2021-06-14T10:00:00"}


def test_unidentifiable_file_is_listed_with_its_reason(ws: Workspace):
    book = openpyxl.Workbook()
    book.active.append(["姓名", "电话"])
    book.active.append(["张三", "123"])
    book.save(ws.inbox / "新建 Microsoft Excel 工作表.xlsx")
    out = collect(ws, "2021-06-14T10:00").output
    assert "未能识别的文件(1 份" in out
    line = next(line for line in out.splitlines() if "新建 Microsoft Excel 工作表.xlsx" in line)
    assert "填报单位" in line or "无法识别" in line or "找不到" in line


def test_return_for_another_round_is_filed_under_its_own_round(ws: Workspace, tmp_path: Path):
    register = load_register(ws.register_path)
    generate_round(ws, register, "2021-FY", now=datetime(2021, 12, 1))
    drop(ws, fill(ws, "区科技局", tmp_path / "fy.xlsx", source=ws.template_file("2021-FY", "区科技局")), "fy.xlsx")
    drop(ws, fill(ws, "区科技局", tmp_path / "h1.xlsx"), "h1.xlsx")
    out = collect(ws, "2021-06-14T10:00", "--round", ROUND).output
    assert "另有 1 份属于轮次 2021-FY" in out
    fy = entries_of(status_json(ws, "2021-12-31T00:00", "2021-FY"), "区科技局")
    assert {e["state"] for e in fy} == {"on_time"}
    assert list(ws.receipts_dir("2021-FY").glob("回执-区科技局-*.xlsx"))
    assert json.loads((ws.round_dir("2021-FY") / "状态.json").read_text(encoding="utf-8"))["round"] == "2021-FY"


def test_register_edit_is_seen_by_the_next_pass(ws: Workspace, tmp_path: Path):
    drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx"), "区科技局.xlsx")
    collect(ws, "2021-06-14T10:00")
    register = load_register(ws.register_path)
    earlier = tuple(replace(r, co_deadline=date(2021, 6, 10)) if r.id == ROUND else r for r in register.rounds)
    write_register(ws.register_path, replace(register, rounds=earlier))
    out = collect(ws, "2021-06-20T10:00").output
    assert "没有新的报送" not in out
    co = [e for e in entries_of(status_json(ws, "2021-06-20T10:00"), "区科技局") if e["role"] == "co"]
    assert {e["state"] for e in co} == {"late"}


def test_summary_counts_per_unit_and_names_unchosen_relevant_tasks(ws: Workspace, tmp_path: Path):
    drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx"), "区科技局.xlsx")
    out = collect(ws, "2021-06-16T10:00").output
    register = load_register(ws.register_path)
    unchosen = "、".join(str(t.id) for t in register.unchosen_relevant())
    assert f"任务 {unchosen} 的「相关乡镇(街道)」尚未" in out
    expected = len(register.entries_of("区科技局"))
    co = sum(1 for e in register.entries_of("区科技局") if e.role == "co")
    row = next(line for line in out.splitlines() if line.startswith("区科技局"))
    assert row.split()[1:] == [str(expected), str(expected - co), str(co), "0", "0", "0"]


def test_status_json_prints_exactly_the_contract_and_check_exits_3_on_gaps(ws: Workspace, tmp_path: Path):
    drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx"), "区科技局.xlsx")
    collect(ws, "2021-06-14T10:00")
    data = status_json(ws, "2021-06-14T12:00")
    assert set(data) == {"round", "as_of", "entries"}
    assert (data["round"], data["as_of"]) == (ROUND, "2021-06-14T12:00:00")
    register = load_register(ws.register_path)
    assert [(e["task"], e["unit"], e["role"]) for e in data["entries"]] == \
        [(e.task_id, e.unit, e.role) for e in register.expected_entries()]
    assert all(set(e) == {"task", "unit", "role", "state", "received_at", "status"} for e in data["entries"])
    # Before the co-unit deadline nothing is due yet; the day after, the silent co-units are gaps.
    before = run_cli("status", "--root", str(ws.root), "--round", ROUND, "--json", "--check", "--now", "2021-06-14T12:00")
    assert before.exit_code == 0
    checked = run_cli("status", "--root", str(ws.root), "--round", ROUND, "--json", "--check", "--now", "2021-06-16T12:00")
    assert checked.exit_code == 3


def test_check_exits_0_when_every_entry_is_in_on_time(tmp_path: Path):
    """A two-task register, every unit returns on time: `collect --check` and `status --check` pass."""
    from excelflow.register.model import Register, Task, Unit

    ws = Workspace(tmp_path / "小")
    for folder in (ws.workbooks, ws.inbox, ws.outbox):
        folder.mkdir(parents=True)
    register = Register("测试", (Unit("区工信局"), Unit("区科技局")),
                        (Task(1, "一、工业", None, "产业链", ("区工信局",), ("区科技局",)),),
                        (Round(ROUND, "半年", date(2021, 6, 15), date(2021, 6, 25)),))
    write_register(ws.register_path, register)
    from excelflow.register.campaign import SHIPPED_TEMPLATE

    ws.template_path.write_bytes(SHIPPED_TEMPLATE.read_bytes())
    generate_round(ws, load_register(ws.register_path), ROUND, now=datetime(2021, 6, 1))
    for unit in ("区工信局", "区科技局"):
        drop(ws, fill(ws, unit, tmp_path / f"{unit}.xlsx"), f"{unit}.xlsx")
    result = run_cli("collect", "--root", str(ws.root), "--now", "2021-06-15T10:00", "--check")
    assert result.exit_code == 0, result.output
    assert run_cli("status", "--root", str(ws.root), "--check", "--now", "2021-06-15T10:00").exit_code == 0


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2021, 6, 1), "2021-H1"),
    (datetime(2021, 6, 28), "2021-H1"),     # chasing late H1 returns
    (datetime(2021, 9, 24), "2021-H1"),     # still nearer the H1 deadline
    (datetime(2021, 9, 26), "2021-FY"),     # past the midpoint
    (datetime(2022, 3, 1), "2021-FY"),
    (datetime(2021, 1, 5), "2021-H1"),
])
def test_round_without_flag_is_the_one_whose_lead_deadline_is_nearest(now: datetime, expected: str):
    from excelflow.register.model import Register

    rounds = (Round("2021-H1", "半年", date(2021, 6, 15), date(2021, 6, 25)),
              Round("2021-FY", "全年", date(2021, 12, 15), date(2021, 12, 25)))
    assert nearest_round(Register("t", (), (), rounds), now).id == expected


def test_unknown_round_is_an_error_naming_the_known_ones(ws: Workspace):
    result = run_cli("collect", "--root", str(ws.root), "--round", "2022-H1", "--now", "2021-06-14T10:00")
    assert result.exit_code == 1
    assert "2022-H1" in result.output and "2021-H1" in result.output


def test_status_without_json_shows_unit_counts_and_the_last_pass(ws: Workspace, tmp_path: Path):
    drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx"), "区科技局.xlsx")
    collect(ws, "2021-06-16T10:00")
    result = run_cli("status", "--root", str(ws.root), "--now", "2021-06-17T10:00")
    assert result.exit_code == 0, result.output
    assert "2021年上半年(2021-H1),截至 2021年6月17日 10:00" in result.output
    row = next(line for line in result.output.splitlines() if line.startswith("区科技局"))
    assert row.split()[1] == "5"
    assert "上次成功收集" in result.output


def test_pass_with_nothing_new_reports_what_a_full_recomputation_gives(ws: Workspace, tmp_path: Path):
    from excelflow.runs.collect import run_pass
    from excelflow.runs.status import status_states

    drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx", {2: {"完成状态": "差不多吧", "进展情况": "写了"}}), "a.xlsx")
    drop(ws, fill(ws, "永丰街道", tmp_path / "b.xlsx", {1: {"完成状态": None, "进展情况": None}}), "b.xlsx")
    other = openpyxl.Workbook()
    other.active.append(["随便", "一张表"])
    other.save(ws.inbox / "未知.xlsx")
    collect(ws, "2021-06-14T10:00")

    quick = run_pass(ws, round_id=None, now=datetime(2021, 6, 14, 18, 0))
    assert not quick.rendered and quick.new == []
    expected = status_states(ws, ROUND, datetime(2021, 6, 14, 18, 0))[1]
    assert [_outline(o) for o in quick.outlines()] == [_outline(s) for s in expected]  # what the summary reads
    assert quick.states == expected
    assert [s.path for s in quick.unidentified] == ["未知.xlsx"]
    assert {s.state for s in quick.states} >= {"on_time", "invalid", "incomplete", "missing"}

    # Back-dated before the receipts: the snapshot does not apply, the states are recomputed.
    earlier = run_pass(ws, round_id=None, now=datetime(2021, 6, 14, 9, 0))
    assert {s.state for s in earlier.states} == {"missing"}


def test_a_pass_with_nothing_new_says_its_summary_and_checks_without_building_the_states(
        ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The summary and `--check` read the snapshot's outlines; the states (their contents and
    sources, two thirds of a snapshot) are built only if something reads them."""
    from excelflow.runs import snapshot as snapshot_module

    drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx", {2: {"完成状态": "差不多吧", "进展情况": "写了"}}), "a.xlsx")
    full = run_cli("collect", "--root", str(ws.root), "--now", "2021-06-14T10:00", "--check")
    built: list[int] = []
    real = snapshot_module._states
    monkeypatch.setattr(snapshot_module, "_states", lambda *a: built.append(1) or real(*a))
    quick = run_cli("collect", "--root", str(ws.root), "--now", "2021-06-14T10:30", "--check")
    assert "没有新的报送" in quick.output
    assert built == []
    assert quick.exit_code == full.exit_code == 3  # gaps either way: 区科技局's invalid entry
    table = [line for line in quick.output.splitlines() if line.startswith(("区科技局", "合计", "报送率"))]
    assert table == [line for line in full.output.splitlines() if line.startswith(("区科技局", "合计", "报送率"))]


def _outline(s: Any) -> tuple[Any, ...]:
    return s.task_id, s.unit, s.role, s.state, s.received_at, s.days_late, s.deadline, s.problems


@pytest.fixture(scope="module")
def one_collected(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example with 区科技局's return collected on 2021-06-14 at 10:00 (collected once, copied
    by each test: the copy keeps the files' times, so its snapshot still answers)."""
    folder = tmp_path_factory.mktemp("collected")
    ws = fresh_workspace(pristine, folder / "共享盘 督查室")
    drop(ws, fill(ws, "区科技局", folder / "a.xlsx"), "a.xlsx")
    collect(ws, "2021-06-14T10:00")
    return ws.root


def _collected_snapshot(one_collected: Path, tmp_path: Path) -> tuple[Workspace, Path, dict[str, Any]]:
    """A copy of `one_collected`: its workspace, the round's snapshot file and what it holds."""
    ws = fresh_workspace(one_collected, tmp_path / "共享盘 督查室")
    [path] = (ws.root / ".excelflow" / "snapshots").glob("*.json")
    return ws, path, json.loads(path.read_text(encoding="utf-8"))


def _snapshot_answers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What `from_snapshot` answers in each pass from now on (None: the pass recomputed)."""
    from excelflow.runs import collect as collect_module

    answered: list[Any] = []
    real_from_snapshot = collect_module.from_snapshot

    def from_snapshot(*args: Any, **kwargs: Any) -> Any:
        answered.append(real_from_snapshot(*args, **kwargs))
        return answered[-1]

    monkeypatch.setattr(collect_module, "from_snapshot", from_snapshot)
    return answered


@pytest.mark.parametrize("damage", [
    lambda outline: outline.pop(),  # a value missing
    lambda outline: outline.append(0),  # a value more than an outline has
    lambda outline: outline.__setitem__(7, None),  # problems not a list
    lambda outline: outline.__setitem__(7, [{"多余": 1}]),  # a problem with a field no Problem has
    lambda outline: outline.__setitem__(4, "昨天"),  # not a time
], ids=["short", "long", "problems-none", "problem-field", "time"])
def test_a_snapshot_with_a_damaged_outline_is_not_used_and_the_pass_recomputes(one_collected: Path, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch, damage):
    from excelflow.runs.collect import run_pass
    from excelflow.runs.snapshot import STATE_OUTLINES
    from excelflow.runs.status import status_states

    ws, path, saved = _collected_snapshot(one_collected, tmp_path)
    received = next(s for s in saved["snapshot"][STATE_OUTLINES] if s[4])
    damage(received)
    path.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")

    answered = _snapshot_answers(monkeypatch)
    again = run_pass(ws, round_id=None, now=datetime(2021, 6, 14, 18, 0))
    assert answered == [None]  # not from the snapshot
    assert again.states == status_states(ws, ROUND, datetime(2021, 6, 14, 18, 0))[1]
    assert any(s.state == "on_time" for s in again.states)


@pytest.mark.parametrize("output", [
    lambda ws: ws.rollup_file(ROUND, "区工信局"),
    lambda ws: next(ws.receipts_dir(ROUND).glob("回执-区科技局-*.txt")),
    lambda ws: ws.state_file(ROUND),
], ids=["rollup", "receipt", "state-file"])
def test_an_output_deleted_since_the_last_pass_is_drawn_again_by_a_pass_with_nothing_new(
        one_collected: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output):
    from excelflow.runs.collect import run_pass

    ws, _, _ = _collected_snapshot(one_collected, tmp_path)
    path = output(ws)
    path.unlink()
    answered = _snapshot_answers(monkeypatch)
    run_pass(ws, round_id=None, now=datetime(2021, 6, 14, 18, 0))
    assert answered == [None]  # not from the snapshot
    assert path.exists()


def test_a_snapshot_in_an_earlier_layout_is_recomputed_once_then_answers(one_collected: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    """Snapshots written before outlines held each state whole under "state_rows" (or, earlier,
    "states"): the first pass after recomputes and rewrites the snapshot, the next one answers."""
    from excelflow.runs.collect import run_pass
    from excelflow.runs.snapshot import STATE_OUTLINES
    from excelflow.runs.status import status_states

    ws, path, saved = _collected_snapshot(one_collected, tmp_path)
    saved["snapshot"]["state_rows"] = saved["snapshot"].pop(STATE_OUTLINES)  # under another name, as before
    path.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")

    answered = _snapshot_answers(monkeypatch)
    first = run_pass(ws, round_id=None, now=datetime(2021, 6, 14, 18, 0))
    second = run_pass(ws, round_id=None, now=datetime(2021, 6, 14, 18, 5))
    assert answered[0] is None and answered[1] is not None
    assert first.states == second.states == status_states(ws, ROUND, datetime(2021, 6, 14, 18, 0))[1]


def test_load_reported_gives_the_latest_complete_content_of_a_past_round(ws: Workspace, tmp_path: Path):
    from excelflow.reports.ledger import load_reported

    drop(ws, fill(ws, "区科技局", tmp_path / "v1.xlsx", status="序时推进"), "v1.xlsx")
    collect(ws, "2021-06-14T10:00")
    drop(ws, fill(ws, "区科技局", tmp_path / "v2.xlsx", {6: {"完成状态": "已完成", "完成进度(%)": 100,
                                                              "进展情况": "已全面完成。"}}), "v2.xlsx")
    collect(ws, "2021-06-15T10:00")
    reported = load_reported(ws, ROUND)
    assert reported[(6, "区科技局", "co")].status == "已完成"
    assert reported[(6, "区科技局", "co")].progress_text == "已全面完成。"
    assert reported[(2, "区科技局", "co")].status == "序时推进"
    assert {unit for (_, unit, _) in reported} == {"区科技局"}
    assert load_reported(ws, "2021-FY") == {}


def test_file_incomplete_and_unchanged_for_a_day_is_taken_in_as_damaged(ws: Workspace, tmp_path: Path):
    full = fill(ws, "区科技局", tmp_path / "a.xlsx").read_bytes()
    (ws.inbox / "区科技局.xlsx").write_bytes(full[: len(full) // 2])
    assert "待重试 1 份" in collect(ws, "2021-06-14T10:00").output
    assert "待重试 1 份" in collect(ws, "2021-06-14T20:00").output  # still within the day: arriving
    out = collect(ws, "2021-06-15T10:30").output
    assert "待重试" not in out
    line = next(line for line in out.splitlines() if "inbox/区科技局.xlsx" in line)
    assert "损坏" in line
    assert [p for p in tree_digest(ws.archive) if p.endswith(".xlsx")]  # kept, like every return
    assert {e["state"] for e in entries_of(status_json(ws, "2021-06-15T11:00"), "区科技局")} == {"missing"}


def test_lead_units_whose_file_names_collide_get_a_rollup_each(tmp_path: Path):
    from python_calamine import CalamineWorkbook

    from excelflow.forms.identity import IDENTITY_SHEET, read_identity
    from excelflow.register.model import Register, Task, Unit

    ws = Workspace(tmp_path / "撞名")
    for folder in (ws.workbooks, ws.inbox, ws.outbox):
        folder.mkdir(parents=True)
    units = (Unit("区城投/集团"), Unit("区城投_集团"))
    write_register(ws.register_path, Register("测试", units, (
        Task(1, "一、测试", None, "任务一。", ("区城投/集团",)), Task(2, "一、测试", None, "任务二。", ("区城投_集团",))),
        (Round(ROUND, "半年", date(2021, 6, 15), date(2021, 6, 25)),)))
    collect(ws, "2021-06-14T09:00", "--round", ROUND)  # no workbooks generated here: the round is named
    rollups = sorted(ws.rollups_dir(ROUND).glob("*.xlsx"))
    owners = [read_identity(CalamineWorkbook.from_path(str(p)).get_sheet_by_name(IDENTITY_SHEET).to_python()).unit
              for p in rollups]
    assert sorted(owners) == ["区城投/集团", "区城投_集团"]
    assert all(p.stem.startswith("区城投_集团-") for p in rollups)


@pytest.mark.parametrize(("rows", "now", "first_line", "settled"), [
    ({}, "2021-06-14T10:00", "全部收到,无需操作", True),
    ({}, "2021-06-18T09:00", "逾期3天,已收(3项逾期)", True),  # its 3 co entries; its lead ones are not due yet
    ({2: {"完成状态": "差不多吧", "进展情况": "写了"}}, "2021-06-14T10:00", "第2项无效,请改正后重报", False),
    ({2: {"完成状态": None, "进展情况": None}}, "2021-06-14T10:00", "第2项不完整,请补填后重报", False),
])
def test_receipt_leads_with_what_the_unit_must_do(ws: Workspace, tmp_path: Path, rows: dict, now: str,
                                                 first_line: str, settled: bool):
    drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx", rows), "区科技局.xlsx")
    collect(ws, now)
    [text] = list(ws.receipts_dir(ROUND).glob("回执-区科技局-*.txt"))
    assert text.read_text(encoding="utf-8").splitlines()[0] == first_line
    assert workbook_values(text.with_suffix(".xlsx"))["回执"][0][0] == first_line
    # Nothing left to do is green, anything to do red (a late but accepted return is settled).
    fill_colour = openpyxl.load_workbook(text.with_suffix(".xlsx"))["回执"]["A1"].fill.fgColor.rgb
    assert fill_colour.endswith("E2EFDA" if settled else "FFE0E0")


def test_a_receipt_asks_for_the_entries_a_return_left_out(ws: Workspace, tmp_path: Path):
    """A row deleted from the form: the receipt's first line names that task as owed, and only it."""
    from python_calamine import CalamineWorkbook

    from excelflow.forms.identity import IDENTITY_SHEET, read_identity

    source = ws.template_file(ROUND, "区科技局")
    identity = read_identity(CalamineWorkbook.from_path(str(source)).get_sheet_by_name(IDENTITY_SHEET).to_python())
    gone = identity.rows[-1]  # the last entry row of its sheet: deleting it moves no other row
    filled = fill(ws, "区科技局", tmp_path / "a.xlsx")
    book = openpyxl.load_workbook(filled)
    book[gone.sheet].delete_rows(gone.row)
    book.save(filled)
    drop(ws, filled, "区科技局.xlsx")
    collect(ws, "2021-06-14T10:00")
    [text] = list(ws.receipts_dir(ROUND).glob("回执-区科技局-*.txt"))
    assert text.read_text(encoding="utf-8").splitlines()[0] == f"第{gone.task_id}项未报,请补报"


def test_a_rollup_row_that_starts_a_printed_page_names_the_task_it_continues(ws: Workspace):
    import re
    import zipfile

    collect(ws, "2021-06-16T09:00")  # nothing returned: each of 区工信局's tasks lists its co-units
    path = ws.rollup_file(ROUND, "区工信局")
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    starts = [int(n) for n in re.findall(r'<brk id="(\d+)"', xml)]  # 0-based rows that begin a page
    assert starts
    rows = workbook_values(path)["牵头汇总"]
    continued = 0
    for r in starts:
        number, task = rows[r][0], rows[r][1]
        if isinstance(number, float):
            continue  # the page begins with a task's own row
        task_id = int(str(number).split("(")[0])
        assert number == f"{task_id}(续)" and str(task).startswith(f"(续)第{task_id}项"), (number, task)
        lead_row = max(i for i in range(r) if rows[i][0] == float(task_id))
        assert all(rows[i][0] in ("", f"{task_id}(续)") for i in range(lead_row + 1, r + 1))
        continued += 1
    assert continued  # task 1's 24 co-units run over a page


def test_a_pass_drawn_in_worker_processes_writes_the_bytes_of_a_single_process_pass(ws: Workspace, tmp_path: Path,
                                                                                    monkeypatch: pytest.MonkeyPatch):
    from excelflow.runs import round_outputs
    from excelflow.runs.collect import run_pass

    monkeypatch.setattr(round_outputs, "WORKERS_FROM", 1)  # a city's many outputs, with a district's few
    units = ("区科技局", "上饶高新区", "区工信局", "永丰街道", "芦林街道", "区商务局", "区财政局", "区发改委")
    for i, unit in enumerate(units):
        drop(ws, fill(ws, unit, tmp_path / f"{unit}.xlsx", status=("序时推进", "已完成", "滞后")[i % 3]), f"{unit}.xlsx")
    single = Workspace(tmp_path / "一个进程")
    shutil.copytree(ws.root, single.root)
    now = datetime(2021, 6, 16, 9, 30)
    parallel_report = run_pass(ws, round_id=ROUND, now=now, workers=2)  # parses and draws in two workers
    single_report = run_pass(single, round_id=ROUND, now=now, workers=1)  # draws in this process
    assert len(parallel_report.new) == len(single_report.new) == len(units)
    drawn = [p for p in tree_digest(ws.outbox / ROUND) if p.startswith(("rollups/", "receipts/"))]
    assert len(drawn) == len(units) * 2 + len(load_register(ws.register_path).leads_in_task_order())
    for folder in (ws.outbox / ROUND, ws.archive):
        twin = single.root / folder.relative_to(ws.root)
        ours = {p: h for p, h in tree_digest(folder).items() if not p.endswith(".docx")}  # python-docx stamps the time
        assert ours == {p: h for p, h in tree_digest(twin).items() if not p.endswith(".docx")}


def test_a_failure_while_the_outputs_are_handed_to_the_workers_ends_the_pass_with_it_and_no_worker_left(
        ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """This thread makes the drawing jobs while the workers already draw the first: a job that
    cannot be made (a fault of excelflow) is the pass's error, and the workers still end."""
    from excelflow.runs import round_outputs
    from excelflow.runs.collect import run_pass

    monkeypatch.setattr(round_outputs, "WORKERS_FROM", 1)
    units = ("区科技局", "上饶高新区", "区工信局")
    for unit in units:
        drop(ws, fill(ws, unit, tmp_path / f"{unit}.xlsx"), f"{unit}.xlsx")
    made = []
    real = round_outputs.make_receipt

    def fails_third(*args, **kwargs):
        made.append(1)
        if len(made) == 3:
            raise RuntimeError("回执无法生成")
        return real(*args, **kwargs)

    monkeypatch.setattr(round_outputs, "make_receipt", fails_third)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="回执无法生成"):
        run_pass(ws, round_id=ROUND, now=datetime(2021, 6, 16, 9, 30), workers=2)
    assert time.monotonic() - started < 20  # not held by a feeder waiting for jobs that never come
    if sys.platform.startswith("linux"):  # this process's children, as Linux lists them
        children = " ".join(p.read_text() for p in Path("/proc/self/task").glob("*/children")).split()
        assert not [pid for pid in children if b"parse_worker" in _cmdline(pid)]


def test_a_pass_collects_garbage_less_often_and_gives_back_pythons_setting(
        ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A pass keeps most of what it builds to its end: the cyclic collector runs every
    `YOUNG_COLLECTION_EVERY` new objects during it (a full pass, and one with nothing new), and as
    Python set it before and after (a `watch` process sleeps between passes), whether the pass
    ends well or not."""
    import gc

    from excelflow.runs import collect as collect_module
    from excelflow.runs import round_outputs
    from excelflow.runs.collect import run_pass

    drop(ws, fill(ws, "区科技局", tmp_path / "a.xlsx"), "区科技局.xlsx")
    before = gc.get_threshold()
    assert before[0] < collect_module.YOUNG_COLLECTION_EVERY  # Python's own: 700
    during: list[tuple[int, ...]] = []
    run_pass(ws, round_id=ROUND, now=datetime(2021, 6, 16, 9, 30), workers=1,
             progress=lambda done, total: during.append(gc.get_threshold()))
    assert during == [(collect_module.YOUNG_COLLECTION_EVERY, *before[1:])]
    assert gc.get_threshold() == before

    real_from_snapshot = collect_module.from_snapshot

    def from_snapshot(*args: Any, **kwargs: Any) -> Any:
        during.append(gc.get_threshold())
        return real_from_snapshot(*args, **kwargs)

    monkeypatch.setattr(collect_module, "from_snapshot", from_snapshot)
    again = run_pass(ws, round_id=ROUND, now=datetime(2021, 6, 16, 9, 45), workers=1)
    assert not again.rendered and during[1:] == [(collect_module.YOUNG_COLLECTION_EVERY, *before[1:])]
    assert gc.get_threshold() == before

    drop(ws, fill(ws, "上饶高新区", tmp_path / "b.xlsx"), "上饶高新区.xlsx")

    def fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("回执无法生成")

    monkeypatch.setattr(round_outputs, "make_receipt", fails)
    with pytest.raises(RuntimeError, match="回执无法生成"):
        run_pass(ws, round_id=ROUND, now=datetime(2021, 6, 16, 10, 30), workers=1)
    assert gc.get_threshold() == before


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""  # ended meanwhile


def test_a_pass_with_many_new_files_adopts_the_workers_started_before_its_register_loads(
        ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from excelflow.runs import collect as collect_module
    from excelflow.runs.collect import run_pass, start_pass

    monkeypatch.setattr(collect_module, "EARLY_FROM", 4)  # a city's many new files, with a district's few
    units = ("区科技局", "上饶高新区", "区工信局", "永丰街道", "芦林街道")
    assert start_pass(ws, workers=2).early is None  # nothing in the inbox
    for unit in units[:3]:
        drop(ws, fill(ws, unit, tmp_path / f"{unit}.xlsx"), f"{unit}.xlsx")
    assert start_pass(ws, workers=2).early is None  # three new files: the pool starts its workers when needed
    for unit in units[3:]:
        drop(ws, fill(ws, unit, tmp_path / f"{unit}.xlsx"), f"{unit}.xlsx")
    assert start_pass(ws, workers=1).early is None  # one worker: nothing to overlap with this process
    twin = Workspace(tmp_path / "不提前启动")
    shutil.copytree(ws.root, twin.root)
    now = datetime(2021, 6, 16, 9, 30)
    with start_pass(ws, workers=2) as start:
        assert start.early is not None
        report = run_pass(ws, round_id=ROUND, now=now, workers=2, start=start)
    assert start.early.adopted == 2 and len(report.new) == len(units)
    run_pass(twin, round_id=ROUND, now=now, workers=2)
    for folder in (ws.outbox / ROUND, ws.archive):
        ours = {p: h for p, h in tree_digest(folder).items() if not p.endswith(".docx")}  # python-docx stamps the time
        assert ours == {p: h for p, h in tree_digest(twin.root / folder.relative_to(ws.root)).items()
                        if not p.endswith(".docx")}
    assert start_pass(ws, workers=2).early is None  # all seen by the pass that saved the cache since


def test_a_pass_takes_the_inbox_as_scanned_before_the_lock_unless_told_it_changed(ws: Workspace, tmp_path: Path):
    from excelflow.runs.collect import run_pass, start_pass

    drop(ws, fill(ws, "区科技局", tmp_path / "区科技局.xlsx"), "区科技局.xlsx")
    start = start_pass(ws)
    drop(ws, fill(ws, "区工信局", tmp_path / "区工信局.xlsx"), "区工信局.xlsx")  # arrives after the scan
    now = datetime(2021, 6, 16, 9, 30)
    assert [s.unit for s in run_pass(ws, round_id=ROUND, now=now, start=start).new] == ["区科技局"]
    assert [s.unit for s in run_pass(ws, round_id=ROUND, now=now).new] == ["区工信局"]  # taken by the next pass
    drop(ws, fill(ws, "永丰街道", tmp_path / "永丰街道.xlsx"), "永丰街道.xlsx")
    start = start_pass(ws)
    drop(ws, fill(ws, "芦林街道", tmp_path / "芦林街道.xlsx"), "芦林街道.xlsx")  # the mail fetch saved it, say
    start.inbox_changed()
    assert sorted(s.unit for s in run_pass(ws, round_id=ROUND, now=now, start=start).new) == ["永丰街道", "芦林街道"]
