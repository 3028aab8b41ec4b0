"""Whose return is this, for which round? Answered without the identity sheet.

A retyped or home-made form has no identity sheet: the unit is read from the `填报单位` typed in
the header block, else from the file name or its folder, and the round from the sheet titles and
file name, else from the receipt time. Each guess is said as a warning (with the cell it came
from) so the clerk can confirm it; a sheet whose header names another unit is that unit's form
and is never read for the unit placed. Also the register look-ups identity needs: a typed name
to a register unit (aliases, prefixes), a unit named inside a text.
"""

from __future__ import annotations

import re
from datetime import datetime

from excelflow.intake.context import DataSheet, ReadContext
from excelflow.intake.extract import header_block_text, header_block_unit
from excelflow.intake.records import Confidence
from excelflow.notice.units import DEFAULT_ALIASES, PREFIXES, UnitResolver, normalize_name
from excelflow.register.model import Register, Round


def check_header_unit(ctx: ReadContext, sheets: list[DataSheet], unit: str) -> None:
    """Warn when the header block names another unit than the identity (a form passed on)."""
    for sheet, header in sheets:
        hit = header_block_unit(sheet, header)
        if hit is None:
            continue
        typed = resolve_unit(ctx.register, hit[0]) or unit_in_text(ctx.register, hit[0])
        if typed is not None and typed != unit:
            ctx.problem("warning", f"表头「填报单位」填的是「{hit[0]}」,但本表是下发给「{unit}」的,已按「{unit}」"
                        f"接收。如确是「{typed}」报送,请让其使用自己的填报表重新报送。", sheet.name, hit[1])
        return


def place(ctx: ReadContext, sheets: list[DataSheet]) -> tuple[str, str, Confidence] | None:
    """(unit, round, how sure) of a return without identity, or None (an error says why)."""
    typed: tuple[str, str, str] | None = None  # (text, sheet, cell)
    unit: str | None = None
    confidence: Confidence = "header"
    for sheet, header in sheets:
        hit = header_block_unit(sheet, header)
        if hit is not None:
            typed = (hit[0], sheet.name, hit[1])
            unit = resolve_unit(ctx.register, hit[0]) or unit_in_text(ctx.register, hit[0])
            if unit is not None:
                confidence = "header"
                break
    if unit is None:
        unit = unit_in_path(ctx.register, ctx.file)
        confidence = "filename"
    if unit is None:
        ctx.problem("error", _unplaced_reason(ctx, typed), typed[1] if typed else None, typed[2] if typed else None)
        return None
    texts = " ".join(header_block_text(s, h) for s, h in sheets)
    round_id = _guess_round(ctx, texts + " " + ctx.file)
    if round_id is None:
        return None
    if confidence == "header" and typed is not None:
        ctx.problem("warning", f"文件没有 excelflow 标识(可能是重新录入或自制的表格),按表头「填报单位」"
                    f"识别为「{unit}」报送。请核对。", typed[1], typed[2])
    else:
        typed_text = f"表头「填报单位」填的「{typed[0]}」不是登记表中的单位," if typed else "表头中也没有「填报单位」,"
        ctx.problem("warning", f"文件没有 excelflow 标识,{typed_text}仅按文件名推断为"
                    f"「{unit}」报送。请核对;如不对,请在表头「填报单位」处填写正确的单位名称后重新放入收件箱。",
                    typed[1] if typed else None, typed[2] if typed else None)
    return unit, round_id, confidence


def own_sheets(ctx: ReadContext, sheets: list[DataSheet], unit: str) -> list[DataSheet]:
    """Without identity, the sheets of `unit`: a sheet whose header names another register
    unit is another unit's form (two retyped forms in one file) and is not read for `unit`."""
    own: list[DataSheet] = []
    for sheet, header in sheets:
        hit = header_block_unit(sheet, header)
        other = (resolve_unit(ctx.register, hit[0]) or unit_in_text(ctx.register, hit[0])) if hit else None
        if hit is None or other is None or other == unit:
            own.append((sheet, header))
            continue
        ctx.problem("warning", f"工作表「{sheet.name}」的表头「填报单位」是「{hit[0]}」,与本文件识别的「{unit}」不同,"
                    f"该表未读取,其中的内容不计入任何单位。请让「{other}」用自己的填报表单独报送。",
                    sheet.name, hit[1])
    return own


