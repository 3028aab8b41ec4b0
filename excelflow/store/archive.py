"""Byte-for-byte copies of every return, with receipt time and content hash, kept for good.

The working folder may be an SMB share: no database, no file locks. Everything is a plain file
written atomically (temporary file, then rename), and each piece is written in an order that makes
the last write the commit point:

    archive/<sha[:2]>/<sha>.<ext>              1. the bytes, exactly as received
    archive/<sha[:2]>/<sha>.json               2. the record: receipt time, first path (COMMIT)
    archive/<sha[:2]>/<sha>.paths.json            other inbox paths the same bytes arrived under
    archive/<sha[:2]>/<sha>.submission.json       intake's parsed result (so nothing is re-read)
    archive/journal/<sha>                      3. "this sha changed since the index was written"
    archive/index.json                            cache: records, paths and each parse's metadata
    archive/segments/<round key>.json             cache: one round's parsed results in full

A crash (SIGKILL) between any two writes leaves either a stray blob (redone next time the bytes
are stored, same name, same content) or a record the index does not list yet (found through the
journal, or by `store`/`get` looking on disk). Nothing is duplicated: a sha has one place.

Cost of a pass grows with what is new, not with the archive: loading reads `index.json` (light:
per return only its record, paths and metadata such as round, unit, kind and outcome) plus the
few journal entries since it was last rewritten. A parse in full (entries, problems: most of the
bytes and nearly all of the load time) is read only for the rounds a caller asks for, from that
round's segment. The index and the segments are rewritten (and the journal emptied) only once the
journal holds `COMPACT_AFTER` entries or `compact()` is called, and then only the segments of
rounds that changed. The index names each segment's token; a segment whose token does not match
(a compaction killed between the two writes, a damaged file) is not used and that round's parses
are read from the per-record files instead. If the index is lost or damaged it is rebuilt by
walking the per-record files, which are the truth. An index written by an earlier version (every
parse in full, version 1) is read as it is and rewritten in this layout by the next write.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from excelflow.files import atomic_write_bytes, atomic_write_text, remove_stale_temp_files
from excelflow.intake.records import EntryReport, Problem, Submission
from excelflow.workspace import Workspace

INDEX_VERSION = 2
_OLD_INDEX_VERSION = 1  # every parse in full inside index.json: read, migrated by the next write
COMPACT_AFTER = 64  # journal entries before the index is rewritten; bounds load cost per pass
_KNOWN_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


@dataclass(frozen=True)
class ArchiveRecord:
    """One archived return. `blob` is relative to the working folder, with `/` separators."""

    sha256: str
    original_path: str
    size: int
    received_at: datetime
    blob: str


@dataclass(frozen=True)
class PathSighting:
    """An inbox path seen holding some archived bytes, with the stat it had then."""

    path: str
    size: int
    mtime_ns: int | None


@dataclass(frozen=True)
class SubmissionMeta:
    """What the index keeps of every parse: a `Submission` without its entries and problems.

    Enough to know a return was parsed, to pick the parses a pass needs in full (by round, by
    kind) and to know when returns arrived, without building thousands of entries.
    """

    sha256: str
    path: str
    size: int
    received_at: datetime
    outcome: str
    archived_as: str | None = None
    kind: str | None = None
    unit: str | None = None
    round_id: str | None = None
    confidence: str | None = None
    modified_ns: int | None = None


class Archive:
    """The archive of one working folder. One collector at a time (the collect lock) writes it."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws
        self._dir = ws.archive
        self._records: dict[str, ArchiveRecord] = {}
        self._paths: dict[str, list[PathSighting]] = {}
        self._meta: dict[str, SubmissionMeta] = {}  # every parse, light
        self._subs: dict[str, Submission] = {}  # parses built in full (asked for, saved or adopted)
        self._raw: dict[str, dict[str, Any]] = {}  # parses read in full as JSON, built when asked for
        self._segments: dict[str, str] = {}  # round key → token of its segment, as the index names it
        self._rounds_read: set[str] = set()  # round keys whose segment has been read into _raw
        self._dirty_rounds: set[str] = set()  # round keys whose segment the next compaction rewrites
        self._by_path: dict[str, tuple[int, int | None, str]] = {}
        self._mtimes: dict[str, int | None] = {}  # inbox mtime of the first path, for lookup_path
        self._loaded = False
        self._needs_compact = False
        self._unjournaled: set[str] = set()

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
        return sorted(self._records.values(), key=lambda r: (r.received_at, r.original_path, r.sha256))

    def paths(self, sha256: str) -> list[str]:
        """Every inbox path these bytes arrived under, the first one first."""
        self._load()
        record = self._records.get(sha256)
        first = [record.original_path] if record else []
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

    def submission_meta(self) -> list[SubmissionMeta]:
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
        keys = {_round_key(m.round_id) for m in self._meta.values()} if rounds is None else {_round_key(r) for r in rounds}
        for key in sorted(keys):
            self._read_round(key)
        subs = [self._full(m.sha256) for m in list(self._meta.values()) if _round_key(m.round_id) in keys]
        return sorted((s for s in subs if s is not None), key=lambda s: (s.received_at, s.path, s.sha256))

    # -- writing ------------------------------------------------------------------------------
    def store(self, data: bytes, original_path: str, received_at: datetime,
              mtime_ns: int | None = None) -> ArchiveRecord:
        """Keep `data` for good; storing known bytes again returns the existing record unchanged.

        A new path for known bytes is noted (see `paths`), nothing else changes. `mtime_ns`, if
        given, lets `lookup_path` recognise the unchanged inbox file next pass without reading it.
        """
        sha = hashlib.sha256(data).hexdigest()
        # A run killed while writing these bytes' files left a temporary file here; this run
        # redoes that write (only the lock holder writes, so nothing else is writing here).
        remove_stale_temp_files(self._shard(sha))
        existing = self.get(sha)
        if existing is not None:
            if sha in self._unjournaled:
                self._journal(sha)
            self._note_path(sha, original_path, len(data), mtime_ns)
            return existing
        if self._needs_compact or not (self._dir / "index.json").exists():
            self.compact()  # from now on a missing index means a lost one (rebuilt by a full walk)
        blob = self._blob_path(sha, original_path)
        _write_bytes_once(blob, data)
        record = ArchiveRecord(
            sha256=sha, original_path=original_path, size=len(data), received_at=received_at,
            blob=blob.relative_to(self._ws.root).as_posix(),
        )
        atomic_write_text(self._record_path(sha), _dumps(_record_to_json(record, mtime_ns)))  # commit point
        self._records[sha] = record
        self._mtimes[sha] = mtime_ns
        self._by_path[original_path] = (record.size, mtime_ns, sha)
        self._journal(sha)
        return record

    def save_submission(self, sub: Submission) -> None:
        """Keep intake's result for `sub.sha256` beside its blob (replacing an earlier parse)."""
        self._load()
        path = self._submission_path(sub.sha256)
        remove_stale_temp_files(path.parent)  # left by a run killed while writing this parse
        # A cache, not the truth (the blob can be parsed again): no fsync, but still atomic.
        _write_hint(path, _dumps(submission_to_json(sub)))
        self._remember(sub)
        self._journal(sub.sha256)

    def compact(self) -> None:
        """Rewrite `index.json` and the changed rounds' segments, and empty the journal.

        A writer's job (collect holds the lock). What is on disk is merged first (the current
        index, every journal entry), so an index written meanwhile by another process, or an entry
        journaled after this one loaded, is never dropped. Segments are written before the index
        that names their tokens: a crash in between leaves a segment the index does not name,
        which is simply not used.
        """
        self._load()
        self._merge_index(_read_json(self._dir / "index.json"), tokens_from_disk=True)
        done = self._journal_entries()
        for name in done:
            self._adopt(name)
        self._reindex_paths()
        live = {_round_key(m.round_id) for m in self._meta.values()}
        for key in sorted((self._dirty_rounds | (live - set(self._segments))) & live):
            self._write_segment(key)
        index = {
            "version": INDEX_VERSION,
            "records": [_record_to_json(r, self._mtimes.get(r.sha256)) for r in self.records()],
            "paths": {sha: [_sighting_to_json(p) for p in ps] for sha, ps in self._paths.items()},
            "meta": [_meta_to_json(m) for m in self.submission_meta()],
            "segments": {key: token for key, token in sorted(self._segments.items()) if key in live},
        }
        atomic_write_text(self._dir / "index.json", _dumps(index))
        self._needs_compact = False
        self._dirty_rounds.clear()
        self._unjournaled.clear()
        for name in done:  # after the index: a crash here only leaves entries merged twice
            try:
                os.unlink(self._dir / "journal" / name)
            except FileNotFoundError:
                pass
        remove_stale_temp_files(self._dir / "journal")
        remove_stale_temp_files(self._dir / "segments")

    # -- paths --------------------------------------------------------------------------------
    def _shard(self, sha: str) -> Path:
        return self._dir / sha[:2]

    def _record_path(self, sha: str) -> Path:
        return self._shard(sha) / f"{sha}.json"

    def _paths_path(self, sha: str) -> Path:
        return self._shard(sha) / f"{sha}.paths.json"

    def _submission_path(self, sha: str) -> Path:
        return self._shard(sha) / f"{sha}.submission.json"

    def _segment_path(self, key: str) -> Path:
        return self._dir / "segments" / f"{key}.json"

    def _blob_path(self, sha: str, original_path: str) -> Path:
        suffix = PurePosixPath(original_path).suffix.lower()
        return self._shard(sha) / f"{sha}{suffix if suffix in _KNOWN_SUFFIXES else '.bin'}"

    # -- loading ------------------------------------------------------------------------------
    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        index_path = self._dir / "index.json"
        index = _read_json(index_path)
        if index is None and not index_path.exists() and not self._has_shards():
            index = {"version": INDEX_VERSION, "records": [], "paths": {}, "meta": [], "segments": {}}  # a new archive
        if not self._merge_index(index):  # lost or damaged: the per-record files are the truth
            self._rebuild()
            return
        for name in self._journal_entries():
            self._adopt(name)
        self._reindex_paths()

    def _merge_index(self, index: Any, tokens_from_disk: bool = False) -> bool:
        """Merge an index's contents into memory (what memory already holds wins); False if unusable.

        Segment tokens are the exception with `tokens_from_disk`: the segment files on disk are
        the ones the newest index names, so its tokens replace those this object loaded.
        """
        if not isinstance(index, dict) or index.get("version") not in (INDEX_VERSION, _OLD_INDEX_VERSION):
            return False
        old = index.get("version") == _OLD_INDEX_VERSION
        try:
            records = [(_record_from_json(item), _mtime(item)) for item in index["records"]]
            paths = {sha: [_sighting_from_json(p) for p in items] for sha, items in index["paths"].items()}
            if old:  # every parse in full: keep the JSON, build a Submission only when asked for
                metas = [(_meta_from_json(item), item) for item in index["submissions"]]
                segments: dict[str, str] = {}
            else:
                metas = [(_meta_from_json(item), None) for item in index["meta"]]
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
        raw_record = _read_json(self._record_path(sha))
        record = self._read_record(sha)
        if record is not None:
            self._records[sha] = record
            self._mtimes[sha] = _mtime(raw_record)
        raw = _read_json(self._paths_path(sha))
        if isinstance(raw, list):
            try:
                self._paths[sha] = [_sighting_from_json(p) for p in raw]
            except (KeyError, TypeError, ValueError):
                pass
        sub = self._read_submission(sha)
        if sub is not None:
            self._remember(sub)

    def _remember(self, sub: Submission) -> None:
        """Hold `sub` in full; the segments of its round (and of its earlier round) are now stale."""
        old = self._meta.get(sub.sha256)
        if old is not None:
            self._dirty_rounds.add(_round_key(old.round_id))
        self._subs[sub.sha256] = sub
        self._raw.pop(sub.sha256, None)
        self._meta[sub.sha256] = _meta_of(sub)
        self._dirty_rounds.add(_round_key(sub.round_id))

    def _read_round(self, key: str) -> None:
        """Read one round's segment (once) so its parses can be built without a file each."""
        if key in self._rounds_read:
            return
        self._rounds_read.add(key)
        token = self._segments.get(key)
        if token is None:
            return  # no segment yet (journaled since, or an old index): per-record files
        segment = _read_json(self._segment_path(key))
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
                sub = submission_from_json(raw)
            except (KeyError, TypeError, ValueError, AttributeError):
                sub = None
        if sub is None or sub.sha256 != sha:
            sub = self._read_submission(sha)
        if sub is None:
            # Listed but unreadable: forget it, so the next pass parses the archived bytes again.
            meta = self._meta.pop(sha, None)
            if meta is not None:
                self._dirty_rounds.add(_round_key(meta.round_id))
            return None
        self._subs[sha] = sub
        return sub

    def _write_segment(self, key: str) -> None:
        """Write the segment of one round from memory (its old segment, parses held, their files)."""
        self._read_round(key)
        items: list[dict[str, Any]] = []
        for meta in sorted(self._meta.values(), key=lambda m: m.sha256):
            if _round_key(meta.round_id) != key:
                continue
            sub = self._subs.get(meta.sha256)
            if sub is not None:
                items.append(submission_to_json(sub))
            elif meta.sha256 in self._raw:
                items.append(self._raw[meta.sha256])
            else:
                sub = self._full(meta.sha256)
                if sub is not None:
                    items.append(submission_to_json(sub))
        body = _dumps(items)
        token = hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
        # A cache of the per-record files (derivable again): atomic, not fsynced, like the journal.
        _write_hint(self._segment_path(key), f'{{"version":{INDEX_VERSION},"token":"{token}","submissions":{body}}}')
        self._segments[key] = token
        self._rounds_read.add(key)

    def _read_record(self, sha: str) -> ArchiveRecord | None:
        raw = _read_json(self._record_path(sha))
        try:
            return _record_from_json(raw) if isinstance(raw, dict) else None
        except (KeyError, TypeError, ValueError):
            return None

    def _read_submission(self, sha: str) -> Submission | None:
        raw = _read_json(self._submission_path(sha))
        try:
            return submission_from_json(raw) if isinstance(raw, dict) else None
        except (KeyError, TypeError, ValueError):
            return None

    def _reindex_paths(self) -> None:
        self._by_path.clear()
        for sha, record in self._records.items():
            self._by_path[record.original_path] = (record.size, self._mtimes.get(sha), sha)
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
        marker = self._dir / "journal" / sha
        if not marker.exists():
            # Only its existence matters; if lost, `get` still finds the record on disk.
            _write_hint(marker, "")
        self._unjournaled.discard(sha)
        if self._needs_compact or len(self._journal_entries()) >= COMPACT_AFTER:
            self.compact()

    def _note_path(self, sha: str, path: str, size: int, mtime_ns: int | None) -> None:
        record = self._records.get(sha)
        if record is not None and record.original_path == path:
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
        _write_hint(self._paths_path(sha), _dumps([_sighting_to_json(s) for s in sightings]))
        self._journal(sha)


