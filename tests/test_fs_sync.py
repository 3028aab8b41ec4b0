"""A batch of durable writes is synced with one `syncfs` per local Linux file system where that is
as safe as syncing each file and folder, and file by file everywhere else (`excelflow/fs_sync.py`)."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from excelflow import files, fs_sync
from excelflow.files import WriteFailed, atomic_write_bytes, synced_together

MOUNTINFO_SAMPLE = """\
22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
40 22 0:38 / /mnt/share rw,relatime shared:20 master:3 - cifs //server/督查室 rw,vers=3.0
41 22 254:2 / /data rw,relatime - xfs /dev/vdb rw
42 22 254:1 /srv /bound rw,relatime - ext4 /dev/vda1 rw
"""


@pytest.fixture
def quiet_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The system holds nothing else to write (as `/proc/meminfo` would say between two passes):
    the tests that count calls do not depend on what the rest of the machine is writing."""
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24684080 kB\nDirty:               128 kB\nWriteback:             0 kB\n")
    monkeypatch.setattr(fs_sync, "MEMINFO", meminfo)


def test_a_kernel_before_5_8_is_not_trusted_with_syncfs_errors():
    assert not fs_sync.kernel_allows("4.19.0-26-amd64")
    assert not fs_sync.kernel_allows("5.7.19")
    assert fs_sync.kernel_allows("5.8.0")
    assert fs_sync.kernel_allows("5.10.0-28-cloud-amd64")
    assert fs_sync.kernel_allows("6.18.44-fc-v1045")
    assert not fs_sync.kernel_allows("garbage")


def test_mountinfo_gives_each_devices_file_system_type_optional_fields_and_all():
    types = fs_sync.file_system_types(MOUNTINFO_SAMPLE)
    assert types == {"254:1": "ext4", "0:21": "proc", "0:38": "cifs", "254:2": "xfs"}


def test_the_unwritten_bytes_are_dirty_and_writeback_of_meminfo():
    assert fs_sync.unwritten_bytes("Dirty:   43404 kB\nWriteback:    16 kB\nWritebackTmp:   0 kB\n") == (43404 + 16) * 1024
    assert fs_sync.unwritten_bytes("Dirty:   43404 kB\n") is None  # not all there: not trusted
    assert fs_sync.unwritten_bytes("") is None


def test_a_commit_while_much_else_waits_to_be_written_syncs_its_own_files(tmp_path: Path, monkeypatch):
    """`syncfs` would wait for all of it (another program's gigabyte): the batch's files one by one."""
    busy = tmp_path / "meminfo"
    busy.write_text("Dirty:         1048576 kB\nWriteback:      2048 kB\n")
    monkeypatch.setattr(fs_sync, "MEMINFO", busy)
    calls = _Calls(monkeypatch)
    written = _write_batch(tmp_path / "busy")
    assert calls.whole == [] and set(written) <= set(calls.one)


def test_the_type_found_for_a_folder_is_what_findmnt_says(tmp_path: Path, quiet_disk: None):
    if not sys.platform.startswith("linux") or shutil.which("findmnt") is None:
        pytest.skip("Linux with findmnt only")
    expected = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "--target", str(tmp_path)], capture_output=True,
                              text=True, check=True).stdout.strip()
    types = fs_sync.file_system_types(fs_sync.MOUNTINFO.read_text(encoding="utf-8"))
    device = tmp_path.stat().st_dev
    assert types[f"{os.major(device)}:{os.minor(device)}"] == expected
    groups, rest = fs_sync.whole_sync_folders([tmp_path, tmp_path / "gone"])
    assert tmp_path / "gone" in rest  # cannot be looked at: synced one by one (it finds nothing)
    whole = expected in fs_sync.WHOLE_SYNC_TYPES and fs_sync.kernel_allows(os.uname().release)
    assert (groups == {tmp_path: [tmp_path]}) == whole


class _Calls:
    """The real sync functions, each call noted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.whole: list[Path] = []
        self.one: list[Path] = []
        real_whole, real_one = fs_sync.sync_file_system, files._sync_path
        monkeypatch.setattr(files, "sync_file_system", lambda f: self.whole.append(Path(f)) or real_whole(f))
        monkeypatch.setattr(files, "_sync_path", lambda p: self.one.append(Path(p)) or real_one(p))


def _write_batch(folder: Path, count: int = 5) -> list[Path]:
    written = [folder / "a" / f"回执{i}.xlsx" for i in range(count)] + [folder / "b" / "汇总.xlsx"]
    with synced_together():
        for i, path in enumerate(written):
            atomic_write_bytes(path, b"x" * (i + 1))
    return written


def test_a_batch_on_a_local_linux_file_system_is_synced_with_one_call(tmp_path: Path, monkeypatch, quiet_disk: None):
    groups, _ = fs_sync.whole_sync_folders([tmp_path])
    if not groups:
        pytest.skip("this file system or kernel is synced file by file")
    calls = _Calls(monkeypatch)
    written = _write_batch(tmp_path)
    assert calls.whole == [tmp_path / "a"]  # both folders are on one file system: one call
    assert calls.one == []
    assert [p.read_bytes() for p in written] == [b"x" * (i + 1) for i in range(len(written))]


def test_a_batch_on_a_file_system_not_trusted_with_syncfs_syncs_each_file_and_folder(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(fs_sync, "WHOLE_SYNC_TYPES", frozenset())  # as on a share (cifs, nfs)
    calls = _Calls(monkeypatch)
    written = _write_batch(tmp_path)
    assert calls.whole == []
    expected = set(written) | ({tmp_path / "a", tmp_path / "b"} if sys.platform != "win32" else set())
    assert set(calls.one) == expected


def _fake_syncfs(code: int):
    def call(fd: int) -> int:
        ctypes.set_errno(code)
        return -1

    return call


def test_a_write_back_error_reported_by_syncfs_fails_the_commit_naming_the_folder(tmp_path: Path, monkeypatch,
                                                                                  quiet_disk: None):
    if not fs_sync.whole_sync_folders([tmp_path])[0]:
        pytest.skip("this file system or kernel is synced file by file")
    monkeypatch.setattr(fs_sync, "_syncfs", lambda: _fake_syncfs(errno.EIO))  # a disk that failed a write
    with pytest.raises(WriteFailed) as failure:
        _write_batch(tmp_path)
    assert failure.value.errno == errno.EIO
    assert failure.value.path == tmp_path / "a" and "无法写入" in str(failure.value)


def test_a_kernel_that_refuses_syncfs_gets_each_file_synced_from_then_on(tmp_path: Path, monkeypatch,
                                                                         quiet_disk: None):
    if not fs_sync.whole_sync_folders([tmp_path])[0]:
        pytest.skip("this file system or kernel is synced file by file")
    monkeypatch.setattr(fs_sync, "_REFUSED", False)
    monkeypatch.setattr(fs_sync, "_syncfs", lambda: _fake_syncfs(errno.EPERM))  # a seccomp filter
    calls = _Calls(monkeypatch)
    first = _write_batch(tmp_path / "first")
    assert calls.whole == [tmp_path / "first" / "a"] and set(first) <= set(calls.one)
    calls.whole.clear()
    calls.one.clear()
    second = _write_batch(tmp_path / "second")
    assert calls.whole == [] and set(second) <= set(calls.one)  # not asked again


def test_a_folder_gone_before_its_sync_leaves_its_files_to_be_synced_one_by_one(tmp_path: Path):
    assert fs_sync.sync_file_system(tmp_path / "gone") is False  # not an error: nothing there to lose

