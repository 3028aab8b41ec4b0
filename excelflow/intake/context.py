"""What the steps of reading one return share: the file, the register, the open workbook and the
problems found so far (each a record naming file, sheet and cell, never an exception)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from excelflow.intake.extract import Header, SheetData, Workbook
from excelflow.intake.records import Level, Problem
from excelflow.register.model import Register

DataSheet = tuple[SheetData, Header]  # a reporting form found in the workbook, with its header row


@dataclass
class ReadContext:
    """One return being read: `file` is its inbox-relative path (as messages name it)."""

    file: str
    received_at: datetime
    register: Register
    book: Workbook
    problems: list[Problem] = field(default_factory=list)

    def problem(self, level: Level, message: str, sheet: str | None = None, cell: str | None = None) -> None:
        self.problems.append(Problem(level, message, self.file, sheet, cell))