# -- JSON ---------------------------------------------------------------------------------------
def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_bytes_once(path: Path, data: bytes) -> None:
    """Write a blob unless the same bytes are already there (left by a run that was killed)."""
    try:
        if path.stat().st_size == len(data) and hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest():
            return
    except OSError:
        pass
    atomic_write_bytes(path, data)


def _record_to_json(r: ArchiveRecord, mtime_ns: int | None = None) -> dict[str, Any]:
    return {"sha256": r.sha256, "original_path": r.original_path, "size": r.size,
            "received_at": r.received_at.isoformat(), "blob": r.blob, "mtime_ns": mtime_ns}


def _mtime(raw: Any) -> int | None:
    value = raw.get("mtime_ns") if isinstance(raw, dict) else None
    return int(value) if isinstance(value, int) else None


def _write_hint(path: Path, text: str) -> None:
    """Atomic (temp file + rename) but not fsynced: for what can be derived again after a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _record_from_json(d: dict[str, Any]) -> ArchiveRecord:
    return ArchiveRecord(sha256=str(d["sha256"]), original_path=str(d["original_path"]), size=int(d["size"]),
                         received_at=datetime.fromisoformat(d["received_at"]), blob=str(d["blob"]))


def _sighting_to_json(s: PathSighting) -> dict[str, Any]:
    return {"path": s.path, "size": s.size, "mtime_ns": s.mtime_ns}


def _sighting_from_json(d: dict[str, Any]) -> PathSighting:
    mtime = d.get("mtime_ns")
    return PathSighting(path=str(d["path"]), size=int(d["size"]), mtime_ns=None if mtime is None else int(mtime))


@lru_cache(maxsize=1024)  # asked once per archived return per call; a few hundred distinct rounds
def _round_key(round_id: str | None) -> str:
    """A segment's file name: round ids are the clerk's text, so a digest, never the text itself."""
    if round_id is None:
        return "none"
    return "r-" + hashlib.sha256(round_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


_META_FIELDS = tuple(SubmissionMeta.__dataclass_fields__)


def _meta_of(sub: Submission) -> SubmissionMeta:
    return SubmissionMeta(**{k: getattr(sub, k) for k in _META_FIELDS})


def _meta_to_json(m: SubmissionMeta) -> dict[str, Any]:
    out = {k: getattr(m, k) for k in _META_FIELDS}
    out["received_at"] = m.received_at.isoformat()
    return out


def _meta_from_json(d: dict[str, Any]) -> SubmissionMeta:
    """From an index's meta item or a whole submission's JSON (a version 1 index): extra keys ignored."""
    values = {k: d[k] for k in _META_FIELDS if k in d}
    values["received_at"] = datetime.fromisoformat(d["received_at"])
    meta = SubmissionMeta(**values)
    if not isinstance(meta.sha256, str) or not isinstance(meta.path, str):
        raise TypeError("not a submission")
    return meta


def submission_to_json(sub: Submission) -> dict[str, Any]:
    """A Submission as plain JSON values (times as ISO text)."""
    out = {k: getattr(sub, k) for k in sub.__dataclass_fields__}
    out["received_at"] = sub.received_at.isoformat()
    out["entries"] = [{k: getattr(e, k) for k in e.__dataclass_fields__} for e in sub.entries]
    out["problems"] = [{k: getattr(p, k) for k in p.__dataclass_fields__} for p in sub.problems]
    return out


def submission_from_json(d: dict[str, Any]) -> Submission:
    """Inverse of `submission_to_json`; unknown keys (from a newer version) are ignored."""
    fields = Submission.__dataclass_fields__
    values = {k: v for k, v in d.items() if k in fields}
    values["received_at"] = datetime.fromisoformat(d["received_at"])
    values["entries"] = tuple(_from_fields(EntryReport, e) for e in d.get("entries", ()))
    values["problems"] = tuple(_from_fields(Problem, p) for p in d.get("problems", ()))
    return Submission(**values)


def _from_fields(cls: Any, d: dict[str, Any]) -> Any:
    try:
        return cls(**d)  # the usual case: written by this version
    except TypeError:  # written by another version: keep the fields this one knows
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})
