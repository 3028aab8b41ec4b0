"""The comparison rules on small rounds written out by hand: rates, plan classes, marks, ranks, notes."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from excelflow.errors import RoundError
from excelflow.intake.records import EntryReport
from excelflow.register.model import Milestone, Register, Round, Task, Unit
from excelflow.reports.figures import Tally, compare, plan_class, short_chapter
from excelflow.reports.ledger import EntryState

RND = Round("2021-H1", "2021年上半年", date(2021, 6, 15), date(2021, 6, 25))
UNITS = tuple(Unit(n, contact=f"{n}联系人", phone=f"1390000000{i}") for i, n in enumerate("甲乙丙丁"))


def reg(tasks: tuple[Task, ...], milestones: tuple[Milestone, ...] = ()) -> Register:
    return Register("通知", UNITS, tasks, (RND,), milestones, settings={"督查室": "区政府督查室"})


def entry(task: int, unit: str, role: str, state: str, *, days: int = 0, status: str = "序时推进",
          problems: str = "") -> EntryState:
    deadline = RND.deadline(role)  # type: ignore[arg-type]
    content = None
    if state in ("on_time", "late", "incomplete"):
        content = EntryReport(task, unit, role, status if state != "incomplete" else None,  # type: ignore[arg-type]
                              progress_text="进展" if state != "incomplete" else "", problems=problems,
                              complete=state != "incomplete")
    received = None if state == "missing" else datetime(2021, 6, 10)
    return EntryState(task, unit, role, state, received, days, deadline, content, ())  # type: ignore[arg-type]


T1 = Task(1, "一、工业(2项)", None, "任务一", ("甲",), ("乙", "丙"))
T2 = Task(2, "一、工业(2项)", None, "任务二", ("乙",), ())


def test_rates_count_received_including_late_incomplete_and_invalid():
    states = [entry(1, "甲", "lead", "on_time"), entry(1, "乙", "co", "late", days=2),
              entry(1, "丙", "co", "invalid"), entry(2, "乙", "lead", "missing")]
    c = compare(reg((T1, T2)), "2021-H1", states, None, datetime(2021, 6, 30))
    total = c.link("all").entries
    assert (total.expected, total.received, total.valid, total.on_time) == (4, 3, 2, 1)
    assert total.reporting_rate == 3 / 4 and total.on_time_rate == 1 / 4
    co = c.link("co")
    assert (co.entries.expected, co.units_expected, co.units_all_received, co.units_all_on_time) == (2, 2, 2, 0)
    lead = c.link("lead")
    assert (lead.units_expected, lead.units_silent, lead.units_all_on_time) == (2, 1, 1)


def test_empty_tally_has_no_rate_rather_than_dividing_by_zero():
    assert Tally().reporting_rate is None and Tally().on_time_rate is None


@pytest.mark.parametrize("status, due, expected", [
    ("已完成", date(2021, 12, 31), "超进度"),   # finished before the plan's date
    ("已完成", date(2021, 6, 30), "超进度"),
    ("已完成", date(2021, 6, 25), "达进度"),    # due on the round's lead deadline
    ("已完成", None, "达进度"),
    ("序时推进", date(2021, 6, 20), "欠进度"),  # the plan said done by now
    ("序时推进", date(2021, 6, 25), "欠进度"),
    ("序时推进", date(2021, 9, 30), "达进度"),
    ("序时推进", None, "达进度"),
    ("滞后", None, "欠进度"),
    ("未启动", date(2021, 12, 31), "欠进度"),
])
def test_plan_class_compares_status_with_the_plan_date(status, due, expected):
    assert plan_class(status, Milestone(1, "2021-H1", "目标", due=due), RND) == expected


def test_no_plan_class_without_a_plan_or_a_valid_report():
    assert plan_class("已完成", None, RND) is None
    assert plan_class(None, Milestone(1, "2021-H1", "目标"), RND) is None
    plan = (Milestone(1, "2021-H1", "目标", due=date(2021, 12, 31)),)
    c = compare(reg((T1,), plan), "2021-H1", [entry(1, "甲", "lead", "invalid"),
                                               entry(1, "乙", "co", "on_time"), entry(1, "丙", "co", "on_time")],
                None, datetime(2021, 6, 30))
    assert c.has_milestones and c.tasks[0].plan_class is None and c.tasks[0].status_label == "无效"


def test_marks_red_for_overdue_or_invalid_yellow_for_late_or_incomplete_pending_before_deadline():
    tasks = (Task(1, "一", None, "t", ("甲",), ("乙", "丙", "丁")),)
    states = [entry(1, "甲", "lead", "on_time"), entry(1, "乙", "co", "late", days=1),
              entry(1, "丙", "co", "missing"), entry(1, "丁", "co", "incomplete")]
    before = {u.unit: u.mark for u in compare(reg(tasks), "2021-H1", states, None, datetime(2021, 6, 15, 23)).units}
    after = {u.unit: u.mark for u in compare(reg(tasks), "2021-H1", states, None, datetime(2021, 6, 16)).units}
    assert before == {"甲": "绿", "乙": "黄", "丙": "待报", "丁": "黄"}
    assert after == {"甲": "绿", "乙": "黄", "丙": "红", "丁": "黄"}


def test_equal_units_share_a_rank_counted_from_the_best_and_are_listed_worst_first():
    tasks = (Task(1, "一", None, "t", ("甲",), ("乙", "丙", "丁")),)
    states = [entry(1, "甲", "lead", "on_time"), entry(1, "乙", "co", "on_time"),
              entry(1, "丙", "co", "late", days=3), entry(1, "丁", "co", "late", days=1)]
    units = compare(reg(tasks), "2021-H1", states, None, datetime(2021, 6, 30)).units
    assert [(u.unit, u.rank) for u in units] == [("丙", 4), ("丁", 3), ("甲", 1), ("乙", 1)]


def test_a_late_lead_is_noted_when_its_co_units_were_late_or_silent():
    states = [entry(1, "甲", "lead", "late", days=2), entry(1, "乙", "co", "late", days=4),
              entry(1, "丙", "co", "missing"), entry(2, "乙", "lead", "late", days=1)]
    units = {u.unit: u for u in compare(reg((T1, T2)), "2021-H1", states, None, datetime(2021, 6, 30)).units}
    assert units["甲"].note == "第1项牵头逾期2天报送，其协办单位乙逾期4天报送、丙逾期15天未报"
    assert units["乙"].note == ""  # task 2 has no co-units to blame


def test_task_flags_name_regression_missing_co_units_and_unexplained_delay():
    previous = {(1, "甲", "lead"): EntryReport(1, "甲", "lead", "序时推进")}
    states = [entry(1, "甲", "lead", "on_time", status="滞后"), entry(1, "乙", "co", "on_time"),
              entry(1, "丙", "co", "missing")]
    row = compare(reg((T1,)), "2021-H1", states, previous, datetime(2021, 6, 30)).tasks[0]
    assert row.co_valid == 1 and row.co_expected == 2 and [g.unit for g in row.co_gaps] == ["丙"]
    assert "滞后但未说明问题" in row.flags
    assert "协办：丙逾期15天未报" in row.flags


def test_chase_list_orders_units_by_longest_overdue_and_keeps_contacts():
    tasks = (T1, T2)
    states = [entry(1, "甲", "lead", "missing"), entry(1, "乙", "co", "missing"),
              entry(1, "丙", "co", "incomplete"), entry(2, "乙", "lead", "missing")]
    chase = compare(reg(tasks), "2021-H1", states, None, datetime(2021, 6, 27)).chase
    assert [(r.unit, r.task.id, r.role, r.days_overdue, r.situation) for r in chase] == [
        ("乙", 2, "lead", 2, "逾期未报"), ("乙", 1, "co", 12, "逾期未报"),
        ("甲", 1, "lead", 2, "逾期未报"), ("丙", 1, "co", 0, "内容不完整")]
    assert chase[0].contact == "乙联系人" and chase[0].send_to == "区政府督查室"
    assert chase[1].send_to == "甲"  # a co-unit reports to the task's lead unit


def test_a_task_with_two_lead_units_is_one_row_with_the_least_favourable_status():
    task = Task(5, "二、就业(1项)", None, "就业", ("甲", "乙"), ("丙",))
    states = [entry(5, "甲", "lead", "on_time", status="已完成"), entry(5, "乙", "lead", "missing"),
              entry(5, "丙", "co", "on_time")]
    c = compare(reg((task,)), "2021-H1", states, None, datetime(2021, 6, 30))
    [row] = c.tasks
    assert [(r.unit, r.status_label) for r in row.leads] == [("甲", "已完成"), ("乙", "未报")]
    assert row.status_label == "未报" and row.lead_names == "甲、乙"
    assert c.by_chapter["二、就业(1项)"]["未报"] == 1 and c.status_totals["已完成"] == 0
    assert "牵头单位报送的状态不一致，任务状态按最不利者计" in row.flags


def test_short_chapter_drops_the_task_count_only():
    assert short_chapter("一、持之以恒主攻工业,不断做强发展支柱(13项)") == "一、持之以恒主攻工业,不断做强发展支柱"
    assert short_chapter("二、民生（22项）") == "二、民生"
    assert short_chapter("三、生态") == "三、生态"


def test_unknown_round_is_an_error():
    with pytest.raises(RoundError):
        compare(reg((T1,)), "2030-H1", [], None, datetime(2021, 6, 30))


def test_a_task_flag_names_four_silent_co_units_and_counts_the_rest():
    units = tuple(Unit(f"镇{i}") for i in range(6))
    task = Task(1, "一", None, "t", ("镇0",), tuple(f"镇{i}" for i in range(1, 6)))
    register = Register("通知", units, (task,), (RND,))
    states = [entry(1, "镇0", "lead", "on_time")] + [entry(1, f"镇{i}", "co", "missing") for i in range(1, 6)]
    row = compare(register, "2021-H1", states, None, datetime(2021, 6, 30)).tasks[0]
    assert "协办：镇1逾期15天未报、镇2逾期15天未报、镇3逾期15天未报、镇4逾期15天未报等5个" in row.flags
    assert [g.unit for g in row.co_gaps] == ["镇1", "镇2", "镇3", "镇4", "镇5"]


def test_previous_round_columns_need_the_previous_reports_loaded():
    fy = Round("2021-FY", "2021年全年", date(2021, 12, 15), date(2021, 12, 25))
    register = Register("通知", UNITS, (T2,), (RND, fy))
    state = EntryState(2, "乙", "lead", "missing", None, 0, fy.lead_deadline, None, ())
    not_loaded = compare(register, "2021-FY", [state], None, datetime(2021, 12, 28))
    nothing_reported = compare(register, "2021-FY", [state], {}, datetime(2021, 12, 28))
    assert not_loaded.previous_round is None and not_loaded.tasks[0].previous_label is None
    assert nothing_reported.previous_round == RND and nothing_reported.tasks[0].previous_label == "未报"
