"""The column vocabulary of every reporting form: the header texts generation writes and intake
finds columns by (the input headers are a contract in `shared/domain.md`), and how a header cell's
text is compared."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

ID_HEADER = "序号"
TASK_HEADER = "任务内容"
LEADS_HEADER = "牵头单位"
COS_HEADER = "协办单位"
# The reporting deadline of the sheet (the register's 计划 sheet uses 完成时限 for a task's own
# completion date, so this column does not).
DEADLINE_HEADER = "报送截止"
MILESTONE_HEADER = "本轮计划目标"
PREV_STATUS_HEADER = "上轮完成状态"
PREV_PROGRESS_HEADER = "上轮进展情况"
STATUS_HEADER = "完成状态"
PERCENT_HEADER = "完成进度(%)"
PROGRESS_HEADER = "进展情况"
PROBLEMS_HEADER = "存在问题"
NEXT_HEADER = "下步打算"
REMARKS_HEADER = "备注"

# Header texts of earlier versions, read as today's: templates and workbooks made before the
# deadline column was renamed still say 完成时限 there.
LEGACY_HEADERS: dict[str, str] = {"完成时限": DEADLINE_HEADER}
# Pre-filled, locked columns, in the canonical order the row fingerprint uses.
PREFILLED_HEADERS: tuple[str, ...] = (
    ID_HEADER, TASK_HEADER, LEADS_HEADER, COS_HEADER, DEADLINE_HEADER,
    MILESTONE_HEADER, PREV_STATUS_HEADER, PREV_PROGRESS_HEADER,
)
# Input columns the contract names (collection finds them by these exact texts).
INPUT_HEADERS: tuple[str, ...] = (
    STATUS_HEADER, PERCENT_HEADER, PROGRESS_HEADER, PROBLEMS_HEADER, NEXT_HEADER, REMARKS_HEADER,
)
# A template without these cannot produce a workbook collection can read.
REQUIRED_HEADERS: tuple[str, ...] = (
    ID_HEADER, TASK_HEADER, STATUS_HEADER, PERCENT_HEADER, PROGRESS_HEADER, PROBLEMS_HEADER, NEXT_HEADER,
)
# Shown only in some workbooks: from the second round on, and where the plan has a milestone.
# When the clerk's template leaves them out they are placed just before 完成状态.
CONDITIONAL_HEADERS: tuple[str, ...] = (MILESTONE_HEADER, PREV_STATUS_HEADER, PREV_PROGRESS_HEADER)


def normalise_header(value: Any) -> str:
    """Header text as compared: NFKC (fullwidth `（%）` → `(%)`), no spaces or line breaks."""
    if value is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
