"""Every Chinese word people read about dates, rounds, roles and entry states: one home.

Workbooks, receipts, reminders, the draft 通报 and the terminal all say a date, a round, a role or
an entry's state the same way because they all call this module. Dates are written without
leading zeros, as Chinese documents do (`2021年6月15日`, `6月14日 09:00`); a round is its year and
its name as people say it (`2021年上半年`), never its id alone.

The five entry states have one name each, everywhere: 按时, 逾期, 未报, 不完整, 无效. A sentence
that blames a unit is built from the true state (`逾期3天报送`, `逾期3天未报`, `报送无效`,
`内容不完整`), never from a guess.

Only words live here. The rules behind them (how many days late an entry is, which state it is
in) belong to the ledger (`reports/ledger.py`); this module only says them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Protocol

ROLE_NAMES: Mapping[str, str] = {"lead": "牵头", "co": "协办"}
STATE_NAMES: Mapping[str, str] = {
    "on_time": "按时",
    "late": "逾期",
    "missing": "未报",
    "incomplete": "不完整",
    "invalid": "无效",
}
# Worst first: the order a leader reads them in, and how a unit's or a task's worst state is chosen.
STATES_WORST_FIRST: tuple[str, ...] = ("missing", "invalid", "incomplete", "late", "on_time")
# One line each, for the legends of every sheet that shows the states.
STATE_MEANINGS: Mapping[str, str] = {
    "on_time": "截止日当天或之前收到可用、完整的报送",
    "late": "截止日之后才收到可用、完整的报送（逾期天数按收到日期计）",
    "missing": "没有收到任何报送",
    "incomplete": "收到了，但「完成状态」或「进展情况」没填",
    "invalid": "收到了，但有必须改正的错误（如完成状态不是可选值、轮次不对），不能采用",
}


class RoundLike(Protocol):
    """What naming a round needs (a `register.model.Round`)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def lead_deadline(self) -> date: ...


# -- dates ----------------------------------------------------------------------------------------
def day(d: date) -> str:
    """`2021年6月15日`."""
    return f"{d.year}年{d.month}月{d.day}日"


def short_day(d: date) -> str:
    """`6月15日`: within a round, whose year the reader knows."""
    return f"{d.month}月{d.day}日"


def cell_day(d: date) -> str:
    """`2021年` / `6月15日` on two lines, for a narrow cell (the break never falls inside the day)."""
    return f"{d.year}年\n{d.month}月{d.day}日"


def moment(at: datetime | None) -> str:
    """`6月14日 09:00`: a receipt time within its round; '' for none."""
    if at is None:
        return ""
    # Not `{at:%H:%M}`: strftime is most of the call, and a city's rollups make 13,000 of these.
    return f"{at.month}月{at.day}日 {at.hour:02d}:{at.minute:02d}"


def full_moment(at: datetime) -> str:
    """`2021年6月14日 09:00`."""
    return f"{day(at.date())} {at:%H:%M}"


# -- rounds and roles -------------------------------------------------------------------------------
# The register's short names for a round (the shipped one says 半年 and 全年) → how a document
# says the period. Any other name the clerk gives (第一季度, 1月, 三季度 …) is kept as written.
SPOKEN_ROUND_NAMES: Mapping[str, str] = {
    "半年": "上半年", "半年度": "上半年", "年中": "上半年", "上半年度": "上半年",
    "全年": "全年", "年度": "全年", "全年度": "全年", "年终": "全年",
    "下半年度": "下半年",
}
_QUARTERS = "一二三四"
# Where the register gives no usable name, the period is read from the id's suffix.
_ID_SUFFIXES: tuple[tuple[str, str], ...] = (
    (r"H1", "上半年"), (r"H2", "下半年"), (r"FY|Y|A", "全年"),
    (r"Q([1-4])", "第{q}季度"), (r"M(0?[1-9]|1[0-2])", "{m}月"),
)


def _name_from_id(round_id: str) -> str | None:
    tail = re.sub(r"^\s*\d{4}\s*[-_]?\s*", "", round_id).strip().upper()
    for pattern, spoken in _ID_SUFFIXES:
        match = re.fullmatch(pattern, tail)
        if match:
            number = int(match.group(1)) if match.groups() else 0
            return spoken.format(q=_QUARTERS[(number - 1) % 4], m=number)
    return None


