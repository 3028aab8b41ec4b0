"""Files seen incomplete in the inbox, remembered across passes (`.excelflow/pending.json`).

A copy still arriving is retried next pass, never rejected; a file whose bytes have not changed
for a day and are still incomplete is damaged, and is then taken in and rejected with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from excelflow.files import atomic_write_text, json_dumps
from excelflow.intake.scan import Candidate

# A copy over a slow share can stall for minutes or hours; a file whose bytes have not changed for
# a whole day and still end before their container does is not arriving: it is damaged (a failed
# save, a broken download). It is then rejected, with a message, instead of pending forever.
STALE_AFTER = timedelta(days=1)


class PendingLog:
    """Files seen incomplete, with the pass time they were first seen so, kept across passes.

    Stored as `.excelflow/pending.json` (plain JSON, written atomically): inbox path → size,
    modification time and first sighting. A change of size or time starts the clock again, as does
    a back-dated `--now`. Whoever runs the passes (collect) asks `stale` for each incomplete file,
    then `keep`s the paths still pending and `save`s.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: dict[str, tuple[int, int, datetime]] = {}
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            for name, (size, mtime_ns, first) in raw.items():
                self._seen[str(name)] = (int(size), int(mtime_ns), datetime.fromisoformat(first))
        except (OSError, ValueError, TypeError, AttributeError):
            self._seen = {}  # missing or damaged: every file starts its clock again
        self._changed = False

    def stale(self, candidate: Candidate, now: datetime) -> bool:
        """Note that `candidate` is incomplete at `now`; True if it has been, unchanged, since a pass
        at least `STALE_AFTER` earlier (so it is damaged, not still arriving)."""
        known = self._seen.get(candidate.path)
        if known is None or known[:2] != (candidate.size, candidate.mtime_ns) or known[2] > now:
            self._seen[candidate.path] = (candidate.size, candidate.mtime_ns, now)
            self._changed = True
            return False
        return now - known[2] >= STALE_AFTER

    def first_seen(self, path: str) -> datetime | None:
        known = self._seen.get(path)
        return known[2] if known else None

    def keep(self, paths: Iterable[str]) -> None:
        """Forget every file but `paths` (the ones still pending): completed, rejected or gone."""
        wanted = set(paths)
        for name in [n for n in self._seen if n not in wanted]:
            del self._seen[name]
            self._changed = True

    def save(self) -> None:
        if not self._changed:
            return
        data = {name: [size, mtime, first.isoformat()] for name, (size, mtime, first) in sorted(self._seen.items())}
        atomic_write_text(self.path, json_dumps(data, indent=1) + "\n")
        self._changed = False
