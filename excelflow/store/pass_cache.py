"""What a collect pass remembers between runs, so a pass with nothing new reads no workbook.

`.excelflow/collect-cache.json` holds:

- the register as last loaded, keyed by the register file's size and modification time (the
  clerk's edit in Excel changes both), so `collect`, `status` and the round choice need not open
  `register.xlsx` with openpyxl on every pass;
- per round, the key of the inputs the round's outputs were last written from; a pass whose key
  matches (and whose outputs all exist) renders nothing;
- `seen`: every inbox file (path, size, modification time) the last complete pass had fully
  collected, and per round a *snapshot* of the entry states that pass computed. A pass that finds
  no file outside `seen`, the same register and the same day answers from the snapshot without
  loading the archive: its cost is a directory scan and this one file.

Snapshots live beside it, one file per round (`.excelflow/snapshots/<round key>.json`), read only
for the round a pass asks about and written only when they change: after years of rounds, the
snapshots of every past round (each holding all its entries) would otherwise be read and written
by every pass. A snapshot names the `seen` digest and register it was made with, so whichever of
the two files a killed pass wrote last, a mismatch only means "not usable, do a full pass". A
cache written before snapshots moved out has its snapshots moved out by its next save.

It is a cache: deleting it costs one register load and one re-render, nothing else. It is written
whole and atomically, by the one collector holding the lock. JSON, not pickle: the working
folder is a shared drive that others can write to.
"""

from __future__ import annotations

import hashlib
import json
import os
import weakref
from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

from excelflow import __version__
from excelflow.files import atomic_write_text, json_dumps
from excelflow.register.model import Milestone, Register, Round, Task, Unit
from excelflow.workspace import Workspace

CACHE_NAME = "collect-cache.json"
SNAPSHOTS = "snapshots"  # folder beside it: one snapshot file per round
CACHE_VERSION = 2

# The register last loaded in this process, by file and key (size, modification time), with its
# JSON form: a pass builds several caches (the mail fetch before it, the pass, the mail after
# it), and loading a city's register.xlsx costs 0.1 s, its JSON form half that, each time.
# A Register is immutable, so the same one can serve them all.
_LOADED: dict[Path, tuple[list[int], Register, dict[str, Any]]] = {}


# The cache file last read in this process: its identity on disk (inode, size, modification time;
# every write is a rename, so the same identity is the same content), what it held, and the cache
# that read it. `collect` reads the file before taking the lock (is there a mailbox to fetch
# from?) and again under it; the second cache takes the data over instead of decoding it again
# (0.013 s of a city's nothing-new pass), only once the first is gone and if it changed nothing,
# so no two caches ever hold the same dict.
_last_read: tuple[Path, tuple[int, int, int], dict[str, Any], weakref.ref[PassCache]] | None = None


def _register_key(ws: Workspace) -> list[int]:
    st = ws.register_path.stat()
    return [st.st_size, st.st_mtime_ns]


def register_to_json(register: Register) -> dict[str, Any]:
    """The register as JSON (what `register_from_json` reads back): each unit, task, round and
    milestone as the dict of its fields, tuples as lists and dates as ISO text. Field by field,
    not through `dataclasses.asdict`, whose deep copy took 0.1 s for a city's register while the
    pass's workers waited for it."""
    def plain(value: Any) -> Any:
        if type(value) is tuple:
            return list(value)  # the fields' tuples hold text
        if isinstance(value, date):
            return value.isoformat()
        return value

    def rows(items: Sequence[Any]) -> list[dict[str, Any]]:
        if not items:
            return []
        names = [f.name for f in fields(items[0])]
        return [{name: plain(getattr(item, name)) for name in names} for item in items]

    return {
        "title": register.title,
        "units": rows(register.units),
        "tasks": rows(register.tasks),
        "rounds": rows(register.rounds),
        "milestones": rows(register.milestones),
        "settings": dict(register.settings),
    }


def register_json(register: Register) -> dict[str, Any]:
    """`register_to_json(register)`, made once for the register this process loaded."""
    for _key, loaded, data in _LOADED.values():
        if loaded is register:
            return data
    return register_to_json(register)


