"""Helpers the collection tests share: a generated 2021-H1 working folder, filling, reading back.

Building the folder (init + generate 79 workbooks) takes seconds, so each test module builds one
pristine copy and every test copies it (`fresh_workspace`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from excelflow.cli import main
from excelflow.demo import fill_workbook
from excelflow.forms.generate import generate_round
from excelflow.register.campaign import init_workspace
from excelflow.register.load import load_register
from excelflow.workspace import Workspace

ROUND = "2021-H1"
GENERATED_AT = datetime(2021, 6, 1, 9, 0)


def build_pristine(root: Path) -> Workspace:
    ws = Workspace(root)
    init_workspace(ws, example=True)
    register = load_register(ws.register_path)
    generate_round(ws, register, ROUND, now=GENERATED_AT)
    return ws


def fresh_workspace(pristine: Path, target: Path) -> Workspace:
    shutil.copytree(pristine, target)
    return Workspace(target)


def filled_values(task_id: int, *, status: str = "序时推进", progress: float = 60,
                  text: str | None = None) -> dict[str, Any]:
    return {"完成状态": status, "完成进度(%)": progress, "进展情况": text or f"任务{task_id}已按计划推进。",
            "存在问题": "", "下步打算": "继续推进。", "备注": ""}


def fill(ws: Workspace, unit: str, target: Path, per_task: Mapping[int, Mapping[str, Any] | None] | None = None,
         *, source: Path | None = None, **defaults: Any) -> Path:
    """Fill `unit`'s generated workbook (or `source`) into `target`: every row, unless `per_task` says."""
    src = source or ws.template_file(ROUND, unit)

    def values(task_id: int, _sheet: str) -> Mapping[str, Any] | None:
        if per_task is not None and task_id in per_task:
            return per_task[task_id]
        return filled_values(task_id, **defaults)

    fill_workbook(src, target, values)
    return target


def drop(ws: Workspace, source: Path, name: str) -> Path:
    """Put a file into the inbox as a unit would (copy; the source stays)."""
    target = ws.inbox / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def run_cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def collect(ws: Workspace, now: str, *extra: str) -> Any:
    result = run_cli("collect", "--root", str(ws.root), "--now", now, "--wait", "5", *extra)
    assert result.exit_code in (0, 3), result.output
    return result


def status_json(ws: Workspace, now: str, round_id: str = ROUND) -> dict[str, Any]:
    result = run_cli("status", "--root", str(ws.root), "--round", round_id, "--json", "--now", now)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def tree_digest(folder: Path) -> dict[str, str]:
    """relative path → sha256 of every file under `folder`."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def workbook_values(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values as calamine reads them (what a comparison of outputs needs)."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
