"""Byte-for-byte copies of every return, with receipt time and content hash, kept for good.

The working folder may be an SMB share: no database, no file locks. Everything is a plain file
written atomically (temporary file, then rename); the files and their JSON are described in
`archive_format.py`. This module decides what is written when, in an order that makes the last
write the commit point: the bytes, then the record (COMMIT), then the journal marker; a parse is
saved beside its record afterwards.

A crash (SIGKILL) between any two writes leaves either a stray blob (redone next time the bytes
are stored, same name, same content) or a record the index does not list yet (found through the
journal, or by `store`/`get` looking on disk). Nothing is duplicated: a sha has one place.

Cost of a pass grows with what is new, not with the archive: loading reads `index.json` (light:
per return only its record, paths and parse head: round, unit, kind, outcome) plus the few
journal entries since it was last rewritten. A parse in full (entries, problems: most of the
bytes and nearly all of the load time) is read only for the rounds a caller asks for, from that
round's segment. The index and the segments are rewritten (and the journal emptied) only once the
journal holds `COMPACT_AFTER` entries or `compact()` is called, and then only the segments of
rounds that changed. The index names each segment's token; a segment whose token does not match
(a compaction killed between the two writes, a damaged file) is not used and that round's parses
are read from the per-record files instead. If the index is lost or damaged it is rebuilt by
walking the per-record files, which are the truth.

What is synced: the blob and the record (the truth). A pass taking in many returns *stages* them
(`stage`): each blob is written and renamed into place, and `commit_staged` then syncs all the
staged blobs together, writes their records, and syncs the records together, so a record never
reaches the disk before its blob; a parse is saved (`save_submission`) and the index rewritten
(`compact`) only after the records they follow are committed (each commits first what it relies
on). `store` is `stage` and `commit_staged` of one return. `start_commit` does what
`commit_staged` does in a thread of its own, in the same order, while the caller stages the next
returns (a city's intake waited a second in all on these syncs); `finish_commit` waits for it,
and nothing that relies on its records is written before. The parse, the sightings, the journal,
the index and the segments can all be derived again from the truth and are written atomically
without a sync. A kill before a commit leaves stray blobs (written again, same name, same bytes);
a power cut before it loses at most the returns staged or being committed, still in the inbox,
taken in again by the next pass.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from excelflow.files import (
    SyncBatch,
    atomic_write_bytes,
    atomic_write_text,
    ensure_synced,
    remove_stale_temp_files,
    syncing_with,
)
from excelflow.intake.records import Submission, SubmissionHead
from excelflow.store import archive_format as fmt
from excelflow.store.archive_format import INDEX_VERSION, OLD_INDEX_VERSION, ArchiveRecord, PathSighting, round_key
from excelflow.workspace import Workspace

COMPACT_AFTER = 64  # journal entries before the index is rewritten; bounds load cost per pass


class Archive:
    """The archive of one working folder. One collector at a time (the collect lock) writes it."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws
        self._dir = ws.archive
        self._records: dict[str, ArchiveRecord] = {}
        self._paths: dict[str, list[PathSighting]] = {}
        self._meta: dict[str, SubmissionHead] = {}  # every parse, light
        self._subs: dict[str, Submission] = {}  # parses built in full (asked for, saved or adopted)
        self._raw: dict[str, dict[str, Any]] = {}  # parses read in full as JSON, built when asked for
        # Parses saved since the last compaction, with the text their files got (for the segment).
        self._texts: dict[str, tuple[Submission, str]] = {}
        self._segments: dict[str, str] = {}  # round key → token of its segment, as the index names it
        self._rounds_read: set[str] = set()  # round keys whose segment has been read into _raw
        self._dirty_rounds: set[str] = set()  # round keys whose segment the next compaction rewrites
        self._by_path: dict[str, tuple[int, int | None, str]] = {}
        self._mtimes: dict[str, int | None] = {}  # inbox mtime of the first path, for lookup_path
        self._loaded = False
        self._needs_compact = False
        self._unjournaled: set[str] = set()
        self._swept: set[Path] = set()  # folders whose leftovers `_sweep` removed
        self._staged: list[tuple[str, ArchiveRecord]] = []  # blobs written, records not yet committed
        self._staged_blobs = SyncBatch()
        self._journal_count = 0  # shas journal/ names (counted, not listed, on every write)
        self._journaled: set[str] = set()  # shas journal/ names
        self._journaled_here: set[str] = set()  # entries this object wrote: what they name is in memory
        self._hold = 0  # while > 0, compaction waits for the end of `holding_compaction`
        self._in_flight: _Commit | None = None  # the commit `start_commit` started, until finished

    # -- reading ------------------------------------------------------------------------------
    def get(self, sha256: str) -> ArchiveRecord | None:
        self._load()
        record = self._records.get(sha256)
        if record is None:
            # A record committed by a run killed before it reached the journal.
            record = self._read_record(sha256)
            if record is not None:
                self._adopt(sha256)
                self._reindex_paths()
                self._unjournaled.add(sha256)  # the next write puts it in the journal
        return record

    def records(self) -> list[ArchiveRecord]:
        """Every record, in receipt order (time received, then path)."""
        self._load()
        return sorted(self._records.values(), key=lambda r: (r.received_at, r.path, r.sha256))

    def paths(self, sha256: str) -> list[str]:
        """Every inbox path these bytes arrived under, the first one first."""
        self._load()
        record = self._records.get(sha256)
        first = [record.path] if record else []
        return first + [p.path for p in self._paths.get(sha256, []) if p.path not in first]

    def lookup_path(self, path: str, size: int, mtime_ns: int) -> ArchiveRecord | None:
        """The record of the bytes last stored from `path` if its size and mtime are unchanged.

        Lets a pass skip reading files it has archived already (`store(..., mtime_ns=…)`).
        """
        self._load()
        seen = self._by_path.get(path)
        if seen is None or seen[0] != size or seen[1] != mtime_ns:
            return None
        return self._records.get(seen[2])

    def has_submission(self, sha256: str) -> bool:
        """True if these bytes were parsed already (answered from the index, nothing read in full)."""
        self._load()
        return sha256 in self._meta

    def load_submission(self, sha256: str) -> Submission | None:
        self._load()
        if sha256 in self._meta:
            return self._full(sha256)
        if sha256 not in self._records:
            return self._read_submission(sha256)
        return None

    def submission_heads(self) -> list[SubmissionHead]:
        """Every parse without its entries and problems, in receipt order: cheap however large."""
        self._load()
        return sorted(self._meta.values(), key=lambda m: (m.received_at, m.path, m.sha256))

    def submissions(self, rounds: Iterable[str | None] | None = None) -> list[Submission]:
        """Parsed results in full, in receipt order (time received, then path).

        With `rounds`, only the returns intake tied to one of these rounds (None: returns no round
        was found for), and only these rounds' parses are read: the cost follows the rounds asked
        for, not the archive. Without, every parse (`status`, tests, the clerk's tools).
        """
        self._load()
        keys = {round_key(m.round_id) for m in self._meta.values()} if rounds is None else {round_key(r) for r in rounds}
        for key in sorted(keys):
            self._read_round(key)
        subs = [self._full(m.sha256) for m in list(self._meta.values()) if round_key(m.round_id) in keys]
        return sorted((s for s in subs if s is not None), key=lambda s: (s.received_at, s.path, s.sha256))

    # -- writing ------------------------------------------------------------------------------
    def store(self, data: bytes, original_path: str, received_at: datetime,
              mtime_ns: int | None = None) -> ArchiveRecord:
        """Keep `data` for good; storing known bytes again returns the existing record unchanged.

        A new path for known bytes is noted (see `paths`), nothing else changes. `mtime_ns`, if
        given, lets `lookup_path` recognise the unchanged inbox file next pass without reading it.
        """
        record = self.stage(data, original_path, received_at, mtime_ns)
        self.commit_staged()
        return record

    def stage(self, data: bytes, original_path: str, received_at: datetime,
              mtime_ns: int | None = None) -> ArchiveRecord:
        """`store` without its commit: the blob is written, its record (the commit point) waits
        for `commit_staged`, which syncs many returns together. Until then the record is known to
        this object only; known bytes return their committed record as `store` does."""
        sha = hashlib.sha256(data).hexdigest()
        # A run killed while writing these bytes' files left a temporary file here; this run
        # redoes that write (only the lock holder writes, so nothing else is writing here).
        self._sweep(fmt.shard(self._dir, sha))
        existing = self.get(sha)
        if existing is not None:
            if sha in self._unjournaled:
                self._journal(sha)
            self._note_path(sha, original_path, len(data), mtime_ns)
            return existing
        if self._needs_compact or not (self._dir / "index.json").exists():
            self.compact()  # from now on a missing index means a lost one (rebuilt by a full walk)
        blob = fmt.blob_path(self._dir, sha, original_path)
        with syncing_with(self._staged_blobs):
            _write_bytes_once(blob, data)
        record = self._record(sha, len(data), original_path, received_at, blob, mtime_ns)
        self._staged.append((sha, record))
        return record

    def start_commit(self) -> None:
        """`commit_staged` in a thread of its own, while this one goes on (staging more returns):
        the staged blobs synced, then their records written and synced, in that order. One commit
        at a time: the one in flight is finished first. `finish_commit` (or anything that relies
        on the records: `commit_staged`, `save_submission` of their parses, `compact`) waits for
        it and journals the returns."""
        self.finish_commit()
        commit = self._take_staged()
        if commit is None:
            return
        # In a copy of this thread's context: the lock's write fence (`files.fenced`) goes with it.
        context = contextvars.copy_context()
        commit.thread = threading.Thread(target=context.run, args=(commit.run,), name="excelflow-archive-commit",
                                         daemon=True)
        self._in_flight = commit
        commit.thread.start()

    def finish_commit(self) -> None:
        """Wait for the commit `start_commit` started (raising what it raised), then journal it."""
        commit, self._in_flight = self._in_flight, None
        if commit is not None:
            commit.wait()
            self._journal_committed(commit)

    def commit_staged(self) -> None:
        """Commit every staged return: sync their blobs together, then write their records and sync
        those together (a record never reaches the disk before its blob), then journal them."""
        self.finish_commit()
        commit = self._take_staged()
        if commit is not None:
            commit.run()
            self._journal_committed(commit)

    def _take_staged(self) -> _Commit | None:
        """The staged returns, taken out as one commit: their blobs' batch, their records' texts."""
        if not self._staged:
            return None
        staged, self._staged = self._staged, []
        blobs, self._staged_blobs = self._staged_blobs, SyncBatch()
        records = [(fmt.record_path(self._dir, sha), fmt.dumps(fmt.record_to_json(record, self._mtimes.get(sha))))
                   for sha, record in staged]
        return _Commit([sha for sha, _ in staged], blobs, records)

    def _journal_committed(self, commit: _Commit) -> None:
        if commit.failure is not None:
            raise commit.failure
        self._journal_many(commit.order)

    @contextmanager
    def holding_compaction(self) -> Iterator[None]:
        """Inside, the index is not rewritten however long the journal grows; once, at the end, if
        due. A pass taking in a thousand returns would otherwise rewrite the index and its round's
        segment (all its parses) every `COMPACT_AFTER` returns: quadratic in the returns."""
        self._hold += 1
        try:
            yield
        finally:
            self._hold -= 1
            if self._in_flight is not None:
                self._in_flight.wait()  # never left writing behind a caller that gave up
        if self._hold == 0:
            self.commit_staged()
            if self._needs_compact or self._journal_count >= COMPACT_AFTER:
                self.compact()

    def store_chunks(self, chunks: Iterable[bytes], sha256: str, size: int, original_path: str,
                     received_at: datetime, mtime_ns: int | None = None) -> ArchiveRecord:
        """`store` for a file too big to hold in memory: `chunks` are its bytes, whose SHA-256 and
        size the caller has read already; the chunks must raise if they differ this time (the
        file changed meanwhile), which abandons the write."""
        self._sweep(fmt.shard(self._dir, sha256))
        existing = self.get(sha256)
        if existing is not None:
            if sha256 in self._unjournaled:
                self._journal(sha256)
            self._note_path(sha256, original_path, size, mtime_ns)
            return existing
        if self._needs_compact or not (self._dir / "index.json").exists():
            self.compact()
        blob = fmt.blob_path(self._dir, sha256, original_path)
        atomic_write_bytes(blob, chunks)  # synced on its own: a big file is stored alone
        record = self._record(sha256, size, original_path, received_at, blob, mtime_ns)
        self._staged.append((sha256, record))
        self.commit_staged()
        return record

    def _record(self, sha: str, size: int, original_path: str, received_at: datetime, blob: Path,
                mtime_ns: int | None) -> ArchiveRecord:
        """The record of new bytes, known in memory (written by `commit_staged`)."""
        record = ArchiveRecord(
            sha256=sha, path=original_path, size=size, received_at=received_at,
            blob=blob.relative_to(self._ws.root).as_posix(),
        )
        self._records[sha] = record
        self._mtimes[sha] = mtime_ns
        self._by_path[original_path] = (record.size, mtime_ns, sha)
        return record

    def save_submission(self, sub: Submission) -> None:
        """Keep intake's result for `sub.sha256` beside its blob (replacing an earlier parse).

        Its record is committed first (if staged, or in flight): a parse is never saved before it."""
        self._load()
        if self._in_flight is not None and sub.sha256 in self._in_flight.shas:
            self.finish_commit()
        if any(sha == sub.sha256 for sha, _ in self._staged):
            self.commit_staged()
        path = fmt.submission_path(self._dir, sub.sha256)
        self._sweep(path.parent)  # left by a run killed while writing this parse
        # A cache, not the truth (the blob can be parsed again): no fsync, but still atomic.
        text = fmt.dumps(fmt.submission_to_json(sub))
        _write_hint(path, text)
        self._remember(sub)
        # Its text again in the round's segment, at the next compaction (one per pass taking in
        # a thousand returns: encoding them all again was a tenth of a second with the workers idle).
        self._texts[sub.sha256] = (sub, text)
        self._journal(sub.sha256)

    def _sweep(self, folder: Path) -> None:
        """`remove_stale_temp_files(folder)` once for this object: what a killed run left there is
        gone after the first look, and this object's own writes leave nothing (a pass taking in a
        thousand returns looked at each shard eight times)."""
        if folder not in self._swept:
            remove_stale_temp_files(folder)
            self._swept.add(folder)

    def compact(self) -> None:
        """Rewrite `index.json` and the changed rounds' segments, and empty the journal.

        A writer's job (collect holds the lock). What is on disk is merged first (the current
        index, every journal entry), so an index written meanwhile by another process, or an entry
        journaled after this one loaded, is never dropped. Segments are written before the index
        that names their tokens: a crash in between leaves a segment the index does not name,
        which is simply not used.
        """
        self._load()
        self.commit_staged()  # the index names committed records only
        self._merge_index(fmt.read_json(self._dir / "index.json"), tokens_from_disk=True)
        done = self._journal_entries()
        for name in done:
            if name not in self._journaled_here:  # ours are in memory already: no need to read them back
                for sha in fmt.journal_shas(self._dir / "journal", name):
                    self._adopt(sha)
        self._reindex_paths()
        live = {round_key(m.round_id) for m in self._meta.values()}
        for key in sorted((self._dirty_rounds | (live - set(self._segments))) & live):
            self._write_segment(key)
        index = {
            "version": INDEX_VERSION,
            "records": [fmt.record_to_json(r, self._mtimes.get(r.sha256)) for r in self.records()],
            "paths": {sha: [fmt.sighting_to_json(p) for p in ps] for sha, ps in self._paths.items()},
            "meta": [fmt.head_to_json(m) for m in self.submission_heads()],
            "segments": {key: token for key, token in sorted(self._segments.items()) if key in live},
        }
        atomic_write_text(self._dir / "index.json", fmt.dumps(index))
        self._needs_compact = False
        self._dirty_rounds.clear()
        self._texts.clear()
        self._unjournaled.clear()
        self._journal_count = 0
        self._journaled.clear()
        self._journaled_here.clear()
        for name in done:  # after the index: a crash here only leaves entries merged twice
            try:
                os.unlink(self._dir / "journal" / name)
            except FileNotFoundError:
                pass
        remove_stale_temp_files(self._dir / "journal")
        remove_stale_temp_files(self._dir / "segments")

    # -- loading ------------------------------------------------------------------------------
    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        index_path = self._dir / "index.json"
        index = fmt.read_json(index_path)
        if index is None and not index_path.exists() and not self._has_shards():
            index = {"version": INDEX_VERSION, "records": [], "paths": {}, "meta": [], "segments": {}}  # a new archive
        if not self._merge_index(index):  # lost or damaged: the per-record files are the truth
            self._rebuild()
            return
        for name in self._journal_entries():
            for sha in fmt.journal_shas(self._dir / "journal", name):
                self._journaled.add(sha)
                self._adopt(sha)
        self._journal_count = len(self._journaled)
        self._reindex_paths()

    def _merge_index(self, index: Any, tokens_from_disk: bool = False) -> bool:
        """Merge an index's contents into memory (what memory already holds wins); False if unusable.

        Segment tokens are the exception with `tokens_from_disk`: the segment files on disk are
        the ones the newest index names, so its tokens replace those this object loaded.
        """
        if not isinstance(index, dict) or index.get("version") not in (INDEX_VERSION, OLD_INDEX_VERSION):
            return False
        old = index.get("version") == OLD_INDEX_VERSION
        try:
            records = [(fmt.record_from_json(item), fmt.record_mtime(item)) for item in index["records"]]
            paths = {sha: [fmt.sighting_from_json(p) for p in items] for sha, items in index["paths"].items()}
            if old:  # every parse in full: keep the JSON, build a Submission only when asked for
                metas = [(fmt.head_from_json(item), item) for item in index["submissions"]]
                segments: dict[str, str] = {}
            else:
                metas = [(fmt.head_from_json(item), None) for item in index["meta"]]
                segments = {str(k): str(v) for k, v in index["segments"].items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            return False
        for record, mtime in records:
            if record.sha256 not in self._records:
                self._records[record.sha256] = record
                self._mtimes[record.sha256] = mtime
        for sha, sightings in paths.items():
            self._paths.setdefault(sha, sightings)
        for meta, raw in metas:
            if meta.sha256 not in self._meta:
                self._meta[meta.sha256] = meta
                if raw is not None:
                    self._raw.setdefault(meta.sha256, raw)
        for key, token in segments.items():
            if tokens_from_disk:
                self._segments[key] = token
            else:
                self._segments.setdefault(key, token)
        if old:
            self._needs_compact = True  # the next write rewrites it in this layout; a reader never writes
        return True

    def _has_shards(self) -> bool:
        try:
            return any(len(n) == 2 for n in os.listdir(self._dir))
        except FileNotFoundError:
            return False

    def _rebuild(self) -> None:
        """Read every per-record file (the truth) when there is no usable index."""
        self._records.clear()
        self._paths.clear()
        self._meta.clear()
        self._subs.clear()
        self._raw.clear()
        self._segments.clear()  # unknown: every round's segment is rewritten by the next compaction
        self._mtimes.clear()
        if self._dir.is_dir():
            for shard in sorted(self._dir.iterdir()):
                if len(shard.name) != 2 or not shard.is_dir():
                    continue
                for file in shard.glob("*.json"):
                    sha = file.name.split(".", 1)[0]
                    if file.name == f"{sha}.json":
                        self._adopt(sha)
        self._reindex_paths()
        self._needs_compact = True  # the next write rewrites the index; a reader never writes

    def _adopt(self, sha: str) -> None:
        """Merge what is on disk for `sha` into memory (idempotent)."""
        raw_record = fmt.read_json(fmt.record_path(self._dir, sha))
        record = self._read_record(sha)
        if record is not None:
            self._records[sha] = record
            self._mtimes[sha] = fmt.record_mtime(raw_record)
        raw = fmt.read_json(fmt.paths_path(self._dir, sha))
        if isinstance(raw, list):
            try:
                self._paths[sha] = [fmt.sighting_from_json(p) for p in raw]
            except (KeyError, TypeError, ValueError):
                pass
        sub = self._read_submission(sha)
        if sub is not None:
            self._remember(sub)

    def _remember(self, sub: Submission) -> None:
        """Hold `sub` in full; the segments of its round (and of its earlier round) are now stale."""
        old = self._meta.get(sub.sha256)
        if old is not None:
            self._dirty_rounds.add(round_key(old.round_id))
        self._subs[sub.sha256] = sub
        self._raw.pop(sub.sha256, None)
        self._meta[sub.sha256] = sub.head()
        self._dirty_rounds.add(round_key(sub.round_id))

    def _read_round(self, key: str) -> None:
        """Read one round's segment (once) so its parses can be built without a file each."""
        if key in self._rounds_read:
            return
        self._rounds_read.add(key)
        token = self._segments.get(key)
        if token is None:
            return  # no segment yet (journaled since, or an old index): per-record files
        segment = fmt.read_json(fmt.segment_path(self._dir, key))
        items = segment.get("submissions") if isinstance(segment, dict) else None
        if not isinstance(segment, dict) or segment.get("token") != token or not isinstance(items, list):
            # Killed between segment and index, or damaged: not used, rewritten next compaction.
            self._dirty_rounds.add(key)
            return
        for item in items:
            sha = item.get("sha256") if isinstance(item, dict) else None
            if isinstance(sha, str) and sha in self._meta and sha not in self._subs:
                self._raw.setdefault(sha, item)

    def _full(self, sha: str) -> Submission | None:
        """The parse of `sha` in full: held, built from JSON already read, or read from its file."""
        sub = self._subs.get(sha)
        if sub is not None:
            return sub
        raw = self._raw.pop(sha, None)
        if raw is not None:
            try:
                sub = fmt.submission_from_json(raw)
            except (KeyError, TypeError, ValueError, AttributeError):
                sub = None
        if sub is None or sub.sha256 != sha:
            sub = self._read_submission(sha)
        if sub is None:
            # Listed but unreadable: forget it, so the next pass parses the archived bytes again.
            meta = self._meta.pop(sha, None)
            if meta is not None:
                self._dirty_rounds.add(round_key(meta.round_id))
            return None
        self._subs[sha] = sub
        return sub

    def _write_segment(self, key: str) -> None:
        """Write the segment of one round from memory (its old segment, parses held, their files)."""
        self._read_round(key)
        # `dumps` of a list is its items' `dumps` joined by commas: a parse saved this pass goes
        # in as the text its file got; the others are encoded together, a run at a time.
        pieces: list[str] = []
        run: list[Any] = []
        for meta in sorted(self._meta.values(), key=lambda m: m.sha256):
            if round_key(meta.round_id) != key:
                continue
            sub = self._subs.get(meta.sha256)
            saved = self._texts.get(meta.sha256)
            if sub is not None and saved is not None and saved[0] is sub:
                if run:
                    pieces.append(fmt.dumps(run)[1:-1])
                    run.clear()
                pieces.append(saved[1])
            elif sub is not None:
                run.append(fmt.submission_to_json(sub))
            elif meta.sha256 in self._raw:
                run.append(self._raw[meta.sha256])
            else:
                sub = self._full(meta.sha256)
                if sub is not None:
                    run.append(fmt.submission_to_json(sub))
        if run:
            pieces.append(fmt.dumps(run)[1:-1])
        body = "[" + ",".join(pieces) + "]"
        token = hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
        # A cache of the per-record files (derivable again): atomic, not fsynced, like the journal.
        _write_hint(fmt.segment_path(self._dir, key), f'{{"version":{INDEX_VERSION},"token":"{token}","submissions":{body}}}')
        self._segments[key] = token
        self._rounds_read.add(key)

    def _read_record(self, sha: str) -> ArchiveRecord | None:
        raw = fmt.read_json(fmt.record_path(self._dir, sha))
        try:
            return fmt.record_from_json(raw) if isinstance(raw, dict) else None
        except (KeyError, TypeError, ValueError):
            return None

    def _read_submission(self, sha: str) -> Submission | None:
        raw = fmt.read_json(fmt.submission_path(self._dir, sha))
        try:
            return fmt.submission_from_json(raw) if isinstance(raw, dict) else None
        except (KeyError, TypeError, ValueError):
            return None

    def _reindex_paths(self) -> None:
        self._by_path.clear()
        for sha, record in self._records.items():
            self._by_path[record.path] = (record.size, self._mtimes.get(sha), sha)
        for sha, sightings in self._paths.items():
            for s in sightings:
                self._by_path[s.path] = (s.size, s.mtime_ns, sha)

    # -- journal ------------------------------------------------------------------------------
    def _journal_entries(self) -> list[str]:
        folder = self._dir / "journal"
        try:
            return sorted(n for n in os.listdir(folder) if not n.startswith("."))
        except FileNotFoundError:
            return []

    def _journal(self, sha: str) -> None:
        self._journal_many([sha])

    def _journal_many(self, shas: list[str]) -> None:
        """Name `shas` in the journal: one marker for one, a batch entry for many (a commit of 32
        returns writes one file, not 32). Only the entry's existence matters; if it is lost, `get`
        still finds each record on disk when the bytes are met again."""
        new = [sha for sha in dict.fromkeys(shas) if sha not in self._journaled]
        if len(new) == 1:
            name = new[0]
            _write_hint(self._dir / "journal" / name, "")
        elif new:
            name = fmt.JOURNAL_BATCH + hashlib.sha256("\n".join(new).encode("ascii")).hexdigest()[:16]
            _write_hint(self._dir / "journal" / name, "\n".join(new) + "\n")
        if new:
            self._journaled.update(new)
            self._journaled_here.add(name)
            self._journal_count += len(new)
        self._unjournaled.difference_update(shas)
        if self._hold == 0 and (self._needs_compact or self._journal_count >= COMPACT_AFTER):
            self.compact()

    def _note_path(self, sha: str, path: str, size: int, mtime_ns: int | None) -> None:
        record = self._records.get(sha)
        if record is not None and record.path == path:
            known = self._mtimes.get(sha)
            if size == record.size and (mtime_ns is None or known == mtime_ns):
                return  # the first sighting, unchanged: nothing to write
        sightings = self._paths.setdefault(sha, [])
        for i, s in enumerate(sightings):
            if s.path == path:
                if s.size == size and (mtime_ns is None or s.mtime_ns == mtime_ns):
                    return  # nothing new to remember: no write at all
                sightings[i] = PathSighting(path, size, mtime_ns)
                break
        else:
            sightings.append(PathSighting(path, size, mtime_ns))
        self._by_path[path] = (size, mtime_ns, sha)
        _write_hint(fmt.paths_path(self._dir, sha), fmt.dumps([fmt.sighting_to_json(s) for s in sightings]))
        self._journal(sha)


class _Commit:
    """One commit of staged returns (`Archive.commit_staged`), run here or in a thread of its own
    (`Archive.start_commit`): what it raised is kept for the caller's thread."""

    def __init__(self, order: list[str], blobs: SyncBatch, records: list[tuple[Path, str]]) -> None:
        self.order = order
        self.shas = set(order)
        self.blobs = blobs
        self.records = records
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            self.blobs.commit()  # the blobs on the disk before any record that names them
            batch = SyncBatch()
            with syncing_with(batch):
                for path, text in self.records:
                    atomic_write_text(path, text)  # commit point, synced just below
            batch.commit()
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            self.failure = exc

    def wait(self) -> None:
        if self.thread is not None:
            self.thread.join()


def _write_bytes_once(path: Path, data: bytes) -> None:
    """Write a blob unless the same bytes are already there (left by a run that was killed)."""
    try:
        if path.stat().st_size == len(data) and hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest():
            ensure_synced(path)  # the killed run may not have synced it; its record is about to be
            return
    except OSError:
        pass
    atomic_write_bytes(path, data)


def _write_hint(path: Path, text: str) -> None:
    """For what can be derived again after a crash: atomic, not synced."""
    atomic_write_text(path, text, durable=False)
