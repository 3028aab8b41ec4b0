"""The working folder's layout: one place that knows where every file lives.

    <root>/workbooks/register.xlsx     the task register (the clerk edits it in Excel)
    <root>/workbooks/template.xlsx     the look of generated workbooks (the clerk may restyle it)
    <root>/workbooks/campaign.key      the campaign's key signing every handed-out workbook (kept, never sent)
    <root>/inbox/                      returns dropped by units, any subfolder; never modified
    <root>/archive/                    byte-for-byte copies of every return, written once
    <root>/outbox/<round>/             everything excelflow writes for a round:
        templates/<unit>.xlsx              the reporting workbooks (generate)
        分发清单.xlsx                       which file goes to which unit (generate)
        rollups/<lead unit>.xlsx           lead-unit rollups (collect)
        receipts/回执-….xlsx, .txt          one receipt per return (collect)
        状态.json                           every entry's state (collect)
        <round>-对比通报.xlsx, <round>-催报提醒.txt, <round>-通报.docx   the comparison (collect, compare)
    <root>/outbox/落实方案/<unit>-落实方案.xlsx   plan workbooks (generate --plan)
    <root>/outbox/<round>/发送记录.xlsx, <root>/outbox/邮件收取记录.xlsx   the mail channel's records
    <root>/inbox/邮件/<day>/<sender>/   attachments fetched from the office mailbox
    <root>/.excelflow/                 collector state: lock, log, last pass, caches
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from excelflow.errors import WorkspaceError
from excelflow.files import safe_filename

STATE_FILE = "状态.json"
PLANS_FOLDER = "落实方案"


if TYPE_CHECKING:  # types only: this module is imported by every command's start-up
    from datetime import datetime
    from typing import Protocol

    class ReturnedFile(Protocol):
        """What names a receipt: a return's unit (None if not identified), inbox path, time, hash."""

        @property
        def unit(self) -> str | None: ...
        @property
        def path(self) -> str: ...
        @property
        def received_at(self) -> datetime: ...
        @property
        def sha256(self) -> str: ...


def receipt_stem(sub: ReturnedFile) -> str:
    """`回执-区工信局-20210614-0900-1a2b3c4d`: unique per return, sorted by unit then time.

    An unplaced return is named after its file (`回执-未识别-<file stem>-…`)."""
    who = sub.unit or f"未识别-{PurePosixPath(sub.path).stem}"
    return safe_filename(f"回执-{who}-{sub.received_at:%Y%m%d-%H%M}-{sub.sha256[:8]}")


def rollup_names(units: Sequence[str]) -> dict[str, str]:
    """Each lead unit's rollup file name; names that would collide once made safe get a digest each.

    `区城投/集团` and `区城投_集团` are both `区城投_集团.xlsx` on disk: rather than let one rollup
    silently replace the other, both become `区城投_集团-<digest of the real name>.xlsx` (the
    identity sheet inside names the unit).
    """
    plain = {u: safe_filename(u, ".xlsx") for u in units}
    counts = Counter(plain.values())
    return {unit: name if counts[name] == 1 else
            f"{name[:-len('.xlsx')]}-{hashlib.sha256(unit.encode('utf-8')).hexdigest()[:8]}.xlsx"
            for unit, name in plain.items()}


