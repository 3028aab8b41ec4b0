"""`files.indented_json` writes what `json.dumps(..., ensure_ascii=False, indent=n)` writes."""

from __future__ import annotations

import enum
import json
import random
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pytest

from excelflow.files import indented_json

# Strings with what JSON escapes (quotes, backslashes, controls), CJK, surrogates, bidi controls.
ALPHABET = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\t', '\x00', '\x1f', '\x7f', '市', '镇', '—', '\u202e',
            '\ud83d', '\udcb9', '😀', '/', '<', '&']


class Level(enum.IntEnum):
    HIGH = 3


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))


def _scalar(rng: random.Random) -> Any:
    makers: list[Callable[[], Any]] = [
        lambda: _text(rng), lambda: rng.randint(-10**20, 10**20), lambda: rng.random() * 10 ** rng.randint(-5, 20),
        lambda: None, lambda: True, lambda: False, lambda: float("nan"), lambda: float("-inf"), lambda: 0,
        lambda: Level.HIGH, lambda: -0.0,
    ]
    return rng.choice(makers)()


def _key(rng: random.Random) -> Any:
    makers: list[Callable[[], Any]] = [lambda: _text(rng), lambda: rng.randint(-99, 99), lambda: 1.5, lambda: True,
                                       lambda: None]
    return rng.choice(makers)()


def _value(rng: random.Random, depth: int) -> Any:
    if depth > 4 or rng.random() < 0.35:
        return _scalar(rng)
    kind = rng.choice(["dict", "list", "tuple", "ordered", "empty-dict", "empty-list"])
    if kind == "empty-dict":
        return {}
    if kind == "empty-list":
        return []
    size = rng.randint(1, 5)
    if kind in ("dict", "ordered"):
        made = {_key(rng): _value(rng, depth + 1) for _ in range(size)}
        return OrderedDict(made) if kind == "ordered" else made
    items = [_value(rng, depth + 1) for _ in range(size)]
    return tuple(items) if kind == "tuple" else items


def test_random_values_are_written_exactly_as_json_dumps_writes_them() -> None:
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    for case in range(600):
        rng = random.Random(seed + case)
        value = _value(rng, 0)
        for indent in (1, 2, 0):
            expected = json.dumps(value, ensure_ascii=False, indent=indent)
            assert indented_json(value, indent) == expected, f"seed {seed + case}, indent {indent}: {value!r}"


def test_a_state_file_of_entries_is_written_as_json_dumps_writes_it() -> None:
    entries = [{"task": t, "unit": f"市第{t}局", "role": "co", "state": "late", "received_at": None,
                "status": "序时推进", "days_late": 1, "deadline": "2021-06-15", "sources": [f"archive/{t:02x}.xlsx"]}
               for t in range(50)]
    value = {"round": "2021-H1", "entries": entries}
    assert indented_json(value) == json.dumps(value, ensure_ascii=False, indent=1)


def test_what_json_refuses_is_refused_with_jsons_own_error() -> None:
    with pytest.raises(TypeError):
        indented_json({"when": object()})
    with pytest.raises(TypeError):
        indented_json({("a", "b"): 1})
