"""The draft notification `outbox/R/R-通报.docx`: the usual 通报, in neutral wording, from the numbers.

Structure of such a notice: title, addressee, an opening that cites the task notice, then
一、总体情况 (figures), 二、报送情况 (units on time / late / still owing), 三、推进滞后的任务, 四、下步
工作要求, the attachment line and the office's signature and date. The clerk edits it rather than
writes it; a red line at the top says it is a draft.

Layout follows the usual government document format (GB/T 9704): A4, title 22 pt 小标宋,
body 16 pt 仿宋 with a fixed 28 pt line pitch and a two-character first-line indent, level-one
headings 黑体, level-two 楷体. Where these fonts are missing the office suite substitutes a CJK
font. Unit text goes in as plain runs: no field, no hyperlink, whatever the unit typed.

The bytes are deterministic for equal figures: core properties are fixed to the as-of day and
the zip is rewritten with fixed member times (python-docx stamps members with the clock).
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, time
from io import BytesIO
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from excelflow.register.statuses import BEHIND, CHOICES, NOT_STARTED
from excelflow.reports.figures import INCOMPLETE_LABEL, INVALID_LABEL, MISSING_LABEL, Comparison, TaskRow
from excelflow.wording import day

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
ADDRESSEE = "各有关单位："
TASK_TEXT_CHARS = 40  # a behind-schedule task is named by the start of its text


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _short(text: str) -> str:
    text = re.sub(r"\s+", "", text)
    return text if len(text) <= TASK_TEXT_CHARS else text[:TASK_TEXT_CHARS] + "……"


# -- the words ---------------------------------------------------------------------------------
def paragraphs(c: Comparison) -> list[tuple[str, str]]:
    """The notice as (style, text) pairs: title, addressee, body, h1, h2, attachment, sign, date."""
    out: list[tuple[str, str]] = [("title", f"{c.office}关于{c.period}重点工作推进情况的通报"), ("addressee", ADDRESSEE)]
    source = f"《{c.title}》" if c.title else "重点工作责任分工"
    out.append(("body", f"为推动{source}确定的各项重点工作落到实处，{c.office}对{c.period}重点工作"
                        f"推进情况进行了调度。现将有关情况通报如下："))

    co, lead, both = c.link("co"), c.link("lead"), c.link("all")
    e = both.entries
    tasks = len({t.task.id for t in c.tasks})
    out.append(("h1", "一、总体情况"))
    out.append(("body",
                f"本轮调度涉及重点工作{tasks}项，应报送{e.expected}条（牵头单位{lead.entries.expected}条、"
                f"协办单位{co.entries.expected}条），涉及单位{both.units_expected}个。截至{day(c.as_of)}，"
                f"已报送{e.received}条，报送率{_pct(e.reporting_rate)}；按时报送{e.on_time}条，"
                f"按时率{_pct(e.on_time_rate)}；逾期报送{e.late}条，未报送{e.missing}条，"
                f"内容不完整{e.incomplete}条，无效{e.invalid}条。其中，协办单位报牵头单位按时率"
                f"{_pct(co.entries.on_time_rate)}，牵头单位报{c.office}按时率{_pct(lead.entries.on_time_rate)}。"))
    s = c.status_totals
    status_text = "、".join(f"{label}{s[label]}条" for label in CHOICES)
    gaps = [f"{label}{s[label]}条" for label in (MISSING_LABEL, INCOMPLETE_LABEL, INVALID_LABEL) if s[label]]
    sentence = f"从牵头单位报送的完成状态看，{status_text}"
    sentence += ("，另有" + "、".join(gaps) + "。") if gaps else "。"
    if c.has_milestones:
        classes = [t.plan_class for t in c.tasks]
        sentence += ("对照各牵头单位落实方案，" + "、".join(
            f"{k}{classes.count(k)}条" for k in ("超进度", "达进度", "欠进度")) + "。")
    out.append(("body", sentence))

    out.append(("h1", "二、报送情况"))
    on_time = [u.unit for u in c.units if u.tally.on_time == u.tally.expected]
    late = [u for u in c.units if u.tally.late]
    owing = [u for u in c.units if u.tally.missing or u.tally.invalid or u.tally.incomplete]
    out.append(("h2", f"（一）全部按时报送的单位（{len(on_time)}个）。"))
    out.append(("body", ("、".join(on_time) + "。") if on_time else "无。"))
    out.append(("h2", f"（二）存在逾期报送的单位（{len(late)}个）。"))
    out.append(("body", ("、".join(f"{u.unit}（逾期{u.tally.late}条，累计{u.days_late}天）" for u in late) + "。")
                if late else "无。"))
    out.append(("h2", f"（三）尚未完成报送的单位（{len(owing)}个）。"))
    if owing:
        def owed(u: Any) -> str:
            t = u.tally
            parts = [f"{name}{n}条" for name, n in (("未报送", t.missing), ("内容不完整", t.incomplete),
                                                   ("无效", t.invalid)) if n]
            return f"{u.unit}（{'、'.join(parts)}）"
        out.append(("body", "、".join(owed(u) for u in owing) + "。"))
    else:
        out.append(("body", "无。"))
    notes = [u for u in c.units if u.note]
    if notes:
        out.append(("h2", f"（四）牵头单位逾期、其协办单位亦逾期或未报的情况（{len(notes)}个牵头单位）。"))
        out.extend(("body", f"{u.unit}：{u.note}。") for u in notes)

    out.append(("h1", "三、推进滞后的任务"))
    behind = [t for t in c.tasks if t.status_label in (BEHIND, NOT_STARTED) or t.plan_class == "欠进度"]
    if behind:
        out.append(("body", f"牵头单位报告为滞后、未启动或未达落实方案进度的任务{len(behind)}条："))
        for i, t in enumerate(behind, start=1):
            out.append(("body", _behind_line(i, t)))
        twice = [t for t in behind if t.previous_label == BEHIND and t.status_label == BEHIND]
        if twice:
            out.append(("body", "其中，" + "、".join(f"第{t.task.id}项" for t in twice) + "连续两轮报告滞后。"))
    else:
        out.append(("body", "本轮没有牵头单位报告滞后、未启动或未达落实方案进度的任务。"))

    out.append(("h1", "四、下步工作要求"))
    out.append(("body", "（一）请尚未报送、报送无效或内容不完整的单位抓紧补报，于收到本通报后3个工作日内"
                        f"报送{c.office}。"))
    out.append(("body", "（二）请进度滞后、尚未启动任务的牵头单位认真分析原因，明确整改措施和完成时限，"
                        "加快推进，确保完成全年目标任务。"))
    out.append(("body", "（三）各牵头单位要切实履行牵头抓总职责，及时督促协办单位按时报送，"
                        "综合协办单位情况后统一报送。"))
    out.append(("body", f"（四）{c.office}将持续跟踪调度，在下一轮调度中对比通报各单位推进情况。"))
    out.append(("attachment", f"附件：{c.period}重点工作推进情况对比表（{c.round.id}-对比通报.xlsx）"))
    out.append(("sign", c.office))
    out.append(("sign", day(c.as_of)))
    return out


def _behind_line(i: int, t: TaskRow) -> str:
    status = t.status_label + (f"，对照计划{t.plan_class}" if t.plan_class else "")
    line = f"{i}. 第{t.task.id}项：{_short(t.task.text)}（牵头单位：{t.lead}；完成状态：{status}）"
    if t.content is not None and t.content.problems.strip():
        line += f"。存在问题：{t.content.problems.strip()}"
    return line + ("" if line.endswith("。") else "。")


# -- the document ------------------------------------------------------------------------------
def notification_bytes(c: Comparison) -> bytes:
    """The draft notification as .docx bytes (deterministic for equal `c`)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    def add(text: str, font: str, size: float, *, align: Any = None, indent: bool = False,
            bold: bool = False, color: RGBColor | None = None, before: float = 0) -> None:
        p = doc.add_paragraph()
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(max(28, size * 1.3))
        fmt.space_after = Pt(0)
        fmt.space_before = Pt(before)
        if indent:
            fmt.first_line_indent = Pt(size * 2)
        if align is not None:
            p.alignment = align
        run = p.add_run(text)
        _font(run, font, size)
        run.bold = bold
        if color is not None:
            run.font.color.rgb = color

    add(f"【草稿】根据截至{day(c.as_of)}的报送数据自动生成，请核对、修改后印发，并删除本行。",
        BODY_FONT, 12, color=RGBColor(0xC0, 0x00, 0x00))
    for style, text in paragraphs(c):
        if style == "title":
            add(text, TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, before=12)
            add("", BODY_FONT, 16)
        elif style == "addressee":
            add(text, BODY_FONT, 16)
        elif style == "h1":
            add(text, H1_FONT, 16, indent=True)
        elif style == "h2":
            add(text, H2_FONT, 16, indent=True)
        elif style == "attachment":
            add("", BODY_FONT, 16)
            add(text, BODY_FONT, 16, indent=True)
        elif style == "sign":
            if text == c.office:
                add("", BODY_FONT, 16)
            add(text, BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT)
        else:
            add(text, BODY_FONT, 16, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)

    stamp = datetime.combine(c.as_of, time())
    props = doc.core_properties
    props.author = props.last_modified_by = c.office
    props.title = f"关于{c.period}重点工作推进情况的通报"
    props.created = props.modified = stamp
    props.revision = 1
    buffer = BytesIO()
    doc.save(buffer)
    return _fixed_zip(buffer.getvalue())


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
