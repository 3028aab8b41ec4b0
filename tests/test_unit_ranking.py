"""单位对比 and 总览 put the laggards first: worst first within comparable groups, by a stated rule.

Units are compared within their register group (the scenario's townships apart from the other
units); within a group the order is `figures.attention_key` (mark, on-time rate, reporting rate,
days late, last receipt), the rank counts from the best, equal units share a rank, and a unit's
colour never disagrees with its rank.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import compare_scenario as sc
import pytest
from python_calamine import CalamineWorkbook

from excelflow.reports.comparison_workbook import write_comparison
from excelflow.reports.figures import MARK_ORDER, OTHER_GROUP, RANK_RULE, Comparison, attention_key, compare
from excelflow.reports.ledger import EntryState
from excelflow.workspace import Workspace

NOW = datetime(2021, 6, 28, 9)


@pytest.fixture(params=[21, 5, 11])
def scenario(request: pytest.FixtureRequest) -> tuple[list[EntryState], Comparison]:
    reg = sc.register()
    states = sc.states(reg, sc.H1, seed=request.param)
    return states, compare(reg, "2021-H1", states, None, NOW)


def test_units_are_ranked_within_their_register_group(scenario: tuple[list[EntryState], Comparison]) -> None:
    _, c = scenario
    assert c.groups == (OTHER_GROUP, "乡镇(街道)")
    assert {u.unit for u in c.group_units("乡镇(街道)")} == {"永丰街道", "洋口镇"}
    for group in c.groups:
        members = c.group_units(group)
        assert all(u.group_size == len(members) for u in members)
        assert min(u.rank for u in members) >= 1 and max(u.rank for u in members) <= len(members)


def test_worst_first_and_rank_follow_the_stated_rule(scenario: tuple[list[EntryState], Comparison]) -> None:
    _, c = scenario
    for group in c.groups:
        members = c.group_units(group)
        keys = [attention_key(u) for u in members]
        assert keys == sorted(keys), "listed worst first"
        for u in members:
            better = sum(1 for other in members if attention_key(other) > attention_key(u))
            assert u.rank == 1 + better  # equal keys share a rank, counted from the best
        ranks = [u.rank for u in members]
        assert ranks == sorted(ranks, reverse=True)


def test_colours_follow_rank(scenario: tuple[list[EntryState], Comparison]) -> None:
    _, c = scenario
    for group in c.groups:
        members = c.group_units(group)
        for a in members:
            for b in members:
                if a.rank < b.rank:  # a ranks better: its mark is never worse
                    assert MARK_ORDER.index(a.mark) >= MARK_ORDER.index(b.mark), (a.unit, b.unit)


def test_a_silent_unit_comes_before_one_late_by_a_day_and_ties_share_a_rank() -> None:
    reg = sc.register()
    base = [s.__class__(s.task_id, s.unit, s.role, "on_time", datetime(2021, 6, 10, 9), 0, s.deadline, None, ("x",))
            for s in sc.states(reg, sc.H1, seed=1)]

    def with_unit(states: list[EntryState], unit: str, **change: object) -> list[EntryState]:
        return [s.__class__(**{**s.__dict__, **change}) if s.unit == unit else s for s in states]

    states = with_unit(base, "区科技局", state="missing", received_at=None, sources=())
    states = with_unit(states, "区商务局", state="late", days_late=1, received_at=datetime(2021, 6, 16, 9))
    c = compare(reg, "2021-H1", states, None, NOW)
    others = c.group_units(OTHER_GROUP)
    assert [u.unit for u in others[:2]] == ["区科技局", "区商务局"]
    assert (others[0].mark, others[1].mark) == ("红", "黄")
    assert others[0].reason.startswith("2条逾期13天未报") and "逾期1天报送" in others[1].reason
    on_time = [u for u in others if u.mark == "绿"]
    assert len({u.rank for u in on_time}) == 1 and on_time[0].rank == 1  # all on time, same receipt: tied first
    assert [u.unit for u in c.attention_units] == ["区科技局", "区商务局"]


def test_the_sheet_states_the_rule_lists_groups_and_the_overview_names_who_needs_attention(
        scenario: tuple[list[EntryState], Comparison], tmp_path: Path) -> None:
    states, c = scenario
    ws = Workspace(tmp_path)
    write_comparison(ws, sc.register(), "2021-H1", states, None, NOW)
    book = CalamineWorkbook.from_path(str(ws.comparison_path("2021-H1")))
    units = book.get_sheet_by_name("单位对比").to_python()
    assert RANK_RULE in units[1][0]
    listed: list[str] = []
    for row in units[4:]:
        if isinstance(row[0], float):
            listed.append(row[1])
        elif row[0]:
            assert str(row[0]).startswith(tuple(c.groups)), row[0]  # a group's heading row
    assert listed == [u.unit for u in c.units]

    overview = book.get_sheet_by_name("总览").to_python()
    assert str(overview[3][0]).startswith("一、需要关注的单位")
    attention = c.attention_units
    named = [r[1] for r in overview[5:5 + len(attention)]]
    assert named == [u.unit for u in attention]
    assert [r[3] for r in overview[5:5 + len(attention)]] == [u.reason for u in attention]
