"""The notice parser: a published task-allocation notice (通知) → numbered tasks with their units.

Notices come as web text pasted into a .txt (UTF-8 or GBK), as a saved web page, as Word
paragraphs or a Word table, as a workbook table or a PDF; `read.read_notice_text` turns each into
lines of text (tables become one typed task a row, `table.py`), and `parse_notice_text` reads the
lines. What the parser cannot place is never dropped in silence: it becomes a `NoticeWarning` with
its line number, and so does every doubt (counts that do not add up, numbering gaps, a task
without a lead unit, a unit name that looks like a slip).

How the lines are read:

* **Markup** from web pages and Markdown (`**bold**`, `## heading`, `> quote`) is dropped first.
* **Which items are the tasks.** Usually the arabic-numbered items (`1.` `1．` `1、` `(1)`); but
  when those carry no unit labels and the section heads (`(一)…`) or the Chinese-numeral heads
  (`一、…`) do, followed by their own `牵头单位：…`/`责任单位：…` lines, those heads are the tasks.
* **Head** (never reported): everything before the task list — web clutter, title, salutation,
  the preamble (whose own `一、以目标倒逼落实。…` paragraphs are not chapters), signature. The list
  starts at the first task whose paragraph carries a unit label (else the first task), together
  with the chapter and section heads right above it. The head gives the title, the announced
  total (`共101项`), the year and the issuing office (`issuer.py`).
* **List**: chapter heads `一、…(13项)` (also `…方面5件`, `（7件）`), section heads `(一)…`, tasks.
  A task runs until the next head or task; its unit label (`(主办单位:…;协办单位:…)`, any label
  word of `labels.py`, either punctuation width) may sit at the end of its paragraph or on a
  line of its own, with or without its opening bracket, and wrapped lines are joined. A
  bracketed label ends the task; an unbracketed one ends it at the next blank line. A task made
  of clauses each with its own label (`…（牵头责任单位：甲）；…（牵头责任单位：乙）`) keeps all
  its text and every unit named; `clauses.py` tells a unit's own clause.
* `12.30个…` is task 12 when 12 is the next number; `1.8%` inside an open task stays text.
* Known web clutter (`扫一扫在手机打开当前页`, `相关阅读`, page numbers) is skipped anywhere; a
  signature, a date or page metadata (`来源:`) only where no task is open. Any other line of the
  list that belongs to no task is reported (`unplaced`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from excelflow.errors import NoticeError
from excelflow.notice.issuer import Issuer, YearFound, find_issuer, find_year
from excelflow.notice.labels import (
    ALL_LABELS,
    AMBIGUOUS_LABEL,
    CO_LABELS,
    DUE_LABELS,
    LEAD_LABELS,
    LEADER_LABELS,
    UNIT_LABELS,
    chinese_numeral,
    numeral_value,
)
from excelflow.notice.read import read_notice_text
from excelflow.notice.units import UnitResolver, fold_width, matching_close, split_top_level

_LABEL_WORDS = sorted(ALL_LABELS, key=len, reverse=True)
_LABEL_RE = re.compile("(" + "|".join(_LABEL_WORDS) + r")[ \t]*(?::|[ \t]+)[ \t]*")
_UNIT_LABEL_RE = re.compile("(" + "|".join(sorted(UNIT_LABELS, key=len, reverse=True)) + r")[ \t]*(?::|[ \t]+)")
_NUMERALS = "一二三四五六七八九十"
_CHAPTER_RE = re.compile(rf"^([{_NUMERALS}]{{1,3}})[ \t]*[、.][ \t]*(.*)$")
_CHAPTER_PART_RE = re.compile(rf"^(第[{_NUMERALS}]{{1,3}}(?:部分|章|篇))[ \t]*[、.:]?[ \t]*(.*)$")
_SECTION_RE = re.compile(rf"^\([ \t]*([{_NUMERALS}]{{1,3}})[ \t]*\)[ \t]*(.*)$")
_TASK_RE = re.compile(r"^(?:(\d{1,4})[ \t]*(?:、|\.(?!\d))|\([ \t]*(\d{1,4})[ \t]*\))[ \t]*(.*)$")
# `12.30个…`: a number, then text that starts with digits. A task only as the next number.
_TASK_DIGIT_RE = re.compile(r"^(\d{1,4})\.(?=\d)(.*)$")
_LABEL_LINE_RE = re.compile(r"^\(?[ \t]*(?:" + "|".join(_LABEL_WORDS) + r")[ \t]*[:\s]")
# `(13项)`, `(共13项)`, `(7件)`, `13项)` whose opening bracket the published text lost, `…方面5件`, ` 7件`.
_COUNT_RE = re.compile(
    r"(?:\([ \t]*共?[ \t]*(\d{1,4})[ \t]*[项件条][ \t]*\)?|共?[ \t]*(\d{1,4})[ \t]*[项件][ \t]*\)"
    r"|(?<=方面)[ \t]*(\d{1,4})[ \t]*[项件]|(?:^|[ \t]|(?<=[\u4e00-\u9fff]))(\d{1,4})[ \t]*[项件])[ \t]*$")
_TOTAL_RE = re.compile(r"共[ \t]*(\d{1,4})[ \t]*[项件]")
_HEADING_MAX = 60
# Lines of the web page around a notice, and page numbers of a PDF. Skipped anywhere.
_CLUTTER_RE = re.compile(
    r"^(?:分享到|【?字体[:\s【]|【打印|【关闭|扫一扫|相关阅读|相关链接|打印本页|关闭窗口|返回顶部|"
    r"上一篇[:\s]|下一篇[:\s]|浏览次数|阅读次数|访问次数|点击数[:\s]|网站地图|版权所有)"
    r"|^[-—–][ \t]*\d{1,3}[ \t]*[-—–]$|^第[ \t]*\d{1,3}[ \t]*页(?:[ \t,]*共[ \t]*\d{1,3}[ \t]*页)?$"
)
# A page's metadata, the signature and the date: skipped outside a task only, since a wrapped
# line inside one may read `府办公室` or `2021年3月25日`.
_CLOSING_RE = re.compile(
    r"^(?:来源[:\s]|信息来源|发布时间|发布日期|发布机构|责任编辑|索引号|主题分类|成文日期|附件下载|"
    r"主办[:\s]|承办[:\s]|联系我们|打印|关闭|抄送[:\s]|\(此件公开发布\))"
    r"|^\d{4}[-年./]?\d{1,2}[-月./]?\d{1,2}日?$"
    r"|^[〇零一二三四五六七八九]{4}年[〇零一二三四五六七八九十]{1,3}月[〇零一二三四五六七八九十]{1,3}日$"
    r"|^[\u4e00-\u9fff]{2,30}(?:人民政府办公室|人民政府办公厅|人民政府|办公室|办公厅|委员会)$"
)
# `成府办〔2022〕5号`: a document number, never a title.
_DOC_NUMBER_RE = re.compile(r"[〔\[(]\s*(?:19|20)\d{2}\s*[〕\])]\s*\d{1,4}\s*号$")
_MARKUP_RE = re.compile(r"\*\*|__|</?(?:b|strong|em)>")
_TITLE_MAX = 80
_TITLE_ENDINGS = ("通知", "方案", "意见", "分工", "分解", "清单", "分解表", "任务表", "分工表", "安排")
# `列第一位的责任单位为牵头单位`: the notice says the first unit listed leads.
_FIRST_LEADS_RE = re.compile(r"(?:列|排名|排在|排)第一(?:位)?的?(?:责任)?单位(?:为|是)牵头")

TaskKind = Literal["arabic", "section", "chapter"]


@dataclass(frozen=True)
class NoticeWarning:
    """A doubt about the notice, in Chinese; `line` is 1-based in the text the notice was read as.

    `urgent` marks what the clerk must act on (a lost line, a task without a lead): shown first.
    """

    line: int | None
    message: str
    urgent: bool = False


@dataclass(frozen=True)
class ParsedTask:
    """One numbered task; `lead`/`co` are canonical unit and group names (groups not expanded).

    `due` is the completion date as the notice writes it (`完成时限:2022年12月底`), '' when none.
    """

    id: int
    chapter: str
    section: str | None
    text: str
    lead: tuple[str, ...]
    co: tuple[str, ...]
    line: int
    due: str = ""


@dataclass(frozen=True)
class ParsedNotice:
    title: str
    tasks: tuple[ParsedTask, ...]
    warnings: tuple[NoticeWarning, ...]
    issuer: Issuer = Issuer("", "", "")
    year: YearFound = YearFound(None, "")

    def json_text(self) -> str:
        """`to_json` as `excelflow import --json` prints it."""
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)

    def to_json(self) -> dict[str, Any]:
        """The `excelflow import --json` contract of domain.md."""
        return {
            "title": self.title,
            "tasks": [
                {"id": t.id, "chapter": t.chapter, "section": t.section, "text": t.text,
                 "lead": list(t.lead), "co": list(t.co)}
                for t in self.tasks
            ],
            "warnings": [{"line": w.line, "message": w.message} for w in self.warnings],
        }


LineRole = Literal["blank", "clutter", "head", "chapter", "section", "task", "continued", "unplaced"]


@dataclass(frozen=True)
class Layout:
    """What the parser made of each line (index 0 is line 1): the rule the fuzz tests check."""

    roles: tuple[LineRole, ...]


def parse_notice(path: Path, resolver: UnitResolver | None = None) -> ParsedNotice:
    """Read and parse a notice file; a file without a single numbered task raises NoticeError."""
    notice = parse_notice_text(read_notice_text(path), resolver)
    if not notice.tasks:
        raise NoticeError(
            f"「{path.name}」里找不到编号的任务(例如「1.……(牵头单位:……;责任单位:……)」,"
            "或带「序号」「重点任务」「牵头单位」表头的任务表),不像是重点工作责任分工通知"
        )
    return notice


def parse_notice_text(text: str, resolver: UnitResolver | None = None) -> ParsedNotice:
    return parse_with_layout(text, resolver)[0]


@dataclass
class _Heading:
    """A chapter or section head; `chapter` is the index of the chapter a section sits in."""

    name: str
    numeral: str
    count: int | None
    line: int
    chapter: int
    tasks: int = 0


def _label_closed(folded: str) -> bool:
    """A task is complete once its bracketed unit label has closed."""
    match = _LABEL_RE.search(folded)
    if match is None:
        return False
    opening = _bracket_before(folded, match.start())
    return opening is not None and matching_close(folded, opening) is not None


def _bracket_before(folded: str, at: int) -> int | None:
    j = at
    while j > 0 and folded[j - 1] in " \t":
        j -= 1
    return j - 1 if j > 0 and folded[j - 1] == "(" else None


def _head_name(kind: str, numeral: str, title: str) -> str:
    if kind == "section":
        return f"({numeral}){title}"
    return f"{numeral} {title}".strip() if numeral.startswith("第") else f"{numeral}、{title}"


def _heading(line: str) -> tuple[str, str, str, int | None] | None:
    """(kind, numeral, title, count) of a chapter or section head, or None."""
    for kind, regex in (("section", _SECTION_RE), ("chapter", _CHAPTER_RE), ("chapter", _CHAPTER_PART_RE)):
        match = regex.match(line)
        if match is None:
            continue
        numeral, title = match.group(1), match.group(2).strip()
        count_match = _COUNT_RE.search(title)
        count = None
        if count_match is not None and count_match.start() > 0:
            count = int(next(g for g in count_match.groups() if g))
            title = title[: count_match.start()].strip()
        if "。" in title.rstrip("。") or len(title) > _HEADING_MAX or _LABEL_RE.search(title):
            return None
        return kind, numeral, title.rstrip("。"), count
    return None


def _head_task(line: str, kind: TaskKind) -> tuple[int, int] | None:
    """(number, offset of the text) when `line` starts a task that is a section or chapter head."""
    regex = _SECTION_RE if kind == "section" else _CHAPTER_RE
    match = regex.match(line)
    if match is None or not match.group(2).strip():
        return None
    number = numeral_value(match.group(1))
    return None if number is None else (number, match.start(2))


def _arabic_task(line: str) -> tuple[int, int] | None:
    match = _TASK_RE.match(line)
    if match is None:
        return None
    return int(match.group(1) or match.group(2)), match.start(3)


def _head_ending_at(folded: list[str], k: int, kind: TaskKind) -> tuple[int, str] | None:
    """(first line, kind) of a head whose last (wrapped) line is `k`; heads wrap over ≤3 lines."""
    for top in range(k, max(k - 3, -1), -1):
        if not folded[top] or _starts_task(folded[top], kind):
            return None
        if _heading(folded[top]) is not None:
            if any(_heading(line) for line in folded[top + 1: k + 1]):
                return None
            head = _heading("".join(folded[top: k + 1]))
            if head is None or (kind == "section" and head[0] == "section"):
                return None
            return top, head[0]
    return None


def _starts_task(line: str, kind: TaskKind) -> bool:
    return (_arabic_task(line) if kind == "arabic" else _head_task(line, kind)) is not None


def _labelled(folded: list[str], i: int, stop: Callable[[str], bool]) -> bool:
    """Whether the block of item `i` (until `stop` says a new item starts) carries a unit label."""
    block = folded[i]
    for k in range(i + 1, min(len(folded), i + 60)):
        if stop(folded[k]):
            break
        block += folded[k]
    return _UNIT_LABEL_RE.search(block) is not None


def _task_kind(folded: list[str]) -> TaskKind:
    """Which items carry the units: arabic-numbered ones unless only section or chapter heads do."""
    def is_section(line: str) -> bool:
        return _SECTION_RE.match(line) is not None

    def is_chapter(line: str) -> bool:
        return _CHAPTER_RE.match(line) is not None or _CHAPTER_PART_RE.match(line) is not None

    def any_item(line: str) -> bool:
        return _arabic_task(line) is not None or is_section(line) or is_chapter(line)

    arabic = [i for i, line in enumerate(folded) if _arabic_task(line)]
    if arabic and 2 * sum(_labelled(folded, i, any_item) for i in arabic) >= len(arabic):
        return "arabic"
    sections = [i for i, line in enumerate(folded) if is_section(line)]
    labelled, total = _share(folded, sections, lambda ln: is_section(ln) or is_chapter(ln), None)
    if labelled and 2 * labelled >= total:
        return "section"
    chapters = [i for i, line in enumerate(folded) if _CHAPTER_RE.match(line)]

    def numeral(i: int) -> int | None:
        match = _CHAPTER_RE.match(folded[i])
        return numeral_value(match.group(1)) if match else None

    labelled, total = _share(folded, chapters, is_chapter, numeral)
    if labelled >= 2 and 2 * labelled >= total:
        return "chapter"
    return "arabic"


def _share(folded: list[str], items: list[int], stop: Callable[[str], bool],
           numeral: Callable[[int], int | None] | None) -> tuple[int, int]:
    """(labelled, counted) items from the first labelled one on, up to a numbering that restarts
    at 1 (`numeral` given): a preamble's or a closing section's own `一、…二、…` do not count."""
    flags = [_labelled(folded, i, stop) for i in items]
    if True not in flags:
        return 0, len(items)
    start = flags.index(True)
    run: list[bool] = []
    for k in range(start, len(items)):
        if k > start and numeral is not None and numeral(items[k]) == 1:
            break
        run.append(flags[k])
    return sum(run), len(run)


def _list_start(folded: list[str], kind: TaskKind) -> int | None:
    """Index of the first line of the task list (see the module docstring), or None."""
    tasks = [i for i, line in enumerate(folded) if _starts_task(line, kind)]
    if not tasks:
        return None

    def number(i: int) -> int:
        found = _arabic_task(folded[i]) if kind == "arabic" else _head_task(folded[i], kind)
        assert found is not None
        return found[0]

    def next_item(line: str) -> bool:
        return _starts_task(line, kind) or (kind == "arabic" and _heading(line) is not None)

    def labelled(i: int) -> bool:
        return _labelled(folded, i, next_item)

    first = (
        next((i for i in tasks if number(i) == 1 and labelled(i)), None)
        or next((i for i in tasks if labelled(i)), None)
        or next((i for i in tasks if number(i) == 1), None)
        or tasks[0]
    )
    if kind == "chapter":
        return first
    # Take in the section and chapter heads right above it (a long head may be wrapped).
    start, k, seen_chapter, seen_section = first, first - 1, False, False
    while k >= 0:
        if not folded[k] or _CLUTTER_RE.search(folded[k]) or _CLOSING_RE.search(folded[k]):
            k -= 1
            continue
        found = _head_ending_at(folded, k, kind)
        if found is None:
            break
        top, head_kind = found
        if seen_chapter or (head_kind == "section" and seen_section):
            break
        seen_chapter = seen_chapter or head_kind == "chapter"
        seen_section = seen_section or head_kind == "section"
        start, k = top, top - 1
    return start


def _strip_line(line: str) -> str:
    line = _MARKUP_RE.sub("", line)
    line = re.sub(r"^[\s\ufeff\u200b]*(?:#{1,6}[ \t]+|>[ \t]*)", "", line)
    return re.sub(r"^[\s\ufeff\u200b]+|[\s\ufeff\u200b]+$", "", line)


def parse_with_layout(text: str, resolver: UnitResolver | None = None) -> tuple[ParsedNotice, Layout]:
    """Parse notice text; also say what each line was taken for (see `Layout`)."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    originals = [_strip_line(line) for line in raw]
    folded = [fold_width(line) for line in originals]  # same length as the original, char for char
    roles: list[LineRole] = ["head" if f else "blank" for f in folded]
    for i, line in enumerate(raw):
        if not folded[i] and re.sub(r"[\s\ufeff\u200b]", "", line):
            roles[i] = "clutter"  # only markup (`**`, `#`): nothing of the notice
    warnings: list[NoticeWarning] = []
    kind = _task_kind(folded)
    start = _list_start(folded, kind)
    end_of_head = len(folded) if start is None else start
    for i in range(end_of_head):
        if folded[i] and (_CLUTTER_RE.search(folded[i]) or _CLOSING_RE.search(folded[i])):
            roles[i] = "clutter"

    chapters: list[_Heading] = []
    sections: list[_Heading] = []
    drafts: list[_Draft] = []
    draft: _Draft | None = None
    open_head: tuple[_Heading, str, LineRole] | None = None  # the head just read, its text so far
    after_blank = True
    for i in range(end_of_head, len(folded)):
        line, lineno = folded[i], i + 1
        if not line:
            if roles[i] != "clutter":
                if draft is not None and _LABEL_RE.search(fold_width(draft.text)):
                    draft.closed = True  # an unbracketed label ends at a blank line
                after_blank, open_head = True, None
            continue
        if _CLUTTER_RE.search(line) or ((draft is None or draft.closed) and _CLOSING_RE.search(line)):
            roles[i] = "clutter"
            continue
        task = _task_start(line, kind, draft, after_blank)
        if task is not None and kind == "chapter" and task[0] == 1 and drafts and drafts[-1].number >= 2 \
                and not _labelled(folded, i, lambda ln: _CHAPTER_RE.match(ln) is not None):
            # `一、加强组织领导…` after the list: the notice's requirements, numbered again, no units.
            for k in range(i, len(folded)):
                if folded[k]:
                    roles[k] = "clutter"
            warnings.append(NoticeWarning(lineno, f"第 {lineno} 行起的「{originals[i][:12]}…」等段落重新从一编号,"
                                                  "没有单位说明,按通知的工作要求处理,未读作任务"))
            break
        head = None if task else _heading(line)
        if head is not None and kind != "arabic" and (head[0] == "section" or kind == "chapter") \
                and not _CHAPTER_PART_RE.match(line):
            head = None  # a head of the task kind's level or below, inside a task: its text
        if open_head is not None and task is None and head is None and not _LABEL_LINE_RE.match(line):
            # A wrapped head: `二、充分挖掘内需潜力,着力稳定经` / `济增长(22项)`.
            heading, joined_raw, role = open_head
            joined = _heading(joined_raw + line)
            if joined is not None and joined[0] == role and joined[1] == heading.numeral:
                heading.name, heading.count = _head_name(*joined[:3]), joined[3]
                open_head, roles[i] = (heading, joined_raw + line, role), role
                continue
        open_head = None
        if head is not None:
            head_kind, numeral, title, count = head
            chapter = len(chapters) - 1
            if head_kind == "chapter":
                expected = chinese_numeral(len(chapters) + 1)
            else:
                expected = chinese_numeral(sum(1 for s in sections if s.chapter == chapter) + 1)
            # Inside an open task a head must be the next one in order: a wrapped line that happens
            # to start with `一、` is text.
            if draft is None or draft.closed or after_blank or numeral.strip("第部分章篇") == expected:
                draft = None
                heading = _Heading(_head_name(head_kind, numeral, title), numeral, count, lineno,
                                   len(chapters) if head_kind == "chapter" else chapter)
                (chapters if head_kind == "chapter" else sections).append(heading)
                roles[i] = "chapter" if head_kind == "chapter" else "section"
                open_head, after_blank = (heading, line, roles[i]), False
                continue
        if task is not None:
            number, offset = task
            section = sections[-1] if sections and sections[-1].chapter == len(chapters) - 1 else None
            draft = _Draft(
                number=number,
                line=lineno,
                chapter=len(chapters) - 1,
                section=None if section is None else len(sections) - 1,
                titled=kind != "arabic",
            )
            draft.add(originals[i][offset:], lineno)
            drafts.append(draft)
            roles[i] = "task"
        elif draft is not None and (not draft.closed or _LABEL_LINE_RE.match(line)):
            draft.add(originals[i], lineno)
            roles[i] = "continued"
        else:
            roles[i] = "unplaced"
            shown = originals[i] if len(originals[i]) <= 30 else originals[i][:30] + "…"
            warnings.append(NoticeWarning(lineno, f"这一行不属于任何任务,已忽略:「{shown}」", urgent=True))
        after_blank = False

    head_lines = [(i + 1, originals[i]) for i in range(end_of_head) if roles[i] == "head"]
    first_leads = any(_FIRST_LEADS_RE.search(fold_width(text)) for _, text in head_lines)
    title = _title(head_lines)
    issuer = find_issuer(title, [line for line in originals if line])
    resolver = (resolver or UnitResolver()).at_level(issuer.level)
    tasks, task_warnings = _finish(drafts, chapters, sections, resolver, first_leads)
    warnings += task_warnings
    warnings += _check_total(head_lines, len(tasks))
    if start is None:
        warnings.append(NoticeWarning(None, "没有找到编号的任务(例如「1.……(主办单位:……)」)", urgent=True))
    warnings.sort(key=lambda w: (w.line is None, w.line or 0))
    year = find_year(title, [text for _, text in head_lines] + [originals[i] for i, r in enumerate(roles)
                                                               if r == "clutter" and originals[i]])
    notice = ParsedNotice(title, tuple(tasks), tuple(warnings), issuer, year)
    return notice, Layout(tuple(roles))


