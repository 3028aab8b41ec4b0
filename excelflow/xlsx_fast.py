"""Faster paths through xlsxwriter for the workbooks excelflow draws by the thousand.

A city's first collect draws a receipt for each of 1,000 returns and a rollup for each of 1,000
lead units, and `generate` a workbook for each unit. xlsxwriter spends most of such a small
workbook in general code: each cell through argument conversion and dimension checks, each
attribute of each XML element escaped, forty setter calls per format, and the parts that are the
same in every workbook of a kind (the theme, the styles, the relationships) assembled and
deflated again. Three subclasses change how, never what:

- `FastWorksheet` stores string, number and blank cells, rows and merged text over integer
  coordinates directly, and writes the rows of such cells (and of dates, written as their serial
  numbers) with one string template each, as `Worksheet._write_rows` writes them (anything
  else — A1 notation, formulas, comments, Excel 2010 row attributes — goes through xlsxwriter's
  own code); rows that grow with their text (`auto_height_rows`) are written without the
  hand-set mark at once;
- `FastWorkbook` copies each format from a model made once per process, replays what xlsxwriter
  prepared for the same models used the same way (the formats' font, border and fill indices,
  and the styles part they lead to), and zips the parts as `zipfile` does, reusing the deflated
  bytes of a shared part already deflated in this process (the same bytes deflate to the same
  bytes);
- `FastPackager` writes the shared strings in one pass, and the styles of a set of formats and
  the package's bookkeeping parts (content types, relationships, app properties) once per
  process for the same inputs;
- `FastXML` (a base of the sheet and the workbook) writes an element's attributes without the
  escape call for the numbers and the plain text that make up most of them.

The bytes are xlsxwriter's: `tests/test_xlsx_fast.py` draws receipts, rollups and reporting
workbooks both ways and compares them member by member, and a version of xlsxwriter this was not
checked with (`CHECKED_VERSIONS`) gets xlsxwriter's own code.
"""

from __future__ import annotations

import itertools
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO, StringIO
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.packager import Packager
from xlsxwriter.styles import Styles
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name, xl_range
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import (
    CellBlankTuple,
    CellDatetimeTuple,
    CellNumberTuple,
    CellStringTuple,
    RowInfo,
    Worksheet,
)
from xlsxwriter.xmlwriter import XMLwriter

CHECKED_VERSIONS = ("3.3.",)
ENABLED = xlsxwriter.__version__.startswith(CHECKED_VERSIONS)

_COLUMNS = [xl_col_to_name(c) for c in range(256)]
# xlsxwriter's cell tuples made as their `__new__` makes them, without its Python-level call
# (a rollup stores some 250 cells).
_new = tuple.__new__


class FastXML:
    """`XMLwriter`'s element writers with the same output and fewer calls: an attribute that is a
    number or plain text without a character to escape is written as it is, without
    `_escape_attributes` (which finds a number out by the `TypeError` of a regular expression).
    A sheet's columns, panes, merged ranges, validations and page setup are some 80 elements of
    150 attributes a rollup."""

    fh: Any

    def _escape_attributes(self, attribute: Any) -> Any:
        kind = type(attribute)
        if kind is int or kind is float:
            return attribute  # what XMLwriter returns for anything `search` refuses
        if kind is str and not _ATTRIBUTE_ESCAPES.search(attribute):
            return attribute
        return XMLwriter._escape_attributes(self, attribute)

    def _xml_start_tag(self, tag: str, attributes: Sequence[tuple[str, Any]] = ()) -> None:
        self.fh.write(f"<{tag}{_attributes(self, attributes)}>" if attributes else f"<{tag}>")

    def _xml_empty_tag(self, tag: str, attributes: Sequence[tuple[str, Any]] = ()) -> None:
        self.fh.write(f"<{tag}{_attributes(self, attributes)}/>" if attributes else f"<{tag}/>")


def _attributes(writer: Any, attributes: Sequence[tuple[str, Any]]) -> str:
    """` key="value"` of each attribute, escaped as `XMLwriter._escape_attributes` escapes it."""
    out = []
    for key, value in attributes:
        kind = type(value)
        if not (kind is int or kind is float or (kind is str and not _ATTRIBUTE_ESCAPES.search(value))):
            value = XMLwriter._escape_attributes(writer, value)
        out.append(f' {key}="{value}"')
    return "".join(out)


_ATTRIBUTE_ESCAPES = re.compile('["&<>\n]')  # xlsxwriter's `xml_escapes`


