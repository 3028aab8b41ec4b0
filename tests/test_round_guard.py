"""Say the round: without --round a command says which round it took and why, never picks a round
whose workbooks were never generated, `--check` counts only what is due, and a folder that is not a
working folder is named as such (`import` makes a whole one or none)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from collect_helpers import ROUND, build_pristine, drop, fill, fresh_workspace

from excelflow.cli import main
from excelflow.workspace import Workspace


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_pristine(tmp_path_factory.mktemp("guard") / "督查 2021").root


@pytest.fixture
def ws(pristine: Path, tmp_path: Path) -> Workspace:
    return fresh_workspace(pristine, tmp_path / "督查 2021")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_without_round_collect_says_which_round_and_why(ws: Workspace) -> None:
    # In October the full-year deadline is nearer, but only the half-year workbooks were generated.
    result = run("collect", "--root", str(ws.root), "--now", "2021-10-08T09:00", "--wait", "5")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "收集完成:2021年上半年(2021-H1)" in out
    assert "未指定 --round" in out and "2021年全年(2021-FY)尚未生成填报表,不自动选取" in out
    assert not ws.round_dir("2021-FY").exists()  # nothing written for the round nobody was sent


def test_status_and_compare_say_the_round_they_took(ws: Workspace) -> None:
    status = run("status", "--root", str(ws.root), "--now", "2021-06-20")
    assert status.exit_code == 0 and "2021年上半年(2021-H1)" in status.output
    assert "未指定 --round" in status.output
    compare = run("compare", "--root", str(ws.root), "--now", "2021-10-08")
    assert compare.exit_code == 0, compare.output
    assert compare.output.startswith("2021年上半年(2021-H1)对比通报")
    assert not ws.round_dir("2021-FY").exists()


def test_a_named_round_is_taken_without_a_word(ws: Workspace) -> None:
    result = run("status", "--root", str(ws.root), "--round", "2021-FY", "--now", "2021-10-08")
    assert result.exit_code == 0 and "未指定 --round" not in result.output


def test_no_round_generated_and_nothing_returned_is_said_not_guessed(tmp_path: Path) -> None:
    root = tmp_path / "新"
    assert run("init", str(root), "--example").exit_code == 0
    # collect still takes in what is dropped (nothing here) and says why no round's outputs were made
    collected = run("collect", "--root", str(root), "--now", "2021-06-20", "--wait", "5")
    assert collected.exit_code == 0, collected.output
    assert "尚未开始任何轮次" in collected.output and "还没有为任何轮次生成填报表" in collected.output
    for args in (["compare", "--root", str(root), "--now", "2021-06-20"],
                 ["status", "--root", str(root), "--now", "2021-06-20"]):
        result = run(*args)
        assert result.exit_code == 1, result.output
        assert "还没有为任何轮次生成填报表" in result.output and "--round" in result.output
    assert not list((root / "outbox").iterdir())  # no reminders to 79 units for a round never opened


def test_returns_arrived_open_their_round(pristine: Path, tmp_path: Path) -> None:
    ws = fresh_workspace(pristine, tmp_path / "a")
    source = fill(ws, "区科技局", tmp_path / "filled.xlsx")
    other = Workspace(tmp_path / "b")
    assert run("init", str(other.root), "--example").exit_code == 0
    # The same campaign's workbooks (signed with its key), returned into a folder that never generated any.
    shutil.copyfile(ws.campaign_key_path, other.campaign_key_path)
    drop(other, source, "区科技局.xlsx")
    result = run("collect", "--root", str(other.root), "--now", "2021-06-14T10:00", "--wait", "5")
    assert result.exit_code == 0, result.output
    assert "2021年上半年(2021-H1)" in result.output


@pytest.mark.parametrize(("now", "code"), [("2021-06-14T10:00", 0), ("2021-06-15T23:00", 0),
                                           ("2021-06-16T09:00", 3)])
def test_check_reports_only_what_is_due(ws: Workspace, now: str, code: int) -> None:
    # Nothing returned at all: before the co-unit deadline nothing is due yet.
    result = run("collect", "--root", str(ws.root), "--round", ROUND, "--now", now, "--wait", "5", "--check")
    assert result.exit_code == code, result.output
    status = run("status", "--root", str(ws.root), "--round", ROUND, "--now", now, "--check", "--json")
    assert status.exit_code == code


def test_a_folder_that_is_not_a_working_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "别的").mkdir()
    (tmp_path / "别的" / "笔记.txt").write_text("x", encoding="utf-8")
    for command in ("collect", "status", "compare", "generate", "watch"):
        args = [command, "--root", str(tmp_path / "别的")] + (["--round", ROUND] if command == "generate" else [])
        result = run(*args)
        assert result.exit_code == 1, (command, result.output)
        assert "不是 excelflow 工作文件夹" in result.output, result.output
    missing = run("status", "--root", str(tmp_path / "没有"))
    assert missing.exit_code == 1 and "不存在" in missing.output
    assert not (tmp_path / "没有").exists()


def test_import_makes_a_whole_working_folder_or_none(tmp_path: Path, real_notice: Path) -> None:
    typo = tmp_path / "督查2O21"
    result = run("import", str(real_notice), "--root", str(typo))
    assert result.exit_code == 0, result.output
    assert "已新建工作文件夹" in result.output
    for part in ("workbooks/register.xlsx", "workbooks/template.xlsx", "inbox", "outbox"):
        assert (typo / part).exists(), part

    elsewhere = tmp_path / "别的"
    elsewhere.mkdir()
    (elsewhere / "笔记.txt").write_text("x", encoding="utf-8")
    refused = run("import", str(real_notice), "--root", str(elsewhere))
    assert refused.exit_code == 1 and "不是 excelflow 工作文件夹" in refused.output
    assert sorted(p.name for p in elsewhere.iterdir()) == ["笔记.txt"]

    bad = tmp_path / "坏通知.txt"
    bad.write_text("这不是通知", encoding="utf-8")
    failed = run("import", str(bad), "--root", str(tmp_path / "新的"))
    assert failed.exit_code == 1
    assert not (tmp_path / "新的").exists()
    empty = tmp_path / "空"
    empty.mkdir()
    assert run("import", str(bad), "--root", str(empty)).exit_code == 1
    assert empty.is_dir() and not list(empty.iterdir())