def _unplaced_reason(ctx: ReadContext, typed: tuple[str, str, str] | None) -> str:
    head = "无法识别是哪个单位报送的:文件中没有 excelflow 标识(可能是重新录入或自制的表格),"
    if typed is None:
        head += "表头中没有「填报单位」,"
    else:
        head += f"表头「填报单位」填的「{typed[0]}」不是任务登记表中的单位"
        hint = _suggest_unit(ctx.register, typed[0])
        head += f"(是否为「{hint}」?)," if hint else ","
    return head + ("文件名中也没有登记表中的单位名称。请确认报送单位后,在表头「填报单位」处填写登记表中的单位名称"
                   "(或在文件名中加上单位名称)再放入收件箱,或让该单位使用下发的填报表重新报送。")


def _guess_round(ctx: ReadContext, text: str) -> str | None:
    rounds = ctx.register.rounds
    if not rounds:
        ctx.problem("error", "任务登记表中没有任何轮次,无法判断本表属于哪一轮。请先在登记表「轮次」表中添加轮次。")
        return None
    named = [r for r in rounds if round_named(r, text)]
    if len(named) == 1:
        return named[0].id
    pool = named or list(rounds)
    received = ctx.received_at.date()
    best = min(pool, key=lambda r: abs((r.lead_deadline - received).days))
    if len(rounds) > 1:
        ctx.problem("warning", f"文件没有 excelflow 标识,标题中也看不出轮次,按收到时间归入「{best.name or best.id}」"
                    f"({best.id})。请核对。")
    return best.id


def round_for_file(register: Register, path: str, received_at: datetime) -> str | None:
    """The round a file that could not be placed belongs to, for its receipt: the one its name
    names, else the one whose lead deadline is nearest its receipt time; None without rounds."""
    rounds = register.rounds
    if not rounds:
        return None
    named = [r for r in rounds if round_named(r, path)]
    if len(named) == 1:
        return named[0].id
    received = received_at.date()
    return min(named or rounds, key=lambda r: abs((r.lead_deadline - received).days)).id


def _resolver(register: Register) -> UnitResolver:
    aliases = {**DEFAULT_ALIASES, **{a: u.name for u in register.units for a in u.aliases}}
    return UnitResolver(known=[u.name for u in register.units], aliases=aliases)


def resolve_unit(register: Register, text: str) -> str | None:
    """The register unit a typed name means (exact, alias, 区-prefix forms), or None."""
    if register.unit(text) is not None:
        return text
    canonical = _resolver(register).canonical(text)
    by_key = {normalize_name(u.name): u.name for u in register.units}
    return by_key.get(canonical)


def _unit_keys(register: Register) -> list[tuple[str, str]]:
    """(searchable key, unit name), longest key first; short keys (one or two characters) skipped."""
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


def unit_in_text(register: Register, text: str) -> str | None:
    """The one register unit named inside `text` (the longest name found), or None if none or two."""
    folded = normalize_name(text)
    hits: list[tuple[str, str]] = []
    for key, unit in _unit_keys(register):
        if key in folded and not any(key in longer for longer, _ in hits):
            hits.append((key, unit))
    units = {u for _, u in hits}
    if len(units) != 1:
        return None
    return units.pop()


def unit_in_path(register: Register, path: str) -> str | None:
    """A unit named in the file name, else in the nearest folder name that names one."""
    parts = path.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    for text in (stem, *reversed(parts[:-1])):
        unit = unit_in_text(register, text)
        if unit is not None:
            return unit
    return None


def _suggest_unit(register: Register, text: str) -> str | None:
    try:
        return _resolver(register).suggest(text, [u.name for u in register.units])
    except Exception:  # noqa: BLE001 - a hint is optional; never let it stop the reading
        return None


def round_named(rnd: Round, text: str) -> bool:
    """Whether a title names round `rnd` (its id, or its name and not another year)."""
    name, rid = rnd.name, rnd.id
    if rid and rid in text:
        return True
    if not name or name not in text:
        return False
    year = re.match(r"(\d{4})", rid)
    years = set(re.findall(r"((?:19|20)\d{2})\s*年", text))
    return not (year and years and year.group(1) not in years)
