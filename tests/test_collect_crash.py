"""SIGKILL a real `excelflow collect` at random points; the next run ends exactly like an uninterrupted one.

The reference is one uninterrupted run on a copy of the same working folder. Each trial starts a
collect in a subprocess (slowed between files by the test's own driver, `slow_excelflow.py`, so
kills land inside the file loop as well as in the rendering after it), kills it with SIGKILL after
a random delay, checks the kill landed (the process was still running and died of it), then runs
collect again to completion. The random delays come from a fixed seed, printed (and overridable
with EXCELFLOW_CRASH_SEED), so a failing trial can be repeated. The archive (every blob and record) and every output
(workbook cell values, text files) must equal the reference: nothing lost, nothing duplicated.

A pass syncs its writes in batches (the staged returns' blobs, then their records; a round's
outputs): the second test lands each kill inside one of those commits, chosen at random among
those an uninterrupted run makes, before or after its files are synced.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from collect_helpers import ROUND, build_pristine, drop, fill, tree_digest, workbook_values
from watch_helpers import excelflow_command

NOW = "2021-06-16T09:30"
UNITS = ("区科技局", "上饶高新区", "区工信局", "永丰街道", "芦林街道", "区商务局", "区创卫办", "区扶贫办",
         "区农业农村局", "区财政局")
TRIALS = 3
SEED = int(os.environ.get("EXCELFLOW_CRASH_SEED", "20210616"))
SLOW = 0.15  # seconds each killed pass sleeps after each file


SLOW_SYNC = 0.25  # seconds a commit waits before and after syncing its files, in the second test


def run_collect(root: Path, *, slow: float = 0.0, sync_log: Path | None = None) -> subprocess.Popen[bytes]:
    command = excelflow_command(slow or (0.001 if sync_log else 0.0))
    if sync_log is not None:
        command += ["--slow-sync", str(SLOW_SYNC), "--sync-log", str(sync_log)]
    return subprocess.Popen(
        [*command, "collect", "--root", str(root), "--now", NOW, "--wait", "30"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ))


def finish(root: Path) -> None:
    proc = run_collect(root)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode("utf-8", "replace")


def snapshot(root: Path) -> dict[str, Any]:
    """What must survive a crash: archive blobs and records, and every output's content."""
    archive = {p: h for p, h in tree_digest(root / "archive").items()
               if not p.startswith("journal/") and p != "index.json"}
    outputs: dict[str, Any] = {}
    outbox = root / "outbox" / ROUND
    for path in sorted(outbox.rglob("*")):
        rel = path.relative_to(outbox).as_posix()
        if not path.is_file() or rel.startswith("templates/") or path.name.startswith(".tmp-"):
            continue
        if path.suffix == ".xlsx":
            outputs[rel] = workbook_values(path)
        elif path.suffix == ".docx":
            import docx

            outputs[rel] = [p.text for p in docx.Document(str(path)).paragraphs]
        else:
            outputs[rel] = path.read_bytes()
    leftovers = [p.name for p in (root / "outbox").rglob(".tmp-*")]
    return {"archive": archive, "outputs": outputs, "leftover temp files": leftovers}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder with returns from ten units waiting in the inbox."""
    root = tmp_path_factory.mktemp("crash") / "督查室"
    ws = build_pristine(root)
    work = root.parent / "filled"
    for i, unit in enumerate(UNITS):
        drop(ws, fill(ws, unit, work / f"{unit}.xlsx", status=("序时推进", "已完成", "滞后")[i % 3]), f"{unit}/{unit}.xlsx")
    return root


def test_killed_collect_then_rerun_equals_an_uninterrupted_run(prepared: Path, tmp_path: Path):
    print(f"crash trials seed {SEED} (repeat with EXCELFLOW_CRASH_SEED={SEED})")
    reference_root = tmp_path / "reference"
    shutil.copytree(prepared, reference_root)
    started = time.monotonic()
    proc = run_collect(reference_root, slow=SLOW)  # a slowed run to completion: how long a kill has
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode("utf-8", "replace")
    duration = time.monotonic() - started
    reference = snapshot(reference_root)
    assert len([p for p in reference["archive"] if p.endswith(".xlsx")]) == len(UNITS)

    rng = random.Random(SEED)
    for trial in range(TRIALS):
        root = tmp_path / f"trial{trial}"
        for attempt in range(5):
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(prepared, root)
            # From just after start-up to near the end of a slowed run: in the file loop and in rendering.
            delay = rng.uniform(0.3, 0.9 * duration)
            proc = run_collect(root, slow=SLOW)
            time.sleep(delay)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.communicate(timeout=60)
                break
            proc.communicate(timeout=60)  # finished before the kill (a quick machine): draw again
        assert proc.returncode == -signal.SIGKILL, f"trial {trial} (seed {SEED}): no kill landed in 5 attempts"
        finish(root)
        got = snapshot(root)
        assert got == reference, f"trial {trial} (seed {SEED}, killed after {delay:.2f}s) differs"


def commits(log: Path) -> int:
    try:
        return len(log.read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        return 0


def test_killed_inside_a_batched_commit_then_rerun_equals_an_uninterrupted_run(prepared: Path, tmp_path: Path):
    print(f"commit crash trials seed {SEED} (repeat with EXCELFLOW_CRASH_SEED={SEED})")
    reference_root = tmp_path / "reference"
    shutil.copytree(prepared, reference_root)
    counted = tmp_path / "reference-commits.txt"
    proc = run_collect(reference_root, sync_log=counted)  # how many commits an uninterrupted run makes
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode("utf-8", "replace")
    total = commits(counted)
    assert total >= 3  # at least the archive's two (blobs, records) and the round's outputs
    reference = snapshot(reference_root)

    rng = random.Random(SEED + 1)
    landed = []
    for trial in range(TRIALS):
        root = tmp_path / f"commit-trial{trial}"
        shutil.copytree(prepared, root)
        log = tmp_path / f"commit-trial{trial}.txt"
        target = rng.randint(1, total)
        delay = rng.uniform(0.0, 1.8 * SLOW_SYNC)  # before the sync (files written, not synced) or after it
        proc = run_collect(root, sync_log=log)
        deadline = time.monotonic() + 300
        while commits(log) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
        alive = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        assert alive and proc.returncode == -signal.SIGKILL, f"trial {trial} (seed {SEED}): the kill did not land"
        landed.append((target, round(delay, 2)))
        finish(root)
        got = snapshot(root)
        assert got == reference, f"trial {trial} (seed {SEED}, killed in commit {target} of {total} after {delay:.2f}s) differs"
    print(f"killed inside commits (commit, seconds in): {landed} of {total}")
