"""The comparison workbook, read back with calamine, against figures the test computes itself."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import compare_scenario as sc
import pytest
from office import convert, requires_office
from python_calamine import CalamineWorkbook

from excelflow.register.model import Milestone
from excelflow.reports.comparison_workbook import write_comparison
from excelflow.workspace import Workspace

NOW_FY = datetime(2021, 12, 28, 9, 30)
VALID = ("on_time", "late")
STATE_LABEL = {"incomplete": "不完整", "invalid": "无效", "missing": "未报"}
WORST = ("未报", "无效", "不完整", "滞后", "未启动", "序时推进", "已完成")  # a task takes its leads' worst
C = "\n（条）"  # the entry columns say they count entries


def sheets(path: Path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def row_starting(rows: list[list], first: str, after: int = 0) -> int:
    for i in range(after, len(rows)):
        if rows[i] and rows[i][0] == first:
            return i
    raise AssertionError(f"no row starting with {first!r}")


def task_numbers(text: str) -> set[int]:
    """Task numbers a reminder names: `第1、5项` → {1, 5}."""
    return {n for group in re.findall(r"第([\d、至]+)项", text) for n in sc.expand(group)}


def label(state) -> str:
    return state.content.status if state.state in VALID else STATE_LABEL[state.state]


def task_label(states) -> str:
    return min((label(s) for s in states), key=WORST.index) if states else "无牵头单位"


def unit_rows(rows: list[list]) -> list[dict]:
    """The 单位对比 sheet's unit rows (group heading rows skipped) as header → value."""
    head = row_starting(rows, "组内名次\n（1为最好）")
    return [dict(zip(rows[head], r)) for r in rows[head + 1:] if isinstance(r[0], float)]


@pytest.fixture
def fy(tmp_path: Path):
    """The FY round of the scenario, with H1 as the previous round and plans for three tasks."""
    milestones = [
        Milestone(1, "2021-FY", "完成产业链图谱", due=date(2021, 12, 31)),
        Milestone(2, "2021-FY", "首位产业企业达到100家", due=date(2021, 11, 30)),
        Milestone(6, "2021-FY", "新增就业岗位2000个"),
    ]
    reg = sc.register(milestones)
    h1 = sc.states(reg, sc.H1, seed=11)
    states = sc.states(reg, sc.FY, seed=12)
    ws = Workspace(tmp_path)
    written = write_comparison(ws, reg, "2021-FY", states, sc.previous_content(h1), NOW_FY)
    return reg, h1, states, ws, written


def test_write_comparison_writes_workbook_reminders_and_draft(fy):
    _, _, _, ws, written = fy
    out = ws.round_dir("2021-FY")
    assert sorted(p.name for p in written) == sorted(
        ["2021-FY-对比通报.xlsx", "2021-FY-催报提醒.txt", "2021-FY-通报.docx"])
    assert all(p.parent == out and p.stat().st_size > 0 for p in written)
    assert ws.comparison_path("2021-FY") in written


def test_overview_link_figures_equal_counts_of_the_states(fy):
    _, _, states, ws, _ = fy
    rows = sheets(ws.comparison_path("2021-FY"))["总览"]
    head = row_starting(rows, "报送环节")
    columns = rows[head]
    for offset, (name, role) in enumerate((("协办单位→牵头单位", "co"), ("牵头单位→督查室", "lead"),
                                           ("两个环节合计", None))):
        row = dict(zip(columns, rows[head + 1 + offset]))
        assert row["报送环节"] == name
        chosen = [s for s in states if role is None or s.role == role]
        count = Counter(s.state for s in chosen)
        received = len(chosen) - count["missing"]
        assert row["应报" + C] == len(chosen)
        assert row["已报" + C] == received
        assert (row["按时" + C], row["逾期" + C], row["不完整" + C], row["无效" + C], row["未报" + C]) == (
            count["on_time"], count["late"], count["incomplete"], count["invalid"], count["missing"])
        assert row["报送率"] == pytest.approx(received / len(chosen))
        assert row["按时率"] == pytest.approx(count["on_time"] / len(chosen))
        if role is not None:
            assert row["报送截止"] == sc.FY.deadline(role)

    units_head = row_starting(rows, "报送环节 / 组别")
    for offset, role in enumerate(("co", "lead", None)):
        values = rows[units_head + 1 + offset][3:7]
        by_unit: dict[str, list] = {}
        for s in states:
            if role is None or s.role == role:
                by_unit.setdefault(s.unit, []).append(s)
        expected = [
            len(by_unit),
            sum(all(s.state != "missing" for s in ss) for ss in by_unit.values()),
            sum(all(s.state == "on_time" for s in ss) for ss in by_unit.values()),
            sum(all(s.state == "missing" for s in ss) for ss in by_unit.values()),
        ]
        assert values == expected
    assert "只计一次" in rows[units_head + 3][0]  # units in both links are counted once in the total


