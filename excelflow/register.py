"""The task register workbook (`workbooks/register.xlsx`): write it, and load a clerk's edit of it.

The register is the one file the clerk keeps by hand. Every later command loads it, so loading
checks everything a person can get wrong in Excel and reports *all* problems at once, each with
its sheet, row and column and, where one exists, a suggestion (`RegisterProblems`).

Sheets (columns are found by their header text, so the clerk may reorder or add columns):

    任务   序号 | 章 | 节 | 任务内容 | 牵头单位 | 协办单位 | 相关乡镇(街道)
    单位   单位名称 | 别名 | 分组 | 联系人 | 联系电话 | 代码
    轮次   轮次 | 名称 | 协办单位截止 | 牵头单位截止
    计划   任务序号 | 轮次 | 阶段目标 | 量化指标 | 完成时限 | (任务内容, for reference only)
    设置   项目 | 内容 | (用途, for reference only)
    说明   how to edit each sheet, in Chinese (never read)

`任务`, `单位` and `轮次` are required; a register without `计划` has no plan milestones and one
without `设置` has no settings. Lists of names in one cell are separated by `、` (also `,`, `;`,
full-width forms and line breaks).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from .cells import parse_task_id
from .errors import CellRef, RegisterError
from .files import atomic_write_bytes
from .model import ALL_PREFIX, RELEVANT_PREFIX, TOWNSHIP_GROUP, Milestone, Register, Round, Task, Unit
from .units import UnitResolver, fold_width, split_top_level
from .xlsx import DEFAULT_FONTS, display_width, new_workbook, row_height, setup_print

# -- the workbook's vocabulary ------------------------------------------------------------------
TASKS_SHEET = "任务"
UNITS_SHEET = "单位"
ROUNDS_SHEET = "轮次"
PLAN_SHEET = "计划"
SETTINGS_SHEET = "设置"
HELP_SHEET = "说明"
SHEETS = (TASKS_SHEET, UNITS_SHEET, ROUNDS_SHEET, PLAN_SHEET, SETTINGS_SHEET, HELP_SHEET)

TASK_ID, CHAPTER, SECTION, TEXT, LEAD, CO = "序号", "章", "节", "任务内容", "牵头单位", "协办单位"
RELEVANT = f"{RELEVANT_PREFIX}{TOWNSHIP_GROUP}"  # 相关乡镇(街道): the clerk's choice per task
TASK_COLUMNS = (TASK_ID, CHAPTER, SECTION, TEXT, LEAD, CO, RELEVANT)

UNIT_NAME, ALIASES, GROUPS, CONTACT, PHONE, CODE = "单位名称", "别名", "分组", "联系人", "联系电话", "代码"
UNIT_COLUMNS = (UNIT_NAME, ALIASES, GROUPS, CONTACT, PHONE, CODE)

ROUND_ID, ROUND_NAME, CO_DEADLINE, LEAD_DEADLINE = "轮次", "名称", "协办单位截止", "牵头单位截止"
ROUND_COLUMNS = (ROUND_ID, ROUND_NAME, CO_DEADLINE, LEAD_DEADLINE)

PLAN_TASK, PLAN_ROUND, GOAL, INDICATOR, DUE = "任务序号", "轮次", "阶段目标", "量化指标", "完成时限"
PLAN_COLUMNS = (PLAN_TASK, PLAN_ROUND, GOAL, INDICATOR, DUE)
PLAN_REFERENCE = "任务内容(参考,不读取)"

SETTING_KEY, SETTING_VALUE, SETTING_NOTE = "项目", "内容", "用途"
SETTINGS_COLUMNS = (SETTING_KEY, SETTING_VALUE)

# Setting keys. The title lives in `Register.title`, the others in `Register.settings`.
TITLE_SETTING = "通知标题"
OFFICE_CONTACT = "督查室联系人"
OFFICE_PHONE = "电话"
OFFICE_EMAIL = "邮箱"
DISTRICT = "区名"
SETTING_NOTES: Mapping[str, str] = {
    TITLE_SETTING: "任务来源的通知标题,印在生成的表格和通报上",
    OFFICE_CONTACT: "督查室联系人,印在发给各单位的填报表上",
    OFFICE_PHONE: "督查室联系电话",
    OFFICE_EMAIL: "报送邮箱",
    DISTRICT: "本区(县)名称,用于通报标题",
}

NONE_CHOSEN = "无"  # typed in 相关乡镇(街道): the clerk chose that no township reports on the task
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


def join_names(names: Iterable[str]) -> str:
    return "、".join(names)


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
        from python_calamine import CalamineWorkbook

        try:
            self.book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception as exc:  # calamine raises its own error types for every unreadable file
            raise RegisterError(
                f"{path.name} 不是能读取的 Excel 工作簿({type(exc).__name__})",
                suggestion="在 Excel 或 WPS 中打开它并另存为 .xlsx;或用 `excelflow init --force` 重建默认登记表",
            ) from exc
        self.sheet_names = [str(n) for n in self.book.sheet_names]

    def problem(self, message: str, sheet: str, row: int | None = None, column: str | None = None,
                suggestion: str | None = None) -> None:
        self.problems.append(RegisterProblem(message, CellRef(self.file, sheet, row, column), suggestion))

    def rows(self, sheet: str, required: Sequence[str], optional: bool = False) -> list[_Row] | None:
        """The data rows of `sheet` keyed by header; None (and a problem) if it cannot be read."""
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
        rows = []
        for number, values in enumerate(raw[1:], start=2):
            cells = {h: values[index[norm_name(h)]] for h in required if index[norm_name(h)] < len(values)}
            rows.append(_Row(number, cells))
        return rows

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
        key = norm_name(name)
        if key in self.lookup:
            return self.lookup[key]
        for prefix in (ALL_PREFIX, RELEVANT_PREFIX):
            if key.startswith(prefix) and key[len(prefix):] in self.groups:
                return prefix + self.groups[key[len(prefix):]]
        return None

    def members(self, group: str) -> tuple[str, ...]:
        return tuple(u.name for u in self.units if group in u.groups)

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
        key = norm_name(name)
        for prefix in (ALL_PREFIX, RELEVANT_PREFIX):
            if key.startswith(prefix) and len(key) > len(prefix):
                known = "、".join(f"「{prefix}{g}」" for g in self.groups.values()) or "(还没有分组)"
                return (f"分组「{key[len(prefix):]}」在「{UNITS_SHEET}」表「{GROUPS}」列中没有单位;现有的写法:{known}")
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
    rows = reader.rows(UNITS_SHEET, UNIT_COLUMNS)
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
        groups = split_names(row.text(GROUPS))
        for group in groups:
            if group.startswith((ALL_PREFIX, RELEVANT_PREFIX)):
                reader.problem(f"分组名「{group}」不要带「{group[:2] if group.startswith(RELEVANT_PREFIX) else group[0]}」字",
                               UNITS_SHEET, row.number, GROUPS,
                               f"写成「{group.removeprefix(RELEVANT_PREFIX).removeprefix(ALL_PREFIX)}」;任务表里再写「各…」或「相关…」")
                ok = False
        if ok:
            units.append(Unit(name=name, aliases=tuple(a for a in aliases if a != name and a not in clashing),
                              groups=groups,
                              contact=row.text(CONTACT), phone=row.text(PHONE), code=row.text(CODE)))
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
    if not rounds and not any(p.where.sheet == ROUNDS_SHEET for p in reader.problems):
        reader.problem("没有任何轮次", ROUNDS_SHEET, 2, ROUND_ID, "至少填写一个轮次及其两个截止日期")
    return rounds, list(seen)


def _load_tasks(reader: _Reader, names: _Names | None) -> tuple[list[Task], set[int] | None]:
    """The usable tasks, and every task id typed (None when the sheet cannot be read).

    Without `names` (the 单位 sheet is unreadable) unit names are not checked: that one problem is
    reported instead of one per task row.
    """
    rows = reader.rows(TASKS_SHEET, TASK_COLUMNS)
    if rows is None:
        return [], None
    tasks: list[Task] = []
    seen: dict[int, int] = {}
    for row in rows:
        if row.blank(TASK_COLUMNS):
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
        relevant = _resolve_relevant(reader, names, row, (*lead, *co))
        if task_id is None or not text or not lead_ok or not co_ok or relevant is False:
            continue
        tasks.append(Task(id=task_id, chapter=row.text(CHAPTER), section=row.text(SECTION) or None, text=text,
                          lead=lead, co=co, relevant=relevant))  # type: ignore[arg-type]
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


def _resolve_relevant(reader: _Reader, names: _Names, row: _Row, named: Sequence[str]) -> tuple[str, ...] | None | bool:
    """The clerk's choice for `相关…` groups: None = not chosen, () = chose none, False = a problem."""
    typed = split_names(row.text(RELEVANT))
    if not typed:
        return None
    groups = [n[len(RELEVANT_PREFIX):] for n in named if n.startswith(RELEVANT_PREFIX) and names.resolve(n) == n]
    if not groups:
        reader.problem("本任务的牵头/协办单位中没有「相关…」分组,这里的选择不会被使用", TASKS_SHEET, row.number, RELEVANT,
                       f"清空此格;如需这些单位参与,直接写进「{CO}」或在「{CO}」中加上「{RELEVANT}」")
        return False
    if typed == (NONE_CHOSEN,):
        return ()
    allowed = [m for g in groups for m in names.members(g)]
    chosen: list[str] = []
    ok = True
    for name in typed:
        unit = names.resolve(name)
        if unit is None or unit not in allowed:
            hint = f"只能填写分组「{'、'.join(groups)}」的单位(见「{UNITS_SHEET}」表),都不参与填「{NONE_CHOSEN}」"
            near = names.near_miss(name) if unit is None else None
            if near:
                hint = f"是否应为「{near}」?" + hint
            what = "未知单位" if unit is None else f"不属于分组「{'、'.join(groups)}」的单位"
            reader.problem(f"{what}「{name}」", TASKS_SHEET, row.number, RELEVANT, hint)
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
        if key:
            settings[key] = row.text(SETTING_VALUE)
    return settings.pop(TITLE_SETTING, ""), settings


