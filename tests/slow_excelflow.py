"""Run the real `excelflow` command with every collect pass slowed down: `python slow_excelflow.py
SECONDS [--stale-after S --heartbeat H] ARGS…` sleeps SECONDS after each new file a pass takes in,
and, with the two options, runs the collector lock with those timings (seconds) instead of the
production ones (10 minutes, 30 s), so a test can pause a holder past the stale time.

The crash, concurrency and lock tests kill, pause or race real processes and need a pass long
enough for a signal to land inside it. The slowness and the timings are injected here, by the
tests, through the pass's own progress callback and `guarded_pass`'s `timing` parameter;
production code carries no test hook.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from datetime import datetime

from excelflow import cli
from excelflow.runs import watch
from excelflow.runs.lock import LockTiming
from excelflow.runs.pass_report import CollectReport
from excelflow.workspace import Workspace

_real_pass = watch.run_pass


def _slow_pass(seconds: float) -> Callable[..., CollectReport]:
    def run(ws: Workspace, *, round_id: str | None, now: datetime,
            progress: Callable[[int, int], None] | None = None) -> CollectReport:
        def tick(done: int, total: int) -> None:
            if progress is not None:
                progress(done, total)
            time.sleep(seconds)

        return _real_pass(ws, round_id=round_id, now=now, progress=tick)

    return run


def _take_options(args: list[str]) -> tuple[dict[str, float], list[str]]:
    options: dict[str, float] = {}
    while args and args[0] in ("--stale-after", "--heartbeat"):
        options[args[0]] = float(args[1])
        args = args[2:]
    return options, args


if __name__ == "__main__":
    watch.run_pass = _slow_pass(float(sys.argv[1]))  # type: ignore[assignment]
    options, rest = _take_options(sys.argv[2:])
    if options:
        timing = LockTiming(stale_after=options.get("--stale-after", 600.0),
                            heartbeat_every=options.get("--heartbeat", 30.0))
        watch.guarded_pass = functools.partial(watch.guarded_pass, timing=timing)  # type: ignore[assignment]
    sys.argv = ["excelflow", *rest]
    cli.main()
