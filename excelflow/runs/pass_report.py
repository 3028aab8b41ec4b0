"""The record of one collect pass: what it found and wrote (`CollectReport`).

Made by `collect.run_pass` (or, for a pass with nothing new, by `snapshot.from_snapshot`); read
by the terminal summary, the pass log and the demo.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import overload

from excelflow.intake.records import Submission
from excelflow.intake.scan import Unreadable
from excelflow.register.model import Task
from excelflow.reports.ledger import EntryOutline, EntryState


class LazyStates(Sequence[EntryState]):
    """Entry states built only when something reads them, from outlines already at hand.

    A pass answered from its snapshot has each entry's outline (`EntryOutline`: what the summary
    and `--check` read); the states with their contents and sources (a city's 10,800) are built by
    `build` the first time they are read, which the terminal summary never does."""

    def __init__(self, outlines: Sequence[EntryOutline], build: Callable[[], list[EntryState]]) -> None:
        self.outlines = outlines
        self._build: Callable[[], list[EntryState]] | None = build
        self._states: list[EntryState] = []

    def _built(self) -> list[EntryState]:
        if self._build is not None:
            self._states = self._build()
            self._build = None
        return self._states

    def __len__(self) -> int:
        return len(self.outlines)

    @overload
    def __getitem__(self, index: int) -> EntryState: ...
    @overload
    def __getitem__(self, index: slice) -> list[EntryState]: ...
    def __getitem__(self, index: int | slice) -> EntryState | list[EntryState]:
        return self._built()[index]

    def __iter__(self) -> Iterator[EntryState]:
        return iter(self._built())

    def __eq__(self, other: object) -> bool:  # as the list of states it stands for
        return isinstance(other, Sequence) and not isinstance(other, str) and self._built() == list(other)

    __hash__ = None  # type: ignore[assignment]  # equal to a list: unhashable like one

    def __repr__(self) -> str:
        return f"LazyStates({len(self)} states{', built' if self._build is None else ''})"


@dataclass(frozen=True)
class CollectReport:
    """What one pass found and wrote. Paths are absolute; Submission paths are inbox-relative."""

    round_id: str
    as_of: datetime
    new: list[Submission]
    pending: list[str]
    states: Sequence[EntryState]  # a list, or `LazyStates` for a pass answered from its snapshot
    unidentified: list[Submission]
    outputs: list[Path]
    duplicates: list[str] = field(default_factory=list)  # inbox paths whose bytes were already archived
    other_rounds: dict[str, int] = field(default_factory=dict)  # round → new returns this pass
    unknown_rounds: list[Submission] = field(default_factory=list)  # returns for rounds not in the register
    fallbacks: list[Path] = field(default_factory=list)  # outputs written beside a file open in Excel
    unchosen_relevant: tuple[Task, ...] = ()
    unreadable: list[Unreadable] = field(default_factory=list)  # inbox files or folders that cannot be read
    rendered: bool = False  # False: nothing changed, no output was even rendered
    round_reason: str = ""  # why this round, when --round did not name it (said to the clerk)
    round_name: str = ""  # the round as the clerk reads it: `2021年上半年(2021-H1)`

    @property
    def round(self) -> str:
        return self.round_id

    def outlines(self) -> Sequence[EntryOutline]:
        """Each entry's state as the summary and `--check` read it, without building the states of a
        pass answered from its snapshot."""
        return self.states.outlines if isinstance(self.states, LazyStates) else self.states
