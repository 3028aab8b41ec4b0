"""Run the real `excelflow` command with every collect pass slowed down: `python slow_excelflow.py
SECONDS ARGS…` sleeps SECONDS after each new file a pass takes in.

The crash and concurrency tests kill or race real processes and need a pass long enough for a kill
to land inside it. The slowness is injected here, by the tests, through the pass's own progress
callback; production code carries no test hook.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime

from excelflow import cli
from excelflow.runs import watch
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


if __name__ == "__main__":
    watch.run_pass = _slow_pass(float(sys.argv[1]))  # type: ignore[assignment]
    sys.argv = ["excelflow", *sys.argv[2:]]
    cli.main()
