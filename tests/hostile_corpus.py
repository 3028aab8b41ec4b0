"""A second hostile corpus, beyond tests/data/corpus/: what stopped or fooled collection in the field
(issue 11), built at test time (one LibreOffice-made `.xls` is kept in tests/data/hostile/).

Each `Case` is one inbox file: its name (str, or bytes for a name that is not UTF-8), its bytes,
the outcome it must end in, the unit it must be attributed to ('' = none) and words its first
message must hold. `tests/test_hostile.py` drops them all, with a few normal returns, into one
working folder (the corpus campaign's, `tests/data/corpus/campaign.key`) and runs one real
`excelflow collect` over them; `benchmarks/bench_hostile.py` measures each one's memory.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus_maker import MAKE

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "data" / "corpus"
HOSTILE = HERE / "data" / "hostile"






@dataclass(frozen=True)
class Case:
    name: str | bytes  # bytes: a file name that is not UTF-8 (GBK from a Windows zip)
    case: str  # Chinese, for docs/hostile-input.md
    make: Callable[[], bytes]
    outcome: str  # accepted, accepted_with_warnings, rejected, pending, unreadable
    unit: str = ""
    mentions: tuple[str, ...] = ()

    @property
    def shown_name(self) -> str:
        """The name as a str (surrogateescape for bytes), as the scan sees it."""
        return self.name if isinstance(self.name, str) else os.fsdecode(self.name)


# -- building blocks ------------------------------------------------------------------------------
def rewrite(data: bytes, edit: Callable[[str, bytes], bytes | None], extra: dict[str, bytes] | None = None) -> bytes:
    """A zip with each part passed through `edit` (None drops it) and `extra` parts added."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            part = edit(info.filename, src.read(info.filename))
            if part is not None:
                z.writestr(info.filename, part)
        for name, part in (extra or {}).items():
            z.writestr(name, part)
    return out.getvalue()


def far_cell(data: bytes, ref: str) -> bytes:
    """`data` with one value at `ref` (e.g. XFD1048576) on its first sheet."""
    row = re.sub(r"[A-Z]", "", ref)

    def edit(name: str, part: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            part = part.replace(b"</sheetData>", f'<row r="{row}"><c r="{ref}"><v>1</v></c></row></sheetData>'.encode())
        return part
    return rewrite(data, edit)


def unique_count(data: bytes, count: int) -> bytes:
    def edit(name: str, part: bytes) -> bytes:
        if name == "xl/sharedStrings.xml":
            part = re.sub(rb'uniqueCount="\d+"', f'uniqueCount="{count}"'.encode(), part)
        return part
    return rewrite(data, edit)


def ods(body: str) -> bytes:
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="牵头任务">{body}</table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                   'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return out.getvalue()


def repeated_ods() -> bytes:
    """907 bytes declaring 200,000 rows × 100 cells holding a value (1.3 GB once expanded)."""
    return ods('<table:table-row table:number-rows-repeated="200000"><table:table-cell '
               'table:number-columns-repeated="100" office:value-type="float" office:value="1">'
               '<text:p>1</text:p></table:table-cell></table:table-row>')


def big_bin_part(data: bytes) -> bytes:
    """A workbook carrying a part named `sheet1.bin` of 120 MB of text (no `.xml` in its name)."""
    out = io.BytesIO()
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, src.read(info.filename))
        with z.open("xl/worksheets/sheet1.bin", "w", force_zip64=True) as part:
            line = b"excelflow " * 1000
            for _ in range(120 * 1024 * 1024 // len(line)):
                part.write(line)
    return out.getvalue()


# -- .xlsb: a minimal writer (python-calamine reads it as Excel's binary workbook) ------------------
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _rec(rid: int, body: bytes = b"") -> bytes:
    return _varint(rid) + _varint(len(body)) + body


def _wide(text: str) -> bytes:
    raw = text.encode("utf-16-le")
    return struct.pack("<I", len(raw) // 2) + raw


def _xlsb_sheet(cells: list[tuple[int, int, Any]]) -> bytes:
    rows = max(r for r, _, _ in cells) + 1 if cells else 1
    cols = max(c for _, c, _ in cells) + 1 if cells else 1
    out = bytearray(_rec(0x81) + _rec(0x94, struct.pack("<IIII", 0, rows - 1, 0, cols - 1)) + _rec(0x91))
    current = -1
    for r, c, v in sorted(cells):
        if r != current:
            out += _rec(0x00, struct.pack("<IIHBBBI", r, 0, 0x12C, 0, 0, 0, 0))
            current = r
        head = struct.pack("<II", c, 0)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out += _rec(0x05, head + struct.pack("<d", float(v)))
        else:
            out += _rec(0x06, head + _wide(str(v)))
    return bytes(out + _rec(0x92) + _rec(0x82))


def xlsb(sheets: list[tuple[str, list[tuple[int, int, Any]]]]) -> bytes:
    n = len(sheets)
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.'
             'macroEnabled.main"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>')
    book_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/relationships">' + "".join(
                     f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                     f'relationships/worksheet" Target="worksheets/sheet{i + 1}.bin"/>' for i in range(n))
                 + "</Relationships>")
    book = bytearray(_rec(0x83) + _rec(0x8F))
    for i, (name, _) in enumerate(sheets):
        book += _rec(0x9C, struct.pack("<II", 0, i + 1) + _wide(f"rId{i + 1}") + _wide(name))
    book += _rec(0x90) + _rec(0x84)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", rels)
        z.writestr("xl/workbook.bin", bytes(book))
        z.writestr("xl/_rels/workbook.bin.rels", book_rels)
        for i, (_, cells) in enumerate(sheets):
            z.writestr(f"xl/worksheets/sheet{i + 1}.bin", _xlsb_sheet(cells))
    return out.getvalue()


