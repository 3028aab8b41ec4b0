"""The comparison of a round (对比通报, 催报提醒, 通报草稿): written by every collect pass that renders
the round, and by `excelflow compare` alone from the archive (no inbox scan), under the collector
lock like a pass (it writes outputs and the pass cache).

Both read the same inputs the same way: the round's entry states, the previous round's latest
usable reports (the 上轮 columns) and the plan milestones units returned (欠/达/超进度).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from excelflow.register.model import Register, Round, choose_round, no_round_started
from excelflow.reports.comparison_workbook import write_comparison as write_comparison_outputs
from excelflow.reports.figures import Comparison, compare
from excelflow.reports.ledger import EntryState, load_reported, round_states
from excelflow.files import fenced
from excelflow.runs.lock import LockTiming, take_collector_lock
from excelflow.store.archive import Archive
from excelflow.store.pass_cache import PassCache
from excelflow.store.plans import archived_milestones, with_plans
from excelflow.workspace import Workspace


def write_comparison(ws: Workspace, register: Register, rnd: Round, states: Sequence[EntryState],
                     now: datetime, archive: Archive | None = None) -> list[Path]:
    """Write the round's comparison workbook, reminders and draft notification from `states`.

    Returns the paths written (through `files.publish_bytes`: unchanged ones skipped, one open in
    Excel written beside it). `archive` is the pass's own (read once per pass); without, one is
    opened here.
    """
    if archive is None:
        archive = Archive(ws)
    previous_round = register.previous_round(rnd.id)
    previous = load_reported(ws, previous_round.id, archive=archive) if previous_round is not None else None
    planned = with_plans(register, archived_milestones(ws, register, archive=archive))  # returned 落实方案
    return write_comparison_outputs(ws, planned, rnd.id, states, previous, now)


@dataclass(frozen=True)
class ComparisonRun:
    """What `compare_round` wrote, with the figures the command prints."""

    round: Round
    written: list[Path]
    figures: Comparison
    round_reason: str = ""  # why this round, when --round did not name it


DEFAULT_WAIT = 60.0  # seconds `compare` waits for a collect pass holding the folder


def compare_round(ws: Workspace, round_id: str | None, now: datetime, *, wait: float = DEFAULT_WAIT,
                  timing: LockTiming | None = None) -> ComparisonRun:
    """`excelflow compare`: the comparison outputs of one round from the archive, no inbox scan.

    Reads only this round's and the previous round's parsed returns (plus plans), like a pass,
    and writes under the collector lock (waiting up to `wait` seconds for a pass to finish).
    """
    lock = take_collector_lock(ws, wait=wait, timing=timing)
    try:
        with fenced(lock.fence()):
            return _compare_round(ws, round_id, now)
    finally:
        lock.release()


def _compare_round(ws: Workspace, round_id: str | None, now: datetime) -> ComparisonRun:
    cache = PassCache(ws)
    register = cache.register()
    cache.save()
    choice = choose_round(register, now, round_id, ws.started_rounds(r.id for r in register.rounds))
    if choice is None:
        raise no_round_started(register)
    rnd = choice.round
    archive = Archive(ws)
    states = round_states(register, rnd.id, archive.submissions(rounds=[rnd.id]), now)
    written = write_comparison(ws, register, rnd, states, now, archive=archive)
    previous_round = register.previous_round(rnd.id)
    previous = load_reported(ws, previous_round.id, archive=archive) if previous_round is not None else None
    planned = with_plans(register, archived_milestones(ws, register, archive=archive))
    return ComparisonRun(rnd, written, compare(planned, rnd.id, states, previous, now),
                         "" if choice.asked else choice.reason)
