"""The record of one collect pass: what it found and wrote (`CollectReport`).

Made by `collect.run_pass` (or, for a pass with nothing new, by `snapshot.from_snapshot`); read
by the terminal summary, the pass log and the demo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from excelflow.intake.records import Submission
from excelflow.intake.scan import Unreadable
from excelflow.register.model import Task
from excelflow.reports.ledger import EntryState


@dataclass(frozen=True)
class CollectReport:
    """What one pass found and wrote. Paths are absolute; Submission paths are inbox-relative."""

    round_id: str
    as_of: datetime
    new: list[Submission]
    pending: list[str]
    states: list[EntryState]
    unidentified: list[Submission]
    outputs: list[Path]
    duplicates: list[str] = field(default_factory=list)  # inbox paths whose bytes were already archived
    other_rounds: dict[str, int] = field(default_factory=dict)  # round → new returns this pass
    unknown_rounds: list[Submission] = field(default_factory=list)  # returns for rounds not in the register
    fallbacks: list[Path] = field(default_factory=list)  # outputs written beside a file open in Excel
    unchosen_relevant: tuple[Task, ...] = ()
    unreadable: list[Unreadable] = field(default_factory=list)  # inbox files or folders that cannot be read
    rendered: bool = False  # False: nothing changed, no output was even rendered
    round_reason: str = ""  # why this round, when --round did not name it (said to the clerk)
    round_name: str = ""  # the round as the clerk reads it: `2021年上半年(2021-H1)`

    @property
    def round(self) -> str:
        return self.round_id