def as_xlsb(data: bytes, far: tuple[int, int] | None = None) -> bytes:
    """The same workbook (every sheet's values, the identity sheet included) saved as .xlsb."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheets = []
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python()
        cells = [(r, c, v) for r, row in enumerate(rows) for c, v in enumerate(row) if v not in ("", None)]
        if far is not None and not sheets:
            cells.append((far[0], far[1], "远处的一个值"))
        sheets.append((name, cells))
    return xlsb(sheets)


def resigned(data: bytes, key: Any) -> bytes:
    """`data` (signed with the corpus key) signed again with `key`: another campaign's return."""
    from python_calamine import CalamineWorkbook

    from excelflow.forms.identity import IDENTITY_SHEET, read_identity, sign

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    identity = sign(read_identity(book.get_sheet_by_name(IDENTITY_SHEET).to_python()), key)

    def edit(wb: Any) -> None:
        wb[IDENTITY_SHEET]["B7"].value = identity.campaign
        wb[IDENTITY_SHEET]["D7"].value = identity.mac
    return MAKE.FIX.edited(data, edit)


def forged(data: bytes, unit: str) -> bytes:
    def edit(wb: Any) -> None:
        wb["_excelflow"]["B3"].value = unit
    return MAKE.FIX.edited(data, edit)


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def _video() -> bytes:
    """40 MB that are no workbook (the same bytes every call: the test compares the archived copy)."""
    import random

    return random.Random(11).randbytes(40 * 1024 * 1024)


ESC_NAME = "区市场监督管理局\x1b[2J\x1b]0;已被篡改\x07报送\u202excod.xlsx"
GBK_NAME = "区科技局-上半年报送.xlsx".encode("gbk")
OTHER_KEY_JSON = {"version": 1, "campaign": "0the4ca3a1g2n000", "secret": "ab" * 32, "accept_unsigned": False}