def test_overview_status_distribution_by_chapter_counts_tasks(fy):
    reg, _, states, ws, _ = fy
    rows = sheets(ws.comparison_path("2021-FY"))["总览"]
    head = row_starting(rows, "章节")
    buckets = [b for b in rows[head][4:] if b]
    assert buckets == ["已完成", "序时推进", "滞后", "未启动", "不完整", "无效", "未报"]  # every task has a lead
    leads: dict[int, list] = {}
    for s in states:
        if s.role == "lead":
            leads.setdefault(s.task_id, []).append(s)
    expected: dict[str, Counter] = {}
    for task in reg.tasks:
        chapter = re.sub(r"\(\d+项\)$", "", task.chapter)
        expected.setdefault(chapter, Counter())[task_label(leads.get(task.id, []))] += 1
    seen = {}
    r = head + 1
    while rows[r][0] != "合计":
        seen[rows[r][0]] = rows[r][3:4 + len(buckets)]
        r += 1
    assert set(seen) == set(expected)
    for chapter, values in seen.items():
        assert values[0] == sum(expected[chapter].values())  # tasks in the chapter
        assert values[1:] == [expected[chapter][b] for b in buckets]
    total = sum(expected.values(), Counter())
    assert rows[r][3] == len(reg.tasks)
    assert rows[r][4:4 + len(buckets)] == [total[b] for b in buckets]


def test_task_sheet_shows_one_row_per_task_with_each_lead_inside(fy):
    reg, _, states, ws, _ = fy
    rows = sheets(ws.comparison_path("2021-FY"))["任务进展"]
    head = row_starting(rows, "序号")
    columns = [str(c) for c in rows[head]]
    now_col = next(i for i, c in enumerate(columns) if c.startswith("本轮状态"))
    by_key = {(s.task_id, s.unit, s.role): s for s in states}
    task_rows = [dict(zip(columns, v)) for v in rows[head + 1:] if isinstance(v[0], float)]
    assert [int(r["序号"]) for r in task_rows] == [t.id for t in reg.tasks]
    for row in task_rows:
        task = reg.task(int(row["序号"]))
        leads = [by_key[(task.id, u, "lead")] for u in reg.lead_units(task)]
        assert row["任务内容"] == task.text
        assert row[columns[now_col]] == task_label(leads)
        if len(leads) == 1:
            state = leads[0]
            content = state.content
            assert row["牵头单位"] == state.unit
            assert row["进展情况"] == (content.progress_text if content else "")
            assert row["存在问题"] == (content.problems.strip() if content else "")
            assert row["完成进度\n（%）"] == (content.progress if content else "")
            if state.state == "late":
                assert f"逾期{state.days_late}天报送" in row["提示"]
            if state.state == "missing":
                assert f"逾期{(NOW_FY.date() - sc.FY.lead_deadline).days}天未报" in row["提示"]
        else:  # each lead unit with its own status, in the one row of the task
            assert row["牵头单位"].split("\n") == [f"{s.unit}：{label(s)}" for s in leads]
        co = [by_key[(task.id, u, "co")] for u in reg.co_units(task)]
        valid = sum(s.state in VALID for s in co)
        assert row["协办单位\n有效报送"] == (f"{valid}/{len(co)}" if co else "—")


