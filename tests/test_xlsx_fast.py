"""The fast paths through xlsxwriter (`excelflow/xlsx_fast.py`) write xlsxwriter's bytes.

Every workbook excelflow draws goes through them; these tests draw the same workbooks with
xlsxwriter's own code (`xlsx_fast.ENABLED` off) and compare the files byte for byte: the demo
office's outputs drawn again from its archive (79 reporting workbooks, the receipts and rollups of
the returns it collected, the comparison workbook, the distribution list), and random sheets with
the cells a unit's text can hold (control characters, spaces at either end, `_x0041_`, markup,
emoji, numbers of every size), merged ranges, rows with heights, formats and outline levels.
"""

from __future__ import annotations

import enum
import io
import random
import shutil
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from xlsxwriter.exceptions import OverlappingRange

from excelflow import xlsx_fast
from excelflow.demo import ROUND, run_demo
from excelflow.forms.generate import generate_round
from excelflow.register.load import load_register
from excelflow.runs.collect import run_pass
from excelflow.workspace import Workspace
from excelflow.xlsx import close_with_growing_rows, new_workbook, write_cells

pytestmark = pytest.mark.skipif(not xlsx_fast.ENABLED, reason="xlsxwriter version not checked: the fast paths are off")


def _both_ways(monkeypatch: pytest.MonkeyPatch, draw: Callable[[], bytes]) -> tuple[bytes, bytes]:
    fast = draw()
    monkeypatch.setattr(xlsx_fast, "ENABLED", False)
    plain = draw()
    monkeypatch.setattr(xlsx_fast, "ENABLED", True)
    return fast, plain


def _first_difference(fast: bytes, plain: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(fast)) as a, zipfile.ZipFile(io.BytesIO(plain)) as b:
        if a.namelist() != b.namelist():
            return f"members {a.namelist()} vs {b.namelist()}"
        for name in a.namelist():
            x, y = a.read(name), b.read(name)
            if x != y:
                at = next((i for i in range(min(len(x), len(y))) if x[i] != y[i]), min(len(x), len(y)))
                return f"{name} at {at}: {x[max(0, at - 80):at + 80]!r} vs {y[max(0, at - 80):at + 80]!r}"
    return "same members, different zip records"


TEXTS = ["进展顺利", "", " 前后有空格 ", "\t制表", "换行\n第二行", "_x0041_ 像转义", "a\x01b\x1fc", "<r>像富文本</r>",
         "<b>&amp; \"引号\" 'x'", "😀 表情", "=SUM(A1)", "http://example.com", "0012", "x" * 300,
         "\ufffe\uffff", "牵头单位:区发改委、区财政局"]
NUMBERS = [0, 1, -1, 3.5, 1e20, 1e-7, 123456789012345678, 0.1 + 0.2, -0.0, 2.0]
DATES = [datetime(2021, 6, 28, 9, 0), datetime(1900, 1, 1), datetime(2026, 12, 1, 23, 59, 59, 999999)]


class _Text(str):
    pass


class Level(enum.IntEnum):
    HIGH = 3


