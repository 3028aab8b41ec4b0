"""`excelflow demo`: the README's first command runs the whole job on the shipped register."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from excelflow.cli import main
from excelflow.demo import soffice
from excelflow.store.archive import Archive
from excelflow.workspace import Workspace


def test_demo_builds_fills_collects_and_ends_with_the_files_to_open_first(tmp_path: Path):
    root = tmp_path / "演示 文件夹"
    result = CliRunner().invoke(main, ["demo", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "收集完成:2021年上半年(2021-H1)" in out

    # A short list of the files to open first, each there, then one line for the rest.
    tail = out.split("先打开这几个文件:")[1].strip().splitlines()
    first, rest = tail[:-1], tail[-1]
    assert 3 <= len(first) <= 6
    shown = [Path(line.split(":", 1)[1].strip()) for line in first]
    assert all(p.is_file() for p in shown)
    assert shown[0].name == "2021-H1-对比通报.xlsx" and shown[1].name == "2021-H1-通报.docx"
    on_disk = [p for p in (root / "outbox").rglob("*") if p.is_file()]
    assert rest.startswith(f"其余 {len(on_disk) - len(shown)} 个输出文件在 ") and "templates/ 79 个填报表" in rest
    assert len(out.splitlines()) < 120  # the summary stays on a screen or two, no list of 290 file names

    ws = Workspace(root)
    status = CliRunner().invoke(main, ["status", "--root", str(root), "--round", "2021-H1", "--json",
                                       "--now", "2021-06-28T12:00"])
    states = {e["state"] for e in json.loads(status.output)["entries"]}
    assert states == {"on_time", "late", "missing", "incomplete", "invalid"}

    subs = Archive(ws).submissions()
    assert any(s.confidence == "header" for s in subs), "the retyped form is identified from its header"
    assert any(s.kind == "rollup" for s in subs), "a lead unit returned its filled rollup"
    by_unit: dict[str, int] = {}
    for s in subs:
        by_unit[s.unit or ""] = by_unit.get(s.unit or "", 0) + 1
    assert max(by_unit.values()) >= 2, "one unit resubmitted with corrections"
    if soffice() is not None:
        assert any(s.path.endswith(".xls") for s in subs)
    else:
        assert "没有安装 LibreOffice" in out
    # Originals untouched: every inbox file is in the archive byte for byte.
    blobs = {(ws.root / r.blob).read_bytes() for r in Archive(ws).records()}
    assert all(p.read_bytes() in blobs for p in ws.inbox.rglob("*") if p.is_file())


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path):
    (tmp_path / "已有").mkdir()
    (tmp_path / "已有" / "重要.xlsx").write_bytes(b"x")
    result = CliRunner().invoke(main, ["demo", str(tmp_path / "已有")])
    assert result.exit_code == 1
    assert "已存在且不是空的" in result.output
    assert (tmp_path / "已有" / "重要.xlsx").read_bytes() == b"x"