def _task_start(line: str, kind: TaskKind, draft: _Draft | None, after_blank: bool) -> tuple[int, int] | None:
    """(number, text offset) when `line` starts a task, else None."""
    if kind != "arabic":
        found = _head_task(line, kind)
        if found is None:
            return None
        # Inside an open task only the next number starts a task (`一、` may begin a wrapped line).
        if draft is not None and not draft.closed and not after_blank and found[0] != draft.number + 1:
            return None
        return found
    found = _arabic_task(line)
    if found is not None:
        return found
    digit = _TASK_DIGIT_RE.match(line)
    if digit is None:
        return None
    number = int(digit.group(1))
    previous = draft.number if draft is not None else 0
    open_task = draft is not None and not draft.closed and not after_blank
    return (number, digit.start(2)) if number == previous + 1 and not open_task else None


@dataclass
class _Draft:
    """A task being read: its lines joined, and where each line starts in the joined text."""

    number: int
    line: int
    chapter: int  # index into the chapters read so far; -1 before the first chapter
    section: int | None
    titled: bool = False  # a head task: its first line is a title, its next paragraph the target
    text: str = ""
    starts: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, line number)
    closed: bool = False

    def add(self, piece: str, line: int) -> None:
        if self.titled and len(self.starts) == 1 and not _LABEL_LINE_RE.match(fold_width(piece)) \
                and self.text and self.text[-1] not in "。.;；:：,，":
            self.text += "。"  # `一、实施工业强市战略` / `目标任务：…`: two paragraphs, one sentence each
        self.starts.append((len(self.text), line))
        self.text += piece  # wrapped Chinese lines join without a space
        self.closed = _label_closed(fold_width(self.text))

    def line_at(self, offset: int) -> int:
        line = self.line
        for start, number in self.starts:
            if start <= offset:
                line = number
        return line


