"""Syncing a batch of files with one call per file system, where Linux makes that as safe as an
fsync of each file and folder.

`files.SyncBatch.commit` makes a batch of written and renamed files durable: their bytes and the
folder entries that name them on the disk. Syncing each file and folder (sixteen at a time, in
threads) was most of the CPU the commits of a pass cost: each fsync hands Python's interpreter
lock between a sync thread and the busy main thread three times, some 20,000 hand-overs in a
city's first collect. Linux's `syncfs` does the whole batch in one call: it writes back every
dirty page of the file system and commits its journal, which covers the batch's files and renames
(and whatever else is waiting on that file system: never less than the per-file syncs).

It is used only where that holds:
- a Linux kernel of 5.8 or later: before, `syncfs` did not report a write-back error (EIO), which
  an fsync does;
- a local file system whose `sync_fs` commits data and metadata together (`WHOLE_SYNC_TYPES`): on
  a network share (cifs, nfs) `syncfs` does not send the flush an fsync sends, and an unknown file
  system is not trusted either;
- little else waiting to be written (`DIRTY_LIMIT`): `syncfs` writes everything the system holds
  for that disk, and a commit must not wait for another program's gigabyte (a folder of 5,000
  returns copied a second before the pass made its first commit take three seconds).
Everywhere else (Windows, macOS, a share, a kernel that refuses the call) the files are synced one
by one as before.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

# Local file systems whose `sync_fs` writes back the data and commits the journal (or log, or
# transaction) that holds the renames.
WHOLE_SYNC_TYPES = frozenset({"ext4", "ext3", "xfs", "btrfs"})
MIN_KERNEL = (5, 8)  # `syncfs` reports write-back errors from 5.8 on (errseq on the superblock)
MOUNTINFO = Path("/proc/self/mountinfo")
MEMINFO = Path("/proc/meminfo")
# The most the system may hold unwritten (all disks together) for a commit to use `syncfs`: a
# batch of a pass is a few MB; 32 MB more is a fraction of a second for a local disk to write.
DIRTY_LIMIT = 32 * 1024 * 1024
# errnos that mean "this call is not available here" (a seccomp filter, an old C library): the
# batch is then synced file by file, never less.
_UNAVAILABLE = frozenset({errno.ENOSYS, errno.EPERM, errno.EINVAL, errno.EBADF, errno.ENOTSUP})


def kernel_allows(release: str) -> bool:
    """Whether a Linux kernel of `release` (`os.uname().release`, e.g. "6.1.0-18-amd64") has a
    `syncfs` that reports write-back errors."""
    parts = release.split(".", 2)
    try:
        return (int(parts[0]), int("".join(c for c in parts[1][:3] if c.isdigit()) or "0")) >= MIN_KERNEL
    except (IndexError, ValueError):
        return False


def file_system_types(mountinfo: str) -> dict[str, str]:
    """The type of each mounted file system by its device ("major:minor"), from the text of
    `/proc/self/mountinfo` (`36 35 98:0 /mnt1 /mnt2 rw - ext4 /dev/root rw`)."""
    types: dict[str, str] = {}
    for line in mountinfo.splitlines():
        fields = line.split()
        try:
            separator = fields.index("-", 6)
        except ValueError:
            continue
        if separator + 1 < len(fields):
            types.setdefault(fields[2], fields[separator + 1])
    return types


def whole_sync_folders(folders: Iterable[Path]) -> tuple[dict[Path, list[Path]], list[Path]]:
    """`folders` grouped by the file system holding them, for each one `syncfs` may sync whole (one
    folder of each group names its file system); and the folders whose files are synced one by one
    (also those that cannot be looked at now)."""
    folders = list(folders)
    if not _available() or not little_unwritten():
        return {}, folders
    try:
        types = file_system_types(MOUNTINFO.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return {}, folders
    by_device: dict[int, list[Path]] = {}
    one_by_one: list[Path] = []
    for folder in folders:
        try:
            device = os.stat(folder).st_dev
        except OSError:
            one_by_one.append(folder)
            continue
        if types.get(f"{os.major(device)}:{os.minor(device)}") in WHOLE_SYNC_TYPES:
            by_device.setdefault(device, []).append(folder)
        else:
            one_by_one.append(folder)
    return {group[0]: group for group in by_device.values()}, one_by_one


def unwritten_bytes(meminfo: str) -> int | None:
    """What the system holds to write to its disks (`Dirty` and `Writeback` of `/proc/meminfo`),
    or None if the text does not say."""
    found: dict[str, int] = {}
    for line in meminfo.splitlines():
        name, _, rest = line.partition(":")
        if name in ("Dirty", "Writeback"):
            value = rest.split()
            if len(value) == 2 and value[0].isdigit() and value[1] == "kB":
                found[name] = int(value[0]) * 1024
    return found["Dirty"] + found["Writeback"] if len(found) == 2 else None


def little_unwritten() -> bool:
    """Whether `syncfs` would write little beyond the batch (`DIRTY_LIMIT`); False when unknown."""
    try:
        unwritten = unwritten_bytes(MEMINFO.read_text(encoding="ascii", errors="replace"))
    except OSError:
        return False
    return unwritten is not None and unwritten <= DIRTY_LIMIT


def sync_file_system(folder: Path) -> bool:
    """`syncfs` of the file system holding `folder`: True once it is synced, False when the call
    is not available here or `folder` is gone (sync the files one by one instead: a file gone
    with it has nothing to lose). Raises OSError when the file system reports a failed write
    (EIO, ENOSPC…): the batch's bytes may not be on the disk."""
    global _REFUSED
    call = _syncfs()
    if call is None or _REFUSED:
        return False
    try:
        fd = os.open(folder, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        if call(fd) == 0:
            return True
        import ctypes

        code = ctypes.get_errno()
    finally:
        os.close(fd)
    if code in _UNAVAILABLE:
        _REFUSED = True  # not asked again by this process
        return False
    raise OSError(code, os.strerror(code), str(folder))


_REFUSED = False  # the kernel refused the call once (a seccomp filter): one by one from then on


def _available() -> bool:
    return not _REFUSED and _supported()


@lru_cache(maxsize=1)
def _supported() -> bool:
    return sys.platform.startswith("linux") and kernel_allows(os.uname().release) and _syncfs() is not None


@lru_cache(maxsize=1)
def _syncfs() -> Any:
    """The C library's `syncfs(int fd)` (ctypes releases the interpreter lock while it runs), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        call = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_int]
    call.restype = ctypes.c_int
    return call
