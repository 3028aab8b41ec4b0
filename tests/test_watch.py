"""The watch loop on an injected clock, its options, and the pass log / last-pass record."""

from __future__ import annotations

import datetime as datetime_module
import hashlib
import json
import re
import shutil
import signal
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import schedule
from click.testing import CliRunner
from watch_helpers import NOW, ROUND, drop, log_text, make_workspace, passes_done, start_watch, wait_for

from excelflow.cli import main
from excelflow.files import atomic_write_bytes
from excelflow.runs import passlog
from excelflow.runs.passlog import append_log, log_exception, read_last_pass, record_failure, record_success
from excelflow.runs.watch import Trigger, guarded_pass, parse_at, parse_every, run_loop
from excelflow.workspace import Workspace


class FakeTime:
    """A clock the loop reads and a sleep that moves it; `suspend` makes the PC sleep at a time."""

    def __init__(self, start: datetime, stop: threading.Event, until: datetime) -> None:
        self.now = start
        self.stop = stop
        self.until = until
        self.suspends: dict[datetime, timedelta] = {}
        self.naps = 0

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.naps += 1
        self.now += timedelta(seconds=seconds)
        for at, length in list(self.suspends.items()):
            if self.now >= at:
                del self.suspends[at]
                self.now += length
        if self.now >= self.until:
            self.stop.set()


def run_recording(trigger: Trigger, fake: FakeTime) -> list[datetime]:
    ticks: list[datetime] = []
    run_loop(trigger, lambda: ticks.append(fake.clock()), stop=fake.stop, clock=fake.clock, sleep=fake.sleep)
    return ticks


def test_every_runs_at_start_then_each_interval() -> None:
    start = datetime(2021, 6, 15, 9, 0, 0)
    stop = threading.Event()
    fake = FakeTime(start, stop, until=start + timedelta(minutes=50))
    ticks = run_recording(Trigger(every=timedelta(minutes=15)), fake)
    assert [t - start for t in ticks] == [timedelta(minutes=m) for m in (0, 15, 30, 45)]


def test_ticks_slept_through_give_one_pass_on_waking_not_a_burst() -> None:
    start = datetime(2021, 6, 15, 9, 0, 0)
    stop = threading.Event()
    fake = FakeTime(start, stop, until=start + timedelta(hours=4))
    fake.suspends[start + timedelta(minutes=20)] = timedelta(hours=3)  # lid closed at 09:20 until 12:20
    ticks = run_recording(Trigger(every=timedelta(minutes=15)), fake)
    offsets = [t - start for t in ticks]
    woke = timedelta(hours=3, minutes=20)
    assert offsets[:2] == [timedelta(0), timedelta(minutes=15)]
    assert offsets[2] == woke  # the 12 ticks missed while asleep: one pass on waking ...
    assert offsets[3] == woke + timedelta(minutes=15)  # ... and the rhythm resumes from there
    assert len(ticks) == 2 + 1 + 2  # 12:20, 12:35, 12:50 then stop at 13:00
    assert schedule.datetime is datetime_module  # the loop gave `schedule` its real clock back


def test_fixed_times_all_missed_overnight_give_one_pass() -> None:
    start = datetime(2021, 6, 15, 7, 0, 0)
    stop = threading.Event()
    fake = FakeTime(start, stop, until=datetime(2021, 6, 16, 9, 0, 0))
    fake.suspends[datetime(2021, 6, 15, 8, 0, 0)] = timedelta(hours=24)  # asleep over 08:30 and 17:30
    ticks = run_recording(Trigger(at=parse_at("08:30,17:30")), fake)
    assert ticks[0] == start  # on start
    # 08:30 and 17:30 were both overdue on waking at 08:00 next day: one pass, then 08:30 as usual
    assert datetime(2021, 6, 16, 8, 0, 0) <= ticks[1] < datetime(2021, 6, 16, 8, 0, 2)
    assert ticks[2:] == [datetime(2021, 6, 16, 8, 30)]


def test_fixed_times_fire_at_their_times() -> None:
    start = datetime(2021, 6, 15, 7, 0, 0)
    stop = threading.Event()
    fake = FakeTime(start, stop, until=datetime(2021, 6, 16, 9, 0, 0))
    ticks = run_recording(Trigger(at=parse_at("17:30, 08:30")), fake)
    assert ticks == [
        start,
        datetime(2021, 6, 15, 8, 30),
        datetime(2021, 6, 15, 17, 30),
        datetime(2021, 6, 16, 8, 30),
    ]


