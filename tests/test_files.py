"""Atomic writes and the sweep of what a killed writer leaves behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from excelflow.files import atomic_write_bytes, remove_stale_temp_files


def test_atomic_write_leaves_no_temporary_file_and_names_its_target_in_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "2021-H1-对比通报.xlsx"
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_sweep_with_targets_removes_only_those_files_leftovers(tmp_path: Path) -> None:
    ours = tmp_path / ".tmp-2021-H1-对比通报.xlsx.k3j2.part"
    generates = tmp_path / ".tmp-分发清单.xlsx.x9q1.part"  # another command may be writing it now
    for p in (ours, generates):
        p.write_bytes(b"half")
    remove_stale_temp_files(tmp_path, ["2021-H1-对比通报.xlsx"])
    assert not ours.exists() and generates.exists()


def test_sweep_without_targets_removes_every_leftover_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / ".tmp-a.xlsx.1.part").write_bytes(b"half")
    (tmp_path / "a.xlsx").write_bytes(b"whole")
    remove_stale_temp_files(tmp_path)
    remove_stale_temp_files(tmp_path / "missing")  # a folder not made yet is not an error
    assert [p.name for p in tmp_path.iterdir()] == ["a.xlsx"]


def test_a_leftover_is_swept_only_when_its_owner_is_known_to_be_gone(tmp_path: Path) -> None:
    import hashlib
    import os
    import socket
    import subprocess
    import sys

    here = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    names = {
        "dead": f".tmp-a.xlsx.p{gone.pid}-{here}.x1.part",  # a process of this host that has ended
        "alive": f".tmp-b.xlsx.p{os.getpid()}-{here}.x2.part",  # still writing: never pulled away
        "elsewhere": f".tmp-c.xlsx.p{gone.pid}-0badc0de.x3.part",  # another host's: cannot be judged
        "old": ".tmp-d.xlsx.k3j2.part",  # an earlier version's, written under the collector lock
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"half")
    remove_stale_temp_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([names["alive"], names["elsewhere"]])


def test_files_and_folders_are_made_with_the_users_umask_not_mkstemps_0600(tmp_path: Path) -> None:
    import subprocess
    import sys

    from conftest import ROOT

    for umask, file_mode, dir_mode in ((0o022, 0o644, 0o755), (0o002, 0o664, 0o775)):
        target = tmp_path / f"u{umask:o}" / "outbox" / "2021-H1-对比通报.xlsx"
        code = ("import os, sys; from pathlib import Path; os.umask(int(sys.argv[2], 8)); "
                "from excelflow.files import atomic_write_bytes; atomic_write_bytes(Path(sys.argv[1]), b'x')")
        subprocess.run([sys.executable, "-c", code, str(target), f"{umask:o}"], check=True, cwd=ROOT)
        assert target.stat().st_mode & 0o777 == file_mode
        assert target.parent.stat().st_mode & 0o777 == dir_mode


def test_a_write_into_a_folder_removed_since_the_last_write_makes_the_folder_again(tmp_path: Path) -> None:
    import shutil

    from excelflow.files import WriteFence, fenced

    # This process remembers the folders it made; a clerk (or a test) may delete one between two
    # passes of `watch`, and the next write must make it again, fenced or not.
    folder = tmp_path / "outbox" / "2021-H1" / "receipts"
    atomic_write_bytes(folder / "a.xlsx", b"1")
    shutil.rmtree(folder)
    atomic_write_bytes(folder / "b.xlsx", b"2")
    assert (folder / "b.xlsx").read_bytes() == b"2"

    work = tmp_path / "lock" / "w-token"
    work.mkdir(parents=True)
    with fenced(WriteFence(temp_dir=work, check=lambda: None, tag="token")):
        atomic_write_bytes(folder / "c.xlsx", b"3")
        shutil.rmtree(folder)
        atomic_write_bytes(folder / "d.xlsx", b"4")
    assert sorted(p.name for p in folder.iterdir()) == ["d.xlsx"]
    assert list(work.iterdir()) == []


def test_a_file_named_without_a_folder_is_written_in_the_current_one(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    atomic_write_bytes(Path("回执.txt"), b"done")
    assert (tmp_path / "回执.txt").read_bytes() == b"done"
    assert [p.name for p in tmp_path.iterdir()] == ["回执.txt"]
