"""The notice parser: a published task-allocation notice (通知) → numbered tasks with their units.

Notices come as web text pasted into a .txt (UTF-8 or GBK), as a saved web page, as Word
paragraphs, or as a Word table; `read.read_notice_text` turns each into lines of text (`docx.py`
flattens Word documents), and `parse_notice_text` reads the lines. What the parser cannot place
is never dropped in silence: it becomes a `NoticeWarning` with its line number, and so does every doubt (counts that do not add up,
numbering gaps, a task without a lead unit, a unit name that looks like a slip).

How the lines are read:

* **Head** (never reported): everything before the task list — web clutter, title, salutation,
  the preamble (whose own `一、以目标倒逼落实。…` paragraphs are not chapters), signature. The list
  starts at the first task `1.` whose paragraph carries a unit label (else the first labelled
  task, else the first numbered line), together with the chapter and section heads right above it.
  The head gives the title and the announced total (`共101项`).
* **List**: chapter heads `一、…(13项)`, section heads `(一)…`, tasks `1.` `1．` `1、` `(1)`. A
  task runs until the next head or task; its unit label (`(主办单位:…;协办单位:…)`, any label word
  of `LEAD_LABELS`/`CO_LABELS`, either punctuation width) may sit at the end of its paragraph or on a
  line of its own, and wrapped lines are joined. A bracketed label ends the task; an unbracketed
  one ends it at the next blank line.
* Known web clutter (`扫一扫在手机打开当前页`, `相关阅读`…) is skipped anywhere; a signature, a date
  or page metadata (`来源:`) only where no task is open. Any other line of the list that belongs
  to no task is reported (`unplaced`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from excelflow.errors import NoticeError
from excelflow.notice.labels import AMBIGUOUS_LABEL, CO_LABELS, LEAD_LABELS, chinese_numeral
from excelflow.notice.read import read_notice_text
from excelflow.notice.units import UnitResolver, fold_width, split_top_level

_LABEL_WORDS = sorted(LEAD_LABELS + CO_LABELS, key=len, reverse=True)
_LABEL_RE = re.compile("(" + "|".join(_LABEL_WORDS) + r")[ \t]*(?::|[ \t]+)[ \t]*")
_NUMERALS = "一二三四五六七八九十"
_CHAPTER_RE = re.compile(rf"^([{_NUMERALS}]{{1,3}})[ \t]*[、.][ \t]*(.*)$")
_CHAPTER_PART_RE = re.compile(rf"^(第[{_NUMERALS}]{{1,3}}(?:部分|章|篇))[ \t]*[、.:]?[ \t]*(.*)$")
_SECTION_RE = re.compile(rf"^\([ \t]*([{_NUMERALS}]{{1,3}})[ \t]*\)[ \t]*(.*)$")
_TASK_RE = re.compile(r"^(?:(\d{1,4})[ \t]*[.、](?!\d)|\([ \t]*(\d{1,4})[ \t]*\))[ \t]*(.*)$")
_LABEL_LINE_RE = re.compile(r"^\(?[ \t]*(?:" + "|".join(_LABEL_WORDS) + r")[ \t]*[:\s]")
# `(13项)`, `(共13项)`, and `13项)` whose opening bracket the published text lost.
_COUNT_RE = re.compile(r"(?:\([ \t]*共?[ \t]*(\d{1,4})[ \t]*项[ \t]*\)?|共?[ \t]*(\d{1,4})[ \t]*项[ \t]*\))[ \t]*$")
_TOTAL_RE = re.compile(r"共[ \t]*(\d{1,4})[ \t]*项")
_HEADING_MAX = 60
# Lines of the web page around a notice. Skipped anywhere: no task line starts like these.
_CLUTTER_RE = re.compile(
    r"^(?:分享到|【?字体[:\s【]|【打印|【关闭|扫一扫|相关阅读|相关链接|打印本页|关闭窗口|返回顶部|"
    r"上一篇[:\s]|下一篇[:\s]|浏览次数|阅读次数|访问次数|点击数[:\s]|网站地图|版权所有)"
)
# A page's metadata, the signature and the date: skipped outside a task only, since a wrapped
# line inside one may read `府办公室` or `2021年3月25日`.
_CLOSING_RE = re.compile(
    r"^(?:来源[:\s]|信息来源|发布时间|发布日期|发布机构|责任编辑|索引号|主题分类|成文日期|附件下载|"
    r"主办[:\s]|承办[:\s]|联系我们|打印|关闭)"
    r"|^\d{4}[-年./]?\d{1,2}[-月./]?\d{1,2}日?$"
    r"|^[\u4e00-\u9fff]{2,30}(?:人民政府办公室|人民政府|办公室|委员会)$"
)
_TITLE_MAX = 80

@dataclass(frozen=True)
class NoticeWarning:
    """A doubt about the notice, in Chinese; `line` is 1-based in the text the notice was read as."""

    line: int | None
    message: str


@dataclass(frozen=True)
class ParsedTask:
    """One numbered task; `lead`/`co` are canonical unit and group names (groups not expanded)."""

    id: int
    chapter: str
    section: str | None
    text: str
    lead: tuple[str, ...]
    co: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class ParsedNotice:
    title: str
    tasks: tuple[ParsedTask, ...]
    warnings: tuple[NoticeWarning, ...]

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
            f"「{path.name}」里找不到编号的任务(例如「1.……(主办单位:……;协办单位:……)」),"
            "不像是重点工作责任分工通知"
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
    return opening is not None and _matching_close(folded, opening) is not None


def _bracket_before(folded: str, at: int) -> int | None:
    j = at
    while j > 0 and folded[j - 1] in " \t":
        j -= 1
    return j - 1 if j > 0 and folded[j - 1] == "(" else None


def _matching_close(folded: str, opening: int) -> int | None:
    depth = 0
    for i in range(opening, len(folded)):
        if folded[i] == "(":
            depth += 1
        elif folded[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return None


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
        if count_match is not None:
            count = int(count_match.group(1) or count_match.group(2))
            title = title[: count_match.start()].strip()
        if "。" in title.rstrip("。") or len(title) > _HEADING_MAX or _LABEL_RE.search(title):
            return None
        return kind, numeral, title.rstrip("。"), count
    return None


def _head_ending_at(folded: list[str], k: int) -> tuple[int, str] | None:
    """(first line, kind) of a head whose last (wrapped) line is `k`; heads wrap over ≤3 lines."""
    for top in range(k, max(k - 3, -1), -1):
        if not folded[top] or _TASK_RE.match(folded[top]):
            return None
        if _heading(folded[top]) is not None:
            if any(_heading(line) for line in folded[top + 1: k + 1]):
                return None
            head = _heading("".join(folded[top: k + 1]))
            return None if head is None else (top, head[0])
    return None


def _list_start(folded: list[str]) -> int | None:
    """Index of the first line of the task list (see the module docstring), or None."""
    tasks = [i for i, line in enumerate(folded) if _TASK_RE.match(line)]
    if not tasks:
        return None

    def labelled(i: int) -> bool:
        block = folded[i]
        for k in range(i + 1, min(len(folded), i + 60)):
            if _TASK_RE.match(folded[k]) or _heading(folded[k]):
                break
            block += folded[k]
        return _LABEL_RE.search(block) is not None

    def number(i: int) -> int:
        match = _TASK_RE.match(folded[i])
        assert match is not None
        return int(match.group(1) or match.group(2))

    first = (
        next((i for i in tasks if number(i) == 1 and labelled(i)), None)
        or next((i for i in tasks if labelled(i)), None)
        or next((i for i in tasks if number(i) == 1), None)
        or tasks[0]
    )
    # Take in the section and chapter heads right above it (a long head may be wrapped).
    start, k, seen_chapter, seen_section = first, first - 1, False, False
    while k >= 0:
        if not folded[k] or _CLUTTER_RE.search(folded[k]) or _CLOSING_RE.search(folded[k]):
            k -= 1
            continue
        found = _head_ending_at(folded, k)
        if found is None:
            break
        top, kind = found
        if seen_chapter or (kind == "section" and seen_section):
            break
        seen_chapter = seen_chapter or kind == "chapter"
        seen_section = seen_section or kind == "section"
        start, k = top, top - 1
    return start


def _strip_line(line: str) -> str:
    return re.sub(r"^[\s\ufeff\u200b]+|[\s\ufeff\u200b]+$", "", line)


def parse_with_layout(text: str, resolver: UnitResolver | None = None) -> tuple[ParsedNotice, Layout]:
    """Parse notice text; also say what each line was taken for (see `Layout`)."""
    originals = [_strip_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    folded = [fold_width(line) for line in originals]  # same length as the original, char for char
    roles: list[LineRole] = ["blank" if not f else "head" for f in folded]
    warnings: list[NoticeWarning] = []
    start = _list_start(folded)
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
            if draft is not None and _LABEL_RE.search(fold_width(draft.text)):
                draft.closed = True  # an unbracketed label ends at a blank line
            after_blank, open_head = True, None
            continue
        if _CLUTTER_RE.search(line) or ((draft is None or draft.closed) and _CLOSING_RE.search(line)):
            roles[i] = "clutter"
            continue
        task = _TASK_RE.match(line)
        head = None if task else _heading(line)
        if open_head is not None and task is None and head is None and not _LABEL_LINE_RE.match(line):
            # A wrapped head: `二、充分挖掘内需潜力,着力稳定经` / `济增长(22项)`.
            heading, raw, role = open_head
            joined = _heading(raw + line)
            if joined is not None and joined[0] == role and joined[1] == heading.numeral:
                heading.name, heading.count = _head_name(*joined[:3]), joined[3]
                open_head, roles[i] = (heading, raw + line, role), role
                continue
        open_head = None
        if head is not None:
            kind, numeral, title, count = head
            chapter = len(chapters) - 1
            if kind == "chapter":
                expected = chinese_numeral(len(chapters) + 1)
            else:
                expected = chinese_numeral(sum(1 for s in sections if s.chapter == chapter) + 1)
            # Inside an open task a head must be the next one in order: a wrapped line that happens
            # to start with `一、` is text.
            if draft is None or draft.closed or after_blank or numeral.strip("第部分章篇") == expected:
                draft = None
                heading = _Heading(_head_name(kind, numeral, title), numeral, count, lineno,
                                   len(chapters) if kind == "chapter" else chapter)
                (chapters if kind == "chapter" else sections).append(heading)
                roles[i] = "chapter" if kind == "chapter" else "section"
                open_head, after_blank = (heading, line, roles[i]), False
                continue
        if task is not None:
            section = sections[-1] if sections and sections[-1].chapter == len(chapters) - 1 else None
            draft = _Draft(
                number=int(task.group(1) or task.group(2)),
                line=lineno,
                chapter=len(chapters) - 1,
                section=None if section is None else len(sections) - 1,
            )
            draft.add(originals[i][task.start(3):], lineno)
            drafts.append(draft)
            roles[i] = "task"
        elif draft is not None and (not draft.closed or _LABEL_LINE_RE.match(line)):
            draft.add(originals[i], lineno)
            roles[i] = "continued"
        else:
            roles[i] = "unplaced"
            shown = originals[i] if len(originals[i]) <= 30 else originals[i][:30] + "…"
            warnings.append(NoticeWarning(lineno, f"这一行不属于任何任务,已忽略:「{shown}」"))
        after_blank = False

    tasks, task_warnings = _finish(drafts, chapters, sections, resolver or UnitResolver())
    warnings += task_warnings
    head_lines = [(i + 1, originals[i]) for i in range(end_of_head) if roles[i] == "head"]
    warnings += _check_total(head_lines, len(tasks))
    if start is None:
        warnings.append(NoticeWarning(None, "没有找到编号的任务(例如「1.……(主办单位:……)」)"))
    warnings.sort(key=lambda w: (w.line is None, w.line or 0))
    return ParsedNotice(_title(head_lines), tuple(tasks), tuple(warnings)), Layout(tuple(roles))


@dataclass
class _Draft:
    """A task being read: its lines joined, and where each line starts in the joined text."""

    number: int
    line: int
    chapter: int  # index into the chapters read so far; -1 before the first chapter
    section: int | None
    text: str = ""
    starts: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, line number)
    closed: bool = False

    def add(self, piece: str, line: int) -> None:
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
    """A task's text and the unit label words with what follows each."""

    text: str
    segments: list[tuple[str, str, int]]  # (label word, content, offset in the task's text)
    leftover: str