def register_warnings(register: Register) -> tuple[str, ...]:
    """Doubts a usable register still holds, in Chinese, for every command to print."""
    return tuple(w for w in (no_lead_warning(register), unchosen_warning(register)) if w)


def no_lead_warning(register: Register) -> str | None:
    no_lead = [t.id for t in register.tasks if not register.lead_units(t)]
    if not no_lead:
        return None
    return (f"{len(no_lead)} 项任务没有牵头单位,不会向任何单位要报告:任务 {_ids(no_lead)}"
            f"(在「{TASKS_SHEET}」表「{LEAD}」列填写)")


def unchosen_warning(register: Register) -> str | None:
    """The `相关…` groups still waiting for the clerk's choice (`Register.unchosen_relevant`)."""
    unchosen = [t.id for t in register.unchosen_relevant()]
    if not unchosen:
        return None
    return (f"{len(unchosen)} 项任务的「{RELEVANT}」尚未选定,暂不向任何乡镇(街道)要报告:任务 {_ids(unchosen)}"
            f"(在「{TASKS_SHEET}」表「{RELEVANT}」列填写乡镇名称,都不参与填「{NONE_CHOSEN}」)")


def _ids(ids: Sequence[int]) -> str:
    return "、".join(str(i) for i in ids)


# -- writing ------------------------------------------------------------------------------------------
_FIXED_CREATED = datetime(2021, 1, 1)  # a fixed document date keeps the bytes of equal registers equal
_MAX_ROWS_VALIDATED = 2000


