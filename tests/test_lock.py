"""The one-collector lock, exercised with real processes: holders, waiters, killed holders."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from excelflow.errors import LockError
from excelflow.runs.lock import FolderLock, Takeover, collector_lock, read_owner, stale_reason, watcher_lock
from excelflow.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent

# A child process that takes the collector lock, says so, holds it for argv[2] seconds (or until
# killed), and releases it. With argv[3] it appends start/end marks to that file around the hold.
HOLDER = """
import sys, time, os
from pathlib import Path
from excelflow.runs.lock import collector_lock
from excelflow.workspace import Workspace
lock = collector_lock(Workspace(Path(sys.argv[1])))
lock.heartbeat_every = 0.2
lock.acquire(wait=60)
marks = Path(sys.argv[3]) if len(sys.argv) > 3 else None
if marks:
    with open(marks, "a") as f: f.write(f"start {os.getpid()}\\n")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
if marks:
    with open(marks, "a") as f: f.write(f"end {os.getpid()}\\n")
lock.release()
"""


def start_holder(root: Path, seconds: float, marks: Path | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", HOLDER, str(root), str(seconds)] + ([str(marks)] if marks else [])
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE if marks is None else subprocess.DEVNULL, text=True)


def wait_held(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    proc.stdout.close()  # nothing more to read; an open pipe would leak (warnings are errors)


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def write_owner(lock_dir: Path, *, pid: int, host: str, heartbeat: datetime, silent: float = 0.0) -> None:
    """A lock held by `pid` on `host`, whose record last changed `silent` seconds ago as the file
    system's own timestamps tell (what staleness is judged by; `heartbeat` is only shown)."""
    lock_dir.mkdir(parents=True)
    stamp = heartbeat.astimezone().isoformat()
    owner = {"pid": pid, "host": host, "user": "clerk", "started_at": stamp, "heartbeat_at": stamp, "token": "t1"}
    record = lock_dir / "owner.json"
    record.write_text(json.dumps(owner), encoding="utf-8")
    if silent:
        old = time.time() - silent
        os.utime(record, (old, old))


def test_second_collector_is_refused_with_holder_named(tmp_path: Path) -> None:
    holder = start_holder(tmp_path, 30)
    try:
        wait_held(holder)
        lock = collector_lock(Workspace(tmp_path))
        started = time.monotonic()
        with pytest.raises(LockError) as caught:
            lock.acquire(wait=0.6)
        assert time.monotonic() - started >= 0.6  # it waited before refusing
        message = str(caught.value)
        assert f"进程 {holder.pid}" in message
        assert socket.gethostname() in message
        assert "另一个收集进程" in message and "起占用" in message
    finally:
        holder.kill()
        holder.wait()


def test_waiting_collector_gets_the_lock_when_holder_finishes(tmp_path: Path) -> None:
    holder = start_holder(tmp_path, 0.8)
    wait_held(holder)
    lock = collector_lock(Workspace(tmp_path))
    lock.acquire(wait=20)
    try:
        assert holder.wait(timeout=5) == 0
        owner = read_owner(tmp_path / ".excelflow" / "lock")
        assert owner is not None and owner.pid == os.getpid()
    finally:
        lock.release()
    assert not (tmp_path / ".excelflow" / "lock").exists()


def test_lock_of_killed_process_is_taken_over_and_reported(tmp_path: Path) -> None:
    holder = start_holder(tmp_path, 60)
    wait_held(holder)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    lock_dir = tmp_path / ".excelflow" / "lock"
    assert read_owner(lock_dir) is not None  # the killed holder left its lock behind

    takeovers: list[Takeover] = []
    lock = collector_lock(Workspace(tmp_path))
    lock.acquire(wait=0, on_takeover=takeovers.append)
    try:
        assert [t.previous.pid for t in takeovers if t.previous] == [holder.pid]
        assert f"本机进程 {holder.pid} 已不存在" in takeovers[0].describe()
        owner = read_owner(lock_dir)
        assert owner is not None and owner.pid == os.getpid()
        assert not [p for p in lock_dir.parent.iterdir() if ".stale-" in p.name]  # removed, not piled up
    finally:
        lock.release()


