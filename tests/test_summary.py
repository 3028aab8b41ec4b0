"""The terminal summary of a pass stays readable for an office with a thousand units."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from excelflow.reports.ledger import EntryState
from excelflow.runs.pass_report import CollectReport
from excelflow.runs.summary import LATE_UNITS_SHOWN, UNITS_SHOWN, status_lines, summary_lines, unit_table

DEADLINE = date(2021, 6, 15)


def states_of_a_city(units: int) -> list[EntryState]:
    """Unit i: i % 3 missing entries, one late entry for every fourth unit, the rest on time."""
    out = []
    for i in range(units):
        unit = f"市单位{i:04d}"
        for task in range(3):
            if task < i % 3:
                out.append(EntryState(task + 1, unit, "co", "missing", None, 0, DEADLINE, None, ()))
            elif task == 2 and i % 4 == 0:
                out.append(EntryState(task + 1, unit, "co", "late", datetime(2021, 6, 17, 9), 2, DEADLINE, None, ()))
            else:
                out.append(EntryState(task + 1, unit, "co", "on_time", datetime(2021, 6, 14, 9), 0, DEADLINE, None, ()))
    return out


def test_a_thousand_units_list_the_worst_and_count_the_rest_in_one_line():
    states = states_of_a_city(1000)
    lines = unit_table(states, most=UNITS_SHOWN)
    rows = [line for line in lines if line.startswith("市单位")]
    assert len(rows) == UNITS_SHOWN
    assert all(row.split()[4] == "2" for row in rows)  # the units missing two entries come first
    with_gaps = {s.unit for s in states if s.state != "on_time"}
    [rest] = [line for line in lines if line.startswith("…… 另有")]
    assert f"另有 {len(with_gaps) - UNITS_SHOWN} 个单位有缺漏" in rest and "status --all" in rest
    assert lines[-1].split()[1:] == [str(len(states)), *(str(sum(s.state == k for s in states))
                                                         for k in ("on_time", "late", "missing", "incomplete", "invalid"))]


def test_status_all_still_lists_every_unit():
    states = states_of_a_city(300)
    lines = status_lines("2021年半年", datetime(2021, 6, 20), states, all_units=True)
    assert sum(line.startswith("市单位") for line in lines) == 300


def test_a_pass_summary_of_a_city_lists_the_worst_units_not_two_thousand_lines():
    states = states_of_a_city(1000)
    report = CollectReport(round_id="2021-H1", as_of=datetime(2021, 6, 20), new=[], pending=[], unreadable=[],
                           states=states, unidentified=[], outputs=[], round_name="2021年半年")
    lines = summary_lines(report, Path("."))
    assert len(lines) < UNITS_SHOWN + LATE_UNITS_SHOWN + 20
    late_units = [line for line in lines if line.startswith("  市单位") and "逾期" in line]
    assert len(late_units) == LATE_UNITS_SHOWN
    late = {s.unit for s in states if s.state == "late"}
    assert any(line.startswith(f"  …… 另有 {len(late) - LATE_UNITS_SHOWN} 个单位逾期报送") for line in lines)
