"""The repository is itself a working folder holding the shipped default, kept current."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from conftest import ROOT

from excelflow.cli import main


def test_repository_workbooks_are_what_init_example_writes_today(tmp_path: Path) -> None:
    # If this fails after a change to the register or template layout, refresh them with
    # `excelflow init . --example --force` at the repository root and commit the two workbooks.
    assert CliRunner().invoke(main, ["init", str(tmp_path), "--example"]).exit_code == 0
    for name in ("register.xlsx", "template.xlsx"):
        assert (ROOT / "workbooks" / name).read_bytes() == (tmp_path / "workbooks" / name).read_bytes(), name


def test_repository_has_the_working_folder_layout() -> None:
    for folder in ("workbooks", "inbox", "outbox"):
        assert (ROOT / folder).is_dir()
