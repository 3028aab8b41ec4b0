"""read_return on real returned workbooks: one fixture file per case (tests/data/returns/).

The fixtures start from the workbook `generate` hands out, edited as a unit's office suite would
(see make_fixtures.py); the .xls/.ods ones were saved by LibreOffice. Each test names the
behaviour; the file name names the case.
"""

from __future__ import annotations

import importlib.util
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import MergedCell

from excelflow.intake.read import read_return
from excelflow.intake.records import EntryReport, Submission
from tests.office import convert, requires_office

RETURNS = Path(__file__).resolve().parent / "data" / "returns"
RECEIVED = datetime(2021, 6, 20, 9, 0)


def _load_fixture_module():
    spec = importlib.util.spec_from_file_location("make_fixtures", RETURNS / "make_fixtures.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURES = _load_fixture_module()
REGISTER = FIXTURES.REGISTER


def read(name: str) -> Submission:
    return read_return((RETURNS / name).read_bytes(), f"单位报送/{name}", RECEIVED, REGISTER)


def content(entries: tuple[EntryReport, ...]) -> dict[tuple[int, str], tuple]:
    return {(e.task_id, e.role): (e.status, e.progress, e.progress_text, e.problems, e.next_steps, e.usable, e.complete)
            for e in entries}


def by_task(sub: Submission) -> dict[int, EntryReport]:
    return {e.task_id: e for e in sub.entries}


def errors(sub: Submission) -> list:
    return [p for p in sub.problems if p.level == "error"]


def warnings(sub: Submission) -> list:
    return [p for p in sub.problems if p.level == "warning"]


CLEAN = read("clean-return.xlsx")


def test_clean_return_is_accepted_by_its_identity_with_every_entry():
    assert CLEAN.outcome == "accepted"
    assert (CLEAN.unit, CLEAN.round_id, CLEAN.confidence, CLEAN.kind) == ("区工信局", "2021-H1", "identity", "report")
    assert CLEAN.problems == ()
    assert {(e.task_id, e.role) for e in CLEAN.entries} == {(1, "lead"), (2, "lead"), (3, "co"), (4, "co")}
    one = by_task(CLEAN)[1]
    assert (one.status, one.progress, one.problems) == ("序时推进", 60.0, "部分地块征迁进度偏慢")
    assert one.progress_text.startswith("新建标准厂房12万平方米")
    assert CLEAN.sha256 == __import__("hashlib").sha256((RETURNS / "clean-return.xlsx").read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["clean-return.xlsx", "clean-return-saved-by-libreoffice.ods"])
def test_a_sheet_too_narrow_to_hold_a_header_row_is_never_read(name, monkeypatch):
    """填报说明 has text in two columns; a header row needs 序号 and two input headers, so the
    sheet is passed over unread (the scan before reading knows its width). The forms are read."""
    from excelflow.intake import extract

    read_sheets: list[str] = []
    original = extract.Workbook.sheet

    def recording(self: extract.Workbook, sheet_name: str) -> extract.SheetData:
        read_sheets.append(sheet_name)
        return original(self, sheet_name)

    monkeypatch.setattr(extract.Workbook, "sheet", recording)
    sub = read(name)
    assert sub.outcome == "accepted", [p.describe() for p in sub.problems]
    assert content(sub.entries) == content(CLEAN.entries)
    assert "填报说明" not in read_sheets
    assert {"牵头任务", "协办任务"} <= set(read_sheets)


@pytest.mark.parametrize("name", [
    "rows-reordered.xlsx",
    "sheets-renamed-and-reordered.xlsx",
    "extra-columns.xlsx",
    "header-variants.xlsx",
    "wps-wrong-dimensions.xlsx",
    "clean-return-saved-by-libreoffice.xls",
    "clean-return-saved-by-libreoffice.ods",
    "clean-return-saved-by-libreoffice.xlsm",
])
def test_tolerated_mess_reads_the_same_entries_as_the_clean_return(name):
    sub = read(name)
    assert sub.outcome == "accepted", [p.describe() for p in sub.problems]
    assert sub.unit == "区工信局"
    assert content(sub.entries) == content(CLEAN.entries)


def test_wrong_dimensions_fixture_really_declares_a_one_cell_sheet():
    with zipfile.ZipFile(RETURNS / "wps-wrong-dimensions.xlsx") as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and all(b'<dimension ref="A1:A1"' in z.read(n) for n in sheets)


def test_deleted_row_leaves_its_task_unreported_and_an_inserted_row_is_not_an_entry():
    sub = read("rows-inserted-and-deleted.xlsx")
    assert sub.outcome == "accepted_with_warnings"
    assert set(by_task(sub)) == {1, 3, 4}
    clean = content(CLEAN.entries)
    assert all(content(sub.entries)[key] == clean[key] for key in content(sub.entries))
    [missing] = warnings(sub)
    assert "任务 2" in missing.message and missing.sheet == "牵头任务"


def test_merged_cells_give_their_text_to_the_first_row_only():
    sub = read("merged-cells.xlsx")
    assert sub.outcome == "accepted"
    one, two = by_task(sub)[1], by_task(sub)[2]
    assert one.next_steps == "加快征迁,9月底前开工剩余项目" and one.remarks == "两项任务由同一科室负责"
    assert two.next_steps == "" and two.remarks == "" and two.usable and two.complete


def test_numbers_typed_as_text_or_percent_are_read_as_percent():
    sub = read("numbers-as-text.xlsx")
    assert {t: e.progress for t, e in by_task(sub).items()} == {1: 60.0, 2: 100.0, 3: 50.0, 4: 95.0}
    [note] = sub.problems  # only the 0.95 from a percent-formatted cell asks to be confirmed
    assert note.level == "warning" and note.task_id == 4 and note.sheet == "协办任务" and "95%" in note.message


@pytest.mark.parametrize("name", ["status-variants.xlsx", "status-variants-saved-by-libreoffice.ods"])
def test_status_variants_are_normalised_and_the_typed_text_kept(name):
    sub = read(name)
    assert sub.outcome == "accepted"
    got = {t: (e.status, e.status_raw) for t, e in by_task(sub).items()}
    assert got == {1: ("序时推进", "正在推进"), 2: ("已完成", "完成"), 3: ("滞后", "进度滞后"), 4: ("已完成", "已经完成。")}


@pytest.mark.parametrize("name", ["retyped-without-identity.xlsx", "retyped-without-identity-saved-by-libreoffice.xls"])
def test_retyped_form_is_placed_by_the_unit_named_in_its_header_block(name):
    sub = read(name)
    assert (sub.unit, sub.confidence, sub.round_id) == ("区工信局", "header", "2021-H1")
    assert sub.outcome == "accepted_with_warnings"
    assert {(e.task_id, e.role) for e in sub.entries} == {(1, "lead"), (2, "lead"), (3, "co"), (4, "co")}
    assert all(e.usable and e.complete for e in sub.entries)
    [note] = sub.problems
    assert note.level == "warning" and note.cell == "B2" and "区工信局" in note.message


def test_retyped_form_without_unit_cell_is_placed_by_its_file_name_with_roles_from_the_register():
    sub = read("retyped-no-unit-cell-区商务局.xlsx")
    assert (sub.unit, sub.confidence) == ("区商务局", "filename")
    assert {(e.task_id, e.role) for e in sub.entries} == {(1, "co"), (3, "lead")}
    assert any("文件名" in p.message for p in warnings(sub))


def test_unknown_unit_in_the_header_falls_back_to_the_folder_name_and_says_so():
    data = (RETURNS / "retyped-unknown-unit.xlsx").read_bytes()
    sub = read_return(data, "区商务局/上半年报表.xlsx", RECEIVED, REGISTER)
    assert (sub.unit, sub.confidence) == ("区商务局", "filename")
    [warning] = [p for p in sub.problems if "文件名" in p.message]
    assert "区教育体育局" in warning.message and (warning.sheet, warning.cell) == ("Sheet1", "B2")


def test_form_that_cannot_be_placed_is_rejected_with_the_reason_and_the_cell():
    sub = read("retyped-unknown-unit.xlsx")
    assert sub.outcome == "rejected" and sub.unit is None and sub.entries == ()
    [problem] = sub.problems
    assert problem.level == "error" and (problem.sheet, problem.cell) == ("Sheet1", "B2")
    assert "无法识别" in problem.message and "区教育体育局" in problem.message


def test_workbook_without_a_reporting_form_is_rejected_naming_the_unit_its_file_name_gives():
    sub = read("own-spreadsheet-区财政局.xlsx")
    assert (sub.outcome, sub.unit, sub.confidence, sub.entries) == ("rejected", "区财政局", "filename", ())
    [problem] = sub.problems
    assert problem.level == "error" and "找不到填报表" in problem.message


def test_rollup_returned_by_its_lead_unit_yields_only_the_lead_rows():
    sub = read("rollup-filled-by-lead.xlsx")
    assert (sub.kind, sub.unit, sub.outcome) == ("rollup", "区工信局", "accepted")
    assert {(e.task_id, e.role) for e in sub.entries} == {(1, "lead"), (2, "lead")}
    assert by_task(sub)[1].status == "序时推进"


def test_form_filled_by_another_unit_stays_with_its_identity_and_warns_on_the_unit_cell():
    sub = read("header-names-another-unit.xlsx")
    assert (sub.unit, sub.outcome) == ("区工信局", "accepted_with_warnings")
    assert content(sub.entries) == content(CLEAN.entries)
    [warning] = sub.problems
    assert warning.level == "warning" and warning.sheet == "牵头任务" and "区商务局" in warning.message
    assert re.fullmatch(r"[A-Z]2", warning.cell or "")


# -- errors block the entry -------------------------------------------------------------------------
@pytest.mark.parametrize("name, task, column, words", [
    ("status-not-a-choice.xlsx", 1, "E", "基本完成吧"),
    ("progress-out-of-range.xlsx", 1, "F", "120"),
    ("task-text-edited.xlsx", 1, "B", "任务内容"),
    ("locked-cell-edited.xlsx", 2, "A", "锁定"),
    ("stale-template.xlsx", 2, "B", "旧版"),
    ("duplicate-task-id.xlsx", 1, "A", "出现了 2 次"),
])
def test_blocking_error_makes_only_its_entry_unusable_and_names_the_cell(name, task, column, words):
    sub = read(name)
    assert sub.outcome == "accepted_with_warnings"
    [error] = errors(sub)
    assert error.task_id == task and error.sheet == "牵头任务" and error.file == f"单位报送/{name}"
    assert re.fullmatch(rf"{column}\d+", error.cell or ""), error.cell
    assert words in error.message
    assert [t for t, e in by_task(sub).items() if not e.usable] == [task]


def test_task_the_unit_does_not_owe_is_an_error_and_the_owed_entries_still_count():
    sub = read("task-not-owed.xlsx")
    [error] = errors(sub)
    assert error.task_id == 5 and "不承担任务 5" in error.message and re.fullmatch(r"A\d+", error.cell or "")
    assert all(e.usable for e in sub.entries if e.task_id != 5)
    assert not by_task(sub)[5].usable


def test_return_for_a_round_not_in_the_register_is_rejected_with_every_entry_invalid():
    sub = read("wrong-round.xlsx")
    assert (sub.outcome, sub.round_id) == ("rejected", "2020-H1")
    assert sub.entries and not any(e.usable for e in sub.entries)
    [error] = errors(sub)
    assert "2020-H1" in error.message and error.cell == "A1"


def test_sheet_titled_for_another_round_blocks_that_sheet_only():
    sub = read("title-names-other-round.xlsx")
    [error] = errors(sub)
    assert (error.sheet, error.cell) == ("牵头任务", "A1") and "全年" in error.message
    assert {t: e.usable for t, e in by_task(sub).items()} == {1: False, 2: False, 3: True, 4: True}


# -- warnings keep the entry --------------------------------------------------------------------------
def test_empty_required_fields_keep_the_entry_but_mark_it_incomplete():
    sub = read("required-fields-empty.xlsx")
    assert sub.outcome == "accepted_with_warnings" and not errors(sub)
    entries = by_task(sub)
    assert {t: (e.usable, e.complete) for t, e in entries.items()} == {
        1: (True, False), 2: (True, False), 3: (True, False), 4: (True, True)}
    said = {p.task_id: p.message for p in warnings(sub)}
    assert "完成状态" in said[1] and "进展情况" in said[2] and "未填写" in said[3]


def test_done_with_progress_under_100_is_a_warning_on_the_progress_cell():
    sub = read("done-below-100.xlsx")
    [warning] = sub.problems
    assert (warning.level, warning.task_id) == ("warning", 2) and re.fullmatch(r"F\d+", warning.cell or "")
    assert by_task(sub)[2].usable and by_task(sub)[2].complete and by_task(sub)[2].progress == 80


def test_behind_without_problems_text_is_a_warning_on_the_problems_cell():
    sub = read("behind-without-problems.xlsx")
    [warning] = sub.problems
    assert (warning.level, warning.task_id) == ("warning", 1) and "存在问题" in warning.message
    assert re.fullmatch(r"H\d+", warning.cell or "")


def test_workbook_returned_unfilled_counts_every_entry_as_incomplete():
    sub = read("not-filled-at-all.xlsx")
    assert sub.outcome == "accepted_with_warnings"
    assert all(e.usable and not e.complete for e in sub.entries) and len(sub.entries) == 4


# -- not a workbook, not complete yet -----------------------------------------------------------------
@pytest.mark.parametrize("name, words", [
    ("docx-renamed.xlsx", "Word"),
    ("image-renamed.xlsx", "图片"),
    ("damaged-zip.xlsx", "损坏"),
    ("html-saved-as.xls", "网页"),
    ("zip-bomb.xlsx", "解压后超过"),
    ("password-protected.xls", "密码"),
])
def test_file_that_is_not_a_readable_workbook_is_rejected_with_a_reason(name, words):
    sub = read(name)
    assert sub.outcome == "rejected" and sub.entries == ()
    [problem] = sub.problems
    assert problem.level == "error" and words in problem.message and problem.file == f"单位报送/{name}"


@pytest.mark.parametrize("name", ["zero-bytes.xlsx", "truncated-copy.xlsx"])
def test_file_still_being_copied_is_pending_not_rejected(name):
    sub = read(name)
    assert sub.outcome == "pending" and sub.entries == ()
    assert "重试" in sub.problems[0].message


def test_every_problem_of_every_fixture_names_file_and_a1_cell_where_a_task_is_concerned():
    for path in sorted(RETURNS.glob("*.x*")) + sorted(RETURNS.glob("*.ods")):
        sub = read(path.name)
        assert sub.outcome in ("accepted", "accepted_with_warnings", "pending", "rejected")
        assert (sub.outcome == "accepted") == (not sub.problems), path.name
        for problem in sub.problems:
            assert problem.file == f"单位报送/{path.name}"
            assert re.search(r"[\u4e00-\u9fff]", problem.message)
            if problem.task_id is not None:
                assert problem.sheet and re.fullmatch(r"[A-Z]{1,3}\d+", problem.cell or ""), problem


# -- hostile bytes never escape ---------------------------------------------------------------------
CLEAN_BYTES = (RETURNS / "clean-return.xlsx").read_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(CLEAN_BYTES) - 1), st.integers(0, 255)), min_size=1, max_size=8),
       st.integers(0, len(CLEAN_BYTES)))
