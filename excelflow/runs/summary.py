"""The terminal summary of a collect pass, in Chinese, for the clerk to read in one look.

Which round, and why when --round did not say; per unit with a gap: entries expected, on time,
late, 未报, incomplete, invalid (the ones to chase first), then one line for the units with
everything on time; the totals with reporting and on-time rates, the files that could not be
identified (with the reason), files still being copied, and the outputs written. Plain text,
aligned for CJK (a Chinese character is two columns wide in a terminal).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from pathlib import Path

from excelflow.files import shown
from excelflow.reports.ledger import EntryOutline
from excelflow.runs.pass_report import CollectReport
from excelflow.wording import STATE_NAMES, full_moment, moment, role_name, state_label

COLUMNS = ("应报", *(STATE_NAMES[s] for s in ("on_time", "late", "missing", "incomplete", "invalid")))
STATE_ORDER = ("on_time", "late", "missing", "incomplete", "invalid")
LIST_FILES_UP_TO = 8  # per output folder; beyond that the folder and the count are shown
# Units listed one a line in the terminal (the worst first): a city's office has a thousand units,
# and a summary of two thousand lines is not read. The rest are counted in one line pointing to
# `status --all` and the comparison workbook, which list every unit.
UNITS_SHOWN = 80  # a district's every unit (the shipped example has 79)
LATE_UNITS_SHOWN = 30


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def pad(text: str, cells: int, right: bool = False) -> str:
    gap = " " * max(cells - width(text), 0)
    return gap + text if right else text + gap


@dataclass(frozen=True)
class UnitCounts:
    unit: str
    expected: int
    counts: dict[str, int]

    @property
    def gaps(self) -> int:
        return self.expected - self.counts["on_time"]


def unit_counts(states: Iterable[EntryOutline]) -> list[UnitCounts]:
    """Counts per unit in first-seen order; units with gaps first, most gaps first."""
    # Counted in C, by (unit, state) in the order first seen: a unit's first pair comes with its
    # first entry (a city's 10,800 entries: 16 ms instead of 23 here).
    per: dict[str, dict[str, int]] = {}
    for (unit, state), n in Counter(map(_UNIT_AND_STATE, states)).items():
        counts = per.get(unit)
        if counts is None:
            counts = per[unit] = dict.fromkeys(STATE_ORDER, 0)
        counts[state] += n
    rows = [UnitCounts(u, sum(c.values()), c) for u, c in per.items()]
    order = {r.unit: i for i, r in enumerate(rows)}
    return sorted(rows, key=lambda r: (-(r.counts["missing"] + r.counts["invalid"]), -r.gaps, order[r.unit]))


_UNIT_AND_STATE = attrgetter("unit", "state")


def unit_table(states: Sequence[EntryOutline], *, all_units: bool = False, most: int | None = None) -> list[str]:
    """The per-unit table (entries, 条) with a 合计 line, CJK-aligned: the units with a gap (the
    `most` worst of them, the others counted in one line), then one line for the units with
    everything on time (every unit with `all_units`)."""
    rows = unit_counts(states)
    gaps = rows if all_units else [r for r in rows if r.gaps]
    listed = gaps if most is None else gaps[:most]
    hidden = gaps[len(listed):]
    fine = [] if all_units else [r for r in rows if not r.gaps]
    name_width = max([width("单位"), *(width(r.unit) for r in listed), width("合计")]) + 2
    lines = [pad("单位", name_width) + "".join(pad(c, 8, right=True) for c in COLUMNS) + "  (条)"]
    for r in listed:
        values = [r.expected, *(r.counts[s] for s in STATE_ORDER)]
        lines.append(pad(r.unit, name_width) + "".join(pad(str(v), 8, right=True) for v in values))
    if hidden:
        lines.append(f"…… 另有 {len(hidden)} 个单位有缺漏(共 {sum(r.gaps for r in hidden)} 条未按时),"
                     "逐个单位见 excelflow status --all 或对比通报表「单位对比」。")
    if fine:
        lines.append(f"其余 {len(fine)} 个单位全部按时报送(共 {sum(r.expected for r in fine)} 条)。")
    totals = [len(states), *(sum(r.counts[s] for r in rows) for s in STATE_ORDER)]
    lines.append(pad("合计", name_width) + "".join(pad(str(v), 8, right=True) for v in totals))
    return lines


def late_lines(late: Sequence[EntryOutline], most: int | None = None) -> tuple[list[str], int]:
    """One line per unit with late entries (the `most` latest units: a city's thousand are not all
    written out to be cut): how many, which tasks in which role, how late; and the number of units."""
    per_unit: dict[str, list[EntryOutline]] = {}
    for s in late:
        per_unit.setdefault(s.unit, []).append(s)
    ordered = sorted(per_unit.items(), key=lambda kv: -sum(s.days_late for s in kv[1]))
    lines = []
    for unit, ss in ordered[:most]:
        parts = []
        for role in ("lead", "co"):
            ids = [str(s.task_id) for s in ss if s.role == role]
            if ids:
                parts.append(f"{role_name(role)}第{'、'.join(ids)}项")
        days = sorted({s.days_late for s in ss})
        span = state_label("late", days[0]) if len(days) == 1 else f"逾期{days[0]}至{days[-1]}天"
        lines.append(f"  {unit}:{len(ss)} 条({'、'.join(parts)}),{span},最早 {moment(min(s.received_at for s in ss if s.received_at))} 收到")
    return lines, len(ordered)


def rates(states: Sequence[EntryOutline]) -> tuple[float, float]:
    """(reporting rate, on-time rate) as domain.md defines them (÷ entries expected)."""
    if not states:
        return 0.0, 0.0
    received = sum(1 for s in states if s.state != "missing")
    on_time = sum(1 for s in states if s.state == "on_time")
    return received / len(states), on_time / len(states)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def round_line(round_text: str, reason: str) -> list[str]:
    """The round worked on, and why when the clerk did not name it."""
    return [round_text] + ([f"  ({reason})"] if reason else [])


def summary_lines(report: CollectReport, root: Path, *, list_all_outputs: bool = False) -> list[str]:
    """The pass's summary, for the terminal."""
    name = report.round_name or f"轮次 {report.round_id}"
    lines = round_line(f"收集完成:{name},截至 {full_moment(report.as_of)}", report.round_reason)
    head = f"本次新收 {len(report.new)} 份"
    if report.duplicates:
        head += f",与已收文件内容相同 {len(report.duplicates)} 份(未重复计入)"
    if report.pending:
        head += f",待重试 {len(report.pending)} 份"
    lines.append(head + "。")
    if not report.round_id:  # before any round started: files taken in, no round's outputs
        lines += _unplaced(report)
        lines += ["", "还没有开始的轮次,没有写出任何轮次的输出。"]
        return lines
    for rid, n in sorted(report.other_rounds.items()):
        lines.append(f"另有 {n} 份属于轮次 {rid},已归入该轮次并更新其汇总表。")
    for sub in report.unknown_rounds:
        lines.append(f"注意:{sub.path} 属于登记表中没有的轮次「{sub.round_id}」,未计入。")
    if report.unchosen_relevant:
        ids = "、".join(str(t.id) for t in report.unchosen_relevant)
        groups = "、".join(dict.fromkeys(n for t in report.unchosen_relevant for n in (*t.lead, *t.co)
                                         if n.startswith(("各", "相关", "有关")) or "相关" in n or "有关" in n))
        lines.append(f"注意:任务 {ids} 的「{groups}」尚未在任务登记表中选定单位或登记成员,这些条目暂不计入应报。"
                     "请在登记表「任务」表的相关单位列或「单位」表的分组列中填写后重新收集。")
    lines.append("")

    states = report.outlines()  # all the summary reads: a pass answered from its snapshot builds no state
    lines += unit_table(states, most=UNITS_SHOWN)
    reporting, on_time = rates(states)
    lines.append(f"报送率 {reporting:.1%},按时报送率 {on_time:.1%}(均按应报条目计)。")

    late = [s for s in states if s.state == "late"]
    if late:
        lines += ["", f"逾期报送({len(late)} 条):"]
        listed, units = late_lines(late, LATE_UNITS_SHOWN)
        lines += listed
        if units > LATE_UNITS_SHOWN:
            lines.append(f"  …… 另有 {units - LATE_UNITS_SHOWN} 个单位逾期报送,见各单位回执和对比通报表")
    bad = [s for s in states if s.state in ("incomplete", "invalid")]
    if bad:
        lines += ["", f"不完整或无效({len(bad)} 条,详见各单位回执):"]
        for s in bad[:20]:
            why = s.problems[0].describe() if s.problems else ""
            lines.append(f"  {s.unit} 第{s.task_id}项:{STATE_NAMES[s.state]}" + (f" — {why}" if why else ""))
        if len(bad) > 20:
            lines.append(f"  …… 另有 {len(bad) - 20} 条")

    lines += _unplaced(report)

    lines.append("")
    if not report.rendered:
        lines.append("没有新的报送,输出文件未改动。")
    elif not report.outputs:
        lines.append("输出文件内容没有变化,未改写。")
    else:
        lines.append(f"本次写入 {len(report.outputs)} 个文件:")
        lines += _output_lines(report.outputs, root, list_all_outputs)
    for path in report.fallbacks:
        lines.append(f"注意:原文件正被打开(如 Excel),新版写在 {_rel(path, root)},请关闭原文件后以新版为准。")
    # File names and unit text are the units' own: control and bidi characters, and bytes that
    # were not UTF-8, are shown escaped (an ESC sequence must not act on the clerk's terminal).
    return [shown(line) for line in lines]


