"""The declared-size check's worksheet scan (`declared._XlsxSheetScanner`) sizes a sheet exactly
as the plain loop below does, tag by tag: a row's `r` or the next row, a cell's reference or the
next column, empty elements not counted, the farthest cell named.

The scanner is the fast form of that loop (one regular expression, references looked up once);
random worksheet XML, hostile references included and fed in random chunks, must give the same
grid and the same farthest cell.
"""

from __future__ import annotations

import random
import re

from excelflow.intake import declared
from excelflow.intake.declared import EXCEL_COLUMNS, EXCEL_ROWS, SheetSize

_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)\b([^>]*)>")
_R = re.compile(rb'(?:^|\s)r="([^"]*)"')
_REF = re.compile(rb"^\$?([A-Za-z]{1,7})\$?(\d{1,9})$")


def _plain_size(xml: bytes) -> tuple[int, int, int, int]:
    """(rows, columns, far row, far column) of one worksheet part, one tag at a time."""
    size = SheetSize("表")
    row = column = 0
    for kind, attrs in _TAG.findall(xml):
        ref = _R.search(attrs)
        if kind == b"row":
            value = ref.group(1) if ref else b""
            row = int(value) if value.isdigit() else row + 1
            column = 0
            continue
        found = _REF.match(ref.group(1)) if ref else None
        if found is not None:
            number = 0
            for ch in found.group(1).upper():
                number = number * 26 + ch - 64
            row, column = int(found.group(2)), number
        else:
            column += 1
        if not attrs.endswith(b"/"):
            size.note(row, column)
    return size.rows, size.columns, size.far_row, size.far_column


def _scanned_size(xml: bytes, rng: random.Random) -> tuple[int, int, int, int]:
    size = SheetSize("表")
    scanner = declared._XlsxSheetScanner(size)
    at = 0
    while at < len(xml):
        step = rng.choice([1, 7, 64, 4096, len(xml)])
        scanner.feed(xml[at:at + step])
        at += step
    scanner.close()
    return size.rows, size.columns, size.far_row, size.far_column


REFS = ["A1", "B7", "$C$3", "c9", "L40", "XFD1048576", "XFE1", "A1048577", "ZZZZZZZ9", "A0", "", "A", "7",
        "A1 ", "A1\n", "$A$", "AA12345678901", "AB99"]
ATTRS = ['s="3"', 't="s"', 'spans="1:12"', 'ht="30"', 'xr="B2"', 'r="A1" r="B2"', 'x:r="C4"', 'rr="D5"']


def _random_sheet(rng: random.Random) -> bytes:
    parts = ["<worksheet><sheetData>"]
    for _ in range(rng.randint(0, 30)):
        prefix = rng.choice(["", "", "x:"])
        row_attrs = rng.sample(ATTRS[:4], rng.randint(0, 2))
        if rng.random() < 0.8:
            row_attrs.insert(rng.randint(0, len(row_attrs)), f'r="{rng.choice(["1", "2", "9", "40", "0", "x", ""])}"')
        parts.append(f"<{prefix}row {' '.join(row_attrs)}>")
        for _ in range(rng.randint(0, 12)):
            attrs = rng.sample(ATTRS, rng.randint(0, 2))
            if rng.random() < 0.8:
                attrs.insert(rng.randint(0, len(attrs)), f'r="{rng.choice(REFS)}"')
            joined = " ".join(attrs)
            space = " " if joined else rng.choice(["", " "])
            if rng.random() < 0.3:
                parts.append(f"<{prefix}c{space}{joined}/>")
            else:
                parts.append(f"<{prefix}c{space}{joined}><{prefix}v>1</{prefix}v></{prefix}c>")
        parts.append(rng.choice([f"</{prefix}row>", "<rowBreaks/>", "<col r=\"Z9\"/>"]))
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode("utf-8")


def test_the_scan_sizes_random_sheets_as_the_plain_loop_does() -> None:
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    for case in range(400):
        rng = random.Random(seed + case)
        xml = _random_sheet(rng)
        assert _scanned_size(xml, rng) == _plain_size(xml), f"seed {seed + case}: {xml[:300]!r}"


def test_a_reference_met_again_gives_the_same_cell_and_far_references_are_capped() -> None:
    xml = b'<row r="3"><c r="$B$7" t="s"><v>1</v></c><c r="XFE2000000"><v>1</v></c></row>'
    rng = random.Random(0)
    assert _scanned_size(xml, rng) == _scanned_size(xml, rng) == _plain_size(xml) == (
        EXCEL_ROWS, EXCEL_COLUMNS, EXCEL_ROWS, EXCEL_COLUMNS)
    assert declared._CELL_REFS[b"$B$7"] == (7, 2)
