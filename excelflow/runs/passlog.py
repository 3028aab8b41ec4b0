"""The collector's log file and its record of the last pass, both in `.excelflow/`.

`excelflow.log` is what the IT person opens when the outputs on the share look stale: one line per
event (pass done, pass failed with its traceback, lock taken over, output open in Excel), in
Chinese, appended and closed at once (a handle held open on a share blocks others) and bounded
in size by rotating to `excelflow.log.1` … `.3`.

`last-pass.json` is what `excelflow status` shows: the last successful pass and the last error.
It is written whole and atomically, and only by the holder of the collector lock.

Times are parameters: the caller passes the wall-clock time of the event.
"""

from __future__ import annotations

import json
import os
import traceback
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from excelflow.files import atomic_write_text, json_dumps, shown
from excelflow.workspace import Workspace

LOG_NAME = "excelflow.log"
RECORD_NAME = "last-pass.json"
MAX_LOG_BYTES = 1_000_000  # about 5,000 pass lines or a few hundred tracebacks
LOG_BACKUPS = 3

Level = Literal["info", "warning", "error"]
LEVEL_NAMES: dict[Level, str] = {"info": "信息", "warning": "警告", "error": "错误"}


def log_path(ws: Workspace) -> Path:
    return ws.state / LOG_NAME


def record_path(ws: Workspace) -> Path:
    return ws.state / RECORD_NAME


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")


def append_log(ws: Workspace, level: Level, message: str, *, at: datetime, detail: str | None = None) -> None:
    """Append one event to the log; `detail` (a traceback, a list) follows, indented."""
    path = log_path(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    _rotate_if_full(path)
    # File names and unit text reach the log: shown escaped (an ESC sequence must not act on the
    # terminal of whoever reads the log, a GBK name must not stop the write).
    head = f"{_stamp(at)} [{LEVEL_NAMES[level]}] pid={os.getpid()} {shown(message)}\n"
    body = "".join(f"    {shown(line)}\n" for line in (detail or "").rstrip("\n").splitlines())
    # Whole lines in O_APPEND writes, the handle closed at once (a handle held open on a share
    # blocks others). The event's line goes first and on its own: on a disk that just filled up,
    # the one line that says so may still fit where its traceback does not.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, head.encode("utf-8"))
        if body:
            try:
                os.write(fd, body.encode("utf-8"))
            except OSError:
                pass  # the line above was written; the detail is what a full disk costs
    finally:
        os.close(fd)


def log_exception(ws: Workspace, exc: BaseException, *, at: datetime, context: str) -> None:
    """Log `exc` with its full traceback under the Chinese `context` (e.g. "收集失败")."""
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    append_log(ws, "error", f"{context}:{exc}", at=at, detail=detail)


def _rotate_if_full(path: Path) -> None:
    try:
        if path.stat().st_size < MAX_LOG_BYTES:
            return
    except FileNotFoundError:
        return
    try:
        for index in range(LOG_BACKUPS - 1, 0, -1):
            older = path.with_name(f"{path.name}.{index}")
            if older.exists():
                os.replace(older, path.with_name(f"{path.name}.{index + 1}"))
        os.replace(path, path.with_name(f"{path.name}.1"))
    except OSError:
        pass  # someone has a log file open on Windows: keep appending, rotate next time


@dataclass(frozen=True)
class PassSuccess:
    """A pass that ran to the end. `finished_at` is wall-clock; `as_of` the pass's `now`."""

    finished_at: str
    as_of: str
    round: str | None
    seconds: float
    summary: str  # one Chinese line, e.g. "新收 3 份,输出更新 2 个"
    fallbacks: tuple[str, ...] = ()  # outputs written beside a file that was open in Excel


@dataclass(frozen=True)
class PassFailure:
    """A pass that raised. `message` is the error in one line; the traceback is in the log."""

    failed_at: str
    round: str | None
    error: str
    message: str


@dataclass(frozen=True)
class LastPass:
    success: PassSuccess | None
    failure: PassFailure | None

    def describe(self) -> list[str]:
        """Chinese lines for `excelflow status`."""
        lines: list[str] = []
        if self.success is None:
            lines.append("上次成功收集:尚无记录")
        else:
            s = self.success
            # The summary names the round as people say it (`2021年上半年(2021-H1):新收 3 份…`).
            lines.append(f"上次成功收集:{s.finished_at}(用时 {s.seconds:.1f} 秒)— {s.summary}")
            for path in s.fallbacks:
                lines.append(f"  注意:原文件被占用,新版写在 {path}")
        if self.failure is None:
            lines.append("上次出错:无")
        else:
            f = self.failure
            newer = self.success is None or f.failed_at > self.success.finished_at
            tail = "" if newer else "(之后已成功收集)"
            lines.append(f"上次出错:{f.failed_at}{tail} — {f.message}(详见 .excelflow/{LOG_NAME})")
        return lines


def read_last_pass(ws: Workspace) -> LastPass:
    """The record in `.excelflow/last-pass.json`; empty when absent or unreadable."""
    try:
        data = json.loads(record_path(ws).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return LastPass(None, None)
    success = data.get("last_success")
    failure = data.get("last_error")
    try:
        return LastPass(
            success=PassSuccess(**{**success, "fallbacks": tuple(success.get("fallbacks", ()))}) if success else None,
            failure=PassFailure(**failure) if failure else None,
        )
    except TypeError:  # written by another version: show nothing rather than fail `status`
        return LastPass(None, None)


def _write(ws: Workspace, last: LastPass) -> None:
    data = {
        "last_success": asdict(last.success) if last.success else None,
        "last_error": asdict(last.failure) if last.failure else None,
    }
    # Not synced: after a power cut that loses it, `status` shows the pass before (an unreadable
    # record shows none), and the next pass writes it again; a sync was most of its cost.
    atomic_write_text(record_path(ws), json_dumps(data, indent=1), durable=False)


def record_success(
    ws: Workspace,
    *,
    finished_at: datetime,
    as_of: datetime,
    round_id: str | None,
    seconds: float,
    summary: str,
    fallbacks: tuple[str, ...] = (),
) -> PassSuccess:
    """Keep a successful pass as the last one (the last error stays, for `status`)."""
    success = PassSuccess(
        finished_at=_stamp(finished_at),
        as_of=as_of.isoformat(timespec="seconds"),
        round=round_id,
        seconds=round(seconds, 3),
        summary=summary,
        fallbacks=fallbacks,
    )
    _write(ws, LastPass(success, read_last_pass(ws).failure))
    return success


def record_failure(ws: Workspace, exc: BaseException, *, failed_at: datetime, round_id: str | None) -> PassFailure:
    """Keep a failed pass as the last error (the last success stays)."""
    message = shown(" ".join(str(exc).split())) or "(无错误信息)"
    failure = PassFailure(failed_at=_stamp(failed_at), round=round_id, error=type(exc).__name__, message=message)
    _write(ws, LastPass(read_last_pass(ws).success, failure))
    return failure