@dataclass
class _Label:
    """A task's text and the label words with what follows each."""

    text: str
    segments: list[tuple[str, str, int]]  # (label word, content, offset in the task's text)
    leftover: str
    clauses: bool = False  # several clauses each with its own label: the text keeps them all


# `（省发展改革委牵头，省统计局、省财政厅按职责分工负责）`: units named before their verb, as
# provincial and national lists write them. The last bracket of a task that has no label word.
_VERB_BRACKET_RE = re.compile(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)[ \t。.;,]*$")
_LEAD_VERB = "牵头"
_CO_VERBS = ("按职责分工负责", "按职责负责", "分工负责", "配合", "参与", "协同", "协助", "负责")


def _verb_label(draft: _Draft, folded: str) -> _Label | None:
    """A task whose units stand before their verbs: `（甲牵头，乙、丙按职责分工负责）` → lead 甲,
    co 乙、丙; `（甲负责）` → lead 甲. None when the last bracket is not such a list."""
    match = _VERB_BRACKET_RE.search(folded)
    if match is None:
        return None
    inside = match.group(1)
    parts = [p for p in split_top_level(inside, ",;") if p.strip()]
    if not parts or not all(p.strip().endswith((_LEAD_VERB, *_CO_VERBS)) for p in parts):
        return None
    segments: list[tuple[str, str, int]] = []
    offset = match.start(1)
    led = any(p.strip().endswith(_LEAD_VERB) for p in parts)
    for part in parts:
        names = part.strip()
        verb = next(v for v in (_LEAD_VERB, *_CO_VERBS) if names.endswith(v))
        names = names[: -len(verb)]
        if verb == _LEAD_VERB or not led:
            segments.append((LEAD_LABELS[0], names, offset))  # `负责` alone: the units responsible lead
        else:
            segments.append((CO_LABELS[0], names, offset))
    text = draft.text[: match.start()].rstrip(" \t;,、:；，：\u3000")
    return _Label(text, segments, "")


