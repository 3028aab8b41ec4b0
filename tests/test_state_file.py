"""状态.json and `status --json` are laid out by `dumps_indent1`: the very text of
`json.dumps(..., ensure_ascii=False, indent=1)`, which the files had before it (a consumer that
compares them byte for byte, or diffs two passes' files, sees no change)."""

from __future__ import annotations

import json
import random
from typing import Any

from excelflow.reports.state_file import dumps_indent1

# What a unit or a register can put in a name or a status: CJK, control characters, the line and
# paragraph separators, a lone surrogate (a file name that was not UTF-8), an emoji, quotes.
_ALPHABET = ["a", "序", "号", "\x00", "\x1f", "\n", "\t", '"', "\\", "/", "\u2028", "\u2029", "\udcb9",
             "\U0001f600", " ", "\u202e", "\x7f", "\x85"]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(6)))


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randrange(-10**12, 10**12)
    if kind == 2:
        return rng.random() * 10 ** rng.randrange(-8, 30)
    if kind in (3, 4):
        return _text(rng)
    if kind in (5, 6):
        return {_text(rng): _value(rng, depth + 1) for _ in range(rng.randrange(4))}
    return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]


def test_dumps_indent1_writes_json_dumps_text_for_random_values() -> None:
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    rng = random.Random(seed)
    for case in range(3000):
        value = _value(rng)
        assert dumps_indent1(value) == json.dumps(value, ensure_ascii=False, indent=1), f"seed {seed}, case {case}"


def test_dumps_indent1_writes_a_state_file_shape_like_json_dumps() -> None:
    data = {"round": "2021-H1", "entries": [
        {"task": 3, "unit": "区教体局", "role": "lead", "state": "on_time", "received_at": "2021-06-10T09:00:00",
         "status": "推进中", "days_late": 0, "deadline": "2021-06-15", "sources": ["ab12.xlsx", "cd34.xlsx"]},
        {"task": 4, "unit": "区\u2028卫健委", "role": "co", "state": "missing", "received_at": None, "status": None,
         "days_late": 2, "deadline": "2021-06-10", "sources": []},
    ], "empty": {}}
    assert dumps_indent1(data) == json.dumps(data, ensure_ascii=False, indent=1)
