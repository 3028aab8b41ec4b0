"""One vocabulary of states in everything people read, blame worded from the true state, rounds said
as people say them.

The five states are 按时, 逾期, 未报, 不完整, 无效 (`wording.STATE_NAMES`). The demo's outputs —
workbooks, the draft 通报, the reminders, the receipts, the terminal — are read back and searched
for the old or stray names, for DHIS2, and for a round id standing alone where a person reads.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

import compare_scenario as sc
import docx
import pytest
from python_calamine import CalamineWorkbook

from excelflow.demo import run_demo
from excelflow.register.model import Round
from excelflow.reports.figures import compare
from excelflow.reports.ledger import EntryState
from excelflow.wording import STATE_NAMES, parse_moment, round_name, state_phrase
from excelflow.workspace import Workspace

NOW = datetime(2021, 6, 28, 9)
STRAY = ("未报送", "未提交", "缺报", "漏报", "迟报", "超期", "DHIS2")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, list[str]]:
    lines: list[str] = []
    root = tmp_path_factory.mktemp("vocab") / "demo"
    run_demo(root, echo=lines.append)
    return Workspace(root), lines


def texts_people_read(ws: Workspace) -> Iterator[tuple[str, str]]:
    """(file, text) of every cell, paragraph and line of the round's outputs."""
    for path in sorted(ws.outbox.rglob("*")):
        name = path.relative_to(ws.outbox).as_posix()
        if path.suffix == ".xlsx":
            book = CalamineWorkbook.from_path(str(path))
            for sheet in book.sheet_names:
                if sheet.startswith("_"):
                    continue  # the very hidden identity and list sheets nobody reads
                for row in book.get_sheet_by_name(sheet).to_python():
                    for value in row:
                        if isinstance(value, str) and value:
                            yield f"{name}!{sheet}", value
        elif path.suffix == ".docx":
            document = docx.Document(str(path))
            for p in document.paragraphs:
                yield name, p.text
            for table in document.tables:
                for cell in (c for row in table.rows for c in row.cells):
                    yield name, cell.text
        elif path.suffix == ".txt":
            for line in path.read_text(encoding="utf-8-sig").splitlines():
                yield name, line


def test_no_stray_state_names_anywhere(demo: tuple[Workspace, list[str]]) -> None:
    ws, terminal = demo
    found = [(where, text) for where, text in [*texts_people_read(ws), *(("terminal", t) for t in terminal)]
             if any(word in text for word in STRAY)]
    assert not found, found[:10]


def test_the_five_state_names_are_the_ones_the_outputs_use(demo: tuple[Workspace, list[str]]) -> None:
    ws, _ = demo
    assert set(STATE_NAMES.values()) == {"按时", "逾期", "未报", "不完整", "无效"}
    book = CalamineWorkbook.from_path(str(ws.rollup_file("2021-H1", "区工信局")))
    rows = book.get_sheet_by_name("牵头汇总").to_python()
    head = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    said = {re.sub(r"\d+天", "", str(r[4])) for r in rows[head + 1:] if r[3] == "协办"}
    assert said <= set(STATE_NAMES.values()), said


def test_a_round_id_never_stands_alone_where_people_read(demo: tuple[Workspace, list[str]]) -> None:
    ws, terminal = demo
    alone = []
    for where, text in [*texts_people_read(ws), *(("terminal", t) for t in terminal)]:
        for match in re.finditer(r"2021-(H1|FY)", text):
            before, after = text[:match.start()], text[match.end():]
            spoken = ("2021年上半年" if match.group(1) == "H1" else "2021年全年") in text
            file_name = after.startswith(("-", "/")) or before.endswith(("/", "outbox"))
            if not (spoken or file_name):
                alone.append((where, text))
    assert not alone, alone[:10]