def _split_label(draft: _Draft) -> _Label:
    folded = fold_width(draft.text)
    match = _LABEL_RE.search(folded)
    if match is None:
        return _verb_label(draft, folded) or _Label(draft.text.strip(), [], "")
    opening = _bracket_before(folded, match.start())
    text = draft.text[: match.start() if opening is None else opening]
    segments: list[tuple[str, str, int]] = []
    leftover = ""
    groups = 0
    between = False  # text of the task between two labels: a task of clauses
    while match is not None:
        groups += 1
        opening = _bracket_before(folded, match.start())
        close = None if opening is None else matching_close(folded, opening)
        end = len(folded) if close is None else close
        words = list(_LABEL_RE.finditer(folded, match.start(), end))
        for k, word in enumerate(words):
            stop = words[k + 1].start() if k + 1 < len(words) else end
            segments.append((word.group(1), folded[word.end():stop], word.start()))
        rest = folded[end + 1:] if close is not None else ""
        match = _LABEL_RE.search(folded, end + 1) if close is not None else None
        if match is None:
            leftover += rest.strip(" \t。.;,、()")
        else:
            piece = folded[end + 1: match.start()].strip(" \t。.;,、(")
            between = between or bool(re.search(r"[\u4e00-\u9fff\d]", piece))
            leftover += piece
    if groups >= 2 and between:
        return _Label(draft.text.strip(), segments, "", clauses=True)
    return _Label(text.rstrip(" \t;,、:；，：\u3000"), segments, leftover)