def write_register(path: Path, register: Register) -> None:
    """Write `register` as the workbook a clerk edits (atomically: no reader sees half of it)."""
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    book.set_properties({"title": register.title or "任务登记表", "created": _FIXED_CREATED,
                         "comments": "excelflow 任务登记表"})
    styles = _Styles(book)
    _write_tasks(book, styles, register)
    _write_units(book, styles, register)
    _write_rounds(book, styles, register)
    _write_plan(book, styles, register)
    _write_settings(book, styles, register)
    _write_help(book, styles, register)
    book.close()
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except PermissionError as exc:
        raise RegisterError(f"无法写入 {path}:文件被占用或没有写权限", suggestion="先在 Excel/WPS 中关闭登记表再重试") from exc


class _Styles:
    def __init__(self, book: Any):
        body = DEFAULT_FONTS.body.properties()
        base = {**body, "valign": "top", "text_wrap": True, "border": 1, "border_color": "#BFBFBF"}
        self.header = book.add_format({**DEFAULT_FONTS.header.properties(), "border": 1, "border_color": "#BFBFBF",
                                       "text_wrap": True, "bg_color": "#DDEBF7", "align": "center",
                                       "valign": "vcenter"})
        self.text = book.add_format(base)
        self.center = book.add_format({**base, "align": "center"})
        self.date = book.add_format({**base, "num_format": "yyyy-mm-dd", "align": "center"})
        self.reference = book.add_format({**base, "font_color": "#7F7F7F"})
        self.to_choose = book.add_format({"bg_color": "#FFF2CC"})
        self.title = book.add_format({**DEFAULT_FONTS.title.properties()})
        self.note = book.add_format({**body, "text_wrap": True, "valign": "top"})
        self.note_bold = book.add_format({**body, "text_wrap": True, "valign": "top", "bold": True})


