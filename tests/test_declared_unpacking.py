"""The declared-size check unpacks every part of a returned zip itself (`declared._unpacked`):
the same bytes zipfile reads, and the same refusals (bad CRC, a part inflating past its declared
size, an encrypted part), with a printed seed for the random zips."""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile

import pytest

from excelflow.intake.declared import MAX_UNPACKED_BYTES, Damaged, DeclaredTooLarge, _unpacked, check_declared
from excelflow.intake.kinds import ENCRYPTED


def _random_zip(rng: random.Random) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(rng.randrange(1, 6)):
            size = rng.choice([0, 1, 100, 5000, 70_000, 1_500_000])
            kind = rng.randrange(3)
            data = (rng.randbytes(size) if kind == 0 else bytes(size) if kind == 1
                    else ("<c r=\"A1\"><v>序号</v></c>" * (size // 20 + 1)).encode()[:size])
            info = zipfile.ZipInfo(rng.choice(["xl/worksheets/sheet1.xml", "docProps/app.xml", "名称/数据.xml"])
                                   + str(n), (2021, 6, 1, 9, 0, 0))
            info.compress_type = rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
            info.extra = rng.choice([b"", struct.pack("<HH4s", 0xCAFE, 4, b"abcd")])
            archive.writestr(info, data)
    return buffer.getvalue()


def test_every_part_unpacks_to_what_zipfile_reads() -> None:
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    rng = random.Random(seed)
    for case in range(40):
        data = _random_zip(rng)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                chunks = list(_unpacked(data, archive, info))
                assert all(len(c) <= 1 << 20 for c in chunks), f"seed {seed}, case {case}"
                assert b"".join(chunks) == archive.read(info), f"seed {seed}, case {case}, {info.filename}"


def _workbook(sheet: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def _patch_central(data: bytes, name: bytes, offset: int, value: int) -> bytes:
    """Set a 4-byte field (`offset` from its entry's start) of `name`'s central directory entry."""
    entry = data.rindex(b"PK\x01\x02", 0, data.rindex(name))
    return data[:entry + offset] + struct.pack("<I", value) + data[entry + offset + 4:]


def test_a_part_whose_crc_is_wrong_is_damaged() -> None:
    data = _workbook(b"<worksheet><sheetData/></worksheet>")
    data = _patch_central(data, b"xl/worksheets/sheet1.xml", 16, 12345)
    with pytest.raises(Damaged):
        check_declared(data, "xlsx")


def test_a_part_that_inflates_past_its_declared_size_is_damaged_at_once() -> None:
    data = _workbook(b"<worksheet>" + b" " * 5_000_000 + b"</worksheet>")
    data = _patch_central(data, b"xl/worksheets/sheet1.xml", 24, 100)  # uncompressed size: 100 bytes
    with pytest.raises(Damaged):
        check_declared(data, "xlsx")


def test_parts_declaring_more_than_the_cap_together_are_refused() -> None:
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        for n in range(3):
            archive.writestr(f"xl/media/image{n}.bin", bytes(40 << 20))
    assert 3 * (40 << 20) > MAX_UNPACKED_BYTES
    with pytest.raises(DeclaredTooLarge):
        check_declared(big.getvalue(), "xlsx")


def test_an_encrypted_part_is_refused_as_encrypted() -> None:
    data = _workbook(b"<worksheet/>")
    entry = data.rindex(b"PK\x01\x02", 0, data.rindex(b"xl/worksheets/sheet1.xml"))
    flags = struct.unpack_from("<H", data, entry + 8)[0] | 0x1
    data = data[:entry + 8] + struct.pack("<H", flags) + data[entry + 10:]
    with pytest.raises(Damaged, match=re.escape(ENCRYPTED)):
        check_declared(data, "xlsx")


def test_a_part_shorter_than_its_declared_size_is_damaged() -> None:
    data = _workbook(b"<worksheet><sheetData/></worksheet>")
    data = _patch_central(data, b"xl/worksheets/sheet1.xml", 24, 10_000)  # uncompressed size: 10,000 bytes
    with pytest.raises(Damaged):
        check_declared(data, "xlsx")


def _two_sheets(far_row: int, far_col: int) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    book.add_worksheet("填报说明").write(0, 1, "说明")
    book.add_worksheet("填报表").write(far_row, far_col, "远处的单元格")
    book.close()
    return buffer.getvalue()


def test_sheets_are_named_from_the_workbook_parts_inflated_with_the_rest() -> None:
    declared = check_declared(_two_sheets(3, 5), "xlsx")
    assert [(s.name, s.rows, s.columns) for s in declared.sheets] == [("填报说明", 1, 2), ("填报表", 4, 6)]
    with pytest.raises(DeclaredTooLarge, match="工作表「填报表」的单元格 CW1048576"):
        check_declared(_two_sheets(1048575, 100), "xlsx")


def test_a_workbook_part_named_twice_is_read_as_zipfile_reads_it_the_last_one() -> None:
    data = _two_sheets(3, 5)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(buffer, "w") as archive:
        for info, body in parts:
            if info.filename == "xl/workbook.xml":
                archive.writestr("xl/workbook.xml", body.replace("填报表".encode(), "第一个".encode()))
            archive.writestr(info, body)
    assert [s.name for s in check_declared(buffer.getvalue(), "xlsx").sheets] == ["填报说明", "填报表"]