def _finish(
    drafts: list[_Draft], chapters: list[_Heading], sections: list[_Heading], resolver: UnitResolver,
    first_leads: bool,
) -> tuple[list[ParsedTask], list[NoticeWarning]]:
    warnings: list[NoticeWarning] = []
    ids = _ids(drafts, warnings)
    labels = [_split_label(d) for d in drafts]
    lead_named = any(word in LEAD_LABELS for label in labels for word, _, _ in label.segments)
    co_words = {w for label in labels for w, _, _ in label.segments if w in UNIT_LABELS and w not in LEAD_LABELS}
    if not lead_named and first_leads and co_words:
        first = next(d for d, label in zip(drafts, labels) if label.segments)
        warnings.append(NoticeWarning(first.line, "通知说明列第一位的单位为牵头单位:各项任务第一个单位读作牵头单位,其余为协办单位"))
    elif not lead_named and AMBIGUOUS_LABEL in co_words:
        first = next(d for d, label in zip(drafts, labels) if label.segments)
        warnings.append(NoticeWarning(first.line, "通知里没有「主办单位/牵头单位」,把「责任单位」读作主办(牵头)单位"))

    # Split every list first: a short form (`工信局`) resolves against every name the notice uses.
    written: list[tuple[list[tuple[str, int]], list[tuple[str, int]], str]] = []
    for task_id, draft, label in zip(ids, drafts, labels):
        lead: list[tuple[str, int]] = []
        co: list[tuple[str, int]] = []
        due = ""
        roles_seen: Counter[str] = Counter()
        for word, content, offset in label.segments:
            line = draft.line_at(offset)
            if word in LEADER_LABELS:
                continue  # the leader in charge is a person, not a unit to report
            if word in DUE_LABELS:
                due = due or content.strip(" \t;,、。()")
                continue
            if word in LEAD_LABELS or (word == AMBIGUOUS_LABEL and not lead_named and not first_leads):
                role = "lead"
            elif not lead_named and first_leads:
                role = "first"
            else:
                role = "co"
            roles_seen[role] += 1
            if roles_seen[role] == 2 and not label.clauses:
                warnings.append(NoticeWarning(line, f"第{task_id}项有两处「{word}」,已合并"))
            pieces = split_top_level(content, ";") if role == "lead" else [content]
            names = resolver.split(pieces[0])
            if role == "first":  # the first unit listed leads, the others co-operate
                if not lead and names:
                    lead.append((names[0], line))
                    names = names[1:]
                co.extend((n, line) for n in names)
                continue
            (lead if role == "lead" else co).extend((n, line) for n in names)
            unlabelled = [n for piece in pieces[1:] for n in resolver.split(piece)]
            if unlabelled:
                co.extend((n, line) for n in unlabelled)
                warnings.append(NoticeWarning(line, (
                    f"第{task_id}项的「{'、'.join(unlabelled)}」前没有「协办单位」等字样,按协办单位读入")))
        if label.leftover:
            warnings.append(NoticeWarning(draft.line_at(len(draft.text) - 1), (
                f"第{task_id}项的单位说明后还有文字「{label.leftover[:30]}」,已忽略")))
        written.append((lead, co, due))

    resolver = resolver.seeing(n for lead, co, _ in written for n, _ in (*lead, *co))
    tasks: list[ParsedTask] = []
    uses: dict[str, list[tuple[int, int]]] = {}  # canonical name → (task id, line) where used
    for task_id, draft, label, (lead_written, co_written, due) in zip(ids, drafts, labels, written):
        lead_names = _canonical_list(lead_written, resolver, task_id, uses)
        co_names = _canonical_list(co_written, resolver, task_id, uses)
        both = [n for n in co_names if n in lead_names]
        if both and first_leads and not lead_named:
            co_names = [n for n in co_names if n not in lead_names]
        elif both:
            warnings.append(NoticeWarning(draft.line, f"第{task_id}项的「{'、'.join(both)}」同时列为主办和协办单位"))
        if not lead_names:
            detail = "" if any(w in UNIT_LABELS for w, _, _ in label.segments) else ",也没有「主办单位:……」等单位说明"
            warnings.append(NoticeWarning(draft.line, f"第{task_id}项没有主办(牵头)单位{detail};请在登记表中补上",
                                          urgent=True))
        if draft.chapter >= 0:
            chapters[draft.chapter].tasks += 1
        if draft.section is not None:
            sections[draft.section].tasks += 1
        tasks.append(ParsedTask(
            id=task_id,
            chapter=chapters[draft.chapter].name if draft.chapter >= 0 else "",
            section=sections[draft.section].name if draft.section is not None else None,
            text=label.text,
            lead=tuple(lead_names),
            co=tuple(co_names),
            line=draft.line,
            due=due,
        ))
    warnings += _check_heads(chapters, "章")
    warnings += _check_heads(sections, "节")
    warnings += _check_names(uses, resolver)
    return tasks, warnings


