"""Reading single cell values the way people type them; shared by the register and intake."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# `1`, `1.0` (calamine's float as text), `1.`, `1、` (numbering habits), full-width digits.
_TASK_ID = re.compile(r"^(\d{1,4})(?:\.0*)?$")


def parse_task_id(value: Any) -> int | None:
    """A 序号 cell as a task id: 1.0, '1', '１', ' 1 ', '1.0', '1、'; anything else → None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else None
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().rstrip("、")
        match = _TASK_ID.match(text) or _TASK_ID.match(text.rstrip("."))
        if match and int(match.group(1)) > 0:
            return int(match.group(1))
    return None
