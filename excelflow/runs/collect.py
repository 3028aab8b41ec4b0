"""The one collect pass that `excelflow collect` runs once and `excelflow watch` runs on a schedule.

A pass:

1. loads the register (from `.excelflow/collect-cache.json` when `register.xlsx` is unchanged)
   and picks the round (`--round`, else `choose_round`);
2. scans `inbox/`; a file the archive has seen with the same path, size and modification time,
   and parsed, is skipped without being opened;
3. for each other file, in order of modification time: reads its bytes once (pending if it is
   still being copied), archives them byte for byte with the pass's `now` as receipt time
   (bytes already archived keep their first receipt time), parses them with intake and keeps the
   parsed result beside the bytes;
4. computes the entry states of the chosen round and of every other round that got a new return,
   and writes, for each: the lead-unit rollups, a receipt per return, the state file
   `outbox/R/状态.json` and (issue 5) the comparison workbook. Only the parses of these rounds
   (plus the previous round's, for the comparison, and those tied to no round) are read in full,
   through the one `Archive` of the pass: the cost follows what is new, not the archive's size.

Crash safety (SIGKILL anywhere): the archive commits a return before its parse is saved; a
return archived but not parsed is read again next pass; outputs are derived from the archive and
written atomically; the record of what the outputs were made from is written last. So the pass
after a killed one ends with exactly the archive and outputs of an uninterrupted run.

An output open in Excel (Windows refuses to replace it) is written beside it
(`files.publish_bytes`); the pass lists it in `CollectReport.fallbacks` (summary and pass log) and
leaves the round's keys unset, so the next pass writes the original again.

A pass with nothing new (no new file, same register, same day, outputs present) reads no
workbook, writes no output, imports neither pandas nor xlsxwriter and does not even load the
archive: it answers from the snapshot the last complete pass left for the round
(`.excelflow/collect-cache.json` and `.excelflow/snapshots/`, see `collect_cache`). On a new day the comparison (which counts days overdue) is
redone once; rollups, receipts and the state file are not.

The round without `--round`: `choose_round` (the lead deadline nearest to `now`).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from excelflow import __version__
from excelflow.store.pass_cache import PassCache
from excelflow.errors import RoundError
from excelflow.files import publish_bytes, remove_stale_temp_files
from excelflow.reports.ledger import EntryState, compute_states, round_submissions, version_order
from excelflow.register.model import Register, Round, Task
from excelflow.intake.records import Submission
from excelflow.workspace import Workspace

if TYPE_CHECKING:  # pragma: no cover
    from excelflow.store.archive import Archive
    from excelflow.reports.figures import Comparison
    from excelflow.intake.scan import Candidate

STATE_FILE = "状态.json"
PENDING_LOG = "pending.json"  # scan.PendingLog: first sightings of incomplete files, across passes
# Test hook for the crash tests: seconds to sleep after each file, so a test can SIGKILL a
# pass at a random point of a real run. Never set in normal use.
SLOW_ENV = "EXCELFLOW_TEST_SLOW_PASS"


@dataclass(frozen=True)
class CollectReport:
    """What one pass found and wrote. Paths are absolute; Submission paths are inbox-relative."""

    round_id: str
    as_of: datetime
    new: list[Submission]
    pending: list[str]
    states: list[EntryState]
    unidentified: list[Submission]
    outputs: list[Path]
    duplicates: list[str] = field(default_factory=list)  # inbox paths whose bytes were already archived
    other_rounds: dict[str, int] = field(default_factory=dict)  # round → new returns this pass
    unknown_rounds: list[Submission] = field(default_factory=list)  # returns for rounds not in the register
    fallbacks: list[Path] = field(default_factory=list)  # outputs written beside a file open in Excel
    unchosen_relevant: tuple[Task, ...] = ()
    rendered: bool = False  # False: nothing changed, no output was even rendered

    @property
    def round(self) -> str:
        return self.round_id

    def summary_line(self) -> str:
        """One Chinese line for the collector's log (`watch`)."""
        from excelflow.runs.summary import summary_line

        return summary_line(self)


