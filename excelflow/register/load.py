"""(register) Load a clerk's edit of the register workbook and check it.

Loading checks everything a person can get wrong in Excel and reports *all* problems at once,
each with its sheet, row and column and, where one exists, a suggestion (`RegisterProblems`).
Columns are found by their header text (`layout.py`, which also lists the sheets), so the clerk
may reorder or add columns.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from python_calamine import CalamineWorkbook

from excelflow.errors import CellRef, RegisterError
from excelflow.notice.units import (
    DEFAULT_ALIASES,
    UnitResolver,
    fold_width,
    group_key,
    is_group,
    is_relevant_group,
    normalize_name,
    split_top_level,
)
from excelflow.register.addresses import split_addresses
from excelflow.register.cells import parse_task_id
from excelflow.register.layout import (
    ALIASES,
    CHAPTER,
    CO,
    CO_DEADLINE,
    CODE,
    CONTACT,
    DUE,
    GOAL,
    GROUPS,
    INDICATOR,
    LEAD,
    LEAD_DEADLINE,
    LEGACY_RELEVANT,
    MAIL_SETTING_NOTES,
    NONE_CHOSEN,
    PHONE,
    PLAN_COLUMNS,
    PLAN_ROUND,
    PLAN_SHEET,
    PLAN_TASK,
    RELEVANT,
    ROUND_COLUMNS,
    ROUND_ID,
    ROUND_NAME,
    ROUNDS_SHEET,
    SECTION,
    SETTING_KEY,
    SETTING_VALUE,
    SETTINGS_COLUMNS,
    SETTINGS_SHEET,
    SHEETS,
    TASK_DUE,
    TASK_ID,
    TASK_REQUIRED,
    TASKS_SHEET,
    TEXT,
    TITLE_SETTING,
    UNIT_COLUMNS,
    UNIT_EMAILS,
    UNIT_NAME,
    UNITS_SHEET,
)
from excelflow.register.model import Milestone, Register, Round, Task, Unit

_SEPARATORS = "、,;\n\r\t "  # after fold_width: full-width forms and the ideographic space are ASCII
_FILE_NAME_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_MAX_LISTED = 40  # problems listed in one error message; the rest are counted


# -- problems -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegisterProblem:
    """One thing wrong in the register workbook, where it is, and what to do about it."""

    message: str
    where: CellRef
    suggestion: str | None = None

    def describe(self) -> str:
        text = f"{self.where.describe()}:{self.message}"
        return text + (f"(建议:{self.suggestion})" if self.suggestion else "")


class RegisterProblems(RegisterError):
    """A register that cannot be used; `problems` lists every problem found, in sheet order."""

    def __init__(self, problems: Sequence[RegisterProblem]):
        first = problems[0]
        if len(problems) == 1:
            super().__init__(first.message, first.where, first.suggestion)
        else:
            lines = [f"任务登记表 {first.where.file} 有 {len(problems)} 处问题,请逐一修改后保存:"]
            lines += [f"{i}. {p.describe()}" for i, p in enumerate(problems[:_MAX_LISTED], 1)]
            if len(problems) > _MAX_LISTED:
                lines.append(f"……另有 {len(problems) - _MAX_LISTED} 处问题未列出。")
            super().__init__("\n".join(lines))
            self.where, self.suggestion = first.where, first.suggestion
        self.problems = tuple(problems)


# -- text helpers -----------------------------------------------------------------------------------
def norm_name(text: str) -> str:
    """The comparison key of a unit or group name: NFKC (full-width brackets → ASCII), no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def split_names(text: str) -> tuple[str, ...]:
    """Names typed in one cell (`区工信局、商务局`), in order, duplicates dropped.

    Separators are `、` `,` `;` (either width), line breaks and spaces outside brackets, so
    `区政府办 (政务服务办)` stays one name.
    """
    folded = re.sub(r"\s*([()〈〉\[\]【】〔〕])\s*", r"\1", fold_width(text).strip())
    out: list[str] = []
    for part in split_top_level(folded, _SEPARATORS):
        name = part.strip()
        if name and name not in out:
            out.append(name)
    return tuple(out)


