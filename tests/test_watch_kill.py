"""SIGKILL a real `excelflow watch` in the middle of a pass, start it again: it takes over the
stale locks, logs the takeover, and ends with the outputs and archive of an uninterrupted run."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest
from watch_helpers import (
    NOW,
    ROUND,
    archive_listing,
    drop,
    excelflow,
    log_text,
    make_workspace,
    outputs_digest,
    parsed_listing,
    passes_done,
    start_watch,
    wait_for,
)

UNITS = ["区工信局", "区发改委", "丰溪街道", "区商务局", "区财政局", "洋口镇", "区文广新旅局", "芦林街道"]


@pytest.fixture(scope="module")
def filled_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("base") / "督查 2021"
    drop(root, make_workspace(root), UNITS)
    return root


def test_killed_watch_is_recovered_with_same_outputs_as_uninterrupted_run(filled_folder: Path, tmp_path: Path) -> None:
    single = tmp_path / "single" / "督查 2021"
    shutil.copytree(filled_folder, single)
    done = excelflow("collect", "--root", str(single), "--round", ROUND, "--now", NOW)
    assert done.returncode == 0, done.stderr
    expected = outputs_digest(single)
    assert len(expected) > len(UNITS)  # rollups, receipts, state file: a real comparison

    root = tmp_path / "watched" / "督查 2021"
    shutil.copytree(filled_folder, root)
    lock_dir = root / ".excelflow" / "lock"
    # The pass sleeps after each file (collect's test hook), so we can kill it between files.
    slow = start_watch(root, "--every", "1h", slow=0.5)
    try:
        wait_for(lambda: (lock_dir / "owner.json").exists() and len(parsed_listing(root)) >= 2, timeout=60)
        slow.send_signal(signal.SIGKILL)
    finally:
        slow.kill()
        slow.wait()
    assert (lock_dir / "owner.json").exists()  # the killed pass left its lock behind
    assert 2 <= len(parsed_listing(root)) < len(UNITS)  # ... in the middle of the work
    assert not passes_done(root)

    again = start_watch(root, "--every", "1h")
    try:
        wait_for(lambda: len(passes_done(root)) == 1, timeout=120)
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=60) == 0
    finally:
        again.kill()
        again.wait()

    log = log_text(root)
    assert f"本机进程 {slow.pid} 已不存在" in log  # the takeover, logged with the dead owner ...
    assert "接管了过期的收集锁" in log and "接管了过期的值守锁" in log  # ... of both locks
    assert outputs_digest(root) == expected
    assert archive_listing(root) == archive_listing(single)
    assert not lock_dir.exists() and not (root / ".excelflow" / "watch.lock").exists()


def test_sigterm_mid_pass_finishes_the_pass_then_stops(filled_folder: Path, tmp_path: Path) -> None:
    root = tmp_path / "督查 2021"
    shutil.copytree(filled_folder, root)
    proc = start_watch(root, "--every", "2s", slow=0.3)
    try:
        wait_for(lambda: len(archive_listing(root)) >= 1, timeout=60)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait()
    done = passes_done(root)
    assert len(done) == 1 and f"新收 {len(UNITS)} 份" in done[0]  # the pass ran to its end, no other began
    assert len(archive_listing(root)) == len(UNITS)
    assert not (root / ".excelflow" / "lock").exists() and not (root / ".excelflow" / "watch.lock").exists()


def test_second_interrupt_abandons_the_pass_and_releases_the_locks(filled_folder: Path, tmp_path: Path) -> None:
    root = tmp_path / "督查 2021"
    shutil.copytree(filled_folder, root)
    proc = start_watch(root, "--every", "1h", slow=0.5)
    try:
        wait_for(lambda: len(archive_listing(root)) >= 1, timeout=60)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)  # two signals sent at once can arrive as one
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    finally:
        proc.kill()
        proc.wait()
    assert not passes_done(root)
    assert len(parsed_listing(root)) < len(UNITS)  # abandoned part-way ...
    assert "放弃当前收集" in log_text(root)
    assert not (root / ".excelflow" / "lock").exists() and not (root / ".excelflow" / "watch.lock").exists()
    # ... and safely: the next collect needs no takeover and finishes the work.
    again = excelflow("collect", "--root", str(root), "--round", ROUND, "--now", NOW)
    assert again.returncode == 0, again.stderr
    assert "接管" not in log_text(root)
    assert len(archive_listing(root)) == len(UNITS)
