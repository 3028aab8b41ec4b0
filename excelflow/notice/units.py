"""Unit names as notices write them → one canonical name per unit.

Notices are typed by hand and names drift: `区工信局、商务局、科技局` means three 区-level units (the
prefix of the first name carries over to the bare names after it), `工信局` and `区工信局` are the
same unit, `区市管局` is a short form of `区市场监督管理局`, and some names carry brackets
(`区政府办(政务服务办)`). This module turns such text into names and names into canonical ones.
Near misses (`区农业局` against `区农业农村局`) are only ever *suggested*: merging two units by
guess would send one unit's tasks to another.

Nothing here reads files; the register hands in its known units and aliases, the notice parser
hands in what it saw.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

# A task row may name a group instead of units. `各<group>` stands for every unit of the group,
# `相关<group>` for the units the clerk chose for that task (the notice does not name them).
ALL_PREFIX = "各"
RELEVANT_PREFIX = "相关"
TOWNSHIP_GROUP = "乡镇(街道)"

# Generic aliases every district uses; a clerk extends them in the register's 单位 sheet.
DEFAULT_ALIASES: Mapping[str, str] = MappingProxyType({
    "区市管局": "区市场监督管理局",
    "区市监局": "区市场监督管理局",
    "区市场监管局": "区市场监督管理局",
    "各乡镇街道": "各乡镇(街道)",
    "相关乡镇街道": "相关乡镇(街道)",
})

# Administrative-level prefixes that a list shares: `区工信局、商务局` → `区商务局`.
PREFIXES = ("区", "县", "市")
# Words that start with a prefix character without being one (`市政集团` is 区市政集团 when listed
# after a 区 unit, `市场监督管理局` likewise).
_PREFIX_WORDS = ("市政", "市场", "市管局", "市监局", "区域", "县域")
# A bare name carrying its own place is not given the list's prefix (`上饶高新区`, `永丰街道`,
# `饶丰灌区水资源保护中心`).
_OWN_PLACE_INSIDE = ("区", "县")
_OWN_PLACE_ENDINGS = ("街道", "镇", "乡", "村", "社区", "居委会", "管委会")
_OWN_PLACE_STARTS = ("省", "国", "中国", "中央", "各", "相关", "全")

_OPEN = "(〈[【〔"
_CLOSE = ")〉]】〕"
_SEPARATORS = "、,; \t\r\n"
_STRIP = " \t\u3000\u2002\u2003\xa0。.:：\"'“”‘’"


_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {ord(c): " " for c in "\u3000\u2002\u2003\xa0"}
_NEEDS_FOLD = re.compile("[\uff01-\uff5e\u3000\u2002\u2003\xa0]")  # translate() is slow; most text needs none


def fold_width(text: str) -> str:
    """Full-width ASCII forms (`（`, `，`, `：`, `１`) to ASCII, ideographic space to space.

    One character in, one character out, so positions found in the folded text index the original.
    """
    return text.translate(_FOLD) if _NEEDS_FOLD.search(text) else text


@lru_cache(maxsize=4096)
def normalize_name(name: str) -> str:
    """A name as written, with ASCII brackets, no inner spaces and no surrounding punctuation."""
    text = re.sub(r"\s+", "", fold_width(name))
    text = text.strip(_STRIP)
    # A bracket left over from the label around a list (`区水利局)`), not part of the name.
    while text and text[-1] in _CLOSE and _depth(text) < 0:
        text = text[:-1].strip(_STRIP)
    while text and text[0] in _OPEN and _depth(text) > 0:
        text = text[1:].strip(_STRIP)
    return text


def _depth(text: str) -> int:
    depth = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
    return depth


def split_top_level(text: str, separators: str) -> list[str]:
    """Split on separator characters outside brackets; pieces are not stripped."""
    pieces: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
        elif depth == 0 and ch in separators:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return pieces


def _group_of(name: str, groups: Iterable[str]) -> str | None:
    for prefix in (ALL_PREFIX, RELEVANT_PREFIX):
        if name.startswith(prefix) and name[len(prefix):] in groups:
            return name
    return None


def is_group(name: str) -> bool:
    """`各乡镇(街道)`, `相关乡镇(街道)` (either bracket width) stand for several units."""
    text = normalize_name(name)
    return _group_of(DEFAULT_ALIASES.get(text, text), (TOWNSHIP_GROUP,)) is not None


def own_prefix(name: str) -> str | None:
    """The administrative prefix a name starts with (`区工信局` → `区`), if any."""
    if name[:1] in PREFIXES and not name.startswith(_PREFIX_WORDS):
        return name[0]
    return None


def _carries_own_place(name: str) -> bool:
    return (
        own_prefix(name) is not None
        or any(mark in name for mark in _OWN_PLACE_INSIDE)
        or name.endswith(_OWN_PLACE_ENDINGS)
        or name.startswith(_OWN_PLACE_STARTS)
        or not ("\u4e00" <= name[:1] <= "\u9fff")
    )


def _bare(name: str) -> str:
    """A name without its bracketed parts: `区广投集团(自来水公司)` → `区广投集团`."""
    return re.sub(r"\([^()]*\)", "", name)


def _is_subsequence(short: str, long: str) -> bool:
    chars = iter(long)
    return all(ch in chars for ch in short)


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def near_miss(a: str, b: str) -> bool:
    """Whether two different names look like one unit written two ways.

    An abbreviation (`区农业局` in `区农业农村局`: same first and last character, every character in
    order) or a one-character slip in a long name. Names that differ only in a bracketed part
    (`区广投集团` / `区广投集团(自来水公司)`) are different units on purpose, and so are short names
    one character apart (`区创卫办` / `区创文办`).
    """
    short, long = sorted((a, b), key=len)
    if a == b or not short or short[0] != long[0] or len(long) > 2 * len(short):
        return False  # cheap tests first: suggest() runs this for every pair of names
    core = short[1:] if own_prefix(short) else short
    if len(core) >= 3 and short[-1] == long[-1] and _is_subsequence(short, long):
        close = True
    else:
        close = len(core) >= 5 and len(a) == len(b) and _edit_distance(a, b) == 1
    return close and _bare(a) != _bare(b) and not is_group(a) and not is_group(b)


class UnitResolver:
    """Splits unit lists and maps every written name to one canonical name.

    `known`: the register's units (canonical names); `aliases`: written name → canonical name
    (the clerk's table replaces the default, so pass `{**DEFAULT_ALIASES, **theirs}` to extend it);
    `groups`: group names without their `各`/`相关` prefix.
    """

    def __init__(
        self,
        known: Iterable[str] = (),
        aliases: Mapping[str, str] = DEFAULT_ALIASES,
        groups: Iterable[str] = (TOWNSHIP_GROUP,),
    ) -> None:
        self.known: frozenset[str] = frozenset(normalize_name(n) for n in known)
        self.aliases: dict[str, str] = {normalize_name(k): normalize_name(v) for k, v in aliases.items()}
        self.groups: tuple[str, ...] = tuple(normalize_name(g) for g in groups)
        self.seen: frozenset[str] = frozenset()

    def seeing(self, names: Iterable[str]) -> UnitResolver:
        """A copy that also counts `names` as seen (short forms resolve against them)."""
        copy = UnitResolver.__new__(UnitResolver)
        copy.known, copy.aliases, copy.groups = self.known, self.aliases, self.groups
        copy.seen = self.seen | {normalize_name(n) for n in names}
        return copy

    def is_group(self, name: str) -> bool:
        text = normalize_name(name)
        return _group_of(self.aliases.get(text, text), self.groups) is not None

    def split(self, text: str) -> list[str]:
        """`区工信局、商务局、科技局` → `[区工信局, 区商务局, 区科技局]`.

        Separators are `、` `,` `;` (either width) and whitespace, outside brackets. A bare name
        takes the prefix of the last prefixed name before it, unless it carries its own place
        (`上饶高新区`, `下溪街道`, a group) or the register knows it without the prefix.
        """
        folded = fold_width(text)
        folded = re.sub(r"\s*([()〈〉\[\]【】〔〕])\s*", r"\1", folded.strip())
        names: list[str] = []
        prefix: str | None = None
        for piece in split_top_level(folded, _SEPARATORS):
            name = normalize_name(piece)
            if name.endswith("等") and len(name) > 2:  # `区工信局等`: "and others" is not a unit
                name = name[:-1]
            if not name:
                continue
            own = own_prefix(name)
            if own is not None:
                prefix = own
            elif prefix is not None and self._inherits(name, prefix):
                name = prefix + name
            names.append(name)
        return names

    def _inherits(self, name: str, prefix: str) -> bool:
        if prefix + name in self.known or prefix + name in self.aliases:
            return True
        if name in self.known or name in self.aliases or self.is_group(name):
            return False
        return not _carries_own_place(name)

    def canonical(self, name: str) -> str:
        """The one name of a unit: alias table, then the known or seen 区-prefixed form.

        `工信局` → `区工信局` when `区工信局` is known or was seen; `区市管局` → `区市场监督管理局`.
        A name the register knows without the prefix stays without it. Groups keep their name.
        """
        text = normalize_name(name)
        for _ in range(4):  # aliases may chain; a cycle must not hang
            target = self._alias(text)
            if target is None or target == text:
                break
            text = target
        if self.is_group(text) or text in self.known:
            return text
        if own_prefix(text) is None:
            for pool in (self.known, self.seen):
                forms = [p + text for p in PREFIXES if p + text in pool]
                if len(forms) == 1:
                    return self._alias(forms[0]) or forms[0]
        elif text[1:] in self.known:
            return text[1:]
        return text

    def _alias(self, text: str) -> str | None:
        if text in self.aliases:
            return self.aliases[text]
        if own_prefix(text) is None:
            targets = {self.aliases[p + text] for p in PREFIXES if p + text in self.aliases}
            if len(targets) == 1:
                return targets.pop()
        return None

    def suggest(self, name: str, candidates: Iterable[str] | None = None) -> str | None:
        """The known (or seen) name `name` is probably a slip for, or None. Never applied."""
        text = self.canonical(name)
        pool = self.known | self.seen if candidates is None else {normalize_name(c) for c in candidates}
        matches = sorted(
            (c for c in pool if near_miss(text, c) and self.canonical(c) != text),
            key=lambda c: (-len(c), c),
        )
        return matches[0] if matches else None