def _cell_text(value: Any) -> str:
    """A cell as the clerk sees it: numbers typed into text columns lose Excel's `.0`."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]00:00(?::00)?)?$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$"),
)
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: Any) -> date | None:
    """A deadline as typed: an Excel date, `2021-06-15`, `2021/6/15`, `2021.6.15`, `2021年6月15日`.

    A bare number is read as an Excel serial day (a date cell whose format was cleared). Returns
    None for anything else, including an empty cell.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466 and float(value).is_integer():
            return _EXCEL_EPOCH + timedelta(days=int(value))
        return None
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None


# -- reading sheets ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Row:
    number: int  # 1-based, as Excel shows it
    cells: Mapping[str, Any]  # header → raw value

    def text(self, header: str) -> str:
        return _cell_text(self.cells.get(header))

    def blank(self, headers: Iterable[str]) -> bool:
        return all(self.text(h) == "" for h in headers)


class _Reader:
    """Reads the sheets of one register file and collects problems with their places."""

    def __init__(self, path: Path):
        self.file = path.name
        self.problems: list[RegisterProblem] = []
        try:
            data = path.read_bytes()  # read and close at once: the clerk may have it open on a share
        except FileNotFoundError:
            raise RegisterError(
                f"找不到任务登记表 {path}",
                suggestion="先运行 `excelflow init` 建立工作文件夹,或用 `excelflow import 通知文件` 导入通知",
            ) from None
        except OSError as exc:
            raise RegisterError(f"无法读取任务登记表 {path}:{exc.strerror or exc}") from exc
        try:
            self.book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception as exc:  # calamine raises its own error types for every unreadable file
            raise RegisterError(
                f"{path.name} 不是能读取的 Excel 工作簿",
                suggestion="在 Excel 或 WPS 中打开它并另存为 .xlsx;或用 `excelflow init --force` 重建默认登记表",
            ) from exc
        self.sheet_names = [str(n) for n in self.book.sheet_names]

    def problem(self, message: str, sheet: str, row: int | None = None, column: str | None = None,
                suggestion: str | None = None) -> None:
        self.problems.append(RegisterProblem(message, CellRef(self.file, sheet, row, column), suggestion))

    def rows(self, sheet: str, required: Sequence[str], optional: bool = False,
             extra: Sequence[str] = ()) -> list[_Row] | None:
        """The data rows of `sheet` keyed by header; None (and a problem) if it cannot be read.

        `extra` headers are read where the sheet has them (columns added in a later version)."""
        name = self._find_sheet(sheet)
        if name is None:
            if not optional:
                self.problem(f"缺少工作表「{sheet}」", sheet, suggestion=f"恢复名为「{sheet}」的工作表(注意不要改名)")
            return None
        raw = self.book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if not raw:
            self.problem("工作表是空的,第 1 行应是表头", sheet, 1, suggestion=f"第 1 行依次填写:{'、'.join(required)}")
            return None
        headers = [norm_name(_cell_text(v)) for v in raw[0]]
        missing = [h for h in required if norm_name(h) not in headers]
        if missing:
            for header in missing:
                self.problem(f"缺少表头「{header}」", sheet, 1, suggestion=f"在第 1 行补上「{header}」列,或把改动过的表头改回原样")
            return None
        index: dict[str, int] = {}
        for i, header in enumerate(headers):
            index.setdefault(header, i)  # a repeated header: the first column counts
        wanted = [*required, *(h for h in extra if norm_name(h) in index)]
        columns = [(h, index[norm_name(h)]) for h in wanted]  # once, not per row (a city's register: 80,000 calls)
        rows = []
        for number, values in enumerate(raw[1:], start=2):
            cells = {h: values[c] for h, c in columns if c < len(values)}
            rows.append(_Row(number, cells))
        return rows

    def has_column(self, sheet: str, header: str) -> bool:
        name = self._find_sheet(sheet)
        if name is None:
            return False
        raw = self.book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=1)
        return bool(raw) and norm_name(header) in {norm_name(_cell_text(v)) for v in raw[0]}

    def _find_sheet(self, sheet: str) -> str | None:
        for name in self.sheet_names:
            if norm_name(name) == norm_name(sheet):
                return name
        return None


