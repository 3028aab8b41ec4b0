"""The working folder's layout: one place that knows where every file lives.

    <root>/workbooks/register.xlsx     the task register (the clerk edits it in Excel)
    <root>/workbooks/template.xlsx     the look of generated workbooks (the clerk may restyle it)
    <root>/inbox/                      returns dropped by units, any subfolder; never modified
    <root>/archive/                    byte-for-byte copies of every return, written once
    <root>/outbox/<round>/             everything excelflow writes for a round
    <root>/.excelflow/                 collector state: lock, log, last pass
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from excelflow.errors import WorkspaceError
from excelflow.files import safe_filename


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def workbooks(self) -> Path:
        return self.root / "workbooks"

    @property
    def register_path(self) -> Path:
        return self.workbooks / "register.xlsx"

    @property
    def template_path(self) -> Path:
        return self.workbooks / "template.xlsx"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def state(self) -> Path:
        return self.root / ".excelflow"

    def round_dir(self, round_id: str) -> Path:
        return self.outbox / safe_filename(round_id)

    def templates_dir(self, round_id: str) -> Path:
        return self.round_dir(round_id) / "templates"

    def template_file(self, round_id: str, unit: str) -> Path:
        return self.templates_dir(round_id) / safe_filename(unit, ".xlsx")

    def rollups_dir(self, round_id: str) -> Path:
        return self.round_dir(round_id) / "rollups"

    def rollup_file(self, round_id: str, unit: str) -> Path:
        return self.rollups_dir(round_id) / safe_filename(unit, ".xlsx")

    def receipts_dir(self, round_id: str) -> Path:
        return self.round_dir(round_id) / "receipts"

    def comparison_path(self, round_id: str) -> Path:
        return self.round_dir(round_id) / safe_filename(f"{round_id}-对比通报", ".xlsx")

    def require_register(self) -> Path:
        if not self.register_path.is_file():
            raise WorkspaceError(
                f"找不到任务登记表 {self.register_path}。请先运行 `excelflow init` 建立工作文件夹,"
                "或用 `excelflow import 通知文件` 导入通知。"
            )
        return self.register_path
