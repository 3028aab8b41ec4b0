"""Bringing one round's outputs up to date after a pass: receipts, rollups, 状态.json, comparison.

Three levels keep a pass cheap: the round's key (register + the round's returns) unchanged, every
output present and the comparison already made today → nothing is rendered at all; otherwise
each rollup is rendered only if its own digest changed, each receipt only if it is missing (it
depends on its return alone), and the comparison (which counts days overdue, so it changes with
the date) only if the key or the day changed.

An output open in Excel (Windows refuses to replace it) is written beside it
(`files.publish_bytes`); it is listed among the fallbacks and the round's keys stay unset, so the
next pass writes the original again.

Receipts and rollups are drawn by the pass's worker processes when there are enough of them
(`workers.render_many`, the same bytes in the same order as one process draws them), and written
here as they come. The outputs of the round are synced together (`files.synced_together`), a
hundred or so at a time while the workers draw and the rest at the end, before the pass cache
that says what they were made from.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice
from pathlib import Path

from excelflow import __version__
from excelflow.files import SyncBatch, fallback_path, publish_bytes, remove_stale_temp_files, synced_together
from excelflow.forms.campaign_key import CampaignKey
from excelflow.intake.records import Submission
from excelflow.register.model import Register, Round
from excelflow.reports.ledger import EntryState, round_states, states_by_key
from excelflow.reports.receipts import make_receipt, receipt_text, receipt_to_json
from excelflow.reports.rollup import rollup_rows, rows_digest, rows_to_json
from excelflow.reports.state_file import state_file_bytes
from excelflow.runs.compare import write_comparison
from excelflow.runs.workers import RenderJob, WorkerPool, render_in_process
from excelflow.store.archive import Archive
from excelflow.store.pass_cache import PassCache
from excelflow.workspace import Workspace, receipt_stem


@dataclass
class RoundOutputs:
    """What bringing a round up to date did."""

    states: list[EntryState]
    written: list[Path] = field(default_factory=list)
    fallbacks: list[Path] = field(default_factory=list)  # written beside a file held open
    rendered: bool = False


# Outputs to draw before worker processes draw them: each worker first imports the drawing
# modules (~0.2 s of CPU), and spreading fewer outputs over two cores saves less than that (a
# district's first pass, 79 receipts and 47 rollups, is drawn here as fast).
WORKERS_FROM = 200


def bring_round_up_to_date(ws: Workspace, cache: PassCache, register: Register, rnd: Round,
                           all_subs: Sequence[Submission], now: datetime, archive: Archive | None = None,
                           *, campaign: CampaignKey | None = None, pool: WorkerPool | None = None,
                           while_drawing: Callable[[list[EntryState]], None] | None = None) -> RoundOutputs:
    """States of `rnd`; outputs rendered only where their inputs changed or the file is missing.

    `pool` (the pass's workers) draws the receipts and rollups; without, this process does.
    `while_drawing(states)` is the caller's own work on the states, done once this process has
    written its own outputs and before it takes the drawn ones (while the workers still draw);
    not called when every output is up to date."""
    with synced_together() as batch:  # every output of the round synced before the cache names them
        return _bring_up_to_date(ws, cache, register, rnd, all_subs, now, archive, campaign, pool, batch,
                                 while_drawing)


def _bring_up_to_date(ws: Workspace, cache: PassCache, register: Register, rnd: Round,
                      all_subs: Sequence[Submission], now: datetime, archive: Archive | None,
                      campaign: CampaignKey | None, pool: WorkerPool | None, batch: SyncBatch,
                      while_drawing: Callable[[list[EntryState]], None] | None = None) -> RoundOutputs:
    subs = [s for s in all_subs if s.received_at <= now]
    states = round_states(register, rnd.id, subs, now)
    mine = [s for s in subs if s.round_id == rnd.id]
    receipts = {s.sha256: ws.receipt_files(rnd.id, receipt_stem(s)) for s in mine}
    leads = register.leads_in_task_order()
    paths = ws.rollup_paths(rnd.id, leads)
    expected_files = list(paths.values())
    expected_files += [p for pair in receipts.values() for p in pair]
    expected_files.append(ws.state_file(rnd.id))
    exists = _Existing()
    key = _output_key(cache, rnd.id, mine)
    comparison_key = f"{key}:{now.date().isoformat()}"
    if (cache.output_key(rnd.id) == key and cache.output_key(f"{rnd.id}:comparison") == comparison_key
            and all(exists(p) for p in expected_files)):
        return RoundOutputs(states)

    # Outputs are about to be rewritten under the lock: a killed pass's half-written temporary
    # files go first, so a rerun leaves the folders as an uninterrupted pass would.
    # The round folder is shared with `generate` (分发清单), so only collect's own files there.
    for folder in (ws.rollups_dir(rnd.id), ws.receipts_dir(rnd.id)):
        remove_stale_temp_files(folder)
    own = (ws.state_file(rnd.id), *ws.comparison_outputs(rnd.id))
    remove_stale_temp_files(ws.round_dir(rnd.id), [p.name for p in own])
    done = RoundOutputs(states, rendered=True)

    def publish(path: Path, data: bytes, into: RoundOutputs = done) -> bool:
        """Write `path`; False when it went beside a file held open (so it is retried next pass)."""
        result = publish_bytes(path, data)
        if result is not None:
            into.written.append(result)
            if result != path:
                into.fallbacks.append(result)
                return False
        return True

    by_key = states_by_key(states)
    # What each drawn output becomes, in the order drawn: its file, a receipt's text twin, a
    # rollup's digest. Appended as each job is made, taken as each drawing comes back.
    after: deque[tuple[Path, tuple[Path, bytes] | None, str | None]] = deque()

    def jobs() -> Iterator[RenderJob]:
        """What to draw: each receipt once (when its return is first collected, or if deleted),
        each rollup whose digest changed; written in this order, whoever draws them."""
        for sub in mine:
            xlsx_path, txt_path = receipts[sub.sha256]
            if exists(xlsx_path) and exists(txt_path):
                continue  # written once, when its return is first collected
            receipt = make_receipt(sub, register, by_key)
            after.append((xlsx_path, (txt_path, receipt_text(receipt).encode("utf-8")), None))
            yield RenderJob("receipt", {**receipt_to_json(receipt), "received_at": sub.received_at.isoformat()},
                            xlsx_path.name)
        latest = _latest_by_task(states)
        for unit in leads:
            path = paths[unit]
            as_of = _as_of(register, unit, latest, rnd)
            rows = rollup_rows(register, unit, by_key)
            digest = rows_digest(rnd, unit, as_of, rows)
            name = path.relative_to(ws.round_dir(rnd.id)).as_posix()
            if exists(path) and cache.file_digest(rnd.id, name) == digest:
                continue
            after.append((path, None, digest))
            yield RenderJob("rollup", {"round": rnd.id, "unit": unit, "as_of": as_of.isoformat(),
                                       "rows": rows_to_json(rows)}, path.name)

    # Whether the workers draw: the receipts missing say so at once when they are enough (a
    # first collect), else the first jobs made.
    made = jobs()
    missing = sum(1 for pair in receipts.values() if not all(exists(p) for p in pair))
    first = [] if pool is not None and missing >= WORKERS_FROM else list(islice(made, WORKERS_FROM))
    if pool is not None and (missing >= WORKERS_FROM or len(first) >= WORKERS_FROM):
        # The workers start on the first jobs while this thread makes the rest, all of them (a
        # city's round: 0.4 s), before the comparison. Made by the thread that feeds the workers,
        # as they were needed, they came only between the comparison's slices of this process's
        # time, and the two workers drew at 0.3–0.5 of a core each meanwhile.
        handed: queue.SimpleQueue[RenderJob | None] = queue.SimpleQueue()
        drawn = pool.render_many(iter(handed.get, None))
        try:
            for job in chain(first, made):
                handed.put(job)
        finally:
            handed.put(None)  # the end, even if making a job failed (the feeder stops there)
    else:
        drawn = render_in_process(register, chain(first, made), campaign)  # drawn as they are taken, below
    # What this process alone makes, made while the workers draw; listed after the drawn outputs,
    # as they always were.
    tail = RoundOutputs(states)
    publish(ws.state_file(rnd.id), state_file_bytes(rnd, states), tail)
    if cache.output_key(f"{rnd.id}:comparison") != comparison_key:
        written = write_comparison(ws, register, rnd, states, now, archive=archive)
        tail.written.extend(written)
        beside = [p for p in written if p in {fallback_path(o) for o in ws.comparison_outputs(rnd.id)}]
        tail.fallbacks.extend(beside)
        if not beside:  # else the key stays old, so the next pass tries the original again
            cache.set_output_key(f"{rnd.id}:comparison", comparison_key)
    if while_drawing is not None:
        while_drawing(states)
    for data in drawn:
        path, twin, rollup_digest = after.popleft()  # made before its job, so it is there
        batch.commit_if_due()  # synced as they come, while the workers draw the next ones
        if twin is not None:  # a receipt: the workbook, then its text
            publish(path, data)
            publish(*twin)
        elif publish(path, data) and rollup_digest is not None:
            cache.set_file_digest(rnd.id, path.relative_to(ws.round_dir(rnd.id)).as_posix(), rollup_digest)
    done.written += tail.written
    done.fallbacks += tail.fallbacks
    if not done.fallbacks:
        cache.set_output_key(rnd.id, key)
    return done


class _Existing:
    """Whether output files exist, from one listing of each folder (a round of five thousand
    returns has ten thousand receipt files: a stat each is what the listing saves)."""

    def __init__(self) -> None:
        self._names: dict[str, set[str] | None] = {}  # by the folder's text (cheaper to hash than a Path)

    def __call__(self, path: Path) -> bool:
        folder = os.path.dirname(path)
        if folder not in self._names:
            try:
                self._names[folder] = set(os.listdir(folder))
            except OSError:
                self._names[folder] = None
        names = self._names[folder]
        if names is not None and path.name in names:
            return True
        return path.exists()  # not listed under this spelling (a file system that normalises names)


def _latest_by_task(states: Sequence[EntryState]) -> dict[int, datetime]:
    """The latest receipt of any entry of each task: built once per round, so a rollup's `_as_of`
    looks at its own tasks only (a scan of every state per lead unit was quadratic)."""
    latest: dict[int, datetime] = {}
    for s in states:
        if s.received_at is not None:
            known = latest.get(s.task_id)
            if known is None or s.received_at > known:
                latest[s.task_id] = s.received_at
    return latest


def _as_of(register: Register, unit: str, latest: dict[int, datetime], rnd: Round) -> datetime:
    """The latest receipt a rollup shows (so an unchanged rollup keeps its bytes)."""
    times = [latest[t.id] for t in register.led_tasks(unit) if t.id in latest]
    return max(times) if times else datetime.combine(rnd.co_deadline, datetime.min.time())


def _output_key(cache: PassCache, round_id: str, subs: Sequence[Submission]) -> str:
    """Digest of everything a round's outputs are made from."""
    parts = [__version__, round_id, cache.register_key(), sorted((s.sha256, s.received_at.isoformat()) for s in subs)]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()
