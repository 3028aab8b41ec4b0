"""The lease and its fence, with real processes: a collector paused past the stale time (SIGSTOP)
is taken over and, resumed (SIGCONT), writes nothing; two collectors whose wall clocks are
11 minutes apart (`faketime`) never take each other's live lock; a lock left by a process killed
before its lock folder was in place blocks nobody."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from watch_helpers import (
    NOW,
    ROOT,
    ROUND,
    SLOW_SCRIPT,
    archive_listing,
    child_env,
    collected_copy,
    filled_folder,
    log_text,
    outputs_digest,
    parsed_listing,
    wait_for,
)

from excelflow.runs.lock import read_owner

UNITS = ["区工信局", "区发改委", "丰溪街道", "区商务局", "区财政局", "洋口镇", "区文广新旅局", "芦林街道"]
STALE = 3.0  # seconds: the lock timing the tests run collectors with (production: 600 s, beat 30 s)
BEAT = 0.5


def collector(root: Path, *, slow: float = 0.0, timed: bool = True, wait: float = 30,
              clock: str | None = None) -> subprocess.Popen[str]:
    """A real `excelflow collect` on `root`, slowed by `slow` s per file, with the short lock timing,
    its wall clock moved by `clock` (a faketime offset such as "+11m")."""
    args = [sys.executable, str(SLOW_SCRIPT), str(slow)]
    if timed:
        args += ["--stale-after", str(STALE), "--heartbeat", str(BEAT)]
    args += ["collect", "--root", str(root), "--round", ROUND, "--now", NOW, "--wait", str(wait)]
    if clock is not None:
        args = ["faketime", "-f", clock, *args]
    return subprocess.Popen(args, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def state_digest(root: Path) -> dict[str, str]:
    """Every file a pass may write (archive, outputs, the collector's state) but the log, which
    anyone appends to."""
    out = {}
    for folder in ("archive", "outbox", ".excelflow", "workbooks"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.name != "excelflow.log":
                out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filled_folder(tmp_path_factory.mktemp("base"), UNITS)


@pytest.fixture(scope="module")
def clean_run(filled: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = collected_copy(filled, tmp_path_factory.mktemp("clean"))
    return root


def test_a_collector_paused_past_the_stale_time_writes_nothing_after_the_takeover(
        filled: Path, clean_run: Path, tmp_path: Path) -> None:
    root = tmp_path / "督查 2021"
    shutil.copytree(filled, root)
    paused = collector(root, slow=0.5)
    try:
        # Parses are saved one by one (a tick each); the blobs are staged ahead, all at once here.
        wait_for(lambda: len(parsed_listing(root)) >= 2, timeout=60)
        os.kill(paused.pid, signal.SIGSTOP)  # a laptop lid closed, a stalled share
        stopped_at = time.monotonic()
        assert len(parsed_listing(root)) < len(UNITS)  # in the middle of its pass
        time.sleep(STALE + 1)
        taker = collector(root, wait=30)
        _, err = taker.communicate(timeout=180)
        assert taker.returncode == 0, err
        assert time.monotonic() - stopped_at > STALE
        assert "接管了过期的收集锁" in log_text(root) and "没有心跳" in log_text(root)
        after_takeover = state_digest(root)
        os.kill(paused.pid, signal.SIGCONT)
        _, err = paused.communicate(timeout=120)
    finally:
        if paused.poll() is None:
            os.kill(paused.pid, signal.SIGCONT)
            paused.kill()
            paused.communicate()
    assert paused.returncode == 1, err
    assert "Error:" in err and "收集锁已被其他进程接管" in err and "Traceback" not in err
    assert state_digest(root) == after_takeover  # nothing written after the takeover
    assert outputs_digest(root) == outputs_digest(clean_run)
    assert archive_listing(root) == archive_listing(clean_run)
    assert not [p for p in root.rglob("*") if p.name.startswith(".tmp-")]
    assert not (root / ".excelflow" / "lock").exists()


@pytest.mark.skipif(shutil.which("faketime") is None, reason="faketime is not installed")
@pytest.mark.parametrize("holder_clock, contender_clock", [(None, "+11m"), ("+11m", None)])
def test_collectors_whose_clocks_are_eleven_minutes_apart_never_take_a_live_lock(
        filled: Path, tmp_path: Path, holder_clock: str | None, contender_clock: str | None) -> None:
    # Production timing (stale after 10 minutes): a contender whose clock runs 11 minutes ahead of
    # the holder's saw a fresh heartbeat as 11 minutes old when staleness compared clocks.
    root = tmp_path / "督查 2021"
    shutil.copytree(filled, root)
    holder = collector(root, slow=0.6, timed=False, clock=holder_clock)
    try:
        wait_for(lambda: read_owner(root / ".excelflow" / "lock") is not None, timeout=60)
        owner = read_owner(root / ".excelflow" / "lock")
        assert owner is not None
        contender = collector(root, timed=False, wait=2, clock=contender_clock)
        _, err = contender.communicate(timeout=120)
        assert contender.returncode == 1, err
        assert "另一个收集进程正在处理这个工作文件夹" in err and f"进程 {owner.pid}" in err
        _, err = holder.communicate(timeout=180)
        assert holder.returncode == 0, err
    finally:
        holder.kill()
        holder.communicate()
    assert "接管" not in log_text(root)
    assert len(archive_listing(root)) == len(UNITS)
