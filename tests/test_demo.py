"""`excelflow demo`: the README's first command runs the whole job on the shipped register."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from excelflow.cli import main
from excelflow.demo import soffice
from excelflow.store.archive import Archive
from excelflow.workspace import Workspace


def test_demo_builds_fills_collects_and_lists_every_output(tmp_path: Path):
    root = tmp_path / "演示 文件夹"
    result = CliRunner().invoke(main, ["demo", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "收集完成:轮次 2021-H1" in out and "全部输出文件" in out

    listed: list[Path] = []
    folder = None
    for line in out.split("全部输出文件")[1].split("先看这几个:")[0].splitlines()[1:]:
        if line.startswith("    "):
            assert folder is not None
            listed.append(folder / line.strip())
        elif line.strip():
            folder = Path(line.strip().rsplit("(", 1)[0])
    on_disk = sorted(p for p in (root / "outbox").rglob("*") if p.is_file())
    assert sorted(listed) == on_disk
    assert any(p.parent.name == "rollups" for p in listed) and any(p.parent.name == "receipts" for p in listed)

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
