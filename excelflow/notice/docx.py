"""A Word notice (.docx) as lines of text, for the notice parser.

Paragraphs and tables come out in reading order, one paragraph (or manual line break) a line.
Word's automatic numbering is not in a paragraph's text, so the number Word would show (`1.`,
`一、`, `(一)`) is worked out from the numbering definitions and put in front. A task table
(序号 | 工作任务 | 牵头单位 | 责任单位 …) becomes one line per task in the form a typed notice uses
(`table.py`); a cell merged down a column repeats its text in every row it covers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from excelflow.errors import NoticeError
from excelflow.notice.labels import chinese_numeral
from excelflow.notice.table import TableReader


def docx_text(data: bytes, name: str) -> str:
    """The text of a .docx; `name` (the file, quoted) goes into the error of a broken file."""
    try:
        document = Document(io.BytesIO(data))
        blocks = list(document.iter_inner_content())
    except Exception as exc:  # python-docx raises many kinds for a damaged package; all mean unreadable
        raise NoticeError(f"{name}不是能打开的 Word 文档(.docx),可能已损坏:{exc}") from exc
    numbering = _Numbering(document)
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            lines.extend((numbering.label(block) + block.text).split("\n"))
        elif isinstance(block, Table):
            reader = TableReader()
            reader.feed(_grid(block))
            lines.extend(reader.lines)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Automatic numbering


class _Numbering:
    """Counts Word list numbers the way Word shows them (per abstract list, levels reset below)."""

    def __init__(self, document: Any) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # abstract id → ilvl → (fmt, text, start)
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId → (abstract id, start overrides)
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        for abstract in root.findall(qn("w:abstractNum")):
            levels: dict[int, tuple[str, str, int]] = {}
            for lvl in abstract.findall(qn("w:lvl")):
                levels[int(lvl.get(qn("w:ilvl"), "0"))] = (
                    _val(lvl, "w:numFmt", "decimal"), _val(lvl, "w:lvlText", ""), int(_val(lvl, "w:start", "1")))
            self.levels[abstract.get(qn("w:abstractNumId"), "")] = levels
        for num in root.findall(qn("w:num")):
            overrides = {
                int(o.get(qn("w:ilvl"), "0")): int(_val(o, "w:startOverride", "1"))
                for o in num.findall(qn("w:lvlOverride")) if o.find(qn("w:startOverride")) is not None
            }
            self.nums[num.get(qn("w:numId"), "")] = (_val(num, "w:abstractNumId", ""), overrides)

    def label(self, paragraph: Paragraph) -> str:
        num_id, ilvl = _num_pr(paragraph)
        if num_id is None or num_id not in self.nums:
            return ""
        abstract, overrides = self.nums[num_id]
        levels = self.levels.get(abstract, {})
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(abstract, {})
        if num_id not in self.started:
            self.started.add(num_id)
            for level, start in overrides.items():
                counters[level] = start - 1
        counters[ilvl] = counters.get(ilvl, levels[ilvl][2] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        fmt, text, _ = levels[ilvl]
        if fmt in ("bullet", "none"):
            return ""

        def shown(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            value = counters.get(level, levels.get(level, ("decimal", "", 1))[2])
            return _format(levels.get(level, (fmt, "", 1))[0], value)

        return re.sub(r"%(\d)", shown, text)


def _val(element: Any, tag: str, default: str) -> str:
    child = element.find(qn(tag))
    return default if child is None else child.get(qn("w:val"), default)


def _num_pr(paragraph: Paragraph) -> tuple[str | None, int]:
    """numId and level of a paragraph's list, set on the paragraph or inherited from its style."""
    candidates = [paragraph._p.pPr]
    style = paragraph.style
    while style is not None:
        candidates.append(style.element.pPr)
        style = style.base_style
    num_id, ilvl = None, None
    for ppr in candidates:
        num_pr: Any = None if ppr is None else ppr.numPr  # python-docx types it loosely (ZeroOrOne)
        if num_pr is None:
            continue
        if num_id is None and num_pr.numId is not None:
            num_id = str(num_pr.numId.val)
        if ilvl is None and num_pr.ilvl is not None:
            ilvl = int(num_pr.ilvl.val)
    return num_id, ilvl or 0


def _format(fmt: str, value: int) -> str:
    if fmt.startswith(("chinese", "ideograph", "japanese", "taiwanese", "korean")):
        return chinese_numeral(value)
    if fmt.startswith("decimalFullWidth"):
        return "".join(chr(ord(d) + 0xFEE0) for d in str(value))
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (value - 1) % 26)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        roman = _roman(value)
        return roman if fmt == "upperRoman" else roman.lower()
    return str(value)


def _roman(value: int) -> str:
    out = ""
    for number, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                            (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while value >= number:
            out, value = out + letters, value - number
    return out


# ---------------------------------------------------------------------------------------------
# Tables


def _grid(table: Table) -> Iterator[list[tuple[object, str]]]:
    """Rows as (cell, text) per grid column; merged cells repeat, vertical merges carry down."""
    above: dict[int, tuple[object, str]] = {}
    for tr in table._tbl.tr_lst:
        row: list[tuple[object, str]] = []
        for tc in tr.tc_lst:
            column = len(row)
            if tc.vMerge == "continue" and column in above:
                owner, text = above[column]
            else:
                owner, text = tc, _Cell(tc, table).text
            for k in range(max(tc.grid_span, 1)):
                row.append((owner, text))
                above[column + k] = (owner, text)
        yield row
