"""The words a notice uses to say who does a task, and how its headings count.

Unit labels: a task's lead units follow `主办单位`, `牵头单位` … (`LEAD_LABELS`), its co-units
`协办单位`, `责任单位`, `配合单位` … (`CO_LABELS`). Some notices add the leader in charge
(`牵头负责领导:…`, `LEADER_LABELS`: a person, neither a unit nor task text) and a deadline
(`完成时限:2022年12月底`, `DUE_LABELS`: kept as the task's completion date). Headings number
chapters and sections with Chinese numerals (`一、`, `(二)`).
"""

from __future__ import annotations

LEAD_LABELS = ("主办单位", "牵头责任单位", "牵头单位", "牵头部门", "牵头责任部门", "主责单位", "牵头负责单位")
CO_LABELS = ("协办单位", "责任单位", "责任部门", "配合单位", "配合部门", "参与单位", "参与部门", "协助单位",
             "协同责任单位", "协同单位", "协办部门", "配合责任单位")
# `责任单位` is a co-unit next to a lead label; in a notice that names no lead anywhere it is the
# unit responsible, i.e. the lead.
AMBIGUOUS_LABEL = "责任单位"
LEADER_LABELS = ("牵头负责领导", "牵头市领导", "牵头区领导", "牵头县领导", "责任市领导", "责任区领导", "牵头领导",
                 "责任领导", "分管领导", "负责领导", "分管市领导", "分管区领导", "分管县领导")
DUE_LABELS = ("完成时限", "完成时间", "完成期限", "时间节点", "时限要求")
UNIT_LABELS = LEAD_LABELS + CO_LABELS
ALL_LABELS = UNIT_LABELS + LEADER_LABELS + DUE_LABELS

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 13 → 十三, 21 → 二十一 (heading numerals); digits from 100 on."""
    if not 0 <= n < 100:
        return str(n)
    if n <= 10:
        return "零一二三四五六七八九十"[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + ("" if ones == 0 else _DIGITS[ones])


def numeral_value(text: str) -> int | None:
    """一 → 1, 十 → 10, 十三 → 13, 二十一 → 21 (the inverse of `chinese_numeral`); None otherwise."""
    if not text or any(ch not in _DIGITS + "十" for ch in text):
        return None
    if "十" not in text:
        return _DIGITS.index(text) if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (_DIGITS.index(tens) if tens else 1) * 10 + (_DIGITS.index(ones) if ones else 0)
