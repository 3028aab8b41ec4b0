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

# A task row may name a group instead of units: a name that stands for several units. `各<group>`
# stands for every unit of the group, `相关<group>` for the units the clerk chose for that task (the
# notice does not name them). Other offices write their own groups (`各县（市、区）人民政府`,
# `市级各相关部门`, `开发（度假）区管委会`); `is_group` recognises them by their shape.
ALL_PREFIX = "各"
RELEVANT_PREFIX = "相关"
TOWNSHIP_GROUP = "乡镇(街道)"  # the shipped example's group (its 23 townships are example data)

# Spelling variants every office uses; a clerk adds aliases in the register's 单位 sheet. Nothing
# here names a unit of one place: a campaign's own abbreviations are its register's aliases.
DEFAULT_ALIASES: Mapping[str, str] = MappingProxyType({
    "各乡镇街道": "各乡镇(街道)",
    "相关乡镇街道": "相关乡镇(街道)",
})

# Abbreviations every office uses, for a unit of the same level only: `区市管局` is
# `区市场监督管理局`, `市市场监管局` is `市市场监督管理局`; a bare `市场监管局` names no level and stays.
_ABBREVIATIONS: Mapping[str, str] = MappingProxyType({
    "市管局": "市场监督管理局", "市监局": "市场监督管理局", "市场监管局": "市场监督管理局",
})

# Administrative-level prefixes that a list shares: `区工信局、商务局` → `区商务局`. These three are
# always read; a notice's own level adds its prefix (`自治区`, `省`, `州`, `盟`, `旗`, `地区`), so
# `自治区发展改革委、财政厅` → `自治区财政厅` in a notice of an autonomous region.
PREFIXES = ("区", "县", "市")
LEVEL_PREFIXES = ("自治区", "地区", "省", "市", "州", "盟", "区", "县", "旗")
# Words that start with a prefix character without being one (`市政集团` is 区市政集团 when listed
# after a 区 unit, `市场监督管理局` likewise). `市政府…`, `市政协`, `市政务…`, `市政法委` do carry the prefix.
_PREFIX_WORDS = ("市场", "市管局", "市监局", "区域", "县域", "州府", "旗舰")
_MUNICIPAL_WORK = re.compile(r"^市政(?![府协务法])")
# A bare name carrying its own place is not given the list's prefix (`上饶高新区`, `永丰街道`,
# `饶丰灌区水资源保护中心`).
_OWN_PLACE_INSIDE = ("区", "县")
_OWN_PLACE_ENDINGS = ("街道", "镇", "乡", "村", "社区", "居委会", "管委会", "人民政府", "旗", "市")
_OWN_PLACE_STARTS = ("省", "国", "中国", "中央", "各", "相关", "全")

# Group shapes: a leading `各`/`相关`/`有关`; `…各(相关)部门`, `…有关单位` at the end; or a bracket that
# lists kinds of places instead of naming one (`县（市、区）人民政府`, `开发（度假）区管委会`).
_GROUP_STARTS = ("各", "相关", "有关", "其他相关", "其他有关", "其它相关", "其它有关")
_GROUP_ENDS = re.compile(r"(?:各[\u4e00-\u9fff]{0,6}|相关|有关)(?:部门|单位|机构|企业|地方)$")
_PLACE_KINDS = "县市区旗镇乡街道度假开发园场办"
_GROUP_BRACKET = re.compile(rf"\([{_PLACE_KINDS}]{{1,4}}(?:、[{_PLACE_KINDS}]{{1,4}})*\)")
# `各县、市、区政府`: a group whose kinds are listed with the list separator itself. Matched before
# splitting so the `、` inside it does not cut it into `各县`, `市`, `区政府`.
_LISTED_KINDS = re.compile(r"各(?:[县市区旗](?:、|，|,)){1,3}[县市区旗](?:人民政府|政府|委|管委会)?")
_KIND_JOINER = "\u2063"  # an invisible separator standing in for `、` inside such a group

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


