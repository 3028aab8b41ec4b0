"""`excelflow status`: entry states of a round as of `now`, from the register and the archive.

No inbox scan and no workbook is opened: what has not been collected is not counted (the command
says so). Writes nothing, so it needs no lock and is safe while a collector runs: a register
changed since the last pass is read, not cached (the next pass caches it).
"""

from __future__ import annotations

from datetime import datetime

from excelflow.register.model import RoundChoice, choose_round, no_round_started
from excelflow.reports.ledger import EntryState, round_states
from excelflow.store.archive import Archive
from excelflow.store.pass_cache import PassCache
from excelflow.workspace import Workspace


def status_states(ws: Workspace, round_id: str | None, now: datetime) -> tuple[RoundChoice, list[EntryState]]:
    """The round (`round_id`, else the started one nearest in time, see `choose_round`) and its
    entry states as of `now`, from the register and the archive (no inbox scan; writes nothing)."""
    register = PassCache(ws).register()
    choice = choose_round(register, now, round_id, ws.started_rounds(r.id for r in register.rounds))
    if choice is None:
        raise no_round_started(register)
    rid = choice.round.id
    return choice, round_states(register, rid, Archive(ws).submissions(rounds=[rid]), now)