def round_parts(rnd: RoundLike) -> tuple[str, str]:
    """(year, period as people say it): `2021`, `上半年` — for titles that place the two apart.

    The year comes from the id (`2021-H1`), else the name, else the lead deadline. The period is
    the register's name without the year, said the usual way (`半年` → `上半年`); a name that is
    empty or just the id falls back to the id's suffix (`H1`, `FY`, `Q3`, `M06`).
    """
    match = re.match(r"\s*(\d{4})", rnd.id) or re.match(r"\s*(\d{4})", rnd.name)
    year = match.group(1) if match else str(rnd.lead_deadline.year)
    raw = rnd.name.strip()
    name = re.sub(rf"^\s*{year}\s*年?\s*", "", raw).strip()
    if not name or raw == rnd.id.strip():
        name = _name_from_id(rnd.id) or raw or rnd.id
    return year, SPOKEN_ROUND_NAMES.get(name, name)


def round_name(rnd: RoundLike) -> str:
    """`2021年上半年`: the round as people say it (the register's name is often just `半年`)."""
    year, name = round_parts(rnd)
    return name if year in name else f"{year}年{name}"


def round_with_id(rnd: RoundLike) -> str:
    """`2021年上半年(2021-H1)`: for the clerk, who types the id after --round."""
    return f"{round_name(rnd)}({rnd.id})"


def role_name(role: str) -> str:
    """`牵头` / `协办`."""
    return ROLE_NAMES[role]


def role_unit(role: str) -> str:
    """`牵头单位` / `协办单位`."""
    return ROLE_NAMES[role] + "单位"


# -- entry states -----------------------------------------------------------------------------------
def late_text(days: int) -> str:
    """`逾期3天`."""
    return f"逾期{days}天"


def state_label(state: str, days_late: int = 0) -> str:
    """`按时`, `逾期3天`, `未报`, `不完整`, `无效`."""
    if state == "late":
        return late_text(days_late)
    return STATE_NAMES[state]


def state_phrase(state: str, days: int = 0) -> str:
    """What happened to an entry, as a sentence part naming the true state (for blame).

    `逾期3天报送` (late: received 3 days after the deadline), `逾期3天未报` (missing, 3 days past
    the deadline on the statistics day), `未报(未到截止日)`, `报送无效`, `内容不完整`, `按时报送`.
    """
    if state == "late":
        return f"{late_text(days)}报送"
    if state == "missing":
        return f"{late_text(days)}未报" if days else "未报（未到截止日）"
    if state == "invalid":
        return "报送无效"
    if state == "incomplete":
        return "内容不完整"
    return "按时报送"


# -- reading a date or a moment a person typed ------------------------------------------------------
# The forms the register accepts for a deadline (`register/load.py`, `parse_date`), kept in step by
# tests/test_wording.py; a time may follow (`09:00`, `9时`, `9点30分`).
_DAY_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$"),
)
_TIME_PATTERN = re.compile(r"^(\d{1,2})\s*(?::|时|点)\s*(?:(\d{1,2})\s*(?::\s*(\d{1,2}))?\s*分?)?$")


def parse_moment(text: str) -> datetime | None:
    """`2021-06-16`, `2021/6/16`, `2021.6.16`, `2021年6月16日`, each optionally with a time
    (`09:00`, `9:00:30`, `9时`, `9点30分`), or ISO 8601 (`2021-06-16T09:00`, with an offset too).

    A day without a time is its start (00:00), as an ISO date is. None when the text is none of
    these or not a real date. An offset is kept (the caller converts to local time).
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    match = re.match(r"^(.*?\d\s*日?)(?:\s+|(?<=日))(\d.*)$", text)
    day_text, time_text = (match.group(1).strip(), match.group(2).strip()) if match else (text, "")
    for pattern in _DAY_PATTERNS:
        found = pattern.match(day_text)
        if not found:
            continue
        hour = minute = second = 0
        if time_text:
            clock = _TIME_PATTERN.match(time_text)
            if not clock:
                return None
            hour, minute, second = (int(g) if g else 0 for g in clock.groups())
        try:
            year, month, day_ = (int(g) for g in found.groups())
            return datetime(year, month, day_, hour, minute, second)
        except ValueError:
            return None
    return None