def _column_widths(headers: Sequence[str], rows: Sequence[Sequence[Any]], caps: Sequence[int],
                   floors: Sequence[int] = ()) -> list[float]:
    """Each column as wide as its widest line (CJK counted double), at most its cap (then it wraps)."""
    widths = []
    for col, (header, cap) in enumerate(zip(headers, caps)):
        widest = max(display_width(header) + 3, floors[col] if col < len(floors) else 0)  # +3: filter arrow
        for row in rows:
            value = row[col] if col < len(row) else ""
            widest = max(widest, display_width(value.isoformat() if isinstance(value, date) else value) + 1)
        widths.append(float(min(widest, cap)))
    return widths


def _table(book: Any, styles: _Styles, name: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
           caps: Sequence[int], floors: Sequence[int] = (), landscape: bool = True) -> Any:
    """A sheet with a frozen, filtered header row, bordered wrapped cells and print setup."""
    sheet = book.add_worksheet(name)
    widths = _column_widths(headers, rows, caps, floors)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.write_row(0, 0, headers, styles.header)
    sheet.set_row(0, row_height(zip(headers, widths)))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), styles.date)
            elif isinstance(value, int):
                sheet.write_number(r, c, value, styles.center)
            elif value is None or value == "":
                sheet.write_blank(r, c, None, styles.text)
            else:
                sheet.write_string(r, c, str(value), styles.text)
        # Excel does not grow rows for text it did not type itself: size them for the wrapped text.
        sheet.set_row(r, row_height((v, w) for v, w in zip(row, widths) if isinstance(v, str)))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    setup_print(sheet, landscape=landscape, repeat_rows=(0, 0), footer_left=f"任务登记表 · {name}")
    return sheet


def _write_tasks(book: Any, styles: _Styles, register: Register) -> None:
    rows = [
        (t.id, t.chapter, t.section or "", t.text, join_names(t.lead), join_names(t.co),
         "" if t.relevant is None else (join_names(t.relevant) or NONE_CHOSEN))
        for t in register.tasks
    ]
    sheet = _table(book, styles, TASKS_SHEET, TASK_COLUMNS, rows, caps=(6, 22, 20, 60, 24, 30, 24))
    sheet.freeze_panes(1, 1)
    last = max(len(rows), 1) + 200  # room for tasks the clerk adds
    sheet.data_validation(1, 0, last, 0, {
        "validate": "integer", "criteria": ">", "value": 0,
        "error_title": "序号", "error_message": "序号是通知中的任务编号,填写正整数。"})
    # A task that names 相关… and has no choice yet is shaded, until the clerk fills the choice.
    sheet.conditional_format(1, 6, last, 6, {
        "type": "formula", "criteria": f'=AND($G2="",COUNTIF($E2:$F2,"*{RELEVANT_PREFIX}*")>0)',
        "format": styles.to_choose})
    sheet.write_comment(0, 6, f"任务的牵头或协办单位含「{RELEVANT}」时,在此填写参与的乡镇(街道),用「、」分隔;"
                              f"都不参与填「{NONE_CHOSEN}」。黄色格子表示还没选。", {"x_scale": 2, "y_scale": 1.5})


