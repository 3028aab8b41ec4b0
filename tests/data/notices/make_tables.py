"""Rebuild the task-table notices of this folder: `python tests/data/notices/make_tables.py`.

Offices keep the task breakdown as a table: an Excel workbook (title and 文号 above the header,
chapter rows merged across, a lead unit merged down over two tasks), the same saved as .xls and
.ods by LibreOffice, a PDF LibreOffice prints from it, a longer table whose PDF runs over two
pages with the header repeated, one sheet per chapter, a table with two task columns and a
leader column, the table on a saved web page, a notice of running text printed to PDF, and a
scanned PDF with no text at all.
The .xlsx files are written by xlsxwriter with a fixed date (same bytes every time); the others
come from LibreOffice (`soffice`) and Pillow and are committed as they came out.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
TITLE = "某某市2022年政府工作报告重点工作任务分解表"
NUMBER = "某府办发〔2022〕3号"
HEADER = ("序号", "重点任务", "牵头单位", "责任单位", "完成时限")
CHAPTERS = (
    ("一、稳增长（3项）", (
        (1, "地区生产总值增长6.5%左右，规模以上工业增加值增长7%以上。", "市发改委", "市统计局、市经信局", "2022年12月底"),
        (2, "固定资产投资增长8%，新开工亿元以上项目100个。", "市发改委", "市住建局、交通局，各县（市、区）人民政府",
         datetime(2022, 12, 31)),
        (3, "新签约亿元以上招商项目50个。", "市商务局", "开发（度假）区管委会", "2022年6月底"),
    )),
    ("二、惠民生（2项）", (
        (4, "新增城镇就业2.5万人，城镇登记失业率控制在4%以内。", "市人社局", "各县（市、区）人民政府", "长期坚持"),
        (5, "新改扩建中小学10所，新增学位1万个。", "市教育局", "市发改委、财政局", "2022年9月"),
    )),
)


def _book(path: Path) -> tuple[object, object]:
    book = xlsxwriter.Workbook(path)
    book.set_properties({"created": datetime(2022, 1, 1)})
    return book, {
        "title": book.add_format({"bold": True, "font_size": 16, "align": "center"}),
        "cell": book.add_format({"border": 1, "text_wrap": True, "valign": "vcenter"}),
        "head": book.add_format({"border": 1, "bold": True, "align": "center", "valign": "vcenter"}),
        "date": book.add_format({"border": 1, "num_format": "yyyy年m月d日", "valign": "vcenter"}),
    }


def _sheet(book: object, formats: dict, name: str, chapters, title: str | None, merge_lead: bool = True,
           header: tuple[str, ...] = HEADER) -> None:
    sheet = book.add_worksheet(name)  # type: ignore[attr-defined]
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 1, 46)
    sheet.set_column(2, len(header) - 1, 22)
    row = 0
    if title:
        sheet.merge_range(row, 0, row, len(header) - 1, title, formats["title"])
        sheet.write(row + 1, 0, NUMBER)
        row += 3
    sheet.write_row(row, 0, header, formats["head"])
    sheet.repeat_rows(row)
    row += 1
    for chapter, tasks in chapters:
        if chapter:
            sheet.merge_range(row, 0, row, len(header) - 1, chapter, formats["cell"])
            sheet.set_row(row, 24)
            row += 1
        first = row
        for task in tasks:
            for col, value in enumerate(task):
                if isinstance(value, datetime):
                    sheet.write_datetime(row, col, value, formats["date"])
                else:
                    sheet.write(row, col, value, formats["cell"])
            sheet.set_row(row, 48)
            row += 1
        if merge_lead and len(tasks) >= 2 and tasks[0][2] == tasks[1][2]:
            sheet.merge_range(first, 2, first + 1, 2, tasks[0][2], formats["cell"])


def task_table(path: Path) -> None:
    book, formats = _book(path)
    _sheet(book, formats, "任务分解", CHAPTERS, TITLE)
    book.close()  # type: ignore[attr-defined]


def one_sheet_per_chapter(path: Path) -> None:
    book, formats = _book(path)
    guide = book.add_worksheet("填表说明")  # type: ignore[attr-defined]
    guide.write(0, 0, "本表按领域分列,每个工作表一个领域。")
    for k, (chapter, tasks) in enumerate(CHAPTERS):
        name = chapter.split("、")[1].split("（")[0]
        _sheet(book, formats, name, [("", tasks)], TITLE if k == 0 else None)
    book.close()  # type: ignore[attr-defined]


def two_task_columns(path: Path) -> None:
    book, formats = _book(path)
    header = ("序号", "重点工作", "目标任务", "责任领导", "牵头单位", "配合单位", "完成时间", "备注")
    rows = [("一、稳增长", (
        (1, "稳定工业增长", "规模以上工业增加值增长7%以上。", "张三", "市经信局", "市发改委", "2022年12月", ""),
        (2, "扩大有效投资", "固定资产投资增长8%。", "李四", "市发改委", "各县（市、区）人民政府", "2022年12月", "重点"),
    ))]
    _sheet(book, formats, "Sheet1", rows, TITLE, merge_lead=False, header=header)
    book.close()  # type: ignore[attr-defined]


def long_table(path: Path) -> None:
    chapters = []
    number = 0
    for c, name in enumerate(("产业发展", "城市建设", "社会民生")):
        tasks = []
        for k in range(12):
            number += 1
            tasks.append((number, f"{name}第{k + 1}项任务:推进相关工作,完成年度目标,按季度报告进展情况。",
                          "市发改委" if k % 2 else "市住建局", "市财政局、各县（市、区）人民政府", "2022年12月底"))
        chapters.append((f"{'一二三'[c]}、{name}（12项）", tuple(tasks)))
    book, formats = _book(path)
    _sheet(book, formats, "任务", chapters, TITLE, merge_lead=False)
    book.close()  # type: ignore[attr-defined]


def web_page(path: Path) -> None:
    """The table as a government site publishes it: a GBK page, spans for chapters and the lead."""
    from html import escape

    rows = ["<tr>" + "".join(f"<th>{h}</th>" for h in HEADER) + "</tr>"]
    for chapter, tasks in CHAPTERS:
        rows.append(f'<tr><td colspan="5">{escape(chapter)}</td></tr>')
        for k, (number, text, lead, co, due) in enumerate(tasks):
            lead_cell = "" if k == 1 and tasks[0][2] == lead else \
                f'<td rowspan="2">{lead}</td>' if k == 0 and len(tasks) > 1 and tasks[1][2] == lead else f"<td>{lead}</td>"
            when = f"{due.year}年{due.month}月{due.day}日" if isinstance(due, datetime) else due
            rows.append(f"<tr><td>{number}</td><td>{escape(text)}</td>{lead_cell}<td>{escape(co)}</td><td>{when}</td></tr>")
    page = (f'<!DOCTYPE html>\n<html><head><meta charset="gbk"><title>{TITLE}</title></head><body>\n'
            f'<div class="nav">首页 &gt; 政务公开</div><h1>{TITLE}</h1><p>{NUMBER}</p>\n'
            '<table border="1" cellspacing="0">\n' + "\n".join(rows) + "\n</table>\n"
            "<p>扫一扫在手机打开当前页</p></body></html>\n")
    path.write_bytes(page.encode("gbk"))


def soffice(source: Path, target: Path, kind: str) -> None:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["soffice", "--headless", "--convert-to", kind, "--outdir", out, str(source)],
                       check=True, capture_output=True, timeout=180)
        made = Path(out) / (source.stem + "." + kind.split(":")[0])
        shutil.move(str(made), target)


def scanned(path: Path) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 300), "white")
    ImageDraw.Draw(image).rectangle((40, 40, 560, 260), outline="black", width=3)
    image.save(path, "PDF", resolution=72)


def main() -> None:
    task_table(HERE / "task-table.xlsx")
    one_sheet_per_chapter(HERE / "task-table-one-sheet-per-chapter.xlsx")
    two_task_columns(HERE / "task-table-two-task-columns-and-a-leader-column.xlsx")
    web_page(HERE / "task-table-on-a-web-page.html")
    if "--xlsx-only" in sys.argv:
        return
    scanned(HERE / "scanned-without-text.pdf")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "task-table.xlsx"
        shutil.copy(HERE / "task-table.xlsx", source)
        soffice(source, HERE / "task-table-saved-by-libreoffice.xls", "xls")
        soffice(source, HERE / "task-table-saved-by-libreoffice.ods", "ods")
        soffice(source, HERE / "task-table-made-by-libreoffice.pdf", "pdf")
        long = Path(tmp) / "long.xlsx"
        long_table(long)
        soffice(long, HERE / "task-table-over-pages-made-by-libreoffice.pdf", "pdf")
        text = Path(tmp) / "running-text.txt"
        shutil.copy(HERE / "chinese-numeral-items-with-separate-label-lines.txt", text)
        soffice(text, HERE / "running-text-made-by-libreoffice.pdf", "pdf")


if __name__ == "__main__":
    main()
