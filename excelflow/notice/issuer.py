"""Who issued a notice and for which year: the office that will run the campaign.

A notice says where it comes from in a few places: its title (`成都市人民政府办公厅关于印发…`,
`区政府办公室关于…`), the office it names in its text (`报区政府督查室`), its signature
(`上饶市广丰区人民政府办公室`) and the addressees (`各区人民政府，市政府各部门`). From these come
the issuing level (区, 县, 市, 州, 盟, 地区, 旗, 自治区, 省), the place (`成都市`, `广丰区`), and the
office's name as outputs print it (`成都市人民政府督查室`, `自治区人民政府督查室`, `区政府督查室`).
The year comes from the title, a heading above the list, or the date line; nothing is guessed
when none says it (the caller decides, and says so).

Everything here reads text only; the register's 设置 sheet lets the clerk correct what was found.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# Levels, longest first: `自治区` before `区`, `自治州` is a 州, `自治县` a 县.
LEVELS = ("自治区", "自治州", "自治县", "地区", "省", "市", "州", "盟", "县", "区", "旗")
_LEVEL_OF = {"自治州": "州", "自治县": "县"}
_LEVEL_ALT = "|".join(LEVELS)
_GOVERNMENT = r"(?:人民政府|政府|行政公署|行署)"
_CJK = r"\u4e00-\u9fff"

# `成都市人民政府办公厅关于…`, `区政府办公室关于…`, `自治区人民政府关于…`: the issuer before 关于.
_TITLE_ISSUER = re.compile(rf"^(?P<gov>(?P<place>[{_CJK}]{{0,12}}?(?:{_LEVEL_ALT})){_GOVERNMENT})(?:办公厅|办公室)?关于")
# `成都市2022年政府工作报告…`, `某某县《政府工作报告》…`: a title that starts with the place.
_TITLE_PLACE = re.compile(rf"^(?P<place>[{_CJK}]{{1,12}}?(?:{_LEVEL_ALT}))(?=(?:19|20)\d{{2}}|《|政府|人民政府|关于)")
# `2022年市政府工作报告`: the level of a government without a place.
_LEVEL_GOVERNMENT = re.compile(rf"(?<![{_CJK}])(?P<level>{_LEVEL_ALT})(?:人民)?政府工作报告|年(?P<level2>{_LEVEL_ALT})(?:人民)?政府")
# A signature line: `上饶市广丰区人民政府办公室`, `内蒙古自治区人民政府办公厅`, `成都市人民政府`.
_SIGNATURE = re.compile(rf"^(?P<place>[{_CJK}]{{2,16}}?(?:{_LEVEL_ALT})){_GOVERNMENT}(?:办公厅|办公室)?$")
# The office named in the text: `区政府督查室`, `市人民政府督查室`, `区委区政府督查室`.
_OFFICE = re.compile(rf"(?P<who>(?:(?:{_LEVEL_ALT})委)?(?P<level>{_LEVEL_ALT}){_GOVERNMENT}(?:办公厅|办公室)?)督查室")
# Addressees of a 市 notice: `各区人民政府，市政府各部门` / `市直各单位`.
_OWN_DEPARTMENTS = re.compile(rf"(?P<level>{_LEVEL_ALT})(?:政府|人民政府)?(?:各部门|直各单位|直属各单位|级各部门|直各部门)")

_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_DIGITS = dict(zip("〇零一二三四五六七八九", "0012345678 9".replace(" ", "")))
_CHINESE_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})\s*年")
_DATE_LINE = re.compile(r"^(?:(?:19|20)\d{2}\s*[年./-]\s*\d{1,2}\s*[月./-]\s*\d{1,2}\s*日?|[〇零一二三四五六七八九]{4}年[〇零一二三四五六七八九十]{1,3}月[〇零一二三四五六七八九十]{1,3}日)$")


@dataclass(frozen=True)
class Issuer:
    """The office a notice comes from, as far as the notice says (empty strings when it does not)."""

    level: str  # 区, 县, 市, 州, 盟, 地区, 旗, 自治区, 省
    place: str  # 成都市, 广丰区; '' when the notice names only its level (`自治区人民政府办公厅`)
    office: str  # the 督查室 as outputs name it

    @property
    def found(self) -> bool:
        return bool(self.office)


def _level(word: str) -> str:
    for level in LEVELS:
        if word.endswith(level):
            return _LEVEL_OF.get(level, level)
    return ""


def _innermost(place: str) -> str:
    """`上饶市广丰区` → `广丰区`, `苏州市吴中区` → `吴中区`; `杭州市`, `内蒙古自治区` stay whole.

    The shortest tail that is a place of its own (a name, then a level) after a part that ends in
    a level; a bare level (`自治区`) is no place.
    """
    if place in LEVELS:
        return ""
    best = place
    for i in range(1, len(place) - 1):
        head, tail = place[:i], place[i:]
        level = next((lv for lv in LEVELS if tail.endswith(lv)), "")
        if _level(head) and level and len(tail) > len(level) and len(tail) < len(best):
            best = tail
    return best


def find_issuer(title: str, lines: Sequence[str]) -> Issuer:
    """The issuing office from the title, the office the text names, the signature, the addressees.

    `lines` is the whole notice as lines of text. A title whose issuer names its place gives the
    office's full name (`成都市人民政府办公厅关于…` → `成都市人民政府督查室`); else the office the
    text names, as it calls itself (`报区政府督查室` → `区政府督查室`); else the title's issuer
    without a place (`自治区人民政府办公厅` → `自治区人民政府督查室`); else the signature's place
    (`上饶市广丰区人民政府办公室` → `广丰区人民政府督查室`).
    """
    compact_title = re.sub(r"\s+", "", title)
    title_match = _TITLE_ISSUER.match(compact_title) or _TITLE_PLACE.match(compact_title)
    signature_place = ""
    for line in reversed(lines):
        match = _SIGNATURE.match(re.sub(r"\s+", "", line))
        if match:
            signature_place = _innermost(match.group("place"))
            break
    level = ""
    if title_match:
        level = _level(title_match.group("place"))
    elif signature_place:
        level = _level(signature_place)
    text = "\n".join(lines)
    if not level:
        addressed = _OWN_DEPARTMENTS.search(text)
        level = _level(addressed.group("level")) if addressed else ""

    place = ""
    if title_match and _innermost(title_match.group("place")):
        place = _innermost(title_match.group("place"))
    elif signature_place and (not level or _level(signature_place) == level):
        place = signature_place

    office = ""
    named = Counter(m.group("who") for m in _OFFICE.finditer(text)
                    if not level or _level(m.group("level")) == level)
    title_gov = title_match.group("gov") if title_match and "gov" in title_match.groupdict() else ""
    title_place = _innermost(title_match.group("place")) if title_match else ""
    if title_gov and title_place:
        office = title_gov + "督查室"  # `成都市人民政府办公厅关于…`: the full name, place and all
    elif named:
        office = named.most_common(1)[0][0] + "督查室"  # `报区政府督查室`: as the notice calls it
    elif title_gov:
        office = title_gov + "督查室"
    elif place:
        office = place + "人民政府督查室"
    if not level and not office:
        government = _LEVEL_GOVERNMENT.search(compact_title)
        if government:
            level = _level(government.group("level") or government.group("level2"))
            office = f"{level}政府督查室"
    if not level and office:
        found = _OFFICE.search(office)
        level = _level(found.group("level")) if found else ""
    return Issuer(level=level, place=place, office=office)


def office_for(level: str, place: str) -> str:
    """The office's name when the clerk gives the level and place but no name (`成都市` → …督查室)."""
    if place:
        return f"{place}人民政府督查室"
    return f"{level}人民政府督查室" if level else ""


