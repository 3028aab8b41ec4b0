"""The entries of a return: its rows, found by task id, each judged in its role.

Every row whose `序号` is a task id is an entry of the unit placed. Its role is the one the identity
sheet gave the row, else the one the register gives the unit in that task, else the sheet's
(`牵头`/`协办` in its name or title). A row is blocked (its entry counts as invalid) when its task is
not the unit's in that role, when its task id appears twice, when its locked cells were edited or
come from a stale template, or when its sheet belongs to another round; `validate.judge_entry`
judges the values. Rows with an unknown task id are reported, one by one or per sheet.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from excelflow.forms.headers import ID_HEADER, TASK_HEADER
from excelflow.forms.identity import Identity, fingerprint
from excelflow.intake.context import DataSheet, ReadContext
from excelflow.intake.extract import RowFound, cell_text, entry_rows, header_block_text, prefilled_values, title_ref
from excelflow.intake.identify import round_named
from excelflow.intake.records import EntryReport
from excelflow.intake.validate import Blocker, judge_entry
from excelflow.register.model import Register, Role, Round
from excelflow.wording import role_unit

_LIST_UNKNOWN_UP_TO = 5  # rows with an unknown 序号 listed one by one; beyond, one message per sheet


def read_entries(ctx: ReadContext, sheets: list[DataSheet], identity: Identity | None, unit: str,
             round_id: str) -> list[EntryReport]:
    register = ctx.register
    owed = _owed(register).get(unit, set())
    owed_role: dict[int, Role] = {task: role for task, role in owed}
    expected = {r.task_id: r for r in identity.rows} if identity is not None else {}
    rnd = register.round(round_id)
    if rnd is None:
        known = "、".join(r.id for r in register.rounds) or "(无)"
        sheet, header = sheets[0]
        ctx.problem("error", f"本文件属于轮次「{round_id}」,任务登记表中没有这个轮次(现有:{known}),"
                    "表中各项均不能采用。请核对是否报错了表,或让该单位使用本轮下发的填报表重新报送。",
                    sheet.name, title_ref(sheet, header))

    # Every row whose 序号 is a task id, grouped by task id (a duplicate is a problem).
    rows_by_task: dict[int, list[tuple[RowFound, DataSheet, bool]]] = {}
    for sheet, header in sheets:
        blocked = rnd is None
        if rnd is not None:
            message = _sheet_round_message(rnd, register, header_block_text(sheet, header))
            if message:
                ctx.problem("error", message, sheet.name, title_ref(sheet, header))
                blocked = True
        for row in entry_rows(sheet, header):
            rows_by_task.setdefault(row.task_id, []).append((row, (sheet, header), blocked))

    entries: list[EntryReport] = []
    unknown: dict[str, list[RowFound]] = {}  # sheet → rows whose 序号 is no task of the register
    for task_id, found in rows_by_task.items():
        row, (sheet, header), blocked = found[0]
        blockers: list[Blocker] = []
        if len(found) > 1:
            where = "、".join(f"工作表「{r.sheet}」第 {r.row} 行" for r, _, _ in found)
            blockers.append(Blocker(f"序号 {task_id} 出现了 {len(found)} 次({where}),无法判断以哪一行为准。"
                                    "请删除多余的行后重新报送。", row.refs.get(ID_HEADER)))
        task = register.task(task_id)
        if task is None:
            unknown.setdefault(row.sheet, []).extend(r for r, _, _ in found)
            continue
        ident = expected.get(task_id)
        role: Role
        if identity is not None:
            role = ident.role if ident is not None else owed_role.get(task_id, "co")
        else:
            role = owed_role.get(task_id) or _sheet_role(sheet.name + header_block_text(sheet, header)) or "co"
        if (task_id, role) not in owed:
            if task_id in owed_role:
                reason = (f"本单位在任务 {task_id} 中是{role_unit(owed_role[task_id])},"
                          f"不是{role_unit(role)}")
            else:
                reason = f"任务登记表中本单位不承担任务 {task_id}"
            if identity is not None and ident is None:
                reason += "(这一行不在下发给本单位的填报表中)"
            blockers.append(Blocker(f"{reason}。请核对序号,或与督查室确认分工。", row.refs.get(ID_HEADER)))
        if ident is not None and ident.fingerprint:
            blockers.extend(_fingerprint_blockers(
                ident.fingerprint, fingerprint(prefilled_values(sheet, header, row.row)),
                row, register.text_for(task, unit), TASK_HEADER, ID_HEADER))  # the text the unit was shown
        elif identity is None and TASK_HEADER in row.values:
            typed = _norm_text(row.values[TASK_HEADER])
            if typed and typed not in (_norm_text(task.text), _norm_text(register.text_for(task, unit))):
                ctx.problem("warning", f"任务 {task_id}:「任务内容」与任务登记表不一致,请核对序号是否对应。",
                            row.sheet, row.refs.get(TASK_HEADER))
        report, problems = judge_entry(row, unit, role, ctx.file, tuple(blockers), blocked)
        entries.append(report)
        ctx.problems.extend(problems)

    _unknown_ids(ctx, unknown)
    for task_id, ident in expected.items():
        if task_id not in rows_by_task:
            ctx.problem("warning", f"任务 {task_id} 的填报行没有找到(可能被删除或改了序号),该任务按未报处理。"
                        "请让填报单位恢复该行后重新报送。", ident.sheet)
    entries.sort(key=lambda e: (e.task_id, e.role))
    return entries


def _unknown_ids(ctx: ReadContext, unknown: dict[str, list[RowFound]]) -> None:
    """One error per row whose 序号 is not a task id, or one per sheet when there are many
    (a pasted list of 10,000 numbered rows must not make a 10,000-line receipt)."""
    for sheet, rows in unknown.items():
        rows.sort(key=lambda r: r.row)
        if len(rows) <= _LIST_UNKNOWN_UP_TO:
            for row in rows:
                ctx.problem("error", f"序号 {row.task_id} 不是任务登记表中的任务编号,该行未读取。请核对序号。",
                            row.sheet, row.refs.get(ID_HEADER))
            continue
        first = rows[0]
        shown = "、".join(str(r.task_id) for r in rows[:_LIST_UNKNOWN_UP_TO])
        ctx.problem("error", f"有 {len(rows)} 行的「序号」(从第 {first.row} 行起,如 {shown} 等)不是任务登记表中的"
                    "任务编号,这些行未读取。请核对序号;表格下方粘贴的明细等内容请删除后重新报送。",
                    sheet, first.refs.get(ID_HEADER))


# A collect pass reads every new file against one register: what each unit owes is worked out
# once per register object (expanding groups over 101 tasks costs ~25 ms), not once per file.
_OWED_CACHE: list[tuple[Register, dict[str, set[tuple[int, Role]]]]] = []


def _owed(register: Register) -> dict[str, set[tuple[int, Role]]]:
    """unit → {(task id, role)} the register expects of it."""
    if _OWED_CACHE and _OWED_CACHE[0][0] is register:
        return _OWED_CACHE[0][1]
    owed: dict[str, set[tuple[int, Role]]] = {}
    for entry in register.expected_entries():
        owed.setdefault(entry.unit, set()).add((entry.task_id, entry.role))
    _OWED_CACHE[:] = [(register, owed)]
    return owed


def _sheet_round_message(rnd: Round, register: Register, title: str) -> str | None:
    """An error when a sheet's title names another round of the register and not its own."""
    if not title or round_named(rnd, title):
        return None
    others = [r for r in register.rounds if r.id != rnd.id and round_named(r, title)]
    if not others:
        return None
    other = others[0]
    return (f"工作表标题表明这是「{other.name or other.id}」({other.id})的表,而本文件属于"
            f"「{rnd.name or rnd.id}」({rnd.id}),本工作表各项均不能采用。"
            "请核对是否报错了表,并使用本轮下发的填报表重新报送。")