# -- loading ------------------------------------------------------------------------------------------
class _Names:
    """Resolves what a clerk typed in a task row to a canonical unit name or a group name."""

    def __init__(self, units: Sequence[Unit]):
        self.units = units
        self.lookup: dict[str, str] = {}
        for unit in units:
            for name in (unit.name, *unit.aliases):
                self.lookup.setdefault(norm_name(name), unit.name)
        self.groups: dict[str, str] = {}
        for unit in units:
            for group in unit.groups:
                self.groups.setdefault(norm_name(group), group)
        self._resolver: UnitResolver | None = None

    def resolve(self, name: str) -> str | None:
        """The unit's name, or the group's (any name of a group's shape is one: its members are
        whoever the 单位 sheet lists), or None for a name that is neither."""
        key = norm_name(name)
        if key in self.lookup:
            return self.lookup[key]
        if is_group(name):
            text = normalize_name(name)
            return DEFAULT_ALIASES.get(text, text)
        return None

    def members(self, group: str) -> tuple[str, ...]:
        key = norm_name(group)
        return tuple(u.name for u in self.units if any(norm_name(g) == key for g in u.groups))

    def near_miss(self, name: str) -> str | None:
        """A register unit `name` is probably a slip for (`区农业局` → `区农业农村局`), or None."""
        if self._resolver is None:
            aliases = {a: u.name for u in self.units for a in u.aliases}
            self._resolver = UnitResolver(known=[u.name for u in self.units], aliases=aliases,
                                          groups=tuple(self.groups.values()))
        near = self._resolver.suggest(name, [u.name for u in self.units])
        if near is None and len(norm_name(name)) >= 2:  # a short form: `五都` for `五都镇`
            starting = [u.name for u in self.units if norm_name(u.name).startswith(norm_name(name))]
            near = starting[0] if len(starting) == 1 else None
        return near

    def unknown_hint(self, name: str) -> str:
        """What to do about a name that is neither a unit, an alias nor a group."""
        near = self.near_miss(name)
        if near:
            return f"是否应为「{near}」?如确是同一单位,也可把「{name}」加到该单位的「{ALIASES}」里"
        return f"先在「{UNITS_SHEET}」表添加单位「{name}」,或改成已有单位的名称"


def load_register(path: Path) -> Register:
    """Load and check the register workbook; raise `RegisterProblems` listing every problem."""
    reader = _Reader(path)
    units = _load_units(reader)
    rounds, round_ids = _load_rounds(reader)
    tasks, task_ids = _load_tasks(reader, None if units is None else _Names(units))
    if tasks and not rounds and round_ids is not None and not any(p.where.sheet == ROUNDS_SHEET for p in reader.problems):
        # A new campaign's empty register has no rounds yet; tasks without one cannot be asked for.
        reader.problem("没有任何轮次", ROUNDS_SHEET, 2, ROUND_ID, "至少填写一个轮次及其两个截止日期")
    milestones = _load_plan(reader, task_ids, round_ids)
    title, settings = _load_settings(reader)
    if reader.problems:
        order = {sheet: i for i, sheet in enumerate(SHEETS)}
        raise RegisterProblems(sorted(reader.problems, key=lambda p: (order.get(p.where.sheet or "", -1),
                                                                       p.where.row or 0)))
    return Register(title=title, units=tuple(units or ()), tasks=tuple(tasks), rounds=tuple(rounds),
                    milestones=tuple(milestones), settings=settings)


