"""File-system helpers every writer shares: atomic writes, clear write errors, names safe on
Windows and Linux, and text safe to show.

The working folder may be an SMB share that several people open in Excel. Every output is written
to a temporary file and then renamed over the target, so a reader never sees half a workbook.
A lock holder's writes are *fenced* (`fenced`): each one first checks that the lock is still
held, and its temporary file lives in the holder's own folder inside the lock, so a holder whose
lock was taken over cannot complete a write even if it resumes between check and rename (its
folder went with the lock). Files are created with the user's umask (tempfile's 0600 would keep
other accounts of a share out of the rollups). A failed write (disk full, read-only folder, no
permission) is a `WriteFailed` naming the path in Chinese, with nothing half-written.

Durable writes are synced to the disk before anything that relies on them is written. One fsync
per small file is most of the cost of a pass that writes thousands (a receipt, a rollup, an
archived return: ~2.6 ms each on a local ext4 disk, more on a share), so a writer of many files
may sync them together (`synced_together`): each file is still written whole and renamed into
place at once, and the batch's files and folders are synced in one go (with one `syncfs` on a
local Linux disk, see `fs_sync`; elsewhere in parallel, which lets the file system commit them
together: ~0.15 ms a file) before the writer writes whatever relies
on them (an archive record after its blob, the pass cache after the outputs). A kill before the
batch's sync changes nothing (the data is in the operating system's cache and reaches the disk);
a power cut before it can lose the batch's files, never what was committed before it.

Unit names become file names, so they are made safe here, in one place; file names units chose
(any bytes the OS holds, control and bidi characters included) are shown through `shown`.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import re
import socket
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from excelflow.errors import LockLost, WorkspaceError
from excelflow.fs_sync import sync_file_system, whole_sync_folders

# Characters Windows forbids in file names, plus control characters.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
# Device names Windows reserves whatever the extension (`CON.xlsx` opens the console), including
# the superscript-digit forms Windows 10/11 also reserve.
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"{p}{d}" for p in ("COM", "LPT") for d in (*"123456789", "¹", "²", "³"))}
MAX_NAME_CHARS = 80  # leaves room for the folder path under Windows' 260-character limit
# Linux (ext4) and SMB limit a name to 255 bytes; a Chinese character takes 3 in UTF-8. The cap
# leaves room for a suffix and for `fallback_path`'s marker (30 bytes).
MAX_NAME_BYTES = 180
_HASH_CHARS = 8


def safe_filename(name: str, suffix: str = "") -> str:
    """A file name for `name` that is valid on Windows and Linux and stays in its folder.

    Forbidden characters become `_`; invisible format characters (e.g. a right-to-left override
    that would disguise the extension) are dropped; trailing dots and spaces (dropped by Windows)
    are removed; reserved device names get a `_` prefix; the result never starts with `.` and is
    never `..`. A name longer than `MAX_NAME_CHARS` characters or `MAX_NAME_BYTES` bytes is cut
    and ends in `~` and a digest of the whole name, so two long names that share their start still
    get two files.
    """
    text = unicodedata.normalize("NFC", name)
    # Cf: invisible format characters (bidi overrides); Cs: bytes of a name that was not UTF-8
    # (surrogateescape), which no file system that takes Unicode names can hold.
    text = "".join("_" if unicodedata.category(ch) == "Cs" else ch
                   for ch in text if unicodedata.category(ch) not in ("Cf", "Zl", "Zp"))
    text = _FORBIDDEN.sub("_", text).strip().rstrip(". ")
    text = text.lstrip(".") or "_"
    if text.split(".")[0].rstrip(" ").upper() in _RESERVED:
        text = "_" + text
    if len(text) > MAX_NAME_CHARS or len(text.encode("utf-8")) > MAX_NAME_BYTES:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
        keep = MAX_NAME_CHARS - _HASH_CHARS - 1
        head = text[:keep]
        while len(head.encode("utf-8")) > MAX_NAME_BYTES - _HASH_CHARS - 1:
            head = head[:-1]
        text = f"{head.rstrip('. ')}~{digest}"
    return text + suffix


# -- text safe to show ------------------------------------------------------------------------
# Control characters (ESC sequences clear a terminal or retitle its window), C1 controls, the bidi
# controls that reorder what follows them, and lone surrogates (the bytes of a file name that was
# not UTF-8, e.g. GBK from a Windows zip unpacked on Linux, kept by Python's surrogateescape).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Inside JSON strings the C0 controls are escaped by `json` already.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def shown(text: str) -> str:
    """`text` safe to print or write for a person: control, bidi and undecodable characters are
    shown escaped (`\\x1b`, `\\u202e`, a GBK byte as `\\xb9`); everything else is left as is."""
    return _UNSAFE.sub(_escape, text)


def json_dumps(value: Any, **options: Any) -> str:
    """JSON text (UTF-8 safe, non-ASCII kept) that escapes bidi, C1 and undecodable characters.

    A file name with bytes that were not UTF-8 is a str with lone surrogates: plain `json.dumps`
    writes them raw and encoding the text then fails. Escaped as `\\udcb9`, they read back as the
    very same str, so a path stays exact in the archive and the cache.
    """
    text = json.dumps(value, ensure_ascii=False, **options)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def indented_json(value: Any, indent: int = 1) -> str:
    """`json.dumps(value, ensure_ascii=False, indent=indent)`, character for character, without
    the pure-Python encoder `json` falls back to when indenting (its C encoder does not indent).

    A city's `状态.json` holds ~11,000 entries (3.4 MB): 0.11 s through `json.dumps`, 0.06 s here.
    Dicts, lists, strings, ints, booleans and None are encoded here; anything else (floats,
    subclasses, objects `json` refuses) is handed to `json.dumps` itself, so what it writes or
    raises is json's own. For JSON data: a container holding itself is not detected.
    """
    out: list[str] = []
    _indented(value, out, "\n", " " * indent)
    return "".join(out)


def _indented(value: Any, out: list[str], newline: str, step: str) -> None:
    kind = type(value)
    if kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + step
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                key = _json_key(key)
            item_kind = type(item)
            if item_kind is str:  # the common leaves inline: a call each would double the time
                out.append(separator + _encode_string(key) + ": " + _encode_string(item))
            elif item_kind is int:
                out.append(separator + _encode_string(key) + ": " + int.__repr__(item))
            else:
                out.append(separator + _encode_string(key) + ": ")
                _indented(item, out, inner, step)
            separator = "," + inner
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = newline + step
        separator = "[" + inner
        for item in value:
            if type(item) is str:
                out.append(separator + _encode_string(item))
            else:
                out.append(separator)
                _indented(item, out, inner, step)
            separator = "," + inner
        out.append(newline + "]")
    elif kind is str:
        out.append(_encode_string(value))
    elif kind is int:
        out.append(int.__repr__(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    else:
        # Also raises what `json.dumps` raises for an object it cannot encode.
        out.append(json.dumps(value, ensure_ascii=False, indent=len(step)).replace("\n", newline))


def _json_key(key: Any) -> str:
    """A dict key as `json` turns it into a string (bool, None, numbers), or its TypeError."""
    text = json.dumps({key: 0}, ensure_ascii=False)
    return str(json.loads(text).popitem()[0])


_encode_string: Callable[[str], str] = json.encoder.encode_basestring


# -- write errors ------------------------------------------------------------------------------
_REASONS = {
    errno.ENOSPC: ("磁盘空间已满", "请清理磁盘空间(或请信息科扩容)后重新运行"),
    errno.EDQUOT: ("超出了该账户的磁盘配额", "请清理空间或请信息科提高配额后重新运行"),
    errno.EFBIG: ("文件超过了允许的大小(磁盘或账户的文件大小限制)", "请信息科检查磁盘和账户限制后重新运行"),
    errno.EROFS: ("文件夹是只读的", "请确认共享盘以读写方式连接,并且运行 excelflow 的账户有写入权限后重新运行"),
    errno.EACCES: ("没有写入权限", "请确认运行 excelflow 的账户对该文件夹有读写权限后重新运行"),
    errno.EPERM: ("没有写入权限(或文件被设为不可修改)", "请确认运行 excelflow 的账户对该文件夹有读写权限后重新运行"),
    errno.ENAMETOOLONG: ("路径太长", "请把工作文件夹放在更浅的位置后重新运行"),
    errno.EIO: ("读写出错(磁盘或网络共享故障)", "请检查磁盘或网络连接后重新运行"),
}


_READ_REASONS = {errno.EACCES: "没有读取权限", errno.EPERM: "没有读取权限", errno.EIO: "读取出错(磁盘或网络共享故障)",
                 errno.EISDIR: "是文件夹,不是文件"}


def os_error_reason(exc: OSError, *, reading: bool = False) -> str:
    """What went wrong, in Chinese, for the errno of `exc` (a read or a write)."""
    if reading and (exc.errno or 0) in _READ_REASONS:
        return _READ_REASONS[exc.errno or 0]
    known = _REASONS.get(exc.errno or 0)
    return known[0] if known else (exc.strerror or type(exc).__name__)


class WriteFailed(WorkspaceError):
    """A file could not be written (disk full, read-only, no permission …); nothing was half-written.

    `errno` is the operating system's, so a caller can tell a file held open from a folder it
    may not write to."""

    def __init__(self, path: Path, exc: OSError) -> None:
        self.path = path
        self.errno = exc.errno
        reason, advice = _REASONS.get(exc.errno or 0, (exc.strerror or type(exc).__name__,
                                                        "请检查该文件夹后重新运行"))
        super().__init__(f"无法写入 {shown(str(path))}:{reason}。{advice};"
                         "已写好的文件都是完整的,下次运行会补上其余的。")


# -- fencing -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class WriteFence:
    """How a lock holder writes: `check()` raises `LockLost` once the lock is no longer its own;
    temporary files go to `temp_dir` (inside the lock folder, gone with the lock); `tag` (the
    lock token) names them."""

    temp_dir: Path
    check: Callable[[], None]
    tag: str


_FENCE: ContextVar[WriteFence | None] = ContextVar("excelflow_write_fence", default=None)


@contextmanager
def fenced(fence: WriteFence) -> Iterator[None]:
    """Every `atomic_write_bytes` inside (this thread) is fenced by `fence`."""
    token = _FENCE.set(fence)
    try:
        yield
    finally:
        _FENCE.reset(token)


def _owner_tag() -> str:
    """Who makes an unfenced temporary file: pid and a digest of the host (a sweep spares the
    files of a live owner, and cannot judge another host's)."""
    host = hashlib.sha256(socket.gethostname().encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"p{os.getpid()}-{host}"


def _this_host_tag() -> str:
    return _owner_tag().split("-", 1)[1]


# -- syncing many files together ---------------------------------------------------------------
SYNC_THREADS = 16  # concurrent fsyncs: the file system commits them together (measured: 16 ≈ 64 ≫ 1)
SYNC_EVERY = 128  # files a long run of writes leaves unsynced at most (`SyncBatch.commit_if_due`)


class SyncBatch:
    """Files written durably inside `synced_together`, synced together by `commit`."""

    def __init__(self) -> None:
        # By their text (a pass adds thousands: hashing a Path each time cost more than the text).
        self._paths: dict[str, Path] = {}

    def add(self, path: Path) -> None:
        self._paths[os.fspath(path)] = path

    def __len__(self) -> int:
        return len(self._paths)

    def commit_if_due(self, count: int = SYNC_EVERY) -> None:
        """`commit` once `count` files wait: a long run of writes (a city's 1,000 workbooks) syncs
        as it goes, while the workers draw the next ones, instead of all at its end. Syncing
        sooner is never less safe."""
        if len(self._paths) >= count:
            self.commit()

    def commit(self) -> None:
        """Sync every file written since the last commit, then the folders that name them (so a
        rename survives a power cut as well as the bytes). Raises `WriteFailed` if the disk
        refuses (EIO: the bytes may not be on it)."""
        written = [(os.path.dirname(text) or ".", path) for text, path in self._paths.items()]
        self._paths.clear()
        if not written:
            return
        folders = [Path(f) for f in dict.fromkeys(folder for folder, _ in written)]
        # One `syncfs` for each local Linux file system that makes it as safe (`fs_sync`); the
        # files of any other folder one by one.
        groups, rest = whole_sync_folders(folders)
        for folder, members in groups.items():
            try:
                synced = sync_file_system(folder)
            except OSError as exc:
                raise WriteFailed(folder, exc) from exc
            if not synced:
                rest += members
        paths = [path for _, path in written]
        if len(rest) < len(folders):
            left = {os.fspath(f) for f in rest}
            paths = [path for folder, path in written if folder in left]
            folders = rest
        if os.name == "nt":
            folders = []
        for group in (paths, folders):
            for failure in _sync_pool().map(_sync_paths, _spread(group, SYNC_THREADS)):
                if failure is not None:
                    raise failure


def _spread(items: list[Path], ways: int) -> list[list[Path]]:
    """`items` dealt into at most `ways` lists: one task per sync thread, not one per file (a
    task's hand-over cost as much CPU as the fsync it ran)."""
    return [items[i::ways] for i in range(min(ways, len(items)))]


def _sync_paths(paths: list[Path]) -> WriteFailed | None:
    """`_sync_path` of each, in turn; the first failure."""
    for path in paths:
        failure = _sync_path(path)
        if failure is not None:
            return failure
    return None


# One pool of sync threads per process, its threads started as needed and kept: a pass commits
# a hundred batches, and starting sixteen threads for each cost more than the syncs' own CPU.
_POOL: ThreadPoolExecutor | None = None


def _sync_pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=SYNC_THREADS, thread_name_prefix="excelflow-sync")
    return _POOL


def _forget_sync_pool() -> None:
    global _POOL
    _POOL = None  # a forked child has none of its parent's threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_sync_pool)


def _sync_path(path: Path) -> WriteFailed | None:
    """fsync one file or folder by its path; None when done (or when the file has since been
    replaced or removed by a later write, which syncs its own)."""
    try:
        # Windows flushes only through a handle that may write; POSIX syncs through any.
        fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return WriteFailed(path, exc)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            return None  # a folder or file system that cannot be synced this way (nothing to lose)
        return WriteFailed(path, exc)
    finally:
        os.close(fd)
    return None


_BATCH: ContextVar[SyncBatch | None] = ContextVar("excelflow_sync_batch", default=None)


@contextmanager
def synced_together() -> Iterator[SyncBatch]:
    """Durable writes inside (this thread) skip their own fsync; their files are synced together
    by `batch.commit()` and when the block ends without an exception. Callers commit before they
    write anything that relies on the batch's files (see the module's note)."""
    batch = SyncBatch()
    token = _BATCH.set(batch)
    try:
        yield batch
        batch.commit()
    finally:
        _BATCH.reset(token)


def ensure_synced(path: Path) -> None:
    """A file this writer relies on but did not write (a killed run left it, whole): synced with
    the current batch, or at once outside one. Its bytes may still be only in the operating
    system's cache, and what is written next must not reach the disk before them."""
    batch = _BATCH.get()
    if batch is not None:
        batch.add(path)
        return
    failure = _sync_path(path)
    if failure is not None:
        raise failure


@contextmanager
def syncing_with(batch: SyncBatch) -> Iterator[SyncBatch]:
    """Durable writes inside join `batch` (kept by the caller, committed when it chooses)."""
    token = _BATCH.set(batch)
    try:
        yield batch
    finally:
        _BATCH.reset(token)


# -- atomic writes -----------------------------------------------------------------------------
def atomic_write_bytes(path: Path, data: bytes | Iterable[bytes], *, durable: bool = True) -> None:
    """Write `data` to `path` through a temporary file and a rename (no reader sees half of it).

    `data` may be chunks (a file too big to hold in memory); an exception raised by the chunks
    abandons the write. `durable` syncs the bytes to disk before the rename, so a power cut cannot
    leave a renamed but empty file; inside `synced_together` the sync is the batch's, after the
    rename. Pass False for what can be derived again after a crash (caches, indexes, hints): still
    atomic, without the cost of a sync. Raises `WriteFailed` (the path and the reason in Chinese)
    when the file cannot be written, and `LockLost` inside `fenced` once the lock is gone.
    """
    batch = _BATCH.get() if durable else None
    if batch is not None:
        durable = False  # synced with the batch
    fence = _FENCE.get()
    if fence is not None:
        fence.check()
    # The folder as text: a Path's parent and its hash cost more than the write's system calls.
    parent = os.path.dirname(path) or "."
    _ensure_folder(parent)
    folder = fence.temp_dir if fence is not None else parent
    tag = fence.tag if fence is not None else _owner_tag()
    # The target's name and the owner are in the temporary one, so a sweep can tell whose it is.
    prefix = f".tmp-{path.name[:100]}.{tag}."
    try:
        try:
            fd, tmp = _new_temp_file(folder, prefix)
        except FileNotFoundError:
            if fence is not None:
                raise
            # The target's folder went since this process made sure of it: again, once.
            _KNOWN_FOLDERS.discard(parent)
            _ensure_folder(parent)
            fd, tmp = _new_temp_file(folder, prefix)
    except FileNotFoundError as exc:
        if fence is not None:
            fence.check()  # the lock (and its folder) went: LockLost
        raise WriteFailed(path, exc) from exc
    except OSError as exc:
        raise WriteFailed(path, exc) from exc
    try:
        try:
            if isinstance(data, bytes) and os.name != "nt":
                _write_all(fd, data, durable)
            else:  # chunks, or Windows: through a file object (the mode is already open()'s)
                with os.fdopen(fd, "wb") as handle:
                    for chunk in ((data,) if isinstance(data, bytes) else data):
                        handle.write(chunk)
                    if durable:
                        handle.flush()
                        os.fsync(handle.fileno())
            try:
                try:
                    os.replace(tmp, path)
                except FileNotFoundError:
                    if not os.path.exists(tmp):
                        raise
                    # The target's folder went since this process made sure of it: again, once.
                    _KNOWN_FOLDERS.discard(parent)
                    _ensure_folder(parent)
                    os.replace(tmp, path)
            except OSError as exc:
                if exc.errno != errno.EXDEV or fence is None:
                    raise
                # The target is on another file system than the lock (a folder linked elsewhere):
                # write beside it instead, still checked against the lock first.
                if not isinstance(data, bytes):
                    raise
                os.unlink(tmp)
                fence.check()
                _write_beside(path, data, durable)
            if batch is not None:
                batch.add(path)
        except FileNotFoundError as exc:
            if fence is not None and not os.path.exists(tmp):
                fence.check()  # our temporary file went with the lock: LockLost
            raise WriteFailed(path, exc) from exc
        except OSError as exc:
            raise WriteFailed(path, exc) from exc
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# Folders this process made sure exist (a pass writes thousands of files into a few folders:
# `mkdir` of an existing one raised and caught each time cost more than the write).
_KNOWN_FOLDERS: set[str] = set()


def _ensure_folder(folder: str) -> None:
    if folder in _KNOWN_FOLDERS:
        return
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise WriteFailed(Path(folder), exc) from exc
    if len(_KNOWN_FOLDERS) > 10_000:
        _KNOWN_FOLDERS.clear()
    _KNOWN_FOLDERS.add(folder)


_TEMP_NAMES = itertools.count()


def _new_temp_file(folder: str | Path, prefix: str) -> tuple[int, str]:
    """A new temporary file in `folder` named `<prefix><unique>.part`, open for writing: what
    `tempfile.mkstemp` makes, with the mode `open()` gives (0666 less the umask, so no chmod)
    and a name from a counter (the prefix names the owner; a leftover of an earlier owner with
    the same name is stepped over, as mkstemp steps over its random names)."""
    if os.name == "nt":  # pragma: no cover - Windows: mkstemp's flags (binary, not inherited)
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=folder)
        return fd, name
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        name = os.path.join(folder, f"{prefix}{next(_TEMP_NAMES):x}{os.urandom(3).hex()}.part")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))


