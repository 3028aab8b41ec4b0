"""Two real `excelflow collect` processes started together on one working folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from watch_helpers import (
    NOW,
    ROOT,
    ROUND,
    archive_listing,
    child_env,
    collected_copy,
    excelflow_command,
    filled_folder,
    outputs_digest,
)

UNITS = ["区工信局", "区发改委", "丰溪街道", "区商务局", "区财政局", "洋口镇"]
# Slows each pass down (seconds per file, through the pass's progress callback) so that the two
# processes really overlap; it changes no result.
SLOW = 0.4


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filled_folder(tmp_path_factory.mktemp("base"), UNITS)


@pytest.fixture(scope="module")
def single_run(filled: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = collected_copy(filled, tmp_path_factory.mktemp("single"))
    assert len(outputs_digest(root)) > len(UNITS)  # rollups, receipts, state file: a real comparison
    return root


def start_collect(root: Path, *extra: str) -> subprocess.Popen[str]:
    args = [*excelflow_command(SLOW), "collect", "--root", str(root), "--round", ROUND, "--now", NOW, *extra]
    return subprocess.Popen(args, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_together(root: Path, *extra: str) -> list[tuple[int, int, str]]:
    procs = [start_collect(root, *extra), start_collect(root, *extra)]
    results = []
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        results.append((proc.pid, proc.returncode, err))
    return results


def test_second_collect_refuses_naming_the_holder_and_outputs_equal_one_run(
    filled: Path, single_run: Path, tmp_path: Path
) -> None:
    root = tmp_path / "督查 2021"
    shutil.copytree(filled, root)
    results = run_together(root, "--wait", "0")
    codes = sorted(code for _, code, _ in results)
    assert codes == [0, 1], results
    (winner,) = [pid for pid, code, _ in results if code == 0]
    (message,) = [err for _, code, err in results if code == 1]
    assert "另一个收集进程正在处理这个工作文件夹" in message
    assert f"进程 {winner}" in message and "起占用" in message
    assert outputs_digest(root) == outputs_digest(single_run)
    assert archive_listing(root) == archive_listing(single_run)
    assert not (root / ".excelflow" / "lock").exists()


def test_second_collect_waits_then_finds_nothing_new_and_outputs_equal_one_run(
    filled: Path, single_run: Path, tmp_path: Path
) -> None:
    root = tmp_path / "督查 2021"
    shutil.copytree(filled, root)
    results = run_together(root)  # default --wait 60: the second waits for the first
    assert [code for _, code, _ in results] == [0, 0], results
    log = (root / ".excelflow" / "excelflow.log").read_text(encoding="utf-8")
    done = [line for line in log.splitlines() if "收集完成" in line]
    assert len(done) == 2
    assert sum(f"新收 {len(UNITS)} 份" in line for line in done) == 1
    assert sum("新收 0 份" in line for line in done) == 1
    assert outputs_digest(root) == outputs_digest(single_run)
    assert archive_listing(root) == archive_listing(single_run)
