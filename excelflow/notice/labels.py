"""The words a notice uses to say who does a task, and how its headings count.

Unit labels: a task's lead units follow `主办单位`, `牵头单位` … (`LEAD_LABELS`), its co-units
`协办单位`, `责任单位`, `配合单位` … (`CO_LABELS`). Headings number chapters and sections with
Chinese numerals (`一、`, `(二)`).
"""

from __future__ import annotations

LEAD_LABELS = ("主办单位", "牵头责任单位", "牵头单位", "牵头部门", "主责单位")
CO_LABELS = ("协办单位", "责任单位", "责任部门", "配合单位", "配合部门", "参与单位", "协助单位")
# `责任单位` is a co-unit next to a lead label; in a notice that names no lead anywhere it is the
# unit responsible, i.e. the lead.
AMBIGUOUS_LABEL = "责任单位"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 13 → 十三, 21 → 二十一 (heading numerals); digits from 100 on."""
    if not 0 <= n < 100:
        return str(n)
    if n <= 10:
        return "零一二三四五六七八九十"[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else "零一二三四五六七八九"[tens]) + "十" + ("" if ones == 0 else "零一二三四五六七八九"[ones])
