"""Taking new files in: read each once, archive its bytes, parse it, keep the parse.

For each file not collected yet, in order of modification time: its bytes are read once (pending
if it is still being copied), archived byte for byte with the pass's `now` as receipt time
(bytes already archived keep their first receipt time), parsed by intake, and the parse is saved
beside the bytes. The bytes are committed before the parse, so a pass killed in between finds
the file unparsed next time and parses it then.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from excelflow.intake.read import read_return
from excelflow.intake.records import Submission
from excelflow.intake.scan import Candidate, looks_incomplete, read_bytes
from excelflow.mail.hints import read_hint, received_time, with_sender_notes
from excelflow.register.model import Register
from excelflow.store.archive import Archive
from excelflow.store.pending import PendingLog
from excelflow.workspace import Workspace


@dataclass
class Ingested:
    """What a pass took in: new returns, inbox paths whose bytes were known, files still pending."""

    new: list[Submission] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)


def ingest(ws: Workspace, archive: Archive, register: Register, fresh: Sequence[Candidate], now: datetime,
           progress: Callable[[int, int], None] | None) -> Ingested:
    """Read, archive and parse each file not collected yet; `progress(done, total)` after each."""
    out = Ingested()
    pending_log = PendingLog(ws.pending_log)
    for i, c in enumerate(fresh, start=1):
        data = read_bytes(ws.inbox, c)
        incomplete = data is not None and looks_incomplete(data, c.path)
        # Incomplete bytes are a copy still arriving (retried next pass), unless the same bytes
        # have stayed incomplete for a day: then the file is damaged and is taken in (archived,
        # rejected with the reason) rather than left pending forever.
        stale = incomplete and pending_log.stale(c, now)
        if data is None or (incomplete and not stale):
            out.pending.append(c.path)
        else:
            sha = hashlib.sha256(data).hexdigest()
            hint = read_hint(ws, sha)  # fetched by `excelflow mail`: the server's arrival time, the sender
            # Commit the bytes first (the receipt time is fixed here, once), then the parse.
            record = archive.store(data, c.path, received_time(hint, now), mtime_ns=c.mtime_ns)
            if archive.has_submission(sha):
                out.duplicates.append(c.path)  # these bytes were collected before (other name, or re-saved)
            else:
                sub = read_return(data, c.path, record.received_at, register, stale_pending=stale)
                sub = with_sender_notes(sub, hint, register)
                sub = replace(sub, path=record.path, archived_as=record.blob, modified_ns=c.mtime_ns)
                archive.save_submission(sub)
                out.new.append(sub)
        if progress is not None:
            progress(i, len(fresh))
    pending_log.keep(out.pending)
    pending_log.save()
    return out
