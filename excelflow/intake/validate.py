"""Judge one entry row: two levels, as Chinese report-filling systems do.

Errors block the entry (`usable=False`): a status that is not one of the choices after
normalisation, progress outside 0–100, plus what intake found about the row itself (wrong round,
a task the unit does not owe in that role, edited task text or a stale template). Warnings keep
the entry but show: an empty required field (`complete=False`), 已完成 with progress under 100,
滞后 without 存在问题, a progress figure read in a way the unit should confirm. Every message names
the task and says what to do; the Problem carries file, sheet and cell.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from excelflow.forms.headers import (
    NEXT_HEADER,
    PERCENT_HEADER,
    PROBLEMS_HEADER,
    PROGRESS_HEADER,
    REMARKS_HEADER,
    STATUS_HEADER,
)
from excelflow.intake.extract import RowFound, cell_text
from excelflow.intake.records import EntryReport, Level, Problem
from excelflow.register.model import Role
from excelflow.register.statuses import BEHIND, CHOICES, DONE, normalise_status

_CHOICES_TEXT = "、".join(CHOICES)
_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*%?$")
_NUMBER_IN_TEXT = re.compile(r"(\d+(?:\.\d+)?)\s*%")


@dataclass(frozen=True)
class Blocker:
    """An error intake found about a row (not its values): blocks the entry."""

    message: str
    cell: str | None = None


@dataclass(frozen=True)
class Progress:
    """A 完成进度(%) cell as read: the value, and a note when the unit should confirm it."""

    value: float | None
    note: str | None = None  # reading needed a guess: a warning
    unreadable: bool = False


def read_progress(raw: Any) -> Progress:
    """`80`, `80.0`, `'80%'`, `'８０'`, `0.8` from a percent-formatted cell → 80.

    A fraction strictly between 0 and 1 is read as a percent-formatted cell (Excel stores 80% as
    0.8) and noted; text with one `NN%` inside (`约80%`) is read and noted; anything else that is
    not a number is unreadable (a warning: progress is secondary to status and text).
    """
    if isinstance(raw, bool):
        return Progress(None, unreadable=True)
    if isinstance(raw, (int, float)):
        return _scaled(float(raw)) if math.isfinite(raw) else Progress(None, unreadable=True)
    text = unicodedata.normalize("NFKC", cell_text(raw)).strip()
    if not text:
        return Progress(None)
    match = _NUMBER.match(text)
    if match:
        value = float(match.group(1))
        return Progress(value) if text.endswith("%") else _scaled(value)
    found = _NUMBER_IN_TEXT.findall(text)
    if len(found) == 1:
        return Progress(float(found[0]), note=f"从「{cell_text(raw)}」中读出 {_fmt(float(found[0]))}%")
    return Progress(None, unreadable=True)


def _scaled(value: float) -> Progress:
    if 0 < value < 1:
        return Progress(value * 100, note=f"单元格的值是 {value:g},按百分比格式理解为 {_fmt(value * 100)}%")
    return Progress(value)


def _fmt(value: float) -> str:
    return f"{value:g}"


def judge_entry(row: RowFound, unit: str, role: Role, file: str, blockers: tuple[Blocker, ...] = (),
                blocked_by_file: bool = False) -> tuple[EntryReport, list[Problem]]:
    """The entry one row reports, and the problems found on it.

    `blocked_by_file`: an error reported once for the whole sheet or file (e.g. wrong round)
    also blocks this entry; it is not repeated on every row.
    """
    problems: list[Problem] = []

    def add(level: Level, message: str, cell: str | None) -> None:
        problems.append(Problem(level=level, message=f"任务 {row.task_id}:{message}", file=file,
                                sheet=row.sheet, cell=cell, task_id=row.task_id, role=role))

    for blocker in blockers:
        add("error", blocker.message, blocker.cell)

    status_raw = cell_text(row.values.get(STATUS_HEADER, ""))
    status = normalise_status(status_raw)
    progress = read_progress(row.values.get(PERCENT_HEADER, ""))
    text = cell_text(row.values.get(PROGRESS_HEADER, ""))
    issues = cell_text(row.values.get(PROBLEMS_HEADER, ""))
    steps = cell_text(row.values.get(NEXT_HEADER, ""))
    remarks = cell_text(row.values.get(REMARKS_HEADER, ""))
    ref = row.refs.get
    usable = not blockers and not blocked_by_file
    complete = True

    if status_raw and status is None:
        add("error", f"「完成状态」填的是「{status_raw}」,不是可选值({_CHOICES_TEXT})之一。请从下拉列表中选择后重新报送。",
            ref(STATUS_HEADER))
        usable = False
    if progress.value is not None and not 0 <= progress.value <= 100:
        add("error", f"「完成进度(%)」为 {_fmt(progress.value)},应在 0 到 100 之间。请改正后重新报送。", ref(PERCENT_HEADER))
        usable = False
    elif progress.note:
        add("warning", f"「完成进度(%)」{progress.note};如不对,请填写 0 到 100 的数字。", ref(PERCENT_HEADER))
    if progress.unreadable:
        add("warning", f"「完成进度(%)」填的是「{cell_text(row.values.get(PERCENT_HEADER))}」,不是数字,已忽略。"
            "请填写 0 到 100 的数字。", ref(PERCENT_HEADER))

    if not status_raw and not text and not issues and not steps:
        add("warning", "本行未填写(「完成状态」「进展情况」均为空),视为未完成填报。请填写后重新报送。", ref(STATUS_HEADER))
        complete = False
    else:
        if not status_raw:
            add("warning", f"未填「完成状态」。请从下拉列表选择({_CHOICES_TEXT})。", ref(STATUS_HEADER))
            complete = False
        if not text:
            add("warning", "未填「进展情况」。请简要写明本轮工作进展。", ref(PROGRESS_HEADER))
            complete = False
    if status == DONE and progress.value is not None and progress.value < 100:
        add("warning", f"「完成状态」为「已完成」,但「完成进度(%)」为 {_fmt(progress.value)}。请核对。",
            ref(PERCENT_HEADER))
    if status == BEHIND and not issues:
        add("warning", "「完成状态」为「滞后」,但未填「存在问题」。请说明滞后的原因。", ref(PROBLEMS_HEADER))

    value = progress.value if progress.value is not None and 0 <= progress.value <= 100 else None
    report = EntryReport(
        task_id=row.task_id, unit=unit, role=role, status=status, status_raw=status_raw,
        progress=value, progress_text=text, problems=issues, next_steps=steps, remarks=remarks,
        usable=usable, complete=complete,
    )
    return report, problems
