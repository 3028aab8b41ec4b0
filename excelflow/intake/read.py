"""Intake: find returns in the inbox, read each once, identify it, extract entries, validate.

This module is the public face other modules use; the jobs live in `scan.py` (inbox, bytes,
pending files), `extract.py` (workbook → rows by task id) and `validate.py` (two-level checks of
an entry); this module identifies the return (unit, round, role of each row) and assembles the
`Submission`.
`read_return` never raises for a bad workbook: every problem becomes a `Problem` record and the
`Submission.outcome` says accepted / accepted_with_warnings / pending / rejected.

Outcomes: `pending` — the bytes look like a copy still in progress (retry next run);
`rejected` — the file cannot be read or placed, or none of its entries is usable (its entries,
all `usable=False`, are still listed so the ledger can mark them invalid rather than missing);
`accepted_with_warnings` — at least one usable entry and some problem to show; `accepted`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from excelflow.register.model import Register, Role, Round
from excelflow.intake.scan import Candidate, looks_incomplete, read_bytes, scan_inbox
from excelflow.intake.records import Confidence, EntryReport, Level, Outcome, Problem, Submission

if TYPE_CHECKING:  # pragma: no cover - heavier modules are imported only when a file is parsed
    from excelflow.intake.extract import Header, RowFound, SheetData
    from excelflow.forms.identity import Identity
    from excelflow.notice.units import UnitResolver
    from excelflow.intake.validate import Blocker

DataSheet = tuple["SheetData", "Header"]

__all__ = ["Candidate", "scan_inbox", "read_bytes", "looks_incomplete", "read_return"]

_NO_FORM = ("找不到填报表:没有哪个工作表含有「序号」「完成状态」「进展情况」等表头。"
            "请让填报单位使用下发的填报表填写,不要删除或改动表头行。")
_LIST_UNKNOWN_UP_TO = 5  # rows with an unknown 序号 listed one by one; beyond, one message per sheet
STALE_MESSAGE = ("文件一直不完整:超过一天没有任何变化,仍缺少结尾部分(或为空文件),不是正在复制,而是已损坏或保存失败,"
                 "未接收。请让填报单位用 Excel 或 WPS 重新保存后再报送;新文件放入收件箱后会自动收集。")
PENDING_MESSAGE = ("文件不完整,可能仍在复制或保存中,本次未读取,下次收集时会自动重试。"
                   "如果一直如此,请让填报单位重新报送。")


def read_return(data: bytes, path: str, received_at: datetime, register: Register, *,
                stale_pending: bool = False) -> Submission:
    """Parse one return from memory and judge it. `path` is the inbox-relative name (for messages).

    `stale_pending`: the caller has seen these bytes incomplete and unchanged for
    `scan.STALE_AFTER` (see `scan.PendingLog`): an incomplete file is then rejected as damaged
    rather than left pending forever.
    """
    sha = hashlib.sha256(data).hexdigest()
    base = Submission(path=path, sha256=sha, size=len(data), received_at=received_at, outcome="rejected")
    if looks_incomplete(data, path):
        if stale_pending:
            return _with(base, "rejected", Problem("error", STALE_MESSAGE, path))
        return _with(base, "pending", Problem("warning", PENDING_MESSAGE, path))
    # Imported here: a pass with nothing new never parses a workbook and need not load these.
    from excelflow.intake.extract import WorkbookUnreadable

    try:
        return _read_workbook(data, base, register)
    except WorkbookUnreadable as exc:
        return _with(base, "rejected", Problem("error", str(exc), path))
    except Exception as exc:  # noqa: BLE001 - one strange file must never stop a batch
        return _with(base, "rejected", Problem(
            "error", f"读取时出现意外错误({type(exc).__name__}: {exc}),本文件未接收。"
            "请用 Excel 或 WPS 打开后另存为 .xlsx 重新报送;如仍出现,请把此文件交给技术支持。", path))


def _with(base: Submission, outcome: Outcome, problem: Problem) -> Submission:
    return replace(base, outcome=outcome, problems=(problem,))


# -- reading one workbook -------------------------------------------------------------------------
def _read_workbook(data: bytes, base: Submission, register: Register) -> Submission:
    reader = _Reader(data, base, register)
    return replace(base, **reader.run())


class _Reader:
    """Reads one return: identity or guess, data sheets, entries, problems."""

    def __init__(self, data: bytes, base: Submission, register: Register):
        from excelflow.intake.extract import Workbook

        self.file = base.path
        self.base = base
        self.register = register
        self.book = Workbook(data, base.path)
        self.problems: list[Problem] = []

    def problem(self, level: Level, message: str, sheet: str | None = None, cell: str | None = None) -> None:
        self.problems.append(Problem(level, message, self.file, sheet, cell))

    def run(self) -> dict[str, Any]:
        from excelflow.forms.identity import IDENTITY_SHEET, IdentityUnreadable, read_identity

        identity: Identity | None = None
        if IDENTITY_SHEET in self.book.sheet_names:
            try:
                identity = read_identity(self.book.sheet(IDENTITY_SHEET).rows)
            except IdentityUnreadable as exc:
                self.problem("warning", f"{exc},改按表头中的填报单位和文件名识别。", IDENTITY_SHEET)
        if identity is not None and identity.kind == "plan":
            return self._plan(identity)
        sheets = self._data_sheets(identity)
        if identity is not None:
            unit = _resolve_unit(self.register, identity.unit)
            if unit is None:
                self.problem("error", f"文件标识中的填报单位「{identity.unit}」不在任务登记表中,无法归属。"
                             "请核对登记表「单位」表(单位是否改名),或让该单位使用本轮下发的填报表重新报送。", IDENTITY_SHEET)
                return self._result("rejected", kind=identity.kind, round_id=identity.round_id)
            round_id, confidence, kind = identity.round_id, "identity", identity.kind
            self._check_header_unit(sheets, unit)
        elif not sheets:  # not a reporting form at all (a unit's own spreadsheet, a blank workbook)
            unit = _unit_in_path(self.register, self.file)
            self.problem("error", _NO_FORM + (f"(按文件名推断为「{unit}」报送)" if unit else ""))
            return self._result("rejected", unit=unit, confidence="filename" if unit else None)
        else:
            placed = self._place(sheets)
            if placed is None:
                return self._result("rejected")
            unit, round_id, confidence = placed
            kind = "report"
            sheets = self._own_sheets(sheets, unit)
        if not sheets:
            self.problem("error", _NO_FORM)
            return self._result("rejected", kind=kind, unit=unit, round_id=round_id, confidence=confidence)
        entries = self._entries(sheets, identity, unit, round_id)
        outcome: Outcome
        if not any(e.usable for e in entries):
            if not entries:
                self.problem("error", "表中没有找到任何任务行(「序号」列没有任务编号)。请让填报单位使用下发的填报表填写。")
            outcome = "rejected"
        elif self.problems:
            outcome = "accepted_with_warnings"
        else:
            outcome = "accepted"
        return self._result(outcome, kind=kind, unit=unit, round_id=round_id, confidence=confidence,
                            entries=tuple(entries))

    def _plan(self, identity: Identity) -> dict[str, Any]:
        """A returned plan (落实方案): accepted as a plan; `plans.read_plan` reads its milestones.

        It carries no progress entries, so the ledger (which counts report and rollup kinds only)
        is not touched by it; the comparison reads it from the archive.
        """
        from excelflow.forms.identity import IDENTITY_SHEET

        unit = _resolve_unit(self.register, identity.unit)
        if unit is None:
            self.problem("error", f"落实方案表标识中的单位「{identity.unit}」不在任务登记表中,无法归属。"
                         "请核对登记表「单位」表,或让该单位使用下发的落实方案表重新报送。", IDENTITY_SHEET)
            return self._result("rejected", kind="plan", round_id=identity.round_id)
        return self._result("accepted", kind="plan", unit=unit, round_id=identity.round_id, confidence="identity")

    def _result(self, outcome: Outcome, **fields: Any) -> dict[str, Any]:
        return {"outcome": outcome, "problems": tuple(self.problems), **fields}

    # -- sheets -------------------------------------------------------------------------------
    def _data_sheets(self, identity: Identity | None) -> list[DataSheet]:
        """(sheet, header) of each data sheet: by identity name, else index, else any with a header."""
        from excelflow.intake.extract import find_header
        from excelflow.forms.identity import IDENTITY_SHEET

        names = [n for n in self.book.sheet_names if n != IDENTITY_SHEET]
        found: list[DataSheet] = []
        used: set[str] = set()

        def take(name: str) -> bool:
            if name in used or name not in names:
                return False
            sheet = self.book.sheet(name)
            header = find_header(sheet.rows)
            if header is None:
                return False
            used.add(name)
            found.append((sheet, header))
            if sheet.truncated:
                self.problem("warning", f"工作表超过 {len(sheet.rows)} 行(行数上限),其后的内容未读取。"
                             "如有任务行在其后,请删除表格中多余的行后重新报送。", name)
            return True

        wanted: list[tuple[str, int]] = []
        if identity is not None:
            for row in identity.rows:
                if (row.sheet, row.sheet_index) not in wanted:
                    wanted.append((row.sheet, row.sheet_index))
        missing = 0
        for name, index in wanted:
            if take(name):
                continue
            all_names = self.book.sheet_names
            if 0 <= index < len(all_names) and take(all_names[index]):
                continue  # the unit renamed the sheet
            missing += 1
        if not wanted or missing:
            for name in names:
                take(name)
        else:
            self._unread_forms(names, used)
        found.sort(key=lambda pair: pair[0].index)
        return found

    def _unread_forms(self, names: list[str], used: set[str]) -> None:
        """Warn about reporting forms pasted in beside the ones the identity lists (not read).

        Two units' forms merged into one file: the identity names one unit, and rows of another
        unit's form must never be counted for it. The clerk is told which sheet was left out and
        which unit its header names, so that unit can report on its own form.
        """
        from excelflow.intake.extract import find_header, header_block_unit

        for name in names:
            if name in used:
                continue
            sheet = self.book.sheet(name)
            header = find_header(sheet.rows)
            if header is None:
                continue
            hit = header_block_unit(sheet, header)
            who = f"(表头填报单位为「{hit[0]}」)" if hit else ""
            self.problem("warning", f"工作表「{name}」也是一张填报表{who},但不在下发给本单位的填报表中,未读取,"
                         "其中的内容不计入任何单位。如是其他单位的填报内容,请让该单位用自己的填报表单独报送。",
                         name, hit[1] if hit else None)

    def _check_header_unit(self, sheets: list[DataSheet], unit: str) -> None:
        """Warn when the header block names another unit than the identity (a form passed on)."""
        from excelflow.intake.extract import header_block_unit

        for sheet, header in sheets:
            hit = header_block_unit(sheet, header)
            if hit is None:
                continue
            typed = _resolve_unit(self.register, hit[0]) or _unit_in_text(self.register, hit[0])
            if typed is not None and typed != unit:
                self.problem("warning", f"表头「填报单位」填的是「{hit[0]}」,但本表是下发给「{unit}」的,已按「{unit}」"
                             f"接收。如确是「{typed}」报送,请让其使用自己的填报表重新报送。", sheet.name, hit[1])
            return

    # -- identification without the identity sheet --------------------------------------------
    def _place(self, sheets: list[DataSheet]) -> tuple[str, str, Confidence] | None:
        from excelflow.intake.extract import header_block_text, header_block_unit

        typed: tuple[str, str, str] | None = None  # (text, sheet, cell)
        unit: str | None = None
        confidence: Confidence = "header"
        for sheet, header in sheets:
            hit = header_block_unit(sheet, header)
            if hit is not None:
                typed = (hit[0], sheet.name, hit[1])
                unit = _resolve_unit(self.register, hit[0]) or _unit_in_text(self.register, hit[0])
                if unit is not None:
                    confidence = "header"
                    break
        if unit is None:
            unit = _unit_in_path(self.register, self.file)
            confidence = "filename"
        if unit is None:
            self.problem("error", self._unplaced_reason(typed), typed[1] if typed else None, typed[2] if typed else None)
            return None
        texts = " ".join(header_block_text(s, h) for s, h in sheets)
        round_id = self._guess_round(texts + " " + self.file)
        if round_id is None:
            return None
        if confidence == "header" and typed is not None:
            self.problem("warning", f"文件没有 excelflow 标识(可能是重新录入或自制的表格),按表头「填报单位」"
                         f"识别为「{unit}」报送。请核对。", typed[1], typed[2])
        else:
            typed_text = f"表头「填报单位」填的「{typed[0]}」不是登记表中的单位," if typed else "表头中也没有「填报单位」,"
            self.problem("warning", f"文件没有 excelflow 标识,{typed_text}仅按文件名推断为"
                         f"「{unit}」报送。请核对;如不对,请在表头「填报单位」处填写正确的单位名称后重新放入收件箱。",
                         typed[1] if typed else None, typed[2] if typed else None)
        return unit, round_id, confidence

    def _own_sheets(self, sheets: list[DataSheet], unit: str) -> list[DataSheet]:
        """Without identity, the sheets of `unit`: a sheet whose header names another register
        unit is another unit's form (two retyped forms in one file) and is not read for `unit`."""
        from excelflow.intake.extract import header_block_unit

        own: list[DataSheet] = []
        for sheet, header in sheets:
            hit = header_block_unit(sheet, header)
            other = (_resolve_unit(self.register, hit[0]) or _unit_in_text(self.register, hit[0])) if hit else None
            if other is None or other == unit:
                own.append((sheet, header))
                continue
            self.problem("warning", f"工作表「{sheet.name}」的表头「填报单位」是「{hit[0]}」,与本文件识别的「{unit}」不同,"  # type: ignore[index]
                         f"该表未读取,其中的内容不计入任何单位。请让「{other}」用自己的填报表单独报送。",
                         sheet.name, hit[1])  # type: ignore[index]
        return own

    def _unplaced_reason(self, typed: tuple[str, str, str] | None) -> str:
        head = "无法识别是哪个单位报送的:文件中没有 excelflow 标识(可能是重新录入或自制的表格),"
        if typed is None:
            head += "表头中没有「填报单位」,"
        else:
            head += f"表头「填报单位」填的「{typed[0]}」不是任务登记表中的单位"
            hint = _suggest_unit(self.register, typed[0])
            head += f"(是否为「{hint}」?)," if hint else ","
        return head + ("文件名中也没有登记表中的单位名称。请确认报送单位后,在表头「填报单位」处填写登记表中的单位名称"
                       "(或在文件名中加上单位名称)再放入收件箱,或让该单位使用下发的填报表重新报送。")

    def _guess_round(self, text: str) -> str | None:
        rounds = self.register.rounds
        if not rounds:
            self.problem("error", "任务登记表中没有任何轮次,无法判断本表属于哪一轮。请先在登记表「轮次」表中添加轮次。")
            return None
        named = [r for r in rounds if _round_named(r, text)]
        if len(named) == 1:
            return named[0].id
        pool = named or list(rounds)
        received = self.base.received_at.date()
        best = min(pool, key=lambda r: abs((r.lead_deadline - received).days))
        if len(rounds) > 1:
            self.problem("warning", f"文件没有 excelflow 标识,标题中也看不出轮次,按收到时间归入「{best.name or best.id}」"
                         f"({best.id})。请核对。")
        return best.id

    # -- entries ------------------------------------------------------------------------------
    def _unknown_ids(self, unknown: dict[str, list[RowFound]]) -> None:
        """One error per row whose 序号 is not a task id, or one per sheet when there are many
        (a pasted list of 10,000 numbered rows must not make a 10,000-line receipt)."""
        from excelflow.forms.template_style import ID_HEADER

        for sheet, rows in unknown.items():
            rows.sort(key=lambda r: r.row)
            if len(rows) <= _LIST_UNKNOWN_UP_TO:
                for row in rows:
                    self.problem("error", f"序号 {row.task_id} 不是任务登记表中的任务编号,该行未读取。请核对序号。",
                                 row.sheet, row.refs.get(ID_HEADER))
                continue
            first = rows[0]
            shown = "、".join(str(r.task_id) for r in rows[:_LIST_UNKNOWN_UP_TO])
            self.problem("error", f"有 {len(rows)} 行的「序号」(从第 {first.row} 行起,如 {shown} 等)不是任务登记表中的"
                         "任务编号,这些行未读取。请核对序号;表格下方粘贴的明细等内容请删除后重新报送。",
                         sheet, first.refs.get(ID_HEADER))

    def _entries(self, sheets: list[DataSheet], identity: Identity | None, unit: str,
                 round_id: str) -> list[EntryReport]:
        from excelflow.intake.extract import entry_rows, header_block_text, prefilled_values, title_ref
        from excelflow.forms.identity import fingerprint
        from excelflow.register.model import ROLE_NAMES
        from excelflow.forms.template_style import ID_HEADER, TASK_HEADER
        from excelflow.intake.validate import Blocker, judge_entry

        register = self.register
        owed = _owed(register).get(unit, set())
        owed_role: dict[int, Role] = {task: role for task, role in owed}
        expected = {r.task_id: r for r in identity.rows} if identity is not None else {}
        rnd = register.round(round_id)
        if rnd is None:
            known = "、".join(r.id for r in register.rounds) or "(无)"
            sheet, header = sheets[0]
            self.problem("error", f"本文件属于轮次「{round_id}」,任务登记表中没有这个轮次(现有:{known}),"
                         "表中各项均不能采用。请核对是否报错了表,或让该单位使用本轮下发的填报表重新报送。",
                         sheet.name, title_ref(sheet, header))

        # Every row whose 序号 is a task id, grouped by task id (a duplicate is a problem).
        rows_by_task: dict[int, list[tuple[RowFound, DataSheet, bool]]] = {}
        for sheet, header in sheets:
            blocked = rnd is None
            if rnd is not None:
                message = _sheet_round_message(rnd, register, header_block_text(sheet, header))
                if message:
                    self.problem("error", message, sheet.name, title_ref(sheet, header))
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
                    reason = (f"本单位在任务 {task_id} 中是{ROLE_NAMES[owed_role[task_id]]}单位,"
                              f"不是{ROLE_NAMES[role]}单位")
                else:
                    reason = f"任务登记表中本单位不承担任务 {task_id}"
                if identity is not None and ident is None:
                    reason += "(这一行不在下发给本单位的填报表中)"
                blockers.append(Blocker(f"{reason}。请核对序号,或与督查室确认分工。", row.refs.get(ID_HEADER)))
            if ident is not None and ident.fingerprint:
                blockers.extend(_fingerprint_blockers(
                    ident.fingerprint, fingerprint(prefilled_values(sheet, header, row.row)),
                    row, task.text, TASK_HEADER, ID_HEADER))
            elif identity is None and TASK_HEADER in row.values:
                typed = _norm_text(row.values[TASK_HEADER])
                if typed and typed != _norm_text(task.text):
                    self.problem("warning", f"任务 {task_id}:「任务内容」与任务登记表不一致,请核对序号是否对应。",
                                 row.sheet, row.refs.get(TASK_HEADER))
            report, problems = judge_entry(row, unit, role, self.file, tuple(blockers), blocked)
            entries.append(report)
            self.problems.extend(problems)

        self._unknown_ids(unknown)
        for task_id, ident in expected.items():
            if task_id not in rows_by_task:
                self.problem("warning", f"任务 {task_id} 的填报行没有找到(可能被删除或改了序号),该任务按未报送处理。"
                             "请让填报单位恢复该行后重新报送。", ident.sheet)
        entries.sort(key=lambda e: (e.task_id, e.role))
        return entries