def _write_units(book: Any, styles: _Styles, register: Register) -> None:
    rows = [(u.name, join_names(u.aliases), join_names(u.groups), u.contact, u.phone, u.code) for u in register.units]
    _table(book, styles, UNITS_SHEET, UNIT_COLUMNS, rows, caps=(28, 30, 14, 10, 16, 12), floors=(0, 0, 0, 10, 14),
           landscape=False)


def _write_rounds(book: Any, styles: _Styles, register: Register) -> None:
    rows = [(r.id, r.name, r.co_deadline, r.lead_deadline) for r in register.rounds]
    sheet = _table(book, styles, ROUNDS_SHEET, ROUND_COLUMNS, rows, caps=(12, 16, 14, 14), landscape=False)
    sheet.set_column(2, 3, 14, styles.date)  # rows the clerk adds get the date format too
    sheet.data_validation(1, 2, 200, 3, {
        "validate": "date", "criteria": "between",
        "minimum": datetime(2000, 1, 1), "maximum": datetime(2099, 12, 31),
        "input_title": "截止日期", "input_message": "例如 2021-06-15。当天报送的算按时。",
        "error_title": "不是日期", "error_message": "请填写日期,例如 2021-06-15。"})


def _write_plan(book: Any, styles: _Styles, register: Register) -> None:
    """Every task × round gets a row; the clerk fills the stage goals from the lead units' plans."""
    texts = {t.id: t.text for t in register.tasks}
    given = {(m.task_id, m.round_id): m for m in register.milestones}
    keys = list(given)
    for task in register.tasks:
        keys += [(task.id, r.id) for r in register.rounds if (task.id, r.id) not in given]
    order = {t.id: i for i, t in enumerate(register.tasks)}
    round_order = {r.id: i for i, r in enumerate(register.rounds)}
    keys.sort(key=lambda k: (order.get(k[0], len(order)), k[0], round_order.get(k[1], len(round_order))))
    rows = []
    for task_id, round_id in keys:
        m = given.get((task_id, round_id))
        rows.append((task_id, round_id, m.goal if m else "", m.indicator if m else "",
                     m.due if m and m.due else "", texts.get(task_id, "")))
    headers = (*PLAN_COLUMNS, PLAN_REFERENCE)
    sheet = _table(book, styles, PLAN_SHEET, headers, rows, caps=(8, 10, 40, 24, 12, 50), floors=(0, 0, 36, 22, 12))
    sheet.freeze_panes(1, 2)
    last = len(rows) + 400
    for r in range(1, len(rows) + 1):  # the reference text follows the task: a look-up with its value cached
        sheet.write_formula(r, 5, f"=IFERROR(VLOOKUP(A{r + 1},'{TASKS_SHEET}'!$A:$D,4,FALSE),\"\")",
                            styles.reference, rows[r - 1][5])
    sheet.set_column(4, 4, 12, styles.date)
    sheet.data_validation(1, 1, last, 1, {
        "validate": "list", "source": f"='{ROUNDS_SHEET}'!$A$2:$A$200",
        "error_title": "轮次", "error_message": f"请选择「{ROUNDS_SHEET}」表中已有的轮次。"})
    sheet.data_validation(1, 4, last, 4, {
        "validate": "date", "criteria": "between",
        "minimum": datetime(2000, 1, 1), "maximum": datetime(2099, 12, 31),
        "error_title": "不是日期", "error_message": "请填写日期,例如 2021-06-30,或留空。"})


def _write_settings(book: Any, styles: _Styles, register: Register) -> None:
    items = [(TITLE_SETTING, register.title)] + [(k, v) for k, v in register.settings.items() if k != TITLE_SETTING]
    rows = [(k, v, SETTING_NOTES.get(k, "")) for k, v in items]
    _table(book, styles, SETTINGS_SHEET, (SETTING_KEY, SETTING_VALUE, SETTING_NOTE), rows, caps=(14, 60, 40))