def _load_units(reader: _Reader) -> list[Unit] | None:
    """The units, or None when the sheet cannot be read (task rows are then not checked)."""
    rows = reader.rows(UNITS_SHEET, UNIT_COLUMNS, extra=(UNIT_EMAILS,))
    if rows is None:
        return None
    units: list[Unit] = []
    seen: dict[str, tuple[int, str, bool]] = {}  # name or alias key → (row, unit name, is the unit's name)
    for row in rows:
        if row.blank(UNIT_COLUMNS):
            continue
        name = row.text(UNIT_NAME)
        if not name:
            reader.problem("单位名称为空,但这一行填了其他内容", UNITS_SHEET, row.number, UNIT_NAME,
                           "填上单位名称,或删除整行")
            continue
        aliases = split_names(row.text(ALIASES))
        ok = True
        clashing: set[str] = set()  # reported; left out so that task rows still resolve the rest
        for label, is_name in [(name, True), *((a, False) for a in aliases)]:
            key = norm_name(label)
            if key not in seen:
                seen[key] = (row.number, name, is_name)
                continue
            other_row, other, other_is_name = seen[key]
            if other == name and not is_name:
                continue  # an alias repeating the unit's own name or another alias of it
            column = UNIT_NAME if is_name else ALIASES
            if is_name != other_is_name:  # a near miss confirmed as an alias, its own row still there
                unit, alias = (name, other) if is_name else (other, name)
                reader.problem(f"「{label}」既是单位名称,又是单位「{alias}」的别名(见第 {other_row} 行)", UNITS_SHEET,
                               row.number, column,
                               f"如是同一单位,删除单位「{unit}」那一行,任务表里的「{unit}」会按别名读作「{alias}」;"
                               f"如不是同一单位,从「{alias}」的别名中删去「{label}」")
            else:
                what = "单位名称" if is_name else "别名"
                reader.problem(f"{what}「{label}」与第 {other_row} 行的单位「{other}」重复", UNITS_SHEET, row.number,
                               column, "同一名称只能指一个单位:删除重复的行或别名")
            if is_name:
                ok = False
            clashing.add(label)
        # A group typed as the task row writes it (`各县（市、区）人民政府`) is the group `县(市、区)人民政府`.
        groups = tuple(dict.fromkeys(group_key(g) for g in split_names(row.text(GROUPS))))
        emails, not_emails = split_addresses(row.text(UNIT_EMAILS))
        for typed in not_emails:
            reader.problem(f"「{typed}」不是邮箱地址", UNITS_SHEET, row.number, UNIT_EMAILS,
                           "写成 name@example.gov.cn 的样子;多个地址用「、」或分号分隔")
            ok = False
        if ok:
            units.append(Unit(name=name, aliases=tuple(a for a in aliases if a != name and a not in clashing),
                              groups=groups,
                              contact=row.text(CONTACT), phone=row.text(PHONE), code=row.text(CODE), emails=emails))
    return units


