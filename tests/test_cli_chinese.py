"""The command line speaks Chinese: help frames, placeholders, defaults, usage errors, examples.

Only `Error: ` stays as it is (the prefix of the exit-1 contract in shared/domain.md); what follows
it is Chinese. No exception class name reaches the clerk.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from excelflow.cli import CLICK_WORDS, commands, main

ENGLISH_FRAMES = ("Usage:", "Options:", "Commands:", "Show this message", "[default", "DIRECTORY", "FLOAT", "TEXT",
                  "INTEGER", "PATH", "ISO-TIME", "RANGE", "Try '", "for help", "No such", "Invalid value",
                  "Missing", "Did you mean", "Got unexpected", "requires an argument")
CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]+(Error|Problems|Exception)\b")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("name", [None, *sorted(commands())])
def test_every_help_page_is_chinese_and_ends_with_examples(runner: CliRunner, name: str | None) -> None:
    args = ([name] if name else []) + ["--help"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "用法:" in out and "选项:" in out
    assert not [frame for frame in ENGLISH_FRAMES if frame in out], out
    examples = out.rsplit("示例:", 1)[1].strip().splitlines()
    assert 1 <= len(examples) <= 2, out  # one or two examples
    prefix = f"excelflow {name}" if name else "excelflow "
    assert all(line.strip().startswith("excelflow ") for line in examples)
    assert any(line.strip().startswith(prefix) for line in examples), examples


def test_short_help_flag_works_too(runner: CliRunner) -> None:
    assert runner.invoke(main, ["collect", "-h"]).output == runner.invoke(main, ["collect", "--help"]).output


@pytest.mark.parametrize(("args", "said"), [
    (["collect", "--bogus"], "没有选项 --bogus"),
    (["collect", "--round"], "选项 --round 后面要跟一个值"),
    (["collect", "--now", "2021/13/40"], "不是能识别的时间"),
    (["collect", "--wait", "-3"], "不能小于 0"),
    (["colect"], "是不是要输入"),
    (["status", "extra"], "多余的参数"),
    (["import"], "缺少参数"),
])
def test_usage_errors_are_chinese_and_exit_2(runner: CliRunner, args: list[str], said: str) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert said in result.output
    if "用法:" in result.output:  # click adds the usage and the hint where it knows the command
        assert "查看帮助:" in result.output
    assert not [frame for frame in ENGLISH_FRAMES if frame in result.output], result.output


def test_every_click_message_has_its_words() -> None:
    import click.core
    import click.exceptions

    for text in ("Usage:", "Options", "Commands", "Show this message and exit.", "No such option {name!r}.",
                 "Invalid value for {param_hint}: {message}", "Missing option", "Did you mean {possibility}?"):
        assert CLICK_WORDS[text] != text
    assert click.exceptions._("Missing option") == "缺少选项"  # type: ignore[attr-defined]


def test_no_exception_class_name_reaches_the_clerk(runner: CliRunner, tmp_path: Path) -> None:
    root = tmp_path / "督查"
    assert runner.invoke(main, ["init", str(root), "--example"]).exit_code == 0
    (root / "workbooks" / "register.xlsx").write_bytes(b"not a workbook")
    (root / "inbox" / "坏文件.xlsx").write_bytes(b"PK\x03\x04 broken")
    for args in (["status", "--root", str(root)], ["collect", "--root", str(root), "--round", "2021-H1"],
                 ["compare", "--root", str(root)]):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: ") and not CLASS_NAME.search(result.output), result.output


@pytest.mark.parametrize("typed", ["2021/06/28", "2021年6月28日", "2021-06-28", "2021-06-28T00:00"])
def test_now_takes_the_date_forms_the_register_takes(runner: CliRunner, tmp_path: Path, typed: str) -> None:
    root = tmp_path / "督查"
    runner.invoke(main, ["init", str(root), "--example"], catch_exceptions=False)
    result = runner.invoke(main, ["status", "--root", str(root), "--round", "2021-H1", "--json", "--now", typed])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["as_of"].startswith("2021-06-28T00:00")
