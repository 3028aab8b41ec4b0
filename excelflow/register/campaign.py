"""Setting a working folder up: `init` (a new folder with the shipped default register) and
`import` (a published notice → the task register), and the shipped 2021 default itself.

The register built from a notice holds:

* every task of the notice, with its lead and co-units as the parser resolved them (groups such
  as `各乡镇(街道)` stay groups; `相关乡镇(街道)` waits for the clerk's choice);
* every unit the notice names, under its canonical name, with its short forms as aliases (`区工信局`
  also answers to `工信局`), plus the township-level units (the existing register's, else the
  23 of 广丰区 shipped in `data/guangfeng-townships.csv`);
* the rounds of the existing register, or the default half-year/full-year rounds moved to the
  notice's year (the notice's own dates are unreliable: the published text reads `615日`);
* 督查室's contact as the notice gives it.

Importing never throws away a clerk's work silently: a register whose tasks differ from both the
shipped default and the new notice (so, edited by hand or from another notice) is only replaced
with `force`, and what import keeps from it (rounds, aliases, townships, contacts, settings, the
相关 choices and plan milestones of unchanged tasks) is kept either way.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from excelflow.errors import RegisterError, WorkspaceError
from excelflow.files import atomic_write_bytes
from excelflow.notice.parse import NoticeWarning, ParsedNotice, parse_notice
from excelflow.notice.read import read_notice_text
from excelflow.notice.units import DEFAULT_ALIASES, RELEVANT_PREFIX, TOWNSHIP_GROUP, UnitResolver, own_prefix
from excelflow.register.layout import DISTRICT, OFFICE_CONTACT, OFFICE_EMAIL, OFFICE_PHONE
from excelflow.register.load import load_register, register_warnings, unchosen_warning
from excelflow.register.model import Milestone, Register, Round, Task, Unit
from excelflow.register.write import write_register
from excelflow.wording import day, round_name, round_with_id
from excelflow.workspace import Workspace

DATA = Path(__file__).resolve().parent.parent / "data"
SHIPPED_NOTICE = DATA / "guangfeng-2021-task-allocation.txt"
SHIPPED_TOWNSHIPS = DATA / "guangfeng-townships.csv"
SHIPPED_ALIASES = DATA / "guangfeng-aliases.csv"
SHIPPED_ROUNDS = DATA / "default-rounds.csv"
SHIPPED_TEMPLATE = DATA / "template.xlsx"


# -- shipped data ---------------------------------------------------------------------------------
def read_townships(path: Path = SHIPPED_TOWNSHIPS) -> tuple[Unit, ...]:
    """Township-level units (`code,name,kind`) as members of the group `乡镇(街道)`."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return tuple(Unit(row["name"].strip(), groups=(TOWNSHIP_GROUP,), code=row["code"].strip())
                     for row in csv.DictReader(handle) if row["name"].strip())


def read_aliases(path: Path = SHIPPED_ALIASES) -> dict[str, str]:
    """Aliases the clerk confirmed (`别名,单位名称,依据`): written name → canonical unit name."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["别名"].strip(): row["单位名称"].strip() for row in csv.DictReader(handle) if row["别名"].strip()}


def read_rounds(path: Path = SHIPPED_ROUNDS) -> tuple[Round, ...]:
    """Rounds (`轮次,名称,协办单位截止,牵头单位截止`, ISO dates)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return tuple(Round(row["轮次"], row["名称"], date.fromisoformat(row["协办单位截止"]),
                           date.fromisoformat(row["牵头单位截止"])) for row in csv.DictReader(handle))


def default_register() -> Register:
    """The shipped register: 广丰区's 2021 notice, its 23 townships, rounds 2021-H1 and 2021-FY."""
    resolver = _fresh_resolver(read_aliases())  # 广丰区's clerk confirmed these for this notice
    notice = parse_notice(SHIPPED_NOTICE, resolver)
    return build_register(notice, read_notice_text(SHIPPED_NOTICE), resolver, base=None)


# -- building a register from a notice -------------------------------------------------------------
def _resolver(units: Iterable[Unit], aliases: Mapping[str, str]) -> UnitResolver:
    """Resolves names against a register's units: a name it does not know is reported as new."""
    units = tuple(units)
    groups = tuple(dict.fromkeys(g for u in units for g in u.groups)) or (TOWNSHIP_GROUP,)
    return UnitResolver(known=[u.name for u in units], aliases={**DEFAULT_ALIASES, **aliases}, groups=groups)