def test_other_host_lock_is_stale_only_after_heartbeat_limit(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    lock_dir = ws.state / "lock"
    write_owner(lock_dir, pid=1, host="DUCHA-PC", heartbeat=datetime.now() - timedelta(seconds=30), silent=30)
    fresh = FolderLock(lock_dir, stale_after=60)
    with pytest.raises(LockError, match="主机 DUCHA-PC 上的进程 1"):
        fresh.acquire(wait=0)

    takeovers: list[Takeover] = []
    lenient = FolderLock(lock_dir, stale_after=10)
    lenient.acquire(wait=0, on_takeover=takeovers.append)
    lenient.release()
    assert len(takeovers) == 1 and "秒没有心跳" in takeovers[0].reason


def test_dead_pid_on_this_host_is_stale_even_with_fresh_heartbeat(tmp_path: Path) -> None:
    now = datetime.now().astimezone()
    host = socket.gethostname()
    write_owner(tmp_path / "dead", pid=dead_pid(), host=host, heartbeat=now)
    write_owner(tmp_path / "alive", pid=os.getpid(), host=host, heartbeat=now)
    assert stale_reason(read_owner(tmp_path / "dead"), this_host=host, stale_after=600, silent_for=0) is not None
    assert stale_reason(read_owner(tmp_path / "alive"), this_host=host, stale_after=600, silent_for=0) is None


def test_lock_folder_with_unreadable_owner_is_only_stale_after_grace(tmp_path: Path) -> None:
    lock_dir = tmp_path / ".excelflow" / "lock"
    lock_dir.mkdir(parents=True)
    (lock_dir / "owner.json").write_text("{", encoding="utf-8")  # damaged by hand, or by a share
    with pytest.raises(LockError, match="持有者信息尚未写入"):
        FolderLock(lock_dir).acquire(wait=0.3)
    old = time.time() - 120
    os.utime(lock_dir, (old, old))  # unchanged for two minutes, as the file system tells
    takeovers: list[Takeover] = []
    lock = FolderLock(lock_dir)
    lock.acquire(wait=0, on_takeover=takeovers.append)
    lock.release()
    assert len(takeovers) == 1 and takeovers[0].previous is None


def test_an_empty_lock_folder_left_by_an_earlier_version_blocks_nobody(tmp_path: Path) -> None:
    # Earlier versions made the folder, then wrote owner.json: killed in between, they left an
    # empty folder. The lock now appears in one rename with its owner inside, onto that name.
    lock_dir = tmp_path / ".excelflow" / "lock"
    lock_dir.mkdir(parents=True)
    started = time.monotonic()
    lock = FolderLock(lock_dir)
    lock.acquire(wait=0)
    try:
        assert time.monotonic() - started < 2
        owner = read_owner(lock_dir)
        assert owner is not None and owner.pid == os.getpid()
    finally:
        lock.release()


def test_a_contender_killed_before_its_rename_leaves_nothing_in_the_way(tmp_path: Path) -> None:
    # The lock folder is prepared with its owner under another name and renamed into place: a
    # kill before the rename leaves only the prepared folder, swept by the next contender.
    ws = Workspace(tmp_path)
    write_owner(ws.state / "lock.new-0123", pid=dead_pid(), host=socket.gethostname(), heartbeat=datetime.now())
    lock = collector_lock(ws)
    lock.acquire(wait=0)
    lock.release()
    assert sorted(p.name for p in ws.state.iterdir()) == []


def test_holder_heartbeat_moves_forward_while_held(tmp_path: Path) -> None:
    lock = FolderLock(tmp_path / "lock", heartbeat_every=0.1)
    lock.acquire()
    try:
        first = read_owner(tmp_path / "lock")
        time.sleep(0.5)
        later = read_owner(tmp_path / "lock")
        assert first is not None and later is not None
        assert later.heartbeat_at > first.heartbeat_at
        assert later.started_at == first.started_at and later.token == first.token
    finally:
        lock.release()


def test_holder_that_lost_its_lock_does_not_delete_the_new_one(tmp_path: Path) -> None:
    lock_dir = tmp_path / "lock"
    first = FolderLock(lock_dir, heartbeat_every=3600, stale_after=0.2)
    first.acquire()
    time.sleep(0.4)  # first's heartbeat is now older than the limit, as if its PC had hung
    second = FolderLock(lock_dir, heartbeat_every=3600, stale_after=0.2)
    second.acquire(wait=0)
    try:
        holder = read_owner(lock_dir)
        assert first.refresh() is False and first.lost
        first.release()
        assert read_owner(lock_dir) == holder  # second's lock is untouched
    finally:
        second.release()
    assert not lock_dir.exists()


def test_contending_processes_hold_the_lock_one_at_a_time(tmp_path: Path) -> None:
    # A stale lock left by a dead process, then five processes racing for the folder at once:
    # exactly one may break the stale lock, and holds never overlap.
    write_owner(tmp_path / ".excelflow" / "lock", pid=dead_pid(), host=socket.gethostname(), heartbeat=datetime.now())
    marks = tmp_path / "marks.txt"
    procs = [start_holder(tmp_path, 0.15, marks) for _ in range(5)]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    lines = marks.read_text().split()
    events = list(zip(lines[0::2], lines[1::2]))
    assert len(events) == 10
    for opened, closed in zip(events[0::2], events[1::2]):
        assert opened[0] == "start" and closed == ("end", opened[1])
    assert sorted(int(pid) for kind, pid in events if kind == "start") == sorted(p.pid for p in procs)
    assert not (tmp_path / ".excelflow" / "lock").exists()


def test_watcher_lock_is_separate_from_collector_lock(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    watcher = watcher_lock(ws)
    watcher.acquire()
    try:
        collector = collector_lock(ws)
        collector.acquire(wait=0)  # a manual collect may run while a watch waits between ticks
        collector.release()
        with pytest.raises(LockError, match="另一个 excelflow watch 正在值守"):
            watcher_lock(ws).acquire(wait=0)
    finally:
        watcher.release()
