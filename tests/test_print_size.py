"""Every printed output is legible on A4: body text at 9 pt or more on the page LibreOffice prints.

The outputs come from the demo (the shipped 2021 register, a realistic round of returns), plus
the full-year workbooks and the plan workbooks, so the widest layouts are among them. Each is
converted to PDF by LibreOffice; `pdftotext -bbox` gives every word's box in points on the page,
after any fit-to-page scaling. The CJK font LibreOffice uses (WenQuanYi Zen Hei, what CI installs)
draws a box 1.3 em tall; the factor is measured on the draft notification's 16 pt body rather than
assumed, and the size of each word with a Chinese character is its box height divided by it.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from office import convert, requires_office

from excelflow.demo import run_demo
from excelflow.forms.generate import generate_round
from excelflow.forms.plans import generate_plans
from excelflow.register.load import load_register
from excelflow.runs.prepare import prepare_round
from excelflow.workspace import Workspace
from excelflow.xlsx import MIN_PRINT_PT, column_points, print_scale, printable_width

PDFTOTEXT = shutil.which("pdftotext")
requires_poppler = pytest.mark.skipif(PDFTOTEXT is None, reason="poppler-utils (pdftotext) is not installed")
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')


def has_cjk(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in "WF" for ch in text)


def words(pdf: Path) -> Iterator[tuple[int, float, float, float, float, float, str]]:
    """(page, page width, x0, y0, x1, y1, text) of every word LibreOffice printed."""
    out = subprocess.run([PDFTOTEXT or "pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    page, width = 0, 0.0
    for line in out.splitlines():
        found = PAGE.search(line)
        if found:
            page, width = page + 1, float(found.group(1))
            continue
        word = WORD.search(line)
        if word:
            x0, y0, x1, y1 = map(float, word.groups()[:4])
            yield page, width, x0, y0, x1, y1, word.group(5)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name → PDF of each printed output, rendered by LibreOffice."""
    base = tmp_path_factory.mktemp("print")
    root = base / "demo"
    run_demo(root, echo=lambda line: None)
    ws = Workspace(root)
    register, previous = prepare_round(ws, "2021-FY")
    generate_round(ws, register, "2021-FY", now=datetime(2021, 12, 1, 9), previous=previous)
    generate_plans(ws, load_register(ws.register_path), datetime(2021, 3, 1, 9))
    h1 = ws.round_dir("2021-H1")
    sources = {
        "unit-workbook": ws.template_file("2021-H1", "区工信局"),  # lead and co sheets
        "unit-workbook-township": ws.template_file("2021-H1", "横山镇"),  # 52 co rows
        "unit-workbook-full-year": ws.template_file("2021-FY", "区工信局"),  # previous-round columns
        "distribution-list": ws.distribution_list("2021-H1"),
        "rollup": ws.rollup_file("2021-H1", "区工信局"),
        "receipt": next(ws.receipts_dir("2021-H1").glob("回执-少阳乡-*.xlsx")),  # an invalid entry
        "comparison": ws.comparison_path("2021-H1"),
        "plan-workbook": ws.plan_file("区工信局"),
        "register": ws.register_path,
    }
    staged = base / "in"
    staged.mkdir()
    for name, source in sources.items():
        shutil.copyfile(source, staged / f"{name}.xlsx")
    shutil.copyfile(ws.notification_path("2021-H1"), staged / "notification.docx")
    pdfs = convert(sorted(staged.glob("*.xlsx")), "pdf", base / "pdf")
    pdfs += convert([staged / "notification.docx"], "pdf:writer_pdf_Export", base / "pdf")
    assert h1.is_dir()
    return {p.stem: p for p in pdfs}


@pytest.fixture(scope="module")
def em_box(printed: dict[str, Path]) -> float:
    """Box height ÷ font size of the CJK font on these pages, from the notification's 16 pt body."""
    heights = [y1 - y0 for page, _, _, y0, _, y1, text in words(printed["notification"])
               if page == 2 and has_cjk(text)]
    ratio = statistics.median(heights) / 16.0
    assert 1.1 < ratio < 1.5, ratio
    return ratio


OUTPUTS = ("unit-workbook", "unit-workbook-township", "unit-workbook-full-year", "distribution-list", "rollup",
           "receipt", "comparison", "notification", "plan-workbook", "register")


@requires_office
@requires_poppler
@pytest.mark.parametrize("name", OUTPUTS)
def test_every_page_of_every_printed_output_prints_at_9_pt_or_more(printed: dict[str, Path], em_box: float,
                                                                  name: str) -> None:
    sizes: dict[int, float] = {}
    spill = []
    for page, width, x0, y0, x1, y1, text in words(printed[name]):
        if has_cjk(text):
            size = (y1 - y0) / em_box
            sizes[page] = min(sizes.get(page, size), size)
        if x1 > width - 20:  # nothing printed in the right margin: no column ran off the page
            spill.append((page, text))
    assert sizes, f"{name}: no Chinese text found on the pages"
    small = {page: round(size, 1) for page, size in sizes.items() if size < MIN_PRINT_PT - 0.05}
    assert not small, f"{name}: pages printed below {MIN_PRINT_PT} pt: {small}"
    assert not spill, f"{name}: text in the right margin: {spill[:5]}"


def test_fit_page_width_narrows_only_the_wrapping_columns_and_only_when_needed() -> None:
    from excelflow.xlsx import fit_page_width

    narrow = [5.0, 20.0, 8.0]
    assert fit_page_width(narrow, True, 10, [1]) == narrow  # fits already: unchanged
    wide = [5.0, 80.0, 8.0, 60.0]
    fitted = fit_page_width(wide, True, 10, [1, 3])
    assert fitted[0] == 5.0 and fitted[2] == 8.0
    assert 10 * print_scale(fitted, True) >= MIN_PRINT_PT
    assert fitted[1] / fitted[3] == pytest.approx(80 / 60, rel=0.05)  # in proportion to their widths
    assert sum(column_points(w) for w in fitted) <= printable_width(True) * 10 / MIN_PRINT_PT
