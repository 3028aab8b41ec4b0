"""Every command that writes outputs or the pass cache holds the collector lock (`compare` waits
for a collect pass, then writes); `status` writes nothing at all, so it needs no lock."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from test_lock import start_holder, wait_held

from excelflow.cli import main
from excelflow.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "excelflow.log"}


def test_compare_waits_for_the_collector_lock_and_says_who_holds_it(tmp_path: Path) -> None:
    root = tmp_path / "督查室"
    assert CliRunner().invoke(main, ["init", str(root), "--example"]).exit_code == 0
    holder = start_holder(root, 30)
    try:
        wait_held(holder)
        before = tree(root)
        done = subprocess.run([sys.executable, "-m", "excelflow.cli", "compare", "--root", str(root), "--round",
                               "2021-H1", "--now", "2021-06-20T09:00", "--wait", "0.5"], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 1
        assert "另一个收集进程正在处理这个工作文件夹" in done.stderr and f"进程 {holder.pid}" in done.stderr
        assert {k: v for k, v in tree(root).items() if not k.startswith(".excelflow/lock")} == \
            {k: v for k, v in before.items() if not k.startswith(".excelflow/lock")}  # wrote nothing
    finally:
        holder.kill()
        holder.wait()
    done = CliRunner().invoke(main, ["compare", "--root", str(root), "--round", "2021-H1", "--now", "2021-06-20T09:00"])
    assert done.exit_code == 0, done.output  # the stale lock of the killed holder is taken over
    assert Workspace(root).comparison_path("2021-H1").exists()


def test_status_writes_nothing_even_after_the_register_changed(tmp_path: Path) -> None:
    root = tmp_path / "督查室"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root), "--example"]).exit_code == 0
    assert runner.invoke(main, ["collect", "--root", str(root), "--now", "2021-06-14T09:00"]).exit_code in (0, 3)
    register = Workspace(root).register_path
    register.write_bytes(register.read_bytes())  # saved again by the clerk: a new modification time
    before = tree(root)
    for args in (["--json"], []):
        done = runner.invoke(main, ["status", "--root", str(root), "--round", "2021-H1", "--now", "2021-06-14T09:00",
                                    *args])
        assert done.exit_code == 0, done.output
    assert tree(root) == before
