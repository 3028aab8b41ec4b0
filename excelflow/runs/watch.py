"""Unattended collection: the one collect pass, under the lock, logged, on a schedule.

`guarded_pass` is what both `excelflow collect` and every tick of `excelflow watch` run: take the
collector lock (waiting a while for a holder, taking over a stale one and logging it), run
`collect.run_pass`, record the outcome in `.excelflow/last-pass.json` and the log, release the lock.

`run_loop` is the in-process scheduler, built on `schedule`. Two things it guarantees beyond
`schedule` itself:

- Ticks that were missed (the PC slept, a pass ran long) give ONE pass on waking, not a burst.
  `schedule` already runs each overdue job once and reschedules it from now; with several `--at`
  times all overdue, the loop still runs a single pass, because jobs only mark the loop "due".
- A pass that raises never ends the loop: the error and its traceback are in the log, and the
  next tick runs.

The loop takes `clock` and `sleep` so tests can move time; the CLI passes the real ones.
"""

from __future__ import annotations

import datetime as _dt
import re
import signal
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import schedule

from excelflow.errors import ExcelflowError, LockError, LockLost, WorkspaceError
from excelflow.files import fenced, os_error_reason, shown
from excelflow.runs.collect import PassStart, run_pass, start_pass
from excelflow.runs.lock import LockTiming, log_takeover, take_collector_lock, watcher_lock
from excelflow.runs.mail_pass import answer_after_pass, fetch_before_pass
from excelflow.runs.pass_report import CollectReport
from excelflow.runs.passlog import append_log, log_exception, log_path, record_failure, record_success
from excelflow.workspace import Workspace

MAX_NAP = 1.0  # seconds; the loop looks at the clock at least this often (notices a resume from sleep)
DEFAULT_WAIT = 60.0  # seconds a pass waits for another collector before giving up

_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|秒|m|min|分|分钟|h|小时)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "秒": 1, "m": 60, "min": 60, "分": 60, "分钟": 60, "h": 3600, "小时": 3600}
_AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Trigger:
    """When passes run: every `every`, or daily at each `at` time ("08:30")."""

    every: timedelta | None = None
    at: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.at:
            return "每天 " + "、".join(self.at) + " 收集"
        assert self.every is not None
        seconds = int(self.every.total_seconds())
        if seconds % 3600 == 0:
            return f"每 {seconds // 3600} 小时收集一次"
        if seconds % 60 == 0:
            return f"每 {seconds // 60} 分钟收集一次"
        return f"每 {seconds} 秒收集一次"

    def add_jobs(self, scheduler: schedule.Scheduler, job: Callable[[], None]) -> None:
        if self.at:
            for at in self.at:
                scheduler.every().day.at(at).do(job)
        else:
            assert self.every is not None
            scheduler.every(max(int(self.every.total_seconds()), 1)).seconds.do(job)


def parse_every(text: str) -> timedelta:
    """`15m`, `2s`, `1h`, `90` (seconds) → timedelta; ValueError with a Chinese message."""
    match = _EVERY.match(text)
    if not match:
        raise ValueError(f"「{text}」不是时间间隔,例如 15m(分钟)、2h(小时)、30s(秒)")
    seconds = float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "s").lower()]
    if seconds < 1:
        raise ValueError(f"时间间隔「{text}」太短,至少 1 秒")
    return timedelta(seconds=seconds)


def parse_at(text: str) -> tuple[str, ...]:
    """`08:30,17:30` → ("08:30", "17:30"); ValueError with a Chinese message."""
    times: list[str] = []
    for part in re.split(r"[,,、\s]+", text.strip()):
        if not part:
            continue
        match = _AT.match(part)
        if not match:
            raise ValueError(f"「{part}」不是时刻,请写成 08:30 这样的 24 小时制,多个用逗号分隔")
        times.append(f"{int(match.group(1)):02d}:{match.group(2)}")
    if not times:
        raise ValueError("请至少给出一个时刻,例如 --at 08:30,17:30")
    return tuple(sorted(set(times)))


