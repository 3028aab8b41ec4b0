"""A real working folder for the watch, lock and fallback tests: the shipped 2021 register, its
H1 workbooks, and returns filled the way a unit would (openpyxl, values typed into the cells)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import warnings
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent
SLOW_SCRIPT = Path(__file__).resolve().parent / "slow_excelflow.py"
ROUND = "2021-H1"
# An `--now` inside the H1 reporting window: every filled return is on time.
NOW = "2021-06-10T09:00:00"


def excelflow(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real `excelflow` command in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "excelflow.cli", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=child_env(),
    )


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def make_workspace(root: Path) -> Path:
    """`init` with the shipped register, then `generate` the H1 workbooks; returns the templates folder."""
    for args in (["init", str(root), "--example"], ["generate", "--round", ROUND, "--root", str(root), "--now", NOW]):
        done = excelflow(*args)
        assert done.returncode == 0, done.stderr
    return root / "outbox" / ROUND / "templates"


def filled(template: Path, progress: str = "按计划推进中") -> bytes:
    """The template with every task row filled in: status, progress, text."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about data-validation extensions it drops
        book = load_workbook(BytesIO(template.read_bytes()))
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            continue
        header_row, columns = None, {}
        for row in sheet.iter_rows(min_row=1, max_row=12):
            if row[0].value == "序号":
                header_row = row[0].row
                columns = {cell.value: cell.column for cell in row if cell.value}
                break
        if header_row is None:
            continue
        for r in range(header_row + 1, sheet.max_row + 1):
            if isinstance(sheet.cell(r, 1).value, (int, float)):
                sheet.cell(r, columns["完成状态"]).value = "序时推进"
                sheet.cell(r, columns["完成进度(%)"]).value = 50
                sheet.cell(r, columns["进展情况"]).value = progress
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def drop(root: Path, templates: Path, units: list[str], progress: str = "按计划推进中") -> None:
    """Units return their filled workbooks into `inbox/` (written whole, as a finished copy)."""
    inbox = root / "inbox"
    inbox.mkdir(exist_ok=True)
    for unit in units:
        # Copied in whole (a hidden temp name the scan ignores, then a rename), so a watch tick
        # never sees it half-written; half-written files are the intake's own tests.
        temp = inbox / f".{unit}.part"
        temp.write_bytes(filled(templates / f"{unit}.xlsx", progress))
        os.replace(temp, inbox / f"{unit}.xlsx")


def outputs_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under `outbox/` except the handed-out templates: what a pass wrote."""
    out = {}
    for path in sorted((root / "outbox").rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and "/templates/" not in rel and "分发清单" not in rel:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def archive_listing(root: Path) -> list[str]:
    """The archived blobs (the returns kept for good), by name."""
    return sorted(p.name for p in (root / "archive").rglob("*") if p.suffix in (".xlsx", ".xls", ".ods", ".xlsm"))


def parsed_listing(root: Path) -> list[str]:
    """The returns whose parse the archive has saved: a pass saves them one after another (with a
    progress tick each), while it stages the blobs ahead of the parses, several at once."""
    return sorted(p.name for p in (root / "archive").rglob("*.submission.json"))


def wait_for(predicate, timeout: float = 60.0, every: float = 0.05) -> None:  # noqa: ANN001
    """Poll `predicate` until it is true; fail the test after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {getattr(predicate, '__name__', predicate)}")
        time.sleep(every)


def log_text(root: Path) -> str:
    try:
        return (root / ".excelflow" / "excelflow.log").read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def passes_done(root: Path) -> list[str]:
    """The log's "pass finished" lines, oldest first."""
    return [line for line in log_text(root).splitlines() if "收集完成" in line]


def excelflow_command(slow: float = 0.0) -> list[str]:
    """The real `excelflow` command line; with `slow`, every pass sleeps that long after each new
    file (`slow_excelflow.py`), so a kill or a second process lands inside a pass."""
    if slow:
        return [sys.executable, str(SLOW_SCRIPT), str(slow)]
    return [sys.executable, "-m", "excelflow.cli"]


def start_watch(root: Path, *extra: str, slow: float = 0.0) -> subprocess.Popen[str]:
    """`excelflow watch` on `root` in a real child process (stdout/stderr to files in `root`'s parent)."""
    out = open(root.parent / "watch.out", "a", encoding="utf-8")
    try:
        return subprocess.Popen(
            [*excelflow_command(slow), "watch", "--root", str(root), "--round", ROUND, "--now", NOW, *extra],
            cwd=ROOT, env=child_env(), stdout=out, stderr=subprocess.STDOUT, text=True,
        )
    finally:
        out.close()  # the child has its own copy of the handle


def filled_folder(base: Path, units: list[str]) -> Path:
    """A working folder with the example's H1 workbooks generated and `units`' returns in `inbox/`."""
    root = base / "督查 2021"
    drop(root, make_workspace(root), units)
    return root


def collected_copy(source: Path, base: Path) -> Path:
    """A copy of `source` collected once, completely, by a real `excelflow collect` (the reference
    a killed, paused or failed run must end equal to)."""
    root = base / "督查 2021"
    shutil.copytree(source, root)
    done = excelflow("collect", "--root", str(root), "--round", ROUND, "--now", NOW)
    assert done.returncode == 0, done.stderr
    return root