def _fresh_resolver(aliases: Mapping[str, str] = DEFAULT_ALIASES) -> UnitResolver:
    """For a notice read without a register: no unit is known yet (so none is reported as new)
    and `乡镇(街道)` is the group. Near misses are only suggested until a register's alias says so."""
    return UnitResolver(known=(), aliases={**DEFAULT_ALIASES, **aliases}, groups=(TOWNSHIP_GROUP,))


def build_register(notice: ParsedNotice, notice_text: str, resolver: UnitResolver, base: Register | None,
                   townships: Sequence[Unit] | None = None) -> Register:
    """The register for `notice`, keeping from `base` what outlives a notice (see module doc)."""
    base_units = {u.name: u for u in base.units} if base else {}
    grouped = [u for u in base.units if u.groups] if base else list(townships or read_townships())
    grouped_names = {u.name for u in grouped}
    named: list[str] = []
    for task in notice.tasks:
        for name in (*task.lead, *task.co):
            if not resolver.is_group(name) and name not in grouped_names and name not in named:
                named.append(name)
    taken = set(named) | grouped_names | {a for u in grouped for a in u.aliases}
    units: list[Unit] = []
    for name in named:
        known = base_units.get(name, Unit(name))
        aliases = [a for a in (*known.aliases, *_short_forms(name, resolver)) if a not in taken]
        taken.update(aliases)
        units.append(replace(known, aliases=tuple(dict.fromkeys(aliases))))
    units += grouped

    old_tasks = {t.id: t for t in base.tasks} if base else {}
    tasks: list[Task] = []
    kept: set[int] = set()
    for parsed in notice.tasks:
        new = Task(parsed.id, parsed.chapter, parsed.section, parsed.text, parsed.lead, parsed.co)
        old = old_tasks.get(new.id)
        if old is not None and _same_task(old, new):
            new = old  # the clerk's 相关 choice for an unchanged task is kept
            kept.add(new.id)
        tasks.append(new)

    rounds = _rounds_for(notice, base)
    round_ids = {r.id for r in rounds}
    milestones: tuple[Milestone, ...] = tuple(
        m for m in (base.milestones if base else ()) if m.task_id in kept and m.round_id in round_ids)
    settings = {**(base.settings if base else {}), **notice_settings(notice_text)}
    return Register(title=notice.title, units=tuple(units), tasks=tuple(tasks), rounds=rounds,
                    milestones=milestones, settings=settings)


def _same_task(a: Task, b: Task) -> bool:
    return (a.id, a.chapter, a.section, a.text, a.lead, a.co) == (b.id, b.chapter, b.section, b.text, b.lead, b.co)


def _short_forms(name: str, resolver: UnitResolver) -> list[str]:
    """Other ways a notice writes `name`: alias-table entries for it, and `工信局` for `区工信局`."""
    forms = [alias for alias, target in resolver.aliases.items() if target == name and alias != name]
    prefix = own_prefix(name)
    # 区委组织部 is not 委组织部: only a 区 unit whose rest reads as a unit name of its own.
    if prefix is not None and len(name) >= 4 and not name[1:].startswith(("委", "政府", "人民政府")):
        forms.append(name[1:])
    return forms


def _rounds_for(notice: ParsedNotice, base: Register | None) -> tuple[Round, ...]:
    """The base register's rounds; the shipped defaults (moved to the notice's year) otherwise."""
    defaults = read_rounds()
    if base is not None and base.rounds and base.rounds != defaults:
        return base.rounds
    year = notice_year(notice.title)
    return defaults if year is None else _move_rounds(defaults, year)


def notice_year(title: str) -> int | None:
    """The year a notice is about, from its title (`…2021年区政府工作报告…` → 2021)."""
    match = re.search(r"(20\d{2})\s*年", title)
    return int(match.group(1)) if match else None


def _move_rounds(rounds: Sequence[Round], year: int) -> tuple[Round, ...]:
    moved = []
    for r in rounds:
        shift = year - r.lead_deadline.year
        rid = re.sub(r"^\d{4}", str(year), r.id) if shift else r.id
        moved.append(Round(rid, r.name, _shift_year(r.co_deadline, shift), _shift_year(r.lead_deadline, shift)))
    return tuple(moved)


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