def test_damaged_bytes_never_raise_and_never_name_another_unit(flips, cut):
    data = bytearray(CLEAN_BYTES)
    for at, value in flips:
        data[at] = value
    sub = read_return(bytes(data[:cut] if cut > 100 else data), "x.xlsx", RECEIVED, REGISTER)
    assert sub.outcome in ("accepted", "accepted_with_warnings", "pending", "rejected")
    assert sub.unit in (None, "区工信局")
    assert sub.outcome == "accepted" or sub.problems


@requires_office
@pytest.mark.office
def test_return_saved_by_a_live_libreoffice_as_xls_and_ods_reads_like_the_original(tmp_path):
    source = tmp_path / "区工信局-状态写法.xlsx"
    source.write_bytes((RETURNS / "status-variants.xlsx").read_bytes())
    expected = content(read("status-variants.xlsx").entries)
    for fmt in ("xls", "ods"):
        [saved] = convert([source], fmt, tmp_path / fmt)
        sub = read_return(saved.read_bytes(), saved.name, RECEIVED, REGISTER)
        assert sub.outcome == "accepted" and content(sub.entries) == expected



def test_every_workbook_handed_out_for_the_shipped_2021_register_reads_back_whole():
    # The real notice: 101 tasks, 79 units, 共同牵头 notes, township groups, long task texts.
    from excelflow.forms.default_template import SHIPPED_TEMPLATE
    from excelflow.forms.plan import plan_unit, template_version
    from excelflow.forms.render import render_unit
    from excelflow.forms.template_style import load_template_style
    from excelflow.register.campaign import default_register

    register = default_register()
    style = load_template_style(SHIPPED_TEMPLATE)
    rnd = register.round("2021-H1")
    owed: dict[str, set] = {}
    for entry in register.expected_entries():
        owed.setdefault(entry.unit, set()).add((entry.task_id, entry.role))
    assert len(owed) > 70
    for unit, entries in owed.items():
        plan = plan_unit(register, rnd, unit, sorted(entries), style, None, False)
        data, _ = render_unit(plan, style, template_version(plan, style), "2021-06-01T09:00:00")
        sub = read_return(data, f"{unit}.xlsx", RECEIVED, register)
        assert (sub.unit, sub.round_id, sub.confidence) == (unit, "2021-H1", "identity")
        assert {(e.task_id, e.role) for e in sub.entries} == entries, unit
        assert not errors(sub), [p.describe() for p in errors(sub)][:3]
        assert all(e.usable and not e.complete for e in sub.entries)  # handed out empty: incomplete, not invalid


