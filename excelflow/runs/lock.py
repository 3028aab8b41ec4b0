"""One collector at a time: a lock folder in the working folder, safe on SMB and NFS shares.

The working folder may be a Windows share opened from several PCs, where OS byte-range locks and
SQLite are unreliable. What every such file system does atomically is create a directory: exactly
one `os.mkdir` of `.excelflow/lock/` succeeds. The winner writes `owner.json` inside (pid, host,
user, start time, heartbeat) and a background thread rewrites the heartbeat while it holds the
lock, however long its pass runs.

A lock is *stale* when its owner cannot still be running: a pid that no longer exists on this
host, or a heartbeat older than `stale_after` seconds (the only evidence we have for another
host). A stale lock is taken over: renamed away in one atomic step (only one contender can win
that rename), checked to be the very lock judged stale, then deleted, and the takeover reported
to the caller so it can be logged.

This module reads the real clock on purpose: the lock is runtime machinery, not core logic.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from excelflow.errors import LockError
from excelflow.files import atomic_write_text
from excelflow.workspace import Workspace

OWNER_FILE = "owner.json"
HEARTBEAT_EVERY = 30.0  # seconds between heartbeats of the holder
STALE_AFTER = 600.0  # a heartbeat older than this means the holder is gone (generous: PC clocks drift)
# A lock folder without owner.json is being created right now (mkdir, then write). Only after this
# long is it the leftover of a process killed between the two steps.
UNOWNED_GRACE = 30.0
POLL_EVERY = 0.25  # seconds between attempts while waiting for the holder
# How long a contender waits past its deadline for a just-made lock's owner.json to appear.
OWNER_GRACE = 2.0


@dataclass(frozen=True)
class LockOwner:
    """Who holds a lock, as written in its `owner.json`. Times are ISO strings with offset."""

    pid: int
    host: str
    user: str
    started_at: str
    heartbeat_at: str
    token: str  # tells this holding apart from a later one by the same pid
    purpose: str = "collect"

    def describe(self) -> str:
        """Chinese description naming host, pid, user and since when."""
        return (
            f"主机 {self.host} 上的进程 {self.pid}(用户 {self.user}),"
            f"自 {_local_text(self.started_at)} 起占用,最近心跳 {_local_text(self.heartbeat_at)}"
        )


@dataclass(frozen=True)
class Takeover:
    """A stale lock that was removed so that this process could take the folder."""

    previous: LockOwner | None  # None: the lock folder had no readable owner.json
    reason: str  # Chinese, e.g. "进程 123 已不存在"
    at: datetime
    purpose: str = "collect"  # which lock: "collect" (one pass) or "watch" (one watcher)

    def describe(self) -> str:
        which = "值守锁" if self.purpose == "watch" else "收集锁"
        who = self.previous.describe() if self.previous else "锁文件夹中没有可读的持有者信息"
        return f"接管了过期的{which}:{who};原因:{self.reason}"


def _now() -> datetime:
    return datetime.now().astimezone()


def _local_text(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (service account without USERNAME): still lock, say so
        return "未知用户"


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists on this host (a zombie counts as gone)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - Windows only; os.kill(pid, 0) would kill it there
        return _pid_alive_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    stat = Path(f"/proc/{pid}/stat")
    try:
        # Field 3 is the state; after the ")" closing the command name. A killed child that its
        # parent has not reaped yet is "Z" and will never release anything.
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _pid_alive_windows(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes  # Windows only: the pid check; never imported elsewhere

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return bool(kernel32.GetLastError() == 5)  # ERROR_ACCESS_DENIED: exists, not ours
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def read_owner(lock_dir: Path) -> LockOwner | None:
    """The owner written in `lock_dir`, or None when there is none or it cannot be read."""
    try:
        data = json.loads((lock_dir / OWNER_FILE).read_text(encoding="utf-8"))
        return LockOwner(
            pid=int(data["pid"]),
            host=str(data["host"]),
            user=str(data["user"]),
            started_at=str(data["started_at"]),
            heartbeat_at=str(data["heartbeat_at"]),
            token=str(data["token"]),
            purpose=str(data.get("purpose", "collect")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stale_reason(
    owner: LockOwner | None,
    *,
    now: datetime,
    this_host: str,
    stale_after: float,
    unowned_age: float | None = None,
) -> str | None:
    """Why the lock held by `owner` is stale (Chinese), or None while it may still be held.

    `now` must be timezone-aware. `unowned_age` is the age in seconds of a lock folder that has
    no readable owner.json.
    """
    if owner is None:
        if unowned_age is not None and unowned_age > max(UNOWNED_GRACE, 0.0):
            return f"锁文件夹没有持有者信息,已存在 {unowned_age:.0f} 秒"
        return None
    if owner.host == this_host and not pid_alive(owner.pid):
        return f"本机进程 {owner.pid} 已不存在"
    try:
        beat = datetime.fromisoformat(owner.heartbeat_at)
        if beat.tzinfo is None:
            beat = beat.astimezone()
    except ValueError:
        return f"心跳时间无法识别({owner.heartbeat_at})"
    silent = (now - beat).total_seconds()
    if silent > stale_after:
        return f"已 {silent:.0f} 秒没有心跳(超过 {stale_after:.0f} 秒视为失效)"
    return None


class FolderLock:
    """The lock folder `path`: `acquire(wait)` and `release()`, or `with lock:` (acquire without waiting)."""

    def __init__(
        self,
        path: Path,
        *,
        purpose: str = "collect",
        stale_after: float = STALE_AFTER,
        heartbeat_every: float = HEARTBEAT_EVERY,
    ) -> None:
        self.path = path
        self.purpose = purpose
        self.stale_after = stale_after
        self.heartbeat_every = heartbeat_every
        self.host = socket.gethostname()
        self._owner: LockOwner | None = None
        self._stop_beat = threading.Event()
        self._beat: threading.Thread | None = None
        self.lost = False  # set when the heartbeat finds that someone else now holds the folder

    @property
    def held(self) -> bool:
        return self._owner is not None

    def acquire(self, wait: float = 0.0, on_takeover: Callable[[Takeover], None] | None = None) -> None:
        """Take the lock, waiting up to `wait` seconds for the holder; LockError if it stays held.

        Stale locks met on the way are taken over at once and passed to `on_takeover`.
        """
        if self._owner is not None:
            raise RuntimeError("lock already held by this object")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                os.mkdir(self.path)
            except FileExistsError:
                owner = read_owner(self.path)
                reason = stale_reason(
                    owner,
                    now=_now(),
                    this_host=self.host,
                    stale_after=self.stale_after,
                    unowned_age=self._folder_age() if owner is None else None,
                )
                if reason is not None:
                    takeover = self._break(owner, reason)
                    if takeover is not None:
                        if on_takeover is not None:
                            on_takeover(takeover)
                        continue  # the folder is free: try mkdir again
                    if not self.path.exists():
                        continue  # released meanwhile
                    # Another contender took it over first, or the share refused the rename:
                    # wait like for any holder (never spin).
                if time.monotonic() >= deadline:
                    # The holder makes the folder, then writes owner.json: in that instant there is
                    # no one to name. Give it a moment so the message can say who holds the folder.
                    if owner is None and time.monotonic() < deadline + OWNER_GRACE:
                        time.sleep(POLL_EVERY)
                        continue
                    raise LockError(self._busy_message(owner, wait)) from None
                time.sleep(POLL_EVERY)
                continue
            break
        stamp = _now().isoformat(timespec="milliseconds")
        owner = LockOwner(
            pid=os.getpid(),
            host=self.host,
            user=_user(),
            started_at=stamp,
            heartbeat_at=stamp,
            token=uuid.uuid4().hex,
            purpose=self.purpose,
        )
        try:
            self._write_owner(owner)
        except BaseException:
            shutil.rmtree(self.path, ignore_errors=True)
            raise
        self._owner = owner
        self.lost = False
        self._start_heartbeat()

    def release(self) -> None:
        """Give the lock back (only if it is still ours). Safe to call twice."""
        owner, self._owner = self._owner, None
        self._stop_heartbeat()
        if owner is None:
            return
        current = read_owner(self.path)
        if current is None or current.token != owner.token:
            return  # taken over while we ran: not ours to delete
        # Rename first so that no one ever sees a half-deleted lock folder.
        gone = self.path.with_name(f"{self.path.name}.released-{owner.token}")
        try:
            os.rename(self.path, gone)
        except OSError:
            return
        shutil.rmtree(gone, ignore_errors=True)

    def refresh(self) -> bool:
        """Rewrite the heartbeat; False (and `lost` set) if the folder is no longer ours."""
        owner = self._owner
        if owner is None:
            return False
        current = read_owner(self.path)
        if current is None or current.token != owner.token:
            self.lost = True
            return False
        beat = LockOwner(**{**asdict(owner), "heartbeat_at": _now().isoformat(timespec="milliseconds")})
        try:
            self._write_owner(beat)
        except OSError:
            return True  # a share hiccup: the next heartbeat tries again, well before staleness
        return True

    def __enter__(self) -> FolderLock:
        if self._owner is None:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- internals -------------------------------------------------------------------------

    def _write_owner(self, owner: LockOwner) -> None:
        atomic_write_text(self.path / OWNER_FILE, json.dumps(asdict(owner), ensure_ascii=False, indent=1))

    def _folder_age(self) -> float | None:
        try:
            return time.time() - self.path.stat().st_mtime
        except OSError:
            return None

    def _break(self, judged: LockOwner | None, reason: str) -> Takeover | None:
        """Remove the stale lock judged from `judged`; None if another contender got there first."""
        aside = self.path.with_name(f"{self.path.name}.stale-{uuid.uuid4().hex}")
        try:
            os.rename(self.path, aside)
        except OSError:
            return None  # gone already (another contender broke it, or the holder released it)
        found = read_owner(aside)
        same = (found is None and judged is None) or (
            found is not None and judged is not None and found.token == judged.token
        )
        if not same:
            # Between our look and our rename, someone else broke the stale lock and took the
            # folder: we moved a live lock. Put it back; if that fails the holder's heartbeat
            # will notice it lost the lock.
            try:
                os.rename(aside, self.path)
            except OSError:
                pass
            return None
        shutil.rmtree(aside, ignore_errors=True)
        return Takeover(previous=judged, reason=reason, at=datetime.now(), purpose=self.purpose)

    def _busy_message(self, owner: LockOwner | None, wait: float) -> str:
        what = "另一个 excelflow watch 正在值守这个工作文件夹" if self.purpose == "watch" else "另一个收集进程正在处理这个工作文件夹"
        who = owner.describe() if owner else "持有者信息尚未写入"
        return (
            f"{what}:{who}。已等待 {wait:.0f} 秒。"
            f"请稍后再试;如果该进程已经不存在,锁会被自动接管(本机进程退出后立即,"
            f"其他电脑上的进程在心跳停止 {self.stale_after / 60:.0f} 分钟后)。锁文件夹:{self.path}"
        )

    def _start_heartbeat(self) -> None:
        self._stop_beat = threading.Event()
        stop = self._stop_beat

        def beat() -> None:
            while not stop.wait(self.heartbeat_every):
                if not self.refresh():
                    return

        self._beat = threading.Thread(target=beat, name="excelflow-lock-heartbeat", daemon=True)
        self._beat.start()

    def _stop_heartbeat(self) -> None:
        self._stop_beat.set()
        if self._beat is not None and self._beat is not threading.current_thread():
            self._beat.join(timeout=5)
        self._beat = None


def collector_lock(ws: Workspace, *, stale_after: float = STALE_AFTER) -> FolderLock:
    """The lock every collect pass holds: `.excelflow/lock/`."""
    return FolderLock(ws.state / "lock", purpose="collect", stale_after=stale_after)


def watcher_lock(ws: Workspace, *, stale_after: float = STALE_AFTER) -> FolderLock:
    """Held by `excelflow watch` for its whole life, so that one folder has one watcher."""
    return FolderLock(ws.state / "watch.lock", purpose="watch", stale_after=stale_after)