def _canonical_list(
    written: list[tuple[str, int]], resolver: UnitResolver, task_id: int, uses: dict[str, list[tuple[int, int]]]
) -> list[str]:
    names: list[str] = []
    for name, line in written:
        canonical = resolver.canonical(name)
        if canonical not in names:
            names.append(canonical)
            uses.setdefault(canonical, []).append((task_id, line))
    return names


def _ids(drafts: list[_Draft], warnings: list[NoticeWarning]) -> list[int]:
    """Task ids: the notice's numbers, checked for gaps and repeats, unless every chapter restarts
    at 1 (then the tasks are numbered through in order)."""
    firsts: dict[int, _Draft] = {}
    for draft in drafts:
        firsts.setdefault(draft.chapter, draft)
    if len(firsts) >= 2 and all(d.number == 1 for d in firsts.values()):
        second = list(firsts.values())[1]
        warnings.append(NoticeWarning(second.line, (
            f"各章分别从1编号,已按出现顺序统一编号为1–{len(drafts)}")))
        return list(range(1, len(drafts) + 1))
    previous = 0
    first_line: dict[int, int] = {}
    for draft in drafts:
        n = draft.number
        if n in first_line:
            warnings.append(NoticeWarning(draft.line, f"序号{n}重复(第{first_line[n]}行已有第{n}项)"))
        elif n > previous + 1:
            gap = f"第{previous + 1}项" if n == previous + 2 else f"第{previous + 1}–{n - 1}项"
            after = f"第{previous}项之后是第{n}项" if previous else f"第一项的序号是{n}"
            warnings.append(NoticeWarning(draft.line, f"序号不连续:{after},缺少{gap}"))
        elif n <= previous:
            warnings.append(NoticeWarning(draft.line, f"序号倒退:第{previous}项之后是第{n}项"))
        first_line.setdefault(n, draft.line)
        previous = n
    return [d.number for d in drafts]