def test_rounds_are_said_as_people_say_them_and_the_clerks_own_names_are_kept() -> None:
    def rnd(rid: str, name: str) -> Round:
        return Round(rid, name, date(2021, 6, 15), date(2021, 6, 25))

    assert round_name(rnd("2021-H1", "半年")) == "2021年上半年"
    assert round_name(rnd("2021-FY", "全年")) == "2021年全年"
    assert round_name(rnd("2021-H1", "")) == "2021年上半年"
    assert round_name(rnd("2022-Q3", "2022-Q3")) == "2022年第三季度"
    assert round_name(rnd("2022-M06", "")) == "2022年6月"
    assert round_name(rnd("2022-x", "三季度冲刺")) == "2022年三季度冲刺"


def test_blame_is_worded_from_the_true_state() -> None:
    reg = sc.register()
    states = [EntryState(s.task_id, s.unit, s.role, "on_time", datetime(2021, 6, 10), 0, s.deadline, None, ("x",))
              for s in sc.states(reg, sc.H1, seed=1)]

    def change(task: int, unit: str, role: str, state: str, days: int = 0) -> None:
        for i, s in enumerate(states):
            if (s.task_id, s.unit, s.role) == (task, unit, role):
                received = None if state == "missing" else datetime(2021, 6, 10)
                states[i] = EntryState(task, unit, role, state, received, days, s.deadline, None, ("x",))  # type: ignore[arg-type]

    change(2, "上饶高新区", "lead", "missing")  # lead silent past its deadline
    change(2, "区工信局", "co", "late", 2)
    change(2, "区商务局", "co", "invalid")
    change(2, "区科技局", "co", "incomplete")  # incomplete: not a cause of lateness, not named there
    c = compare(reg, "2021-H1", states, None, NOW)
    lead = next(u for u in c.units if u.unit == "上饶高新区")
    assert lead.note == "第2项牵头逾期3天未报，其协办单位区工信局逾期2天报送、区商务局报送无效"
    assert "逾期报送" not in lead.note.split("，")[0]
    row = next(t for t in c.tasks if t.task.id == 2)
    co = next(f for f in row.flags if f.startswith("协办"))
    assert co == "协办：区商务局报送无效、区科技局内容不完整"  # a late report is a valid one: not listed here
    assert "牵头单位逾期3天未报" in row.flags
    assert state_phrase("missing", 0) == "未报（未到截止日）"


@pytest.mark.parametrize(("typed", "expected"), [
    ("2021/06/16", datetime(2021, 6, 16)), ("2021/6/16", datetime(2021, 6, 16)),
    ("2021年6月16日", datetime(2021, 6, 16)), ("2021-06-16", datetime(2021, 6, 16)),
    ("2021.6.16", datetime(2021, 6, 16)), ("2021-06-16T09:00", datetime(2021, 6, 16, 9)),
    ("2021-06-16 09:30", datetime(2021, 6, 16, 9, 30)), ("2021年6月16日 9时", datetime(2021, 6, 16, 9)),
    ("2021/6/16 17:30", datetime(2021, 6, 16, 17, 30)),
])
def test_a_moment_is_read_in_the_forms_the_register_accepts(typed: str, expected: datetime) -> None:
    from excelflow.register.load import parse_date

    assert parse_moment(typed) == expected
    day_part = re.split(r"[ T]", typed)[0]
    if "时" not in typed:
        assert parse_date(day_part) == expected.date()  # the register reads the same date


@pytest.mark.parametrize("typed", ["2021/13/01", "明天", "2021-06-16 25:00", ""])
def test_a_moment_that_is_no_date_is_refused(typed: str) -> None:
    assert parse_moment(typed) is None


def test_the_draft_notification_has_no_field_in_its_body(demo: tuple[Workspace, list[str]]) -> None:
    ws, _ = demo
    with zipfile.ZipFile(ws.notification_path("2021-H1")) as z:
        body = z.read("word/document.xml").decode("utf-8")
    assert "<w:fldChar" not in body and "<w:instrText" not in body  # only the footers hold the page field
