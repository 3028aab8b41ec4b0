"""The draft notification `outbox/R/R-通报.docx`: a 督查通报 that reads as issued, written from the numbers.

Modelled on the 督查通报 county and district supervision offices publish (e.g. 寿县人民政府督查室
《政务督查》第20期, 2022; 灌云县政府督查室 2019年政府工作报告三季度完成情况通报 第八期): a 版头
(刊名 in red, 期号, the issuing office and the date over a red rule), the title, the 主送 line, an
opening that cites the task notice and gives the figures, 一、总体情况, 二、报送情况 with a 表扬
and a 批评 paragraph written from the numbers (names inline while few, the full lists in 附件1),
三、推进滞后的工作 summarised chapter by chapter in prose (task numbers and the problems units
reported; the list in 附件2), 四、下步工作要求 (一是…二是…), the 附件 line, the 落款 and the date,
then the 附件 tables on landscape pages with their header row repeated. 期号 is a placeholder
(`第〔  〕期`) the clerk fills in when issuing.

Layout follows GB/T 9704-2012: A4, 版心 156 × 225 mm (margins 37/35/28/26 mm), title 22 pt
小标宋, body 16 pt 仿宋 with a fixed 28 pt line pitch and a two-character first-line indent,
level-one headings 黑体, level-two 楷体, page numbers `— 1 —` in 14 pt 宋体 at the foot, odd pages
right and even pages left. Where these fonts are missing the office suite substitutes a CJK font.
Unit text goes in as plain runs: no field, no hyperlink, whatever the unit typed (the only field
is the page number, in the footers).

The bytes are deterministic for equal figures: core properties are fixed to the as-of day and
the zip is rewritten with fixed member times (python-docx stamps members with the clock).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from datetime import datetime, time
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

from excelflow.register.statuses import BEHIND, DONE, NOT_STARTED, ON_SCHEDULE
from excelflow.reports.figures import (
    INCOMPLETE_LABEL,
    INVALID_LABEL,
    MISSING_LABEL,
    NO_LEAD_LABEL,
    OTHER_GROUP,
    Comparison,
    TaskRow,
    UnitRow,
    short_chapter,
    task_attention,
)
from excelflow.wording import STATE_NAMES, day
from excelflow.xlsx import display_width

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
PAGE_FONT = "宋体"
TABLE_FONT = "宋体"
RED = RGBColor(0xE0, 0x00, 0x00)
MASTHEAD = "督查通报"
ISSUE_PLACEHOLDER = "第〔    〕期"
NAME_INLINE_UP_TO = 8  # units named in the body; beyond, the count and 附件1
PROBLEMS_PER_CHAPTER = 3
PROBLEM_CHARS = 30
ANNEX_UNITS = "各单位报送情况"
ANNEX_TASKS = "需关注的任务清单"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _ids(ids: Sequence[int]) -> str:
    return "第" + "、".join(str(i) for i in ids) + "项"


def _names(units: Sequence[str]) -> str:
    return "、".join(units)


def addressee(c: Comparison) -> str:
    """`各乡镇(街道)、各有关单位：` from the register's groups (no place is assumed)."""
    groups = [f"各{g}" for g in c.groups if g != OTHER_GROUP]
    return "、".join([*groups, "各有关单位"]) + "："


def title(c: Comparison) -> str:
    return f"关于{c.period}重点工作推进情况的通报"