_CONTACT_RE = re.compile(r"联\s*系\s*人\s*[::]\s*([\u4e00-\u9fff]{2,4})")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DISTRICT_RE = re.compile(r"(?:[\u4e00-\u9fff]{2,4}?[省市])?([\u4e00-\u9fff]{2,4}?[区县])人民政府")


def notice_settings(text: str) -> dict[str, str]:
    """督查室's contact (name, phone, e-mail) and the district, where the notice states them.

    The contact line of a notice reads `联系人:陈哲琪(18879351014 413946681@qq.com`; the phone and
    address are looked for on that line only, so a number inside a task is never taken.
    """
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _CONTACT_RE.search(line)
        if match and OFFICE_CONTACT not in found:
            found[OFFICE_CONTACT] = match.group(1)
            rest = line[match.end():]
            if phone := _PHONE_RE.search(rest):
                found[OFFICE_PHONE] = phone.group(1)
            if email := _EMAIL_RE.search(rest):
                found[OFFICE_EMAIL] = email.group(0)
        district = _DISTRICT_RE.search(line)
        if district and DISTRICT not in found:
            found[DISTRICT] = district.group(1)
    return found


# -- init ---------------------------------------------------------------------------------------------
def init_workspace(ws: Workspace, force: bool = False) -> list[str]:
    """Lay out a working folder with the shipped default register; returns the lines to print."""
    if ws.register_path.exists() and not force:
        raise WorkspaceError(
            f"{ws.register_path} 已有任务登记表,为免覆盖您的修改,没有改动任何文件。"
            "如确要换成默认登记表,请加 --force;导入新通知请用 `excelflow import 通知文件`。")
    for folder in (ws.workbooks, ws.inbox, ws.outbox):
        folder.mkdir(parents=True, exist_ok=True)
    register = default_register()
    write_register(ws.register_path, register)
    lines = [f"已建立工作文件夹:{ws.root.resolve()}",
             f"任务登记表:{ws.register_path}({_register_summary(register)})"]
    if not SHIPPED_TEMPLATE.is_file():
        lines.append("填报模板:本版本未附带默认模板,已跳过(生成填报表时会说明如何提供 workbooks/template.xlsx)")
    elif ws.template_path.exists() and not force:
        lines.append(f"填报模板:{ws.template_path} 已存在,保留不动(加 --force 换成默认模板)")
    else:
        atomic_write_bytes(ws.template_path, SHIPPED_TEMPLATE.read_bytes())
        lines.append(f"填报模板:{ws.template_path}(可在 Excel 中改字体、颜色、列宽)")
    lines.append(f"收件箱:{ws.inbox}(各单位报回的表格放这里,可建子文件夹)")
    lines.append(f"输出:{ws.outbox}")
    lines += [f"提示:{w}" for w in register_warnings(register)]
    lines.append("下一步:核对登记表;新一年的通知用 `excelflow import 通知文件` 导入。")
    return lines


def _register_summary(register: Register) -> str:
    rounds = "、".join(round_with_id(r) for r in register.rounds)
    return f"{len(register.tasks)} 项任务,{len(register.units)} 个单位,轮次 {rounds}"


# -- import ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    """What `import_notice` did: the notice as parsed, the register written, and the doubts.

    `notice.warnings` are the parser's (with line numbers); `warnings` are about the register.
    """

    notice: ParsedNotice
    register: Register
    path: Path
    warnings: tuple[str, ...]


def existing_register(ws: Workspace) -> tuple[Register | None, RegisterError | None]:
    """The workspace's register, or None with the reason it cannot be loaded (None, None: no file)."""
    if not ws.register_path.exists():
        return None, None
    try:
        return load_register(ws.register_path), None
    except RegisterError as exc:
        return None, exc


def parse_with(notice: Path, base: Register | None) -> tuple[ParsedNotice, UnitResolver]:
    """Parse `notice` knowing `base`'s units, groups and aliases (the shipped ones without a base)."""
    if base is not None:
        resolver = _resolver(base.units, {a: u.name for u in base.units for a in u.aliases})
    else:
        resolver = _fresh_resolver()
    return parse_notice(notice, resolver), resolver