def _check_heads(heads: list[_Heading], word: str) -> list[NoticeWarning]:
    out = []
    for head in heads:
        if head.count is not None and head.count != head.tasks:
            out.append(NoticeWarning(head.line, f"「{head.name}」标明{head.count}项,实际读到{head.tasks}项"))
        elif head.tasks == 0:
            out.append(NoticeWarning(head.line, f"「{head.name}」这一{word}下没有读到任务"))
    return out


def _check_names(uses: dict[str, list[tuple[int, int]]], resolver: UnitResolver) -> list[NoticeWarning]:
    """Near misses: names the register does not know that look like one it does, and pairs of the
    notice's own names that look like one unit written two ways. A name simply new to the register
    is not a doubt (import registers it, and says how many in one line)."""
    out = []
    names = [n for n in uses if not resolver.is_group(n)]
    for name in names:
        task_ids = "、".join(f"第{t}项" for t, _ in uses[name][:5]) + ("等" if len(uses[name]) > 5 else "")
        line = uses[name][0][1]
        if resolver.known:
            if name in resolver.known:
                continue
            hint = resolver.suggest(name, resolver.known)
            if hint:
                out.append(NoticeWarning(line, f"{task_ids}的单位「{name}」不在单位表中,是否为「{hint}」?"))
            continue
        hint = resolver.suggest(name, names)
        # Warn on the rarer (or shorter) form only: that is the likely slip.
        if hint and (len(uses[hint]), len(hint)) > (len(uses[name]), len(name)):
            out.append(NoticeWarning(line, (
                f"{task_ids}的单位「{name}」与「{hint}」相近,未自动合并;"
                f"如是同一单位,请在单位表中把「{name}」设为「{hint}」的别名")))
    return out