def test_fy_round_shows_h1_status_beside_fy_status_for_every_task(fy):
    reg, h1, states, ws, _ = fy
    rows = sheets(ws.comparison_path("2021-FY"))["任务进展"]
    head = row_starting(rows, "序号")
    columns = [str(c) for c in rows[head]]
    prev_col = columns.index("上轮状态\n2021年上半年")
    now_col = columns.index("本轮状态\n2021年全年")
    assert prev_col == now_col - 2  # the previous round's status and text stand just before
    h1_by_key = {(s.task_id, s.unit, s.role): s for s in h1}
    fy_by_key = {(s.task_id, s.unit, s.role): s for s in states}
    task_rows = [r for r in rows[head + 1:] if isinstance(r[0], float)]
    assert len(task_rows) == len(reg.tasks)

    def previous(s) -> str:  # what was reported (usable content), else 未报
        return s.content.status if s.content is not None and s.content.status else "未报"

    for r in task_rows:
        task = reg.task(int(r[0]))
        befores = [h1_by_key[(task.id, u, "lead")] for u in reg.lead_units(task)]
        expected_prev = min((previous(b) for b in befores), key=WORST.index)
        assert r[prev_col] == expected_prev
        assert r[now_col] == task_label([fy_by_key[(task.id, u, "lead")] for u in reg.lead_units(task)])
        if len(befores) == 1:
            before, now = befores[0], fy_by_key[(task.id, befores[0].unit, "lead")]
            assert r[prev_col + 1] == (before.content.progress_text if before.content is not None else "")
            # a task whose status got worse since H1 says so; one behind twice says that
            rank = {"已完成": 0, "序时推进": 1, "未启动": 2, "滞后": 3}
            hint = r[columns.index("提示")]
            shown = label(now)
            worse = expected_prev in rank and shown in rank and rank[shown] > rank[expected_prev]
            assert (f"较上轮退步（{expected_prev}→{shown}）" in hint) == worse
            assert ("连续两轮滞后" in hint) == (expected_prev == shown == "滞后")


def test_task_sheet_classes_progress_against_the_plan(fy):
    reg, _, states, ws, _ = fy
    rows = sheets(ws.comparison_path("2021-FY"))["任务进展"]
    head = row_starting(rows, "序号")
    columns = [str(c) for c in rows[head]]
    by_key = {(s.task_id, s.unit, s.role): s for s in states}
    checked = 0
    for values in rows[head + 1:]:
        if not isinstance(values[0], float) or len(reg.lead_units(reg.task(int(values[0])))) != 1:
            continue
        row = dict(zip(columns, values))
        state = by_key[(int(values[0]), row["牵头单位"], "lead")]
        plan = reg.milestone(int(values[0]), "2021-FY")
        if plan is None or state.state not in VALID:
            assert row["对照计划"] == "—"
            continue
        status, due, deadline = state.content.status, plan.due, sc.FY.lead_deadline
        if status == "已完成":
            expected = "超进度" if due is not None and due > deadline else "达进度"
        elif status == "序时推进":
            expected = "欠进度" if due is not None and due <= deadline else "达进度"
        else:
            expected = "欠进度"
        assert row["对照计划"] == expected
        assert row["计划目标\n（落实方案）"].startswith(plan.goal)
        checked += 1
    assert checked  # the scenario has valid lead reports on planned tasks