def _random_workbook(rng: random.Random) -> bytes:
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    # What the package's bookkeeping parts are kept by (`FastPackager`) varies from case to case:
    # properties, sheet names, hidden sheets, print titles and filters, no strings at all.
    book.set_properties({"title": "测试", "created": datetime(2021, 6, 1, 9, 0),
                         **rng.choice([{}, {"company": "督查室"}, {"manager": "张三", "hyperlink_base": "http://x"}])})
    if rng.random() < 0.15:
        book.set_custom_property("版本", "1")
    numbers_only = rng.random() < 0.15
    formats = [None] + [book.add_format(props) for props in (
        {"bold": True}, {"font_size": 16}, {"font_size": 16.0}, {"bg_color": "#F2F2F2", "border": 1},
        {"text_wrap": True, "locked": False}, {"num_format": "0.0"}, {"bold": True},
    )]
    date_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    grow: dict[int, list[int]] = {}
    for n in range(rng.randint(1, 3)):
        sheet = book.add_worksheet(rng.choice([f"表{n + 1}", f"Sheet{n + 1}"]))
        if n and rng.random() < 0.3:
            rng.choice([sheet.hide, sheet.very_hidden])()
        if rng.random() < 0.3:
            sheet.repeat_rows(0, rng.randint(0, 2))
        if rng.random() < 0.3:
            sheet.autofilter(0, 0, rng.randint(1, 40), rng.randint(0, 5))
        merged: set[int] = set()
        if rng.random() < 0.3:
            sheet.set_column(0, 3, 12, rng.choice(formats))
        for _ in range(rng.randint(0, 60)):
            row, col = rng.randint(0, 40), rng.randint(0, 12)
            kind = rng.random()
            fmt = rng.choice(formats)
            if kind < 0.55 and numbers_only:
                sheet.write_number(row, col, rng.choice(NUMBERS), fmt)
            elif kind < 0.55:
                sheet.write_string(row, col, rng.choice(TEXTS), fmt)
            elif kind < 0.72:
                sheet.write_number(row, col, rng.choice(NUMBERS), fmt)
            elif kind < 0.75:  # a date is stored as its serial number (the comparison's 总览 has two)
                sheet.write_datetime(row, col, rng.choice(DATES), rng.choice([fmt, date_format]))
            elif kind < 0.82:
                sheet.write_blank(row, col, None, fmt)
            elif kind < 0.87 and row not in merged and row + 1 not in merged and not numbers_only:
                merged.update((row, row + 1))
                bottom = row + rng.choice([0, 1])  # across, or across and down
                sheet.merge_range(row, 14, bottom, 16 if bottom == row else 15, rng.choice(TEXTS), fmt)
            elif kind < 0.91:
                sheet.set_row(row, rng.choice([None, 0, 15, 30.5, 409]), rng.choice(formats))
            elif kind < 0.95:
                sheet.set_row(row, rng.choice([None, 15, 30.5, 409]), rng.choice(formats),
                              {"hidden": rng.random() < 0.2, "level": rng.choice([0, 0, 1, 9]),
                               "collapsed": rng.random() < 0.1})
            elif kind < 0.98 and not numbers_only:
                # A row of cells in one call: texts (even empty, and one too long), numbers, blanks
                # with and without a format, and values only the general way writes.
                values = [*TEXTS, *NUMBERS, None, None, True, _Text("子类"), Level.HIGH, "长" * 20000]
                write_cells(sheet, row, col, [(rng.choice(values), rng.choice(formats))
                                              for _ in range(rng.randint(1, 6))])
            else:
                sheet.write_formula(row, col, "=1+1", fmt, 2)  # the general path for the whole sheet
        if rng.random() < 0.4:
            grow[n + 1] = [rng.randint(0, 40) for _ in range(5)]
    return close_with_growing_rows(book, buffer, grow)


def test_random_sheets_are_written_as_xlsxwriter_writes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    for case in range(60):
        fast, plain = _both_ways(monkeypatch, lambda: _random_workbook(random.Random(seed + case)))
        assert fast == plain, f"seed {seed + case}: {_first_difference(fast, plain)}"


def test_a_cell_outside_the_sheet_is_refused_as_xlsxwriter_refuses_it() -> None:
    book = new_workbook(io.BytesIO())
    sheet = book.add_worksheet()
    assert sheet.write_string(1_048_576, 0, "x") == -1
    assert sheet.write_number(0, 16_384, 1) == -1
    assert sheet.write_blank(-1, 0, None, book.add_format({"bold": True})) == -1
    assert sheet.dim_rowmin is None
    assert sheet.write_string("B3", "a1 notation") == 0 and (sheet.dim_rowmin, sheet.dim_colmin) == (2, 1)
    with pytest.raises(TypeError):
        sheet.write_number(0, 0, float("nan"))  # as xlsxwriter: NaN needs the nan_inf_to_errors option
    assert sheet.merge_range(0, 0, 0, 2, "合并") == 0
    with pytest.raises(OverlappingRange):
        sheet.merge_range(0, 1, 1, 1, "重叠")
    assert sheet.merge_range(5, 0, 5, 16_384, "超出") == -1 and sheet.set_row(1_048_576, 20) == -1
    book.close()


FINAL_PASS = datetime(2021, 6, 28, 9, 0)


def _outputs_drawn_again(base: Path, root: Path) -> dict[str, bytes]:
    """The demo office `base` copied to `root`, its unit workbooks and round outputs drawn again
    from the same register, archive and campaign key (in this process: no worker processes)."""
    shutil.copytree(base, root)
    ws = Workspace(root)
    shutil.rmtree(ws.root / "outbox")
    shutil.rmtree(ws.root / ".excelflow")  # the pass cache: nothing is known to be up to date
    register = load_register(ws.require_register())
    generate_round(ws, register, ROUND, force=True, now=datetime(2021, 6, 1, 9, 0))
    run_pass(ws, round_id=ROUND, now=FINAL_PASS, workers=1)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "outbox").rglob("*.xlsx"))}


def test_the_demo_office_draws_the_same_workbooks_either_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_demo(tmp_path / "demo", echo=lambda line: None)
    fast = _outputs_drawn_again(tmp_path / "demo", tmp_path / "fast")
    monkeypatch.setattr(xlsx_fast, "ENABLED", False)
    plain = _outputs_drawn_again(tmp_path / "demo", tmp_path / "plain")
    assert sorted(fast) == sorted(plain)
    folders = {name.split("/")[-2] for name in fast}
    assert {"receipts", "rollups", "templates", ROUND} <= folders, folders  # the comparison is in 2021-H1/
    assert len(fast) > 150
    different = [name for name in fast if fast[name] != plain[name]]
    assert not different, f"{len(different)} differ, first {different[0]}: " \
                          f"{_first_difference(fast[different[0]], plain[different[0]])}"


