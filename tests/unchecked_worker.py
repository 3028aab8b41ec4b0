"""A parse worker for tests/test_workers.py: the real `parse_worker` with the declared-size checks
switched off (standing for a hostile file the checks do not foresee, so the real reader meets it
inside the real memory limit), and two markers a test puts in a file's bytes: `HANG-FOREVER`
makes the parse never end, `ABORT-NOW` aborts the process as a native reader would. An output
to draw whose data names an `abort_if` file that exists aborts the worker drawing it (the file is
removed first when the data also says `once`)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import excelflow.intake.extract as extract
import excelflow.intake.read as read
from excelflow.intake.declared import Declared
from excelflow.runs import parse_worker

_real_read = read.read_return


def _read(data: bytes, path: str, *args: Any, **kwargs: Any) -> Any:
    if b"HANG-FOREVER" in data:
        time.sleep(3600)
    if b"ABORT-NOW" in data:
        os.abort()
    return _real_read(data, path, *args, **kwargs)


_real_render = parse_worker.render


def _render(kind: str, args: dict[str, Any], *rest: Any) -> bytes:
    flag = args.get("abort_if")
    if flag and os.path.exists(flag):
        if args.get("once"):
            os.unlink(flag)
        os.abort()
    return _real_render(kind, args, *rest)


if __name__ == "__main__":
    read.read_return = _read  # type: ignore[assignment]
    parse_worker.render = _render  # type: ignore[assignment]
    # Nothing checked, nothing known of the sheets' sizes: every sheet is read.
    extract.check_declared = lambda data, kind, archive=None: Declared()  # type: ignore[assignment]
    sys.exit(parse_worker.main(sys.argv))