def _split_label(draft: _Draft) -> _Label:
    folded = fold_width(draft.text)
    match = _LABEL_RE.search(folded)
    if match is None:
        return _Label(draft.text.strip(), [], "")
    opening = _bracket_before(folded, match.start())
    text = draft.text[: match.start() if opening is None else opening]
    segments: list[tuple[str, str, int]] = []
    leftover = ""
    while match is not None:
        opening = _bracket_before(folded, match.start())
        close = None if opening is None else _matching_close(folded, opening)
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
            leftover += folded[end + 1: match.start()].strip(" \t。.;,、(")
    return _Label(text.rstrip(" \t;,、:；，：\u3000"), segments, leftover)


def _finish(
    drafts: list[_Draft], chapters: list[_Heading], sections: list[_Heading], resolver: UnitResolver
) -> tuple[list[ParsedTask], list[NoticeWarning]]:
    warnings: list[NoticeWarning] = []
    ids = _ids(drafts, warnings)
    labels = [_split_label(d) for d in drafts]
    lead_named = any(word in LEAD_LABELS for label in labels for word, _, _ in label.segments)
    if not lead_named and any(w == AMBIGUOUS_LABEL for label in labels for w, _, _ in label.segments):
        first = next(d for d, label in zip(drafts, labels) if label.segments)
        warnings.append(NoticeWarning(first.line, "通知里没有「主办单位/牵头单位」,把「责任单位」读作主办(牵头)单位"))

    # Split every list first: a short form (`工信局`) resolves against every name the notice uses.
    written: list[tuple[list[tuple[str, int]], list[tuple[str, int]]]] = []
    for task_id, draft, label in zip(ids, drafts, labels):
        lead: list[tuple[str, int]] = []
        co: list[tuple[str, int]] = []
        roles_seen: Counter[str] = Counter()
        for word, content, offset in label.segments:
            role = "lead" if word in LEAD_LABELS or (word == AMBIGUOUS_LABEL and not lead_named) else "co"
            roles_seen[role] += 1
            if roles_seen[role] == 2:
                warnings.append(NoticeWarning(draft.line_at(offset), f"第{task_id}项有两处「{word}」,已合并"))
            line = draft.line_at(offset)
            pieces = split_top_level(content, ";") if role == "lead" else [content]
            lead_or_co = lead if role == "lead" else co
            lead_or_co.extend((n, line) for n in resolver.split(pieces[0]))
            unlabelled = [n for piece in pieces[1:] for n in resolver.split(piece)]
            if unlabelled:
                co.extend((n, line) for n in unlabelled)
                warnings.append(NoticeWarning(line, (
                    f"第{task_id}项的「{'、'.join(unlabelled)}」前没有「协办单位」等字样,按协办单位读入")))
        if label.leftover:
            warnings.append(NoticeWarning(draft.line_at(len(draft.text) - 1), (
                f"第{task_id}项的单位说明后还有文字「{label.leftover[:30]}」,已忽略")))
        written.append((lead, co))

    resolver = resolver.seeing(n for lead, co in written for n, _ in (*lead, *co))
    tasks: list[ParsedTask] = []
    uses: dict[str, list[tuple[int, int]]] = {}  # canonical name → (task id, line) where used
    for task_id, draft, label, (lead_written, co_written) in zip(ids, drafts, labels, written):
        lead_names = _canonical_list(lead_written, resolver, task_id, uses)
        co_names = _canonical_list(co_written, resolver, task_id, uses)
        both = [n for n in co_names if n in lead_names]
        if both:
            warnings.append(NoticeWarning(draft.line, f"第{task_id}项的「{'、'.join(both)}」同时列为主办和协办单位"))
        if not lead_names:
            detail = "" if label.segments else ",也没有「主办单位:……」等单位说明"
            warnings.append(NoticeWarning(draft.line, f"第{task_id}项没有主办(牵头)单位{detail};请在登记表中补上"))
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
    """Names the register does not know, and near misses between the notice's own names."""
    out = []
    names = [n for n in uses if not resolver.is_group(n)]
    for name in names:
        task_ids = "、".join(f"第{t}项" for t, _ in uses[name][:5]) + ("等" if len(uses[name]) > 5 else "")
        line = uses[name][0][1]
        if resolver.known:
            if name in resolver.known:
                continue
            hint = resolver.suggest(name, resolver.known)
            tail = f",是否为「{hint}」?" if hint else ";请在单位表中登记或设为别名"
            out.append(NoticeWarning(line, f"{task_ids}的单位「{name}」不在单位表中{tail}"))
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
    """The `…的通知` paragraph (it may be hard-wrapped), else the last heading-like line."""
    numbers = {number for number, _ in head_lines}
    texts = dict(head_lines)
    spans = []
    for number, _ in head_lines:
        if number - 1 in numbers:
            continue  # only a paragraph's first line starts a wrapped title
        joined = ""
        for end in range(number, number + 5):
            if end not in texts:
                break
            joined += texts[end]
            spans.append(joined)
    spans += [text for _, text in head_lines]
    for text in spans:
        if len(text) <= _TITLE_MAX and text.endswith("通知"):
            return text
    for _, text in reversed(head_lines):
        folded = fold_width(text)
        if len(text) <= 40 and "。" not in text and not folded.startswith("(") and not folded.endswith(":"):
            return text
    return ""
