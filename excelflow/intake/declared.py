"""What a workbook declares, checked before any reader allocates it.

python-calamine builds each sheet as a dense grid from A1 to the farthest cell holding a value
(a value at XFD1048576 asks for 512 GB, at CV1048576 for 3.4 GB; the process aborts), reserves
room for as many shared strings as `uniqueCount` says (1e11: 2.4 TB), and expands an ODS row or
cell repeated 200,000 × 100 times (a 907-byte file, 1.3 GB). A zip part of any name is unpacked
by someone. So before a reader sees the bytes, this module streams every part once, within
`MAX_UNPACKED_BYTES` of actual unpacked data, and reads what each sheet will cost:

- `.xlsx`/`.xlsm`: the cell references of every valued cell of every worksheet part, and the
  `uniqueCount` of the shared strings;
- `.xlsb`: the same from the binary records (row headers, cell records, BrtBeginSst);
- `.ods`: rows and cells with their repeat counts, as the reader expands them;
- `.xls`/`.et` (BIFF in an OLE2 file): the cell records of every worksheet substream.

A sheet whose grid (rows × columns from A1 to its farthest valued cell) exceeds `MAX_SHEET_CELLS`,
a workbook over `MAX_BOOK_CELLS`, or more than `MAX_SHARED_STRINGS` declared strings is refused
with a message naming the sheet and the cell, so the unit can delete the stray content. With
these limits one file's parse stays under a few hundred MB (measured in docs/hostile-input.md);
the worker's memory limit (`runs/workers.py`) is the backstop for anything this does not foresee.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from excelflow.intake.kinds import ENCRYPTED, Kind

MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # every part of the zip, as actually unpacked
MAX_PARTS = 10_000
# 20,000 rows (the row cap) × 100 columns; a 101-task rollup of 25 units is ~3,000 × 20.
MAX_SHEET_CELLS = 2_000_000
MAX_BOOK_CELLS = 4_000_000
MAX_SHARED_STRINGS = 2_000_000
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384
_CHUNK = 1 << 20


class DeclaredTooLarge(Exception):
    """The workbook declares more than a reader may allocate; the message (Chinese) says why."""


class Damaged(Exception):
    """The container is not what it claims (bad zip, broken OLE, XML with a DTD)."""


@dataclass
class SheetSize:
    """The grid a reader will build for one sheet: from A1 to the farthest valued cell."""

    name: str
    rows: int = 0
    columns: int = 0
    far_row: int = 0  # 1-based, of the cell that sets `columns` or `rows` last (for the message)
    far_column: int = 0

    def note(self, row: int, column: int) -> None:
        """A valued cell at 1-based (row, column)."""
        row, column = min(row, EXCEL_ROWS), min(column, EXCEL_COLUMNS)
        if row > self.rows or column > self.columns:
            self.far_row, self.far_column = row, column
        self.rows = max(self.rows, row)
        self.columns = max(self.columns, column)

    @property
    def cells(self) -> int:
        return self.rows * self.columns


@dataclass
class Declared:
    """What one workbook declares: its sheets' grids and its shared-string count."""

    sheets: list[SheetSize] = field(default_factory=list)
    shared_strings: int = 0


def check_declared(data: bytes, kind: Kind, archive: zipfile.ZipFile | None = None) -> Declared:
    """Raise `DeclaredTooLarge` (or `Damaged`) for a workbook a reader must not open; else what it
    declares. `archive`: `data` already opened as a zip (by `kinds.zip_kind`), closed here."""
    if kind in ("xlsx", "xlsb", "ods"):
        declared = _zip(data, kind, archive)
    elif kind == "ole":
        declared = Declared(_biff_sheets(data))
    else:
        return Declared()
    _judge(declared)
    return declared


