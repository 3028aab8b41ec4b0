"""A receipt (回执) per return, for the clerk to send back to the unit that sent it.

`outbox/R/receipts/回执-<unit>-<received>-<sha8>.xlsx` and a `.txt` twin with the same text (to
paste into a chat or an e-mail). Its first line says what the unit must do, if anything
(`第3项无效,请改正后重报` / `逾期3天,已收` / `全部收到,无需操作`); then what was received and
when, which entries were accepted, which need filling in, and every warning and error with file,
sheet and cell, errors first, so the unit can correct and send again without phoning the office.

A receipt depends only on its return and the register: it is written once, when the return is
first collected (a later pass that finds the same bytes produces the same bytes and so rewrites
nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any, NamedTuple

from excelflow.files import shown
from excelflow.intake.records import LEVEL_NAMES, OUTCOME_NAMES, EntryReport, Submission
from excelflow.register.model import Register
from excelflow.reports.ledger import EntryState, Key
from excelflow.wording import full_moment, late_text, role_name, round_name, short_day
from excelflow.xlsx import (
    DEFAULT_FONTS,
    fit_page_width,
    new_workbook,
    protect,
    row_height,
    setup_print,
    standard_formats,
    write_cells,
)

CONFIDENCE_NAMES = {
    "identity": "按表内标识识别(确定)",
    "header": "按表头填写的单位名称识别(较确定,请核实)",
    "filename": "仅按文件名识别(请核实)",
}
KIND_NAMES = {"report": "填报表", "rollup": "牵头汇总表", "plan": "落实方案"}
TASK_TEXT_CHARS = 40
NOTE = ("如需更正,请在原表上修改后重新报送;以最后一次有效报送的内容为准,"
        "是否按时以该条目首次有效报送的时间为准。")


ACCEPTED = "已收"
INVALID = "无效(未采用)"
INCOMPLETE = "不完整(请补填)"
NOTHING_TO_DO = "全部收到,无需操作"


def entry_result(sub: Submission, entry: EntryReport) -> str:
    if sub.outcome == "rejected" or not entry.usable:
        return INVALID
    if not entry.complete:
        return INCOMPLETE
    return ACCEPTED


def timeliness(sub: Submission, entry: EntryReport, states: Mapping[Key, EntryState]) -> str:
    """`按时` / `逾期3天` as the ledger judges the entry (from its first good version), for an entry
    this return reports usably and completely; '' otherwise (its result says why)."""
    state = states.get((entry.task_id, entry.unit, entry.role))
    if entry_result(sub, entry) != ACCEPTED or state is None or state.state not in ("on_time", "late"):
        return ""
    return state.label


def _ids(ids: Sequence[int]) -> str:
    return "第" + "、".join(str(i) for i in sorted(dict.fromkeys(ids))) + "项"


class Action(NamedTuple):
    """A receipt's first line, and whether it leaves the unit nothing to do (drawn green, else red)."""

    text: str
    settled: bool


def action_line(sub: Submission, register: Register, states: Mapping[Key, EntryState]) -> Action:
    """What the unit must do about this return, first: correct, fill in, send the rest, or nothing.

    `第3项无效、第5项不完整,请改正后重报`; `第7项未报,请补报`; `逾期3天,已收`; `全部收到,无需操作`.
    Entries the unit owes in this round that this return does not hold and no earlier one gave
    are named too (a row deleted, a sheet left out).
    """
    if sub.unit is None or sub.round_id is None or register.round(sub.round_id) is None:
        return Action("未能识别本文件属于哪个单位或哪一轮,未采用;请使用下发的填报表填写后重新报送", False)
    if sub.outcome == "rejected":
        reason = next((p.message for p in sub.problems if p.level == "error"), "")
        return Action("本文件未接收,请改正后重报" + (f"({reason.rstrip('。')})" if reason else ""), False)
    if sub.kind == "plan":  # a plan carries goals, not progress entries: nothing is owed through it
        errors = [p for p in sub.problems if p.level == "error"]
        if not errors:
            return Action("落实方案已收,无需操作", True)
        return Action(f"落实方案已收,有 {len(errors)} 处须改正后重报(见下)", False)
    invalid = [e.task_id for e in sub.entries if entry_result(sub, e) == INVALID]
    incomplete = [e.task_id for e in sub.entries if entry_result(sub, e) == INCOMPLETE]
    present = {(e.task_id, e.role) for e in sub.entries}
    kinds = ("lead",) if sub.kind == "rollup" else ("lead", "co")
    # The unit's own expected entries (indexed by the register), not every state of the round: a
    # scan of all states per receipt was quadratic (2 ms a receipt for a city's 10,000 entries).
    owed = []
    for e in register.entries_of(sub.unit):
        state = states.get((e.task_id, e.unit, e.role))
        if e.role in kinds and (e.task_id, e.role) not in present and state is not None and state.state == "missing":
            owed.append(e.task_id)
    todo = []
    if invalid:
        todo.append(f"{_ids(invalid)}无效")
    if incomplete:
        todo.append(f"{_ids(incomplete)}不完整")
    if todo:
        tail = f";另有{_ids(owed)}未报,请一并补报" if owed else ""
        return Action("、".join(todo) + (",请改正后重报" if invalid else ",请补填后重报") + tail, False)
    if owed:
        return Action(f"{_ids(owed)}未报,请补报", False)
    late = [states[(e.task_id, e.unit, e.role)].days_late for e in sub.entries
            if (e.task_id, e.unit, e.role) in states and states[(e.task_id, e.unit, e.role)].state == "late"
            and entry_result(sub, e) == ACCEPTED]
    if late:
        return Action(f"{late_text(max(late))},已收" + ("" if len(late) == len(sub.entries) else f"({len(late)}项逾期)"),
                      True)
    if not sub.entries:
        return Action("本文件中没有可读取的填报行,未采用;请使用下发的填报表填写后重新报送", False)
    return Action(NOTHING_TO_DO, True)