# -- helpers ----------------------------------------------------------------------------------------
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


def _resolver(register: Register) -> UnitResolver:
    from excelflow.notice.units import DEFAULT_ALIASES, UnitResolver

    aliases = {**DEFAULT_ALIASES, **{a: u.name for u in register.units for a in u.aliases}}
    return UnitResolver(known=[u.name for u in register.units], aliases=aliases)


def _resolve_unit(register: Register, text: str) -> str | None:
    """The register unit a typed name means (exact, alias, 区-prefix forms), or None."""
    from excelflow.notice.units import normalize_name

    if register.unit(text) is not None:
        return text
    canonical = _resolver(register).canonical(text)
    by_key = {normalize_name(u.name): u.name for u in register.units}
    return by_key.get(canonical)


def _unit_keys(register: Register) -> list[tuple[str, str]]:
    """(searchable key, unit name), longest key first; short keys (one or two characters) skipped."""
    from excelflow.notice.units import PREFIXES, normalize_name

    keys: dict[str, set[str]] = {}
    for unit in register.units:
        for name in (unit.name, *unit.aliases):
            key = normalize_name(name)
            forms = {key}
            if key[:1] in PREFIXES and len(key) > 3:
                forms.add(key[1:])  # `工信局` in a file name stands for `区工信局`
            for form in forms:
                if len(form) >= 3:
                    keys.setdefault(form, set()).add(unit.name)
    return sorted(((k, n) for k, names in keys.items() if len(names) == 1 for n in names),
                  key=lambda kn: (-len(kn[0]), kn[0]))


