"""Setting a working folder up: `init` (an empty folder for a new campaign, or the shipped example)
and `import` (a published notice → the task register), and the shipped 2021 example itself.

A new campaign starts clean: `init` writes a register with no units, no tasks and no rounds, and
a 设置 sheet with blanks to fill. The shipped example (广丰区 2021: its notice, its 23 townships,
the aliases its clerk confirmed) is only written by `init --example` and the demo; nothing of it
applies to any other notice.

The register built from a notice holds:

* every task of the notice, with its lead and co-units as the parser resolved them (groups such
  as `各县（市、区）人民政府` stay groups and wait for the clerk to list their members; `相关…`
  groups wait for the clerk's choice per task), and the completion date the notice gives;
* every unit the notice names, under its canonical name, with its short forms as aliases (`区工信局`
  also answers to `工信局`), plus the units the clerk listed in groups;
* the rounds of the existing register, or the usual half-year/full-year rounds in the notice's
  year (from its title, a heading or its date; else the year of `now`, and import says so);
* the office as the notice names it (`成都市人民政府督查室`, its level and place) and its contact,
  where the notice gives them; what the clerk typed in 设置 wins over what the notice says.

Importing never throws away a clerk's work silently: a register of another notice is only
replaced with `force` (and then nothing of it is kept: another notice is another campaign); a
register of the same notice whose tasks were edited by hand likewise, keeping what outlives a
notice (rounds, aliases, group members, contacts, settings, the 相关 choices and plan milestones
of unchanged tasks).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from excelflow.errors import RegisterError, WorkspaceError
from excelflow.files import atomic_write_bytes
from excelflow.notice.parse import NoticeWarning, ParsedNotice, parse_notice
from excelflow.notice.read import read_notice_text
from excelflow.notice.units import (
    DEFAULT_ALIASES,
    TOWNSHIP_GROUP,
    UnitResolver,
    fold_width,
    group_key,
    is_group,
    is_relevant_group,
    own_prefix,
)
from excelflow.register.layout import (
    LEVEL,
    OFFICE_CONTACT,
    OFFICE_EMAIL,
    OFFICE_NAME,
    OFFICE_PHONE,
    OFFICE_SETTINGS,
    PLACE,
    SETTINGS_SHEET,
    UNITS_SHEET,
)
from excelflow.register.load import load_register, register_warnings, waiting_warnings
from excelflow.register.model import Milestone, Register, Round, Task, Unit
from excelflow.register.write import write_register
from excelflow.wording import day, round_name, round_with_id
from excelflow.workspace import Workspace

DATA = Path(__file__).resolve().parent.parent / "data"
SHIPPED_NOTICE = DATA / "guangfeng-2021-task-allocation.txt"
SHIPPED_TOWNSHIPS = DATA / "guangfeng-townships.csv"
SHIPPED_ALIASES = DATA / "guangfeng-aliases.csv"
SHIPPED_ROUNDS = DATA / "default-rounds.csv"
SHIPPED_TEMPLATE = DATA / "template.xlsx"  # the example's (titled 区政府工作报告, as its notice)
NEW_CAMPAIGN_TEMPLATE = DATA / "template-new-campaign.xlsx"  # titled with the campaign's {政府}


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
    """The shipped example: 广丰区's 2021 notice, its 23 townships, rounds 2021-H1 and 2021-FY."""
    resolver = _fresh_resolver(read_aliases())  # 广丰区's clerk confirmed these for this notice
    notice = parse_notice(SHIPPED_NOTICE, resolver)
    return build_register(notice, read_notice_text(SHIPPED_NOTICE), resolver, base=None,
                          townships=read_townships())



def empty_register() -> Register:
    """A new campaign's register: no units, no tasks, no rounds; 设置 with blanks to fill."""
    return Register(title="", units=(), tasks=(), rounds=(), settings=dict.fromkeys(OFFICE_SETTINGS, ""))


# -- building a register from a notice -------------------------------------------------------------
def _resolver(units: Iterable[Unit], aliases: Mapping[str, str], level: str | None) -> UnitResolver:
    """Resolves names against a register's units: near misses of its names are reported."""
    units = tuple(units)
    groups = tuple(dict.fromkeys(g for u in units for g in u.groups))
    return UnitResolver(known=[u.name for u in units], aliases={**DEFAULT_ALIASES, **aliases},
                        groups=groups).at_level(level)


