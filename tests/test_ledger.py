"""Entry states from submissions: missing, incomplete, invalid, late, on time (pure, no files)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from excelflow.errors import RoundError
from excelflow.intake.records import EntryReport, Problem, Submission
from excelflow.register.model import Register, Round, Task, Unit
from excelflow.reports.ledger import compute_states, has_gaps, latest_content

H1 = Round("2021-H1", "2021年半年", co_deadline=date(2021, 6, 15), lead_deadline=date(2021, 6, 25))
FY = Round("2021-FY", "2021年全年", co_deadline=date(2021, 12, 15), lead_deadline=date(2021, 12, 25))


def small_register() -> Register:
    """Two tasks: 工信局 leads 1 with 科技局 and every township; 商务局 leads 2, 相关 not chosen."""
    units = (
        Unit("区工信局"), Unit("区科技局"), Unit("区商务局"),
        Unit("永丰街道", groups=("乡镇(街道)",)), Unit("洋口镇", groups=("乡镇(街道)",)),
    )
    tasks = (
        Task(1, "一、工业", None, "产业链", lead=("区工信局",), co=("区科技局", "各乡镇(街道)")),
        Task(2, "一、工业", None, "招商", lead=("区商务局",), co=("相关乡镇(街道)",)),
    )
    return Register("测试", units, tasks, (H1, FY))


@pytest.fixture
def register() -> Register:
    return small_register()


def entry(task: int, unit: str, role: str = "co", status: str | None = "序时推进", *,
          usable: bool = True, complete: bool = True, text: str = "按计划推进") -> EntryReport:
    return EntryReport(task, unit, role, status, status_raw=status or "", progress=50.0,
                       progress_text=text, usable=usable, complete=complete)  # type: ignore[arg-type]


def sub(path: str, at: datetime, *entries: EntryReport, round_id: str = "2021-H1", kind: str = "report",
        outcome: str = "accepted", problems: tuple[Problem, ...] = ()) -> Submission:
    unit = entries[0].unit if entries else None
    return Submission(path=path, sha256=path, size=1, received_at=at, outcome=outcome,  # type: ignore[arg-type]
                      archived_as=f"archive/{path}", kind=kind, unit=unit, round_id=round_id,  # type: ignore[arg-type]
                      confidence="identity", entries=entries, problems=problems)


NOW = datetime(2021, 12, 31, 12, 0)


def state_of(states, task: int, unit: str, role: str):
    [found] = [s for s in states if (s.task_id, s.unit, s.role) == (task, unit, role)]
    return found


def test_every_expected_entry_gets_one_state_and_unreturned_ones_are_missing(register):
    states = compute_states(register, "2021-H1", [], NOW)
    keys = [(s.task_id, s.unit, s.role) for s in states]
    assert keys == [(e.task_id, e.unit, e.role) for e in register.expected_entries()]
    assert {s.state for s in states} == {"missing"}
    assert all(s.received_at is None and s.content is None and s.sources == () for s in states)


def test_unchosen_relevant_townships_are_not_expected(register):
    states = compute_states(register, "2021-H1", [], NOW)
    assert [(s.unit, s.role) for s in states if s.task_id == 2] == [("区商务局", "lead")]


def test_received_on_the_deadline_day_is_on_time_even_late_at_night(register):
    at = datetime(2021, 6, 15, 23, 59, 59)
    states = compute_states(register, "2021-H1", [sub("科技局.xlsx", at, entry(1, "区科技局"))], NOW)
    s = state_of(states, 1, "区科技局", "co")
    assert (s.state, s.days_late, s.received_at, s.deadline) == ("on_time", 0, at, date(2021, 6, 15))
    assert s.sources == ("archive/科技局.xlsx",)


def test_received_after_the_deadline_is_late_by_whole_days(register):
    at = datetime(2021, 6, 18, 0, 5)
    states = compute_states(register, "2021-H1", [sub("科技局.xlsx", at, entry(1, "区科技局"))], NOW)
    s = state_of(states, 1, "区科技局", "co")
    assert (s.state, s.days_late) == ("late", 3)


def test_lead_entries_are_judged_against_the_lead_deadline(register):
    at = datetime(2021, 6, 20, 9, 0)  # after the co deadline, before the lead deadline
    subs = [sub("工信局.xlsx", at, entry(1, "区工信局", "lead")), sub("洋口.xlsx", at, entry(1, "洋口镇"))]
    states = compute_states(register, "2021-H1", subs, NOW)
    assert state_of(states, 1, "区工信局", "lead").state == "on_time"
    assert state_of(states, 1, "洋口镇", "co").state == "late"
    assert state_of(states, 1, "洋口镇", "co").days_late == 5


def test_required_field_empty_is_incomplete_with_its_content(register):
    at = datetime(2021, 6, 10)
    report = entry(1, "区科技局", text="", complete=False)
    s = state_of(compute_states(register, "2021-H1", [sub("a.xlsx", at, report)], NOW), 1, "区科技局", "co")
    assert (s.state, s.received_at, s.content) == ("incomplete", at, report)


def test_blocked_entry_is_invalid_without_content_and_keeps_its_problems(register):
    at = datetime(2021, 6, 10)
    problem = Problem("error", "完成状态「差不多」不是可选值", "a.xlsx", "任务", "C5", task_id=1, role="co")
    other = Problem("error", "别的任务", "a.xlsx", "任务", "C6", task_id=2, role="co")
    report = entry(1, "区科技局", status=None, usable=False)
    s = state_of(compute_states(register, "2021-H1", [sub("a.xlsx", at, report, problems=(problem, other))], NOW),
                 1, "区科技局", "co")
    assert (s.state, s.received_at, s.content, s.problems) == ("invalid", at, None, (problem,))


def test_resubmission_takes_content_from_latest_and_timeliness_from_first(register):
    first, second = datetime(2021, 6, 14, 9), datetime(2021, 6, 20, 9)
    v1 = entry(1, "区科技局", status="序时推进", text="第一版")
    v2 = entry(1, "区科技局", status="已完成", text="更正版")
    s = state_of(compute_states(register, "2021-H1", [sub("v2.xlsx", second, v2), sub("v1.xlsx", first, v1)], NOW),
                 1, "区科技局", "co")
    assert (s.state, s.received_at, s.content, s.versions) == ("on_time", first, v2, 2)
    assert s.sources == ("archive/v1.xlsx", "archive/v2.xlsx")


def test_incomplete_first_then_completed_after_deadline_is_late(register):
    """An empty return is not a report: timeliness counts from the first complete version."""
    v1 = entry(1, "区科技局", text="", complete=False)
    v2 = entry(1, "区科技局")
    subs = [sub("v1.xlsx", datetime(2021, 6, 14), v1), sub("v2.xlsx", datetime(2021, 6, 17), v2)]
    s = state_of(compute_states(register, "2021-H1", subs, NOW), 1, "区科技局", "co")
    assert (s.state, s.days_late, s.received_at, s.content) == ("late", 2, datetime(2021, 6, 17), v2)


def test_a_broken_correction_does_not_undo_a_good_report(register):
    good = entry(1, "区科技局", text="原文")
    broken = entry(1, "区科技局", status=None, usable=False)
    subs = [sub("v1.xlsx", datetime(2021, 6, 14), good), sub("v2.xlsx", datetime(2021, 6, 16), broken)]
    s = state_of(compute_states(register, "2021-H1", subs, NOW), 1, "区科技局", "co")
    assert (s.state, s.content, s.versions) == ("on_time", good, 2)


def test_invalid_then_valid_counts_from_the_valid_version(register):
    subs = [sub("v1.xlsx", datetime(2021, 6, 14), entry(1, "区科技局", status=None, usable=False)),
            sub("v2.xlsx", datetime(2021, 6, 19), entry(1, "区科技局"))]
    s = state_of(compute_states(register, "2021-H1", subs, NOW), 1, "区科技局", "co")
    assert (s.state, s.days_late) == ("late", 4)


def test_file_rejected_as_a_whole_makes_its_entries_invalid(register):
    file_error = Problem("error", "轮次不符", "a.xlsx", "_excelflow", "B4")
    s = state_of(compute_states(register, "2021-H1",
                                [sub("a.xlsx", datetime(2021, 6, 1), entry(1, "区科技局"), outcome="rejected",
                                     problems=(file_error,))], NOW), 1, "区科技局", "co")
    assert (s.state, s.problems) == ("invalid", (file_error,))


def test_other_rounds_pending_files_and_plans_do_not_count(register):
    at = datetime(2021, 6, 1)
    subs = [
        sub("fy.xlsx", at, entry(1, "区科技局"), round_id="2021-FY"),
        sub("pending.xlsx", at, entry(1, "洋口镇"), outcome="pending"),
        sub("plan.xlsx", at, entry(1, "区工信局", "lead"), kind="plan"),
    ]
    states = compute_states(register, "2021-H1", subs, NOW)
    assert {s.state for s in states} == {"missing"}


def test_returned_rollup_counts_as_the_lead_submission(register):
    at = datetime(2021, 6, 26, 10)
    states = compute_states(register, "2021-H1", [sub("汇总.xlsx", at, entry(1, "区工信局", "lead"), kind="rollup")], NOW)
    s = state_of(states, 1, "区工信局", "lead")
    assert (s.state, s.days_late) == ("late", 1)


def test_same_pass_versions_are_ordered_by_modification_time(register):
    at = datetime(2021, 6, 10)
    older, newer = entry(1, "区科技局", text="旧"), entry(1, "区科技局", text="新")
    later_saved = replace(sub("a(修改).xlsx", at, newer), modified_ns=2_000)
    earlier_saved = replace(sub("a.xlsx", at, older), modified_ns=1_000)
    s = state_of(compute_states(register, "2021-H1", [later_saved, earlier_saved], NOW), 1, "区科技局", "co")
    assert s.content == newer


def test_same_pass_versions_without_times_keep_the_order_given(register):
    at = datetime(2021, 6, 10)
    older, newer = entry(1, "区科技局", text="旧"), entry(1, "区科技局", text="新")
    s = state_of(compute_states(register, "2021-H1", [sub("b.xlsx", at, older), sub("a.xlsx", at, newer)], NOW),
                 1, "区科技局", "co")
    assert s.content == newer


def test_versions_received_after_now_have_not_arrived(register):
    subs = [sub("a.xlsx", datetime(2021, 6, 10), entry(1, "区科技局"))]
    s = state_of(compute_states(register, "2021-H1", subs, datetime(2021, 6, 9)), 1, "区科技局", "co")
    assert s.state == "missing"


def test_unknown_round_names_the_known_ones(register):
    with pytest.raises(RoundError, match=r"2021年上半年\(2021-H1\)、2021年全年\(2021-FY\)"):
        compute_states(register, "2022-H1", [], NOW)


def test_gaps_are_missing_late_or_invalid_not_incomplete(register):
    at = datetime(2021, 6, 1)
    everything = [sub(f"{e.unit}{e.task_id}{e.role}.xlsx", at, entry(e.task_id, e.unit, e.role))
                  for e in register.expected_entries()]
    assert not has_gaps(compute_states(register, "2021-H1", everything, NOW), NOW.date())
    everything[0] = sub("x.xlsx", at, entry(1, "区工信局", "lead", text="", complete=False))
    assert not has_gaps(compute_states(register, "2021-H1", everything, NOW), NOW.date())
    missing_one = compute_states(register, "2021-H1", everything[1:], NOW)
    assert has_gaps(missing_one, NOW.date())
    # an entry still missing before its deadline is no gap yet (the lead deadline is 6月25日)
    assert not has_gaps(missing_one, date(2021, 6, 25))
    assert has_gaps(missing_one, date(2021, 6, 26))


def test_latest_content_prefers_latest_complete_version(register):
    v1 = entry(1, "区科技局", text="完整")
    v2 = entry(1, "区科技局", text="", complete=False)
    subs = [sub("v1.xlsx", datetime(2021, 6, 1), v1), sub("v2.xlsx", datetime(2021, 6, 2), v2)]
    assert latest_content(subs, "2021-H1") == {(1, "区科技局", "co"): v1}


# -- properties -------------------------------------------------------------------------------
version_kinds = st.sampled_from(["good", "incomplete", "invalid"])


@st.composite
def histories(draw):
    """Versions of the one entry (1, 区科技局, co) at distinct receipt times in June."""
    n = draw(st.integers(0, 5))
    days = draw(st.lists(st.integers(0, 29 * 24), min_size=n, max_size=n, unique=True))
    kinds = draw(st.lists(version_kinds, min_size=n, max_size=n))
    return [(datetime(2021, 6, 1) + timedelta(hours=h), k) for h, k in zip(days, kinds, strict=True)]


def make(history):
    out = []
    for i, (at, kind) in enumerate(history):
        report = entry(1, "区科技局", text=f"v{i}", usable=kind != "invalid", complete=kind == "good")
        out.append(sub(f"v{i}.xlsx", at, report))
    return out


@settings(max_examples=200, deadline=None)
@given(histories(), st.randoms())
def test_state_depends_on_receipt_times_not_on_input_order(history, rnd):
    register = small_register()
    subs = make(history)
    shuffled = subs[:]
    rnd.shuffle(shuffled)
    a = state_of(compute_states(register, "2021-H1", subs, NOW), 1, "区科技局", "co")
    b = state_of(compute_states(register, "2021-H1", shuffled, NOW), 1, "区科技局", "co")
    assert a == b
    # The state follows from the kinds alone, computed here without the ledger's code path.
    kinds = [k for _, k in sorted(history)]
    if not kinds:
        assert a.state == "missing"
    elif "good" in kinds:
        first_good = min(at for at, k in history if k == "good")
        assert a.state == ("late" if first_good.date() > H1.co_deadline else "on_time")
        assert a.content.progress_text == f"v{max(range(len(history)), key=lambda i: (history[i][1] == 'good', history[i][0]))}"
    elif "incomplete" in kinds:
        assert a.state == "incomplete"
    else:
        assert a.state == "invalid" and a.content is None


@pytest.mark.parametrize("usable,complete", [(True, True), (True, False), (False, True), (False, False)])
@pytest.mark.parametrize("at", [datetime(2021, 6, 15, 23, 59), datetime(2021, 6, 18, 9, 0)])
def test_an_entry_with_one_version_is_judged_as_one_with_several(usable: bool, complete: bool, at: datetime):
    """`_state` judges the usual single version without `_judged`'s lists: the same state."""
    from excelflow.reports.ledger import _judged, _state, _Version

    problems = (Problem("error", "「完成进度」应为 0–100 的数字", "v.xlsx", task_id=1, role="co"),) if not usable else ()
    version = _Version(at, "archive/v.xlsx", entry(1, "区科技局", usable=usable, complete=complete), problems)
    one = _state(1, "区科技局", "co", H1.co_deadline, [version])
    assert one == _judged(1, "区科技局", "co", H1.co_deadline, [version])
    assert one.state == ("invalid" if not usable else "incomplete" if not complete
                         else "late" if at.date() > H1.co_deadline else "on_time")
