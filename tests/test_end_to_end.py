"""The whole 2021-H1 collection on the shipped register, with returns saved by a real LibreOffice.

Scenario (what each unit does and when the collector sees it):

| unit        | how                                              | pass (collector's --now)        |
|-------------|--------------------------------------------------|---------------------------------|
| 区科技局    | filled, .xlsx                                    | 1: 6-14 10:00                   |
| 永丰街道    | filled, saved as .ods by LibreOffice             | 1: 6-14 10:00                   |
| 上饶高新区  | filled, saved as .xls by LibreOffice             | 2: 6-17 09:00 (co entries late) |
| 区商务局    | task 7 status typed as 「差不多」                | 1                               |
| 区工信局    | task 1 left empty; corrected (task 1 filled,     | 1, correction in 3: 6-27 08:00  |
|             | task 5 changed to 已完成) in a second file       |                                 |
| 区创卫办    | filled                                           | 3 (lead entry late)             |
| all others  | silent                                           |                                 |

The expected state of every entry is computed here from this table and from the generated
workbooks themselves (which tasks each unit was asked about), not from excelflow's ledger.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from collect_helpers import ROUND, build_pristine, collect, drop, fill, status_json, tree_digest
from office import convert, requires_office

CO_DEADLINE, LEAD_DEADLINE = date(2021, 6, 15), date(2021, 6, 25)
PASS1, PASS2, PASS3 = "2021-06-14T10:00", "2021-06-17T09:00", "2021-06-27T08:00"
SHEET_ROLES = {"牵头任务": "lead", "协办任务": "co"}


def asked(template: Path) -> list[tuple[int, str]]:
    """(task, role) rows of a generated workbook, read as a person reads it: 序号 under the header."""
    book = openpyxl.load_workbook(template, read_only=True)
    out = []
    for name, role in SHEET_ROLES.items():
        if name not in book.sheetnames:
            continue
        rows = list(book[name].iter_rows(values_only=True))
        header = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
        out += [(int(str(r[0])), role) for r in rows[header + 1:] if r and r[0] not in (None, "")]
    return out


@requires_office
@pytest.mark.office
def test_status_reports_the_expected_state_of_every_entry(tmp_path: Path):
    ws = build_pristine(tmp_path / "督查室 2021")
    templates = {p.stem: p for p in ws.templates_dir(ROUND).glob("*.xlsx")}
    expected_entries = {(t, unit, role) for unit, path in templates.items() for t, role in asked(path)}

    work = tmp_path / "filled"
    sci = fill(ws, "区科技局", work / "区科技局.xlsx")
    yongfeng = fill(ws, "永丰街道", work / "永丰街道.xlsx", status="已完成", progress=100)
    gaoxin = fill(ws, "上饶高新区", work / "上饶高新区.xlsx", status="滞后", progress=30)
    commerce = fill(ws, "区商务局", work / "区商务局.xlsx", {7: {"完成状态": "差不多", "进展情况": "有进展"}})
    industry_v1 = fill(ws, "区工信局", work / "区工信局.xlsx",
                       {1: {"完成状态": None, "进展情况": None, "完成进度(%)": None}})
    industry_v2 = fill(ws, "区工信局", work / "区工信局(更正).xlsx",
                       {5: {"完成状态": "已完成", "完成进度(%)": 100, "进展情况": "已全部完成。"}})
    sanitation = fill(ws, "区创卫办", work / "区创卫办.xlsx")
    [ods] = convert([yongfeng], "ods", tmp_path / "ods")
    [xls] = convert([gaoxin], "xls", tmp_path / "xls")

    drop(ws, sci, "科技局/区科技局-半年.xlsx")
    drop(ws, ods, "乡镇/永丰街道.ods")
    drop(ws, commerce, "区商务局.xlsx")
    drop(ws, industry_v1, "工信局/区工信局.xlsx")
    collect(ws, PASS1)
    before_correction = {(e["task"], e["unit"], e["role"]): e["state"] for e in status_json(ws, PASS1)["entries"]}
    assert before_correction[(1, "区工信局", "lead")] == "incomplete"
    drop(ws, xls, "高新区/上饶高新区.xls")
    collect(ws, PASS2)
    drop(ws, industry_v2, "工信局/区工信局(更正).xlsx")
    drop(ws, sanitation, "区创卫办.xlsx")
    collect(ws, PASS3)

    # -- the expectation, from the scenario table --------------------------------------------
    arrivals = {"区科技局": PASS1, "永丰街道": PASS1, "区商务局": PASS1, "区工信局": PASS1,
                "上饶高新区": PASS2, "区创卫办": PASS3}
    statuses = {"区科技局": "序时推进", "永丰街道": "已完成", "上饶高新区": "滞后", "区商务局": "序时推进",
                "区工信局": "序时推进", "区创卫办": "序时推进"}

    def expected(task: int, unit: str, role: str) -> tuple[str, str | None, str | None]:
        if unit not in arrivals:
            return "missing", None, None
        at = arrivals[unit]
        if (unit, task) == ("区商务局", 7):
            return "invalid", at + ":00", None
        if (unit, task) == ("区工信局", 1):
            at = PASS3  # first complete version: the correction
        deadline = LEAD_DEADLINE if role == "lead" else CO_DEADLINE
        state = "late" if datetime.fromisoformat(at).date() > deadline else "on_time"
        status = "已完成" if (unit, task) == ("区工信局", 5) else statuses[unit]
        return state, at + ":00", status

    data = status_json(ws, "2021-06-30T12:00")
    got = {(e["task"], e["unit"], e["role"]): (e["state"], e["received_at"], e["status"]) for e in data["entries"]}
    assert set(got) == expected_entries
    want = {key: expected(*key) for key in expected_entries}
    wrong = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert not wrong
    # The scenario really exercises these states (incomplete: the next test).
    assert {v[0] for v in want.values()} == {"on_time", "late", "missing", "invalid"}

    # Every original kept byte for byte (7 distinct files), the inbox untouched.
    blobs = {p: h for p, h in tree_digest(ws.archive).items() if p.endswith((".xlsx", ".xls", ".ods"))}
    inbox = tree_digest(ws.inbox)
    assert sorted(blobs.values()) == sorted(inbox.values())
    assert len(blobs) == 7


@requires_office
@pytest.mark.office
def test_entry_left_empty_and_never_corrected_stays_incomplete(tmp_path: Path):
    ws = build_pristine(tmp_path / "督查室")
    partial = fill(ws, "区科技局", tmp_path / "科技局.xlsx", {6: {"完成状态": "序时推进", "进展情况": None}})
    [ods] = convert([partial], "ods", tmp_path / "ods")
    drop(ws, ods, "区科技局.ods")
    collect(ws, PASS1)
    states = {(e["task"], e["role"]): e for e in status_json(ws, "2021-06-30T00:00")["entries"]
              if e["unit"] == "区科技局"}
    assert states[(6, "co")]["state"] == "incomplete"
    assert states[(6, "co")]["received_at"] == PASS1 + ":00"
    assert {e["state"] for k, e in states.items() if k != (6, "co")} == {"on_time"}