@dataclass(frozen=True)
class Receipt:
    """What a receipt says, as rows of text (the .xlsx and .txt render the same rows)."""

    action: str  # what the unit must do: the receipt's first line
    title: str
    facts: tuple[tuple[str, str], ...]
    entries: tuple[tuple[str, ...], ...]
    problems: tuple[tuple[str, ...], ...]
    settled: bool = False  # nothing left for the unit to do: the first line is drawn green, else red


def receipt_to_json(receipt: Receipt) -> dict[str, Any]:
    """The receipt as JSON, for drawing it in a worker process (`receipt_from_json` gives it back equal)."""
    return {"action": receipt.action, "title": receipt.title, "facts": receipt.facts,
            "entries": receipt.entries, "problems": receipt.problems, "settled": receipt.settled}


def receipt_from_json(d: Mapping[str, Any]) -> Receipt:
    def rows(items: Any) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(str(v) for v in row) for row in items)

    facts = tuple((str(label), str(value)) for label, value in d["facts"])
    return Receipt(str(d["action"]), str(d["title"]), facts, rows(d["entries"]), rows(d["problems"]),
                   bool(d["settled"]))


ENTRY_HEADERS = ("序号", "任务", "身份", "完成状态", "完成进度(%)", "是否按时", "处理结果")
PROBLEM_HEADERS = ("级别", "说明", "工作表", "单元格", "序号")


def make_receipt(sub: Submission, register: Register, states: Mapping[Key, EntryState]) -> Receipt:
    """What the receipt of `sub` says; `states` are the entry states of its round (the ledger's)."""
    rnd = register.round(sub.round_id) if sub.round_id else None
    kind = KIND_NAMES.get(sub.kind or "", "文件")
    title = f"回执:{sub.unit or '未能识别的文件'}{'' if rnd is None else ' ' + round_name(rnd)}{kind}"
    facts: list[tuple[str, str]] = [
        ("报送单位", sub.unit or "未能识别(请在文件中注明单位,或使用下发的填报表)"),
        ("识别方式", CONFIDENCE_NAMES.get(sub.confidence or "", "未能识别")),
        ("文件", shown(sub.path)),  # a unit's file name: control, bidi and undecodable characters escaped
        ("接收时间", full_moment(sub.received_at)),
        ("文件校验码", sub.sha256[:16]),
        ("轮次", f"{round_name(rnd)}({rnd.id})" if rnd else (sub.round_id or "未能识别")),
    ]
    if rnd is not None:
        roles = sorted({e.role for e in sub.entries}, key=("lead", "co").index)
        for role in roles or ("co", "lead"):
            facts.append((f"{role_name(role)}截止", short_day(rnd.deadline(role))))
    facts.append(("处理结果", OUTCOME_NAMES[sub.outcome]))
    counts = _counts(sub)
    facts.append(("条目", counts))
    entries = tuple(
        (str(e.task_id), _task_text(register, e.task_id), role_name(e.role), e.status or e.status_raw,
         "" if e.progress is None else f"{e.progress:g}", timeliness(sub, e, states),
         entry_result(sub, e))
        for e in sub.entries
    )
    problems = tuple(
        (LEVEL_NAMES[p.level], shown(p.message), shown(p.sheet or ""), p.cell or "",
         "" if p.task_id is None else str(p.task_id))
        for p in sorted(sub.problems, key=lambda p: (p.level != "error", p.sheet or "", _cell_key(p.cell)))
    )
    action = action_line(sub, register, states)
    return Receipt(action.text, title, tuple(facts), entries, problems, action.settled)


def _counts(sub: Submission) -> str:
    results = [entry_result(sub, e) for e in sub.entries]
    errors = sum(1 for p in sub.problems if p.level == "error")
    warnings = len(sub.problems) - errors
    return (f"共 {len(results)} 条:已收 {results.count(ACCEPTED)} 条,不完整 {results.count(INCOMPLETE)} 条,"
            f"无效 {results.count(INVALID)} 条;错误 {errors} 个,提示 {warnings} 个")


def _cell_key(cell: str | None) -> tuple[int, str]:
    if not cell:
        return (0, "")
    digits = "".join(ch for ch in cell if ch.isdigit())
    return (int(digits) if digits else 0, cell)


