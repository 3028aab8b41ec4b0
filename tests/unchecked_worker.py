"""A parse worker for tests/test_workers.py: the real `parse_worker` with the declared-size checks
switched off (standing for a hostile file the checks do not foresee, so the real reader meets it
inside the real memory limit), and two markers a test puts in a file's bytes: `HANG-FOREVER`
makes the parse never end, `ABORT-NOW` aborts the process as a native reader would."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import excelflow.intake.extract as extract
import excelflow.intake.read as read
from excelflow.runs import parse_worker

_real_read = read.read_return


def _read(data: bytes, path: str, *args: Any, **kwargs: Any) -> Any:
    if b"HANG-FOREVER" in data:
        time.sleep(3600)
    if b"ABORT-NOW" in data:
        os.abort()
    return _real_read(data, path, *args, **kwargs)


if __name__ == "__main__":
    read.read_return = _read  # type: ignore[assignment]
    extract.check_declared = lambda data, kind: None  # type: ignore[assignment]
    sys.exit(parse_worker.main(sys.argv))
