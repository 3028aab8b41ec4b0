"""Unit names and round ids become file and folder names: safe on Windows and Linux, never outside outbox/.

`files.safe_filename` is the one place names are made safe (templates, rollups, receipts, plans,
the comparison). Checked on the names that break things (reserved devices, `..`, separators,
drive letters, 200-character names, invisible characters), by property over any text, and by a
real `generate` + `collect` on a register whose units carry such names.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from excelflow.cli import main
from excelflow.files import MAX_NAME_BYTES, MAX_NAME_CHARS, fallback_path, safe_filename
from excelflow.forms.identity import IDENTITY_SHEET, read_identity
from excelflow.intake.records import Submission
from excelflow.register.load import load_register
from excelflow.register.model import Register, Round, Task, Unit
from excelflow.register.write import write_register
from excelflow.store.archive import Archive
from excelflow.workspace import Workspace, receipt_stem

WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                    *(f"{p}{d}" for p in ("COM", "LPT") for d in "123456789¹²³")}
HOSTILE = [
    "CON", "con", "aux.", "NUL", "Nul.txt", "COM1", "lpt9", "COM¹", "CONIN$",
    "..", ".", "...", "../../etc/passwd", "..\\..\\Windows", "/", "\\", "/etc/区财政局", "C:\\区财政局",
    "C:区财政局", "\\\\server\\share\\区财政局", "区A/B", "区A:B", "区A?B*", "区A|B", '区"A"<B>',
    "区财政局 ", "区财政局.", " .区财政局", "\t区财政局\n", "区财政\x00局", "区财政局\u202excod.exe",
    "区" + "很长的单位名称" * 30, "x" * 300, "",
]


def check_name(name: str, result: str) -> None:
    assert result and result not in (".", "..")
    assert not re.search(r'[<>:"/\\|?*\x00-\x1f\x7f]', result), result
    assert not result.startswith(".") and result == result.strip() and not result.endswith((".", " "))
    assert result.split(".")[0].rstrip(" ").upper() not in WINDOWS_RESERVED, result
    assert len(result) <= MAX_NAME_CHARS and len(result.encode("utf-8")) <= MAX_NAME_BYTES, result
    assert not any(unicodedata.category(ch) == "Cf" for ch in result)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_become_one_plain_file_name_in_the_folder(name: str, tmp_path: Path):
    result = safe_filename(name)
    check_name(name, result)
    for suffix in (".xlsx", ".txt"):
        path = tmp_path / safe_filename(name, suffix)
        assert path.parent == tmp_path and path.name.endswith(suffix)
        path.write_bytes(b"x")  # a name Linux accepts, with room for the fallback marker
        fallback_path(path).write_bytes(b"y")
        assert path.resolve().parent == tmp_path.resolve()


def test_ordinary_unit_names_are_kept_as_they_are():
    for name in ("区工信局", "区政府办(政务服务办)", "市应急局〈市消防救援支队〉", "区广投集团(自来水公司)", "2021-H1"):
        assert safe_filename(name, ".xlsx") == f"{name}.xlsx"


def test_reserved_names_are_prefixed_not_dropped():
    assert safe_filename("CON", ".xlsx") == "_CON.xlsx"
    assert safe_filename("aux.", ".xlsx") == "_aux.xlsx"
    assert safe_filename("NUL.txt") == "_NUL.txt"
    assert safe_filename("CONTACT") == "CONTACT"  # only the device names themselves


def test_long_names_that_share_their_start_still_get_two_files():
    a, b = "区" + "很长的单位名称" * 30 + "甲", "区" + "很长的单位名称" * 30 + "乙"
    assert safe_filename(a) != safe_filename(b)
    assert safe_filename(a) == safe_filename(a)  # deterministic: the same unit keeps its file
    # receipts of two returns from one long-named unit: the receipt stem's time and digest are cut
    # off by the length cap, the digest of the whole name keeps them apart
    first = Submission("a.xlsx", "1" * 64, 1, datetime(2021, 6, 14, 9), "accepted", unit=a)
    second = Submission("b.xlsx", "2" * 64, 1, datetime(2021, 6, 14, 9), "accepted", unit=a)
    assert receipt_stem(first) != receipt_stem(second)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_valid_name_inside_its_folder(name: str):
    result = safe_filename(name, ".xlsx")
    check_name(name, result[:-5] if result.endswith(".xlsx") else result)
    folder = Path("/outbox/2021-H1/rollups")
    assert (folder / result).parent == folder


@pytest.mark.parametrize("name", HOSTILE)
def test_workspace_paths_for_hostile_units_and_rounds_stay_in_outbox(name: str, tmp_path: Path):
    ws = Workspace(tmp_path)
    outbox = ws.outbox.resolve()
    for path in (ws.template_file(name, name), ws.rollup_file(name, name), ws.comparison_path(name),
                 ws.receipts_dir(name) / f"{receipt_stem(Submission('x', '0' * 64, 0, datetime(2021, 6, 1), 'accepted', unit=name))}.xlsx"):
        assert outbox in path.resolve().parents, path
        assert len(path.relative_to(ws.outbox).parts) <= 3


# -- a real generate + collect on units with such names -------------------------------------------
UNITS = ("CON", "aux.", "区A/B", "区D\\E", "C:区C", "区" + "很长的单位名称" * 30)


def hostile_register() -> Register:
    units = tuple(Unit(u) for u in UNITS)
    tasks = tuple(Task(i + 1, "一、测试", None, f"任务{i + 1}:推进重点工作。", (u,), (UNITS[(i + 1) % len(UNITS)],))
                  for i, u in enumerate(UNITS))
    rounds = (Round("2021-H1", "半年", date(2021, 6, 15), date(2021, 6, 25)),)
    return Register(title="测试", units=units, tasks=tasks, rounds=rounds)


def test_generate_and_collect_with_hostile_unit_names_write_only_under_the_working_folder(tmp_path: Path):
    outside = tmp_path / "outside"
    root = outside / "督查室"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root), "--example"]).exit_code == 0
    ws = Workspace(root)
    write_register(ws.register_path, hostile_register())
    register = load_register(ws.register_path)
    assert {u.name for u in register.units} == set(UNITS)
    before = {p for p in tmp_path.rglob("*")}
    result = runner.invoke(main, ["generate", "--round", "2021-H1", "--root", str(root), "--now", "2021-06-01T09:00"])
    assert result.exit_code == 0, result.output
    templates = sorted(ws.templates_dir("2021-H1").glob("*.xlsx"))
    assert len(templates) == len(UNITS)
    from python_calamine import CalamineWorkbook

    units = set()
    for path in templates:
        book = CalamineWorkbook.from_path(str(path))
        units.add(read_identity(book.get_sheet_by_name(IDENTITY_SHEET).to_python()).unit)
        (ws.inbox / path.name).write_bytes(path.read_bytes())  # returned unfilled, as handed out
    assert units == set(UNITS)
    collected = runner.invoke(main, ["collect", "--root", str(root), "--now", "2021-06-14T09:00", "--wait", "5"])
    assert collected.exit_code in (0, 3), collected.output
    assert {s.unit for s in Archive(ws).submissions()} == set(UNITS)
    new = {p for p in tmp_path.rglob("*")} - before
    allowed = (ws.outbox, ws.archive, ws.state, ws.inbox, ws.campaign_key_path)
    for path in new:
        assert any(path == a or a in path.parents for a in allowed), path
    rollups = sorted(ws.rollups_dir("2021-H1").glob("*.xlsx"))
    assert len(rollups) == len(UNITS)  # every lead unit its own rollup
    receipts = sorted(ws.receipts_dir("2021-H1").glob("*.txt"))
    assert len(receipts) == len(UNITS)


def test_units_whose_names_differ_only_in_forbidden_characters_get_distinct_rollups(tmp_path: Path):
    root = tmp_path / "督查室"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root), "--example"]).exit_code == 0
    ws = Workspace(root)
    units = (Unit("区城投/集团"), Unit("区城投_集团"))
    tasks = (Task(1, "一、测试", None, "任务一。", ("区城投/集团",)), Task(2, "一、测试", None, "任务二。", ("区城投_集团",)))
    write_register(ws.register_path, Register(title="测试", units=units, tasks=tasks,
                                              rounds=(Round("2021-H1", "半年", date(2021, 6, 15), date(2021, 6, 25)),)))
    collected = runner.invoke(main, ["collect", "--root", str(root), "--round", "2021-H1", "--now", "2021-06-14T09:00",
                                     "--wait", "5"])  # no workbooks generated: the round is named
    assert collected.exit_code in (0, 3), collected.output
    from python_calamine import CalamineWorkbook

    rollups = list(ws.rollups_dir("2021-H1").glob("*.xlsx"))
    owners = {read_identity(CalamineWorkbook.from_path(str(p)).get_sheet_by_name(IDENTITY_SHEET).to_python()).unit
              for p in rollups}
    assert owners == {"区城投/集团", "区城投_集团"}
