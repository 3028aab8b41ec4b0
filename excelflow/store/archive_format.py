"""The archive's files on disk: their layout, their records and their JSON form, with versions.

`archive.py` decides what to store and when; this module only says how a record, a path
sighting or a parse is written to and read from JSON, and where each file lives. The layout
(relative to the working folder):

    archive/<sha[:2]>/<sha>.<ext>              the bytes, exactly as received (ext: the file's own if a known kind, else .bin)
    archive/<sha[:2]>/<sha>.json               the record: receipt time, first path, size, blob (the COMMIT point)
    archive/<sha[:2]>/<sha>.paths.json         other inbox paths the same bytes arrived under, with their stat
    archive/<sha[:2]>/<sha>.submission.json    intake's parsed result (`Submission`), so nothing is re-read
    archive/journal/<sha>                      empty marker: "this sha changed since the index was written"
    archive/journal/batch-<16 hex>             the same for many shas at once, one a line (a batch committed together)
    archive/index.json                         cache: every record, sighting and parse head; segment tokens
    archive/segments/<round key>.json          cache: one round's parses in full, named by a digest of the round id

Versions: `index.json` carries `"version": 2` (records, paths, parse heads and segment tokens); a
version 1 index (every parse in full under `submissions`) is still read and is rewritten as
version 2 by the next write. A segment carries the version and the token the index names. The
per-record files carry no version: their keys only ever grow, and readers ignore keys they do not
know (a newer version's), so an archive written by any version stays readable.

A journal entry of either kind names shas whose per-record files are newer than the index; readers
of an earlier excelflow know only the first kind (they find the others' records when they meet
the same bytes again, and the next compaction by any version folds them in).

Key order in every JSON object is fixed here (not taken from the dataclasses), so the bytes on
disk do not change when a record class gains or reorders a field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from excelflow.files import json_dumps
from excelflow.intake.records import Arrival, EntryReport, Problem, Submission, SubmissionHead

INDEX_VERSION = 2
OLD_INDEX_VERSION = 1  # every parse in full inside index.json: read, migrated by the next write
# Blobs keep the suffix of what they are, so a clerk can open one; anything else is `.bin`.
BLOB_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".xlsb", ".et", ".ett", ".xltx", ".xltm", ".xlt", ".ots",
                 ".pdf", ".doc", ".docx", ".wps", ".odt", ".rtf", ".txt", ".csv", ".jpg", ".jpeg", ".png", ".gif",
                 ".bmp", ".tif", ".tiff", ".zip", ".rar", ".7z", ".ppt", ".pptx")

# The JSON keys of a parse, in the order they are written (the order of version 1 files).
SUBMISSION_KEYS = ("path", "sha256", "size", "received_at", "outcome", "archived_as", "kind", "unit",
                   "round_id", "confidence", "entries", "problems", "modified_ns")
HEAD_KEYS = ("sha256", "path", "size", "received_at", "outcome", "archived_as", "kind", "unit", "round_id",
             "confidence", "modified_ns")


@dataclass(frozen=True)
class ArchiveRecord(Arrival):
    """One archived return: its arrival and where its bytes are kept (`blob`, relative to the
    working folder, with `/`). Written once; the receipt time never changes."""

    blob: str


@dataclass(frozen=True)
class PathSighting:
    """An inbox path seen holding some archived bytes, with the stat it had then."""

    path: str
    size: int
    mtime_ns: int | None


# -- where things are ---------------------------------------------------------------------------
def shard(archive_dir: Path, sha: str) -> Path:
    return archive_dir / sha[:2]


def record_path(archive_dir: Path, sha: str) -> Path:
    return shard(archive_dir, sha) / f"{sha}.json"


def paths_path(archive_dir: Path, sha: str) -> Path:
    return shard(archive_dir, sha) / f"{sha}.paths.json"


def submission_path(archive_dir: Path, sha: str) -> Path:
    return shard(archive_dir, sha) / f"{sha}.submission.json"


def segment_path(archive_dir: Path, key: str) -> Path:
    return archive_dir / "segments" / f"{key}.json"


def blob_path(archive_dir: Path, sha: str, original_path: str) -> Path:
    suffix = PurePosixPath(original_path).suffix.lower()
    return shard(archive_dir, sha) / f"{sha}{suffix if suffix in BLOB_SUFFIXES else '.bin'}"


@lru_cache(maxsize=1024)  # asked once per archived return per call; a few hundred distinct rounds
def round_key(round_id: str | None) -> str:
    """A segment's file name: round ids are the clerk's text, so a digest, never the text itself."""
    if round_id is None:
        return "none"
    return "r-" + hashlib.sha256(round_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


# -- JSON -----------------------------------------------------------------------------------------
def dumps(value: Any) -> str:
    # Inbox paths may hold bytes that were not UTF-8 (surrogateescape): `json_dumps` escapes them
    # so the path reads back exactly.
    return json_dumps(value, separators=(",", ":"))


def read_json(path: Path) -> Any:
    """The JSON in `path`, or None when it is missing, unreadable or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record_to_json(r: ArchiveRecord, mtime_ns: int | None = None) -> dict[str, Any]:
    return {"sha256": r.sha256, "original_path": r.path, "size": r.size,
            "received_at": r.received_at.isoformat(), "blob": r.blob, "mtime_ns": mtime_ns}


