"""A task made of clauses, each with its own units: which clause is whose.

Some notices write one task as several `；`-separated clauses, each followed by its own label:
`改造老旧小区120个（牵头责任单位：市住建局）；新建城市公园15个（牵头责任单位：市园林局）`. The
task keeps all its text and every unit named in any clause; this module finds, for a unit, the
clauses that name it, so its workbook can say which part is its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from excelflow.notice.labels import UNIT_LABELS
from excelflow.notice.units import UnitResolver, fold_width, matching_close

_LABELLED = re.compile(r"\((?:" + "|".join(sorted(UNIT_LABELS, key=len, reverse=True)) + r")[ \t]*[:\s]")


@dataclass(frozen=True)
class Clause:
    """One clause's own text and the unit and group names its label lists (as written)."""

    text: str
    names: tuple[str, ...]


def clauses(text: str, level: str | None = None) -> tuple[Clause, ...]:
    """The clauses of a task text with two or more bracketed unit labels; () for any other task.

    `level` is the notice's level (`自治区`): names in a list share its prefix as in the parse."""
    folded = fold_width(text)
    found: list[Clause] = []
    start = 0
    resolver = UnitResolver().at_level(level)
    for match in _LABELLED.finditer(folded):
        if match.start() < start:
            continue  # a label inside the previous one's bracket
        close = matching_close(folded, match.start())
        if close is None:
            break
        own = text[start:match.start()].strip(" \t;；。.,，、")
        inside = folded[match.start() + 1: close]
        names: list[str] = []
        for part in re.split(r"[;；]", inside):
            _, _, listed = part.partition(":") if ":" in part else part.partition(" ")
            names += resolver.split(listed)
        found.append(Clause(own, tuple(names)))
        start = close + 1
    return tuple(found) if len(found) >= 2 else ()