def test_unit_sheet_counts_rates_rank_and_mark(fy):
    reg, _, states, ws, _ = fy
    table = unit_rows(sheets(ws.comparison_path("2021-FY"))["单位对比"])
    per_unit: dict[str, list] = {}
    for s in states:
        per_unit.setdefault(s.unit, []).append(s)
    assert sorted(r["单位"] for r in table) == sorted(per_unit)
    for row in table:
        ss = per_unit[row["单位"]]
        count = Counter(s.state for s in ss)
        n = len(ss)
        assert row["牵头任务\n（项）"] == sum(s.role == "lead" for s in ss)
        assert row["协办任务\n（项）"] == sum(s.role == "co" for s in ss)
        assert (row["应报" + C], row["按时" + C], row["逾期" + C], row["不完整" + C], row["无效" + C],
                row["未报" + C]) == (n, count["on_time"], count["late"], count["incomplete"], count["invalid"],
                                     count["missing"])
        assert row["报送率"] == pytest.approx((n - count["missing"]) / n)
        assert row["按时率"] == pytest.approx(count["on_time"] / n)
        done = sum(s.state in VALID and s.content.status == "已完成" for s in ss)
        assert row["报告已完成\n（条）"] == done
        days = sum(s.days_late for s in ss if s.state == "late")
        assert row["逾期天数\n合计"] == days
        if count["invalid"] or count["missing"]:  # every deadline of FY has passed on NOW_FY
            mark = "红"
        elif count["late"] or count["incomplete"]:
            mark = "黄"
        else:
            mark = "绿"
        assert row["标识"] == mark
    by_key = {(s.task_id, s.unit, s.role): s for s in states}
    for row in table:  # the remark on late lead units names exactly the co-units late or silent
        named: dict[int, set[str]] = {}
        for part in (x for x in row["需关注的情况"].split("；") if x.startswith("第")):
            ids, co = re.fullmatch(r"第([\d、]+)项牵头逾期\d+天(?:报送|未报)，其协办单位(.+)", part).groups()
            units = {re.sub(r"(逾期\d+天(报送|未报)|报送无效)$", "", x) for x in co.split("、")}
            for i in ids.split("、"):
                named[int(i)] = units
        expected_notes = {}
        for s in per_unit[row["单位"]]:
            if s.role == "lead" and s.state in ("late", "missing"):
                blamed = {c.unit for (t, _, r), c in by_key.items()
                          if t == s.task_id and r == "co" and c.state in ("late", "missing", "invalid")}
                if blamed:
                    expected_notes[s.task_id] = blamed
        assert named == expected_notes, row["单位"]
    assert any("牵头逾期" in row["需关注的情况"] for row in table)  # the draw has late leads with late co-units


def test_chase_list_holds_every_entry_still_owed_with_contact_and_days_overdue(fy):
    reg, _, states, ws, _ = fy
    book = sheets(ws.comparison_path("2021-FY"))
    rows = book["逾期未报"]
    head = row_starting(rows, "序")
    columns = rows[head]
    table = [dict(zip(columns, r)) for r in rows[head + 1:] if isinstance(r[0], float)]
    role_of = {"牵头单位": "lead", "协办单位": "co"}
    owed = {(s.unit, s.task_id, s.role): s for s in states if s.state not in VALID}
    assert {(r["单位"], int(r["任务\n序号"]), role_of[r["身份"]]) for r in table} == set(owed)
    for r in table:
        s = owed[(r["单位"], int(r["任务\n序号"]), role_of[r["身份"]])]
        unit = reg.unit(s.unit)
        assert (r["联系人"], r["电话"]) == (unit.contact, unit.phone)
        assert r["报送截止"] == s.deadline
        overdue = (NOW_FY.date() - s.deadline).days if s.state == "missing" else 0
        assert r["逾期\n天数"] == overdue
        assert reg.task(s.task_id).text.startswith(r["任务内容"].rstrip("…"))
        situation = {"missing": "逾期未报", "incomplete": "内容不完整", "invalid": "无效，需改正重报"}[s.state]
        assert r["情况"].startswith(situation)
        if s.role == "co":
            assert all(lead in r["报送对象"] for lead in reg.lead_units(reg.task(s.task_id)))
    # grouped by unit: each unit's rows are contiguous
    units = [r["单位"] for r in table]
    assert len(list(dict.fromkeys(units))) == len([u for i, u in enumerate(units) if i == 0 or units[i - 1] != u])

    reminders = book["催报提醒"]
    rhead = row_starting(reminders, "序")
    texts = {r[1]: r[4] for r in reminders[rhead + 1:] if isinstance(r[0], float)}
    assert set(texts) == {u for u, _, _ in owed}
    for (unit, task, _), s in owed.items():
        assert task in task_numbers(texts[unit])


