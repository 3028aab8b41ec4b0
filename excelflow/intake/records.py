"""What intake makes of one returned file: the records collection, rollups and receipts share.

Problems found in a return are data, not exceptions (as frictionless does it): each names the
file, sheet and cell and says in Chinese what the clerk or unit should do. A file ends in exactly
one outcome: accepted, accepted with warnings, pending (still being copied; retried next run) or
rejected (with a reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from excelflow.register.model import Role

Level = Literal["error", "warning"]
Outcome = Literal["accepted", "accepted_with_warnings", "pending", "rejected"]
Kind = Literal["report", "rollup", "plan"]
# How a return was tied to its unit: the identity sheet (certain), the unit name typed in the
# header block (likely), or only the file name (a guess the clerk should confirm).
Confidence = Literal["identity", "header", "filename"]

OUTCOME_NAMES = {
    "accepted": "已接收",
    "accepted_with_warnings": "已接收(有提示)",
    "pending": "待重试(文件可能仍在复制)",
    "rejected": "未接收",
}
LEVEL_NAMES = {"error": "错误", "warning": "提示"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a return. `error` blocks the entry (or file); `warning` only shows."""

    level: Level
    message: str
    file: str
    sheet: str | None = None
    cell: str | None = None  # A1-style, e.g. "E7"
    task_id: int | None = None
    role: Role | None = None

    def describe(self) -> str:
        where = self.file
        if self.sheet is not None:
            where += f" 工作表「{self.sheet}」"
        if self.cell is not None:
            where += f" 单元格 {self.cell}"
        return f"[{LEVEL_NAMES[self.level]}] {where}:{self.message}"


@dataclass(frozen=True)
class EntryReport:
    """What one return says about one (task, unit, role).

    `status` is normalised (one of `statuses.CHOICES`) or None; `status_raw` is what was typed.
    `usable` is False when a blocking error hit this entry; `complete` is False when a required
    field (status, 进展情况) is empty.
    """

    task_id: int
    unit: str
    role: Role
    status: str | None
    status_raw: str = ""
    progress: float | None = None
    progress_text: str = ""
    problems: str = ""
    next_steps: str = ""
    remarks: str = ""
    usable: bool = True
    complete: bool = True


@dataclass(frozen=True)
class Arrival:
    """Bytes that arrived: the inbox path they were first seen under (relative, `/`), their
    SHA-256 and size, and when the collector first saw them (the receipt time)."""

    path: str
    sha256: str
    size: int
    received_at: datetime


@dataclass(frozen=True)
class SubmissionHead(Arrival):
    """A return as intake judged it, without its entries and problems: what the archive's index
    keeps of every parse, to pick the parses a pass needs in full (by round, by kind) and to know
    when returns arrived without building thousands of entries."""

    outcome: Outcome
    archived_as: str | None = None
    kind: Kind | None = None
    unit: str | None = None
    round_id: str | None = None
    confidence: Confidence | None = None
    # The file's modification time when collect first read it. Never a receipt time (mtimes
    # survive copying); only orders versions received in the same pass (the later saved file
    # is the correction). Set by collect, None when unknown.
    modified_ns: int | None = None


@dataclass(frozen=True)
class Submission(SubmissionHead):
    """One returned file as intake read it: its head, every entry it reports and every problem."""

    entries: tuple[EntryReport, ...] = ()
    problems: tuple[Problem, ...] = ()

    def head(self) -> SubmissionHead:
        """This return without its entries and problems."""
        return SubmissionHead(**{f: getattr(self, f) for f in HEAD_FIELDS})


HEAD_FIELDS: tuple[str, ...] = tuple(SubmissionHead.__dataclass_fields__)