def register_from_json(d: dict[str, Any]) -> Register:
    def tup(v: Any) -> tuple[str, ...]:
        return tuple(map(str, v))  # a city's register holds 6,000 such lists: no generator each

    units = tuple(Unit(name=u["name"], aliases=tup(u["aliases"]), groups=tup(u["groups"]), contact=u["contact"],
                       phone=u["phone"], code=u["code"], emails=tup(u.get("emails", ()))) for u in d["units"])
    tasks = tuple(Task(id=int(t["id"]), chapter=t["chapter"], section=t["section"], text=t["text"],
                       lead=tup(t["lead"]), co=tup(t["co"]),
                       relevant=None if t["relevant"] is None else tup(t["relevant"]),
                       due=str(t.get("due", ""))) for t in d["tasks"])
    rounds = tuple(Round(id=r["id"], name=r["name"], co_deadline=date.fromisoformat(r["co_deadline"]),
                         lead_deadline=date.fromisoformat(r["lead_deadline"])) for r in d["rounds"])
    milestones = tuple(Milestone(task_id=int(m["task_id"]), round_id=m["round_id"], goal=m["goal"],
                                 indicator=m["indicator"],
                                 due=None if m["due"] is None else date.fromisoformat(m["due"]))
                       for m in d["milestones"])
    return Register(title=d["title"], units=units, tasks=tasks, rounds=rounds, milestones=milestones,
                    settings=dict(d["settings"]))


def current_register(ws: Workspace) -> Register:
    """`PassCache(ws).register()` without reading the cache file when this process has loaded the
    register file as it is now (the mail after a pass: a city's cache holds the `seen` listing of
    every return, 0.1 s to decode for a register already in memory). Raises as `register()` does."""
    ws.require_register()
    loaded = _LOADED.get(ws.register_path)
    if loaded is not None and loaded[0] == _register_key(ws):
        return loaded[1]
    return PassCache(ws).register()