def test_loop_stops_between_ticks_when_asked() -> None:
    start = datetime(2021, 6, 15, 9, 0, 0)
    stop = threading.Event()
    fake = FakeTime(start, stop, until=start + timedelta(days=1))
    ticks: list[datetime] = []

    def tick() -> None:
        ticks.append(fake.clock())
        if len(ticks) == 2:
            stop.set()  # what the SIGTERM handler does mid-pass: this pass finishes, no other starts

    run_loop(Trigger(every=timedelta(minutes=15)), tick, stop=stop, clock=fake.clock, sleep=fake.sleep)
    assert len(ticks) == 2


@pytest.mark.parametrize(("text", "seconds"), [("15m", 900), ("2s", 2), ("1h", 3600), ("90", 90), ("10分钟", 600)])
def test_every_accepts_common_spellings(text: str, seconds: int) -> None:
    assert parse_every(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "15x", "0s", "m15"])
def test_every_rejects_nonsense_in_chinese(text: str) -> None:
    with pytest.raises(ValueError, match="时间间隔"):
        parse_every(text)


def test_at_accepts_lists_and_rejects_bad_times() -> None:
    assert parse_at("8:30,17:30") == ("08:30", "17:30")
    assert parse_at("17:30、08:30") == ("08:30", "17:30")
    with pytest.raises(ValueError, match="24 小时制"):
        parse_at("25:00")


# -- pass log and last-pass record -------------------------------------------------------------