def _fresh_resolver(aliases: Mapping[str, str] = DEFAULT_ALIASES) -> UnitResolver:
    """For a notice read without a register: no unit is known yet (so none is reported as new).
    Near misses are only suggested until a register's alias says so."""
    return UnitResolver(known=(), aliases={**DEFAULT_ALIASES, **aliases})


def build_register(notice: ParsedNotice, notice_text: str, resolver: UnitResolver, base: Register | None,
                   townships: Sequence[Unit] = (), now: datetime | None = None) -> Register:
    """The register for `notice`, keeping from `base` (the same campaign's register, or the
    clerk's empty one) what outlives a notice (see the module doc)."""
    base_units = {u.name: u for u in base.units} if base else {}
    grouped = [u for u in base.units if u.groups] if base else list(townships)
    grouped_names = {u.name for u in grouped}
    named: list[str] = []
    for task in notice.tasks:
        for name in (*task.lead, *task.co):
            if not is_group(name) and name not in grouped_names and name not in named:
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
        new = Task(parsed.id, parsed.chapter, parsed.section, parsed.text, parsed.lead, parsed.co, due=parsed.due)
        old = old_tasks.get(new.id)
        if old is not None and _same_task(old, new):
            new = replace(new, relevant=old.relevant, due=old.due or new.due)  # the clerk's choice is kept
            kept.add(new.id)
        tasks.append(new)

    rounds = _rounds_for(notice, base, now)
    round_ids = {r.id for r in rounds}
    milestones: tuple[Milestone, ...] = tuple(
        m for m in (base.milestones if base else ()) if m.task_id in kept and m.round_id in round_ids)
    return Register(title=notice.title, units=tuple(units), tasks=tuple(tasks), rounds=rounds,
                    milestones=milestones, settings=_settings(notice, notice_text, base))


def _settings(notice: ParsedNotice, notice_text: str, base: Register | None) -> dict[str, str]:
    """The office's settings: what the clerk typed wins; the notice fills the blanks."""
    found = {OFFICE_NAME: notice.issuer.office, LEVEL: notice.issuer.level, PLACE: notice.issuer.place,
             **notice_settings(notice_text)}
    typed = {k: v for k, v in (base.settings if base else {}).items() if v}
    settings = {key: typed.get(key) or found.get(key, "") for key in OFFICE_SETTINGS}
    settings.update({k: v for k, v in (base.settings if base else {}).items() if k not in settings})
    return settings


def _same_task(a: Task, b: Task) -> bool:
    return (a.id, a.chapter, a.section, a.text, a.lead, a.co) == (b.id, b.chapter, b.section, b.text, b.lead, b.co)


def _short_forms(name: str, resolver: UnitResolver) -> list[str]:
    """Other ways a notice writes `name`: alias-table entries for it, and `工信局` for `区工信局`."""
    forms = [alias for alias, target in resolver.aliases.items() if target == name and alias != name]
    prefix = own_prefix(name, resolver.prefixes)
    if prefix is not None and name[len(prefix):] == "市场监督管理局":  # the abbreviations the parser reads
        forms += [prefix + short for short in ("市管局", "市监局", "市场监管局")]
    # 区委组织部 is not 委组织部: only a unit whose rest reads as a unit name of its own.
    rest = name[len(prefix):] if prefix else ""
    if prefix is not None and len(rest) >= 3 and not rest.startswith(("委", "政府", "人民政府")):
        forms.append(rest)
    return forms


def _rounds_for(notice: ParsedNotice, base: Register | None, now: datetime | None) -> tuple[Round, ...]:
    """The base register's rounds; the usual ones (moved to the notice's year) otherwise."""
    defaults = read_rounds()
    if base is not None and base.rounds and base.rounds != defaults:
        return base.rounds
    year = notice.year.year or (now.year if now is not None else None)
    return defaults if year is None else _move_rounds(defaults, year)


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


def notice_settings(text: str) -> dict[str, str]:
    """督查室's contact (name, phone, e-mail), where the notice states them.

    The contact line of a notice reads `联系人:陈哲琪(18879351014 413946681@qq.com`; the phone and
    address are looked for on that line only, so a number inside a task is never taken.
    """
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = fold_width(line)  # `联系人：王小红（0771-5551234，…）` as typed in a word processor
        match = _CONTACT_RE.search(line)
        if match and OFFICE_CONTACT not in found:
            found[OFFICE_CONTACT] = match.group(1)
            rest = line[match.end():]
            if phone := _PHONE_RE.search(rest):
                found[OFFICE_PHONE] = phone.group(1)
            if email := _EMAIL_RE.search(rest):
                found[OFFICE_EMAIL] = email.group(0)
    return found


