"""A notice published as a PDF with a text layer, as lines of text: running text and task tables.

Read with pdfplumber (MIT, built on pdfminer.six): ruled tables are found from their lines and
go through `table.py` (a table continued on the next page keeps the first page's header); the
text outside the tables comes line by line in reading order, with a blank line wherever the gap
to the previous line is clearly larger than the line spacing (a new paragraph), so unbracketed
unit labels end where the typed notice's would. A scanned PDF has no text to read: it is refused
with a message that says so, never read as an empty notice.
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Sequence
from typing import Any

import pdfplumber

from excelflow.errors import NoticeError
from excelflow.notice.table import Cell, TableReader

_MAX_PAGES = 200


def pdf_text(data: bytes, name: str) -> str:
    """The notice in a PDF as lines; `name` (quoted) goes into every error."""
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many kinds for a damaged or encrypted file
        raise NoticeError(f"{name}是损坏或加密的 PDF 文件,无法读取;请提供通知的 Word 或文字版") from exc
    with pdf:
        try:
            return _read(pdf, name)
        except NoticeError:
            raise
        except Exception as exc:  # noqa: BLE001 - a malformed page: say so rather than crash
            raise NoticeError(f"{name}是 PDF 文件,但读取其中文字时出错({type(exc).__name__});"
                              "请提供通知的 Word 或文字版") from exc


def _read(pdf: Any, name: str) -> str:
    pages = pdf.pages[:_MAX_PAGES]
    if not pages:
        raise NoticeError(f"{name}是没有页面的 PDF 文件")
    reader = TableReader()  # one for the whole file: a table continued on the next page
    lines: list[str] = []
    where: list[int] = []  # the index in `lines` of each of the reader's lines
    characters = 0
    for page in pages:
        characters += len(page.chars)
        tables = page.find_tables()
        boxes = [t.bbox for t in tables]
        items: list[tuple[float, int, object]] = [(t.bbox[1], 1, t) for t in tables]
        outside = page.filter(lambda obj: not any(_inside(obj, box) for box in boxes)) if boxes else page
        text_lines = outside.extract_text_lines(return_chars=False)
        items += [(line["top"], 0, line) for line in text_lines]
        gap = _line_gap(text_lines)
        previous_bottom: float | None = None
        for _, kind, item in sorted(items, key=lambda it: (it[0], it[1])):
            if kind == 1:
                reader.feed(_grid(item))
                for i, table_line in enumerate(reader.lines):
                    if i < len(where):
                        lines[where[i]] = table_line  # a task continued from the previous page
                    else:
                        where.append(len(lines))
                        lines.append(table_line)
                previous_bottom = None
                continue
            line: dict[str, Any] = item  # type: ignore[assignment]
            if previous_bottom is not None and gap is not None and line["top"] - previous_bottom > 1.6 * gap:
                lines.append("")  # a paragraph break
            lines.append(str(line["text"]))
            previous_bottom = float(line["bottom"])
        lines.append("")
    text = "\n".join(lines)
    if characters == 0 or not text.strip():
        raise NoticeError(
            f"{name}是扫描的图片 PDF,没有文字层,无法读取。请向发文单位要 Word、Excel 或文字版,"
            "或先用 WPS/Adobe 的「文字识别(OCR)」转成文字再导入")
    if text.count("(cid:") * 20 > len(text):
        raise NoticeError(f"{name}是 PDF 文件,但其中的文字无法提取(字体没有文字编码);请提供通知的 Word 或文字版")
    return text


def _inside(obj: dict[str, Any], box: Sequence[float]) -> bool:
    x = (float(obj["x0"]) + float(obj["x1"])) / 2
    y = (float(obj["top"]) + float(obj["bottom"])) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _unwrap(page: Any, box: Sequence[float], text: str) -> str:
    """A cell's text with the lines the PDF only wrapped joined again: a line that runs to the
    cell's right edge was wrapped (`各县（市、` / `区）人民政府`); one that stops short ended there
    (one unit a line), and keeps its line break for `table.py` to split on."""
    chars = [c for c in page.within_bbox(tuple(box)).chars if c["text"].strip()]
    if not chars:
        return text
    lines: dict[int, float] = {}
    for char in chars:
        key = round(float(char["top"]))
        lines[key] = max(lines.get(key, 0.0), float(char["x1"]))
    width = statistics.median(float(c["x1"]) - float(c["x0"]) for c in chars)
    wrapped = [box[2] - right < 2.2 * width for _, right in sorted(lines.items())]
    parts = text.split("\n")
    if len(parts) != len(wrapped):
        return text
    out = parts[0]
    for part, previous_wrapped in zip(parts[1:], wrapped):
        out += ("" if previous_wrapped else "\n") + part
    return out


def _line_gap(lines: Sequence[dict[str, Any]]) -> float | None:
    """The usual space between two lines of text on the page (their tops' distance)."""
    steps = [b["top"] - a["top"] for a, b in zip(lines, lines[1:]) if b["top"] > a["top"]]
    return statistics.median(steps) if steps else None


def _grid(table: Any) -> list[list[Cell]]:
    """The table's rows of (owner, text): a cell merged over several rows or columns is found
    from its box and counts in every position it covers."""
    texts = table.extract()
    rows = table.rows
    columns = table.columns
    owner_text: dict[tuple[float, ...], str] = {}
    for r, row in enumerate(rows):
        for c, box in enumerate(row.cells):
            if box is not None:
                text = (texts[r][c] or "") if r < len(texts) and c < len(texts[r]) else ""
                owner_text[tuple(box)] = _unwrap(table.page, box, text) if "\n" in text else text
    grid: list[list[Cell]] = []
    for r, row in enumerate(rows):
        out: list[Cell] = []
        for c, box in enumerate(row.cells):
            if box is None and c < len(columns):
                x = (columns[c].bbox[0] + columns[c].bbox[2]) / 2
                y = (row.bbox[1] + row.bbox[3]) / 2
                box = next((b for b in owner_text if b[0] <= x <= b[2] and b[1] <= y <= b[3]), None)
            key = tuple(box) if box is not None else (r, c, -1.0)
            out.append((key, owner_text.get(key, "")))
        grid.append(out)
    return grid
