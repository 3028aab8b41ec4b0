"""The analysts' API: the same figures as the command line, as pandas DataFrames, read-only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from collect_helpers import ROUND, build_pristine, collect, drop, fill, fresh_workspace, status_json, tree_digest

from excelflow import api
from excelflow.register.load import load_register
from excelflow.workspace import Workspace


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    base = tmp_path_factory.mktemp("api")
    ws = fresh_workspace(build_pristine(base / "pristine").root, base / "督查 2021")
    drop(ws, fill(ws, "区科技局", base / "a.xlsx"), "区科技局.xlsx")
    drop(ws, fill(ws, "永丰街道", base / "b.xlsx", {2: {"完成状态": "差不多吧", "进展情况": "写了"}}), "永丰街道.xlsx")
    collect(ws, "2021-06-14T10:00")
    drop(ws, fill(ws, "区工信局", base / "c.xlsx", status="滞后", text="推进偏慢。"), "区工信局.xlsx")
    collect(ws, "2021-06-18T10:00")
    return ws


def test_entry_states_equal_what_status_json_says(collected: Workspace):
    frame = api.entry_states(collected.root, ROUND)
    status = status_json(collected, "2021-06-30T00:00")["entries"]
    assert len(frame) == len(status)
    got = frame[["task", "unit", "role", "state", "status"]].astype(object).where(frame.notna(), None)
    assert [tuple(r) for r in got.itertuples(index=False)] == \
        [(e["task"], e["unit"], e["role"], e["state"], e["status"]) for e in status]
    received = [None if pd.isna(t) else t.isoformat(timespec="seconds") for t in frame["received_at"]]
    assert received == [e["received_at"] for e in status]
    assert pd.api.types.is_datetime64_any_dtype(frame["received_at"])


def test_a_unit_table_is_one_groupby_away(collected: Workspace):
    frame = api.entry_states(collected.root, ROUND)
    table = frame.groupby("unit")["state"].value_counts().unstack(fill_value=0)
    assert table.loc["区科技局", "on_time"] > 0
    assert table.loc["区工信局", "late"] > 0
    assert table.loc["永丰街道", "invalid"] == 1


def test_as_of_counts_only_what_had_arrived(collected: Workspace):
    early = api.entry_states(collected.root, ROUND, as_of=pd.Timestamp("2021-06-15").to_pydatetime())
    assert set(early.loc[early["unit"] == "区工信局", "state"]) == {"missing"}


def test_submissions_and_reported_entries_list_every_return(collected: Workspace):
    subs = api.submissions(collected.root)
    assert sorted(subs["unit"]) == ["区工信局", "区科技局", "永丰街道"]
    assert set(subs["round"]) == {ROUND}
    assert subs["received_at"].is_monotonic_increasing
    rows = api.reported_entries(collected.root, ROUND)
    assert len(rows) == int(subs["entries"].sum())
    bad = rows[(rows["unit"] == "永丰街道") & (rows["task"] == 2)]
    assert list(bad["status_raw"]) == ["差不多吧"] and list(bad["usable"]) == [False]


def test_register_frames_match_the_register(collected: Workspace):
    register = load_register(collected.register_path)
    tasks = api.tasks(collected.root)
    assert list(tasks["task"]) == [t.id for t in register.tasks]
    assert tasks.loc[tasks["task"] == 1, "lead_units"].iloc[0] == list(register.lead_units(register.task(1)))
    units = api.units(collected.root)
    assert units["lead_entries"].sum() + units["co_entries"].sum() == len(register.expected_entries())
    assert list(api.rounds(collected.root)["round"]) == [r.id for r in register.rounds]


def test_reading_through_the_api_writes_nothing(collected: Workspace):
    before = tree_digest(Path(collected.root))
    api.entry_states(collected.root, ROUND)
    api.submissions(collected.root)
    api.reported_entries(collected.root)
    api.tasks(collected.root)
    assert tree_digest(Path(collected.root)) == before