def _sheet_role(text: str) -> Role | None:
    lead = any(w in text for w in ("牵头", "主办"))
    co = any(w in text for w in ("协办", "配合"))
    if lead == co:
        return None
    return "lead" if lead else "co"


def _norm_text(value: Any) -> str:
    """A task text as compared: NFKC, no white space."""
    text = cell_text(value)
    return _norm_known(text) if len(text) <= _KEPT_CHARS else _normalized(text)


def _normalized(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


# The register's task texts (and the same texts as a return holds them) are compared in every
# return that lists the task: each is normalized once per process (a tenth of a parse, before).
# Long texts are not kept: a hostile cell of 32,767 characters would hold memory for nothing.
_KEPT_CHARS = 2000
_norm_known = lru_cache(maxsize=4096)(_normalized)
_SPACE = re.compile(r"\s+")


def _fingerprint_blockers(expected: str, actual: str, row: RowFound, task_text: str,
                          task_header: str, id_header: str) -> list[Blocker]:
    """Errors for a row whose locked cells differ from what was handed out, or from the register."""
    refs = row.refs
    typed = _norm_text(row.values[task_header]) if task_header in row.values else None
    current = _norm_text(task_text)
    if expected != actual:
        if typed is not None and typed != current:
            return [Blocker("「任务内容」与下发的填报表不同,可能被改动。预填内容不能修改:请恢复原文,"
                            "或使用下发的填报表重新填报。", refs.get(task_header))]
        return [Blocker("预填的锁定内容(任务内容、牵头/协办单位、报送截止等)与下发时不同,可能被改动。"
                        "请使用下发的填报表重新填报,不要修改预填内容。", refs.get(id_header))]
    if typed is not None and typed != current:
        return [Blocker("此表是按旧版任务登记表生成的(该任务的内容已更新)。请使用最新下发的填报表重新填报。",
                        refs.get(task_header))]
    return []