def _unit_in_text(register: Register, text: str) -> str | None:
    """The one register unit named inside `text` (the longest name found), or None if none or two."""
    from excelflow.notice.units import normalize_name

    folded = normalize_name(text)
    hits: list[tuple[str, str]] = []
    for key, unit in _unit_keys(register):
        if key in folded and not any(key in longer for longer, _ in hits):
            hits.append((key, unit))
    units = {u for _, u in hits}
    if len(units) != 1:
        return None
    return units.pop()


def _unit_in_path(register: Register, path: str) -> str | None:
    """A unit named in the file name, else in the nearest folder name that names one."""
    parts = path.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    for text in (stem, *reversed(parts[:-1])):
        unit = _unit_in_text(register, text)
        if unit is not None:
            return unit
    return None


def _suggest_unit(register: Register, text: str) -> str | None:
    try:
        return _resolver(register).suggest(text, [u.name for u in register.units])
    except Exception:  # noqa: BLE001 - a hint is optional; never let it stop the reading
        return None


def _round_named(rnd: Round, text: str) -> bool:
    """Whether a title names round `rnd` (its id, or its name and not another year)."""
    name, rid = rnd.name, rnd.id
    if rid and rid in text:
        return True
    if not name or name not in text:
        return False
    year = re.match(r"(\d{4})", rid)
    years = set(re.findall(r"((?:19|20)\d{2})\s*年", text))
    return not (year and years and year.group(1) not in years)


