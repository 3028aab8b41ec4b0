"""Find returns in `inbox/` and read their bytes once, without ever touching the originals.

Units drop files anywhere under `inbox/`, from Excel, WPS and LibreOffice, on a shared drive where
a file may still be arriving. Every file is a candidate, whatever its name or kind (a PDF or a
photo is answered too, `kinds.py`); a file or folder that cannot be read is named with the reason
(`Unreadable`), never left pending forever. Three rules follow from the field:

- Lock and temp files (`~$x.xlsx`, `.~x`, `.~lock.x#`, `*.tmp`, hidden files) belong to an office
  suite that has the file open: skip them and never open, move or delete them.
- Read a file's bytes in one go and close the handle at once: on a Windows share a handle held
  open can make the unit's own save fail. Everything later parses from memory.
- A file still being copied is *pending* (retried next run), never rejected: its size or mtime
  changes while we read it, or its bytes end before the container does (a zip without its
  end-of-central-directory record, an OLE2 `.xls` shorter than its allocation table says).
"""

from __future__ import annotations

import errno
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from excelflow.files import os_error_reason
from excelflow.intake.kinds import OLE_MAGIC, WORKBOOK_SUFFIXES, ZIP_EMPTY_MAGIC, ZIP_MAGIC

__all__ = ["OLE_MAGIC", "WORKBOOK_SUFFIXES", "ZIP_EMPTY_MAGIC", "ZIP_MAGIC"]

# Files Windows and macOS keep in every folder: never a return.
_SYSTEM_FILES = {"thumbs.db", "desktop.ini", "ehthumbs.db"}
_ZIP_EOCD = b"PK\x05\x06"
_ZIP_EOCD_MIN = 22
_ZIP_MAX_COMMENT = 0xFFFF
_OLE_FREE = 0xFFFFFFFF
_OLE_FAT_SECTOR = 0xFFFFFFFD
_OLE_MAX_REGULAR = 0xFFFFFFFA  # sector numbers above this are markers (end of chain, FAT, …)