def _check_total(head_lines: list[tuple[int, str]], found: int) -> list[NoticeWarning]:
    """The announced total (`共101项`) against the tasks read; the head may be hard-wrapped."""
    joined, at = "", []
    for number, text in head_lines:
        at.append((len(joined), number))
        joined += fold_width(text)
    match = _TOTAL_RE.search(joined)
    if match is None:
        return []
    total = int(match.group(1))
    if total == found:
        return []
    line = max(number for offset, number in at if offset <= match.start())
    return [NoticeWarning(line, f"通知写明共{total}项,实际读到{found}项")]


def _title(head_lines: list[tuple[int, str]]) -> str:
    """The `…的通知` paragraph (it may be wrapped over lines, a blank line between), else the last
    heading-like line that is not a document number."""
    texts = [(number, text) for number, text in head_lines]
    spans = []
    for k, (number, text) in enumerate(texts):
        previous = texts[k - 1] if k else None
        if previous is not None and previous[0] == number - 1 and not previous[1].endswith(("。", ":", ":")):
            if not text.startswith(("关于", "《")) and "关于" not in text[:20]:
                continue  # only a paragraph's first line starts a wrapped title
        joined = ""
        for later_number, later in texts[k: k + 4]:
            if later_number - number > 6:
                break
            joined += later
            spans.append(joined)
    spans += [text for _, text in texts]
    for text in spans:
        if len(text) <= _TITLE_MAX and text.endswith("通知") and "。" not in text:
            return text
    for text in spans:  # `…关于落实《政府工作报告》重点工作部门分工的意见`, `…分工方案`
        if len(text) <= _TITLE_MAX and "关于" in text and text.endswith(_TITLE_ENDINGS) and "。" not in text:
            return text
    for _, text in reversed(texts):
        folded = fold_width(text)
        if (len(text) <= 40 and "。" not in text and not folded.startswith("(") and not folded.endswith(":")
                and not _DOC_NUMBER_RE.search(folded) and not _UNIT_LABEL_RE.search(folded + ":")):
            return text
    return ""
