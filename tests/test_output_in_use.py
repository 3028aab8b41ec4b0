"""An output the clerk has open in Excel cannot be replaced (Windows refuses the rename). Here the
file is made immutable (`chattr +i`, a real file-system refusal: even root's rename fails with
EPERM), and the pass must keep it, write the new version beside it, and say so."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook
from watch_helpers import NOW, ROUND, drop, log_text, make_workspace

from excelflow.cli import main
from excelflow.files import fallback_path


def _chattr(flag: str, path: Path) -> bool:
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True)
    return done.returncode == 0


@pytest.fixture(scope="module")
def first_round(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where 区工信局 (lead of task 1) has reported and a first collect has run."""
    root = tmp_path_factory.mktemp("base") / "督查 2021"
    drop(root, make_workspace(root), ["区工信局"])
    done = CliRunner().invoke(main, ["collect", "--root", str(root), "--round", ROUND, "--now", NOW])
    assert done.exit_code == 0, done.output
    return root


@pytest.fixture
def held_open(first_round: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A copy of the folder whose 区工信局 rollup is "open in Excel" (immutable) during the test."""
    root = tmp_path / "督查 2021"
    shutil.copytree(first_round, root)
    rollup = root / "outbox" / ROUND / "rollups" / "区工信局.xlsx"
    if not _chattr("+i", rollup):
        pytest.skip("chattr +i is not available here (needs root and ext2/3/4, xfs or btrfs)")
    try:
        yield root, rollup
    finally:
        _chattr("-i", rollup)  # or tmp_path cannot be cleaned up


def texts(path: Path) -> str:
    book = CalamineWorkbook.from_filelike(BytesIO(path.read_bytes()))
    return "\n".join(str(v) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row)


def run_collect(root: Path) -> str:
    done = CliRunner().invoke(main, ["collect", "--root", str(root), "--round", ROUND, "--now", NOW])
    assert done.exit_code == 0, done.output
    return done.output


def test_open_output_is_kept_and_new_version_written_beside_it(held_open: tuple[Path, Path]) -> None:
    root, rollup = held_open
    old = rollup.read_bytes()
    # 丰溪街道 co-hosts task 1, led by 区工信局: its return changes 区工信局's rollup.
    drop(root, root / "outbox" / ROUND / "templates", ["丰溪街道"], progress="丰溪街道已完成园区道路建设")
    output = run_collect(root)

    beside = fallback_path(rollup)
    assert beside.name == "区工信局(新版-原文件被占用).xlsx"
    assert rollup.read_bytes() == old  # the open file is untouched
    assert "丰溪街道已完成园区道路建设" in texts(beside) and "丰溪街道已完成园区道路建设" not in texts(rollup)
    assert f"原文件正被打开(如 Excel),新版写在 outbox/{ROUND}/rollups/{beside.name}" in output
    assert f"新版写在旁边:{beside}" in log_text(root)
    record = json.loads((root / ".excelflow" / "last-pass.json").read_text(encoding="utf-8"))
    assert record["last_success"]["fallbacks"] == [str(beside)]
    status = CliRunner().invoke(main, ["status", "--root", str(root), "--round", ROUND, "--now", NOW])
    assert f"原文件被占用,新版写在 {beside}" in status.output


def test_closed_output_is_replaced_by_the_next_pass_and_the_outdated_copy_removed(held_open: tuple[Path, Path]) -> None:
    root, rollup = held_open
    drop(root, root / "outbox" / ROUND / "templates", ["丰溪街道"], progress="丰溪街道已完成园区道路建设")
    run_collect(root)
    assert fallback_path(rollup).exists()
    assert _chattr("-i", rollup)  # the clerk closes Excel
    run_collect(root)
    assert "丰溪街道已完成园区道路建设" in texts(rollup)
    assert not fallback_path(rollup).exists()  # no outdated "新版" file left to mislead the clerk


def test_open_comparison_workbook_fallback_is_said_and_the_original_retried(first_round: Path, tmp_path: Path) -> None:
    root = tmp_path / "督查 2021"
    shutil.copytree(first_round, root)
    comparison = root / "outbox" / ROUND / f"{ROUND}-对比通报.xlsx"
    old = comparison.read_bytes()
    if not _chattr("+i", comparison):
        pytest.skip("chattr +i is not available here")
    try:
        drop(root, root / "outbox" / ROUND / "templates", ["丰溪街道"])
        output = run_collect(root)
        beside = fallback_path(comparison)
        assert beside.exists()
        assert f"新版写在 outbox/{ROUND}/{beside.name}" in output
        assert f"新版写在旁边:{beside}" in log_text(root)
        record = json.loads((root / ".excelflow" / "last-pass.json").read_text(encoding="utf-8"))
        assert str(beside) in record["last_success"]["fallbacks"]
        assert comparison.read_bytes() == old
        newer = beside.read_bytes()
    finally:
        _chattr("-i", comparison)
    # The clerk closes Excel: nothing new arrived, yet the next pass writes the original this time.
    run_collect(root)
    assert comparison.read_bytes() == newer != old
    assert not beside.exists()