# -- init ---------------------------------------------------------------------------------------------
def init_workspace(ws: Workspace, force: bool = False, example: bool = False) -> list[str]:
    """Lay out a working folder: an empty register for a new campaign, or the shipped example;
    returns the lines to print."""
    if ws.register_path.exists() and not force:
        raise WorkspaceError(
            f"{ws.register_path} 已有任务登记表,为免覆盖您的修改,没有改动任何文件。"
            "如确要重新开始,请加 --force;导入新通知请用 `excelflow import 通知文件`。")
    for folder in (ws.workbooks, ws.inbox, ws.outbox):
        folder.mkdir(parents=True, exist_ok=True)
    register = default_register() if example else empty_register()
    write_register(ws.register_path, register)
    lines = [f"已建立工作文件夹:{ws.root.resolve()}"]
    if example:
        lines.append(f"任务登记表:{ws.register_path}(示例:2021 年广丰区,{_register_summary(register)})")
    else:
        lines.append(f"任务登记表:{ws.register_path}(空白:还没有任务和单位;「{SETTINGS_SHEET}」表的督查室名称、"
                     "联系人、电话等待填写,导入通知时会按通知填上)")
    template = SHIPPED_TEMPLATE if example else NEW_CAMPAIGN_TEMPLATE
    if not template.is_file():
        lines.append("填报模板:本版本未附带默认模板,已跳过(生成填报表时会说明如何提供 workbooks/template.xlsx)")
    elif ws.template_path.exists() and not force:
        lines.append(f"填报模板:{ws.template_path} 已存在,保留不动(加 --force 换成默认模板)")
    else:
        atomic_write_bytes(ws.template_path, template.read_bytes())
        lines.append(f"填报模板:{ws.template_path}(可在 Excel 中改字体、颜色、列宽)")
    lines.append(f"收件箱:{ws.inbox}(各单位报回的表格放这里,可建子文件夹)")
    lines.append(f"输出:{ws.outbox}")
    if example:
        lines += [f"提示:{w}" for w in register_warnings(register)]
        lines.append("下一步:核对登记表;或运行 `excelflow demo` 看完整演示。")
    else:
        lines.append("下一步:用 `excelflow import 通知文件` 导入任务分工通知(.txt、.docx、.xlsx、.xls、.pdf 均可)。")
    return lines


def _register_summary(register: Register) -> str:
    rounds = "、".join(round_with_id(r) for r in register.rounds)
    return f"{len(register.tasks)} 项任务,{len(register.units)} 个单位,轮次 {rounds}"


# -- import ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    """What `import_notice` did: the notice as parsed, the register written, and the doubts.

    `notice.warnings` are the parser's (with line numbers); `actions` are what the clerk must do
    about the register (shown first), `warnings` the rest; `new_units` the units registered now.
    """

    notice: ParsedNotice
    register: Register
    path: Path
    warnings: tuple[str, ...]
    actions: tuple[str, ...] = ()
    new_units: int = 0
    year_guessed: int | None = None  # the year of `now`, when the notice says none


def existing_register(ws: Workspace) -> tuple[Register | None, RegisterError | None]:
    """The workspace's register, or None with the reason it cannot be loaded (None, None: no file)."""
    if not ws.register_path.exists():
        return None, None
    try:
        return load_register(ws.register_path), None
    except RegisterError as exc:
        return None, exc


def same_campaign(base: Register, notice: ParsedNotice) -> bool:
    """Whether `base` was made from this notice (same title, or most of its tasks' texts): an empty
    register belongs to whatever notice comes first."""
    if not base.tasks:
        return True
    if base.title and _plain(base.title) == _plain(notice.title):
        return True
    texts = {_plain(t.text) for t in base.tasks}
    return sum(_plain(t.text) in texts for t in notice.tasks) * 2 > max(len(notice.tasks), 1)


def _plain(text: str) -> str:
    return re.sub(r"[\s*_#]", "", text)


