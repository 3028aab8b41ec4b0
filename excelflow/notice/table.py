"""A task table (序号 | 重点任务 | 牵头单位 | 责任单位 | 完成时限 …) as the lines of a typed notice.

Offices keep the task breakdown as a table in Word, in a workbook or in a PDF. Whatever the file,
the reader hands the table here as rows of cells, and each task row becomes one line the notice
parser reads like typed text: `1.任务(牵头单位:…;责任单位:…;完成时限:…)`, with the table's own
header words as labels. So tables get the same unit resolution, groups and warnings as text.

* The header is found by its text in the first rows: a number column (序号, 编号), a task column
  (重点任务, 工作任务, 主要任务, 工作内容 …; a second one such as 目标任务 is joined to the first),
  lead and co-unit columns (any unit label word: 牵头单位, 责任单位, 配合单位 …), a 完成时限 column;
  the leader in charge (责任领导 …) and 备注 columns are left out. Rows above the header (the
  title, the 文号) stay lines of the head.
* A row with one text across (merged or not), or a Chinese numeral in the number column, is a
  chapter (`一、…`) or section (`(一)…`) head; a head written without a numeral gets the next one.
* A cell merged down a column counts for every row it covers (the reader repeats it).
* A row without a number under a numbered row continues that task (a row split over two pages).
* A header repeated on each printed page is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from excelflow.notice.labels import DUE_LABELS, LEAD_LABELS, LEADER_LABELS, UNIT_LABELS, chinese_numeral, numeral_value

Cell = tuple[object, str]  # (owner, text): the cells of one merged area share their (hashable) owner

_UNIT_WORDS = sorted(UNIT_LABELS, key=len, reverse=True)
_LEADER_WORDS = LEADER_LABELS + ("责任人", "分管负责人", "领导")
_TEXT_HEADERS = ("任务", "工作", "内容", "事项", "措施", "目标", "举措", "项目名称")
_NUMBER_HEADERS = ("序号", "编号", "序", "号")
_OTHER_HEADERS = ("备注", "说明", "进展", "完成情况", "类别", "分类")
_HEAD_NUMERAL = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、.]|\([一二三四五六七八九十]{1,3}\)|第[一二三四五六七八九十]{1,3}(?:部分|章|篇))")


def cell_text(value: object) -> str:
    """A cell's value as text: `1.0` → `1`, a date → `2022年12月31日`, None → ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value).strip()


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class Header:
    """Column → (role, label word): number, text, lead, co, due."""

    roles: dict[int, tuple[str, str]]

    def has(self, role: str) -> bool:
        return any(r == role for r, _ in self.roles.values())


def find_header(row: Sequence[Cell]) -> Header | None:
    """The header of a task table, if `row` is one: a task column and a unit column at least."""
    roles: dict[int, tuple[str, str]] = {}
    owners: set[object] = set()
    for column, (owner, text) in enumerate(row):
        if owner in owners:
            continue
        owners.add(owner)
        cell = _compact(text).replace("(", "（").replace(")", "）")
        if not cell or len(cell) > 20:
            continue
        unit_word = next((w for w in _UNIT_WORDS if w in cell), None)
        if any(w in cell for w in _LEADER_WORDS) and unit_word is None:
            continue
        if unit_word is not None:
            roles[column] = ("lead" if unit_word in LEAD_LABELS else "co", unit_word)
        elif any(w in cell for w in DUE_LABELS) or cell in ("时限", "完成时间", "时间"):
            roles[column] = ("due", DUE_LABELS[0])
        elif cell.startswith(_NUMBER_HEADERS) and len(cell) <= 4:
            roles[column] = ("number", cell)
        elif any(w in cell for w in _OTHER_HEADERS):
            continue
        elif any(h in cell for h in _TEXT_HEADERS):
            roles[column] = ("text" if not any(r == "text" for r, _ in roles.values()) else "more", cell)
    found = {role for role, _ in roles.values()}
    return Header(roles) if "text" in found and found & {"lead", "co"} else None


@dataclass
class _Task:
    number: str
    text: str
    units: dict[str, list[str]] = field(default_factory=dict)  # role → unit cells
    words: dict[str, str] = field(default_factory=dict)  # role → label word
    due: str = ""

    def line(self) -> str:
        parts = [f"{self.words[r]}:{'、'.join(self.units[r])}" for r in ("lead", "co") if self.units.get(r)]
        if self.due:
            parts.append(f"{DUE_LABELS[0]}:{self.due}")
        return f"{self.number}.{self.text}" + (f"({';'.join(parts)})" if parts else "")


