"""Run the real `excelflow` command with every collect pass slowed down: `python slow_excelflow.py
SECONDS [--stale-after S --heartbeat H] [--slow-sync S --sync-log FILE] ARGS…` sleeps SECONDS after
each new file a pass takes in, and, with the two options, runs the collector lock with those timings
(seconds) instead of the production ones (10 minutes, 30 s), so a test can pause a holder past the
stale time. With `--slow-sync`, every batched commit of synced writes (`files.SyncBatch.commit`)
first appends a line to FILE and sleeps S seconds (its files are written, not yet synced), and
sleeps S seconds again after syncing them, so a test can land a kill inside a commit.

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
from typing import Any

from excelflow import cli, files
from excelflow.runs import watch
from excelflow.runs.lock import LockTiming
from excelflow.runs.pass_report import CollectReport
from excelflow.workspace import Workspace

_real_pass = watch.run_pass


def _slow_pass(seconds: float) -> Callable[..., CollectReport]:
    def run(ws: Workspace, *, round_id: str | None, now: datetime,
            progress: Callable[[int, int], None] | None = None, start: Any = None) -> CollectReport:
        def tick(done: int, total: int) -> None:
            if progress is not None:
                progress(done, total)
            time.sleep(seconds)

        return _real_pass(ws, round_id=round_id, now=now, progress=tick, start=start)

    return run


def _take_options(args: list[str]) -> tuple[dict[str, str], list[str]]:
    options: dict[str, str] = {}
    while args and args[0] in ("--stale-after", "--heartbeat", "--slow-sync", "--sync-log"):
        options[args[0]] = args[1]
        args = args[2:]
    return options, args


def _slow_commits(seconds: float, log: str) -> None:
    real_commit = files.SyncBatch.commit

    def commit(batch: files.SyncBatch) -> None:
        count = len(batch)
        if count:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(f"{count}\n")
            time.sleep(seconds)
        real_commit(batch)
        if count:
            time.sleep(seconds)

    files.SyncBatch.commit = commit  # type: ignore[method-assign]


if __name__ == "__main__":
    watch.run_pass = _slow_pass(float(sys.argv[1]))  # type: ignore[assignment]
    options, rest = _take_options(sys.argv[2:])
    if "--stale-after" in options or "--heartbeat" in options:
        timing = LockTiming(stale_after=float(options.get("--stale-after", 600.0)),
                            heartbeat_every=float(options.get("--heartbeat", 30.0)))
        watch.guarded_pass = functools.partial(watch.guarded_pass, timing=timing)  # type: ignore[assignment]
    if "--slow-sync" in options:
        _slow_commits(float(options["--slow-sync"]), options["--sync-log"])
    sys.argv = ["excelflow", *rest]
    cli.main()
