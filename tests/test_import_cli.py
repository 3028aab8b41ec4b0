"""`excelflow init` and `excelflow import` as a clerk runs them (click's CliRunner, real files)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from excelflow.cli import main
from excelflow.register.load import load_register
from excelflow.workspace import Workspace


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_import_json_prints_the_contract_and_writes_nothing(runner: CliRunner, tmp_path: Path, real_notice: Path) -> None:
    result = runner.invoke(main, ["import", str(real_notice), "--json", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"title", "tasks", "warnings"}
    assert len(data["tasks"]) == 101
    assert data["tasks"][0] == {
        "id": 1, "chapter": "一、持之以恒主攻工业,不断做强发展支柱", "section": "(一)持续壮大产业集群",
        "text": "聚焦首位产业和主导产业深入实施产业链链长制和“开拓市场万里行”活动,促进产业高端补链、终端延链、整体强链。",
        "lead": ["区工信局"], "co": ["上饶高新区", "各乡镇(街道)"]}
    assert all(set(w) == {"line", "message"} for w in data["warnings"])
    assert '"区工信局"' in result.stdout and '\n  "tasks": [' in result.stdout  # ensure_ascii=False, indent 2
    assert list(tmp_path.iterdir()) == []


def test_import_json_uses_the_workspace_aliases(runner: CliRunner, tmp_path: Path, real_notice: Path) -> None:
    runner.invoke(main, ["init", str(tmp_path), "--example"], catch_exceptions=False)
    result = runner.invoke(main, ["import", str(real_notice), "--json", "--root", str(tmp_path)])
    task68 = json.loads(result.stdout)["tasks"][67]
    assert task68["id"] == 68 and "区农业农村局" in task68["lead"] and "区农业局" not in task68["lead"]


def test_import_writes_the_register_and_prints_a_chinese_summary(runner: CliRunner, tmp_path: Path,
                                                                 real_notice: Path) -> None:
    root = tmp_path / "督查 室"
    result = runner.invoke(main, ["import", str(real_notice), "--root", str(root)])
    assert result.exit_code == 0, result.output
    register = load_register(Workspace(root).register_path)
    assert len(register.tasks) == 101
    out = result.stdout
    assert "任务:共 101 项" in out
    for count in ("13 项", "22 项", "12 项", "15 项", "7 项", "14 项", "18 项"):
        assert count in out
    assert "第 279 行" in out and "第95项" in out
    assert "新登记 59 个单位,见「单位」表" in out and "「各乡镇(街道)」待列出成员" in out
    assert "督查室:区政府督查室(层级:区,地名:广丰区)" in out and "年份:2021 年(取自标题)" in out
    assert f"已写入任务登记表:{Workspace(root).register_path}" in out


def _xlsx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return path


@pytest.mark.parametrize("name, make", [
    ("photo.jpg", lambda p: p.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))),
    ("empty.txt", lambda p: p.write_bytes(b"")),
    ("tasks.xlsx", _xlsx),
    ("prose.txt", lambda p: p.write_text("各位同事:今天下午三点开会,请准时参加。\n", encoding="utf-8")),
])
def test_a_file_that_is_not_a_notice_exits_1_with_a_clear_message(runner: CliRunner, tmp_path: Path, name: str,
                                                                  make) -> None:
    notice = tmp_path / name
    make(notice)
    root = tmp_path / "ws"
    result = runner.invoke(main, ["import", str(notice), "--root", str(root)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and name in result.stderr
    assert not (root / "workbooks" / "register.xlsx").exists()
    assert runner.invoke(main, ["import", str(notice), "--json"]).exit_code == 1


def test_import_of_a_missing_file_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["import", str(tmp_path / "没有这个通知.txt"), "--root", str(tmp_path)])
    assert result.exit_code == 1 and "没有这个通知.txt" in result.stderr


def test_init_then_import_then_init_again(runner: CliRunner, tmp_path: Path, real_notice: Path) -> None:
    first = runner.invoke(main, ["init", str(tmp_path)])
    assert first.exit_code == 0 and "空白" in first.stdout and "广丰" not in first.stdout
    assert runner.invoke(main, ["import", str(real_notice), "--root", str(tmp_path)]).exit_code == 0
    again = runner.invoke(main, ["init", str(tmp_path)])
    assert again.exit_code == 1 and "--force" in again.stderr and "已有任务登记表" in again.stderr
    assert runner.invoke(main, ["init", str(tmp_path), "--force"]).exit_code == 0
    assert load_register(Workspace(tmp_path).register_path).tasks == ()


def test_init_example_holds_the_shipped_example(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["init", str(tmp_path), "--example"])
    assert result.exit_code == 0 and "101 项任务" in result.stdout and "广丰区" in result.stdout
    assert len(load_register(Workspace(tmp_path).register_path).tasks) == 101


def test_import_over_an_edited_register_needs_force(runner: CliRunner, tmp_path: Path, real_notice: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("重点工作分工\n一、工业(1项)\n1.建设产业园。(牵头单位:区工信局;责任单位:各乡镇(街道))\n",
                     encoding="utf-8")
    root = tmp_path / "督查"
    assert runner.invoke(main, ["import", str(other), "--root", str(root)]).exit_code == 0
    refused = runner.invoke(main, ["import", str(real_notice), "--root", str(root)])
    assert refused.exit_code == 1 and "--force" in refused.stderr and "另一份通知" in refused.stderr
    assert len(load_register(Workspace(root).register_path).tasks) == 1
    forced = runner.invoke(main, ["import", str(real_notice), "--root", str(root), "--force"])
    assert forced.exit_code == 0
    assert len(load_register(Workspace(root).register_path).tasks) == 101


def test_commands_have_chinese_help(runner: CliRunner) -> None:
    for command in ("init", "import"):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "登记表" in result.stdout
