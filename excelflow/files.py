"""File-system helpers every writer shares: atomic writes and names safe on Windows and Linux.

The working folder may be an SMB share that several people open in Excel. Every output is written
to a temporary file in the same folder and then renamed over the target, so a reader never sees
half a workbook. Unit names become file names, so they are made safe here, in one place.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path

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
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Zl", "Zp"))
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


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `path` through a temporary file and a rename (no reader sees half of it).

    `durable` syncs the bytes to disk before the rename, so a power cut cannot leave a renamed but
    empty file. Pass False for what can be derived again after a crash (caches, indexes, hints):
    still atomic, without the cost of a sync.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # The target's name is in the temporary one, so a sweep can tell whose leftover it is.
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.name}.", suffix=".part", dir=path.parent)
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
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> None:
    """`atomic_write_bytes` of `text` in UTF-8."""
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def remove_stale_temp_files(folder: Path, targets: Iterable[str] | None = None) -> None:
    """Delete the `.tmp-*` files a killed writer left in `folder` (before it could rename them).

    Only for files the caller alone writes (collect holds the folder lock): another live writer's
    temporary file would be deleted from under it. With `targets`, only the leftovers of writes to
    those file names go (the folder is shared with another command, e.g. `generate`).
    """
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    prefixes = (".tmp-",) if targets is None else tuple(f".tmp-{t}." for t in targets)
    for name in names:
        if name.startswith(prefixes):
            try:
                os.unlink(folder / name)
            except OSError:
                pass


def fallback_path(path: Path) -> Path:
    """Where an output goes when the previous one cannot be replaced (open in Excel on Windows)."""
    return path.with_name(f"{path.stem}(新版-原文件被占用){path.suffix}")


def publish_bytes(path: Path, data: bytes) -> Path | None:
    """Write an output the clerk may have open; returns the path written, or None if unchanged.

    Identical bytes are not rewritten (a pass with nothing new changes no output; writers should
    make their bytes deterministic, e.g. a fixed `created` property in xlsxwriter). If the old
    file cannot be replaced — on Windows a workbook open in Excel refuses the rename — the new
    one is written beside it under `fallback_path(path)` and that path is returned, so the caller
    can say so; the old file is kept as it is.
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
    except PermissionError:
        target = fallback_path(path)
        atomic_write_bytes(target, data)
        return target


def _drop_stale_fallback(path: Path) -> None:
    """Once `path` itself is current again, a fallback written beside it earlier is outdated:
    remove it so that the clerk does not open the "新版" file and read old figures."""
    try:
        fallback_path(path).unlink()
    except OSError:
        pass  # none (the usual case), or it is open in Excel itself: leave it for next time