def test_chase_list_before_the_deadline_says_not_yet_due(tmp_path: Path):
    reg = sc.register()
    # a draw with both a lead and a co entry missing
    draws = (sc.states(reg, sc.H1, seed=seed) for seed in range(100))
    states = next(ss for ss in draws if {("lead", "missing"), ("co", "missing")} <= {(s.role, s.state) for s in ss})
    ws = Workspace(tmp_path)
    write_comparison(ws, reg, "2021-H1", states, None, datetime(2021, 6, 20, 8))
    book = sheets(ws.comparison_path("2021-H1"))
    rows = book["逾期未报"]
    head = row_starting(rows, "序")
    table = [dict(zip(rows[head], r)) for r in rows[head + 1:] if isinstance(r[0], float)]
    not_yet = "未报（未到截止日）"
    lead_missing = [r for r in table if r["身份"] == "牵头单位" and r["情况"] in ("逾期未报", not_yet)]
    co_missing = [r for r in table if r["身份"] == "协办单位" and r["情况"] in ("逾期未报", not_yet)]
    assert lead_missing and co_missing
    assert all(r["情况"] == not_yet and r["逾期\n天数"] == 0 for r in lead_missing)  # due 6-25
    assert all(r["情况"] == "逾期未报" and r["逾期\n天数"] == 5 for r in co_missing)  # due 6-15
    # H1 has no previous round: no previous-round columns
    head_tasks = book["任务进展"][row_starting(book["任务进展"], "序号")]
    assert not any(str(c).startswith("上轮") for c in head_tasks)


def test_a_second_write_with_nothing_new_rewrites_nothing(fy):
    reg, h1, states, ws, _ = fy
    before = {p: p.read_bytes() for p in ws.round_dir("2021-FY").iterdir()}
    later_same_day = NOW_FY.replace(hour=17)
    assert write_comparison(ws, reg, "2021-FY", states, sc.previous_content(h1), later_same_day) == []
    assert {p: p.read_bytes() for p in ws.round_dir("2021-FY").iterdir()} == before
    # a new day changes days overdue: everything is rewritten
    next_day = NOW_FY.replace(day=29)
    assert len(write_comparison(ws, reg, "2021-FY", states, sc.previous_content(h1), next_day)) == 3


@requires_office
def test_workbook_opens_in_libreoffice_and_prints(fy, tmp_path: Path):
    _, _, _, ws, _ = fy
    pdf = convert([ws.comparison_path("2021-FY")], "pdf", tmp_path / "pdf")[0]
    assert pdf.stat().st_size > 10_000


def test_compare_command_writes_the_outputs_from_the_archive_and_then_nothing(tmp_path: Path):
    from click.testing import CliRunner

    from excelflow.cli import main
    from excelflow.register.campaign import default_register

    root = tmp_path / "督查 工作"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root), "--example"]).exit_code == 0
    args = ["compare", "--round", "2021-H1", "--now", "2021-06-28T09:00", "--root", str(root)]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    ws = Workspace(root)
    assert str(ws.comparison_path("2021-H1")) in first.output
    # nothing collected yet: every expected entry is missing and overdue
    expected = len(default_register().expected_entries())
    rows = sheets(ws.comparison_path("2021-H1"))["总览"]
    total = rows[row_starting(rows, "两个环节合计")]
    assert total[3:5] == [expected, 0] and total[9] == expected
    assert f"应报 {expected} 条,已报 0 条(报送率 0.0%)" in first.output
    again = runner.invoke(main, args)
    assert again.exit_code == 0 and "未改写" in again.output

    unknown = runner.invoke(main, ["compare", "--round", "2030-H1", "--root", str(root)])
    assert unknown.exit_code == 1 and "2030-H1" in unknown.output