# -- the words ---------------------------------------------------------------------------------
def paragraphs(c: Comparison) -> list[tuple[str, str]]:
    """The notice body as (style, text): title, addressee, body, h1, h2, attachment, sign, date."""
    out: list[tuple[str, str]] = [("title", title(c)), ("addressee", addressee(c))]
    e = c.link("all").entries
    units = c.units
    all_on_time = [u for u in units if u.tally.on_time == u.tally.expected]
    source = f"《{c.title}》" if c.title else "重点工作责任分工"
    out.append(("body", f"按照{source}要求，{c.office}对{c.period}重点工作推进情况进行了调度。截至{day(c.as_of)}，"
                        f"应报送的{len(units)}个单位中，{len(all_on_time)}个单位全部按时报送；全部{e.expected}条报送"
                        f"已收到{e.received}条，按时{e.on_time}条，按时率{_pct(e.on_time_rate)}。现将有关情况通报如下："))

    out.append(("h1", "一、总体情况"))
    out.append(("body", _task_overview(c)))
    out.append(("body", _entry_overview(c)))

    out.append(("h1", "二、报送情况"))
    out += _praise(c, all_on_time)
    out += _criticism(c)

    out.append(("h1", "三、推进滞后的工作"))
    out += _lagging_by_chapter(c)

    out.append(("h1", "四、下步工作要求"))
    out += _requirements(c)
    out.append(("attachment", f"附件：1.{c.period}{ANNEX_UNITS}\n2.{c.period}{ANNEX_TASKS}"))
    out.append(("sign", c.office))
    out.append(("date", day(c.as_of)))
    return out


def _task_overview(c: Comparison) -> str:
    s = c.status_totals
    done = [f"{label}{s[label]}项" for label in (DONE, ON_SCHEDULE, BEHIND, NOT_STARTED) if s[label]]
    text = f"{c.period}共调度重点工作{len(c.tasks)}项。从牵头单位报送的情况看，" + ("、".join(done) or "尚无有效报送")
    gaps = [f"牵头单位{name}的{s[label]}项" for label, name in (
        (MISSING_LABEL, "未报"), (INVALID_LABEL, "报送无效"), (INCOMPLETE_LABEL, "报送内容不完整")) if s[label]]
    if gaps:
        text += "；另有" + "、".join(gaps) + "，进展情况暂不掌握"
    if s[NO_LEAD_LABEL]:
        ids = [t.task.id for t in c.tasks if not t.leads]
        text += f"；{_ids(ids)}通知未明确牵头单位，无人报送"
    text += "。"
    if c.has_milestones:
        classes = [t.plan_class for t in c.tasks if t.plan_class]
        text += "对照各牵头单位落实方案，" + "、".join(f"{k}{classes.count(k)}项" for k in ("超进度", "达进度", "欠进度")) + "。"
    return text


def _entry_overview(c: Comparison) -> str:
    co, lead, both = c.link("co"), c.link("lead"), c.link("all")
    e = both.entries
    text = (f"报送方面，各单位应报送{e.expected}条（牵头单位{lead.entries.expected}条、协办单位{co.entries.expected}条），"
            f"已报送{e.received}条，报送率{_pct(e.reporting_rate)}；按时报送{e.on_time}条，按时率{_pct(e.on_time_rate)}；"
            f"逾期报送{e.late}条，{STATE_NAMES['missing']}{e.missing}条，内容不完整{e.incomplete}条，报送无效{e.invalid}条。"
            f"其中，协办单位报牵头单位按时率{_pct(co.entries.on_time_rate)}，牵头单位报{c.office}按时率"
            f"{_pct(lead.entries.on_time_rate)}。")
    parts = []
    for group in c.groups:
        members = c.group_units(group)
        ok = sum(1 for u in members if u.tally.on_time == u.tally.expected)
        parts.append(f"{group}{len(members)}个单位中{ok}个全部按时")
    if len(parts) > 1:
        text += "分组看，" + "，".join(parts) + "。"
    return text