@dataclass
class TableReader:
    """Turns the rows of one or more tables into notice lines; the header carries over from one
    table to the next (a table continued on the next page of a PDF)."""

    header: Header | None = None
    chapters: int = 0
    running: int = 0
    lines: list[str] = field(default_factory=list)
    _open: _Task | None = None
    _open_at: int = -1  # index of the open task's line in `lines`

    def feed(self, rows: Iterable[Sequence[Cell]]) -> None:
        for row in rows:
            self._row(row)

    def _row(self, row: Sequence[Cell]) -> None:
        cells = _distinct(row)
        if not cells:
            return
        header = find_header(row)
        if header is not None:
            self.header = header  # the first, or one repeated on a printed page: not a line
            return
        if self.header is None:
            self._emit(" ".join(text.replace("\n", " ") for _, text in cells))
            return
        values: dict[str, str] = {}
        units: dict[str, list[str]] = {}
        words: dict[str, str] = {}
        taken: set[object] = set()
        for column, (role, word) in self.header.roles.items():
            owner, text = row[column] if column < len(row) else (object(), "")
            if owner in taken:
                continue  # a cell merged across two roles counts once
            taken.add(owner)
            if role in ("lead", "co"):
                names = [part.strip() for part in re.split(r"\n+", text) if part.strip()]
                if names:
                    units.setdefault(role, []).append("、".join(names))
                    words.setdefault(role, word)
            else:
                value = "".join(part.strip() for part in text.split("\n") if part.strip())
                if value and role == "more":  # a second task column (目标任务): joined to the first
                    first = values.get("text", "").rstrip("。；;：:")
                    values["text"] = f"{first}：{value}" if first else value
                elif value:
                    values[role] = value
        number = re.sub(r"[\s.、．]", "", values.get("number", ""))
        if len(cells) == 1 and not number.isdigit():
            self._head(cells[0][1].replace("\n", ""))
            return
        if number and not number.isdigit() and not units:
            self._head(_numbered_head(number, values.get("text", "")))
            return
        if not number and self.header.has("number") and self._open is not None and not values.get("due"):
            self._continue(values.get("text", ""), units, words)
            return
        if not number:
            self.running += 1
            number = str(self.running)
        else:
            self.running = int(number) if number.isdigit() else self.running
        task = _Task(number, values.get("text", ""), units, words, values.get("due", ""))
        self._open, self._open_at = task, len(self.lines)
        self.lines.append(task.line())

    def _continue(self, text: str, units: dict[str, list[str]], words: dict[str, str]) -> None:
        task = self._open
        assert task is not None
        task.text += text
        for role, cells in units.items():
            task.units.setdefault(role, []).extend(cells)
            task.words.setdefault(role, words[role])
        self.lines[self._open_at] = task.line()

    def _head(self, text: str) -> None:
        folded = text.replace("（", "(").replace("）", ")")
        if not _HEAD_NUMERAL.match(folded):
            self.chapters += 1
            text = f"{chinese_numeral(self.chapters)}、{text}"
        elif folded[0] in "一二三四五六七八九十":
            self.chapters = numeral_value(re.split(r"[、.]", folded)[0]) or self.chapters + 1
        self._emit(text)

    def _emit(self, line: str) -> None:
        self._open = None
        self.lines.append(line)


def _numbered_head(number: str, text: str) -> str:
    """A head row whose numeral sits in the number column: `一` + `经济发展` → `一、经济发展`."""
    folded = number.replace("（", "(").replace("）", ")")
    if folded.startswith("(") or folded.startswith("第"):
        return f"{number}{text}"
    return f"{number}、{text}"


def _distinct(row: Sequence[Cell]) -> list[Cell]:
    seen: set[object] = set()
    out = []
    for owner, text in row:
        if owner not in seen and text.strip():
            seen.add(owner)
            out.append((owner, text.strip()))
    return out


def table_lines(rows: Iterable[Sequence[Cell]]) -> list[str]:
    """The lines of one table (see the module docstring)."""
    reader = TableReader()
    reader.feed(rows)
    return reader.lines
