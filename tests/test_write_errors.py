"""A full disk and a read-only folder, for real (a small tmpfs, a read-only bind mount): the pass
stops with a Chinese `Error:` naming the path, exit code 1, the error in the log, nothing
half-written; once the disk has room again (or the folder is writable) the next pass ends exactly
like a pass that never failed. Mounting needs root (as CI runs); elsewhere the tests skip."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from watch_helpers import (
    NOW,
    ROUND,
    archive_listing,
    collected_copy,
    excelflow,
    filled_folder,
    log_text,
    outputs_digest,
)

UNITS = ["区工信局", "区发改委", "丰溪街道", "区商务局"]


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB file system of its own (filled up by the test)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount
    finally:
        _umount(mount)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filled_folder(tmp_path_factory.mktemp("base"), UNITS)


@pytest.fixture(scope="module")
def clean_run(filled: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = collected_copy(filled, tmp_path_factory.mktemp("clean"))
    return root


def collect(root: Path) -> subprocess.CompletedProcess[str]:
    return excelflow("collect", "--root", str(root), "--round", ROUND, "--now", NOW, "--wait", "5")


def nothing_half_written(root: Path) -> None:
    """No temporary file left anywhere, and every archived blob holds the bytes its name says."""
    assert not [p for p in root.rglob("*") if p.name.startswith(".tmp-")]
    for blob in (root / "archive").rglob("*"):
        if blob.is_file() and blob.suffix in (".xlsx", ".xls", ".ods", ".bin"):
            assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.stem, blob


def test_a_full_disk_stops_the_pass_with_a_chinese_error_and_the_next_pass_recovers(
        filled: Path, clean_run: Path, tmpfs: Path) -> None:
    root = tmpfs / "督查 2021"
    shutil.copytree(filled, root)
    filler = tmpfs / "filler"
    fs = os.statvfs(tmpfs)
    filler.write_bytes(bytes(fs.f_bavail * fs.f_frsize - 48 * 1024))  # the disk fills up: 48 KB left
    failed = collect(root)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert failed.stderr.startswith("Error: 无法写入 ") and "磁盘空间已满" in failed.stderr, failed.stderr
    assert "Traceback" not in failed.stderr
    assert "收集失败" in log_text(root) and "磁盘空间已满" in log_text(root)
    nothing_half_written(root)
    filler.unlink()  # the clerk (or IT) frees some space
    again = collect(root)
    assert again.returncode == 0, again.stderr
    assert outputs_digest(root) == outputs_digest(clean_run)
    assert archive_listing(root) == archive_listing(clean_run)
    nothing_half_written(root)


def test_a_read_only_folder_stops_the_pass_with_a_chinese_error_and_the_next_pass_recovers(
        filled: Path, clean_run: Path, tmpfs: Path) -> None:
    root = tmpfs / "督查 2021"
    shutil.copytree(filled, root)
    # The whole share read-only: not even the lock can be made.
    assert _mount("-o", "remount,ro", str(tmpfs))
    try:
        refused = collect(root)
    finally:
        assert _mount("-o", "remount,rw", str(tmpfs))
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: 无法写入 ") and "文件夹是只读的" in refused.stderr, refused.stderr
    assert ".excelflow" in refused.stderr and "Traceback" not in refused.stderr
    # Only the output folder read-only (a share where the clerk may not write outputs).
    outbox = root / "outbox"
    assert _mount("--bind", str(outbox), str(outbox)) and _mount("-o", "remount,bind,ro", str(outbox))
    try:
        failed = collect(root)
    finally:
        _umount(outbox)
    assert failed.returncode == 1, failed.stdout
    assert failed.stderr.startswith("Error: 无法写入 ") and "文件夹是只读的" in failed.stderr, failed.stderr
    assert str(outbox) in failed.stderr and "(新版-原文件被占用)" not in failed.stdout + failed.stderr
    assert "收集失败" in log_text(root) and "文件夹是只读的" in log_text(root)
    nothing_half_written(root)
    again = collect(root)
    assert again.returncode == 0, again.stderr
    assert outputs_digest(root) == outputs_digest(clean_run)
    assert archive_listing(root) == archive_listing(clean_run)
    nothing_half_written(root)