def test_last_pass_keeps_last_success_and_last_error(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    assert read_last_pass(ws).describe() == ["上次成功收集:尚无记录", "上次出错:无"]
    record_success(ws, finished_at=datetime(2021, 6, 15, 9, 0, 5), as_of=datetime(2021, 6, 15, 9, 0),
                   round_id="2021-H1", seconds=1.25, summary="新收 3 份")
    try:
        raise PermissionError("无法读取 workbooks/register.xlsx")
    except PermissionError as exc:
        record_failure(ws, exc, failed_at=datetime(2021, 6, 15, 9, 15, 1), round_id="2021-H1")
    last = read_last_pass(ws)
    assert last.success is not None and last.success.summary == "新收 3 份"
    assert last.failure is not None and last.failure.error == "PermissionError"
    text = "\n".join(last.describe())
    assert "2021-06-15 09:00:05" in text and "2021-06-15 09:15:01" in text and "之后已成功" not in text

    record_success(ws, finished_at=datetime(2021, 6, 15, 9, 30, 2), as_of=datetime(2021, 6, 15, 9, 30),
                   round_id="2021-H1", seconds=0.5, summary="无新文件")
    assert "(之后已成功收集)" in "\n".join(read_last_pass(ws).describe())
    assert not [p for p in ws.state.iterdir() if p.name.startswith(".tmp-")]  # written atomically


def test_log_holds_traceback_and_stays_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace(tmp_path)
    try:
        {}["登记表"]
    except KeyError as exc:
        log_exception(ws, exc, at=datetime(2021, 6, 15, 9, 0), context="收集失败")
    text = passlog.log_path(ws).read_text(encoding="utf-8")
    assert "2021-06-15 09:00:00 [错误]" in text and "收集失败:'登记表'" in text  # no class name in the line
    assert "KeyError: '登记表'" in text  # the traceback below it has it, for whoever debugs
    assert "Traceback (most recent call last)" in text and "test_log_holds_traceback" in text

    monkeypatch.setattr(passlog, "MAX_LOG_BYTES", 2_000)  # a small bound, to rotate within a test
    for i in range(200):
        append_log(ws, "info", f"第 {i} 次收集完成", at=datetime(2021, 6, 15, 9, 0))
    files = sorted(p.name for p in ws.state.iterdir() if p.name.startswith("excelflow.log"))
    assert files == ["excelflow.log", "excelflow.log.1", "excelflow.log.2", "excelflow.log.3"]
    assert all((ws.state / name).stat().st_size < 2_200 for name in files)
    assert "第 199 次收集完成" in passlog.log_path(ws).read_text(encoding="utf-8")


# -- the real thing: `excelflow watch` in a child process on a real working folder ---------------


@pytest.fixture(scope="module")
def fresh_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder with the 2021 register and its H1 workbooks, nothing returned yet."""
    root = tmp_path_factory.mktemp("base") / "督查 2021"
    make_workspace(root)
    return root


def entry_units(root: Path) -> set[str]:
    """Units with at least one received entry in the round's state file."""
    data = json.loads((root / "outbox" / ROUND / "状态.json").read_text(encoding="utf-8"))
    return {e["unit"] for e in data["entries"] if e["state"] != "missing"}


def new_since(root: Path, seen: int) -> int:
    """Returns collected by the passes logged after the first `seen` ones."""
    return sum(int(re.search(r"新收 (\d+) 份", line).group(1)) for line in passes_done(root)[seen:])  # type: ignore[union-attr]


def output_stats(root: Path) -> dict[str, tuple[int, str]]:
    out = {}
    for path in sorted((root / "outbox").rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def test_watch_collects_each_tick_and_survives_a_failing_one(fresh_folder: Path, tmp_path: Path) -> None:
    root = tmp_path / "共享" / "督查 2021"
    shutil.copytree(fresh_folder, root)
    templates = root / "outbox" / ROUND / "templates"
    register = root / "workbooks" / "register.xlsx"
    proc = start_watch(root, "--every", "2s")
    try:
        wait_for(lambda: len(passes_done(root)) >= 1)
        assert "新收 0 份" in passes_done(root)[0]

        seen = len(passes_done(root))
        drop(root, templates, ["区工信局", "丰溪街道"])  # between ticks (or across one: both are fine)
        wait_for(lambda: new_since(root, seen) == 2)
        assert entry_units(root) == {"区工信局", "丰溪街道"}

        before = output_stats(root)
        seen = len(passes_done(root))
        wait_for(lambda: len(passes_done(root)) >= seen + 1)  # a tick with nothing new ...
        assert "新收 0 份" in passes_done(root)[-1] and "输出无变化" in passes_done(root)[-1]
        assert output_stats(root) == before  # ... rewrote nothing, not even with the same bytes

        good = register.read_bytes()
        atomic_write_bytes(register, b"not a workbook: saved half-way by a crashed Excel")
        wait_for(lambda: "收集失败" in log_text(root))
        atomic_write_bytes(register, good)  # the clerk puts the register right
        seen = len(passes_done(root))
        drop(root, templates, ["区发改委"])
        wait_for(lambda: new_since(root, seen) == 1)
        assert entry_units(root) == {"区工信局", "丰溪街道", "区发改委"}
        assert proc.poll() is None  # the failing tick did not end the loop

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait()

    log = log_text(root)
    failure = log[log.index("收集失败"):]
    assert "Traceback (most recent call last)" in failure.split("收集完成")[0]  # logged with its traceback
    assert "停止值守" in log
    assert not (root / ".excelflow" / "lock").exists() and not (root / ".excelflow" / "watch.lock").exists()
    console = (root.parent / "watch.out").read_text(encoding="utf-8")
    assert "收集失败" in console and "已停止值守" in console

    shown = CliRunner().invoke(main, ["status", "--root", str(root), "--round", ROUND, "--now", NOW])
    assert shown.exit_code == 0, shown.output
    last_summary = passes_done(root)[-1].split("收集完成:")[1]
    assert "上次成功收集:" in shown.output and last_summary in shown.output
    assert "上次出错:" in shown.output and "(之后已成功收集)" in shown.output


def test_pass_with_nothing_new_opens_no_workbook_and_changes_no_output(fresh_folder: Path, tmp_path: Path) -> None:
    root = tmp_path / "督查 2021"
    shutil.copytree(fresh_folder, root)
    drop(root, root / "outbox" / ROUND / "templates", ["区工信局", "洋口镇"])
    ws = Workspace(root)
    now = datetime.fromisoformat(NOW)
    first = guarded_pass(ws, round_id=ROUND, now=now)
    assert len(first.new) == 2
    before = output_stats(root)

    opened: list[str] = []
    OPENED.append(opened)
    try:
        again = guarded_pass(ws, round_id=ROUND, now=now)
    finally:
        OPENED.remove(opened)
    workbooks = [p for p in opened if Path(p).suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods")]
    assert workbooks == []  # neither a return, nor an archived copy, nor the register, nor an output
    assert opened  # the hook did see the pass's own files (its cache, the lock, the log)
    assert again.new == [] and again.outputs == []
    assert output_stats(root) == before


# Paths opened (Python's "open" audit event) while a list is on this stack. Audit hooks cannot
# be removed, so the one hook installed here records only while a test asks it to.
OPENED: list[list[str]] = []


def _record_open(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and OPENED and isinstance(args[0], (str, Path)):
        OPENED[-1].append(str(args[0]))


sys.addaudithook(_record_open)
