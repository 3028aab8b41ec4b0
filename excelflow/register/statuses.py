"""The progress-status choices (完成状态) and the normalisation of what units actually type.

Units fill the dropdown, but also type `完成`, `已经完成`, `正在推进`, `进度滞后` …, or paste from
last year's sheet. `normalise_status` maps the common variants to the four choices and returns
None for anything it cannot place (intake then reports it as a blocking error on that cell).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

DONE = "已完成"
ON_SCHEDULE = "序时推进"
BEHIND = "滞后"
NOT_STARTED = "未启动"
CHOICES: tuple[str, ...] = (DONE, ON_SCHEDULE, BEHIND, NOT_STARTED)

MEANINGS: Mapping[str, str] = {
    DONE: "本轮任务目标已全部完成",
    ON_SCHEDULE: "按计划时序推进,进度符合阶段目标",
    BEHIND: "进度落后于计划或阶段目标(请在「存在问题」中说明原因)",
    NOT_STARTED: "尚未开始实施",
}

_VARIANTS: Mapping[str, str] = {
    # done
    "完成": DONE, "已完成": DONE, "已经完成": DONE, "全部完成": DONE, "已全部完成": DONE,
    "完成全年任务": DONE, "已完成全年任务": DONE, "已办结": DONE, "办结": DONE, "完毕": DONE,
    "已完毕": DONE, "done": DONE, "完成任务": DONE,
    # on schedule
    "序时推进": ON_SCHEDULE, "按序时推进": ON_SCHEDULE, "按时序推进": ON_SCHEDULE, "时序推进": ON_SCHEDULE,
    "正在推进": ON_SCHEDULE, "推进中": ON_SCHEDULE, "正常推进": ON_SCHEDULE, "有序推进": ON_SCHEDULE,
    "稳步推进": ON_SCHEDULE, "进行中": ON_SCHEDULE, "正在进行": ON_SCHEDULE, "按计划推进": ON_SCHEDULE,
    "按进度推进": ON_SCHEDULE, "正在实施": ON_SCHEDULE, "实施中": ON_SCHEDULE, "持续推进": ON_SCHEDULE,
    "序时": ON_SCHEDULE, "达序时": ON_SCHEDULE, "达到序时进度": ON_SCHEDULE,
    # behind
    "滞后": BEHIND, "进度滞后": BEHIND, "推进滞后": BEHIND, "滞后推进": BEHIND, "落后": BEHIND,
    "进度落后": BEHIND, "未达序时": BEHIND, "未达到序时进度": BEHIND, "延期": BEHIND, "延误": BEHIND,
    # not started
    "未启动": NOT_STARTED, "尚未启动": NOT_STARTED, "未开始": NOT_STARTED, "尚未开始": NOT_STARTED,
    "未开展": NOT_STARTED, "暂未启动": NOT_STARTED, "未实施": NOT_STARTED,
}

_NOISE = re.compile(r"[\s\u3000。.,，;；!！、]+")


def normalise_status(value: object) -> str | None:
    """The choice a typed status means, or None when it cannot be placed (empty → None too)."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value))
    text = _NOISE.sub("", text).lower()
    if not text:
        return None
    return _VARIANTS.get(text)
