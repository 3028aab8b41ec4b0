"""Drive a real LibreOffice (headless `soffice`) from tests: convert, fill, save as .xls/.ods.

Tests that need it are marked `office`. Outside CI they are skipped when soffice is missing; in CI
(`CI` set) a missing soffice fails them, since `.ci/run` installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

requires_office = pytest.mark.skipif(
    SOFFICE is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) is not installed; `.ci/run` installs it",
)

# LibreOffice filter names for --convert-to
FILTERS = {
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "xls": "xls:MS Excel 97",
    "ods": "ods:calc8",
    "pdf": "pdf:calc_pdf_Export",
    "csv": "csv:Text - txt - csv (StarCalc):44,34,76,1",
}


def convert(sources: list[Path], fmt: str, outdir: Path, timeout: int = 300) -> list[Path]:
    """Convert workbooks with one soffice process; returns the output paths (asserts they exist)."""
    assert SOFFICE, "soffice is not installed"
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", FILTERS.get(fmt, fmt), "--outdir", str(outdir), *map(str, sources)],
            check=True, capture_output=True, timeout=timeout,
        )
    ext = fmt.split(":")[0]
    outputs = [outdir / (src.stem + "." + ext) for src in sources]
    missing = [p for p in outputs if not p.is_file()]
    assert not missing, f"LibreOffice did not write {missing}"
    return outputs

