"""Property-based tests: a filled return mutated every way people and programs mess with one.

Starting points are real returns of the shipped 2021 register (the corpus's `filled`, and the
LibreOffice-saved `.xls` and `.ods` of the corpus). Mutations: cells (any value, formulas, dates,
long text), rows (insert, delete, copy), sheets (delete, copy, rename, reorder, hide, delete the
identity sheet), identity cells, the XML inside the zip, and raw bytes. Whatever comes out:

- `read_return` never raises;
- the file ends in exactly one of accepted, accepted with warnings, pending, rejected, and
  anything but accepted carries a reason (a Chinese message naming the file);
- nothing is attributed to another unit: the unit is the return's own, none, or (only when the
  identity sheet itself was edited to name another unit) the unit the identity names;
- usable entries are only entries that unit owes, one per task and role.

And a batch of mutated files goes through a real collect pass without stopping. `max_examples`
stay modest so the file runs in well under a minute on two cores.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from corpus_maker import MAKE
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import MergedCell

from excelflow.forms.identity import IDENTITY_SHEET
from excelflow.intake.read import read_return
from excelflow.intake.records import Submission

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
RECEIVED = datetime(2021, 6, 14, 9, 0)
UNIT = "区科技局"




REGISTER = MAKE.REGISTER
OWED: dict[str, set[tuple[int, str]]] = {}
for _e in REGISTER.expected_entries():
    OWED.setdefault(_e.unit, set()).add((_e.task_id, _e.role))
FILLED = MAKE.filled(UNIT)
OTHER_UNIT = "区财政局"


def check(sub: Submission, file: str, units: set[str | None]) -> None:
    event(f"outcome: {sub.outcome}")  # shown by --hypothesis-show-statistics: the mix is not all one
    assert sub.outcome in ("accepted", "accepted_with_warnings", "pending", "rejected")
    assert sub.unit in units, sub.unit
    if sub.outcome != "accepted":
        assert sub.problems
    for problem in sub.problems:
        assert problem.file == file and re.search(r"[\u4e00-\u9fff]", problem.message)
    assert all(e.unit == sub.unit for e in sub.entries)
    if sub.unit is not None:
        assert all((e.task_id, e.role) in OWED[sub.unit] for e in sub.entries if e.usable)
    assert len({(e.task_id, e.role) for e in sub.entries}) == len(sub.entries)


# -- workbook-level mutations (openpyxl, as an office suite saves) ---------------------------------
_TEXT = st.characters(blacklist_categories=("Cc", "Cs"))
_VALUES = st.one_of(
    st.text(_TEXT, max_size=8), st.integers(-5, 20000), st.floats(-1, 150, allow_nan=False), st.none(),
    st.booleans(), st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 1, 1)),
    st.sampled_from(["已完成", "滞后", "1", "３", "80%", "序号", "完成状态", "进展情况", "填报单位", "区财政局",
                     "=1+1", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A1", "2021年半年", "2021年全年",
                     "2020-H1", "x" * 5000]),
)
_SHEET = st.integers(0, 3)
_EDITS = st.lists(st.one_of(
    st.tuples(st.just("cell"), _SHEET, st.integers(1, 14), st.integers(1, 12), _VALUES),
    st.tuples(st.just("delete_row"), _SHEET, st.integers(1, 12), st.integers(1, 3)),
    st.tuples(st.just("insert_row"), _SHEET, st.integers(1, 12), st.integers(1, 3)),
    st.tuples(st.just("copy_row"), _SHEET, st.integers(1, 12), st.integers(1, 14)),
    st.tuples(st.just("merge"), _SHEET, st.integers(1, 12), st.integers(1, 10)),
    st.tuples(st.just("delete_sheet"), _SHEET),
    st.tuples(st.just("copy_sheet"), _SHEET),
    st.tuples(st.just("move_sheet"), _SHEET, st.integers(-3, 3)),
    st.tuples(st.just("hide_sheet"), _SHEET),
    st.tuples(st.just("rename"), _SHEET, st.text(_TEXT, min_size=1, max_size=12).filter(
        lambda t: not set(t) & set("[]:*?/\\'") and t.strip() and t != IDENTITY_SHEET)),
    st.tuples(st.just("identity"), st.integers(1, 12), st.integers(1, 6), _VALUES),
), min_size=1, max_size=8)


def mutate(data: bytes, edits: list[tuple[Any, ...]]) -> tuple[bytes, set[str | None]]:
    """`data` edited by `edits`; also the units the result may legitimately be attributed to.

    While the identity sheet is intact only the return's own unit (or none) is right. Once an
    edit damaged, renamed or removed it, a unit name the edits typed into the file is evidence too
    (a retyped header), so that unit is allowed as well; no other is, ever.
    """
    units: set[str | None] = {None, UNIT}
    typed = {v.strip() for _, *args in edits for v in args if isinstance(v, str) and v.strip() in OWED}
    touched = False

    def edit(book: openpyxl.Workbook) -> None:
        nonlocal touched
        for op, *args in edits:
            sheets = book.worksheets
            if op == "identity":
                if IDENTITY_SHEET not in book.sheetnames:
                    continue
                row, col, value = args
                book[IDENTITY_SHEET].cell(row, col).value = value
                touched = True
                continue
            sheet = sheets[args[0] % len(sheets)]
            if sheet.title == IDENTITY_SHEET and op not in ("move_sheet", "hide_sheet", "copy_sheet"):
                touched = True
            if op == "cell":
                cell = sheet.cell(args[1], args[2])
                if not isinstance(cell, MergedCell):
                    cell.value = args[3]
            elif op == "delete_row":
                sheet.delete_rows(args[1], args[2])
            elif op == "insert_row":
                sheet.insert_rows(args[1], args[2])
            elif op == "copy_row":
                for col in range(1, sheet.max_column + 1):
                    source, target = sheet.cell(args[1], col), sheet.cell(args[2], col)
                    if not isinstance(target, MergedCell) and not isinstance(source, MergedCell):
                        target.value = source.value
            elif op == "merge":
                try:
                    sheet.merge_cells(start_row=args[1], start_column=args[2], end_row=args[1] + 1,
                                      end_column=args[2])
                except ValueError:
                    pass
            elif op == "delete_sheet" and (sheet.sheet_state != "visible"
                                           or sum(s.sheet_state == "visible" for s in sheets) > 1):
                book.remove(sheet)  # an office suite keeps one visible sheet at least
            elif op == "copy_sheet":
                book.copy_worksheet(sheet)
            elif op == "move_sheet":
                book.move_sheet(sheet, offset=args[1])
            elif op == "hide_sheet" and sum(s.sheet_state == "visible" for s in sheets) > 1:
                sheet.sheet_state = "hidden"
            elif op == "rename" and args[1] not in book.sheetnames:
                sheet.title = args[1]
        if touched:
            units.update(typed)
    return MAKE.FIX.edited(data, edit), units


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_EDITS)
def test_a_mutated_workbook_never_raises_and_is_never_attributed_to_another_unit(edits):
    data, units = mutate(FILLED, edits)
    check(read_return(data, "单位报送/mutated.xlsx", RECEIVED, REGISTER), "单位报送/mutated.xlsx", units)


def test_another_unit_named_only_in_the_header_or_file_name_never_takes_the_return():
    # The identity says 区科技局; header, sheet names and the file name all say 区财政局.
    data, _ = mutate(FILLED, [("cell", 0, 2, 3, OTHER_UNIT), ("cell", 1, 2, 3, OTHER_UNIT),
                              ("rename", 0, f"{OTHER_UNIT}牵头")])
    sub = read_return(data, f"{OTHER_UNIT}/{OTHER_UNIT}.xlsx", RECEIVED, REGISTER)
    assert sub.unit == UNIT and sub.confidence == "identity"
    assert any(OTHER_UNIT in p.message for p in sub.problems)


# -- container-level mutations: the XML inside the zip, and raw bytes -----------------------------
def _parts(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [i.filename for i in z.infolist()]


FILLED_PARTS = _parts(FILLED)
ODS = (CORPUS / "sheets-renamed-and-reordered-saved-by-libreoffice.ods").read_bytes()
ODS_PARTS = _parts(ODS)
XLS = (CORPUS / "merged-cells-saved-by-libreoffice.xls").read_bytes()
_XML_EDITS = st.lists(st.one_of(
    st.tuples(st.just("cut"), st.floats(0, 1)),
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.sampled_from(
        [b"<", b">", b"&", b"\x00", b"<row r=\"1\">", b"<c r=\"A1\"><v>1</v></c>", "区财政局".encode(), b"]]>",
         b"<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"])),
    st.tuples(st.just("drop"),),
), min_size=1, max_size=4)


def mutate_part(data: bytes, part: str, edits: list[tuple[Any, ...]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == part:
                dropped = False
                for op, *args in edits:
                    at = int(args[0] * len(body)) if args else 0
                    if op == "cut":
                        body = body[:at]
                    elif op == "flip" and body:
                        body = body[:min(at, len(body) - 1)] + bytes([args[1]]) + body[min(at, len(body) - 1) + 1:]
                    elif op == "insert":
                        body = body[:at] + args[1] + body[at:]
                    elif op == "drop":
                        dropped = True
                if dropped:
                    continue
            zout.writestr(info, body)
    return out.getvalue()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["xlsx", "ods"]), st.data(), _XML_EDITS)
def test_damaged_xml_inside_the_workbook_never_raises_and_never_names_another_unit(fmt, data, edits):
    base, parts = (FILLED, FILLED_PARTS) if fmt == "xlsx" else (ODS, ODS_PARTS)
    part = data.draw(st.sampled_from(parts))
    damaged = mutate_part(base, part, edits)
    file = f"mutated.{fmt}"
    unit = UNIT if fmt == "xlsx" else "区商务局"
    sub = read_return(damaged, file, RECEIVED, REGISTER)
    check(sub, file, {None, unit})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=16),
       st.floats(0.02, 1))
def test_damaged_bytes_of_an_xls_saved_by_libreoffice_never_raise(flips, keep):
    data = bytearray(XLS[: max(1, int(len(XLS) * keep))])
    for at, value in flips:
        data[int(at * len(data))] = value
    sub = read_return(bytes(data), "mutated.xls", RECEIVED, REGISTER)
    check(sub, "mutated.xls", {None, "区广投集团"})


# -- a batch of mutated files through a real collect pass -----------------------------------------
@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from excelflow.cli import main

    root = tmp_path_factory.mktemp("fuzz") / "督查室"
    assert CliRunner().invoke(main, ["init", str(root), "--example"]).exit_code == 0
    # The files are the corpus's (MAKE.filled), signed with its campaign's key: this folder is that campaign.
    shutil.copyfile(MAKE.KEY_FILE, root / "workbooks" / "campaign.key")
    return root


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(_EDITS, min_size=2, max_size=3), _XML_EDITS)
def test_a_batch_of_mutated_returns_goes_through_collect_and_every_file_ends_in_one_outcome(
        pristine: Path, tmp_path_factory: pytest.TempPathFactory, batch, xml_edits):
    from excelflow.runs.collect import run_pass
    from excelflow.store.archive import Archive
    from excelflow.workspace import Workspace

    root = tmp_path_factory.mktemp("batch") / "督查室"
    shutil.copytree(pristine, root)
    ws = Workspace(root)
    allowed: dict[str, set[str | None]] = {}
    for i, edits in enumerate(batch):
        data, units = mutate(FILLED, edits)
        (ws.inbox / f"{i}.xlsx").write_bytes(data)
        allowed[f"{i}.xlsx"] = units
    (ws.inbox / "xml.xlsx").write_bytes(mutate_part(FILLED, "xl/worksheets/sheet1.xml", xml_edits))
    allowed["xml.xlsx"] = {None, UNIT}
    (ws.inbox / "clean.xlsx").write_bytes(MAKE.filled("区民政局"))
    allowed["clean.xlsx"] = {"区民政局"}
    report = run_pass(ws, round_id="2021-H1", now=RECEIVED)
    subs = {s.path: s for s in Archive(ws).submissions()}
    duplicates = set(report.duplicates)
    assert set(subs) | set(report.pending) | duplicates == set(allowed)
    for path, sub in subs.items():
        check(sub, path, allowed[path])
    assert subs["clean.xlsx"].outcome == "accepted"
    assert any(s.state == "on_time" and s.unit == "区民政局" for s in report.states)


# -- several retyped forms (no identity) in one file: each sheet's rows stay with its own unit -----
_RETYPED_UNITS = ("区财政局", "区商务局", "区工信局", "区科技局")
_TYPED = {"区财政局": ("区财政局", "财政局"), "区商务局": ("区商务局", "商务局"), "区工信局": ("区工信局", "工信局"),
          "区科技局": ("区科技局", "科技局")}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_RETYPED_UNITS), min_size=1, max_size=3), st.data())
def test_retyped_forms_of_several_units_in_one_file_never_lend_rows_to_another_unit(units, data):
    typed = [data.draw(st.sampled_from(_TYPED[u])) for u in units]
    content = MAKE.retyped(units[0], typed[0], *zip(units[1:], typed[1:]))
    sub = read_return(content, "单位报送/mixed.xlsx", RECEIVED, REGISTER)
    check(sub, "单位报送/mixed.xlsx", {None, *units})
    if sub.unit is None:
        return
    # rows a sheet holds are the tasks its unit owes; only sheets typed for sub.unit may give entries
    allowed = {task for u in units if u == sub.unit for task, _ in OWED[u]}
    assert {e.task_id for e in sub.entries} <= allowed
    assert sub.unit == units[0]