def _clocked_datetime_module(clock: Callable[[], datetime]) -> types.SimpleNamespace:
    """A stand-in for the `datetime` module whose `datetime.now()` is `clock()`."""

    class _Clocked(_dt.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            moment = clock()
            return moment if tz is None else moment.astimezone(tz)

    shim = types.SimpleNamespace(**{name: getattr(_dt, name) for name in dir(_dt) if not name.startswith("__")})
    shim.datetime = _Clocked
    return shim


@contextmanager
def _schedule_reads(shim: types.SimpleNamespace) -> Iterator[None]:
    """Make `schedule` read the loop's clock, for the calls made inside.

    `schedule` calls `datetime.datetime.now()` itself and offers no hook, so the loop swaps the
    module's `datetime` name for a shim around its own (single-threaded) calls. The CLI passes
    the real clock, so tests and production take the same path.
    """
    module: Any = schedule  # an untyped module whose global we swap for the loop's clock
    real = module.datetime
    module.datetime = shim
    try:
        yield
    finally:
        module.datetime = real


def run_loop(
    trigger: Trigger,
    tick: Callable[[], None],
    *,
    stop: threading.Event,
    clock: Callable[[], datetime] = datetime.now,
    sleep: Callable[[float], None] | None = None,
    run_at_start: bool = True,
    max_nap: float = MAX_NAP,
) -> int:
    """Call `tick` on `trigger`'s schedule until `stop` is set; returns how many ticks ran.

    `tick` must not raise (see `watch_tick`); a BaseException such as KeyboardInterrupt (a second
    Ctrl+C) leaves the loop at once. `sleep` defaults to waiting on `stop`, so a stop request
    wakes the loop immediately.
    """
    nap = sleep if sleep is not None else (lambda seconds: stop.wait(seconds) and None)
    scheduler = schedule.Scheduler()
    shim = _clocked_datetime_module(clock)
    due = run_at_start

    def mark_due() -> None:
        nonlocal due
        due = True

    with _schedule_reads(shim):
        trigger.add_jobs(scheduler, mark_due)
    ticks = 0
    while not stop.is_set():
        with _schedule_reads(shim):
            scheduler.run_pending()  # each overdue job fires once and is rescheduled from now
        if due:
            due = False
            tick()
            ticks += 1
            continue  # a tick that fell due during a long pass runs once, right away
        with _schedule_reads(shim):
            idle = scheduler.idle_seconds
        nap(min(max(idle if idle is not None else max_nap, 0.0), max_nap))
    return ticks


# -- the guarded pass ------------------------------------------------------------------------


def summarise(report: CollectReport) -> tuple[str, tuple[str, ...]]:
    """One Chinese summary line for the log and console, and the outputs written beside a file
    that was open (in Excel, say) and could not be replaced."""
    parts = [f"{report.round_name or '轮次 ' + report.round_id}:新收 {len(report.new)} 份"]
    if report.pending:
        parts.append(f"待重试 {len(report.pending)} 份(可能仍在复制)")
    if report.unreadable:
        parts.append(f"无法读取 {len(report.unreadable)} 个")
    if report.unidentified:
        parts.append(f"无法识别 {len(report.unidentified)} 份")
    parts.append(f"更新输出 {len(report.outputs)} 个" if report.outputs else "输出无变化")
    fallbacks = tuple(str(p) for p in report.fallbacks)
    if fallbacks:
        parts.append(f"{len(fallbacks)} 个输出因原文件被占用另存为「(新版-原文件被占用)」")
    return ",".join(parts), fallbacks


def as_workspace_error(exc: OSError) -> WorkspaceError:
    """An OS error no writer translated (reading a folder, say), as an `Error:` a clerk can act on."""
    where = f" {shown(str(exc.filename))}" if exc.filename else ""
    return WorkspaceError(f"无法访问{where}:{os_error_reason(exc)}。请检查该文件夹后重新运行;"
                          "已写好的文件都是完整的,下次运行会补上其余的。")


def guarded_pass(
    ws: Workspace,
    *,
    round_id: str | None,
    now: datetime,
    wait: float = DEFAULT_WAIT,
    clock: Callable[[], datetime] = datetime.now,
    progress: Callable[..., None] | None = None,
    timing: LockTiming | None = None,
    start: PassStart | None = None,
) -> CollectReport:
    """One collect pass under the collector lock, with its outcome logged and recorded.

    Raises LockError if another collector keeps the folder for `wait` seconds (nothing is
    recorded: this pass did not run), `LockLost` if the lock was taken over during the pass (it
    stopped without writing more), and re-raises whatever else the pass raised after logging it
    with its traceback and recording it as the last error; an OS error is raised as a
    `WorkspaceError` naming the path in Chinese.
    """
    lock = take_collector_lock(ws, wait=wait, timing=timing)
    context = f"收集失败(轮次 {round_id or '默认'})"
    unlogged: tuple[Exception, datetime] | None = None
    try:
        with fenced(lock.fence()):
            started = time.monotonic()
            try:
                report = run_pass(ws, round_id=round_id, now=now, progress=progress, start=start)
            except LockLost as exc:
                _best_effort_log(ws, "warning", f"收集中止:{exc}", clock)
                raise
            except Exception as exc:
                error: Exception = exc
                if isinstance(exc, OSError) and not isinstance(exc, ExcelflowError):
                    error = as_workspace_error(exc)
                at = clock()
                try:
                    log_exception(ws, exc, at=at, context=context)
                except OSError:
                    # The disk that failed the pass may refuse the log too: tried again below, once
                    # the lock's own files are gone; the error is raised either way.
                    unlogged = (exc, at)
                try:
                    record_failure(ws, error, failed_at=at, round_id=round_id)
                except (ExcelflowError, OSError):
                    pass
                if error is exc:
                    raise
                raise error from exc
            line, fallbacks = summarise(report)
            finished = clock()
            record_success(
                ws, finished_at=finished, as_of=now, round_id=round_id,
                seconds=time.monotonic() - started, summary=line, fallbacks=fallbacks,
            )
        _best_effort_log(ws, "info", f"收集完成:{line}", clock, at=finished)
        for path in fallbacks:
            _best_effort_log(ws, "warning", f"原文件正被打开(例如在 Excel 中),新版写在旁边:{path}", clock, at=finished)
        return report
    finally:
        lock.release()
        if unlogged is not None:
            try:
                log_exception(ws, unlogged[0], at=unlogged[1], context=context)
            except OSError:
                pass


def watch_tick(
    ws: Workspace,
    *,
    round_id: str | None,
    wait: float,
    clock: Callable[[], datetime] = datetime.now,
    echo: Callable[[str], None] = lambda line: None,
    fixed_now: datetime | None = None,
) -> Callable[[], None]:
    """The tick `run_loop` calls for `excelflow watch`: a guarded pass that never raises.

    Each pass is judged as of the clock's time when it starts, or `fixed_now` if given.
    """

    said: list[str] = []  # the round last said, so that why it was taken is said once per change

    def tick() -> None:
        now = fixed_now if fixed_now is not None else clock().replace(microsecond=0)
        start = start_pass(ws)  # the inbox scanned; many new files: the workers start now
        try:
            fetched = fetch_before_pass(ws, now, clock)  # never raises: a mail server down is logged
            for line in fetched:
                echo(f"{clock():%H:%M:%S} {line}")
            if fetched:
                start.inbox_changed()  # the fetch may have saved files
            report = guarded_pass(ws, round_id=round_id, now=now, wait=wait, clock=clock, start=start)
        except LockLost as exc:
            echo(f"{clock():%H:%M:%S} 本次收集中止:{exc}")  # logged by guarded_pass
        except LockError as exc:
            echo(f"{clock():%H:%M:%S} 跳过本次:{exc}")
            _best_effort_log(ws, "warning", f"跳过本次收集:{exc}", clock)
        except Exception as exc:  # logged with traceback by guarded_pass; the loop goes on
            echo(f"{clock():%H:%M:%S} 收集失败:{exc}(详见 {log_path(ws)})")
        else:
            echo(f"{clock():%H:%M:%S} {summarise(report)[0]}")
            if report.round_reason and said[-1:] != [report.round_id]:
                echo(f"  ({report.round_reason})")
            said[:] = [report.round_id]
            for line in answer_after_pass(ws, report, now, clock):
                echo(f"{clock():%H:%M:%S} {line}")
        finally:
            start.close()

    return tick


def _best_effort_log(ws: Workspace, level: Any, message: str, clock: Callable[[], datetime],
                     at: datetime | None = None) -> None:
    try:
        append_log(ws, level, message, at=at or clock())
    except OSError:
        pass  # the share is away or full; the console line was printed, the next tick tries again


def watch(
    ws: Workspace,
    trigger: Trigger,
    *,
    round_id: str | None,
    wait: float,
    stop: threading.Event,
    clock: Callable[[], datetime] = datetime.now,
    sleep: Callable[[float], None] | None = None,
    echo: Callable[[str], None] = lambda line: None,
    fixed_now: datetime | None = None,
) -> int:
    """`excelflow watch`: hold the watcher lock and run guarded passes until `stop` is set.

    Raises LockError if another watch keeps this folder for `wait` seconds. Returns the number
    of ticks run.
    """
    lock = watcher_lock(ws)
    lock.acquire(wait=wait, on_takeover=log_takeover(ws))
    try:
        append_log(ws, "info", f"开始值守 {ws.root.resolve()}:{trigger.describe()}", at=clock())
        ticks = 0
        try:
            ticks = run_loop(
                trigger,
                watch_tick(ws, round_id=round_id, wait=wait, clock=clock, echo=echo, fixed_now=fixed_now),
                stop=stop, clock=clock, sleep=sleep,
            )
        except KeyboardInterrupt:
            _best_effort_log(ws, "warning", "收到第二次停止信号,放弃当前收集(输出为原子写入,不会留下半个文件)", clock)
            raise
        _best_effort_log(ws, "info", f"停止值守(共收集 {ticks} 次)", clock)
        return ticks
    finally:
        lock.release()


def stop_on_signals() -> tuple[threading.Event, Callable[[], None]]:
    """A stop event set by SIGTERM/SIGINT (see `install_stop_handlers`), and the function that
    restores the previous handlers."""
    stop = threading.Event()
    return stop, install_stop_handlers(stop)


def install_stop_handlers(stop: threading.Event) -> Callable[[], None]:
    """SIGTERM/SIGINT (and SIGBREAK on Windows): the first finishes the current pass and stops,
    a second abandons it at once. Returns a function restoring the previous handlers."""

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    names = ["SIGTERM", "SIGINT", "SIGBREAK"]
    previous = {}
    for name in names:
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
