# NOTE TO ENGINEERS WORKING IN PARALLEL: read docs/working-rules.md before editing or committing (temporary).
"""File-system helpers every writer shares: atomic writes and names safe on Windows and Linux.

The working folder may be an SMB share that several people open in Excel. Every output is written
to a temporary file in the same folder and then renamed over the target, so a reader never sees
half a workbook. Unit names become file names, so they are made safe here, in one place.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

# Characters Windows forbids in file names, plus control characters.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_CHARS = 80  # leaves room for the folder path under Windows' 260-character limit


def safe_filename(name: str, suffix: str = "") -> str:
    """A file name for `name` that is valid on Windows and Linux and stays in its folder.

    Forbidden characters become `_`; trailing dots and spaces (dropped by Windows) are removed;
    reserved device names get a `_` prefix; the result never starts with `.` and is cut to
    `MAX_NAME_CHARS` characters before `suffix`.
    """
    text = unicodedata.normalize("NFC", name)
    text = _FORBIDDEN.sub("_", text).strip().rstrip(". ")
    text = text.lstrip(".") or "_"
    if text.split(".")[0].upper() in _RESERVED:
        text = "_" + text
    return text[:MAX_NAME_CHARS] + suffix


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename (no reader sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


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