def _write_all(fd: int, data: bytes, durable: bool) -> None:
    """Write `data` to `fd` (closed after, synced first if `durable`)."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def _write_beside(path: Path, data: bytes, durable: bool) -> None:
    fd, tmp = _new_temp_file(path.parent, f".tmp-{path.name[:100]}.{_owner_tag()}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_new(path: Path, data: bytes) -> bool:
    """Create `path` holding `data`, whole and only if it does not exist yet (two writers racing:
    one wins, the other gets False and reads the winner's). Synced; made with the umask."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _new_temp_file(path.parent, f".tmp-{path.name[:100]}.{_owner_tag()}.")
    except OSError as exc:
        raise WriteFailed(path, exc) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            if os.name == "nt":  # pragma: no cover - Windows: a rename onto an existing name fails
                os.rename(tmp, path)
            else:
                os.link(tmp, path)  # fails if the name exists, atomically (local disks, NFS, Samba)
        except FileExistsError:
            return False
        return True
    except OSError as exc:
        raise WriteFailed(path, exc) from exc
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> None:
    """`atomic_write_bytes` of `text` in UTF-8."""
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    return False


_TAGGED = re.compile(r"\.p(\d+)-([0-9a-f]{8})\.[^.]*\.part$")


def remove_stale_temp_files(folder: Path, targets: Iterable[str] | None = None) -> None:
    """Delete the `.tmp-*` files a killed writer left in `folder` (before it could rename them).

    Only the leftovers whose owner is known to be gone: a file named with a pid of this host
    that no longer runs. A file of another host is left (its owner may be writing), as is one of a
    live process. Files without an owner in their name come from an earlier excelflow, whose
    writers here all held the collector lock the caller holds now: gone. With `targets`, only the
    leftovers of writes to those file names (the folder is shared with another command, e.g.
    `generate`).
    """
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return
    prefixes = (".tmp-",) if targets is None else tuple(f".tmp-{t[:100]}." for t in targets)
    here = _this_host_tag()
    for name in names:
        if not name.startswith(prefixes):
            continue
        owner = _TAGGED.search(name)
        if owner is not None and (owner.group(2) != here or not _pid_gone(int(owner.group(1)))):
            continue  # another host's, or a live process's: not known to be gone
        try:
            os.unlink(folder / name)
        except OSError:
            pass


def fallback_path(path: Path) -> Path:
    """Where an output goes when the previous one cannot be replaced (open in Excel on Windows)."""
    return Path(_fallback_text(path))


def _fallback_text(path: Path) -> str:
    # As text: a Path's `with_name` was most of `_drop_stale_fallback`'s cost (a pass publishes thousands).
    folder, name = os.path.split(path)
    stem, suffix = os.path.splitext(name)
    return os.path.join(folder, f"{stem}(新版-原文件被占用){suffix}")


def publish_bytes(path: Path, data: bytes) -> Path | None:
    """Write an output the clerk may have open; returns the path written, or None if unchanged.

    Identical bytes are not rewritten (a pass with nothing new changes no output; writers should
    make their bytes deterministic, e.g. a fixed `created` property in xlsxwriter). If the old
    file cannot be replaced — on Windows a workbook open in Excel refuses the rename — the new
    one is written beside it under `fallback_path(path)` and that path is returned, so the caller
    can say so; the old file is kept as it is. Any other failure is a `WriteFailed`.
    """
    try:
        if path.read_bytes() == data:
            _drop_stale_fallback(path)
            return None
    except FileNotFoundError:
        pass
    except OSError:
        pass  # unreadable (locked): try to replace it below, fall back if that fails too
    try:
        atomic_write_bytes(path, data)
        _drop_stale_fallback(path)
        return path
    except WriteFailed as exc:
        if not _held_open(path, exc):
            raise  # a folder we may not write to, a full disk: an error, not "open in Excel"
        target = fallback_path(path)
        atomic_write_bytes(target, data)
        return target


def _held_open(path: Path, exc: WriteFailed) -> bool:
    """Whether `path` itself refuses to be replaced while its folder takes new files: a workbook
    open in Excel (Windows: a sharing violation), or on Linux a file marked immutable (EPERM).
    A folder without write permission (EACCES), a read-only share or a full disk is not."""
    if exc.errno not in (errno.EACCES, errno.EPERM) or not path.exists():
        return False
    if os.name == "nt":  # pragma: no cover - Windows only
        try:
            with open(path, "r+b"):
                return False
        except PermissionError as probe:
            return getattr(probe, "winerror", None) in (32, 33)  # sharing or lock violation
        except OSError:
            return False
    return exc.errno == errno.EPERM and os.access(path.parent, os.W_OK)


def _drop_stale_fallback(path: Path) -> None:
    """Once `path` itself is current again, a fallback written beside it earlier is outdated:
    remove it so that the clerk does not open the "新版" file and read old figures."""
    try:
        os.unlink(_fallback_text(path))
    except OSError:
        pass  # none (the usual case), or it is open in Excel itself: leave it for next time