def choose_round(register: Register, now: datetime) -> Round:
    """The round whose lead-unit deadline is nearest to `now` (before or after); ties → later.

    Near a deadline that is the round being collected; a few days after it, late returns are still
    chased for it; past the midpoint to the next round's deadline, the next round is current.
    """
    if not register.rounds:
        raise RoundError("任务登记表的「轮次」工作表中没有轮次,请先填写轮次和截止日期。")
    today = now.date()
    return min(register.rounds,
               key=lambda r: (abs((r.lead_deadline - today).days), -r.lead_deadline.toordinal()))


def run_pass(ws: Workspace, *, round_id: str | None, now: datetime,
             progress: Callable[[int, int], None] | None = None) -> CollectReport:
    """Collect what is new in `ws.inbox` and bring the round's outputs up to date."""
    from excelflow.store.archive import Archive
    from excelflow.intake.scan import scan_inbox

    cache = PassCache(ws)
    register = cache.register()
    chosen = register.require_round(round_id) if round_id is not None else choose_round(register, now)

    candidates = scan_inbox(ws.inbox) if ws.inbox.is_dir() else []
    quick = _from_snapshot(ws, cache, register, chosen, candidates, now)
    if quick is not None:
        return quick

    archive = Archive(ws)
    fresh = []
    for c in candidates:
        record = archive.lookup_path(c.path, c.size, c.mtime_ns)
        if record is None or not archive.has_submission(record.sha256):
            fresh.append(c)
    fresh.sort(key=lambda c: (c.mtime_ns, c.path))

    new, duplicates, pending = _ingest(ws, archive, register, fresh, now, progress)

    known_rounds = {r.id for r in register.rounds}
    touched = {s.round_id for s in new if s.round_id in known_rounds and s.round_id != chosen.id}
    # Only the parses this pass renders from are read in full: the rounds it brings up to date and
    # the returns tied to no round (listed as unidentified). The rest of the archive is seen
    # through its light metadata (receipt times); the comparison reads the previous round and
    # the plans through the same `archive`.
    all_subs = archive.submissions(rounds=[chosen.id, *touched, None])
    times = [m.received_at for m in archive.submission_meta()]
    outputs: list[Path] = []
    fallbacks: list[Path] = []
    rendered = False
    chosen_states: list[EntryState] = []
    complete: list[tuple[Round, list[EntryState]]] = []
    for rnd in [chosen, *sorted((register.round(r) for r in touched), key=lambda r: r.lead_deadline)]:  # type: ignore[union-attr]
        states, written, fell_back, did_render = _bring_round_up_to_date(ws, cache, register, rnd, all_subs, now,
                                                                          archive)
        outputs += written
        fallbacks += fell_back
        rendered = rendered or did_render
        if rnd.id == chosen.id:
            chosen_states = states
        if not fell_back:
            complete.append((rnd, states))
    # Last, so a pass killed before here leaves the cache saying less than was done, never more.
    pending_set = set(pending)
    cache.set_seen({c.path: [c.size, c.mtime_ns] for c in candidates if c.path not in pending_set})
    for rnd, states in complete:
        cache.set_snapshot(rnd.id, _snapshot(ws, cache, register, rnd, states, all_subs, times, now))
    cache.save()

    return CollectReport(
        round_id=chosen.id,
        as_of=now,
        new=new,
        pending=pending,
        states=chosen_states,
        unidentified=unidentified(register, chosen, all_subs),
        outputs=outputs,
        duplicates=duplicates,
        other_rounds=_count_by_round(s for s in new if s.round_id != chosen.id and s.round_id in known_rounds),
        unknown_rounds=[s for s in new if s.round_id and s.unit and s.round_id not in known_rounds],
        fallbacks=fallbacks,
        unchosen_relevant=register.unchosen_relevant(),
        rendered=rendered,
    )