def _write_help(book: Any, styles: _Styles, register: Register) -> None:
    sheet = book.add_worksheet(HELP_SHEET)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 96)
    sheet.write(0, 0, "任务登记表怎么改", styles.title)
    groups = sorted({g for u in register.units for g in u.groups})
    lines = _help_lines(groups)
    for r, (topic, text) in enumerate(lines, start=2):
        sheet.write_string(r, 0, topic, styles.note_bold)
        sheet.write_string(r, 1, text, styles.note)
        sheet.set_row(r, row_height([(text, 96)]))
    setup_print(sheet, landscape=False, footer_left="任务登记表 · 说明")
    sheet.set_tab_color("#70AD47")


def _help_lines(groups: Sequence[str]) -> list[tuple[str, str]]:
    group_text = "、".join(f"「{g}」" for g in groups) or "(目前没有分组)"
    return [
        ("总则", "本工作簿是 excelflow 的任务登记表,之后生成填报表、收集、对比通报都读它。可以改内容、调整列宽、"
                 "增删行,也可以在右边加自己的列;请不要改工作表名称和第 1 行的表头文字。改完保存为 .xlsx。"
                 "任何命令读到填错的地方,都会指出工作表、行、列,并给出修改建议。"),
        (TASKS_SHEET, f"一行一个任务。「{TASK_ID}」是通知里的任务编号,不能重复;「{LEAD}」「{CO}」填单位名称,多个单位用「、」"
                      f"分隔,名称须是「{UNITS_SHEET}」表里的单位名称或别名(写别名也行,读取时按单位名称处理)。"
                      f"某任务确实没有牵头单位时,该格留空,但这项任务不会向任何单位要报告。"),
        ("分组", f"「{CO}」「{LEAD}」里可以写分组:「{ALL_PREFIX}X」表示分组 X 的全部单位;「{RELEVANT_PREFIX}X」表示其中"
                 f"与本任务相关的单位,由您在「{RELEVANT}」列选定。目前的分组:{group_text}。"
                 f"单位属于哪个分组,在「{UNITS_SHEET}」表「{GROUPS}」列填写。"),
        (RELEVANT, f"通知只写了「{RELEVANT}」而没有写是哪些乡镇,请在这一列填写参与的乡镇(街道)名称,用「、」分隔。"
                   f"黄色格子表示还没选:没选之前,这项任务不向任何乡镇(街道)要报告,每个命令都会提醒。"
                   f"确定都不参与,填「{NONE_CHOSEN}」。任务不含「{RELEVANT_PREFIX}…」分组时,这一列留空。"),
        (UNITS_SHEET, f"一行一个单位。「{UNIT_NAME}」是唯一的标准名称,生成的文件、汇总都用它;「{ALIASES}」填通知或"
                      f"各单位习惯的其他写法(如 区市管局、工信局),用「、」分隔——导入新通知时这些别名也会自动识别。"
                      f"「{GROUPS}」填所属分组(如 乡镇(街道))。「{CONTACT}」「{PHONE}」印在发给该单位的填报表上。"
                      f"同一名称或别名不能指两个单位。"),
        (ROUNDS_SHEET, f"一行一次报送(轮次)。「{ROUND_ID}」是编号,如 2021-H1(半年)、2021-FY(全年),按季度或按月报送的"
                       f"可写 2021-Q1、2021-07 等;「{CO_DEADLINE}」是协办单位报牵头单位(抄送督查室)的截止日,"
                       f"「{LEAD_DEADLINE}」是牵头单位汇总后报督查室的截止日,当天报送算按时。协办截止不能晚于牵头截止。"),
        (PLAN_SHEET, f"各牵头单位落实方案中的阶段目标:每个任务每个轮次一行,已列好「{PLAN_TASK}」和「{PLAN_ROUND}」,"
                     f"填写「{GOAL}」「{INDICATOR}」「{DUE}」即可;不填的行不读取。灰色的「{PLAN_REFERENCE}」列只为"
                     f"方便对照,不会被读取。有阶段目标的任务,对比通报会标出欠进度、达进度、超进度。"),
        (SETTINGS_SHEET, "督查室的联系人、电话、邮箱、区名和通知标题,印在生成的表格和通报上。可在下面加行。"),
        ("日期", "日期可以是 Excel 日期,也可以写成 2021-06-15、2021/6/15 或 2021年6月15日。"),
    ]