def parse_with(notice: Path, base: Register | None) -> tuple[ParsedNotice, UnitResolver]:
    """Parse `notice` for a register: knowing `base`'s units, aliases and level when it belongs to
    the same campaign, and nothing of it otherwise (another campaign's names must not resolve
    this notice's: a bare `交通局` is not another district's 区交通局)."""
    fresh = _fresh_resolver()
    parsed = parse_notice(notice, fresh)
    if base is None or not base.units or not same_campaign(base, parsed):
        return parsed, fresh
    resolver = _resolver(base.units, {a: u.name for u in base.units for a in u.aliases},
                         base.settings.get(LEVEL) or parsed.issuer.level or None)
    return parse_notice(notice, resolver), resolver


def import_notice(ws: Workspace, notice: Path, force: bool = False, now: datetime | None = None) -> ImportResult:
    """Write the register for `notice` into `ws`; see the module doc for what is kept."""
    base, broken = existing_register(ws)
    warnings: list[str] = []
    if broken is not None:
        if not force:
            raise WorkspaceError(
                f"现有任务登记表有问题,为免丢失您的修改,没有导入:\n{broken}\n"
                "请先修好它;或加 --force 按新通知重建(原登记表的内容不再保留)。")
        warnings.append("现有登记表无法读取,已按新通知重建")
    parsed, resolver = parse_with(notice, base)
    if base is not None and base.tasks and not same_campaign(base, parsed):
        if not force:
            raise WorkspaceError(
                f"{ws.register_path} 是另一份通知的登记表(「{base.title or '未识别出标题'}」),"
                f"与要导入的「{parsed.title or notice.name}」不是同一份,没有改动。"
                "新通知请新建工作文件夹:`excelflow init 新文件夹` 再导入;"
                "确要在这里重新开始,加 --force(原登记表的任务、单位、轮次和设置都不再保留)。")
        warnings.append(f"已按新通知重新开始:原登记表(「{base.title or '未识别出标题'}」)的任务、单位、轮次和设置都已替换")
        base = None
    register = build_register(parsed, read_notice_text(notice), resolver, base, now=now)
    if base is not None and base.tasks and not force and not _replaceable(base, register):
        raise WorkspaceError(
            f"{ws.register_path} 中的任务与新通知不同(可能有您的修改),没有改动。"
            "加 --force 按新通知重写「任务」表:轮次、单位别名、分组成员、联系人和设置会保留,"
            "未变的任务保留其相关单位选择和计划。")
    write_register(ws.register_path, register)
    known = {u.name for u in base.units} if base else set()
    new_units = sum(1 for u in register.units if u.name not in known)
    year_guessed = None
    if parsed.year.year is None and (base is None or not base.rounds or base.rounds == read_rounds()):
        year_guessed = register.rounds[0].lead_deadline.year if register.rounds else None
    actions = _actions(parsed, register)
    problems = _check_written(ws.register_path)
    return ImportResult(parsed, register, ws.register_path, tuple(warnings), tuple(problems + actions),
                        new_units, year_guessed)


def _actions(parsed: ParsedNotice, register: Register) -> list[str]:
    """What the clerk must see to before the register asks the right units: groups to fill, the
    office and its contact to name."""
    actions = list(waiting_warnings(register))
    office = register.settings
    if not office.get(OFFICE_NAME) and not (office.get(LEVEL) and office.get(PLACE)):
        actions.append(f"没有从通知中读出发文机关:请在登记表「{SETTINGS_SHEET}」表填写「{OFFICE_NAME}」(如 某某市人民政府督查室)、"
                       f"「{LEVEL}」和「{PLACE}」;在此之前,填报表和通报上只写「督查室」")
    missing = [word for key, word in ((OFFICE_CONTACT, "联系人"), (OFFICE_PHONE, "电话")) if not office.get(key)]
    if missing:
        actions.append(f"通知里没有写督查室的{'和'.join(missing)}:请在登记表「{SETTINGS_SHEET}」表填写"
                       f"「{OFFICE_CONTACT}」「{OFFICE_PHONE}」;在此之前,填报表上不印联系方式")
    return actions


def _replaceable(base: Register, new: Register) -> bool:
    """Whether replacing `base` loses nothing of the clerk's: its tasks are the new ones."""
    def key(r: Register) -> tuple[tuple[object, ...], ...]:
        return tuple((t.id, t.chapter, t.section, t.text, t.lead, t.co) for t in r.tasks)
    return key(base) == key(new)


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


_OTHER_NOTES_SHOWN = 12  # the summary fits one screen; `--json` lists every warning


