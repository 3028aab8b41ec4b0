"""The hostile-input corpus (tests/data/corpus/) collected at once by a real `excelflow collect`.

The working folder is what a clerk has: `excelflow init` (the shipped 2021 register) and
`excelflow generate --round 2021-H1`, under a path with Chinese characters and spaces. Every
corpus file is dropped into `inbox/` and one `collect` runs over all of them. Each file must end
as `expected.csv` says (read back from the archive's records; pending files from the summary), be
attributed to the unit it says or to none, leave the inbox byte for byte as it was, and nothing a
unit typed may become a formula, link, field or macro in any output. The outputs must open in
LibreOffice. The case → outcome table is printed and must match `docs/hostile-input.md`.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from excelflow.cli import main
from excelflow.intake.records import OUTCOME_NAMES, Submission
from excelflow.store.archive import Archive
from excelflow.workspace import Workspace
from tests.office import convert, requires_office

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
DOC = Path(__file__).resolve().parent.parent / "docs" / "hostile-input.md"
ROUND = "2021-H1"
NOW = "2021-06-14T09:00"  # before both deadlines: every usable entry is on time


def _corpus_module() -> Any:
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


MAKE = _corpus_module()
with open(CORPUS / "expected.csv", encoding="utf-8", newline="") as _handle:
    EXPECTED: list[dict[str, str]] = list(csv.DictReader(_handle))


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class Run:
    ws: Workspace
    output: str
    exit_code: int
    inbox_before: dict[str, str]
    inbox_after: dict[str, str]
    by_path: dict[str, Submission]
    pending: list[str]


def init_and_generate(root: Path) -> Workspace:
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root), "--example"], catch_exceptions=False).exit_code == 0
    # The corpus was signed with its own campaign's key: this folder is that campaign.
    shutil.copyfile(CORPUS / "campaign.key", Workspace(root).campaign_key_path)
    result = runner.invoke(main, ["generate", "--round", ROUND, "--root", str(root), "--now", "2021-06-01T09:00"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return Workspace(root)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    ws = init_and_generate(tmp_path_factory.mktemp("corpus") / "督查室 共享盘")
    for row in EXPECTED:
        shutil.copyfile(CORPUS / row["file"], ws.inbox / row["file"])
    before = digest(ws.inbox)
    result = CliRunner().invoke(main, ["collect", "--root", str(ws.root), "--now", NOW, "--wait", "5"],
                                catch_exceptions=False)
    pending = re.findall(r"^  inbox/(.+)$", result.output.split("待重试的文件")[-1], flags=re.M) \
        if "待重试的文件" in result.output else []
    subs = {s.path: s for s in Archive(ws).submissions()}
    return Run(ws, result.output, result.exit_code, before, digest(ws.inbox), subs, pending)


def outcome_of(run: Run, file: str) -> str | None:
    if file in run.pending:
        return "pending"
    sub = run.by_path.get(file)
    return sub.outcome if sub is not None else None


def table(run: Run) -> list[str]:
    lines = [f"{'outcome':24} {'expected':24} unit / file"]
    for row in EXPECTED:
        sub = run.by_path.get(row["file"])
        lines.append(f"{outcome_of(run, row['file']) or '(none)':24} {row['outcome']:24} "
                     f"{(sub.unit if sub else None) or '—'} / {row['file'][:60]}")
    return lines


# -- the run as a whole ---------------------------------------------------------------------------
def test_collect_over_the_whole_corpus_finishes_and_every_file_ends_as_expected(run: Run):
    print("\n" + "\n".join(table(run)))
    assert run.exit_code in (0, 3), run.output
    got = {row["file"]: outcome_of(run, row["file"]) for row in EXPECTED}
    want = {row["file"]: row["outcome"] for row in EXPECTED}
    assert got == want
    # exactly one outcome per file: archived with a parse, or pending (and then not archived)
    assert not set(run.pending) & set(run.by_path)
    assert set(run.by_path) | set(run.pending) == set(want)


def test_each_file_is_attributed_to_the_unit_expected_or_to_none(run: Run):
    for row in EXPECTED:
        sub = run.by_path.get(row["file"])
        if sub is None:
            continue
        assert (sub.unit or "") == row["unit"], row["file"]
        if row["outcome"] != "rejected":
            assert sub.kind == row["kind"], row["file"]
        assert all(e.unit == sub.unit for e in sub.entries), row["file"]


def test_messages_name_the_file_say_what_is_wrong_and_are_chinese(run: Run):
    for row in EXPECTED:
        sub = run.by_path.get(row["file"])
        if sub is None:  # pending: the summary lists it
            assert f"inbox/{row['file']}" in run.output
            continue
        text = "\n".join(p.message for p in sub.problems)
        for words in filter(None, row["mentions"].split("\n")):
            assert words in text, (row["file"], words, text[:500])
        if row["outcome"] == "accepted":
            assert not sub.problems, (row["file"], [p.describe() for p in sub.problems])
        else:
            assert sub.problems, row["file"]
        for problem in sub.problems:
            assert problem.file == row["file"]
            assert re.search(r"[\u4e00-\u9fff]", problem.message)
            assert "请" in problem.message, problem.message  # every message says what to do
            if problem.task_id is not None:
                assert problem.sheet and problem.cell, problem.describe()


def test_the_summary_lists_every_file_that_needs_the_clerks_attention(run: Run):
    unplaced = [r["file"] for r in EXPECTED if r["outcome"] == "rejected" and not r["unit"]]
    assert unplaced
    section = run.output.split("未能识别的文件")[1]
    for file in unplaced:
        assert f"inbox/{file}" in section


def test_a_return_for_the_next_round_is_filed_under_that_round(run: Run):
    sub = run.by_path["next-rounds-workbook-2021-FY.xlsx"]
    assert sub.round_id == "2021-FY"
    assert "另有 1 份属于轮次 2021-FY" in run.output
    assert any(run.ws.receipts_dir("2021-FY").glob("*.txt"))


def test_receipts_state_each_identified_returns_outcome(run: Run):
    folder = run.ws.receipts_dir(ROUND)
    texts = [p.read_text(encoding="utf-8") for p in folder.glob("*.txt")]
    for row in EXPECTED:
        sub = run.by_path.get(row["file"])
        if sub is None or sub.round_id != ROUND:
            continue
        [text] = [t for t in texts if f"文件:{row['file']}\n" in t]
        assert f"处理结果:{OUTCOME_NAMES[row['outcome']]}" in text
        if row["kind"] == "plan":
            assert "落实方案" in text.splitlines()[0] and "问题:" not in text


def test_the_inbox_is_left_exactly_as_it_was(run: Run):
    assert run.inbox_after == run.inbox_before
    assert len(run.inbox_before) == len(EXPECTED)


def test_every_archived_file_is_the_original_bytes(run: Run):
    for path, sub in run.by_path.items():
        assert sub.archived_as is not None
        archived = (run.ws.root / sub.archived_as).read_bytes()
        assert hashlib.sha256(archived).hexdigest() == run.inbox_before[path] == sub.sha256


# -- entries: usable ones count, nothing reaches the wrong unit -----------------------------------
def states(run: Run) -> list[dict[str, Any]]:
    data = json.loads((run.ws.round_dir(ROUND) / "状态.json").read_text(encoding="utf-8"))
    return data["entries"]


def test_every_received_entry_comes_from_a_return_of_its_own_unit(run: Run):
    unit_of_blob = {s.archived_as: s.unit for s in run.by_path.values()}
    received = [e for e in states(run) if e["state"] != "missing"]
    assert len(received) > 60
    for entry in received:
        assert entry["sources"], entry
        for source in entry["sources"]:
            assert unit_of_blob[source] == entry["unit"], entry
    # the file named after 区交通局 holds 区自然资源局's return: 区交通局 has reported nothing
    assert all(e["state"] == "missing" for e in states(run) if e["unit"] == "区交通局")


@pytest.mark.parametrize("file", ["rows-deleted-duplicated-inserted.xlsx", "formula-and-dde-text-in-cells.xlsx",
                                  "old-template-version.xlsx", "ten-thousand-rows.xlsx",
                                  "two-units-merged-into-one-file.xlsx", "dates-as-text-and-serials.xlsx"])
def test_usable_entries_of_a_file_with_errors_still_count(run: Run, file: str):
    sub = run.by_path[file]
    by_entry = {(e["task"], e["unit"], e["role"]): e["state"] for e in states(run)}
    usable = [e for e in sub.entries if e.usable and e.complete]
    blocked = [e for e in sub.entries if not e.usable]
    assert usable
    for entry in usable:
        assert by_entry[(entry.task_id, entry.unit, entry.role)] == "on_time"
    for entry in blocked:
        assert by_entry[(entry.task_id, entry.unit, entry.role)] == "invalid"


def test_another_units_form_pasted_into_a_return_is_counted_for_nobody(run: Run):
    pasted_unit = "区教体局"
    assert all(e["state"] == "missing" for e in states(run) if e["unit"] == pasted_unit)
    [note] = [p for p in run.by_path["two-units-merged-into-one-file.xlsx"].problems if pasted_unit in p.message]
    assert note.sheet == f"{pasted_unit}报送" and note.cell


# -- nothing live reaches an output ---------------------------------------------------------------
def output_files(run: Run, suffix: str) -> list[Path]:
    return sorted(p for p in run.ws.outbox.rglob(f"*{suffix}") if "templates" not in p.parts)


def test_no_formula_link_or_macro_reaches_any_output_and_unit_text_stays_verbatim(run: Run):
    workbooks = output_files(run, ".xlsx")
    assert len(workbooks) > 40  # rollups, receipts, the comparison
    cells: set[str] = set()
    for path in workbooks:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            assert not any("vbaProject" in n or n.startswith("xl/externalLinks") for n in names), path
            for name in names:
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    xml = z.read(name).decode("utf-8")
                    assert "<f>" not in xml and "<f " not in xml, (path, name)
                    assert "<hyperlink" not in xml, (path, name)
                if "_rels/" in name:
                    assert "hyperlink" not in z.read(name).decode("utf-8"), (path, name)
        book = CalamineWorkbook.from_path(str(path))
        cells |= {v for s in book.sheet_names for r in book.get_sheet_by_name(s).to_python() for v in r
                  if isinstance(v, str)}
    # the typed texts are there, exactly, as text: in the lead units' rollups and in the receipt
    for text in MAKE.FORMULA_TEXTS:
        assert any(text in c for c in cells), text
    receipts = "\n".join(p.read_text(encoding="utf-8-sig") for p in output_files(run, ".txt"))
    assert MAKE.DDE in receipts
    documents = output_files(run, ".docx")
    assert documents  # the 通报 quotes the problems of tasks behind schedule (附件2 holds them whole)

    def document_text(path: Path) -> str:
        document = docx.Document(str(path))
        cells = (c.text for t in document.tables for row in t.rows for c in row.cells)
        return "\n".join([*(p.text for p in document.paragraphs), *cells])

    assert any(MAKE.DDE in document_text(d) for d in documents)
    for path in documents:
        with zipfile.ZipFile(path) as z:
            xml = z.read("word/document.xml").decode("utf-8")
            rels = z.read("word/_rels/document.xml.rels").decode("utf-8")
        for tag in ("<w:fldSimple", "<w:instrText", "<w:hyperlink", "<w:fldChar"):
            assert tag not in xml, path
        assert "hyperlink" not in rels
        assert docx.Document(str(path)).paragraphs


@requires_office
@pytest.mark.office
def test_every_output_the_corpus_reached_opens_in_libreoffice(run: Run, tmp_path: Path):
    # Every receipt, the comparison, the draft notification and each rollup that shows an entry
    # from the corpus. Rollups of lead units none of whose tasks got anything are the empty
    # rollups any collect writes (other tests open those). The workbooks are opened and saved
    # as ODS, which reads every cell and format but lays out no page: printing them to PDF took
    # 140 s on two shared cores (each round's comparison ~50 s), and how every kind of output
    # prints is `test_print_size.py`'s (the comparison, rollups and receipts among them).
    from excelflow.register.load import load_register

    register = load_register(run.ws.register_path)
    reached = {e["task"] for e in states(run) if e["state"] != "missing"}
    leads = {u for t in register.tasks if t.id in reached for u in register.lead_units(t)}
    rollups = {run.ws.rollup_file(ROUND, u) for u in leads}
    sources = [p for p in output_files(run, ".xlsx") if p.parent.name != "rollups" or p in rollups]
    sources += output_files(run, ".docx")
    assert rollups and all(p.is_file() for p in rollups)
    # one soffice call for all of them; names are unique per folder, so copy under unique stems
    flat = tmp_path / "in"
    flat.mkdir()
    copies = []
    for i, path in enumerate(sources):
        copy = flat / f"{i:03d}{path.suffix}"
        shutil.copyfile(path, copy)
        copies.append(copy)
    opened = convert([c for c in copies if c.suffix == ".xlsx"], "ods", tmp_path / "ods")
    opened += convert([c for c in copies if c.suffix == ".docx"], "pdf", tmp_path / "pdf")
    assert len(opened) == len(copies) and all(p.stat().st_size > 1000 for p in opened)


def test_docs_table_is_the_one_the_corpus_expects():
    assert DOC.read_text(encoding="utf-8") == MAKE.render_doc(EXPECTED, MAKE.BIG_CASE, MAKE.first_messages(EXPECTED)), \
        "docs/hostile-input.md is out of date: run python tests/data/corpus/make_corpus.py --doc"


def test_expected_csv_is_what_make_corpus_declares_and_every_file_is_in_the_corpus():
    assert EXPECTED == MAKE.expected_rows()
    files = {p.name for p in CORPUS.iterdir()} - {"make_corpus.py", "expected.csv", "__pycache__", "campaign.key"}
    assert files == {row["file"] for row in EXPECTED}
    assert {row["outcome"] for row in EXPECTED} == set(MAKE.OUTCOMES)


def test_scripted_corpus_files_rebuild_to_the_same_bytes():
    # Not the LibreOffice-made ones (time stamps), the encrypted one (random salt) nor the .docx
    # (python-docx stamps its zip entries with the current time).
    random = {"password-protected-encrypted.xlsx", "word-document-renamed.xlsx"}
    scripted = [c for c in MAKE.CASES if c.office is None and c.file not in random]
    assert len(scripted) > 15
    for case in scripted:
        assert case.make() == (CORPUS / case.file).read_bytes(), case.file


# -- a 50 MB workbook: refused with a message, in bounded memory -----------------------------------
def big_workbook(path: Path, megabytes: int) -> None:
    """A real .xlsx of about `megabytes` MB: one sheet of rows of random text (barely compressible).

    Written part by part with zipfile (xlsxwriter needs ~20 s for this); calamine reads it like any
    workbook, so only the size cap stands between it and a parse of ~70 MB of sheet XML.
    """
    import base64
    import random

    rnd = random.Random(7)
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
             '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
             'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
             'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    workbook = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
                'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships"><sheets><sheet name="牵头任务" sheetId="1" r:id="rId1"/></sheets></workbook>')
    book_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", book_rels)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>\xe5\xba\x8f'
                        b'\xe5\x8f\xb7</t></is></c></row>')
            row = 2
            while path.stat().st_size < megabytes * 1024 * 1024 and row < 2_000_000:
                chunk = []
                for _ in range(2000):
                    text = base64.b64encode(rnd.randbytes(90)).decode()
                    chunk.append(f'<row r="{row}"><c r="A{row}"><v>{row}</v></c><c r="B{row}" t="inlineStr"><is>'
                                 f"<t>{text}</t></is></c></row>")
                    row += 1
                sheet.write("".join(chunk).encode())
            sheet.write(b"</sheetData></worksheet>")


PEAK_RSS = """
import resource, sys
from excelflow.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def collect_in_subprocess(ws: Workspace) -> tuple[int, str]:
    """`excelflow collect` in its own process; returns its peak resident memory (KB) and output."""
    done = subprocess.run([sys.executable, "-c", PEAK_RSS, "collect", "--root", str(ws.root), "--now", NOW,
                           "--wait", "5"], capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    peak = int(re.search(r"PEAK_RSS_KB (\d+)", done.stderr).group(1))  # type: ignore[union-attr]
    return peak, done.stdout


def test_fifty_megabyte_workbook_is_refused_with_a_message_in_bounded_memory(tmp_path: Path):
    root = tmp_path / "督查室"
    assert CliRunner().invoke(main, ["init", str(root), "--example"]).exit_code == 0
    ws = Workspace(root)
    baseline, _ = collect_in_subprocess(ws)  # the same pass with an empty inbox
    big = ws.inbox / "big-50MB.xlsx"
    big_workbook(big, 50)
    size = big.stat().st_size
    assert size >= 50 * 1024 * 1024
    with zipfile.ZipFile(big) as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size > 60 * 1024 * 1024
    peak, output = collect_in_subprocess(ws)
    print(f"\npeak RSS: empty inbox {baseline // 1024} MB, with the {size / 1048576:.0f} MB workbook "
          f"{peak // 1024} MB")
    [sub] = Archive(ws).submissions()
    assert sub.outcome == "rejected"
    [problem] = sub.problems
    assert "超过上限" in problem.message and "50 MB" in problem.message and "请" in problem.message
    assert "big-50MB.xlsx" in output  # listed for the clerk
    # Reading, hashing and archiving the bytes costs about their size; a parse would cost
    # several times the 60+ MB of sheet XML (measured 2.4 bytes per byte).
    assert peak - baseline < 2 * size // 1024


# -- a file that stays incomplete: pending for a while, then rejected as damaged ------------------
def passes_over(inbox: Path, state: Path, times: list[str]) -> list[dict[str, Submission]]:
    """What collect does with incomplete files, pass after pass: each pass a fresh PendingLog from
    disk (as a new process would), the inbox scanned and read once, incomplete bytes judged."""
    from datetime import datetime

    from excelflow.intake.read import read_return
    from excelflow.intake.scan import looks_incomplete, read_bytes, scan_inbox
    from excelflow.register.campaign import default_register
    from excelflow.store.pending import PendingLog

    register = default_register()
    results = []
    for at in times:
        now = datetime.fromisoformat(at)
        log = PendingLog(state / "pending.json")
        subs, pending = {}, []
        for c in scan_inbox(inbox):
            data = read_bytes(inbox, c)
            assert data is not None
            stale = looks_incomplete(data, c.path) and log.stale(c, now)
            sub = read_return(data, c.path, now, register, stale_pending=stale)
            if sub.outcome == "pending":
                pending.append(c.path)
            subs[c.path] = sub
        log.keep(pending)
        log.save()
        results.append(subs)
    return results


def test_a_file_incomplete_and_unchanged_for_a_day_is_rejected_as_damaged_not_pending_forever(tmp_path: Path):
    from excelflow.intake.read import STALE_MESSAGE

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("zero-bytes.xlsx", "truncated-copy.xlsx"):
        shutil.copyfile(CORPUS / name, inbox / name)
    first, later, next_day = passes_over(inbox, tmp_path / ".excelflow",
                                         ["2021-06-14T09:00", "2021-06-14T17:00", "2021-06-15T09:00"])
    assert {s.outcome for s in first.values()} == {s.outcome for s in later.values()} == {"pending"}
    assert {s.outcome for s in next_day.values()} == {"rejected"}
    for sub in next_day.values():
        [problem] = sub.problems
        assert problem.level == "error" and problem.message == STALE_MESSAGE and problem.file == sub.path


def test_a_copy_that_moves_restarts_the_clock_and_one_that_completes_is_forgotten(tmp_path: Path):
    from excelflow.store.pending import PendingLog

    inbox, state = tmp_path / "inbox", tmp_path / ".excelflow"
    inbox.mkdir()
    slow = inbox / "区民政局.xlsx"
    whole = (CORPUS / "区民政局 2021年 上半年 重点工作 报送(终稿).xlsx").read_bytes()
    slow.write_bytes(whole[:3000])
    [day1] = passes_over(inbox, state, ["2021-06-14T09:00"])
    slow.write_bytes(whole[:6000])  # more bytes arrived: still a copy in progress
    [day2] = passes_over(inbox, state, ["2021-06-15T10:00"])
    assert day1["区民政局.xlsx"].outcome == day2["区民政局.xlsx"].outcome == "pending"
    slow.write_bytes(whole)
    [day3] = passes_over(inbox, state, ["2021-06-17T10:00"])
    assert day3["区民政局.xlsx"].outcome == "accepted"
    assert PendingLog(state / "pending.json").first_seen("区民政局.xlsx") is None


def test_a_back_dated_pass_does_not_count_towards_the_day(tmp_path: Path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(CORPUS / "zero-bytes.xlsx", inbox / "zero-bytes.xlsx")
    runs = passes_over(inbox, tmp_path / ".excelflow", ["2021-06-20T09:00", "2021-06-01T09:00", "2021-06-01T20:00"])
    assert [r["zero-bytes.xlsx"].outcome for r in runs] == ["pending", "pending", "pending"]


def test_a_damaged_pending_log_starts_every_clock_again(tmp_path: Path):
    state = tmp_path / ".excelflow"
    state.mkdir()
    (state / "pending.json").write_text("{not json", encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(CORPUS / "zero-bytes.xlsx", inbox / "zero-bytes.xlsx")
    runs = passes_over(inbox, state, ["2021-06-14T09:00", "2021-06-16T09:00"])
    assert [r["zero-bytes.xlsx"].outcome for r in runs] == ["pending", "rejected"]


def test_a_second_pass_over_the_same_corpus_adds_nothing_and_keeps_the_pending_ones_pending(run: Run):
    archive_before = digest(run.ws.archive)
    again = CliRunner().invoke(main, ["collect", "--root", str(run.ws.root), "--now", NOW, "--wait", "5"],
                               catch_exceptions=False)
    assert again.exit_code in (0, 3), again.output
    assert "本次新收 0 份" in again.output
    for file in (r["file"] for r in EXPECTED if r["outcome"] == "pending"):
        assert f"inbox/{file}" in again.output.split("待重试的文件")[1]
    assert digest(run.ws.archive) == archive_before
    assert digest(run.ws.inbox) == run.inbox_before


def test_two_retyped_forms_in_one_file_give_only_the_first_units_rows_to_it(run: Run):
    sub = run.by_path["two-retyped-forms-of-two-units.xlsx"]
    own = {(e.task_id, e.role) for e in MAKE.REGISTER.expected_entries() if e.unit == "区扶贫办"}
    # Sheet2 holds 区卫健委's six rows: read for 区扶贫办 they would be entries too (blocked or not)
    assert sub.unit == "区扶贫办" and {(e.task_id, e.role) for e in sub.entries} == own
    [note] = [p for p in sub.problems if p.sheet == "Sheet2"]
    assert "区卫健委" in note.message and note.cell == "B2"
    assert all(e["state"] == "missing" for e in states(run) if e["unit"] == "区卫健委")


def test_every_file_of_the_corpus_is_for_a_unit_of_its_own():
    units = [row["unit"] for row in EXPECTED if row["unit"]]
    assert len(units) == len(set(units))  # so a state can only come from the file meant for it


def test_collect_rejects_a_file_that_stayed_incomplete_for_a_day_and_lists_it_for_the_clerk(tmp_path: Path):
    from excelflow.intake.read import STALE_MESSAGE

    root = tmp_path / "督查室"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root), "--example"]).exit_code == 0
    ws = Workspace(root)
    for name in ("zero-bytes.xlsx", "truncated-copy.xlsx"):
        shutil.copyfile(CORPUS / name, ws.inbox / name)
    outputs, archived = [], []
    for now in ("2021-06-14T09:00", "2021-06-14T18:00", "2021-06-15T09:30"):
        result = runner.invoke(main, ["collect", "--root", str(root), "--now", now, "--wait", "5"],
                               catch_exceptions=False)
        assert result.exit_code in (0, 3), result.output
        outputs.append(result.output)
        archived.append({s.path: s for s in Archive(ws).submissions()})
    assert all("待重试 2 份" in o for o in outputs[:2]) and archived[:2] == [{}, {}]
    subs = archived[2]
    assert set(subs) == {"zero-bytes.xlsx", "truncated-copy.xlsx"}
    for sub in subs.values():
        assert sub.outcome == "rejected" and [p.message for p in sub.problems] == [STALE_MESSAGE]
        assert sub.received_at.isoformat() == "2021-06-15T09:30:00"
    assert "待重试" not in outputs[2]
    for name in subs:
        assert f"inbox/{name}" in outputs[2].split("未能识别的文件")[1]