@dataclass(frozen=True)
class Workspace:
    # The folders a pass asks for thousands of times (each output, each archived return) are
    # joined once: `cached_property` keeps them in the instance, which its frozenness allows.
    root: Path

    @cached_property
    def workbooks(self) -> Path:
        return self.root / "workbooks"

    @cached_property
    def register_path(self) -> Path:
        return self.workbooks / "register.xlsx"

    @property
    def template_path(self) -> Path:
        return self.workbooks / "template.xlsx"

    @property
    def campaign_key_path(self) -> Path:
        """The campaign's secret key signing handed-out workbooks (`forms.campaign_key`); never sent."""
        return self.workbooks / "campaign.key"

    @cached_property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @cached_property
    def archive(self) -> Path:
        return self.root / "archive"

    @cached_property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @cached_property
    def state(self) -> Path:
        return self.root / ".excelflow"

    @property
    def pending_log(self) -> Path:
        """First sightings of files still being copied, kept across passes (`store.pending`)."""
        return self.state / "pending.json"

    def round_dir(self, round_id: str) -> Path:
        folder = self._round_dirs.get(round_id)
        if folder is None:  # every output path of a pass starts here: made once per round
            folder = self._round_dirs[round_id] = self.outbox / safe_filename(round_id)
        return folder

    @cached_property
    def _round_dirs(self) -> dict[str, Path]:
        return {}

    def templates_dir(self, round_id: str) -> Path:
        return self.round_dir(round_id) / "templates"

    def template_file(self, round_id: str, unit: str) -> Path:
        return self.templates_dir(round_id) / safe_filename(unit, ".xlsx")

    def distribution_list(self, round_id: str) -> Path:
        return self.round_dir(round_id) / "分发清单.xlsx"

    def rollups_dir(self, round_id: str) -> Path:
        return self.round_dir(round_id) / "rollups"

    def rollup_file(self, round_id: str, unit: str) -> Path:
        return self.rollups_dir(round_id) / safe_filename(unit, ".xlsx")

    def rollup_paths(self, round_id: str, units: Sequence[str]) -> dict[str, Path]:
        """Each lead unit's rollup file (in `rollups_dir`, named by `rollup_names`)."""
        folder = self.rollups_dir(round_id)  # once: a city has a thousand lead units
        return {unit: folder / name for unit, name in rollup_names(units).items()}

    def receipts_dir(self, round_id: str) -> Path:
        return self.round_dir(round_id) / "receipts"

    def receipt_files(self, round_id: str, stem: str) -> tuple[Path, Path]:
        """The receipt of one return: (`<stem>.xlsx`, `<stem>.txt`); see `receipt_stem`."""
        folder = self.receipts_dir(round_id)
        return folder / f"{stem}.xlsx", folder / f"{stem}.txt"

    def state_file(self, round_id: str) -> Path:
        """`状态.json`: every entry's state, as `excelflow status --json` prints it (plus sources)."""
        return self.round_dir(round_id) / STATE_FILE

    def comparison_path(self, round_id: str) -> Path:
        return self.round_dir(round_id) / safe_filename(f"{round_id}-对比通报", ".xlsx")

    def reminders_path(self, round_id: str) -> Path:
        return self.round_dir(round_id) / safe_filename(f"{round_id}-催报提醒", ".txt")

    def notification_path(self, round_id: str) -> Path:
        return self.round_dir(round_id) / safe_filename(f"{round_id}-通报", ".docx")

    def comparison_outputs(self, round_id: str) -> tuple[Path, Path, Path]:
        """The comparison workbook, the reminders and the draft notification of a round."""
        return self.comparison_path(round_id), self.reminders_path(round_id), self.notification_path(round_id)

    @property
    def plans_dir(self) -> Path:
        return self.outbox / PLANS_FOLDER

    def plan_file(self, unit: str) -> Path:
        return self.plans_dir / safe_filename(f"{unit}-落实方案", ".xlsx")

    # -- the mail channel (`excelflow mail`, docs/mail.md) --
    @property
    def mail_inbox(self) -> Path:
        """Where fetched attachments are saved: `inbox/邮件/<day>/<sender>/` (collect reads them there)."""
        return self.inbox / "邮件"

    @cached_property
    def mail_state(self) -> Path:
        """What the mail channel remembers: messages fetched, messages sent, receipt-time hints."""
        return self.state / "mail"

    def send_record(self, round_id: str) -> Path:
        """`发送记录.xlsx`: every message of a round sent (workbooks, receipts, reminders) and its result."""
        return self.round_dir(round_id) / "发送记录.xlsx"

    @property
    def fetch_record(self) -> Path:
        """`邮件收取记录.xlsx`: every message fetched, what was saved from it and what was not."""
        return self.outbox / "邮件收取记录.xlsx"

    def is_working_folder(self) -> bool:
        """Whether the root holds a task register (what every command but init and import needs)."""
        return self.register_path.is_file()

    def require_register(self) -> Path:
        """The register's path, or a WorkspaceError saying the folder is not a working folder."""
        if not self.register_path.is_file():
            where = self.root.resolve()
            if not self.root.exists():
                what = f"文件夹 {where} 不存在"
            else:
                what = f"{where} 不是 excelflow 工作文件夹(没有任务登记表 workbooks/register.xlsx)"
            raise WorkspaceError(
                f"{what}。请检查 --root 是否写对;新建工作文件夹请运行 `excelflow init 文件夹`,"
                "或用 `excelflow import 通知文件 --root 文件夹` 从通知导入。"
            )
        return self.register_path

    def started_rounds(self, round_ids: Iterable[str]) -> set[str]:
        """Of `round_ids`, those a command may pick by itself: workbooks were generated for them
        (`templates/`), or returns for them were collected (receipts, `状态.json`). A few stats,
        no workbook read: it runs before the nothing-new check of a scheduled collect."""
        started = set()
        for rid in round_ids:
            folder = self.round_dir(rid)
            if self.state_file(rid).is_file() or any(
                    (folder / sub).is_dir() and any((folder / sub).iterdir()) for sub in ("templates", "receipts")):
                started.add(rid)
        return started