def record_from_json(d: dict[str, Any]) -> ArchiveRecord:
    return ArchiveRecord(sha256=str(d["sha256"]), path=str(d["original_path"]), size=int(d["size"]),
                         received_at=datetime.fromisoformat(d["received_at"]), blob=str(d["blob"]))


def record_mtime(raw: Any) -> int | None:
    """The inbox modification time a record (or an index item) noted, if any."""
    value = raw.get("mtime_ns") if isinstance(raw, dict) else None
    return int(value) if isinstance(value, int) else None


def sighting_to_json(s: PathSighting) -> dict[str, Any]:
    return {"path": s.path, "size": s.size, "mtime_ns": s.mtime_ns}


def sighting_from_json(d: dict[str, Any]) -> PathSighting:
    mtime = d.get("mtime_ns")
    return PathSighting(path=str(d["path"]), size=int(d["size"]), mtime_ns=None if mtime is None else int(mtime))


def head_to_json(h: SubmissionHead) -> dict[str, Any]:
    out = {k: getattr(h, k) for k in HEAD_KEYS}
    out["received_at"] = h.received_at.isoformat()
    return out


def head_from_json(d: dict[str, Any]) -> SubmissionHead:
    """From an index's head item or a whole parse's JSON (a version 1 index): extra keys ignored."""
    values = {k: d[k] for k in HEAD_KEYS if k in d}
    values["received_at"] = datetime.fromisoformat(d["received_at"])
    head = SubmissionHead(**values)
    if not isinstance(head.sha256, str) or not isinstance(head.path, str):
        raise TypeError("not a submission")
    return head


def submission_to_json(sub: Submission) -> dict[str, Any]:
    """A Submission as plain JSON values (times as ISO text)."""
    out: dict[str, Any] = {k: getattr(sub, k) for k in SUBMISSION_KEYS}
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
    sub: Submission = _from_fields(Submission, values)
    return sub


def _from_fields(cls: Any, d: dict[str, Any]) -> Any:
    if d.keys() == field_names(cls):  # the usual case: written by this version
        return made_from_fields(cls, d)
    # Written by another version: the fields this one knows (a missing one takes its default).
    return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def made_from_fields(cls: Any, d: dict[str, Any]) -> Any:
    """`cls(**d)` for a frozen dataclass whose every field `d` holds, without its `__init__`, which
    sets each field through `object.__setattr__`: for the thousands of entries a pass reads back
    (a city's parses, a nothing-new pass's states), most of their cost."""
    made = object.__new__(cls)
    made.__dict__.update(d)
    return made


@cache
def field_names(cls: Any) -> frozenset[str]:
    """The fields of a dataclass that `made_from_fields` may build (nothing its `__init__` does is skipped)."""
    assert not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")
    return frozenset(field_order(cls))


@cache
def field_order(cls: Any) -> tuple[str, ...]:
    """The fields of a dataclass in their order (`dataclasses.fields()` for each of thousands of
    objects was a tenth of writing them out)."""
    return tuple(cls.__dataclass_fields__)


JOURNAL_BATCH = "batch-"  # the name of a journal entry listing many shas starts with this


def journal_shas(folder: Path, name: str) -> list[str]:
    """The shas a journal entry names: itself, or a batch's lines (none if it cannot be read)."""
    if not name.startswith(JOURNAL_BATCH):
        return [name]
    try:
        text = (folder / name).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return []
    return [line for line in text.split("\n") if len(line) == 64 and all(c in "0123456789abcdef" for c in line)]