def test_collect_writes_a_comparison_whose_figures_follow_from_the_returns(tmp_path: Path):
    """End to end on the shipped register: real returns in the inbox, `collect` passes, then the
    workbook collect wrote is checked against states derived here from the scenario alone."""
    from collect_helpers import build_pristine, collect, drop, fill

    from excelflow.register.load import load_register

    ws = build_pristine(tmp_path / "督查室")
    reg = load_register(ws.register_path)
    work = tmp_path / "filled"
    # unit → (pass it arrives in, status it reports); per-task exceptions below
    plan = {"区科技局": ("2021-06-14T10:00", "序时推进"), "区商务局": ("2021-06-14T10:00", "序时推进"),
            "区工信局": ("2021-06-14T10:00", "序时推进"), "上饶高新区": ("2021-06-17T09:00", "滞后"),
            "永丰街道": ("2021-06-27T08:00", "已完成")}
    overrides = {"区商务局": {7: {"完成状态": "差不多", "进展情况": "有进展"}},
                 "区工信局": {1: {"完成状态": None, "进展情况": None, "完成进度(%)": None}}}
    for when in sorted({w for w, _ in plan.values()}):
        for unit, (at, status) in plan.items():
            if at == when:
                path = fill(ws, unit, work / f"{unit}.xlsx", overrides.get(unit), status=status)
                drop(ws, path, f"{unit}.xlsx")
        collect(ws, when)
    collect(ws, "2021-06-28T09:00")  # nothing new, but a new day: days overdue move on

    def expected(task: int, unit: str, role: str) -> str:
        if unit not in plan:
            return "missing"
        if (unit, task) == ("区商务局", 7):
            return "invalid"
        if (unit, task) == ("区工信局", 1):
            return "incomplete"
        deadline = sc.H1.deadline(role)
        return "late" if datetime.fromisoformat(plan[unit][0]).date() > deadline else "on_time"

    want = {(e.task_id, e.unit, e.role): expected(e.task_id, e.unit, e.role) for e in reg.expected_entries()}
    assert set(want.values()) == {"on_time", "late", "missing", "invalid", "incomplete"}
    book = sheets(ws.comparison_path("2021-H1"))

    overview = book["总览"]
    head = row_starting(overview, "报送环节")
    for offset, role in enumerate(("co", "lead", None)):
        row = dict(zip(overview[head], overview[head + 1 + offset]))
        count = Counter(s for (_, _, r), s in want.items() if role is None or r == role)
        n = sum(count.values())
        assert (row["应报" + C], row["按时" + C], row["逾期" + C], row["不完整" + C], row["无效" + C],
                row["未报" + C]) == (n, count["on_time"], count["late"], count["incomplete"], count["invalid"],
                                     count["missing"])
        assert row["按时率"] == pytest.approx(count["on_time"] / n)

    table = {r["单位"]: r for r in unit_rows(book["单位对比"])}
    for unit in (*plan, "横山镇"):
        count = Counter(s for (_, u, _), s in want.items() if u == unit)
        row = table[unit]
        assert (row["按时" + C], row["逾期" + C], row["不完整" + C], row["无效" + C], row["未报" + C]) == (
            count["on_time"], count["late"], count["incomplete"], count["invalid"], count["missing"])
    assert table["区科技局"]["标识"] == "绿" and table["横山镇"]["标识"] == "红"
    assert table["上饶高新区"]["逾期天数\n合计"] == 2 * sum(
        1 for (_, u, r) in want if u == "上饶高新区" and r == "co")

    chase = book["逾期未报"]
    ch = row_starting(chase, "序")
    rows = [dict(zip(chase[ch], r)) for r in chase[ch + 1:] if isinstance(r[0], float)]
    role_of = {"牵头单位": "lead", "协办单位": "co"}
    assert {(int(r["任务\n序号"]), r["单位"], role_of[r["身份"]]) for r in rows} == {
        k for k, s in want.items() if s in ("missing", "invalid", "incomplete")}
    for r in rows:
        if r["情况"] == "逾期未报":
            assert r["逾期\n天数"] == (date(2021, 6, 28) - sc.H1.deadline(role_of[r["身份"]])).days

    tasks = book["任务进展"]
    th = row_starting(tasks, "序号")
    status_col = next(i for i, c in enumerate(tasks[th]) if str(c).startswith("本轮状态"))
    for r in tasks[th + 1:]:
        if isinstance(r[0], float) and r[2] in plan:
            state = want[(int(r[0]), r[2], "lead")]
            shown = {"invalid": "无效", "incomplete": "不完整"}.get(state, plan[r[2]][1])
            assert r[status_col] == shown
