"""`excelflow status`: entry states of a round as of `now`, from the register and the archive.

No inbox scan and no workbook is opened: what has not been collected is not counted (the command
says so). Writes nothing, so it needs no lock and is safe while a collector runs: a register
changed since the last pass is read, not cached (the next pass caches it).
"""

from __future__ import annotations

from datetime import datetime

from excelflow.reports.ledger import EntryState, round_states
from excelflow.store.archive import Archive
from excelflow.store.pass_cache import PassCache
from excelflow.workspace import Workspace


def status_states(ws: Workspace, round_id: str, now: datetime) -> list[EntryState]:
    """Entry states of `round_id` as of `now` from the register and the archive (no inbox scan)."""
    register = PassCache(ws).register()
    return round_states(register, round_id, Archive(ws).submissions(rounds=[round_id]), now)
