"""The README documents every command, and CI runs exactly the README's test command."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import ROOT

from excelflow.cli import main

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_chinese_help(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    help_text = main.commands[name].help or ""
    assert re.search(r"[\u4e00-\u9fff]", help_text), f"{name} has no Chinese help"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme_command_table(name: str) -> None:
    assert f"| `excelflow {name}" in README


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    test_command = next(b.strip() for b in blocks if "pytest" in b)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # .ci/run may add `-q` to pip; the pytest invocation and the extras must be the README's.
    assert "python -m pytest -q" in test_command
    assert "python -m pytest -q" in ci and ".[test]" in ci and ".[test]" in test_command


@pytest.mark.parametrize("page", ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))])
def test_every_link_in_the_docs_resolves_inside_the_repository(page: str) -> None:
    path = ROOT / page
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "#", "mailto:")):
            continue
        resolved = (path.parent / target.split("#")[0]).resolve()
        assert resolved.exists(), f"{page}: link to {target} does not resolve"
        assert ROOT in resolved.parents or resolved == ROOT, f"{page}: {target} points outside the repository"