def _task_text(register: Register, task_id: int) -> str:
    task = register.task(task_id)
    if task is None:
        return ""
    text = task.text
    return text if len(text) <= TASK_TEXT_CHARS else text[:TASK_TEXT_CHARS] + "…"


def receipt_text(receipt: Receipt) -> str:
    """The receipt as plain text (for a chat message or an e-mail)."""
    # What to do first, then what is wrong (errors before warnings), then the facts and entries.
    lines = [receipt.action, receipt.title]
    if receipt.problems:
        lines += ["", "问题(错误须改正后重报;提示请核实):"]
        for level, message, sheet, cell, number in receipt.problems:
            where = " ".join(x for x in (f"工作表「{sheet}」" if sheet else "", f"单元格 {cell}" if cell else "",
                                         f"第{number}项" if number else "") if x)
            lines.append(f"  [{level}] {where + ':' if where else ''}{message}")
    lines.append("")
    lines += [f"{label}:{value}" for label, value in receipt.facts]
    if receipt.entries:
        lines += ["", "条目:"]
        for row in receipt.entries:
            number, _, role, status, progress, timely, result = row
            extra = "、".join(x for x in (status, f"{progress}%" if progress else "", timely) if x)
            lines.append(f"  第{number}项({role}):{result}" + (f"({extra})" if extra else ""))
    lines += ["", NOTE, ""]
    return "\n".join(lines)


def build_receipt(receipt: Receipt, received_at: datetime) -> bytes:
    """The receipt as an .xlsx (A4 portrait; deterministic bytes for the same receipt)."""
    buffer = BytesIO()
    workbook = new_workbook(buffer)
    workbook.set_properties({"title": receipt.title, "author": "excelflow", "created": received_at})
    f = standard_formats(workbook)
    sheet = workbook.add_worksheet("回执")
    # No merged cells but the action, the title and the closing note: the long texts (fact values,
    # task, problem messages) all sit in the wide column B, which keeps a receipt cheap to write.
    # Sized to print on A4 portrait at 9 pt or more (`xlsx.fit_page_width`).
    widths = tuple(fit_page_width((8, 30, 6, 8, 7, 9, 12), False, DEFAULT_FONTS.body.size, (1,)))
    for c, w in enumerate(widths):
        sheet.set_column(c, c, w)
    last = len(widths) - 1
    action = workbook.add_format({**DEFAULT_FONTS.title.properties(), "font_size": 14, "text_wrap": True,
                                  "valign": "vcenter", "align": "left", "locked": True,
                                  "font_color": "#006100" if receipt.settled else "#C00000",
                                  "bg_color": "#E2EFDA" if receipt.settled else "#FFE0E0", "border": 1})
    sheet.merge_range(0, 0, 0, last, receipt.action, action)
    sheet.set_row(0, row_height([(receipt.action, sum(widths))], font_size=14))
    sheet.merge_range(1, 0, 1, last, receipt.title, f.title)
    sheet.set_row(1, row_height([(receipt.title, sum(widths))], font_size=DEFAULT_FONTS.title.size))
    r = 3
    # The problems come before the entries: a return of 52 rows must not hide its one error on page 3.
    if receipt.problems:
        sheet.write_string(r, 0, "问题", f.label)
        sheet.merge_range(r, 1, r, last, "错误须改正后重新报送;提示请核实", f.subtitle)
        r += 1
        r = _write_table(sheet, r, PROBLEM_HEADERS, receipt.problems, f, widths, wrapped=(1, 2)) + 1
    for label, value in receipt.facts:
        sheet.write_string(r, 0, label, f.header)
        sheet.write_string(r, 1, value, f.locked)
        sheet.set_row(r, row_height([(value, widths[1])]))
        r += 1
    r += 1
    if receipt.entries:
        r = _write_table(sheet, r, ENTRY_HEADERS, receipt.entries, f, widths, wrapped=(1,)) + 1
    sheet.merge_range(r, 0, r, last, NOTE, f.note)
    sheet.set_row(r, row_height([(NOTE, sum(widths))], font_size=DEFAULT_FONTS.body.size))
    setup_print(sheet, landscape=False, footer_left=receipt.title)
    protect(sheet)
    workbook.close()
    return buffer.getvalue()


def _write_table(sheet: Any, r: int, headers: Sequence[str], rows: Sequence[Sequence[str]], f: Any,
                 widths: Sequence[float], wrapped: Sequence[int]) -> int:
    """A header row and its text rows from row `r`; rows are as tall as their `wrapped` columns,
    the header as its longest name (`完成进度(%)` takes two lines in its narrow column)."""
    write_cells(sheet, r, 0, [(header, f.header) for header in headers])
    sheet.set_row(r, row_height(list(zip(headers, widths))))
    r += 1
    for row in rows:
        write_cells(sheet, r, 0, [(value, f.locked if c == 1 else f.locked_center) for c, value in enumerate(row)])
        sheet.set_row(r, row_height([(row[c], widths[c]) for c in wrapped]))
        r += 1
    return r