def _judge(declared: Declared) -> None:
    for sheet in declared.sheets:
        if sheet.cells > MAX_SHEET_CELLS:
            raise DeclaredTooLarge(
                f"工作表「{sheet.name}」的单元格 {column_letters(sheet.far_column)}{sheet.far_row} 有内容,表格范围达到 "
                f"{sheet.rows} 行 × {sheet.columns} 列(超过 {MAX_SHEET_CELLS:,} 个单元格的上限),读取需要的内存过大,为安全起见未读取。"
                "请让填报单位删除表格下方或右侧多余的内容(选中多余的行、列后删除)后重新报送。")
    total = sum(s.cells for s in declared.sheets)
    if total > MAX_BOOK_CELLS:
        raise DeclaredTooLarge(
            f"工作簿各表合计 {total:,} 个单元格,超过上限 {MAX_BOOK_CELLS:,},读取需要的内存过大,为安全起见未读取。"
            "请让填报单位只保留填报表后重新报送。")
    if declared.shared_strings > MAX_SHARED_STRINGS:
        raise DeclaredTooLarge(
            f"工作簿声明含有 {declared.shared_strings:,} 个不同的文字(超过上限 {MAX_SHARED_STRINGS:,}),"
            "文件可能已损坏或是异常文件,为安全起见未读取。请让填报单位用 Excel 或 WPS 另存为 .xlsx 后重新报送。")


def column_letters(column: int) -> str:
    """`A` for 1, `XFD` for 16384."""
    letters = ""
    n = max(column, 1)
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def unpacked_message() -> str:
    return (f"工作簿解压后超过 {MAX_UNPACKED_BYTES // 1048576} MB(可能是异常文件),为安全起见未读取。"
            "请让填报单位只保留填报表后重新报送。")


# -- zip containers --------------------------------------------------------------------------------
def _zip(data: bytes, kind: Kind, opened: zipfile.ZipFile | None) -> Declared:
    if opened is not None:
        archive = opened  # its directory read once, for its kind and for this
    else:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise Damaged(str(exc)) from exc
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_PARTS or sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
            raise DeclaredTooLarge(unpacked_message())
        declared = Declared()
        # The parts naming the sheets are kept as they are inflated below, with every other part:
        # reading them through `zipfile` again was a twentieth of a return's parse.
        naming = _naming_parts(kind)
        kept: dict[str, list[bytes]] = {}
        parts: dict[str, SheetSize] = {}  # worksheet part → its size, named once the names are read
        unpacked = 0
        for info in infos:
            scanner = _scanner_for(info.filename, kind, parts, declared)
            keep = None
            if naming.get(info.filename, -1) >= info.file_size:
                keep = kept[info.filename] = []  # a name twice: the last, as `ZipFile.getinfo` finds it
            try:
                for chunk in _unpacked(data, archive, info):
                    # Counted as unpacked, whatever the header said: a part that inflates past
                    # its declared size is refused here, not by the reader.
                    unpacked += len(chunk)
                    if unpacked > MAX_UNPACKED_BYTES:
                        raise DeclaredTooLarge(unpacked_message())
                    if scanner is not None:
                        scanner.feed(chunk)
                    if keep is not None:
                        keep.append(chunk)
                if scanner is not None:
                    scanner.close()
            except RuntimeError as exc:  # an encrypted zip entry
                raise Damaged(ENCRYPTED) from exc
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError,
                    expat.ExpatError, struct.error, zlib.error) as exc:
                raise Damaged(str(exc)) from exc
        names = _sheet_names(kind, {name: b"".join(chunks) for name, chunks in kept.items()})
        for part, size in parts.items():
            size.name = names.get(part, size.name)
        return declared


_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's own layout of a local file header


