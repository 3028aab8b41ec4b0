"""Atomic writes and the sweep of what a killed writer leaves behind."""

from __future__ import annotations

from pathlib import Path

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