def import_notice(ws: Workspace, notice: Path, force: bool = False) -> ImportResult:
    """Write the register for `notice` into `ws`; see the module doc for what is kept."""
    base, broken = existing_register(ws)
    warnings: list[str] = []
    if broken is not None:
        if not force:
            raise WorkspaceError(
                f"现有任务登记表有问题,为免丢失您的修改,没有导入:\n{broken}\n"
                "请先修好它;或加 --force 按新通知重建(乡镇、别名、轮次改用默认)。")
        warnings.append("现有登记表无法读取,已按新通知重建,乡镇、别名、轮次用默认设置")
    parsed, resolver = parse_with(notice, base)
    register = build_register(parsed, read_notice_text(notice), resolver, base)
    if base is not None and not force and not _replaceable(base, register):
        raise WorkspaceError(
            f"{ws.register_path} 中的任务与新通知不同,也不是默认登记表(可能有您的修改),没有改动。"
            "加 --force 按新通知重写「任务」表:轮次、单位别名、乡镇、联系人和设置会保留,"
            "未变的任务保留其相关乡镇选择和计划。")
    write_register(ws.register_path, register)
    if base is None or base.rounds == read_rounds():
        warnings.append(f"轮次按默认设置:{_rounds_text(register.rounds)};请在登记表「轮次」表核对")
    warnings += _check_written(ws.register_path)
    # The parser already reported each task without a lead unit, with its line.
    warnings += [w for w in (unchosen_warning(register),) if w]
    return ImportResult(parsed, register, ws.register_path, tuple(warnings))


def _replaceable(base: Register, new: Register) -> bool:
    """Whether replacing `base` loses nothing of the clerk's: its tasks are the default's or the new ones."""
    def key(r: Register) -> tuple[tuple[object, ...], ...]:
        return tuple((t.id, t.chapter, t.section, t.text, t.lead, t.co) for t in r.tasks)
    return key(base) == key(new) or key(base) == key(default_register())


def _check_written(path: Path) -> list[str]:
    """A notice with repeated numbers gives a register the clerk must fix: say so at once."""
    try:
        load_register(path)
    except RegisterError as exc:
        return [f"登记表已写入,但须先修改才能使用:{exc}"]
    return []


def _rounds_text(rounds: Sequence[Round]) -> str:
    return "、".join(f"{round_name(r)}({r.id},协办截止 {day(r.co_deadline)},牵头截止 {day(r.lead_deadline)})"
                     for r in rounds)


def import_summary(result: ImportResult) -> list[str]:
    """The Chinese lines `excelflow import` prints: tasks per chapter, units, warnings, the path."""
    register = result.register
    lines = [f"通知:{result.notice.title or '(未识别出标题)'}",
             f"任务:共 {len(register.tasks)} 项"]
    chapters: dict[str, int] = {}
    for task in register.tasks:
        chapters[task.chapter] = chapters.get(task.chapter, 0) + 1
    lines += [f"  {chapter or '(无章标题)'}:{count} 项" for chapter, count in chapters.items()]
    grouped = [u for u in register.units if u.groups]
    named = len(register.units) - len(grouped)
    groups = sorted({g for u in grouped for g in u.groups})
    lines.append(f"单位:{named} 个(不含分组)" + "".join(
        f",分组「{g}」{len(register.group_members(g))} 个" for g in groups))
    relevant = sum(1 for t in register.tasks if any(n.startswith(RELEVANT_PREFIX) for n in (*t.lead, *t.co)))
    if relevant:
        lines.append(f"「相关…」分组:{relevant} 项任务需在登记表中选定参与单位")
    lines.append(f"轮次:{_rounds_text(register.rounds)}")
    notes = [_notice_warning(w) for w in result.notice.warnings] + list(result.warnings)
    if notes:
        lines.append(f"提示({len(notes)} 条):")
        lines += [f"  - {n}" for n in notes]
    else:
        lines.append("提示:无")
    lines.append(f"已写入任务登记表:{result.path}")
    return lines


def _notice_warning(warning: NoticeWarning) -> str:
    return f"第 {warning.line} 行:{warning.message}" if warning.line is not None else warning.message