@dataclass(frozen=True)
class YearFound:
    year: int | None
    source: str  # 标题, 标题下的说明, 落款日期; '' when not found


def find_year(title: str, head_lines: Sequence[str]) -> YearFound:
    """The year a notice is about: its title, else a heading of the list, else its date line."""
    for text, source in ((title, "标题"),):
        year = _year_in(text)
        if year is not None:
            return YearFound(year, source)
    for line in head_lines:
        compact = re.sub(r"\s+", "", line)
        if len(compact) <= 60 and "。" not in compact and not _DATE_LINE.match(compact):
            year = _year_in(compact)
            if year is not None:
                return YearFound(year, "标题下的说明")
    for line in reversed(head_lines):
        compact = re.sub(r"\s+", "", line)
        if _DATE_LINE.match(compact):
            year = _year_in(compact) or _year_of_date(compact)
            if year is not None:
                return YearFound(year, "落款日期")
    return YearFound(None, "")


def _year_in(text: str) -> int | None:
    match = _YEAR.search(text)
    if match:
        return int(match.group(1))
    chinese = _CHINESE_YEAR.search(text)
    if chinese:
        return int("".join(_DIGITS[c] for c in chinese.group(1)))
    return None


def _year_of_date(text: str) -> int | None:
    match = re.match(r"((?:19|20)\d{2})", text)
    return int(match.group(1)) if match else None
