"""Intake: find returns in the inbox, read each once, identify it, extract entries, validate.

This module is the public face other modules use; the jobs live in `scan.py` (inbox, bytes,
pending files), `extract.py` (workbook → rows by task id) and `validate.py` (two-level checks).
`read_return` never raises for a bad workbook: every problem becomes a `Problem` record and the
`Submission.outcome` says accepted / accepted_with_warnings / pending / rejected.
"""

from __future__ import annotations

from datetime import datetime

from .model import Register
from .scan import Candidate, looks_incomplete, read_bytes, scan_inbox
from .submission import Submission

__all__ = ["Candidate", "scan_inbox", "read_bytes", "looks_incomplete", "read_return"]


def read_return(data: bytes, path: str, received_at: datetime, register: Register) -> Submission:
    """Parse one return from memory and judge it. `path` is the inbox-relative name (for messages)."""
    raise NotImplementedError("being written: see issue 4 (intake engineer)")
