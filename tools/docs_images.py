"""Render the pictures in docs/img/ and the README from the shipped example, as printed on A4.

    python tools/docs_images.py [OUT_DIR]        (default: docs/img)

Builds the demo working folder in a temporary directory (the 2021 register, the half-year round
with its realistic returns), adds the full-year workbooks, a full-year comparison before any FY
return and the plan workbooks, converts every printed output to PDF with LibreOffice and writes
the chosen pages as PNG with poppler's pdftoppm. A page is found by the footer its sheet prints
(e.g. `对比通报 任务进展`), so the pictures follow the outputs when their length changes.
Needs soffice and pdftoppm (`apt-get install libreoffice-calc-nogui libreoffice-writer-nogui
fonts-wqy-zenhei poppler-utils`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from excelflow.demo import run_demo  # noqa: E402
from excelflow.forms.generate import generate_round  # noqa: E402
from excelflow.forms.plans import generate_plans  # noqa: E402
from excelflow.register.load import load_register  # noqa: E402
from excelflow.runs.compare import compare_round  # noqa: E402
from excelflow.runs.prepare import prepare_round  # noqa: E402
from excelflow.workspace import Workspace  # noqa: E402

# picture → (source name, text on the page (first page that has it), nth such page, dpi)
PICTURES: dict[str, tuple[str, str, int, int]] = {
    "compare-overview.png": ("comparison", "对比通报 总览", 1, 80),
    "compare-overview-figures.png": ("comparison", "三、各章节任务完成状态", 1, 80),
    "compare-attention-chart.png": ("comparison", "需要关注的单位:各状态条目数", 1, 80),
    "compare-chapter-chart.png": ("comparison", "各章节任务完成状态(项", 1, 80),
    "compare-tasks.png": ("comparison", "推进情况(按任务", 1, 80),
    "compare-units.png": ("comparison", "各单位报送情况对比", 1, 80),
    "compare-chase.png": ("comparison", "逾期未报及需补报事项", 1, 80),
    "compare-reminders.png": ("comparison", "提醒内容", 1, 80),
    "compare-tasks-fy.png": ("comparison-fy", "推进情况(按任务", 1, 80),
    "notification-1.png": ("notification", "督查通报", 1, 70),
    "notification-2.png": ("notification", "三、推进滞后的工作", 1, 70),
    "notification-annex.png": ("notification", "单位在所属组内比较", 1, 70),
    "template-gongxinju.png": ("template", "牵头任务", 1, 100),
    "template-gongxinju-instructions.png": ("template", "重点工作进展情况填报说明", 1, 80),
    "template-gongxinju-fy.png": ("template-fy", "牵头任务", 1, 100),
    "rollup.png": ("rollup", "(续)", 1, 80),
    "receipt.png": ("receipt", "回执", 1, 80),
    "plan-workbook.png": ("plan", "落实方案", 1, 80),
    "distribution-list.png": ("distribution", "分发清单", 1, 80),
}


def soffice(sources: list[Path], outdir: Path) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    assert office, "LibreOffice (soffice) is needed"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([office, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", str(outdir), *map(str, sources)],
                       check=True, capture_output=True, timeout=900)


def _plain(text: str) -> str:
    """Text compared without spaces and with ASCII brackets and colons (pdftotext spaces CJK freely)."""
    return "".join(text.split()).translate(str.maketrans("（）：，", "():,"))


def page_with(pdf: Path, text: str, nth: int) -> int:
    """The page number (1-based) of the nth page whose text holds `text`."""
    pages = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("Pages:")))
    seen = 0
    for page in range(1, pages + 1):
        body = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        if _plain(text) in _plain(body):
            seen += 1
            if seen == nth:
                return page
    raise SystemExit(f"no page of {pdf.name} shows {text!r}")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ws = Workspace(base / "demo")
        run_demo(ws.root, echo=lambda line: None)
        register, previous = prepare_round(ws, "2021-FY")
        generate_round(ws, register, "2021-FY", now=datetime(2021, 12, 1, 9), previous=previous)
        compare_round(ws, "2021-FY", datetime(2021, 12, 10, 9))
        generate_plans(ws, load_register(ws.register_path), datetime(2021, 3, 1, 9))
        sources = {
            "comparison": ws.comparison_path("2021-H1"),
            "comparison-fy": ws.comparison_path("2021-FY"),
            "notification": ws.notification_path("2021-H1"),
            "template": ws.template_file("2021-H1", "区工信局"),
            "template-fy": ws.template_file("2021-FY", "区工信局"),
            "rollup": ws.rollup_file("2021-H1", "区工信局"),
            "receipt": next(ws.receipts_dir("2021-H1").glob("回执-少阳乡-*.xlsx")),
            "plan": ws.plan_file("区工信局"),
            "distribution": ws.distribution_list("2021-H1"),
        }
        staged = base / "in"
        staged.mkdir()
        for name, source in sources.items():
            shutil.copyfile(source, staged / f"{name}{source.suffix}")
        pdfs = base / "pdf"
        soffice(sorted(staged.iterdir()), pdfs)
        for picture, (name, text, nth, dpi) in PICTURES.items():
            pdf = pdfs / f"{name}.pdf"
            page = page_with(pdf, text, nth)
            stem = base / "png"
            subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(dpi), "-png", "-singlefile",
                            str(pdf), str(stem)], check=True)
            shutil.move(f"{stem}.png", out / picture)
            print(f"{out / picture}  ({name}, page {page})")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img")
