"""The code's own rules, checked on every run: the pipeline's import layers (import-linter) and the
types (mypy --strict), as `pyproject.toml` configures both."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(cwd: Path, package_parent: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the project's contracts, on the `excelflow` package found in `package_parent`."""
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_every_import_follows_the_pipeline_layers_and_contracts():
    done = lint_imports(ROOT, ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_stage_importing_a_later_stage_breaks_the_layers(tmp_path: Path):
    shutil.copytree(ROOT / "excelflow", tmp_path / "excelflow", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    model = tmp_path / "excelflow" / "register" / "model.py"
    # An upward import hidden inside a function counts as much as one at the top.
    model.write_text(model.read_text(encoding="utf-8") + "\n\ndef _peek() -> None:\n"
                     "    from excelflow.runs import collect  # noqa: F401\n", encoding="utf-8")
    done = lint_imports(tmp_path, tmp_path)
    assert done.returncode != 0
    assert "excelflow.register.model -> excelflow.runs.collect" in done.stdout


def test_types_check_strictly():
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
