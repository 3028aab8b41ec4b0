"""Changing one member of a workbook's zip gives what writing the whole zip again gives (`xlsx.replace_members`,
the fallback of rows that grow with their text when `xlsx_fast` is off)."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest

from excelflow.xlsx import new_workbook, replace_members


def drawn_workbook() -> bytes:
    buffer = BytesIO()
    book = new_workbook(buffer)
    sheet = book.add_worksheet("汇总")
    for row in range(30):
        sheet.set_row(row, 30)
        sheet.write_row(row, 0, [f"任务{row}", "区科技局", row * 1.5])
    book.add_worksheet("说明").write(0, 0, "说明")
    book.close()
    return buffer.getvalue()


def rezipped(data: bytes, changed: dict[str, bytes]) -> bytes:
    """What writing every member again with zipfile gives (the slow way)."""
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, changed.get(info.filename, src.read(info.filename)))
    return out.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(BytesIO(data)) as z:
        assert z.testzip() is None
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def test_a_replaced_sheet_gives_the_bytes_of_writing_the_whole_zip_again():
    data = drawn_workbook()
    sheet = members(data)["xl/worksheets/sheet1.xml"].replace(b' customHeight="1"', b"")
    got = replace_members(data, {"xl/worksheets/sheet1.xml": sheet})
    assert got == rezipped(data, {"xl/worksheets/sheet1.xml": sheet})
    before, after = members(data), members(got)
    assert after["xl/worksheets/sheet1.xml"] == sheet
    assert {k: v for k, v in after.items() if k != "xl/worksheets/sheet1.xml"} == \
        {k: v for k, v in before.items() if k != "xl/worksheets/sheet1.xml"}


def test_a_zip_written_to_a_stream_with_data_descriptors_is_written_again_whole():
    class Stream:  # not seekable: zipfile writes each member's sizes after its data
        def __init__(self) -> None:
            self.parts: list[bytes] = []

        def write(self, b: bytes) -> int:
            self.parts.append(bytes(b))
            return len(b)

        def flush(self) -> None:
            pass

    stream = Stream()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as z:  # type: ignore[arg-type]
        z.writestr("a.xml", b"<a/>" * 100)
        z.writestr("b.xml", b"<b/>")
    data = b"".join(stream.parts)
    got = replace_members(data, {"b.xml": b"<c/>"})
    assert members(got) == {"a.xml": b"<a/>" * 100, "b.xml": b"<c/>"}


def test_a_member_that_is_not_in_the_zip_is_an_error_not_a_silent_copy():
    with pytest.raises(KeyError):
        replace_members(drawn_workbook(), {"xl/worksheets/sheet9.xml": b"<x/>"})
