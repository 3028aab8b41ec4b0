"""The one collect pass that `excelflow collect` runs once and `excelflow watch` runs on a schedule.

A pass:

1. loads the register (from the pass cache when `register.xlsx` is unchanged) and picks the round
   (`--round`, else, of the rounds already started, the one whose lead deadline is nearest:
   `register.model.choose_round`; when none has started, the pass takes in the inbox first and
   picks among the rounds its returns belong to);
2. scans `inbox/`; if nothing changed since the last complete pass, answers from its snapshot
   (`snapshot.py`) and stops there;
3. otherwise takes in every file the archive has not parsed (`ingest.py`: read once, archive,
   parse), skipping without opening a file the archive has seen with the same path, size and
   modification time;
4. brings up to date the outputs of the chosen round and of every other round that got a new
   return (`round_outputs.py`). Only the parses of these rounds (plus the previous round's, for
   the comparison, and those tied to no round) are read in full, through the one `Archive` of the
   pass: the cost follows what is new, not the archive's size;
5. saves what the outputs were made from and the snapshot (`store.pass_cache`), last.

Crash safety (SIGKILL anywhere): the archive commits a return before its parse is saved; a
return archived but not parsed is read again next pass; outputs are derived from the archive and
written atomically; the record of what the outputs were made from is written last. So the pass
after a killed one ends with exactly the archive and outputs of an uninterrupted run.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from excelflow.files import remove_stale_temp_files
from excelflow.intake.records import Submission
from excelflow.intake.scan import Candidate, InboxScan, scan
from excelflow.register.model import Register, Round, RoundChoice, choose_round, no_round_started
from excelflow.reports.ledger import EntryState, unidentified
from excelflow.runs.pass_report import CollectReport
from excelflow.runs.snapshot import from_snapshot, make_snapshot
from excelflow.store.archive import Archive
from excelflow.store.pass_cache import CACHE_NAME, PassCache
from excelflow.wording import round_with_id
from excelflow.workspace import Workspace

if TYPE_CHECKING:  # the full pass's modules, imported by `run_pass` only when it needs them
    from excelflow.forms.campaign_key import CampaignKey
    from excelflow.runs.ingest import Ingested
    from excelflow.runs.workers import EarlyWorkers, WorkerPool

# New files from which a pass starts its parsing workers before anything else (`start_pass`):
# below, a pass is short anyway, and a file still being copied (new again every pass) would start
# workers for nothing.
EARLY_FROM = 16


@dataclass
class PassStart:
    """What a pass finds before it takes the collector lock: the inbox as scanned (None once
    something may have changed it: `inbox_changed`), and the workers started early, if any.
    Closed by the caller after the pass (a worker the pass did not adopt ends then)."""

    found: InboxScan | None
    early: EarlyWorkers | None = None

    def inbox_changed(self) -> None:
        """Files may have arrived since the scan (the mail fetch saved some): the pass scans again."""
        self.found = None

    def close(self) -> None:
        if self.early is not None:
            self.early.close()

    def __enter__(self) -> PassStart:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_pass(ws: Workspace, workers: int | None = None) -> PassStart:
    """Scan `inbox/` and, when it holds at least `EARLY_FROM` files changed since the last pass
    saved its cache (every file, before the first pass), start the parsing workers now, before
    the register is loaded: they import the readers meanwhile, and the pass adopts them. A pass
    with nothing new starts no process, imports no reader, and does not scan the inbox again
    (`run_pass(start=...)`)."""
    try:
        since = (ws.state / CACHE_NAME).stat().st_mtime_ns
    except OSError:
        since = -1
    found = scan(ws.inbox)
    if sum(1 for c in found.candidates if c.mtime_ns > since) < EARLY_FROM:
        return PassStart(found)
    # Imported only now (`nothing-new` contract): the pool's module, not a reader.
    from excelflow.runs.workers import EarlyWorkers, pool_size

    size = pool_size(workers)
    if size < 2:
        return PassStart(found)  # one worker: started early, it would take turns with this process
    try:
        return PassStart(found, EarlyWorkers(size))
    except OSError:
        return PassStart(found)  # no process to spare now: the pool starts its workers when it needs them


def run_pass(ws: Workspace, *, round_id: str | None, now: datetime,
             progress: Callable[[int, int], None] | None = None, workers: int | None = None,
             start: PassStart | None = None) -> CollectReport:
    """Collect what is new in `ws.inbox` and bring the round's outputs up to date.

    `progress(done, total)` is called after each new file (a progress bar; the crash tests slow
    a real pass down through it). `workers` is the number of worker processes (default: one per
    core); with one, this process draws the outputs itself (no core to spare for another).
    `start`: what `start_pass` found before the lock (its scan, its early workers).
    """
    with _fewer_collections():
        return _run_pass(ws, round_id=round_id, now=now, progress=progress, workers=workers, start=start)


def _run_pass(ws: Workspace, *, round_id: str | None, now: datetime, progress: Callable[[int, int], None] | None,
              workers: int | None, start: PassStart | None) -> CollectReport:
    # Temporary files an earlier, killed writer left in the collector's own folder (whose owner is
    # known gone); this pass's own are inside its lock folder.
    for folder in (ws.state, ws.state / "snapshots"):
        remove_stale_temp_files(folder)
    cache = PassCache(ws)
    register = cache.register()
    choice = choose_round(register, now, round_id, ws.started_rounds(r.id for r in register.rounds))

    found = start.found if start is not None and start.found is not None else scan(ws.inbox)
    candidates = found.candidates
    # A folder of the inbox that cannot be listed is said every pass until it can be.
    if choice is not None and not found.unreadable:
        quick = from_snapshot(ws, cache, register, choice.round, candidates, now)
        if quick is not None:
            return replace(quick, round_reason="" if choice.asked else choice.reason,
                           round_name=round_with_id(choice.round))
    # Imported only now: parsing (python-calamine) and rendering (xlsxwriter, python-docx) are the
    # full pass's job, and a pass with nothing new, answered above, must not pay for loading them.
    from excelflow.forms.campaign_key import ensure_key
    from excelflow.runs.ingest import death_logger
    from excelflow.runs.workers import WorkerPool

    key = ensure_key(ws)  # identities are verified against it, rollups signed with it
    # One pool of worker processes for the pass (started only when a file or many outputs need
    # one): it parses the new files, then draws the outputs.
    with WorkerPool(register, campaign=key, workers=workers, on_death=death_logger(ws, now),
                    early=start.early if start is not None else None) as pool:
        return _full_pass(ws, cache, register, choice, found, now, progress, key, pool)


# A pass keeps what it builds (the register, parses, states, the outputs' jobs) to its end, so
# the cyclic garbage collector, run every 700 new objects by default, mostly walks objects that
# stay: in a city's first collect, 0.62 s of this process's CPU (four full collections of 0.09 s
# each); in a pass with nothing new, 0.10 s of its 0.78 s (the snapshot's 10,800 states). Every
# 20,000 objects: 0.26 s and 0.05 s, and no full collection. What a pass allocates in cycles (the
# comparison's and the 通报's drawings) is still collected, a little later.
YOUNG_COLLECTION_EVERY = 20_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], YOUNG_COLLECTION_EVERY), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)  # `watch` sleeps between passes with Python's own


def _full_pass(ws: Workspace, cache: PassCache, register: Register, choice: RoundChoice | None, found: InboxScan,
               now: datetime,
               progress: Callable[[int, int], None] | None, key: CampaignKey, pool: WorkerPool) -> CollectReport:
    from excelflow.runs.ingest import ingest
    from excelflow.runs.round_outputs import bring_round_up_to_date

    candidates = found.candidates
    archive = Archive(ws)
    fresh = []
    for c in candidates:
        record = archive.lookup_path(c.path, c.size, c.mtime_ns)
        if record is None or not archive.has_submission(record.sha256):
            fresh.append(c)
    fresh.sort(key=lambda c: (c.mtime_ns, c.path))

    took = ingest(ws, archive, register, fresh, now, progress, pool=pool)
    took.unreadable[:0] = found.unreadable

    known_rounds = {r.id for r in register.rounds}
    if choice is None:
        # No round started before this pass: the returns just taken in say which rounds are open.
        arrived = {s.round_id for s in took.new if s.round_id in known_rounds}
        choice = choose_round(register, now, None, ws.started_rounds(known_rounds) | arrived)
        if choice is None:
            return _no_round_yet(ws, cache, register, archive, candidates, took, now)
    chosen = choice.round
    touched = {s.round_id for s in took.new if s.round_id in known_rounds and s.round_id != chosen.id}
    # Only the parses this pass renders from are read in full: the rounds it brings up to date and
    # the returns tied to no round (listed as unidentified). The rest of the archive is seen
    # through its light heads (receipt times); the comparison reads the previous round and
    # the plans through the same `archive`.
    all_subs = archive.submissions(rounds=[chosen.id, *touched, None])
    times = [m.received_at for m in archive.submission_heads()]
    outputs = []
    fallbacks = []
    rendered = False
    chosen_states: list[EntryState] = []
    complete: list[tuple[Round, list[EntryState]]] = []
    others = sorted((register.require_round(r) for r in touched if r is not None), key=lambda r: r.lead_deadline)
    _set_seen(cache, candidates, took)  # in memory (saved last, below): the snapshot names what was seen
    # Each round's snapshot is made and encoded while the workers draw its outputs (a city's
    # round: ~0.25 s this process would otherwise spend alone at the end); kept only if the round
    # completes.
    snapshots: dict[str, tuple[dict[str, object], str]] = {}

    def snapshot(rnd: Round, states: list[EntryState]) -> None:
        snap = make_snapshot(cache, register, rnd, states, all_subs, times, now)
        snapshots[rnd.id] = (snap, cache.snapshot_text(rnd.id, snap))

    for rnd in [chosen, *others]:
        done = bring_round_up_to_date(ws, cache, register, rnd, all_subs, now, archive, campaign=key,
                                      pool=pool if pool.size > 1 else None,
                                      while_drawing=partial(snapshot, rnd))
        outputs += done.written
        fallbacks += done.fallbacks
        rendered = rendered or done.rendered
        if rnd.id == chosen.id:
            chosen_states = done.states
        if not done.fallbacks:
            complete.append((rnd, done.states))
    pool.let_go()  # nothing more to parse or draw: the workers end while this process saves the cache
    # Last, so a pass killed before here leaves the cache saying less than was done, never more.
    for rnd, states in complete:
        if rnd.id in snapshots:
            cache.set_snapshot(rnd.id, *snapshots[rnd.id])
        else:  # its outputs were up to date: nothing was drawn
            cache.set_snapshot(rnd.id, make_snapshot(cache, register, rnd, states, all_subs, times, now))
    cache.save()

    return CollectReport(
        round_id=chosen.id,
        as_of=now,
        new=took.new,
        pending=took.pending,
        unreadable=took.unreadable,
        states=chosen_states,
        unidentified=unidentified(register, chosen, all_subs),
        outputs=outputs,
        duplicates=took.duplicates,
        other_rounds=_count_by_round(s for s in took.new if s.round_id != chosen.id and s.round_id in known_rounds),
        unknown_rounds=[s for s in took.new if s.round_id and s.unit and s.round_id not in known_rounds],
        fallbacks=fallbacks,
        unchosen_relevant=register.unchosen_relevant(),
        rendered=rendered,
        round_reason="" if choice.asked else choice.reason,
        round_name=round_with_id(chosen),
    )


def _no_round_yet(ws: Workspace, cache: PassCache, register: Register, archive: Archive,
                  candidates: Sequence[Candidate], took: Ingested, now: datetime) -> CollectReport:
    """A pass before any round has started: what arrived is archived and listed, no round's
    outputs are written (nobody was sent workbooks; reminders to every unit would be wrong)."""
    _set_seen(cache, candidates, took)
    cache.save()
    subs = archive.submissions(rounds=[None])
    return CollectReport(
        round_id="", as_of=now, new=took.new, pending=took.pending, unreadable=took.unreadable, states=[],
        unidentified=[s for s in subs if s.unit is None or s.round_id is None],
        outputs=[], duplicates=took.duplicates,
        unknown_rounds=[s for s in took.new if s.round_id and s.unit and register.round(s.round_id) is None],
        rendered=False, round_reason=str(no_round_started(register)), round_name="尚未开始任何轮次",
    )


def _set_seen(cache: PassCache, candidates: Sequence[Candidate], took: Ingested) -> None:
    """Every inbox file this pass finished with (not pending, not unreadable): the next pass skips
    them unopened while they stay the same."""
    pending_set = set(took.pending) | {u.path for u in took.unreadable}
    cache.set_seen({c.path: [c.size, c.mtime_ns] for c in candidates if c.path not in pending_set})


def _count_by_round(subs: Iterable[Submission]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in subs:
        out[s.round_id or ""] = out.get(s.round_id or "", 0) + 1
    return out
