"""Telling a zip's kind: the collector's quick look at the central directory (`_plain_xlsx`) says
"xlsx" only where the full listing of the zip says so too."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from excelflow.intake.kinds import _plain_xlsx, _zip_kind_from_listing, sniff

DATA = Path(__file__).resolve().parent / "data"


def _zip(files: dict[str, bytes], *, comment: bytes = b"", stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.comment = comment
    return buffer.getvalue()


WORKBOOK = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"<worksheet/>"}


@pytest.mark.parametrize(("case", "data", "kind"), [
    ("a workbook", _zip(WORKBOOK), "xlsx"),
    ("a Word file that also holds a workbook part", _zip({**WORKBOOK, "word/document.xml": b"<w/>"}), "docx"),
    ("a binary workbook with an xml workbook part too", _zip({**WORKBOOK, "xl/workbook.bin": b"\x00"}), "xlsb"),
    ("the workbook part one folder down", _zip({"other/xl/workbook.xml": b"<workbook/>"}), "archive"),
    ("the part's name only in the zip's comment", _zip({"a.txt": b"a"}, comment=b"xl/workbook.xml"), "archive"),
    ("the part's name only inside a stored file", _zip({"note.txt": b"see xl/workbook.xml"}, stored=True), "archive"),
    ("an OpenDocument spreadsheet",
     _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}), "ods"),
])
def test_the_quick_look_agrees_with_the_full_listing(case: str, data: bytes, kind: str) -> None:
    assert _zip_kind_from_listing(data) == kind, case
    assert sniff(data, "x.xlsx").kind == kind, case
    assert _plain_xlsx(data) == (kind == "xlsx"), case


def test_the_quick_look_says_xlsx_of_no_zip_in_the_test_data_the_listing_calls_otherwise() -> None:
    checked = 0
    for path in sorted(DATA.rglob("*")):
        if not path.is_file() or path.stat().st_size > 20_000_000:
            continue
        data = path.read_bytes()
        if not data.startswith(b"PK"):
            continue
        checked += 1
        if _plain_xlsx(data):
            assert _zip_kind_from_listing(data) == "xlsx", path
    assert checked > 20


def test_a_truncated_or_damaged_zip_is_left_to_the_listing() -> None:
    data = _zip(WORKBOOK)
    assert not _plain_xlsx(data[:-30])  # no end record
    assert not _plain_xlsx(data[:100] + data[-22:])  # the end record points past its own offset