def cases() -> list[Case]:
    from excelflow.forms.campaign_key import CampaignKey

    filled = MAKE.filled
    live = (CORPUS / "live-formulas-saved-by-libreoffice.xlsx").read_bytes()
    return [
        Case(GBK_NAME, "文件名是 GBK 编码(Windows 压缩包在 Linux 上解开)", lambda: filled("区科技局"), "accepted", "区科技局"),
        Case(ESC_NAME, "文件名含 ESC 控制序列和从右到左字符", lambda: filled("区市场监督管理局"), "accepted", "区市场监督管理局"),
        Case("区司法局-XFD1048576.xlsx", "单元格 XFD1048576 有值(读取需 512 GB)",
             lambda: far_cell(filled("区司法局"), "XFD1048576"), "rejected", "区司法局", ("XFD1048576", "内存")),
        Case("区公安局-CV1048576.xlsx", "单元格 CV1048576 有值(读取需 3.4 GB)",
             lambda: far_cell(filled("区公安局"), "CV1048576"), "rejected", "区公安局", ("CV1048576",)),
        Case("区水利局-uniqueCount.xlsx", "sharedStrings 声明 uniqueCount 为 1e11",
             lambda: unique_count(live, 10**11), "rejected", "区水利局", ("100,000,000,000",)),
        Case("区人社局-repeated.ods", "907 字节的 .ods 声明 200,000 行 × 100 列重复单元格",
             repeated_ods, "rejected", "区人社局", ("200000 行 × 100 列",)),
        Case("区住建局-sheet1bin.xlsx", "名为 sheet1.bin 的部件解压后 120 MB(不是 .xml)",
             lambda: big_bin_part(filled("区住建局")), "rejected", "区住建局", ("解压后超过",)),
        Case("区城管局-IV65536.xls", "LibreOffice 保存的 .xls,单元格 IV65536 有值(读取需约 1 GB)",
             lambda: (HOSTILE / "far-cell-IV65536.xls").read_bytes(), "rejected", "区城管局", ("IV65536",)),
        Case("区卫健委.xlsb", "Excel 二进制工作簿(.xlsb)", lambda: as_xlsb(filled("区卫健委")), "accepted", "区卫健委"),
        Case("区医保局-far.xlsb", ".xlsb,单元格 XFD1048576 有值", lambda: as_xlsb(filled("区医保局"), (1048575, 16383)),
             "rejected", "区医保局", ("XFD1048576",)),
        Case("区广投集团.et", "WPS 表格 .et(与 .xls 同一格式)",
             lambda: (CORPUS / "merged-cells-saved-by-libreoffice.xls").read_bytes(), "accepted", "区广投集团"),
        Case("区教体局-上半年进展.pdf", "PDF 文件", lambda: PDF, "rejected", "区教体局", ("PDF",)),
        Case("区信访局.docx", "Word 文档", lambda: MAKE.FIX.docx_renamed(), "rejected", "区信访局", ("Word",)),
        Case("区供电公司-照片.jpg", "手机拍的照片", lambda: JPEG, "rejected", "区供电公司", ("图片",)),
        Case("各乡镇报表.zip", "压缩包(里面是几个单位的表)",
             lambda: zip_of({"a.xlsx": filled("区民政局")}), "rejected", "", ("压缩包",)),
        Case("区供销社.rar", "RAR 压缩包", lambda: b"Rar!\x1a\x07\x01\x00" + bytes(64), "rejected", "区供销社", ("压缩包",)),
        Case("区残联-说明.txt", "文本文件(GBK)", lambda: "区残联上半年工作进展:已完成。\r\n".encode("gbk") * 20,
             "rejected", "区残联", ("文本文件",)),
        Case("区退役军人事务局.xlsx", "标识工作表被改成另一个单位(区财政局)",
             lambda: forged(filled("区退役军人事务局"), "区财政局"), "rejected", "区退役军人事务局", ("签名校验未通过", "较确定")),
        Case("区自然资源局-别的工作文件夹.xlsx", "另一个督查任务(工作文件夹)下发的表",
             lambda: resigned(filled("区自然资源局"), CampaignKey.from_json(OTHER_KEY_JSON)), "rejected", "区自然资源局",
             ("另一个工作文件夹",)),
        Case("区创卫办-录像.mp4", "40 MB 的视频(超过大小上限,不整份读入内存)", lambda: _video(),
             "rejected", "区创卫办", ("40 MB",)),
        Case("区林业局-无权限.xlsx", "没有读取权限的文件", lambda: filled("区林业局"), "unreadable", "", ("没有读取权限",)),
    ]


NORMAL = ("区工信局", "区发改委", "区商务局")  # ordinary returns beside them, judged as usual