def _ingest(ws: Workspace, archive: Archive, register: Register, fresh: Sequence[Candidate], now: datetime,
            progress: Callable[[int, int], None] | None) -> tuple[list[Submission], list[str], list[str]]:
    """Read, archive and parse each file not collected yet: (new returns, duplicates, pending)."""
    from excelflow.intake.scan import looks_incomplete, read_bytes
    from excelflow.intake.read import read_return
    from excelflow.intake.scan import PendingLog

    new: list[Submission] = []
    duplicates: list[str] = []
    pending: list[str] = []
    slow = float(os.environ.get(SLOW_ENV) or 0)
    pending_log = PendingLog(ws.state / PENDING_LOG)
    for i, c in enumerate(fresh, start=1):
        data = read_bytes(ws.inbox, c)
        incomplete = data is not None and looks_incomplete(data, c.path)
        # Incomplete bytes are a copy still arriving (retried next pass), unless the same bytes
        # have stayed incomplete for a day: then the file is damaged and is taken in (archived,
        # rejected with the reason) rather than left pending forever.
        stale = incomplete and pending_log.stale(c, now)
        if data is None or (incomplete and not stale):
            pending.append(c.path)
        else:
            sha = hashlib.sha256(data).hexdigest()
            # Commit the bytes first (the receipt time is fixed here, once), then the parse: a
            # pass killed in between finds the file unparsed next time and parses it then.
            record = archive.store(data, c.path, now, mtime_ns=c.mtime_ns)
            if archive.has_submission(sha):
                duplicates.append(c.path)  # these bytes were collected before (other name, or re-saved)
            else:
                sub = read_return(data, c.path, record.received_at, register, stale_pending=stale)
                sub = replace(sub, path=record.original_path, archived_as=record.blob, modified_ns=c.mtime_ns)
                archive.save_submission(sub)
                new.append(sub)
        if progress is not None:
            progress(i, len(fresh))
        if slow:
            time.sleep(slow)
    pending_log.keep(pending)
    pending_log.save()
    return new, duplicates, pending