def _sheet_round_message(rnd: Round, register: Register, title: str) -> str | None:
    """An error when a sheet's title names another round of the register and not its own."""
    if not title or _round_named(rnd, title):
        return None
    others = [r for r in register.rounds if r.id != rnd.id and _round_named(r, title)]
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
    from excelflow.intake.extract import cell_text

    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell_text(value)))


def _fingerprint_blockers(expected: str, actual: str, row: RowFound, task_text: str,
                          task_header: str, id_header: str) -> list[Blocker]:
    """Errors for a row whose locked cells differ from what was handed out, or from the register."""
    from excelflow.intake.validate import Blocker

    refs = row.refs
    typed = _norm_text(row.values[task_header]) if task_header in row.values else None
    current = _norm_text(task_text)
    if expected != actual:
        if typed is not None and typed != current:
            return [Blocker("「任务内容」与下发的填报表不同,可能被改动。预填内容不能修改:请恢复原文,"
                            "或使用下发的填报表重新填报。", refs.get(task_header))]
        return [Blocker("预填的锁定内容(任务内容、牵头/协办单位、完成时限等)与下发时不同,可能被改动。"
                        "请使用下发的填报表重新填报,不要修改预填内容。", refs.get(id_header))]
    if typed is not None and typed != current:
        return [Blocker("此表是按旧版任务登记表生成的(该任务的内容已更新)。请使用最新下发的填报表重新填报。",
                        refs.get(task_header))]
    return []