class PassCache:
    """The cache of one working folder; `save()` writes it only if something changed."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws
        self._path = ws.state / CACHE_NAME
        self._data: dict[str, Any] = {"version": CACHE_VERSION, "excelflow": __version__,
                                      "register": None, "outputs": {}, "files": {},
                                      "seen": {}}
        self._dirty = False
        self._snapshots: dict[str, dict[str, Any] | None] = {}  # read (or set) this pass, by round id
        self._dirty_snapshots: set[str] = set()
        self._snapshot_texts: dict[str, str] = {}  # what `save` writes for each dirty snapshot
        global _last_read
        memo, _last_read = _last_read, None
        try:
            with open(self._path, "rb") as file:
                st = os.fstat(file.fileno())
                identity = (st.st_ino, st.st_size, st.st_mtime_ns)
                if memo is not None and memo[0] == self._path and memo[1] == identity and memo[3]() is None:
                    loaded = memo[2]
                else:
                    loaded = json.loads(file.read().decode("utf-8"))
        except (OSError, ValueError):
            return
        if (isinstance(loaded, dict) and loaded.get("version") == CACHE_VERSION
                and loaded.get("excelflow") == __version__):
            self._data = loaded
            inline = self._data.pop("snapshots", None)  # the layout before one file per round
            if isinstance(inline, dict) and inline:
                for round_id, snap in inline.items():
                    if isinstance(snap, dict):
                        self._snapshots[round_id] = snap
                        self._dirty_snapshots.add(round_id)
                self._dirty = True
            else:
                _last_read = (self._path, identity, loaded, weakref.ref(self))

    def _changed(self) -> None:
        """Mark the data changed (to be saved): it is no longer what the file holds."""
        global _last_read
        self._dirty = True
        if _last_read is not None and _last_read[2] is self._data:
            _last_read = None

    def register(self) -> Register:
        """The register, from the cache when the file is unchanged, else loaded and cached.

        Raises `RegisterError` (from `register.load_register`) for a broken register: never
        serve a cached copy of a register the clerk has since changed.
        """
        self._ws.require_register()
        key = _register_key(self._ws)
        cached = self._data.get("register")
        loaded = _LOADED.get(self._ws.register_path)
        if loaded is not None and loaded[0] != key:
            loaded = None
        if isinstance(cached, dict) and cached.get("key") == key:
            if loaded is not None:
                return loaded[1]
            try:
                register = register_from_json(cached["data"])
            except (KeyError, TypeError, ValueError):
                pass
            else:
                _LOADED[self._ws.register_path] = (key, register, cached["data"])
                return register
        if loaded is None:
            # Imported only on a cache miss: the register is read with python-calamine, which a
            # pass with nothing new (the register unchanged) must not load.
            from excelflow.register.load import load_register

            register = load_register(self._ws.register_path)
            loaded = _LOADED[self._ws.register_path] = (key, register, register_to_json(register))
        register = loaded[1]
        self._data["register"] = {"key": key, "data": loaded[2]}
        self._data["outputs"] = {}  # outputs were made from another register
        self._data["files"] = {}
        # Snapshots name the register they were made with: the files left on disk no longer match.
        self._snapshots = {r: None for r in self._snapshots}
        self._dirty_snapshots.clear()
        self._changed()
        return register

    def register_key(self) -> list[int] | None:
        """Size and modification time of the register the cached copy was loaded from."""
        cached = self._data.get("register")
        return cached.get("key") if isinstance(cached, dict) else None

    def output_key(self, round_id: str) -> str | None:
        value = self._data.get("outputs", {}).get(round_id)
        return value if isinstance(value, str) else None

    def set_output_key(self, round_id: str, key: str) -> None:
        if self.output_key(round_id) != key:
            self._data.setdefault("outputs", {})[round_id] = key
            self._changed()

    def file_digest(self, round_id: str, name: str) -> str | None:
        """Digest of the inputs output `name` (relative to the round folder) was last written from."""
        value = self._data.get("files", {}).get(round_id, {}).get(name)
        return value if isinstance(value, str) else None

    def set_file_digest(self, round_id: str, name: str, digest: str) -> None:
        if self.file_digest(round_id, name) != digest:
            self._data.setdefault("files", {}).setdefault(round_id, {})[name] = digest
            self._changed()

    # -- seen files and state snapshots ----------------------------------------------------------
    def seen(self) -> dict[str, list[int]]:
        value = self._data.get("seen")
        return value if isinstance(value, dict) else {}

    def set_seen(self, seen: dict[str, list[int]]) -> None:
        if seen != self.seen():
            self._data["seen"] = seen
            self._changed()

    def seen_digest(self) -> str:
        text = json_dumps(sorted(self.seen().items()))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def snapshot(self, round_id: str) -> dict[str, Any] | None:
        if round_id not in self._snapshots:
            self._snapshots[round_id] = self._read_snapshot(round_id)
        return self._snapshots[round_id]

    def snapshot_text(self, round_id: str, snapshot: dict[str, Any]) -> str:
        """The text `save` writes for `snapshot`. A city's round is 10,000 states (~0.1 s to
        encode): a pass encodes it while its workers draw, and hands it to `set_snapshot`."""
        return json_dumps({"version": CACHE_VERSION, "excelflow": __version__, "round": round_id,
                           "snapshot": snapshot})

    def set_snapshot(self, round_id: str, snapshot: dict[str, Any], text: str | None = None) -> None:
        """Keep `snapshot` (whose `snapshot_text` is `text`, if already made) for `save`, which
        writes it only if its file says something else."""
        text = self.snapshot_text(round_id, snapshot) if text is None else text
        self._snapshots[round_id] = snapshot
        try:
            if self._snapshot_path(round_id).read_text(encoding="utf-8") == text:
                self._dirty_snapshots.discard(round_id)
                return
        except (OSError, ValueError):
            pass
        self._snapshot_texts[round_id] = text
        self._dirty_snapshots.add(round_id)

    def save(self) -> None:
        for round_id in sorted(self._dirty_snapshots):
            text = self._snapshot_texts.get(round_id)
            snapshot = self._snapshots[round_id]
            if text is None and snapshot is not None:  # moved out of the cache file: encoded here
                text = self.snapshot_text(round_id, snapshot)
            if text is not None:
                atomic_write_text(self._snapshot_path(round_id), text)
        self._dirty_snapshots.clear()
        self._snapshot_texts.clear()
        if self._dirty:
            atomic_write_text(self._path, json_dumps(self._data))
            self._dirty = False

    def _snapshot_path(self, round_id: str) -> Path:
        # Round ids are the clerk's text: a digest names the file.
        digest = hashlib.sha256(round_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        return self._ws.state / SNAPSHOTS / f"{digest}.json"

    def _read_snapshot(self, round_id: str) -> dict[str, Any] | None:
        try:
            loaded = json.loads(self._snapshot_path(round_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (not isinstance(loaded, dict) or loaded.get("version") != CACHE_VERSION
                or loaded.get("excelflow") != __version__ or loaded.get("round") != round_id):
            return None
        value = loaded.get("snapshot")
        return value if isinstance(value, dict) else None