def _praise(c: Comparison, all_on_time: Sequence[UnitRow]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = [("h2", "（一）按时报送情况。")]
    if not all_on_time:
        out.append(("body", "本轮没有单位全部按时、完整报送。"))
        return out
    by_group = [f"{g}{n}个" for g in c.groups if (n := sum(1 for u in all_on_time if u.group == g))]
    names = (f"即{_names([u.unit for u in all_on_time])}" if len(all_on_time) <= NAME_INLINE_UP_TO
             else "名单见附件1")
    out.append(("body", f"{len(all_on_time)}个单位按时、完整报送了全部{sum(u.tally.expected for u in all_on_time)}条进展情况"
                        f"（其中{'、'.join(by_group)}），{names}，予以通报表扬。"))
    return out


def _unit_with_reason(u: UnitRow) -> str:
    return f"{u.unit}{u.reason}"


def _criticism(c: Comparison) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = [("h2", "（二）逾期、未报和需改正的情况。")]
    red = [u for u in c.attention_units if u.mark == "红"]
    yellow = [u for u in c.attention_units if u.mark == "黄"]
    if not red and not yellow:
        out.append(("body", f"截至{day(c.as_of)}，没有单位逾期、未报或需要改正。"))
        return out
    if red:
        shown = red[:NAME_INLINE_UP_TO]
        more = f"等{len(red)}个单位" if len(red) > len(shown) else ""
        out.append(("body", f"截至{day(c.as_of)}，{'；'.join(_unit_with_reason(u) for u in shown)}{more}，"
                            "仍有逾期未报或报送无效的条目，予以通报批评，请立即补报或改正。"))
    if yellow:
        shown = yellow[:NAME_INLINE_UP_TO]
        more = f"等{len(yellow)}个单位" if len(yellow) > len(shown) else ""
        out.append(("body", f"{'；'.join(_unit_with_reason(u) for u in shown)}{more}，存在逾期报送或内容不完整的情况，"
                            "请引起重视。"))
    notes = [u for u in c.units if u.note]
    if notes:
        text = "；".join(f"{u.unit}{u.note}" for u in notes[:NAME_INLINE_UP_TO])
        more = f"等{len(notes)}个牵头单位" if len(notes) > NAME_INLINE_UP_TO else ""
        out.append(("body", f"从报送链条看，{text}{more}。牵头单位要督促协办单位按时报送，协办单位要主动配合。"))
    out.append(("body", "各单位报送的详细情况见附件1。"))
    return out


def _lagging_by_chapter(c: Comparison) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    numerals = "一二三四五六七八九十"
    lagging_chapters = 0
    by_chapter: dict[str, list[TaskRow]] = {}
    for t in c.tasks:
        by_chapter.setdefault(t.task.chapter, []).append(t)
    for chapter in c.chapters:
        rows = by_chapter.get(chapter, [])
        behind = [t for t in rows if t.status_label == BEHIND or any(r.status_label == BEHIND for r in t.leads)]
        taken = {t.task.id for t in behind}
        idle = [t for t in rows if t.task.id not in taken and (t.status_label == NOT_STARTED
                                                               or any(r.status_label == NOT_STARTED for r in t.leads))]
        taken |= {t.task.id for t in idle}
        short = [t for t in rows if t.task.id not in taken and t.plan_class == "欠进度"]
        if not (behind or idle or short):
            continue
        counts = c.by_chapter[chapter]
        good = "、".join(f"{label}{counts[label]}项" for label in (DONE, ON_SCHEDULE) if counts[label])
        parts = [f"滞后{len(behind)}项（{_ids([t.task.id for t in behind])}）" if behind else "",
                 f"未启动{len(idle)}项（{_ids([t.task.id for t in idle])}）" if idle else "",
                 f"未达落实方案进度{len(short)}项（{_ids([t.task.id for t in short])}）" if short else ""]
        lead_text = "、".join(p for p in parts if p)
        label = numerals[lagging_chapters] if lagging_chapters < len(numerals) else str(lagging_chapters + 1)
        lagging_chapters += 1
        sentence = (f"（{label}）{short_chapter(chapter).split('、', 1)[-1]}。本章{len(rows)}项任务中，"
                    + (f"{good}；" if good else "") + f"{lead_text}。")
        problems = _problems([*behind, *idle, *short])
        if problems:
            sentence += "牵头单位反映的问题主要有：" + "；".join(problems) + "。"
        out.append(("body", sentence))
    if not out:
        return [("body", "本轮没有牵头单位报告滞后、未启动或未达落实方案进度的任务。")]
    twice = [t.task.id for t in c.tasks if any(r.previous_label == BEHIND and r.status_label == BEHIND for r in t.leads)]
    if twice:
        out.append(("body", f"其中，{_ids(twice)}连续两轮报告滞后，需重点督办。"))
    out.append(("body", "各项任务的状态、牵头单位和存在问题见附件2。"))
    return out


def _problems(rows: Sequence[TaskRow]) -> list[str]:
    """The problems lead units wrote for lagging tasks, the same text said once with its tasks."""
    said: dict[str, list[int]] = {}
    for t in rows:
        for r in t.leads:
            text = r.content.problems.strip() if r.content is not None else ""
            if text:
                text = re.sub(r"\s+", "", text).rstrip("。；;.")
                text = text if len(text) <= PROBLEM_CHARS else text[:PROBLEM_CHARS] + "……"
                ids = said.setdefault(text, [])
                if t.task.id not in ids:
                    ids.append(t.task.id)
    ranked = sorted(said.items(), key=lambda kv: -len(kv[1]))[:PROBLEMS_PER_CHAPTER]
    return [f"{text}（{_ids(sorted(ids))}）" for text, ids in ranked]


def _requirements(c: Comparison) -> list[tuple[str, str]]:
    owing = [u for u in c.units if u.mark in ("红", "黄") and (u.tally.missing or u.tally.invalid or u.tally.incomplete)]
    behind = [t for t in c.tasks if t.status_label in (BEHIND, NOT_STARTED) or t.plan_class == "欠进度"]
    out: list[tuple[str, str]] = []
    ordinal = iter("一二三四五")
    if owing:
        out.append(("body", f"{next(ordinal)}是抓紧补报改正。请未报、报送无效或内容不完整的{len(owing)}个单位，"
                            f"于本通报印发后3个工作日内补报或改正，报{c.office}。"))
    if behind:
        out.append(("body", f"{next(ordinal)}是加快推进滞后工作。请{len(behind)}项滞后、未启动或欠进度任务的牵头单位认真分析原因，"
                            "明确整改措施和完成时限，确保完成全年目标任务。"))
    out.append(("body", f"{next(ordinal)}是压实牵头责任。各牵头单位要切实履行牵头抓总职责，及时督促协办单位按时报送，"
                        "综合协办单位情况后统一报送。"))
    out.append(("body", f"{next(ordinal)}是强化跟踪问效。{c.office}将持续跟踪调度，在下一轮调度中对比通报各单位推进情况。"))
    return out


# -- the annex tables ---------------------------------------------------------------------------
UNIT_TABLE_HEADERS = ("组内名次", "单位", "标识", "应报（条）", "按时", "逾期", "不完整", "无效", "未报", "按时率", "需关注的情况")
UNIT_TABLE_WIDTHS = (15, 40, 11, 15, 12, 12, 13, 12, 12, 19, 86)  # mm, landscape text width 247 mm
TASK_TABLE_HEADERS = ("序号", "任务内容", "牵头单位", "状态", "需关注的情况", "存在问题")
TASK_TABLE_WIDTHS = (12, 80, 36, 18, 45, 56)  # mm, 247 in all


def unit_table_rows(c: Comparison) -> list[tuple[str, ...] | str]:
    """附件1: per group (a heading line), each unit worst first."""
    rows: list[tuple[str, ...] | str] = []
    for group in c.groups:
        members = c.group_units(group)
        rows.append(f"{group}（共{len(members)}个）")
        for u in members:
            t = u.tally
            rows.append((str(u.rank), u.unit, u.mark, str(t.expected), str(t.on_time), str(t.late),
                         str(t.incomplete), str(t.invalid), str(t.missing), _pct(t.on_time_rate), u.reason or "—"))
    return rows


def task_table_rows(c: Comparison) -> list[tuple[str, ...]]:
    """附件2: every task that needs attention (`figures.task_attention`), in task order."""
    rows: list[tuple[str, ...]] = []
    for t in sorted(c.attention_tasks, key=lambda t: t.task.id):
        _, reason = task_attention(t, c.as_of) or ("", "")
        leads = "\n".join(f"{r.unit}：{r.status_label}" for r in t.leads) if len(t.leads) > 1 else t.lead_names
        rows.append((str(t.task.id), t.task.text, leads, t.status_label, reason, t.problems_text))
    return rows


# -- the document ------------------------------------------------------------------------------
class _Doc:
    """python-docx with the few paragraph and run settings GB/T 9704 needs."""

    def __init__(self) -> None:
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.footer_distance = Mm(20)
        self.doc.settings.odd_and_even_pages_header_footer = True
        _page_numbers(section)

    def add(self, text: str, font: str, size: float, *, align: Any = None, indent: bool = False,
            bold: bool = False, color: RGBColor | None = None, before: float = 0, pitch: float | None = None,
            right_chars: float = 0, left_chars: float = 0, hanging_chars: float = 0) -> Any:
        p = self.doc.add_paragraph()
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(pitch if pitch is not None else max(28, size * 1.3))
        fmt.space_after = Pt(0)
        fmt.space_before = Pt(before)
        if indent:
            fmt.first_line_indent = Pt(size * 2)
        if right_chars:
            fmt.right_indent = Pt(size * right_chars)
        if left_chars:
            fmt.left_indent = Pt(size * left_chars)
        if hanging_chars:
            fmt.first_line_indent = Pt(-size * hanging_chars)
        if align is not None:
            p.alignment = align
        if text:
            run = p.add_run(text)
            _font(run, font, size)
            run.bold = bold
            if color is not None:
                run.font.color.rgb = color
        return p


def notification_bytes(c: Comparison) -> bytes:
    """The draft notification as .docx bytes (deterministic for equal `c`)."""
    d = _Doc()
    _masthead(d, c)
    body = paragraphs(c)
    for style, text in body:
        if style == "title":
            d.add(text, TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, pitch=36, before=14)
            d.add("", BODY_FONT, 16)
        elif style == "addressee":
            d.add(text, BODY_FONT, 16)
        elif style == "h1":
            d.add(text, H1_FONT, 16, indent=True)
        elif style == "h2":
            d.add(text, H2_FONT, 16, indent=True)
        elif style == "attachment":
            d.add("", BODY_FONT, 16)
            first, *rest = text.split("\n")
            d.add(first, BODY_FONT, 16, left_chars=5, hanging_chars=3)
            for line in rest:
                d.add(line, BODY_FONT, 16, left_chars=5)
        elif style == "sign":
            d.add("", BODY_FONT, 16)
            d.add("", BODY_FONT, 16)
            sign, date = text, day(c.as_of)
            # GB/T 9704 7.3.5.2: the office 2 characters from the right, the date below it moved 2 right.
            shift = (display_width(sign) - display_width(date)) / 2
            d.add(sign, BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2 + max(0.0, -shift))
        elif style == "date":
            shift = (display_width(c.office) - display_width(text)) / 2
            d.add(text, BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=max(0.0, shift))
        else:
            d.add(text, BODY_FONT, 16, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _annexes(d, c)

    stamp = datetime.combine(c.as_of, time())
    props = d.doc.core_properties
    props.author = props.last_modified_by = c.office
    props.title = title(c)
    props.comments = f"草稿：根据截至{day(c.as_of)}的报送数据生成，请核对、填写期号后印发。"
    props.created = props.modified = stamp
    props.revision = 1
    return package_bytes(d.doc)


def _masthead(d: _Doc, c: Comparison) -> None:
    """刊名 in red, 期号 placeholder, then the office and the date over a red rule."""
    d.add(MASTHEAD, TITLE_FONT, 36, align=WD_ALIGN_PARAGRAPH.CENTER, color=RED, pitch=52, bold=False)
    d.add(ISSUE_PLACEHOLDER, BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.CENTER)
    p = d.add("", BODY_FONT, 16)
    width = Mm(210 - 28 - 26)
    p.paragraph_format.tab_stops.add_tab_stop(width, alignment=2)  # right-aligned at the text edge
    run = p.add_run(f"{c.office}\t{day(c.as_of)}")
    _font(run, BODY_FONT, 16)
    _red_rule(p)


def _red_rule(paragraph: Any) -> None:
    ppr = paragraph._element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "4"), ("w:color", "E00000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def _page_numbers(section: Any) -> None:
    """`— N —` in 14 pt 宋体: odd pages at the right, even pages at the left, one character in."""
    for footer, align, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
        p = footer.paragraphs[0]
        p.alignment = align
        if side == "right":
            p.paragraph_format.right_indent = Pt(14)
        else:
            p.paragraph_format.left_indent = Pt(14)
        for part in ("— ", None, " —"):
            run = p.add_run()
            _font(run, PAGE_FONT, 14)
            if part is None:
                _page_field(run)
            else:
                run.text = part


def _page_field(run: Any) -> None:
    begin, instr, end = OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr.set(qn("xml:space"), "preserve")
    instr.text = "PAGE"
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instr, end):
        run._r.append(element)


def _annexes(d: _Doc, c: Comparison) -> None:
    """附件1 and 附件2 on landscape pages: a heading, a title, a table whose header row repeats."""
    section = d.doc.add_section()
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(25), Mm(25)
    section.left_margin, section.right_margin = Mm(25), Mm(25)
    units = unit_table_rows(c)
    d.add("附件1", H1_FONT, 16, pitch=28)
    d.add(f"{c.period}{ANNEX_UNITS}", TITLE_FONT, 18, align=WD_ALIGN_PARAGRAPH.CENTER, pitch=32)
    d.add(f"统计截至{day(c.as_of)}。单位在所属组内比较，最需关注的在前；名次从好到差计，第1名最好。", BODY_FONT, 12,
          align=WD_ALIGN_PARAGRAPH.CENTER, pitch=20)
    _table(d, UNIT_TABLE_HEADERS, UNIT_TABLE_WIDTHS, units, wrap_cols={1, 10})
    p = d.add("", BODY_FONT, 12, pitch=20)
    p.add_run().add_break(WD_BREAK.PAGE)
    d.add("附件2", H1_FONT, 16, pitch=28)
    d.add(f"{c.period}{ANNEX_TASKS}", TITLE_FONT, 18, align=WD_ALIGN_PARAGRAPH.CENTER, pitch=32)
    tasks = task_table_rows(c)
    d.add(f"共{len(tasks)}项：牵头单位报告滞后、未启动、欠进度，或牵头单位未有效报送、通知未明确牵头单位的任务。",
          BODY_FONT, 12, align=WD_ALIGN_PARAGRAPH.CENTER, pitch=20)
    if tasks:
        _table(d, TASK_TABLE_HEADERS, TASK_TABLE_WIDTHS, list(tasks), wrap_cols={1, 2, 4, 5})
    else:
        d.add("无。", BODY_FONT, 12, align=WD_ALIGN_PARAGRAPH.CENTER, pitch=20)


TABLE_SIZE = 11  # 五号 is 10.5; one step up stays legible on a landscape A4


def _table(d: _Doc, headers: Sequence[str], widths: Sequence[int], rows: Sequence[tuple[str, ...] | str],
           wrap_cols: set[int]) -> None:
    """A bordered table, the header row repeated on each page, `rows` below (a str: a group heading
    across the table). Rows are written as WordprocessingML directly: python-docx's per-cell calls
    take half a minute for a thousand units' rows, the markup a fraction of a second."""
    table = d.doc.add_table(rows=0, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # Column widths go in the grid and every cell, with a fixed layout: Word reads the cells,
    # LibreOffice and WPS the grid.
    for column, width in zip(table.columns, widths):
        column.width = Mm(width)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    twips = [int(Mm(w).twips) for w in widths]
    table._tbl.append(parse_xml(_row_xml(headers, twips, H1_FONT, set(), header=True)))
    for values in rows:
        if isinstance(values, str):
            table._tbl.append(parse_xml(_span_row_xml(values, sum(twips), len(widths))))
        else:
            table._tbl.append(parse_xml(_row_xml(values, twips, TABLE_FONT, wrap_cols)))


# Characters XML 1.0 cannot hold (a unit's text may carry them): dropped, the rest kept as typed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _runs_xml(text: str, font: str) -> str:
    """The runs of a cell's text, a line break between its lines, in the table's font and size."""
    size = int(TABLE_SIZE * 2)
    props = (f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}"/>'
             f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>')
    lines = [escape(_NOT_XML.sub("", line)) for line in text.split("\n")]
    return "<w:r><w:br/></w:r>".join(f'<w:r>{props}<w:t xml:space="preserve">{line}</w:t></w:r>' for line in lines)


def _cell_xml(text: str, twips: int, font: str, center: bool, span: int = 1) -> str:
    pitch = int(TABLE_SIZE * 1.4 * 20)
    grid = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    return (f'<w:tc><w:tcPr><w:tcW w:w="{twips}" w:type="dxa"/>{grid}</w:tcPr><w:p><w:pPr>'
            f'<w:spacing w:before="0" w:after="0" w:line="{pitch}" w:lineRule="exact"/>'
            f'<w:jc w:val="{"center" if center else "left"}"/></w:pPr>{_runs_xml(text, font)}</w:p></w:tc>')


def _row_xml(values: Sequence[str], twips: Sequence[int], font: str, wrap_cols: set[int],
             header: bool = False) -> str:
    repeat = '<w:trPr><w:tblHeader w:val="true"/></w:trPr>' if header else ""
    cells = "".join(_cell_xml(v, w, font, i not in wrap_cols) for i, (v, w) in enumerate(zip(values, twips)))
    return f"<w:tr {nsdecls('w')}>{repeat}{cells}</w:tr>"


def _span_row_xml(text: str, twips: int, span: int) -> str:
    return f"<w:tr {nsdecls('w')}>{_cell_xml(text, twips, H1_FONT, False, span)}</w:tr>"


def _font(run: Any, name: str, size: float) -> None:
    """Set Latin and East-Asian font of a run (Word picks the East-Asian one for Chinese)."""
    run.font.name = name
    run.font.size = Pt(size)
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:  # pragma: no cover - python-docx adds it when the name is set
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def package_bytes(document: Any) -> bytes:
    """`document` saved as `Document.save` saves it, every member dated 1980-01-01 (equal
    documents are equal bytes) and deflated once: python-docx's own writer (`PackageWriter.write`)
    dates them now, so its zip had to be unpacked and deflated again (a city's 通报: 245 → 214 ms).
    A python-docx without the writer's steps gets the two-step way, with the same bytes."""
    package = document.part.package
    content_types = getattr(PackageWriter, "_write_content_types_stream", None)
    package_rels = getattr(PackageWriter, "_write_pkg_rels", None)
    part_files = getattr(PackageWriter, "_write_parts", None)
    if content_types is None or package_rels is None or part_files is None:
        buffer = BytesIO()
        document.save(buffer)
        return _fixed_zip(buffer.getvalue())
    parts = package.parts
    for part in parts:
        part.before_marshal()
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zip_file:
        writer = _DatedWriter(zip_file)
        content_types(writer, parts)
        package_rels(writer, package.rels)
        part_files(writer, parts)
    return out.getvalue()


class _DatedWriter:
    """python-docx's zip writer (`write(pack_uri, blob)`), each member dated 1980-01-01 with the
    permissions `ZipFile.writestr` gives a member named by text."""

    def __init__(self, zip_file: zipfile.ZipFile) -> None:
        self._zip = zip_file

    def write(self, pack_uri: Any, blob: bytes) -> None:
        info = zipfile.ZipInfo(pack_uri.membername, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        self._zip.writestr(info, blob)


def _fixed_zip(data: bytes) -> bytes:
    """The same package with every member dated 1980-01-01, so equal documents are equal bytes."""
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
