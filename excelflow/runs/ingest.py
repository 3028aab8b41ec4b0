"""Taking new files in: read each once, archive its bytes, parse it in a worker, keep the parse.

For each file not collected yet, in order of modification time: its bytes are read once (pending
if it is still being copied; named as unreadable, with the reason, if it cannot be read at all),
archived byte for byte with the pass's `now` as receipt time (bytes already archived keep their
first receipt time), parsed, and the parse is saved beside the bytes. The bytes are committed
before the parse, so a pass killed in between finds the file unparsed next time and parses it
then.

The workers parse while this process archives: a file goes to a worker as soon as it is read and
its blob staged (`Archive.stage`), and the parses come back in order. They are saved
`COMMIT_EVERY` at a time, each group after one commit of the archive (the staged blobs synced
together, then their records), so a thousand returns cost a few dozen syncs of many files rather
than two syncs each, and no parse is ever saved before its record. Each commit runs in the
background (`Archive.start_commit`) while this process reads and stages the next files; its group
of parses is saved when it has finished.

Every file is answered: a workbook is parsed in a worker process (`workers.py`: a file that
crashes or exhausts a worker is retried once, then quarantined, and the pass goes on); a file
that is no workbook (a PDF, a photo, a Word file, an archive, text) is judged here without a
reader and rejected with what to send instead; a file over the size cap is archived in chunks
(never held in memory whole) and rejected with the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from excelflow.files import os_error_reason
from excelflow.forms.campaign_key import CampaignKey
from excelflow.intake.extract import MAX_FILE_BYTES
from excelflow.intake.kinds import sniff
from excelflow.intake.read import read_other
from excelflow.intake.records import Submission
from excelflow.intake.scan import Candidate, Unreadable, looks_incomplete, read_chunks, read_or_reason
from excelflow.mail.hints import MailHint, read_hint, received_time, with_sender_notes
from excelflow.register.model import Register
from excelflow.runs.passlog import append_log
from excelflow.runs.workers import ParseJob, WorkerDeath, WorkerPool
from excelflow.store.archive import Archive
from excelflow.store.pending import PendingLog
from excelflow.workspace import Workspace

_HEAD_BYTES = 64 * 1024  # what is read of a file over the size cap, to tell what it is
# Parses saved per archive commit. Each commit costs two rounds of syncs (blobs, records), ~5 ms
# for 32 small files here against ~5 ms for one file alone; more files per commit gain little and
# hold more parses back from the progress bar.
COMMIT_EVERY = 32


@dataclass
class Ingested:
    """What a pass took in: new returns, inbox paths whose bytes were known, files still pending,
    and files that could not be read at all (with the reason)."""

    new: list[Submission] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    # Bytes handed to a worker this pass: their parse is not saved yet, but the same bytes met
    # again under another name are a duplicate all the same.
    queued: set[str] = field(default_factory=set)
    # What `excelflow mail fetch` noted of the bytes it saved (the server's arrival time, the
    # sender), by SHA-256: the receipt time, and the notes added to the parse.
    hints: dict[str, MailHint] = field(default_factory=dict)


class _Changed(Exception):
    """The file changed while it was being archived in chunks: pending, retried next pass."""


def ingest(ws: Workspace, archive: Archive, register: Register, fresh: Sequence[Candidate], now: datetime,
           progress: Callable[[int, int], None] | None, *, campaign: CampaignKey | None = None,
           workers: int | None = None, pool: WorkerPool | None = None) -> Ingested:
    """Read, archive and parse each file not collected yet; `progress(done, total)` after each.

    `pool` is the pass's worker pool (it renders the outputs afterwards); without, one is
    started here for the parses alone."""
    if pool is None:
        with WorkerPool(register, campaign=campaign, workers=workers,
                        on_death=death_logger(ws, now)) as own:
            return ingest(ws, archive, register, fresh, now, progress, pool=own)
    out = Ingested()
    pending_log = PendingLog(ws.pending_log)
    done = 0

    def advance() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(fresh))

    def jobs() -> Iterator[ParseJob]:
        for c in fresh:
            job = _take(ws, archive, register, c, now, pending_log, out)
            if job is None:
                advance()
            else:
                yield job

    mtimes = {c.path: c.mtime_ns for c in fresh}

    def save(parses: list[Submission]) -> None:
        """Save parses whose records are committed (never a parse without its record)."""
        for sub in parses:
            record = archive.get(sub.sha256)
            assert record is not None  # staged before its job was made
            sub = with_sender_notes(sub, out.hints.get(sub.sha256), register)
            sub = replace(sub, path=record.path, archived_as=record.blob, modified_ns=mtimes.get(record.path))
            archive.save_submission(sub)
            out.new.append(sub)
            advance()

    # Every `COMMIT_EVERY` parses, what is staged (their blobs and the next few) is committed in
    # the background while the next files are read, staged and parsed; those parses are saved
    # once that commit has finished, when the next one starts.
    parsed: list[Submission] = []
    committing: list[Submission] = []
    with archive.holding_compaction():
        for sub in pool.parse_many(jobs()):
            parsed.append(sub)
            if len(parsed) >= COMMIT_EVERY:
                archive.start_commit()  # the previous commit finished first
                save(committing)
                committing, parsed = parsed, []
        archive.commit_staged()
        save(committing)
        save(parsed)
    pending_log.keep(out.pending)
    pending_log.save()
    return out


def death_logger(ws: Workspace, now: datetime) -> Callable[[ParseJob, WorkerDeath], None]:
    """What a pass does when a file ends its worker: a warning in the log (never stopping the pass)."""
    def on_death(job: ParseJob, death: WorkerDeath) -> None:
        try:
            append_log(ws, "warning", f"读取 inbox/{job.path} 时读取进程异常退出:{death.describe()}",
                       at=now, detail=death.stderr[-2000:] or None)
        except OSError:
            pass

    return on_death


def _take(ws: Workspace, archive: Archive, register: Register, c: Candidate, now: datetime,
          pending_log: PendingLog, out: Ingested) -> ParseJob | None:
    """Read and archive one file; the job that parses it, or None when it needs no parse
    (pending, unreadable, bytes collected before)."""
    if c.size > MAX_FILE_BYTES:
        return _take_big(ws, archive, register, c, now, out)
    data, unreadable = read_or_reason(ws.inbox, c)
    if unreadable is not None:
        out.unreadable.append(Unreadable(c.path, unreadable))
        return None
    incomplete = data is not None and looks_incomplete(data, c.path)
    # Incomplete bytes are a copy still arriving (retried next pass), unless the same bytes have
    # stayed incomplete for a day: then the file is damaged and is taken in (archived, rejected
    # with the reason) rather than left pending forever.
    stale = incomplete and pending_log.stale(c, now)
    if data is None or (incomplete and not stale):
        out.pending.append(c.path)
        return None
    sha = hashlib.sha256(data).hexdigest()
    received = _received(ws, sha, now, out)
    # The bytes are staged now (the receipt time is fixed here, once) and committed before the
    # parse is saved; the worker parses meanwhile.
    record = archive.stage(data, c.path, received, mtime_ns=c.mtime_ns)
    if archive.has_submission(sha) or sha in out.queued:
        out.duplicates.append(c.path)  # these bytes were collected before (other name, or re-saved)
        return None
    out.queued.add(sha)
    sniffed = sniff(data, c.path)
    ready = None
    if not sniffed.workbook and not incomplete:
        ready = read_other(data, c.path, record.received_at, register, sniffed.message)
    return ParseJob(data, c.path, record.received_at, stale_pending=stale, ready=ready)


def _received(ws: Workspace, sha: str, now: datetime, out: Ingested) -> datetime:
    """The receipt time of new bytes: the mail server's arrival time when `excelflow mail fetch`
    saved them (never later than `now`), else `now`, when the collector first sees them."""
    hint = read_hint(ws, sha)
    if hint is None:
        return now
    out.hints[sha] = hint
    return received_time(hint, now)


def _take_big(ws: Workspace, archive: Archive, register: Register, c: Candidate, now: datetime,
              out: Ingested) -> ParseJob | None:
    """A file over the size cap: hashed and archived a chunk at a time, rejected unread."""
    digest = hashlib.sha256()
    head = b""
    size = 0
    try:
        for chunk in read_chunks(ws.inbox, c):
            if len(head) < _HEAD_BYTES:
                head += chunk[: _HEAD_BYTES - len(head)]
            digest.update(chunk)
            size += len(chunk)
    except FileNotFoundError:
        out.pending.append(c.path)
        return None
    except OSError as exc:
        out.unreadable.append(Unreadable(c.path, f"文件无法读取:{os_error_reason(exc, reading=True)}"))
        return None
    if size != c.size:
        out.pending.append(c.path)  # still being copied
        return None
    sha = digest.hexdigest()

    def same_again() -> Iterator[bytes]:
        again = hashlib.sha256()
        for chunk in read_chunks(ws.inbox, c):
            again.update(chunk)
            yield chunk
        if again.hexdigest() != sha:
            raise _Changed

    try:
        record = archive.store_chunks(same_again(), sha, size, c.path, _received(ws, sha, now, out),
                                      mtime_ns=c.mtime_ns)
    except (_Changed, FileNotFoundError):
        out.pending.append(c.path)
        return None
    if archive.has_submission(sha) or sha in out.queued:
        out.duplicates.append(c.path)
        return None
    out.queued.add(sha)
    sniffed = sniff(head, c.path)
    message = (f"文件大小 {size / 1048576:.0f} MB,超过上限 {MAX_FILE_BYTES // 1048576} MB,未读取。"
               "请让填报单位删除表中的图片或多余内容后重新报送。")
    if not sniffed.workbook:
        message = f"{sniffed.message}(文件大小 {size / 1048576:.0f} MB)"
    sub = read_other(b"", c.path, record.received_at, register, message)
    sub = replace(sub, sha256=sha, size=size)
    return ParseJob(b"", c.path, record.received_at, ready=sub)