def _count_by_round(subs: Iterable[Submission]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in subs:
        out[s.round_id or ""] = out.get(s.round_id or "", 0) + 1
    return out


def unidentified(register: Register, rnd: Round, subs: Sequence[Submission]) -> list[Submission]:
    """Returns no unit or round could be found for, received since the previous round closed.

    They stay on the list for the whole round (the clerk has to act on them), and drop off once the
    next round is collected.
    """
    previous = register.previous_round(rnd.id)
    since = previous.lead_deadline if previous else None
    return [
        s for s in subs
        if (s.unit is None or s.round_id is None) and s.round_id in (None, rnd.id)
        and (since is None or s.received_at.date() > since)
    ]


def _snapshot(ws: Workspace, cache: PassCache, register: Register, rnd: Round, states: Sequence[EntryState],
              all_subs: Sequence[Submission], times: Sequence[datetime], now: datetime) -> dict[str, object]:
    """What a later pass with nothing new needs to answer without loading the archive.

    `all_subs` holds (at least) the round's returns and those tied to no round; `times` the
    receipt time of every parsed return in the archive (a back-dated `now` sees fewer).
    """
    from excelflow.store.pass_cache import state_to_json, submissions_to_json

    included = [t for t in times if t <= now]
    later = [t for t in times if t > now]
    return {
        "register": cache.register_key(),
        "seen": cache.seen_digest(),
        "day": now.date().isoformat(),
        "valid_from": max(included).isoformat() if included else None,
        "valid_until": min(later).isoformat() if later else None,
        "receipts": sorted(name for s in all_subs if s.round_id == rnd.id and s.received_at <= now
                           for name in _receipt_names(s)),
        "states": [state_to_json(s) for s in states],
        "unidentified": submissions_to_json(unidentified(register, rnd, [s for s in all_subs if s.received_at <= now])),
    }


def _from_snapshot(ws: Workspace, cache: PassCache, register: Register, rnd: Round,
                   candidates: Sequence[Candidate], now: datetime) -> CollectReport | None:
    """The report of a pass with nothing new, from the last pass's snapshot; None if anything changed.

    Valid only if every inbox file is one the last complete pass collected (same size and
    modification time), the register is unchanged, `now` falls on the same day and in the same
    span of receipts, and every output is still there.
    """
    snap = cache.snapshot(rnd.id)
    if snap is None or snap.get("register") != cache.register_key() or snap.get("seen") != cache.seen_digest():
        return None
    seen = cache.seen()
    if any(seen.get(c.path) != [c.size, c.mtime_ns] for c in candidates):
        return None
    if snap.get("day") != now.date().isoformat():
        return None
    start, end = snap.get("valid_from"), snap.get("valid_until")
    if (start and now < datetime.fromisoformat(str(start))) or (end and now >= datetime.fromisoformat(str(end))):
        return None
    from excelflow.reports.rollup import lead_units

    try:
        receipts_present = set(os.listdir(ws.receipts_dir(rnd.id)))
    except FileNotFoundError:
        receipts_present = set()
    if not set(snap.get("receipts") or ()) <= receipts_present:  # type: ignore[arg-type]
        return None
    if not state_file(ws, rnd.id).exists() or not all(p.exists() for p in rollup_paths(ws, rnd.id, lead_units(register)).values()):
        return None
    from excelflow.store.pass_cache import state_from_json, submissions_from_json

    try:
        states = [state_from_json(v) for v in snap["states"]]  # type: ignore[union-attr]
        unplaced = submissions_from_json(snap["unidentified"])  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return CollectReport(round_id=rnd.id, as_of=now, new=[], pending=[], states=states, unidentified=unplaced,
                         outputs=[], unchosen_relevant=register.unchosen_relevant(), rendered=False)


def round_states(register: Register, round_id: str, subs: Sequence[Submission], now: datetime) -> list[EntryState]:
    """Entry states of a round from archived submissions, versions in receipt order."""
    return compute_states(register, round_id, version_order(round_submissions(subs, round_id)), now)


def _bring_round_up_to_date(ws: Workspace, cache: PassCache, register: Register, rnd: Round,
                            all_subs: Sequence[Submission], now: datetime, archive: Archive | None = None
                            ) -> tuple[list[EntryState], list[Path], list[Path], bool]:
    """States of `rnd`; outputs rendered only where their inputs changed or the file is missing.

    Three levels keep a pass cheap: the round's key (register + the round's returns) unchanged,
    every output present and the comparison already made today → nothing is rendered at all;
    otherwise each rollup is rendered only if its own digest changed, each receipt only if it is
    missing (it depends on its return alone), and the comparison (which counts days overdue, so
    it changes with the date) only if the key or the day changed.
    """
    subs = [s for s in all_subs if s.received_at <= now]
    states = round_states(register, rnd.id, subs, now)
    mine = [s for s in subs if s.round_id == rnd.id]
    receipts = {s.sha256: _receipt_paths(ws, rnd.id, s) for s in mine}
    from excelflow.reports.rollup import lead_units

    leads = lead_units(register)
    paths = rollup_paths(ws, rnd.id, leads)
    expected_files = list(paths.values())
    expected_files += [p for pair in receipts.values() for p in pair]
    expected_files.append(state_file(ws, rnd.id))
    key = _output_key(cache, rnd.id, mine)
    comparison_key = f"{key}:{now.date().isoformat()}"
    if (cache.output_key(rnd.id) == key and cache.output_key(f"{rnd.id}:comparison") == comparison_key
            and all(p.exists() for p in expected_files)):
        return states, [], [], False

    # Outputs are about to be rewritten under the lock: a killed pass's half-written temporary
    # files go first, so a rerun leaves the folders as an uninterrupted pass would.
    # The round folder is shared with `generate` (分发清单), so only collect's own files there.
    for folder in (ws.rollups_dir(rnd.id), ws.receipts_dir(rnd.id)):
        remove_stale_temp_files(folder)
    own = (state_file(ws, rnd.id), *_comparison_outputs(ws, rnd.id))
    remove_stale_temp_files(ws.round_dir(rnd.id), [p.name for p in own])
    written: list[Path] = []
    fallbacks: list[Path] = []

    def publish(path: Path, data: bytes) -> bool:
        """Write `path`; False when it went beside a file held open (so it is retried next pass)."""
        result = publish_bytes(path, data)
        if result is not None:
            written.append(result)
            if result != path:
                fallbacks.append(result)
                return False
        return True

    from excelflow.reports.receipts import build_receipt, make_receipt, receipt_text
    from excelflow.reports.rollup import build_rollup, rollup_digest, rollup_states

    for sub in mine:
        xlsx_path, txt_path = receipts[sub.sha256]
        if xlsx_path.exists() and txt_path.exists():
            continue  # a receipt depends on its return only: written once
        receipt = make_receipt(sub, register)
        publish(xlsx_path, build_receipt(receipt, sub.received_at))
        publish(txt_path, receipt_text(receipt).encode("utf-8"))
    by_key = rollup_states(states)
    for unit in leads:
        path = paths[unit]
        as_of = _as_of(register, unit, states, rnd)
        digest = rollup_digest(register, rnd, unit, by_key, as_of)
        name = path.relative_to(ws.round_dir(rnd.id)).as_posix()
        if path.exists() and cache.file_digest(rnd.id, name) == digest:
            continue
        if publish(path, build_rollup(register, rnd, unit, by_key, as_of)):
            cache.set_file_digest(rnd.id, name, digest)
    publish(state_file(ws, rnd.id), state_file_bytes(rnd, states))
    if cache.output_key(f"{rnd.id}:comparison") != comparison_key:
        done = write_comparison(ws, register, rnd, states, now, archive=archive)
        written.extend(done)
        beside = [p for p in done if p in _comparison_fallbacks(ws, rnd.id)]
        fallbacks.extend(beside)
        if not beside:  # else the key stays old, so the next pass tries the original again
            cache.set_output_key(f"{rnd.id}:comparison", comparison_key)
    if not fallbacks:
        cache.set_output_key(rnd.id, key)
    return states, written, fallbacks, True


def write_comparison(ws: Workspace, register: Register, rnd: Round, states: Sequence[EntryState],
                     now: datetime, archive: Archive | None = None) -> list[Path]:
    """HOOK for issue 5: write `ws.comparison_path(rnd.id)` (R-对比通报.xlsx) from `states`.

    Called whenever the round's outputs are re-rendered (new returns, changed register, or a
    missing output), after the rollups. Writes through `files.publish_bytes` and returns the
    paths written: the comparison workbook, the reminders and the draft notification
    (`comparison_workbook.write_comparison`), with the previous round's reports beside.
    `archive` is the pass's own (read once per pass); without, one is opened here.
    """
    from excelflow.reports.comparison_workbook import write_comparison as write_comparison_outputs
    from excelflow.reports.ledger import load_reported
    from excelflow.forms.plans import archived_milestones, with_plans

    if archive is None:
        from excelflow.store.archive import Archive

        archive = Archive(ws)
    previous_round = register.previous_round(rnd.id)
    previous = load_reported(ws, previous_round.id, archive=archive) if previous_round is not None else None
    planned = with_plans(register, archived_milestones(ws, register, archive=archive))  # returned 落实方案
    return write_comparison_outputs(ws, planned, rnd.id, states, previous, now)


def _comparison_outputs(ws: Workspace, round_id: str) -> tuple[Path, ...]:
    """The comparison workbook, the reminders and the draft notification of a round."""
    from excelflow.reports.notification import notification_path
    from excelflow.reports.reminders import reminders_path

    return ws.comparison_path(round_id), reminders_path(ws, round_id), notification_path(ws, round_id)


def _comparison_fallbacks(ws: Workspace, round_id: str) -> set[Path]:
    """Where the comparison's three outputs go when the originals are open (`files.fallback_path`)."""
    from excelflow.files import fallback_path

    return {fallback_path(p) for p in _comparison_outputs(ws, round_id)}


def _as_of(register: Register, unit: str, states: Sequence[EntryState], rnd: Round) -> datetime:
    """The latest receipt a rollup shows (so an unchanged rollup keeps its bytes)."""
    tasks = {t.id for t in register.tasks if unit in register.lead_units(t)}
    times = [s.received_at for s in states if s.task_id in tasks and s.received_at is not None]
    return max(times) if times else datetime.combine(rnd.co_deadline, datetime.min.time())


def _output_key(cache: PassCache, round_id: str, subs: Sequence[Submission]) -> str:
    """Digest of everything a round's outputs are made from."""
    parts = [__version__, round_id, cache.register_key(), sorted((s.sha256, s.received_at.isoformat()) for s in subs)]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def _receipt_names(sub: Submission) -> tuple[str, str]:
    from excelflow.reports.receipts import receipt_stem

    stem = receipt_stem(sub)
    return f"{stem}.xlsx", f"{stem}.txt"


def _receipt_paths(ws: Workspace, round_id: str, sub: Submission) -> tuple[Path, Path]:
    folder = ws.receipts_dir(round_id)
    xlsx, txt = _receipt_names(sub)
    return folder / xlsx, folder / txt


def rollup_paths(ws: Workspace, round_id: str, units: Sequence[str]) -> dict[str, Path]:
    """Each lead unit's rollup file; names that would collide once made safe get a digest each.

    `区城投/集团` and `区城投_集团` are both `区城投_集团.xlsx` on disk: rather than let one rollup
    silently replace the other, both become `区城投_集团-<digest of the real name>.xlsx` (the
    identity sheet inside names the unit).
    """
    plain = {u: ws.rollup_file(round_id, u) for u in units}
    counts: dict[Path, int] = {}
    for path in plain.values():
        counts[path] = counts.get(path, 0) + 1
    out: dict[str, Path] = {}
    for unit, path in plain.items():
        if counts[path] > 1:
            digest = hashlib.sha256(unit.encode("utf-8")).hexdigest()[:8]
            path = ws.rollups_dir(round_id) / f"{path.stem}-{digest}{path.suffix}"
        out[unit] = path
    return out


def state_file(ws: Workspace, round_id: str) -> Path:
    return ws.round_dir(round_id) / STATE_FILE


def state_entry(s: EntryState) -> dict[str, object]:
    """One entry as `excelflow status --json` prints it (the contract in domain.md)."""
    return {
        "task": s.task_id,
        "unit": s.unit,
        "role": s.role,
        "state": s.state,
        "received_at": s.received_at.isoformat(timespec="seconds") if s.received_at else None,
        "status": s.content.status if s.content is not None else None,
    }


def state_file_bytes(rnd: Round, states: Sequence[EntryState]) -> bytes:
    """`outbox/R/状态.json`: the status contract's entries plus days late, deadline and sources."""
    entries = []
    for s in states:
        item = state_entry(s)
        item.update(days_late=s.days_late, deadline=s.deadline.isoformat(), sources=list(s.sources))
        entries.append(item)
    data = {"round": rnd.id, "entries": entries}
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def status_states(ws: Workspace, round_id: str, now: datetime) -> list[EntryState]:
    """Entry states of `round_id` as of `now` from the register and the archive (no inbox scan)."""
    from excelflow.store.archive import Archive

    cache = PassCache(ws)
    register = cache.register()
    cache.save()
    return round_states(register, round_id, Archive(ws).submissions(rounds=[round_id]), now)


@dataclass(frozen=True)
class ComparisonRun:
    """What `compare_round` wrote, with the figures the command prints."""

    round: Round
    written: list[Path]
    figures: Comparison


def compare_round(ws: Workspace, round_id: str | None, now: datetime) -> ComparisonRun:
    """`excelflow compare`: the comparison outputs of one round from the archive, no inbox scan.

    Reads only this round's and the previous round's parsed returns (plus plans), like a pass.
    """
    from excelflow.store.archive import Archive
    from excelflow.reports.figures import compare
    from excelflow.reports.ledger import load_reported
    from excelflow.forms.plans import archived_milestones, with_plans

    cache = PassCache(ws)
    register = cache.register()
    cache.save()
    rnd = register.require_round(round_id) if round_id is not None else choose_round(register, now)
    archive = Archive(ws)
    states = round_states(register, rnd.id, archive.submissions(rounds=[rnd.id]), now)
    written = write_comparison(ws, register, rnd, states, now, archive=archive)
    previous_round = register.previous_round(rnd.id)
    previous = load_reported(ws, previous_round.id, archive=archive) if previous_round is not None else None
    planned = with_plans(register, archived_milestones(ws, register, archive=archive))
    return ComparisonRun(rnd, written, compare(planned, rnd.id, states, previous, now))