def matching_close(folded: str, opening: int) -> int | None:
    """Index of the `)` closing the `(` at `opening` in width-folded text, or None if it never closes."""
    depth = 0
    for i in range(opening, len(folded)):
        if folded[i] == "(":
            depth += 1
        elif folded[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return None


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


@lru_cache(maxsize=4096)
def is_group(name: str) -> bool:
    """Whether a name stands for several units: `各乡镇(街道)`, `相关乡镇（街道）`, `各县（市、区）人民政府`,
    `市级各相关部门`, `开发（度假）区管委会` … (either bracket width). Its members are never guessed:
    the clerk lists them in the register."""
    text = normalize_name(name)
    text = DEFAULT_ALIASES.get(text, text)
    return bool(text) and (
        text.startswith(_GROUP_STARTS)
        or _GROUP_ENDS.search(text) is not None
        or _GROUP_BRACKET.search(text) is not None
    )


@lru_cache(maxsize=4096)
def is_relevant_group(name: str) -> bool:
    """A group whose members differ from task to task (`相关乡镇(街道)`, `市级各相关部门`, `有关单位`):
    the clerk chooses them in the task's row. Any other group (`各乡镇(街道)`) means all its members."""
    text = normalize_name(name)
    return is_group(text) and ("相关" in text or "有关" in text)


@lru_cache(maxsize=4096)
def group_key(name: str) -> str:
    """The group a name refers to, as the 单位 sheet's 分组 column writes it: without a leading
    `各`/`相关`/`有关` (`各县(市、区)人民政府` → `县(市、区)人民政府`; `市级各相关部门` stays)."""
    text = normalize_name(name)
    text = DEFAULT_ALIASES.get(text, text)
    for prefix in ("其他", "其它"):
        text = text.removeprefix(prefix)
    text = text.removeprefix(ALL_PREFIX)
    for prefix in (RELEVANT_PREFIX, "有关"):
        text = text.removeprefix(prefix)
    return text or normalize_name(name)


def own_prefix(name: str, prefixes: Iterable[str] = PREFIXES) -> str | None:
    """The administrative prefix a name starts with (`区工信局` → `区`, `市政府办` → `市`), if any."""
    if name.startswith(_PREFIX_WORDS) or _MUNICIPAL_WORK.match(name):
        return None
    for prefix in sorted(prefixes, key=len, reverse=True):
        if name.startswith(prefix) and len(name) > len(prefix):
            return prefix
    return None


def level_prefixes(level: str | None) -> tuple[str, ...]:
    """The prefixes a list shares in a notice of `level` (`自治区` adds `自治区` to 区/县/市)."""
    extra = (level,) if level in LEVEL_PREFIXES and level not in PREFIXES else ()
    return tuple(sorted((*PREFIXES, *extra), key=len, reverse=True))


def _carries_own_place(name: str, prefixes: Iterable[str] = PREFIXES) -> bool:
    return (
        own_prefix(name, prefixes) is not None
        or any(mark in name for mark in _OWN_PLACE_INSIDE)
        or name.endswith(_OWN_PLACE_ENDINGS)
        or name.startswith(_OWN_PLACE_STARTS)
        or is_group(name)
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
    `groups`: the register's group names (any name of a group's shape is a group, see `is_group`);
    `prefixes`: the level prefixes a list shares (`level_prefixes` of the notice's level).
    """

    def __init__(
        self,
        known: Iterable[str] = (),
        aliases: Mapping[str, str] = DEFAULT_ALIASES,
        groups: Iterable[str] = (),
        prefixes: Iterable[str] = PREFIXES,
    ) -> None:
        self.known: frozenset[str] = frozenset(normalize_name(n) for n in known)
        self.aliases: dict[str, str] = {normalize_name(k): normalize_name(v) for k, v in aliases.items()}
        self.groups: tuple[str, ...] = tuple(normalize_name(g) for g in groups)
        self.prefixes: tuple[str, ...] = tuple(sorted(set(prefixes), key=len, reverse=True))
        self.seen: frozenset[str] = frozenset()

    def _copy(self) -> UnitResolver:
        copy = UnitResolver.__new__(UnitResolver)
        copy.known, copy.aliases, copy.groups = self.known, self.aliases, self.groups
        copy.prefixes, copy.seen = self.prefixes, self.seen
        return copy

    def seeing(self, names: Iterable[str]) -> UnitResolver:
        """A copy that also counts `names` as seen (short forms resolve against them)."""
        copy = self._copy()
        copy.seen = self.seen | {normalize_name(n) for n in names}
        return copy

    def at_level(self, level: str | None) -> UnitResolver:
        """A copy whose lists also share the prefix of a notice of `level` (`自治区`, `州` …)."""
        copy = self._copy()
        copy.prefixes = tuple(sorted(set(self.prefixes) | set(level_prefixes(level)), key=len, reverse=True))
        return copy

    def is_group(self, name: str) -> bool:
        text = normalize_name(name)
        text = self.aliases.get(text, text)
        return is_group(text) or any(text == p + g for p in (ALL_PREFIX, RELEVANT_PREFIX) for g in self.groups)

    def split(self, text: str) -> list[str]:
        """`区工信局、商务局、科技局` → `[区工信局, 区商务局, 区科技局]`.

        Separators are `、` `,` `;` (either width) and whitespace, outside brackets. A bare name
        takes the prefix of the last prefixed name before it, unless it carries its own place
        (`上饶高新区`, `下溪街道`, a group) or the register knows it without the prefix.
        `各县、市、区政府` is one group, written `各县市区政府`.
        """
        folded = fold_width(text)
        folded = re.sub(r"\s*([()〈〉\[\]【】〔〕])\s*", r"\1", folded.strip())
        folded = _LISTED_KINDS.sub(lambda m: re.sub(r"[、,]", "", m.group(0)), folded)
        names: list[str] = []
        prefix: str | None = None
        for piece in split_top_level(folded, _SEPARATORS):
            name = normalize_name(piece)
            if name.endswith("等") and len(name) > 2:  # `区工信局等`: "and others" is not a unit
                name = normalize_name(name[:-1])
            if not name:
                continue
            own = own_prefix(name, self.prefixes)
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
        return not _carries_own_place(name, self.prefixes)

    def canonical(self, name: str) -> str:
        """The one name of a unit: alias table, then the known or seen prefixed form.

        `工信局` → `区工信局` when `区工信局` is known or was seen (and no other prefixed form is).
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
        prefix = own_prefix(text, self.prefixes)
        if prefix is None:
            for pool in (self.known, self.seen):
                forms = [p + text for p in self.prefixes if p + text in pool]
                if len(forms) == 1:
                    return self._alias(forms[0]) or forms[0]
        elif text[len(prefix):] in self.known:
            return text[len(prefix):]
        return text

    def _alias(self, text: str) -> str | None:
        if text in self.aliases:
            return self.aliases[text]
        prefix = own_prefix(text, self.prefixes)
        if prefix is not None and text[len(prefix):] in _ABBREVIATIONS:
            return prefix + _ABBREVIATIONS[text[len(prefix):]]  # `市市场监管局` → `市市场监督管理局`
        if prefix is None:
            targets = {self.aliases[p + text] for p in self.prefixes if p + text in self.aliases}
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