def import_summary(result: ImportResult) -> list[str]:
    """The Chinese lines `excelflow import` prints, what needs the clerk first, on one screen."""
    register, notice = result.register, result.notice
    office = register.office
    lines = [f"通知:{notice.title or '(未识别出标题)'}"]
    where = ",".join(f"{key}:{register.settings[key]}" for key in (LEVEL, PLACE) if register.settings.get(key))
    lines.append(f"督查室:{office.name}" + (f"({where})" if where else "") + f";可在登记表「{SETTINGS_SHEET}」表修改")
    if result.year_guessed is not None:
        lines.append(f"年份:通知的标题、说明和落款都没有写年份,轮次按 {result.year_guessed} 年设置;请在登记表「轮次」表核对")
    elif notice.year.year is not None:
        lines.append(f"年份:{notice.year.year} 年(取自{notice.year.source})")
    actions = _urgent_lines(notice) + list(result.actions)
    if actions:
        lines.append(f"需要您处理({len(actions)} 条):")
        lines += [f"  - {a}" for a in actions]
    due = sum(1 for t in register.tasks if t.due)
    lines.append(f"任务:共 {len(register.tasks)} 项" + (f"(其中 {due} 项写明完成时限)" if due else ""))
    chapters: dict[str, int] = {}
    for task in register.tasks:
        chapters[task.chapter] = chapters.get(task.chapter, 0) + 1
    lines += [f"  {chapter or '(无章标题)'}:{count} 项" for chapter, count in chapters.items()]
    lines.append(_units_line(register, result.new_units))
    lines.append(f"轮次:{_rounds_text(register.rounds)}")
    notes = [_notice_warning(w) for w in notice.warnings if not w.urgent] + list(result.warnings)
    if notes:
        lines.append(f"其他提示({len(notes)} 条):")
        lines += [f"  - {n}" for n in notes[:_OTHER_NOTES_SHOWN]]
        if len(notes) > _OTHER_NOTES_SHOWN:
            lines.append(f"  ……另有 {len(notes) - _OTHER_NOTES_SHOWN} 条,用 `excelflow import 通知文件 --json` 可看全部")
    lines.append(f"已写入任务登记表:{result.path}")
    return lines


_NO_LEAD = re.compile(r"^第(\d+)项没有主办\(牵头\)单位")
_URGENT_SHOWN = 6  # lines of the notice that need the clerk, one by one; more are counted


def _urgent_lines(notice: ParsedNotice) -> list[str]:
    """The parser's urgent warnings; many tasks without a lead (a layout not read) in one line."""
    urgent = [w for w in notice.warnings if w.urgent]
    no_lead = [w for w in urgent if _NO_LEAD.match(w.message)]
    others = [w for w in urgent if w not in no_lead]
    lines = [_notice_warning(w) for w in others[:_URGENT_SHOWN]]
    if len(others) > _URGENT_SHOWN:
        lines.append(f"……另有 {len(others) - _URGENT_SHOWN} 行不属于任何任务,用 `excelflow import 通知文件 --json` 可看全部")
    if len(no_lead) > 3:
        ids = "、".join(m.group(1) for w in no_lead[:20] if (m := _NO_LEAD.match(w.message)))
        lines.append(f"{len(no_lead)} 项任务没有读出主办(牵头)单位:任务 {ids}{' 等' if len(no_lead) > 20 else ''}"
                     f"(第 {no_lead[0].line} 行起);请核对通知的写法,或在登记表「任务」表「牵头单位」列补上")
    else:
        lines += [_notice_warning(w) for w in no_lead]
    return lines


def _units_line(register: Register, new_units: int) -> str:
    grouped = [u for u in register.units if u.groups]
    named = len(register.units) - len(grouped)
    line = f"单位:{named} 个"
    if new_units:
        line += f",新登记 {new_units} 个单位,见「{UNITS_SHEET}」表"
    groups = list(dict.fromkeys(n for t in register.tasks for n in (*t.lead, *t.co) if is_group(n)))
    if groups:
        shown = []
        for group in groups[:6]:
            members = register.group_members(group_key(group))
            if is_relevant_group(group):
                shown.append(f"「{group}」逐项选定")
            else:
                shown.append(f"「{group}」{len(members)} 个成员" if members else f"「{group}」待列出成员")
        line += ";分组:" + "、".join(shown) + ("等" if len(groups) > 6 else "")
    return line


def _notice_warning(warning: NoticeWarning) -> str:
    return f"第 {warning.line} 行:{warning.message}" if warning.line is not None else warning.message
