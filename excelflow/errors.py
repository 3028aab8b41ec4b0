"""The one exception hierarchy of excelflow.

Messages are in Chinese because the clerk reads them. `ExcelflowError` is what the CLI turns into
`Error: …` on stderr and exit code 1. Problems found inside a returned workbook are *not*
exceptions: they are `intake.records.Problem` records shown to the clerk, so one bad file never stops a
batch.
"""

from __future__ import annotations

from dataclasses import dataclass


class ExcelflowError(Exception):
    """Base class of every error excelflow raises on purpose."""


@dataclass(frozen=True)
class CellRef:
    """Where in a workbook something is: file, sheet, 1-based row, column letter or header."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def describe(self) -> str:
        """Chinese location text, e.g. `register.xlsx 工作表「任务」第 5 行「牵头单位」列`."""
        parts = [self.file]
        if self.sheet is not None:
            parts.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column is not None:
            parts.append(f"「{self.column}」列")
        return " ".join(parts)


class NoticeError(ExcelflowError):
    """The notice file cannot be read as a notice at all."""


class RegisterError(ExcelflowError):
    """The task register workbook is missing or a clerk's edit broke it."""

    def __init__(self, message: str, where: CellRef | None = None, suggestion: str | None = None):
        self.where = where
        self.suggestion = suggestion
        text = f"{where.describe()}:{message}" if where else message
        if suggestion:
            text += f"(建议:{suggestion})"
        super().__init__(text)


class TemplateError(ExcelflowError):
    """`workbooks/template.xlsx` is missing or broken."""


class WorkspaceError(ExcelflowError):
    """The working folder is missing, not initialised, or an output cannot be written."""


class RoundError(ExcelflowError):
    """The round asked for is not in the register."""


class LockError(ExcelflowError):
    """Another collector holds the working folder."""


class MailError(ExcelflowError):
    """The mailbox settings are missing or unsafe, or the mail server cannot be used."""


class LockLost(LockError):
    """This process's lock was taken over (it was paused or cut off past the stale time): the pass
    stops without writing anything more."""