def _load_rounds(reader: _Reader) -> tuple[list[Round], list[str] | None]:
    """The usable rounds, and every round id typed (None when the sheet cannot be read)."""
    rows = reader.rows(ROUNDS_SHEET, ROUND_COLUMNS)
    if rows is None:
        return [], None
    rounds: list[Round] = []
    seen: dict[str, int] = {}
    for row in rows:
        if row.blank(ROUND_COLUMNS):
            continue
        round_id = row.text(ROUND_ID)
        deadlines: list[date | None] = []
        for column in (CO_DEADLINE, LEAD_DEADLINE):
            raw = row.cells.get(column)
            when = parse_date(raw)
            if when is None:
                typed = _cell_text(raw)
                reader.problem(f"「{typed}」不是日期" if typed else "截止日期为空", ROUNDS_SHEET, row.number, column,
                               "填写日期,例如 2021-06-15、2021/6/15 或 2021年6月15日")
            deadlines.append(when)
        if not round_id:
            reader.problem("轮次编号为空", ROUNDS_SHEET, row.number, ROUND_ID, "填写轮次编号,例如 2021-H1、2021-Q3、2021-07")
            continue
        if _FILE_NAME_FORBIDDEN.search(round_id):
            reader.problem(f"轮次编号「{round_id}」含有不能用于文件夹名的字符", ROUNDS_SHEET, row.number, ROUND_ID,
                           '不要使用 < > : " / \\ | ? * ,例如写成 2021-H1')
            continue
        if round_id in seen:
            reader.problem(f"轮次「{round_id}」与第 {seen[round_id]} 行重复", ROUNDS_SHEET, row.number, ROUND_ID,
                           "每个轮次只写一行")
            continue
        seen[round_id] = row.number
        co, lead = deadlines
        if co is None or lead is None:
            continue
        if co > lead:
            reader.problem(f"协办单位截止({co:%Y-%m-%d})晚于牵头单位截止({lead:%Y-%m-%d})", ROUNDS_SHEET, row.number,
                           CO_DEADLINE, "协办单位先报牵头单位,牵头单位汇总后再报督查室:协办截止应不晚于牵头截止")
            continue
        rounds.append(Round(id=round_id, name=row.text(ROUND_NAME), co_deadline=co, lead_deadline=lead))
    return rounds, list(seen)


def _load_tasks(reader: _Reader, names: _Names | None) -> tuple[list[Task], set[int] | None]:
    """The usable tasks, and every task id typed (None when the sheet cannot be read).

    Without `names` (the 单位 sheet is unreadable) unit names are not checked: that one problem is
    reported instead of one per task row.
    """
    rows = reader.rows(TASKS_SHEET, TASK_REQUIRED, extra=(TASK_DUE, RELEVANT, LEGACY_RELEVANT))
    if rows is None:
        return [], None
    relevant_column = LEGACY_RELEVANT if reader.has_column(TASKS_SHEET, LEGACY_RELEVANT) and \
        not reader.has_column(TASKS_SHEET, RELEVANT) else RELEVANT
    tasks: list[Task] = []
    seen: dict[int, int] = {}
    for row in rows:
        if row.blank((*TASK_REQUIRED, TASK_DUE, relevant_column)):
            continue
        task_id = parse_task_id(row.cells.get(TASK_ID))
        if task_id is None:
            typed = row.text(TASK_ID)
            reader.problem(f"序号「{typed}」不是正整数" if typed else "序号为空", TASKS_SHEET, row.number, TASK_ID,
                           "填写通知中的任务编号,例如 12")
        elif task_id in seen:
            reader.problem(f"序号 {task_id} 与第 {seen[task_id]} 行重复", TASKS_SHEET, row.number, TASK_ID,
                           "每个任务一个序号:改正序号,或删除重复的行")
            task_id = None
        else:
            seen[task_id] = row.number
        text = row.text(TEXT)
        if not text:
            reader.problem("任务内容为空", TASKS_SHEET, row.number, TEXT, "填写任务内容,或删除整行")
        if names is None:
            continue
        lead, lead_ok = _resolve_list(reader, names, row, LEAD)
        co, co_ok = _resolve_list(reader, names, row, CO)
        relevant = _resolve_relevant(reader, names, row, (*lead, *co), relevant_column)
        if task_id is None or not text or not lead_ok or not co_ok or relevant is False:
            continue
        tasks.append(Task(id=task_id, chapter=row.text(CHAPTER), section=row.text(SECTION) or None, text=text,
                          lead=lead, co=co, relevant=relevant, due=row.text(TASK_DUE)))
    return tasks, set(seen)


