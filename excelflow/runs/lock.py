"""One collector at a time: a lock folder in the working folder, safe on SMB and NFS shares.

The working folder may be a Windows share opened from several PCs, where OS byte-range locks and
SQLite are unreliable. What every such file system does atomically is create a directory, and
rename one onto a name that does not exist: a contender prepares `.excelflow/lock.new-<token>/`
holding its `owner.json` (pid, host, user, start, heartbeat, token) and renames it to
`.excelflow/lock/`; exactly one rename wins, and the lock never exists without its owner (a kill
between the two steps leaves only a `lock.new-…` folder, which blocks nobody). A background thread
rewrites the heartbeat while the lock is held, however long the pass runs.

Fencing. A lease can be lost while its holder is paused (SIGSTOP, a laptop lid, a stalled share):
it wakes believing it still holds the folder. So every write of a pass goes through `fence()`:
before each write the lock is checked to be still this holder's (`check` raises `LockLost`): its
own folder inside the lock (`lock/w-<token>/`) is still there, else the token in `owner.json` is
its own. The temporary file of each write lives in that folder.
A takeover renames the whole lock folder away, so a holder that resumes between its check and
its rename finds its temporary file gone and writes nothing. The heartbeat writes the same way,
so it never overwrites another owner's record.

Staleness is judged without comparing two machines' clocks: a lock is stale when its owner is on
this host and its pid is gone, or when `owner.json` has not changed for `stale_after` seconds as
the file server's own timestamps tell (the modification time of `owner.json` against that of a
probe file this contender writes beside it now), or as this contender's own monotonic clock has
watched it. A stale lock is taken over: renamed away in one atomic step (only one contender can
win that rename), checked to be the very lock judged stale, then deleted, and the takeover
reported to the caller so it can be logged.

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
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

from excelflow.errors import LockError, LockLost
from excelflow.files import WriteFailed, WriteFence, atomic_write_text, fenced, json_dumps, shown
from excelflow.runs.passlog import append_log
from excelflow.workspace import Workspace

OWNER_FILE = "owner.json"
HEARTBEAT_EVERY = 30.0  # seconds between heartbeats of the holder
STALE_AFTER = 600.0  # a heartbeat unchanged this long means the holder is gone (generous: shares stall)
# A lock folder without a readable owner.json: an earlier excelflow's (mkdir, then write) whose
# process was killed between its two steps, or one whose record a power cut lost (it is written
# without a sync, `RECORD_DURABLE`). Taken over once it has not changed for this long.
UNOWNED_GRACE = 10.0
POLL_EVERY = 0.25  # seconds between attempts while waiting for the holder
# How long a contender waits past its deadline for a just-made lock's owner.json to appear.
OWNER_GRACE = 2.0
# Whether owner.json (taking the lock, each heartbeat) is synced: no. Its sync was 20-45 ms of
# every pass here, more on a share, and what a power cut can cost is a lock taken over after
# `UNOWNED_GRACE` seconds instead of at once (its holder's process is gone anyway).
RECORD_DURABLE = False


@dataclass(frozen=True)
class LockTiming:
    """How often the holder beats and how long a silent lock is trusted (tests shorten both)."""

    stale_after: float = STALE_AFTER
    heartbeat_every: float = HEARTBEAT_EVERY


@dataclass(frozen=True)
class LockOwner:
    """Who holds a lock, as written in its `owner.json`. Times are ISO strings with offset, the
    holder's own wall clock: shown to people, never compared with another machine's clock."""

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
            f"主机 {shown(self.host)} 上的进程 {self.pid}(用户 {shown(self.user)}),"
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
    this_host: str,
    stale_after: float,
    silent_for: float | None,
    unowned_grace: float = UNOWNED_GRACE,
) -> str | None:
    """Why the lock held by `owner` is stale (Chinese), or None while it may still be held.

    `silent_for` is how long, in seconds, the lock's record has not changed, measured on one
    clock only (the file server's timestamps, or this process's monotonic clock); None when it
    cannot be told. For a lock folder without a readable owner.json it is the folder's silence.
    """
    if owner is None:
        if silent_for is not None and silent_for > max(unowned_grace, 0.0):
            return f"锁文件夹没有持有者信息,已 {silent_for:.0f} 秒没有变化"
        return None
    if owner.host == this_host and not pid_alive(owner.pid):
        return f"本机进程 {owner.pid} 已不存在"
    if silent_for is not None and silent_for > stale_after:
        return f"已 {silent_for:.0f} 秒没有心跳(超过 {stale_after:.0f} 秒视为失效)"
    return None


@dataclass
class _Watch:
    """What a contender has seen of the current lock record, on its own monotonic clock."""

    key: tuple[int, int, int] | None = None
    since: float = 0.0


class FolderLock:
    """The lock folder `path`; use `acquire`/`release`, and `fence()` for the holder's writes."""

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
        self._own_dir = ""  # the holder's own folder inside the lock, as text
        self._stop_beat = threading.Event()
        self._beat: threading.Thread | None = None
        self._watch = _Watch()
        self.lost = False  # set when the heartbeat or a check finds that someone else now holds the folder

    @property
    def held(self) -> bool:
        return self._owner is not None

    @property
    def work_dir(self) -> Path:
        """The holder's own folder inside the lock: its temporary files, gone with the lock."""
        if self._owner is None:
            raise RuntimeError("lock not held")
        return self.path / f"w-{self._owner.token}"

    def acquire(self, wait: float = 0.0, on_takeover: Callable[[Takeover], None] | None = None) -> None:
        """Take the lock, waiting up to `wait` seconds for the holder; LockError if it stays held.

        Stale locks met on the way are taken over at once and passed to `on_takeover`.
        """
        if self._owner is not None:
            raise RuntimeError("lock already held by this object")
        stamp = _now().isoformat(timespec="milliseconds")
        owner = LockOwner(pid=os.getpid(), host=self.host, user=_user(), started_at=stamp, heartbeat_at=stamp,
                          token=uuid.uuid4().hex, purpose=self.purpose)
        prepared = self.path.with_name(f"{self.path.name}.new-{owner.token}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._sweep_leftovers()
            os.mkdir(prepared)
            os.mkdir(prepared / f"w-{owner.token}")
            _write_record(prepared, owner)
        except OSError as exc:
            shutil.rmtree(prepared, ignore_errors=True)
            raise WriteFailed(self.path.parent, exc) from exc
        deadline = time.monotonic() + max(wait, 0.0)
        try:
            while True:
                try:
                    os.rename(prepared, self.path)  # atomic, and fails when the lock exists
                    break
                except OSError as exc:
                    if not self.path.exists():
                        if prepared.exists():
                            raise WriteFailed(self.path.parent, exc) from exc
                        raise  # our prepared folder vanished: nothing sensible to do
                current, reason = self._judge()
                if reason is not None:
                    takeover = self._break(current, reason)
                    if takeover is not None:
                        if on_takeover is not None:
                            on_takeover(takeover)
                        continue  # the folder is free: try again
                    if not self.path.exists():
                        continue  # released meanwhile
                    # Another contender took it over first, or the share refused the rename:
                    # wait like for any holder (never spin).
                if time.monotonic() >= deadline:
                    # An earlier excelflow made the folder, then wrote owner.json: in that instant
                    # there is no one to name. Give it a moment so the message can say who holds it.
                    if current is None and time.monotonic() < deadline + OWNER_GRACE:
                        time.sleep(POLL_EVERY)
                        continue
                    raise LockError(self._busy_message(current, wait)) from None
                time.sleep(POLL_EVERY)
        except BaseException:
            shutil.rmtree(prepared, ignore_errors=True)
            raise
        self._owner = owner
        self._own_dir = os.path.join(self.path, f"w-{owner.token}")  # `check` stats it before every write
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

    def check(self) -> None:
        """Raise `LockLost` unless this process still holds the lock (read from the share now)."""
        owner = self._owner
        if owner is None:
            raise LockLost("本进程没有持有收集锁,不能写入。")
        if not self.lost:
            # Our own folder inside the lock exists only in the lock this holder made (a new
            # owner's holds its own token's), so one stat answers for the thousands of writes of
            # a pass (6 µs; reading owner.json took 29). Without it, owner.json says.
            if os.path.isdir(self._own_dir):
                return
            current = read_owner(self.path)
            if current is not None and current.token == owner.token:
                return
            self.lost = True
        raise LockLost(
            f"本次收集期间,收集锁已被其他进程接管(本进程可能被暂停或与共享盘断开超过 {self.stale_after:.0f} 秒),"
            f"本进程已停止,之后没有写入任何文件。锁文件夹:{shown(str(self.path))}")

    def fence(self) -> WriteFence:
        """The fence for this holder's writes (see `files.fenced`)."""
        if self._owner is None:
            raise RuntimeError("lock not held")
        return WriteFence(temp_dir=self.work_dir, check=self.check, tag=self._owner.token[:12])

    def refresh(self) -> bool:
        """Rewrite the heartbeat; False (and `lost` set) if the folder is no longer ours."""
        owner = self._owner
        if owner is None:
            return False
        beat = replace(owner, heartbeat_at=_now().isoformat(timespec="milliseconds"))
        try:
            # Fenced like every write of the holder: checked first, and the temporary file is in
            # our own folder, so a heartbeat never replaces another owner's record.
            with fenced(WriteFence(temp_dir=self.path / f"w-{owner.token}", check=self.check, tag=owner.token[:12])):
                atomic_write_text(self.path / OWNER_FILE, json_dumps(asdict(beat), indent=1), durable=RECORD_DURABLE)
        except LockLost:
            return False
        except WriteFailed:
            return True  # a share hiccup: the next heartbeat tries again, well before staleness
        return True

    def __enter__(self) -> FolderLock:
        if self._owner is None:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- internals -------------------------------------------------------------------------

    def _judge(self) -> tuple[LockOwner | None, str | None]:
        """The current holder and why its lock is stale (None while it may be held)."""
        owner = read_owner(self.path)
        record = self.path / OWNER_FILE if owner is not None else self.path
        try:
            st = record.stat()
        except OSError:
            return owner, None  # released meanwhile: the next attempt finds out
        silent: float | None = None
        server_now = self._server_now()
        if server_now is not None:
            silent = max(server_now - st.st_mtime, 0.0)
        # The same record (file, size, time) seen since `since` on our own monotonic clock: a
        # server whose timestamps cannot be trusted still cannot keep a dead lock alive forever.
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if self._watch.key != key:
            self._watch = _Watch(key, time.monotonic())
        watched = time.monotonic() - self._watch.since
        silent = watched if silent is None else max(silent, watched)
        return owner, stale_reason(owner, this_host=self.host, stale_after=self.stale_after, silent_for=silent)

    def _server_now(self) -> float | None:
        """The file server's time now: the modification time of a probe file written beside the
        lock (the same clock that stamped owner.json). None if the folder takes no file."""
        probe = self.path.with_name(f".clock-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:
            return None
        try:
            os.write(fd, b"t")
            return os.fstat(fd).st_mtime
        except OSError:
            return None
        finally:
            os.close(fd)
            try:
                os.unlink(probe)
            except OSError:
                pass

    def _sweep_leftovers(self) -> None:
        """Remove what killed contenders left beside the lock: a prepared folder whose owner was a
        process of this host that is gone, a broken or released lock that was not deleted yet.
        A prepared folder of another host is left (it blocks nobody; its owner may be alive)."""
        try:
            names = os.listdir(self.path.parent)
        except OSError:
            return
        base = self.path.name
        for name in names:
            leftover = self.path.with_name(name)
            if name.startswith((f"{base}.stale-", f"{base}.released-")):
                shutil.rmtree(leftover, ignore_errors=True)
            elif name.startswith(f"{base}.new-"):
                owner = read_owner(leftover)
                if owner is not None and owner.host == self.host and not pid_alive(owner.pid):
                    shutil.rmtree(leftover, ignore_errors=True)
            elif name.startswith(".clock-"):
                try:
                    pid = int(name.split("-")[1])
                except (IndexError, ValueError):
                    continue
                if not pid_alive(pid):
                    try:
                        os.unlink(leftover)
                    except OSError:
                        pass

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
            # folder: we moved a live lock. Put it back; if that fails the holder's next check
            # finds its lock gone and stops without writing.
            try:
                os.rename(aside, self.path)
            except OSError:
                pass
            return None
        # The stale holder's temporary files are inside: known gone with it.
        shutil.rmtree(aside, ignore_errors=True)
        self._watch = _Watch()
        return Takeover(previous=judged, reason=reason, at=datetime.now(), purpose=self.purpose)

    def _busy_message(self, owner: LockOwner | None, wait: float) -> str:
        what = "另一个 excelflow watch 正在值守这个工作文件夹" if self.purpose == "watch" else "另一个收集进程正在处理这个工作文件夹"
        who = owner.describe() if owner else "持有者信息尚未写入"
        return (
            f"{what}:{who}。已等待 {wait:.0f} 秒。"
            f"请稍后再试;如果该进程已经不存在,锁会被自动接管(本机进程退出后立即,"
            f"其他电脑上的进程在心跳停止 {self.stale_after / 60:.0f} 分钟后)。锁文件夹:{shown(str(self.path))}"
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


def _write_record(folder: Path, owner: LockOwner) -> None:
    """owner.json of a prepared lock folder (its temporary file in the holder's own folder)."""
    work = folder / f"w-{owner.token}"
    with fenced(WriteFence(temp_dir=work, check=lambda: None, tag=owner.token[:12])):
        atomic_write_text(folder / OWNER_FILE, json_dumps(asdict(owner), indent=1), durable=RECORD_DURABLE)


def collector_lock(ws: Workspace, *, stale_after: float = STALE_AFTER,
                   heartbeat_every: float = HEARTBEAT_EVERY) -> FolderLock:
    """The lock every collect pass (and `compare`) holds: `.excelflow/lock/`."""
    return FolderLock(ws.state / "lock", purpose="collect", stale_after=stale_after, heartbeat_every=heartbeat_every)


def watcher_lock(ws: Workspace, *, stale_after: float = STALE_AFTER,
                 heartbeat_every: float = HEARTBEAT_EVERY) -> FolderLock:
    """Held by `excelflow watch` for its whole life, so that one folder has one watcher."""
    return FolderLock(ws.state / "watch.lock", purpose="watch", stale_after=stale_after,
                      heartbeat_every=heartbeat_every)


def log_takeover(ws: Workspace) -> Callable[[Takeover], None]:
    def log(takeover: Takeover) -> None:
        try:
            append_log(ws, "warning", takeover.describe(), at=takeover.at)
        except OSError:
            pass  # the takeover itself is done; a log hiccup must not undo the acquisition

    return log


def take_collector_lock(ws: Workspace, *, wait: float, timing: LockTiming | None = None) -> FolderLock:
    """The collector lock, acquired (waiting up to `wait` s, taking over a stale one and logging it).

    Every command that writes the archive, the outputs or the pass cache holds it (collect, each
    tick of watch, compare) and writes inside `files.fenced(lock.fence())`.
    """
    timing = timing or LockTiming()
    lock = collector_lock(ws, stale_after=timing.stale_after, heartbeat_every=timing.heartbeat_every)
    lock.acquire(wait=wait, on_takeover=log_takeover(ws))
    return lock