class FastWorksheet(FastXML, Worksheet):  # type: ignore[misc]  # xlsxwriter ships no type information
    """A worksheet whose cells are stored and whose rows are written with fewer calls (same XML)."""

    # xlsxwriter's own attributes this class reads and sets (declared for the type checker).
    dim_rowmin: Any
    dim_rowmax: Any
    dim_colmin: Any
    dim_colmax: Any
    fh: Any
    outline_row_level: Any

    def __init__(self) -> None:
        super().__init__()
        # Rows whose height is computed for their pre-filled text but not marked as set by hand, so
        # Excel and WPS grow them as a unit types (`xlsx.auto_height_rows` does the same afterwards
        # to any workbook; here it costs nothing).
        self.auto_height_rows: set[int] = set()

    # The cell writers excelflow calls thousands of times a workbook, for integer coordinates: what
    # `write_string` and friends do after their argument conversion, without the general path's
    # calls. Anything else (A1 notation, constant memory) goes the general way.
    def write_string(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) in (3, 4) and not kwargs:
            row, col, string = args[:3]
            if (type(row) is int and type(col) is int and type(string) is str and not self.constant_memory
                    and len(string) <= 16383 and self._claim(row, col)):
                cell_format = args[3] if len(args) == 4 else None
                self.table[row][col] = CellStringTuple(self.str_table._get_shared_string_index(string), cell_format)
                return 0
        return super().write_string(*args, **kwargs)

    def write_number(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) in (3, 4) and not kwargs:
            row, col, number = args[:3]
            if (type(row) is int and type(col) is int and type(number) in (int, float) and not self.constant_memory
                    and not math.isnan(number) and not math.isinf(number) and self._claim(row, col)):
                self.table[row][col] = CellNumberTuple(number, args[3] if len(args) == 4 else None)
                return 0
        return super().write_number(*args, **kwargs)

    def write_blank(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 4 and not kwargs:
            row, col, _, cell_format = args
            if (type(row) is int and type(col) is int and cell_format is not None and not self.constant_memory
                    and self._claim(row, col)):
                self.table[row][col] = CellBlankTuple(cell_format)
                return 0
        return super().write_blank(*args, **kwargs)

    def write_cells(self, row: int, first_col: int, cells: Sequence[tuple[Any, Any]]) -> None:
        """`xlsx.write_cells` on this sheet: each (value, format) of `cells` from column `first_col`
        of `row`, as `write_string` (a str, even empty), `write_number` (int, float) or
        `write_blank` (None) stores it, in that order, in one call. A rollup's 200 cells cost
        0.3 ms through the three methods."""
        if type(row) is not int or type(first_col) is not int or self.constant_memory \
                or not (0 <= row < self.xls_rowmax and 0 <= first_col and first_col + len(cells) <= self.xls_colmax):
            write_cells_one_by_one(self, row, first_col, cells)
            return
        line = self.table[row]
        shared = self.str_table._get_shared_string_index
        low = high = -1
        for col, (value, cell_format) in enumerate(cells, first_col):
            kind = type(value)
            if kind is str:
                if len(value) > 16383:
                    self.write_string(row, col, value, cell_format)  # truncated, as xlsxwriter does
                    continue
                line[col] = _new(CellStringTuple, (shared(value), cell_format))
            elif (kind is int or kind is float) and math.isfinite(value):
                line[col] = _new(CellNumberTuple, (value, cell_format))
            elif value is None:
                if cell_format is None:
                    continue  # xlsxwriter writes no blank without a format
                line[col] = _new(CellBlankTuple, (cell_format,))
            else:  # a bool, NaN, a str subclass…: the general way, cell by cell
                write_cells_one_by_one(self, row, col, [(value, cell_format)])
                continue
            if low < 0:
                low = col
            high = col
        if low >= 0:
            self._claim(row, low)
            self._claim(row, high)

    def set_row(self, *args: Any, **kwargs: Any) -> Any:
        """`Worksheet.set_row(row, height, cell_format, options)`, as `set_row_pixels` does it."""
        if kwargs or not 1 <= len(args) <= 4 or type(args[0]) is not int or self.constant_memory:
            return super().set_row(*args, **kwargs)
        row = args[0]
        height = args[1] if len(args) > 1 else None
        options = args[3] if len(args) > 3 else None
        if ((height is not None and type(height) not in (int, float))
                or (options is not None and (type(options) is not dict or not set(options) <= _ROW_OPTIONS))):
            return super().set_row(*args, **kwargs)
        if not self._claim(row, self.dim_colmin if self.dim_colmin is not None else 0):
            return super().set_row(*args, **kwargs)
        options = options or {}
        pixels = int(height * 4.0 / 3.0 + 0.5) if height is not None else self.default_row_height
        hidden = options.get("hidden", False)
        if pixels == 0:
            hidden = True
            pixels = self.default_row_height
        level = min(max(options.get("level", 0), 0), 7)
        self.outline_row_level = max(self.outline_row_level, level)
        self.row_info[row] = RowInfo(height=pixels, row_format=args[2] if len(args) > 2 else None, hidden=hidden,
                                     level=level, collapsed=options.get("collapsed", False))
        self.row_sizes[row] = [pixels, hidden]
        return 0

    def merge_range(self, *args: Any, **kwargs: Any) -> Any:
        """`Worksheet.merge_range` of text over integer coordinates, as it does it: the first cell
        holds the text, the others are blanks in the same format."""
        if kwargs or len(args) not in (5, 6) or self.write_handlers or self.strings_to_formulas \
                or self.strings_to_urls or self.strings_to_numbers or self.constant_memory:
            return super().merge_range(*args, **kwargs)
        first_row, first_col, last_row, last_col, data = args[:5]
        cell_format = args[5] if len(args) == 6 else None
        if (any(type(v) is not int for v in (first_row, first_col, last_row, last_col)) or type(data) is not str
                or not data or len(data) > 16383 or (first_row, first_col) == (last_row, last_col)):
            return super().merge_range(*args, **kwargs)
        first_row, last_row = min(first_row, last_row), max(first_row, last_row)
        first_col, last_col = min(first_col, last_col), max(first_col, last_col)
        cells = [(r, c) for r in range(first_row, last_row + 1) for c in range(first_col, last_col + 1)]
        if (not (0 <= last_row < self.xls_rowmax and 0 <= last_col < self.xls_colmax and first_row >= 0
                 and first_col >= 0)
                or any(cell in self.merged_cells or cell in self.table_cells for cell in cells)):
            return super().merge_range(*args, **kwargs)  # out of the sheet, or overlapping: its answer
        self._claim(first_row, first_col)
        self._claim(last_row, last_col)
        cell_range = xl_range(first_row, first_col, last_row, last_col)
        for cell in cells:
            self.merged_cells[cell] = cell_range
        self.merge.append([first_row, first_col, last_row, last_col])
        table = self.table
        table[first_row][first_col] = CellStringTuple(self.str_table._get_shared_string_index(data), cell_format)
        if cell_format is not None:
            for r, c in cells[1:]:
                table[r][c] = _new(CellBlankTuple, (cell_format,))
        return 0

    def _claim(self, row: int, col: int) -> bool:
        """`_check_dimensions` for a cell inside the sheet's limits: the used range grown to hold
        it. False (nothing changed) for a cell outside, which the general path reports."""
        if not (0 <= row < self.xls_rowmax and 0 <= col < self.xls_colmax):
            return False
        if self.dim_rowmin is None:
            self.dim_rowmin = self.dim_rowmax = row
        elif row < self.dim_rowmin:
            self.dim_rowmin = row
        elif row > self.dim_rowmax:
            self.dim_rowmax = row
        if self.dim_colmin is None:
            self.dim_colmin = self.dim_colmax = col
        elif col < self.dim_colmin:
            self.dim_colmin = col
        elif col > self.dim_colmax:
            self.dim_colmax = col
        return True

    def _write_rows(self) -> None:
        """The `<row>` and `<c>` elements of the used rows, as `Worksheet._write_rows` writes
        them (formats numbered in the same order of first use)."""
        table = self.table
        if self.comments or self.excel_version == 2010 or self.dim_colmax is None or self.dim_colmax >= 256:
            self._general_rows()
            return
        row_info = self.row_info
        col_info = self.col_info
        lo, hi = self.dim_rowmin, self.dim_rowmax
        rows = sorted(r for r in set(row_info).union(r for r, cells in table.items() if cells) if lo <= r <= hi)
        spans = _spans(table, rows)
        auto = self.auto_height_rows
        original = self.original_row_height
        default = self.default_row_height
        out: list[str] = []
        add = out.append
        for r in rows:
            info = row_info.get(r)
            row_format = info.row_format if info is not None else None
            height = info.height if info is not None and info.height is not None else default
            tag = f'<row r="{r + 1}"'
            span = spans.get(r // 16)
            if span:
                tag += f' spans="{span}"'
            if row_format:
                xf = row_format._get_xf_index()
                if xf:
                    tag += f' s="{xf}"'
                tag += ' customFormat="1"'
            custom = height != original or height != default
            if custom:
                tag += f' ht="{height * 0.75:.16g}"'
            if info is not None and info.hidden:
                tag += ' hidden="1"'
            if custom and r not in auto:
                tag += ' customHeight="1"'
            if info is not None and info.level:
                tag += f' outlineLevel="{info.level}"'
            if info is not None and info.collapsed:
                tag += ' collapsed="1"'
            cells = table.get(r)
            if not cells:
                add(tag + "/>")
                continue
            add(tag + ">")
            number = r + 1
            for c in sorted(cells):
                cell = cells[c]
                fmt = cell.format
                if fmt:
                    style = f' s="{fmt._get_xf_index()}"'
                elif row_format:
                    style = f' s="{row_format._get_xf_index()}"'
                elif c in col_info and col_info[c].column_format is not None:
                    style = f' s="{col_info[c].column_format._get_xf_index()}"'
                else:
                    style = ""
                kind = type(cell)
                if kind is CellStringTuple:
                    add(f'<c r="{_COLUMNS[c]}{number}"{style} t="s"><v>{cell.string}</v></c>')
                elif kind is CellNumberTuple or kind is CellDatetimeTuple:  # a date is its serial number
                    add(f'<c r="{_COLUMNS[c]}{number}"{style}><v>{cell.number:.16G}</v></c>')
                elif kind is CellBlankTuple:
                    add(f'<c r="{_COLUMNS[c]}{number}"{style}/>')
                else:  # a formula, a rich string, a boolean…: all the rows the general way
                    self._general_rows()
                    return
            add("</row>")
        self.fh.write("".join(out))

    def _general_rows(self) -> None:
        """xlsxwriter's own `_write_rows`, then the growing rows' hand-set marks taken out."""
        if not self.auto_height_rows:
            super()._write_rows()
            return
        target, self.fh = self.fh, StringIO()
        try:
            super()._write_rows()
            written = self.fh.getvalue()
        finally:
            self.fh = target
        target.write(without_hand_set_heights(written, {r + 1 for r in self.auto_height_rows}))


def write_cells_one_by_one(sheet: Any, row: int, first_col: int, cells: Sequence[tuple[Any, Any]]) -> None:
    """What `FastWorksheet.write_cells` stores, through xlsxwriter's own cell writers."""
    for col, (value, cell_format) in enumerate(cells, first_col):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            sheet.write_number(row, col, value, cell_format)
        elif value is None:
            sheet.write_blank(row, col, None, cell_format)
        else:
            sheet.write_string(row, col, str(value), cell_format)


def without_hand_set_heights(xml: str, rows: set[int]) -> str:
    """Sheet XML with the `customHeight` mark taken out of the `<row>` tags of `rows` (1-based):
    they keep their height, but Excel and WPS grow them with their text."""
    def strip(match: re.Match[str]) -> str:
        tag = match.group(0)
        return tag.replace(' customHeight="1"', "") if int(match.group(1)) in rows else tag

    return _ROW_TAG.sub(strip, xml)


_ROW_TAG = re.compile(r'<row r="(\d+)"[^>]*>')
_ROW_OPTIONS = frozenset({"hidden", "level", "collapsed"})


def _spans(table: Any, rows: list[int]) -> dict[int, str]:
    """The `spans` of each block of 16 rows: the first and last column with a cell in it."""
    bounds: dict[int, tuple[int, int]] = {}
    for r in rows:
        cells = table.get(r)
        if not cells:
            continue
        block = r // 16
        low, high = min(cells), max(cells)
        known = bounds.get(block)
        bounds[block] = (low, high) if known is None else (min(known[0], low), max(known[1], high))
    return {block: f"{low + 1}:{high + 1}" for block, (low, high) in bounds.items()}


# -- the package ------------------------------------------------------------------------------------
# Parts that are the same in many workbooks (a few variants each: the styles of a receipt with and
# without its red action line, the relationships of a one-sheet and a four-sheet workbook) are
# deflated once per process; the rest (sheets, strings, the title and date) each time.
_SHARED_PARTS = frozenset({
    "[Content_Types].xml", "_rels/.rels", "docProps/app.xml", "xl/_rels/workbook.xml.rels",
    "xl/styles.xml", "xl/theme/theme1.xml", "xl/workbook.xml",
})
_CACHE_LIMIT = 256  # variants kept per process (each a few KiB)
_packed: dict[bytes, tuple[int, bytes]] = {}
_styles: dict[tuple[Any, ...], str] = {}
_parts: dict[tuple[str, tuple[Any, ...]], str] = {}
_format_models: dict[tuple[Any, ...], Format] = {}
_model_serials = itertools.count(1)  # a model's number: never reused, unlike `id()`


def _deflate(data: bytes) -> tuple[int, bytes]:
    """CRC and raw deflate of `data`, as `zipfile` compresses a ZIP_DEFLATED member.

    zipfile makes a compressor object and feeds it; `zlib.compress` with the same level and
    window writes the same stream in one call, and for a part of a few KiB it is 50 µs faster
    (setting up and freeing the object's state is most of such a small compression)."""
    return zlib.crc32(data), zlib.compress(data, zlib.Z_DEFAULT_COMPRESSION, -15)


def _deflated(name: str, data: bytes) -> tuple[int, bytes]:
    if name not in _SHARED_PARTS:
        return _deflate(data)
    known = _packed.get(data)
    if known is None:
        if len(_packed) >= _CACHE_LIMIT:
            _packed.clear()
        known = _packed[data] = _deflate(data)
    return known


def _write_member(zip_file: zipfile.ZipFile, name: str, data: bytes) -> None:
    """What `zip_file.writestr(ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)` writes for a
    ZIP_DEFLATED zip in a seekable buffer, header for header, with the compressed bytes from
    `_deflated`. `zipfile` writes the central directory from the infos when it closes."""
    info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    if len(data) * 1.05 > zipfile.ZIP64_LIMIT:  # a part of gigabytes: zipfile's own zip64 records
        zip_file.writestr(info, data)
        return
    info.CRC, packed = _deflated(name, data)
    info.file_size = len(data)
    info.compress_size = len(packed)
    info.flag_bits = 0
    info.external_attr = 0o600 << 16
    fp = zip_file.fp
    assert fp is not None
    info.header_offset = fp.tell()
    zip_file._writecheck(info)  # type: ignore[attr-defined]
    zip_file._didModify = True  # type: ignore[attr-defined]
    fp.write(info.FileHeader(False))
    fp.write(packed)
    zip_file.start_dir = fp.tell()
    zip_file.filelist.append(info)
    zip_file.NameToInfo[name] = info


# What `zipfile` writes of a member named with ASCII, dated 1980-01-01 (`_write_member`'s info).
_MODEL = zipfile.ZipInfo("-", (1980, 1, 1, 0, 0, 0))
_DOS_DATE = 1 << 5 | 1
_LOCAL = struct.Struct(zipfile.structFileHeader)  # type: ignore[attr-defined]
_CENTRAL = struct.Struct(zipfile.structCentralDir)  # type: ignore[attr-defined]
_END = struct.Struct(zipfile.structEndArchive)  # type: ignore[attr-defined]
_SMALL_ZIP = 1 << 30  # beyond, or with a name not in ASCII: zipfile's own records (`_write_member`)


def _small_zip(parts: list[tuple[str, bytes]], start: int) -> bytes | None:
    """The zip `_write_member` and `ZipFile.close` write of `parts` from offset `start` of a new
    buffer, record for record, without `zipfile`'s objects (a receipt's eleven members cost 0.08 ms
    more through them). None when a part or the whole needs what only zipfile does (zip64, UTF-8 names)."""
    # Deflate adds a few bytes per 16 KiB at worst, so twice the parts' size bounds the zip's.
    if len(parts) >= 0xFFFF or start + 2 * sum(len(data) + len(name) for name, data in parts) > _SMALL_ZIP:
        return None
    m = _MODEL
    out: list[bytes] = []
    central: list[bytes] = []
    offset = start
    for name, data in parts:
        if not name.isascii():
            return None
        encoded = name.encode("ascii")
        crc, packed = _deflated(name, data)
        header = _LOCAL.pack(zipfile.stringFileHeader, m.extract_version, m.reserved, 0,  # type: ignore[attr-defined]
                             zipfile.ZIP_DEFLATED, 0, _DOS_DATE, crc, len(packed), len(data), len(encoded), 0)
        central.append(_CENTRAL.pack(zipfile.stringCentralDir, m.create_version,  # type: ignore[attr-defined]
                                     m.create_system, m.extract_version, m.reserved, 0, zipfile.ZIP_DEFLATED, 0,
                                     _DOS_DATE, crc, len(packed), len(data), len(encoded), 0, 0, 0, m.internal_attr,
                                     0o600 << 16, offset) + encoded)
        out += (header, encoded, packed)
        offset += len(header) + len(encoded) + len(packed)
    directory = b"".join(central)
    out.append(directory)
    out.append(_END.pack(zipfile.stringEndArchive, 0, 0, len(parts), len(parts),  # type: ignore[attr-defined]
                         len(directory), offset, 0))
    return b"".join(out)


class FastPackager(Packager):  # type: ignore[misc]
    """xlsxwriter's packager with the shared strings written in one pass, and the styles of a set
    of formats and the package's bookkeeping parts (content types, relationships, the
    application's properties) assembled once per process for the same inputs."""

    # The bookkeeping parts are the same in every receipt (and in every rollup): each is kept by
    # everything its xlsxwriter method reads, so a workbook that differs in any of it gets its
    # own. 0.14 ms less a receipt, 0.2 ms a rollup: 0.3 s of CPU over a city's first collect.
    def _write_content_types_file(self) -> None:
        book = self.workbook
        sheets = tuple(sheet.is_chartsheet for sheet in book.worksheets())
        key = (sheets, self.chart_count, self.drawing_count, self.num_vml_files,
               sum(len(sheet.tables) for sheet in book.worksheets()), self.num_comment_files, tuple(book.image_types),
               bool(book.str_table.count), bool(book.vba_project), bool(book.vba_project_signature),
               bool(book.custom_properties), bool(book.has_metadata), tuple(book._has_feature_property_bags()),
               bool(book.embedded_images.has_images()))
        if not self._known("[Content_Types].xml", key):
            super()._write_content_types_file()
            self._keep("[Content_Types].xml", key)
        else:
            self._get_table_count()  # as the original does (the table files are numbered from it)

    def _write_root_rels_file(self) -> None:
        key = (bool(self.workbook.custom_properties),)
        if not self._known("_rels/.rels", key):
            super()._write_root_rels_file()
            self._keep("_rels/.rels", key)

    def _write_workbook_rels_file(self) -> None:
        book = self.workbook
        key = (tuple(sheet.is_chartsheet for sheet in book.worksheets()), bool(book.str_table.count),
               bool(book.vba_project), bool(book.has_metadata), bool(book.embedded_images.has_images()),
               tuple(book._has_feature_property_bags()))
        if not self._known("xl/_rels/workbook.xml.rels", key):
            super()._write_workbook_rels_file()
            self._keep("xl/_rels/workbook.xml.rels", key)

    def _write_app_file(self) -> None:
        book = self.workbook
        properties = book.doc_properties
        key = (tuple((sheet.is_chartsheet, sheet.hidden, sheet.name) for sheet in book.worksheets()),
               self.chartsheet_count, tuple(self.named_ranges), properties.get("manager"),
               properties.get("company"), properties.get("hyperlink_base"), book.read_only)
        if not self._known("docProps/app.xml", key):
            super()._write_app_file()
            self._keep("docProps/app.xml", key)

    def _known(self, name: str, key: tuple[Any, ...]) -> bool:
        """Whether `name` was written from its kept text (in-memory packages only)."""
        text = _parts.get((name, key)) if self.in_memory else None
        if text is None:
            return False
        self._filename(name).write(text)
        return True

    def _keep(self, name: str, key: tuple[Any, ...]) -> None:
        """Keep the text of `name`, just written by xlsxwriter's own method."""
        buffer, written, _ = self.filenames[-1]
        if not self.in_memory or written != name:
            return
        if len(_parts) >= _CACHE_LIMIT:
            _parts.clear()
        _parts[(name, key)] = buffer.getvalue()

    def _write_shared_strings_file(self) -> None:
        table = self.workbook.str_table
        if not table.count:
            return
        self._filename("xl/sharedStrings.xml").write(shared_strings_xml(table))

    def _write_styles_file(self) -> None:
        book = self.workbook
        prepared: _Prepared | None = getattr(book, "_prepared", None)
        if prepared is not None and prepared.styles is not None:
            self._filename("xl/styles.xml").write(prepared.styles)
            return
        key = (tuple(_format_key(f) for f in book.xf_formats), tuple(_format_key(f) for f in book.dxf_formats),
               tuple(book.palette), book.font_count, tuple(book.num_formats), book.border_count, book.fill_count,
               tuple(book.custom_colors), book.has_comments)
        xml = _styles.get(key)
        if xml is None:
            buffer = StringIO()
            styles = Styles()
            styles._set_style_properties([book.xf_formats, book.palette, book.font_count, book.num_formats,
                                          book.border_count, book.fill_count, book.custom_colors,
                                          book.dxf_formats, book.has_comments])
            styles._set_xml_writer(buffer)
            styles._assemble_xml_file()
            if len(_styles) >= _CACHE_LIMIT:
                _styles.clear()
            xml = _styles[key] = buffer.getvalue()
        if prepared is not None:
            prepared.styles = xml  # the same formats used the same way: the same styles
        self._filename("xl/styles.xml").write(xml)


_OWN = frozenset({"xf_format_indices", "dxf_format_indices"})


def _format_key(fmt: Format) -> tuple[Any, ...]:
    """Everything the styles part reads of a format (its attributes, the indices the workbook gave
    it among them), but not the workbook's tables it points to. A colour is an object compared
    by identity: a copy of a model shares the model's, another equal colour only misses."""
    attributes = vars(fmt).copy()  # a copy without two items: a tenth of a filtering generator's time
    for name in _OWN:
        attributes.pop(name, None)
    key = tuple(attributes.items())
    try:
        hash(key)
    except TypeError:
        return (repr(key),)
    return key


def shared_strings_xml(table: Any) -> str:
    """The sharedStrings part of `table` (an xlsxwriter `SharedStringTable`): what
    `SharedStrings._assemble_xml_file` writes, string by string."""
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{table.count}" '
           f'uniqueCount="{table.unique_count}">']
    add = out.append
    for string in table.string_array:
        if "_x" in string or _CONTROL.search(string) or "\ufffe" in string or "\uffff" in string:
            string = XMLwriter._escape_control_characters(string)
        if string.startswith("<r>") and string.endswith("</r>"):
            add(f"<si>{string}</si>")  # a rich string, already XML
            continue
        space = ' xml:space="preserve"' if _preserve_whitespace(string) else ""
        if _ESCAPES.search(string):
            string = string.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        add(f"<si><t{space}>{string}</t></si>")
    add("</sst>")
    return "".join(out)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_ESCAPES = re.compile('["&<>\n]')


# What xlsxwriter 3.3's `Format._get_format_key` and the font, border, fill and alignment keys
# it joins are made of: setting any of these on a format makes its remembered keys stale.
_KEY_FIELDS = frozenset({
    "bold", "font_color", "font_charset", "font_family", "font_outline", "font_script", "font_shadow",
    "font_strikeout", "font_name", "italic", "font_size", "underline", "theme",
    "bottom", "bottom_color", "diag_border", "diag_color", "diag_type", "left", "left_color", "right",
    "right_color", "top", "top_color",
    "pattern", "bg_color", "fg_color",
    "text_h_align", "text_v_align", "indent", "rotation", "text_wrap", "shrink", "reading_order",
    "num_format", "locked", "checkbox", "quote_prefix", "hidden",
})
# What writing a cell with a format sets on it (its index among the workbook's formats, and the
# key that index is found by): a format used this way is still an unchanged copy of its model.
_USE_FIELDS = frozenset({"xf_index", "dxf_index", "_format_key"})


class FastFormat(Format):  # type: ignore[misc]
    """A format whose keys (what xlsxwriter tells formats, fonts, borders and fills apart by) are
    computed once, by the model a workbook's formats are copied from: xlsxwriter computes them
    for every format of every workbook again. A format changed by a setter afterwards forgets
    them and computes them as xlsxwriter does."""

    _keys: tuple[str, str, str, str] | None = None
    # The number of the model this format is an unchanged copy of (see `FastWorkbook.add_format`);
    # None once anything but what using it sets (`_USE_FIELDS`) is set on it.
    _model: int | None = None
    _COMPUTED = (Format._get_font_key, Format._get_border_key, Format._get_fill_key, Format._get_alignment_key)

    def remember_keys(self) -> None:
        self.__dict__["_keys"] = tuple(str(compute(self)) for compute in self._COMPUTED)
        self._format_key = Format._get_format_key(self)  # joins the keys just remembered

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _KEY_FIELDS and self.__dict__.get("_keys") is not None:
            self.__dict__["_keys"] = None  # a copy shares its model's tuple: replaced, never changed
            self.__dict__["_format_key"] = None
        if name not in _USE_FIELDS and self.__dict__.get("_model") is not None:
            self.__dict__["_model"] = None  # changed: no longer what its model's copies are
        object.__setattr__(self, name, value)

    def _key(self, which: int) -> str:
        keys = self._keys
        return keys[which] if keys is not None else str(self._COMPUTED[which](self))

    def _get_font_key(self) -> str:
        return self._key(0)

    def _get_border_key(self) -> str:
        return self._key(1)

    def _get_fill_key(self) -> str:
        return self._key(2)

    def _get_alignment_key(self) -> str:
        return self._key(3)


class FastWorkbook(FastXML, Workbook):  # type: ignore[misc]
    """An in-memory xlsxwriter workbook with `FastWorksheet` sheets, formats copied from a model
    made once per process, the `FastPackager`, and its shared parts deflated once."""

    def __init__(self, filename: Any, options: dict[str, Any]) -> None:
        super().__init__(filename, options)
        self.worksheet_class = FastWorksheet

    def add_format(self, properties: dict[str, Any] | None = None) -> Format:
        """`Workbook.add_format`: a copy of a format made once per process from the same properties
        (a format's constructor sets some forty attributes one method call at a time)."""
        given = properties or {}
        # The types too: 16 and 16.0 (or 1 and True) are equal keys, but a font of 16.0 points is
        # written "16.0". In the order given (not sorted: 18 keys a workbook), so the same
        # properties in another order only make another model.
        key = (tuple(given.items()), tuple(map(type, given.values())), tuple(self.default_format_properties.items()))
        try:
            model = _format_models.get(key)
        except TypeError:  # a value that is not hashable
            return super().add_format(properties)
        if model is None:
            if len(_format_models) >= _CACHE_LIMIT:
                _format_models.clear()
            merged = self.default_format_properties.copy()
            merged.update(properties or {})
            model = _format_models[key] = FastFormat(merged, self.xf_format_indices, self.dxf_format_indices)
            model.remember_keys()
            model.__dict__["_model"] = next(_model_serials)
        # `copy.copy(model)` without its protocol (a fifth of the call): a new FastFormat holding
        # the model's attributes, then this workbook's index tables.
        made = object.__new__(FastFormat)
        attributes = made.__dict__
        attributes.update(model.__dict__)
        attributes["xf_format_indices"] = self.xf_format_indices
        attributes["dxf_format_indices"] = self.dxf_format_indices
        self.formats.append(made)
        return made

    def _get_packager(self) -> Packager:
        return FastPackager()

    # What `_prepare_format_properties` sets on the formats and the workbook (each format's font,
    # border, fill and number format index, solid fills' colours swapped, the counts) depends
    # only on the formats and which of them the sheets used first: for a receipt or a rollup,
    # the same every time. It is done by xlsxwriter once per process for each such set (a
    # sixth of a millisecond a workbook) and replayed after; the styles part it leads to is
    # kept with it (`FastPackager._write_styles_file`), so its key is not computed either.
    _prepared: _Prepared | None = None

    def _prepare_format_properties(self) -> None:
        signature = self._format_signature()
        known = None if signature is None else _prepared.get(signature)
        if known is not None:
            for fmt, change in zip(self.formats, known.changes):
                fmt.__dict__.update(change)
            self.xf_formats = [None if i < 0 else self.formats[i] for i in known.xf_formats]
            self.dxf_formats = [None if i < 0 else self.formats[i] for i in known.dxf_formats]
            self.font_count, self.border_count, self.fill_count = known.counts
            self.num_formats = list(known.num_formats)
            self._prepared = known
            return
        if signature is None:  # a format changed after it was added: xlsxwriter's own way, nothing kept
            super()._prepare_format_properties()
            return
        before = [dict(fmt.__dict__) for fmt in self.formats]
        super()._prepare_format_properties()
        changes = tuple({name: value for name, value in fmt.__dict__.items() if name not in old or old[name] is not value}
                        for fmt, old in zip(self.formats, before))
        if any(_OWN.intersection(change) for change in changes):
            return  # never the case in xlsxwriter 3.3: this workbook's own tables are not replayed elsewhere
        position = {id(fmt): i for i, fmt in enumerate(self.formats)}
        known = _Prepared(
            changes=changes,
            xf_formats=tuple(-1 if fmt is None else position[id(fmt)] for fmt in self.xf_formats),
            dxf_formats=tuple(-1 if fmt is None else position[id(fmt)] for fmt in self.dxf_formats),
            counts=(self.font_count, self.border_count, self.fill_count),
            num_formats=tuple(self.num_formats))
        if len(_prepared) >= _CACHE_LIMIT:
            _prepared.clear()
        _prepared[signature] = self._prepared = known

    def _format_signature(self) -> tuple[Any, ...] | None:
        """What `_prepare_format_properties` reads: each format's model and indices (None when a
        format is not an unchanged copy of a model), the palette and whether there are comments."""
        used = []
        for fmt in self.formats:
            model = fmt.__dict__.get("_model")
            if model is None:
                return None
            used.append((model, fmt.xf_index, fmt.dxf_index))
        signature = (tuple(used), tuple(self.palette), tuple(self.custom_colors), self.has_comments)
        try:
            hash(signature)
        except TypeError:
            return None
        return signature

    def _store_workbook(self) -> None:
        """`Workbook._store_workbook` for an in-memory workbook, its parts zipped by `_write_member`."""
        if not self.in_memory:
            super()._store_workbook()
            return
        packager = self._get_packager()
        if not self.worksheets():
            self.add_worksheet()
        if self.worksheet_meta.activesheet == 0:
            self.worksheets_objs[0].selected = 1
            self.worksheets_objs[0].hidden = 0
        for sheet in self.worksheets():
            if sheet.index == self.worksheet_meta.activesheet:
                sheet.active = 1
        if self.vba_project:
            for sheet in self.worksheets():
                if sheet.vba_codename is None:
                    sheet.set_vba_name()
        self._prepare_sst_string_data()
        self._prepare_vml()
        self._prepare_defined_names()
        self._prepare_drawings()
        self._add_chart_data()
        self._prepare_tables()
        self._prepare_metadata()
        packager._add_workbook(self)
        packager._set_tmpdir(self.tmpdir)
        packager._set_in_memory(True)
        parts = [(name, data.getvalue() if is_binary else data.getvalue().encode("utf-8"))
                 for data, name, is_binary in packager._create_package()]
        target = self.filename
        # A buffer (every workbook excelflow draws by the thousand); a path is zipped by zipfile.
        packed = _small_zip(parts, target.tell()) if isinstance(target, BytesIO) else None
        if packed is not None:
            target.write(packed)
            return
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=self.allow_zip64) as zip_file:
            for name, data in parts:
                _write_member(zip_file, name, data)


@dataclass
class _Prepared:
    """What xlsxwriter's `_prepare_format_properties` did to one set of formats used one way."""

    changes: tuple[dict[str, Any], ...]  # per format (in `Workbook.formats`): the attributes it set
    xf_formats: tuple[int, ...]  # positions in `Workbook.formats` (-1: none at that index)
    dxf_formats: tuple[int, ...]
    counts: tuple[int, int, int]  # fonts, borders, fills
    num_formats: tuple[Any, ...]
    styles: str | None = None  # the styles part, once written


_prepared: dict[tuple[Any, ...], _Prepared] = {}