def _resolve_list(reader: _Reader, names: _Names, row: _Row, column: str) -> tuple[tuple[str, ...], bool]:
    """The names of one cell resolved (unknown ones left out), and whether all were known."""
    out: list[str] = []
    ok = True
    for typed in split_names(row.text(column)):
        name = names.resolve(typed)
        if name is None:
            reader.problem(f"未知单位「{typed}」", TASKS_SHEET, row.number, column, names.unknown_hint(typed))
            ok = False
        elif name not in out:
            out.append(name)
    return tuple(out), ok


def _resolve_relevant(reader: _Reader, names: _Names, row: _Row, named: Sequence[str],
                      column: str) -> tuple[str, ...] | None | Literal[False]:
    """The clerk's choice for `相关…` groups: None = not chosen, () = chose none, False = a problem.

    A `相关X` group whose X has members in the 单位 sheet (`相关乡镇(街道)`) takes only those;
    any other (`市级各相关部门`) takes any unit of the register."""
    typed = split_names(row.text(column))
    if not typed:
        return None
    groups = [n for n in named if is_relevant_group(n) and names.lookup.get(norm_name(n)) is None]
    if not groups:
        reader.problem("本任务的牵头/协办单位中没有「相关…」分组,这里的选择不会被使用", TASKS_SHEET, row.number, column,
                       f"清空此格;如需这些单位参与,直接写进「{CO}」")
        return False
    if typed == (NONE_CHOSEN,):
        return ()
    parents = [group_key(g) for g in groups]
    allowed = [m for p in parents for m in names.members(p)]
    chosen: list[str] = []
    ok = True
    for name in typed:
        unit = names.resolve(name)
        if unit is not None and is_group(unit) and names.lookup.get(norm_name(unit)) is None:
            unit = None  # a choice names units, not another group
        if unit is None or (allowed and unit not in allowed):
            limited = "、".join(p for p in parents if names.members(p))
            hint = (f"只能填写分组「{limited}」的单位(见「{UNITS_SHEET}」表),都不参与填「{NONE_CHOSEN}」" if allowed
                    else f"填写「{UNITS_SHEET}」表中的单位名称(没有的先在「{UNITS_SHEET}」表添加),都不参与填「{NONE_CHOSEN}」")
            near = names.near_miss(name) if unit is None else None
            if near:
                hint = f"是否应为「{near}」?" + hint
            what = "未知单位" if unit is None else f"不属于分组「{limited}」的单位"
            reader.problem(f"{what}「{name}」", TASKS_SHEET, row.number, column, hint)
            ok = False
        elif unit not in chosen:
            chosen.append(unit)
    return tuple(chosen) if ok else False


def _load_plan(reader: _Reader, task_ids: set[int] | None, round_ids: list[str] | None) -> list[Milestone]:
    """Plan milestones; ids are checked against what the other sheets hold (unless unreadable)."""
    rows = reader.rows(PLAN_SHEET, PLAN_COLUMNS, optional=True)
    if rows is None:
        return []
    milestones: list[Milestone] = []
    seen: dict[tuple[int, str], int] = {}
    for row in rows:
        if row.blank((GOAL, INDICATOR, DUE)):
            continue  # a row laid out for the clerk to fill, still empty
        task_id = parse_task_id(row.cells.get(PLAN_TASK))
        round_id = row.text(PLAN_ROUND)
        ok = True
        if task_id is None or (task_ids is not None and task_id not in task_ids):
            typed = row.text(PLAN_TASK)
            reader.problem(f"任务序号「{typed}」不在「{TASKS_SHEET}」表中" if typed else "任务序号为空", PLAN_SHEET,
                           row.number, PLAN_TASK, f"填写「{TASKS_SHEET}」表中已有的序号")
            ok = False
        if not round_id or (round_ids is not None and round_id not in round_ids):
            reader.problem(f"轮次「{round_id}」不在「{ROUNDS_SHEET}」表中" if round_id else "轮次为空", PLAN_SHEET,
                           row.number, PLAN_ROUND, f"填写「{ROUNDS_SHEET}」表中的轮次:{'、'.join(round_ids or ())}")
            ok = False
        goal = row.text(GOAL)
        if not goal:
            reader.problem("阶段目标为空", PLAN_SHEET, row.number, GOAL, "填写本轮的阶段目标,或清空这一行的量化指标和完成时限")
            ok = False
        due_raw = row.cells.get(DUE)
        due = parse_date(due_raw)
        if due is None and _cell_text(due_raw):
            reader.problem(f"「{_cell_text(due_raw)}」不是日期", PLAN_SHEET, row.number, DUE,
                           "填写日期,例如 2021-06-30,或留空")
            ok = False
        if ok and task_id is not None:
            key = (task_id, round_id)
            if key in seen:
                reader.problem(f"任务 {task_id} 在轮次「{round_id}」的计划与第 {seen[key]} 行重复", PLAN_SHEET, row.number,
                               PLAN_TASK, "每个任务每轮只写一行计划:合并两行")
                continue
            seen[key] = row.number
            milestones.append(Milestone(task_id, round_id, goal, row.text(INDICATOR), due))
    return milestones