def _unpacked(data: bytes, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The unpacked bytes of one part, `_CHUNK` at a time, as `archive.open(info)` reads them.

    A stored or deflated part whose local header agrees with the directory is inflated here
    straight from `data` (zipfile's reader, its objects and reads for every part of every return,
    cost more than the inflating), never more than `_CHUNK` at once, its CRC checked at the end;
    anything else (encrypted, another method, a header that disagrees) is read by zipfile, which
    refuses it as it always did."""
    start = info.header_offset
    head = data[start:start + _LOCAL_HEADER.size]
    method = info.compress_type
    if (len(head) < _LOCAL_HEADER.size or info.flag_bits & 0x1
            or method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            or (method == zipfile.ZIP_STORED and info.compress_size != info.file_size)):
        yield from _read_by_zipfile(archive, info)
        return
    fields = _LOCAL_HEADER.unpack(head)
    name_length, extra_length = fields[10], fields[11]
    body = start + _LOCAL_HEADER.size + name_length + extra_length
    raw = memoryview(data)[body:body + info.compress_size]
    if (fields[0] != b"PK\x03\x04" or len(raw) < info.compress_size
            or data[start + _LOCAL_HEADER.size:start + _LOCAL_HEADER.size + name_length] != info.orig_filename.encode(
                "utf-8" if info.flag_bits & 0x800 else "cp437", "surrogateescape")):
        yield from _read_by_zipfile(archive, info)
        return
    crc = 0
    if method == zipfile.ZIP_STORED:
        for at in range(0, len(raw), _CHUNK):
            chunk = bytes(raw[at:at + _CHUNK])
            crc = zlib.crc32(chunk, crc)
            yield chunk
    else:
        inflater = zlib.decompressobj(-15)
        pending: bytes | memoryview = raw
        size = 0
        while pending:
            chunk = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            if chunk:
                size += len(chunk)
                if size > info.file_size:  # zipfile would stop at the declared size, its CRC then wrong
                    raise zipfile.BadZipFile(f"{info.filename!r} inflates past its declared size")
                crc = zlib.crc32(chunk, crc)
                yield chunk
            elif inflater.eof:
                break
        tail = inflater.flush()
        size += len(tail)
        if size > info.file_size:
            raise zipfile.BadZipFile(f"{info.filename!r} inflates past its declared size")
        if tail:
            crc = zlib.crc32(tail, crc)
            yield tail
        if size < info.file_size:  # zipfile reads exactly the declared size, or fails
            raise zipfile.BadZipFile(f"{info.filename!r} ends before its declared size")
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")


def _read_by_zipfile(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    with archive.open(info) as part:
        while chunk := part.read(_CHUNK):
            yield chunk


class _Scanner:
    def feed(self, chunk: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _scanner_for(name: str, kind: Kind, parts: dict[str, SheetSize], declared: Declared) -> _Scanner | None:
    """What reads part `name` of a workbook of `kind` (None: nothing to read in it). A worksheet's
    size is added to `declared` and to `parts`, named after its part until the names are read."""
    if kind == "xlsx":
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            size = parts[name] = SheetSize(posixpath.basename(name))
            declared.sheets.append(size)
            return _XlsxSheetScanner(size)
        if name == "xl/sharedStrings.xml":
            return _SstHead(declared)
    if kind == "xlsb":
        if name.startswith("xl/worksheets/") and name.endswith(".bin"):
            size = parts[name] = SheetSize(posixpath.basename(name))
            declared.sheets.append(size)
            return _XlsbScanner(size, None)
        if name == "xl/sharedStrings.bin":
            return _XlsbScanner(None, declared)
    if kind == "ods" and name == "content.xml":
        return _XmlScanner(_OdsContent(declared))
    return None


def _naming_parts(kind: Kind) -> dict[str, int]:
    """The parts that name an `.xlsx`'s or `.xlsb`'s sheets, each with the size beyond which it is
    not read for names (a sheet is then named after its part)."""
    if kind == "xlsx":
        return {"xl/_rels/workbook.xml.rels": 1_000_000, "xl/workbook.xml": 5_000_000}
    if kind == "xlsb":
        return {"xl/_rels/workbook.bin.rels": 1_000_000, "xl/workbook.bin": 5_000_000}
    return {}


def _sheet_names(kind: Kind, parts: dict[str, bytes]) -> dict[str, str]:
    """Worksheet part → sheet name, for the messages and the sheets' widths, from the inflated
    `parts` (`_naming_parts`). Best effort: a sheet not named here keeps its part's name."""
    if kind not in ("xlsx", "xlsb"):
        return {}
    ext = "xml" if kind == "xlsx" else "bin"
    rels = parts.get(f"xl/_rels/workbook.{ext}.rels")
    book = parts.get(f"xl/workbook.{ext}")
    if rels is None or book is None:
        return {}
    try:
        targets = dict(re.findall(rb'Id="([^"]+)"[^>]*?Target="([^"]+)"', rels)
                       + [(i, t) for t, i in re.findall(rb'Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)])
        if kind == "xlsx":
            text = book.decode("utf-8", "replace")
            pairs = [(m.group(2), m.group(1)) for m in re.finditer(r'<(?:\w+:)?sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', text)]
        else:
            pairs = _xlsb_bundles(book)
    except struct.error:
        return {}
    out: dict[str, str] = {}
    for rid, name in pairs:
        target = targets.get(rid.encode())
        if target is None:
            continue
        path = target.decode("utf-8", "replace")
        path = path.lstrip("/") if path.startswith("/") else posixpath.normpath(posixpath.join("xl", path))
        out[path] = _unescape(name)
    return out


def _xlsb_bundles(book: bytes) -> list[tuple[str, str]]:
    """(relationship id, sheet name) of each BrtBundleSh record of xl/workbook.bin."""
    out: list[tuple[str, str]] = []
    buffer = bytearray(book)
    at = 0
    while (head := _varints(buffer, at)) is not None:
        rid, length, body_at = head
        body = bytes(buffer[body_at:body_at + length])
        at = body_at + length
        if rid == 156 and len(body) >= 12:
            n = struct.unpack_from("<I", body, 8)[0]
            rel = body[12:12 + 2 * n].decode("utf-16-le", "replace")
            m = struct.unpack_from("<I", body, 12 + 2 * n)[0]
            name = body[16 + 2 * n:16 + 2 * n + 2 * m].decode("utf-16-le", "replace")
            out.append((rel, name))
        if at >= len(buffer):
            break
    return out


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


# -- XML parts (expat, streamed) ---------------------------------------------------------------------
class _Handler:
    def start(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass


class _XmlScanner(_Scanner):
    """Feeds an XML part to `handler` (element local names, attributes by local name)."""

    def __init__(self, handler: _Handler) -> None:
        parser = expat.ParserCreate(namespace_separator=" ")

        def refuse(*_: object) -> None:
            raise Damaged("XML with a document type declaration")  # no sheet XML has one: entity tricks

        parser.StartDoctypeDeclHandler = refuse
        parser.EntityDeclHandler = refuse
        parser.StartElementHandler = lambda name, attrs: handler.start(
            _local(name), {_local(k): v for k, v in attrs.items()})
        parser.EndElementHandler = lambda name: handler.end(_local(name))
        self._parser = parser

    def feed(self, chunk: bytes) -> None:
        self._parser.Parse(chunk, False)

    def close(self) -> None:
        self._parser.Parse(b"", True)


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1]


_REF = re.compile(r"^\$?([A-Za-z]{1,7})\$?(\d{1,9})$")


def _parse_ref(ref: str) -> tuple[int, int] | None:
    match = _REF.match(ref)
    if not match:
        return None
    column = 0
    for ch in match.group(1).upper():
        column = column * 26 + ord(ch) - 64
    return int(match.group(2)), column


_MAX_TAG = 1 << 20


class _XlsxSheetScanner(_Scanner):
    """Rows and cells of a worksheet part, from their start tags only (a regular expression, not
    an XML parser: ~10× faster, and the reader's own XML parser refuses what is not XML).

    A cell written as an empty element (`<c r="A9" s="3"/>`, a formatted empty cell) holds
    nothing and does not count; any other cell counts as holding a value (a `<c>` with no child
    at all is counted too, which errs on the safe side). Rows and cells without `r` follow the
    ones before them, as the reader places them.
    """

    def __init__(self, size: SheetSize) -> None:
        self.size = size
        self.row = 0
        self.column = 0
        self.rest = b""

    def feed(self, chunk: bytes) -> None:
        text = self.rest + chunk
        cut = text.rfind(b"<")
        if cut < 0:
            self.rest = b""
            return
        self._scan(text[:cut])
        self.rest = text[cut:]
        if len(self.rest) > _MAX_TAG:
            raise Damaged("a tag of a megabyte")

    def close(self) -> None:
        self._scan(self.rest)
        self.rest = b""

    def _scan(self, text: bytes) -> None:
        # The loop runs for every cell of every return (a fifth of a parse's time): one regular
        # expression gives each tag's attributes and its `r` (b"" when there is none), the
        # sheet's state is kept in locals, and a cell reference seen before is looked up, not
        # parsed again. `tests/test_sheet_scan.py` holds the plain loop this one must agree with.
        size = self.size
        row, column = self.row, self.column
        rows, columns, far_row, far_column = size.rows, size.columns, size.far_row, size.far_column
        known = _CELL_REFS
        for kind, attrs, ref in _SHEET_TAG_R.findall(text):
            if kind == b"row":
                row = int(ref) if ref.isdigit() else row + 1
                column = 0
                continue
            cell = known.get(ref)
            if cell is None:
                cell = _cell_ref(ref)
            if cell is not None:
                row, column = cell
            else:
                column += 1
            if not attrs.endswith(b"/"):  # as `SheetSize.note`
                r = row if row < EXCEL_ROWS else EXCEL_ROWS
                c = column if column < EXCEL_COLUMNS else EXCEL_COLUMNS
                if r > rows or c > columns:
                    far_row, far_column = r, c
                    rows, columns = max(rows, r), max(columns, c)
        self.row, self.column = row, column
        size.rows, size.columns, size.far_row, size.far_column = rows, columns, far_row, far_column


# A `<row>` or `<c>` start tag (any namespace prefix): its name, its attributes, and the value of
# the first ` r="…"` among them (empty when there is none).
_SHEET_TAG_R = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?(row|c)\b((?:[^>]*?\sr="([^">]*)")?[^>]*)>')
# Cell references met before, as (row, column): the same few hundred recur in every return.
_CELL_REFS: dict[bytes, tuple[int, int]] = {}
_CELL_REFS_KEPT = 100_000


def _cell_ref(ref: bytes) -> tuple[int, int] | None:
    """(row, column) of a cell reference (`B7`, `$B$7`), None for anything else."""
    found = _REF_BYTES.match(ref) if ref else None
    if found is None:
        return None
    letters, digits = found.groups()
    cell = int(digits), _column_number(letters)
    # A hostile file's seven-letter columns and long row numbers are not kept.
    if len(ref) <= 10 and len(_CELL_REFS) < _CELL_REFS_KEPT:
        _CELL_REFS[ref] = cell
    return cell


_REF_BYTES = re.compile(_REF.pattern.encode("ascii"))


def _column_number(letters: bytes) -> int:
    column = 0
    for ch in letters.upper():
        column = column * 26 + ch - 64
    return column


_SST_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sst\b([^>]*)>")
_UNIQUE = re.compile(rb'uniqueCount="(\d+)"')


class _SstHead(_Scanner):
    """The `<sst>` tag of the shared strings: the reader reserves `uniqueCount` entries up front
    (`count` it does not use)."""

    def __init__(self, declared: Declared) -> None:
        self.declared = declared
        self.head = b""
        self.done = False

    def feed(self, chunk: bytes) -> None:
        if self.done:
            return
        self.head += chunk[:65536]
        tag = _SST_TAG.search(self.head)
        if tag is None and len(self.head) < 65536:
            return
        self.done = True
        unique = _UNIQUE.search(tag.group(1)) if tag else None
        if unique:
            self.declared.shared_strings = max(self.declared.shared_strings, int(unique.group(1)))


class _OdsContent(_Handler):
    """Tables, rows and cells of content.xml with their repeat counts, as the reader expands them:
    rows and cells holding nothing do not count, repeated ones holding a value count each time."""

    def __init__(self, declared: Declared) -> None:
        self.declared = declared
        self.sheet: SheetSize | None = None
        self.row = 0
        self.rows_repeated = 1
        self.column = 0
        self.row_far = 0
        self.cell_end = 0
        self.in_cell = False
        self.valued = False
        self.depth = 0  # tables inside a cell (rare) are not sheets

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "table":
            self.depth += 1
            if self.depth == 1:
                self.sheet = SheetSize(attrs.get("name", f"表{len(self.declared.sheets) + 1}"))
                self.declared.sheets.append(self.sheet)
                self.row = 0
        elif self.depth != 1 or self.sheet is None:
            return
        elif name == "table-row":
            self.rows_repeated = _count(attrs.get("number-rows-repeated"))
            self.column = 0
            self.row_far = 0
        elif name in ("table-cell", "covered-table-cell"):
            repeated = _count(attrs.get("number-columns-repeated"))
            self.cell_end = self.column + repeated
            self.column = min(self.cell_end, EXCEL_COLUMNS * 2)
            self.in_cell = True
            self.valued = "value-type" in attrs or "value" in attrs or "formula" in attrs
        elif self.in_cell and name in ("p", "span", "a", "s"):
            self.valued = True

    def end(self, name: str) -> None:
        if name == "table":
            self.depth -= 1
            return
        if self.depth != 1 or self.sheet is None:
            return
        if name in ("table-cell", "covered-table-cell") and self.in_cell:
            if self.valued:
                self.row_far = max(self.row_far, self.cell_end)
            self.in_cell = False
        elif name == "table-row":
            last = self.row + self.rows_repeated
            if self.row_far:
                self.sheet.note(last, self.row_far)
            self.row = min(last, EXCEL_ROWS * 2)


def _count(value: str | None) -> int:
    if value is None or not value.isdigit():
        return 1
    return max(1, min(int(value), 1 << 31))


# -- xlsb: binary records ----------------------------------------------------------------------------
_XLSB_VALUED = set(range(2, 12))  # the cell records the reader builds cells from (1 is a blank)
_BRT_ROW_HDR = 0
_BRT_BEGIN_SST = 159
_MAX_RECORD = 1 << 28


class _XlsbScanner(_Scanner):
    """Records of a binary part (id and size as 7-bit varints, then the body), streamed."""

    def __init__(self, size: SheetSize | None, declared: Declared | None) -> None:
        self.size = size
        self.declared = declared
        self.buffer = bytearray()
        self.row = 0

    def feed(self, chunk: bytes) -> None:
        self.buffer += chunk
        at = 0
        buffer = self.buffer
        while True:
            head = _varints(buffer, at)
            if head is None:
                break
            rid, length, body_at = head
            if length > _MAX_RECORD:
                raise Damaged("record too large")
            if body_at + length > len(buffer):
                break
            self._record(rid, bytes(buffer[body_at:body_at + min(length, 16)]))
            at = body_at + length
        del self.buffer[:at]

    def close(self) -> None:
        if len(self.buffer) > 0 and _varints(self.buffer, 0) is not None:
            raise Damaged("record cut short")

    def _record(self, rid: int, body: bytes) -> None:
        if self.size is not None:
            if rid == _BRT_ROW_HDR and len(body) >= 4:
                self.row = struct.unpack_from("<I", body)[0] + 1
            elif rid in _XLSB_VALUED and len(body) >= 4:
                self.size.note(self.row, struct.unpack_from("<I", body)[0] + 1)
        elif self.declared is not None and rid == _BRT_BEGIN_SST and len(body) >= 8:
            self.declared.shared_strings = max(self.declared.shared_strings, struct.unpack_from("<I", body, 4)[0])


def _varints(buffer: bytearray, at: int) -> tuple[int, int, int] | None:
    """(record id, body length, offset of the body) at `at`, or None if the header is not all there."""
    values = []
    for width in (2, 4):
        value = 0
        for i in range(width):
            if at >= len(buffer):
                return None
            byte = buffer[at]
            at += 1
            value |= (byte & 0x7F) << (7 * i)
            if not byte & 0x80:
                break
        values.append(value)
    return values[0], values[1], at


# -- xls / et: BIFF records in an OLE2 compound file ---------------------------------------------------
_BIFF_CELLS = {0x0203, 0x0204, 0x0205, 0x0006, 0x027E, 0x00FD, 0x00D6, 0x0003, 0x0004, 0x0002}  # valued cells
_BIFF_MULRK = 0x00BD
_BIFF_BOF = 0x0809
_BIFF_EOF = 0x000A
_BIFF_BOUNDSHEET = 0x0085


def _biff_sheets(data: bytes) -> list[SheetSize]:
    """The valued-cell grid of every worksheet substream of the `Workbook` (or `Book`) stream."""
    stream = ole_stream(data, ("Workbook", "Book"))
    if stream is None:
        return []  # not a BIFF workbook: the reader says what it is
    sheets: list[SheetSize] = []
    names: dict[int, str] = {}  # substream offset → sheet name (BOUNDSHEET records of the globals)
    current: SheetSize | None = None
    at = 0
    while at + 4 <= len(stream):
        start = at
        rid, length = struct.unpack_from("<HH", stream, at)
        body = stream[at + 4: at + 4 + length]
        at += 4 + length
        if rid == _BIFF_BOUNDSHEET and len(body) >= 8:
            offset, count, high = struct.unpack_from("<I", body)[0], body[6], body[7]
            text = body[8:8 + count * (2 if high & 1 else 1)]
            names[offset] = text.decode("utf-16-le" if high & 1 else "latin-1", "replace")
        elif rid == _BIFF_BOF:
            kind = struct.unpack_from("<H", body, 2)[0] if len(body) >= 4 else 0
            if kind == 0x0005:  # the workbook globals, not a sheet
                current = None
                continue
            current = SheetSize(names.get(start, f"第 {len(sheets) + 1} 个工作表"))
            sheets.append(current)
        elif rid == _BIFF_EOF:
            current = None
        elif current is None or len(body) < 4:
            continue
        elif rid in _BIFF_CELLS:
            row, column = struct.unpack_from("<HH", body)
            current.note(row + 1, column + 1)
        elif rid == _BIFF_MULRK and len(body) >= 6:
            row, first = struct.unpack_from("<HH", body)
            last = struct.unpack_from("<H", body, len(body) - 2)[0]
            current.note(row + 1, max(first, last) + 1)
    return [s for s in sheets if s.cells]


_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE


def ole_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """The first stream of an OLE2 compound file named one of `names`, or None.

    Only what the file holds is read: every chain is followed at most once per sector, so a
    looping or lying allocation table cannot make it allocate more than the file's size.
    """
    if len(data) < 512:
        return None
    shift, mini_shift = struct.unpack_from("<HH", data, 30)
    if shift not in (9, 12) or mini_shift != 6:
        return None
    sector = 1 << shift
    n_sectors = max((len(data) - sector) // sector, 0)
    dir_start, _, mini_cutoff, mini_fat_start, n_mini_fat, difat_start, n_difat = struct.unpack_from("<IIIIIII", data, 48)

    def read_sector(i: int) -> bytes:
        if i >= n_sectors:
            raise Damaged("sector outside the file")
        return data[sector + i * sector: sector + (i + 1) * sector]

    fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < n_sectors]
    seen: set[int] = set()
    at = difat_start
    for _ in range(min(n_difat, n_sectors)):
        if at >= n_sectors or at in seen:
            break
        seen.add(at)
        entries = struct.unpack(f"<{sector // 4}I", read_sector(at))
        fat_sectors += [s for s in entries[:-1] if s < n_sectors]
        at = entries[-1]
    fat: list[int] = []
    for s in fat_sectors[: n_sectors // (sector // 4) + 1]:
        fat.extend(struct.unpack(f"<{sector // 4}I", read_sector(s)))

    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out: list[int] = []
        visited: set[int] = set()
        while start < len(table) and start not in visited and len(out) < limit:
            visited.add(start)
            out.append(start)
            start = table[start]
        return out

    directory = b"".join(read_sector(s) for s in chain(dir_start, fat, n_sectors) if s < n_sectors)
    streams: list[tuple[str, int, int, int]] = []
    for off in range(0, len(directory) - 127, 128):
        name_len = struct.unpack_from("<H", directory, off + 64)[0]
        name = directory[off: off + max(min(name_len, 64) - 2, 0)].decode("utf-16-le", "replace")
        kind = directory[off + 66]
        start, size = struct.unpack_from("<II", directory, off + 116)
        streams.append((name, kind, start, size))
    if not streams:
        return None
    wanted = next(((n, k, s, z) for n, k, s, z in streams if k == 2 and n in names), None)
    if wanted is None:
        return None
    _, _, start, size = wanted
    size = min(size, len(data))
    if size >= mini_cutoff:
        body = b"".join(read_sector(s) for s in chain(start, fat, n_sectors))
        return body[:size]
    root_start = streams[0][2]
    mini_stream = b"".join(read_sector(s) for s in chain(root_start, fat, n_sectors))
    mini_fat: list[int] = []
    for s in chain(mini_fat_start, fat, min(n_mini_fat, n_sectors)):
        mini_fat.extend(struct.unpack(f"<{sector // 4}I", read_sector(s)))
    mini = 1 << mini_shift
    parts = [mini_stream[i * mini:(i + 1) * mini] for i in chain(start, mini_fat, len(mini_stream) // mini + 1)]
    return b"".join(parts)[:size]