# -- a filled return mutated the way people and programs mess with workbooks -------------------------
_OWED = {(e.task_id, e.role) for e in REGISTER.entries_of("区工信局")}
_TEXT = st.characters(blacklist_categories=("Cc", "Cs"))  # what a person can type into a cell
_VALUES = st.one_of(st.text(_TEXT, max_size=6), st.integers(-5, 200), st.floats(-1, 150, allow_nan=False), st.none(),
                    st.sampled_from(["已完成", "完成", "滞后", "1", "３", "80%", "序号", "完成状态", "=1+1"]))
_EDITS = st.lists(st.one_of(
    st.tuples(st.just("cell"), st.integers(0, 1), st.integers(1, 12), st.integers(1, 12), _VALUES),
    st.tuples(st.just("delete_row"), st.integers(0, 1), st.integers(1, 10)),
    st.tuples(st.just("insert_row"), st.integers(0, 1), st.integers(1, 10)),
    st.tuples(st.just("rename"), st.integers(0, 1), st.text(_TEXT, min_size=1, max_size=8).filter(
        lambda t: not set(t) & set("[]:*?/\\\\'") and t.strip())),
), min_size=1, max_size=6)


def _mutate(edits) -> bytes:
    def edit(book):
        sheets = [book["牵头任务"], book["协办任务"]]
        for op, which, *args in edits:
            sheet = sheets[which]
            if op == "cell":
                row, col, value = args
                cell = sheet.cell(row, col)
                if not isinstance(cell, MergedCell):  # only the top-left cell of a merge holds a value
                    cell.value = value
            elif op == "delete_row":
                sheet.delete_rows(args[0])
            elif op == "insert_row":
                sheet.insert_rows(args[0])
            elif op == "rename" and args[0] not in book.sheetnames:
                sheet.title = args[0]
    return FIXTURES.edited(CLEAN_BYTES, edit)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_EDITS)
def test_mutated_return_never_raises_never_names_another_unit_and_only_counts_owed_entries(edits):
    sub = read_return(_mutate(edits), "区工信局.xlsx", RECEIVED, REGISTER)
    assert sub.outcome in ("accepted", "accepted_with_warnings", "pending", "rejected")
    assert sub.unit in (None, "区工信局")
    assert all((e.task_id, e.role) in _OWED for e in sub.entries if e.usable)
    assert len({(e.task_id, e.role) for e in sub.entries}) == len(sub.entries)  # one entry per task and role
    assert sub.outcome == "accepted" or sub.problems