def _load_settings(reader: _Reader) -> tuple[str, dict[str, str]]:
    rows = reader.rows(SETTINGS_SHEET, SETTINGS_COLUMNS, optional=True)
    settings: dict[str, str] = {}
    for row in rows or ():
        key = row.text(SETTING_KEY)
        value = row.text(SETTING_VALUE)
        if key and (value or key not in MAIL_SETTING_NOTES):  # an empty mail row is the writer's placeholder
            settings[key] = value
    return settings.pop(TITLE_SETTING, ""), settings


def register_warnings(register: Register) -> tuple[str, ...]:
    """Doubts a usable register still holds, in Chinese, for every command to print."""
    return tuple(w for w in (no_lead_warning(register), *waiting_warnings(register)) if w)


def no_lead_warning(register: Register) -> str | None:
    no_lead = [t.id for t in register.tasks if not register.lead_units(t) and not register.waiting_groups(t)]
    if not no_lead:
        return None
    return (f"{len(no_lead)} 项任务没有牵头单位,不会向任何单位要报告:任务 {_ids(no_lead)}"
            f"(在「{TASKS_SHEET}」表「{LEAD}」列填写)")


def unchosen_warning(register: Register) -> str | None:
    """The groups still asking nobody (`Register.waiting_groups`), one line for all, what to do."""
    return "\n".join(waiting_warnings(register)) or None


def waiting_warnings(register: Register) -> list[str]:
    """One line per kind of waiting group: the `相关…` ones to choose for, the ones without members."""
    relevant: dict[str, list[int]] = {}
    memberless: dict[str, list[int]] = {}
    for task in register.tasks:
        for group in register.waiting_groups(task):
            (relevant if is_relevant_group(group) else memberless).setdefault(group, []).append(task.id)
    lines = []
    if relevant:
        ids = sorted({i for found in relevant.values() for i in found})
        names = "、".join(f"「{g}」" for g in relevant)
        lines.append(f"{len(ids)} 项任务的{names}尚未选定,暂不向任何单位要报告:任务 {_ids(ids)}"
                     f"(在「{TASKS_SHEET}」表「{RELEVANT}」列填写参与的单位,都不参与填「{NONE_CHOSEN}」)")
    for group, ids in memberless.items():
        lines.append(f"分组「{group}」还没有成员,暂不向它要报告:任务 {_ids(ids)}"
                     f"(在「{UNITS_SHEET}」表逐个添加成员单位,「{GROUPS}」列填「{group_key(group)}」)")
    return lines


_IDS_SHOWN = 20  # task ids listed in one warning; the rest are counted


def _ids(ids: Sequence[int]) -> str:
    shown = "、".join(str(i) for i in ids[:_IDS_SHOWN])
    return shown + (f" 等 {len(ids)} 项" if len(ids) > _IDS_SHOWN else "")