def test_the_package_is_zipped_record_for_record_as_zipfile_zips_it() -> None:
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    rng = random.Random(seed)
    for case in range(30):
        parts = [(f"xl/part{n}.xml", rng.randbytes(rng.choice([0, 1, 100, 70_000])) if rng.random() < 0.3
                  else ("<a>" + "表格" * rng.randint(0, 5000) + "</a>").encode("utf-8"))
                 for n in range(rng.randint(1, 12))]
        start = rng.choice([0, 0, 17])  # what is in the buffer before the workbook
        expected = io.BytesIO(b"x" * start)
        expected.seek(start)
        with zipfile.ZipFile(expected, "w", compression=zipfile.ZIP_DEFLATED) as zip_file:
            for name, data in parts:
                xlsx_fast._write_member(zip_file, name, data)
        assert b"x" * start + (xlsx_fast._small_zip(parts, start) or b"") == expected.getvalue(), f"seed {seed}, {case}"
    assert xlsx_fast._small_zip([("xl/表.xml", b"<a/>")], 0) is None  # a name only zipfile encodes (UTF-8 flag)


def test_a_format_changed_after_it_was_added_is_written_as_xlsxwriter_writes_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A format's keys are remembered by the model its copies come from; a copy changed by a
    setter (the model and the other copies not) must forget them."""
    def draw() -> bytes:
        buffer = io.BytesIO()
        workbook = new_workbook(buffer)
        sheet = workbook.add_worksheet("表")
        plain = workbook.add_format({"font_size": 11, "border": 1})
        changed = workbook.add_format({"font_size": 11, "border": 1})
        changed.set_bold()
        changed.set_bg_color("#FCE4D6")
        changed.set_align("center")
        sheet.write_string(0, 0, "原样", plain)
        sheet.write_string(1, 0, "加粗", changed)
        sheet.write_string(2, 0, "再原样", workbook.add_format({"font_size": 11, "border": 1}))
        return close_with_growing_rows(workbook, buffer, {})

    fast, plain = _both_ways(monkeypatch, draw)
    assert fast == plain, _first_difference(fast, plain)
    with zipfile.ZipFile(io.BytesIO(fast)) as z:
        styles = z.read("xl/styles.xml").decode()
    assert styles.count("<xf ") >= 3 and "<b/>" in styles and "FFFCE4D6" in styles


def test_formats_prepared_for_one_workbook_are_not_replayed_on_a_format_changed_in_another(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What xlsxwriter prepares for a set of formats is kept and replayed on the next workbook
    using copies of the same models the same way. A copy changed by a setter is no such copy:
    the second workbook below uses the same models at the same indices, one of them changed."""
    def draw(change: bool) -> bytes:
        buffer = io.BytesIO()
        workbook = new_workbook(buffer)
        sheet = workbook.add_worksheet("表")
        thin = workbook.add_format({"font_size": 11, "border": 1})
        thick = workbook.add_format({"font_size": 11, "border": 2, "bg_color": "#F2F2F2"})
        if change:
            thick.set_bg_color("#FCE4D6")
            thick.set_bold()
        sheet.write_string(0, 0, "细框", thin)
        sheet.write_string(1, 0, "粗框", thick)
        return close_with_growing_rows(workbook, buffer, {})

    for change in (False, False, True, False):
        fast, plain = _both_ways(monkeypatch, lambda: draw(change))
        assert fast == plain, f"change={change}: {_first_difference(fast, plain)}"
        with zipfile.ZipFile(io.BytesIO(fast)) as z:
            styles = z.read("xl/styles.xml").decode()
        assert ("FFFCE4D6" in styles and "<b/>" in styles) == change, styles


def test_element_writers_write_what_xlsxwriter_writes_for_every_kind_of_attribute() -> None:
    from xlsxwriter.xmlwriter import XMLwriter

    class Text(str):
        pass

    values = [0, 7, -3, 2.5, 1e-20, 1e21, True, False, None, "", "plain", "纯文本", 'a "quoted" word', "R&D",
              "<tag>", "line\nbreak", "tab\there", Text("子类 & <b>"), b"bytes"]
    attributes = [(f"a{i}", value) for i, value in enumerate(values)]
    class Ours(xlsx_fast.FastXML, XMLwriter):  # as the sheet and the workbook mix it in
        pass

    theirs, ours = XMLwriter(), Ours()
    theirs.fh, ours.fh = io.StringIO(), io.StringIO()
    for writer in (theirs, ours):
        writer._xml_start_tag("x", attributes)
        writer._xml_empty_tag("y", attributes)
        writer._xml_empty_tag("z")
        writer._xml_start_tag("w")
        writer._xml_data_element("d", "R&D <b>", attributes[:6])
    assert ours.fh.getvalue() == theirs.fh.getvalue()
