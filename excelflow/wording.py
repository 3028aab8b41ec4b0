"""Every Chinese word people read about dates, rounds, roles and entry states: one home.

Workbooks, receipts, reminders, the draft 通报 and the terminal all say a date, a round, a role or
an entry's state the same way because they all call this module. Dates are written without
leading zeros, as Chinese documents do (`2021年6月15日`, `6月14日 09:00`); a round is its year and
its name (`2021年半年`), never its id alone.

Only words live here. The rules behind them (how many days late an entry is, which state it is
in) belong to the ledger (`reports/ledger.py`); this module only says them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Protocol

ROLE_NAMES: Mapping[str, str] = {"lead": "牵头", "co": "协办"}
STATE_NAMES: Mapping[str, str] = {
    "on_time": "按时",
    "late": "逾期",
    "missing": "未报送",
    "incomplete": "不完整",
    "invalid": "无效",
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
    return f"{at.month}月{at.day}日 {at:%H:%M}"


def full_moment(at: datetime) -> str:
    """`2021年6月14日 09:00`."""
    return f"{day(at.date())} {at:%H:%M}"


# -- rounds and roles -------------------------------------------------------------------------------
def round_parts(rnd: RoundLike) -> tuple[str, str]:
    """(year, name without the year): `2021`, `半年` — for titles that place the two apart."""
    match = re.match(r"\s*(\d{4})", rnd.id) or re.match(r"\s*(\d{4})", rnd.name)
    year = match.group(1) if match else str(rnd.lead_deadline.year)
    name = re.sub(rf"^\s*{year}\s*年?\s*", "", rnd.name).strip() or rnd.name or rnd.id
    return year, name


def round_name(rnd: RoundLike) -> str:
    """`2021年半年`: the round as people say it (the register's name is often just `半年`)."""
    year, name = round_parts(rnd)
    return name if year in name else f"{year}年{name}"


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
    """`按时`, `逾期3天`, `未报送`, `不完整`, `无效`."""
    if state == "late":
        return late_text(days_late)
    return STATE_NAMES[state]