def _unplaced(report: CollectReport) -> list[str]:
    """The files nobody could place, the files refused (their receipts say why), the files still
    being copied and the files that could not be read at all."""
    lines: list[str] = []
    if report.unidentified:
        lines += ["", f"未能识别的文件({len(report.unidentified)} 份,需人工处理):"]
        for sub in report.unidentified:
            reason = next((p.message for p in sub.problems if p.level == "error"), "未能识别报送单位或轮次")
            lines.append(f"  inbox/{sub.path}:{reason}")
    placed = {s.sha256 for s in report.unidentified}
    refused = [s for s in report.new if s.outcome == "rejected" and s.sha256 not in placed]
    if refused:
        lines += ["", f"未接收的文件({len(refused)} 份,回执中已写明原因,请转告报送单位):"]
        for sub in refused:
            reason = next((p.message for p in sub.problems if p.level == "error"), "")
            lines.append(f"  inbox/{sub.path}({sub.unit or '单位不明'}):{reason}")
    if report.pending:
        lines += ["", "待重试的文件(可能仍在复制或保存中,下次收集时自动重试):"]
        lines += [f"  inbox/{p}" for p in report.pending]
    if report.unreadable:
        lines += ["", f"无法读取的文件({len(report.unreadable)} 个,未存档,请检查后重新放入收件箱):"]
        lines += [f"  inbox/{u.path}:{u.reason}" for u in report.unreadable]
    return lines


def _output_lines(outputs: Sequence[Path], root: Path, list_all: bool) -> list[str]:
    groups: dict[Path, list[Path]] = {}
    for p in outputs:
        groups.setdefault(p.parent, []).append(p)
    out: list[str] = []
    for folder, files in groups.items():
        if list_all or len(files) <= LIST_FILES_UP_TO:
            out += [f"  {_rel(p, root)}" for p in files]
        else:
            out.append(f"  {_rel(folder, root)}/ 下 {len(files)} 个文件(如 {files[0].name})")
    return out


def status_lines(round_text: str, now: datetime, states: Sequence[EntryOutline], reason: str = "",
                 all_units: bool = False) -> list[str]:
    """`excelflow status` without --json: the round (and why), the per-unit table and the rates."""
    lines = round_line(f"{round_text},截至 {full_moment(now)}(按已收集的报送计算;收集新文件请运行 excelflow collect)",
                       reason)
    lines.append("")
    lines += unit_table(states, all_units=all_units, most=None if all_units else UNITS_SHOWN)
    reporting, on_time = rates(states)
    lines.append(f"报送率 {reporting:.1%},按时报送率 {on_time:.1%}。")
    return [shown(line) for line in lines]