@dataclass(frozen=True)
class Candidate:
    """A file found in the inbox. `path` is relative to the inbox, with `/` separators (a name that
    was not UTF-8 keeps its bytes as surrogates: shown escaped, archived exactly)."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Unreadable:
    """A file or folder of the inbox that cannot be read, and why (Chinese)."""

    path: str
    reason: str


@dataclass
class InboxScan:
    """What a scan found: files to take in, and what could not be read."""

    candidates: list[Candidate] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)


def is_ignored_name(name: str) -> bool:
    """True for lock, temp and hidden files an office suite or a copy tool keeps beside a file."""
    lower = name.lower()
    return (
        name.startswith("~$")       # Excel / WPS owner file
        or name.startswith(".")     # .~x (WPS), .~lock.x# (LibreOffice), hidden and our own temp files
        or lower.endswith(".tmp")   # ~WRL1234.tmp and other Office / copy-tool scratch files
        or name.endswith("#")
        or lower in _SYSTEM_FILES
    )


def scan_inbox(inbox: Path) -> list[Candidate]:
    """Every file under `inbox` (subfolders included), sorted by path; nothing is opened."""
    return scan(inbox).candidates


def scan(inbox: Path) -> InboxScan:
    """Every file under `inbox` (subfolders included), sorted by path, and what could not be listed.

    Hidden folders and symlinks are skipped (no loops, no reading outside the inbox); so are
    lock, temp and system files. A folder that cannot be listed is named with the reason rather
    than stopping the pass.
    """
    found = InboxScan()
    if not inbox.is_dir():
        return found
    stack = [(inbox, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            if folder != inbox:
                found.unreadable.append(Unreadable(prefix.rstrip("/"), f"文件夹无法打开:{os_error_reason(exc, reading=True)}"))
            continue
        for entry in entries:
            name = entry.name
            if is_ignored_name(name):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((Path(entry.path), f"{prefix}{name}/"))
                    continue
                # A symlinked file could point outside the inbox: only plain files are returns.
                if not entry.is_file(follow_symlinks=False):
                    continue
                stat = entry.stat()
            except OSError:
                continue  # vanished between listing and stat: the next pass sees it or not
            found.candidates.append(Candidate(path=f"{prefix}{name}", size=stat.st_size, mtime_ns=stat.st_mtime_ns))
    found.candidates.sort(key=lambda c: c.path)
    found.unreadable.sort(key=lambda u: u.path)
    return found


def inbox_path(inbox: Path, candidate: Candidate) -> Path:
    return inbox.joinpath(*candidate.path.split("/"))


def read_bytes(inbox: Path, candidate: Candidate) -> bytes | None:
    """The file's bytes, read at once with the handle closed straight after.

    None when the file vanished, cannot be opened, or its size or mtime differ from the scan's
    (still being written): the caller treats that as pending and retries next run.
    """
    data, _ = read_or_reason(inbox, candidate)
    return data


def read_or_reason(inbox: Path, candidate: Candidate) -> tuple[bytes | None, str | None]:
    """(bytes, None); (None, None) while the file is still changing or has vanished (pending);
    (None, reason) when it cannot be read at all (no permission, an I/O error): unreadable."""
    path = inbox_path(inbox, candidate)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        after = os.stat(path)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        if exc.errno in (errno.EBUSY, errno.EAGAIN):  # held by the copying program: next pass
            return None, None
        if getattr(exc, "winerror", None) in (32, 33):  # pragma: no cover - Windows: still being written
            return None, None
        return None, f"文件无法读取:{os_error_reason(exc, reading=True)}"
    if len(data) != candidate.size or after.st_size != candidate.size or after.st_mtime_ns != candidate.mtime_ns:
        return None, None
    return data, None


def read_chunks(inbox: Path, candidate: Candidate, size: int = 1 << 20) -> Iterator[bytes]:
    """The file's bytes a chunk at a time (a file too big to hold in memory); OSError as is."""
    with open(inbox_path(inbox, candidate), "rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def looks_incomplete(data: bytes, path: str) -> bool:
    """True when the bytes look like a workbook whose copy has not finished.

    Judged from the content, not the name (a `.xlsx` may hold an `.xls`): empty or all-zero
    bytes (copy tools pre-allocate), a zip without its end record, an OLE2 file shorter than
    the sectors its header and allocation table use. Anything else is complete as far as a
    copy goes; whether it parses is the reader's question.
    """
    if not data or not data.strip(b"\x00"):
        return True
    if data.startswith(ZIP_MAGIC):
        return _zip_end_record(data) < 0
    if data.startswith(OLE_MAGIC):
        return _ole_truncated(data)
    if OLE_MAGIC.startswith(data[:8]) or ZIP_MAGIC.startswith(data[:4]):
        return True  # only the first bytes of a signature have arrived
    return False


def _zip_end_record(data: bytes) -> int:
    """Offset of a plausible end-of-central-directory record, or -1."""
    low = max(0, len(data) - _ZIP_EOCD_MIN - _ZIP_MAX_COMMENT)
    at = data.rfind(_ZIP_EOCD, low)
    while at >= 0:
        if at + _ZIP_EOCD_MIN <= len(data):
            cd_size, cd_offset = struct.unpack_from("<II", data, at + 12)
            comment = struct.unpack_from("<H", data, at + 20)[0]
            # A real end record points back at a central directory inside the file and its
            # comment ends at the file's end (allow zip64 markers, 0xFFFFFFFF).
            if cd_offset == 0xFFFFFFFF or (cd_offset + cd_size <= at and at + _ZIP_EOCD_MIN + comment <= len(data)):
                return at
        at = data.rfind(_ZIP_EOCD, low, at)
    return -1


def _ole_truncated(data: bytes) -> bool:
    """An OLE2 compound file is truncated if a sector it uses lies beyond its end."""
    if len(data) < 512:
        return True
    shift = struct.unpack_from("<H", data, 30)[0]
    if shift not in (9, 12):
        return False  # not a compound file header we understand: let the reader decide
    sector = 1 << shift
    n_sectors = (len(data) - sector) // sector if len(data) >= sector else 0
    fat_count = struct.unpack_from("<I", data, 44)[0]
    dir_start = struct.unpack_from("<I", data, 48)[0]
    difat = struct.unpack_from("<109I", data, 76)
    fat_sectors = [s for s in difat[: min(fat_count, 109)] if s <= _OLE_MAX_REGULAR]
    if dir_start <= _OLE_MAX_REGULAR and dir_start >= n_sectors:
        return True
    if any(s >= n_sectors for s in fat_sectors):
        return True
    # A pre-allocated copy is full length with zeros where bytes have not arrived yet: the
    # directory must start with its root entry, and the allocation table marks its own sectors.
    if dir_start <= _OLE_MAX_REGULAR:
        if data[sector + dir_start * sector: sector + dir_start * sector + 8] != "Root".encode("utf-16-le"):
            return True
    per_fat = sector // 4
    for index, fat_sector in enumerate(fat_sectors):
        base = sector + fat_sector * sector
        entries = struct.unpack_from(f"<{per_fat}I", data, base)
        own = fat_sectors[index]
        marker_fat = fat_sectors[own // per_fat] if own // per_fat < len(fat_sectors) else None
        if marker_fat is not None:
            mark = struct.unpack_from("<I", data, sector + marker_fat * sector + (own % per_fat) * 4)[0]
            if mark != _OLE_FAT_SECTOR:
                return True
        # The allocation table says which sectors are in use: the last used one must be present.
        for offset in range(per_fat - 1, -1, -1):
            if entries[offset] != _OLE_FREE:
                if index * per_fat + offset >= n_sectors:
                    return True
                break
    return False
