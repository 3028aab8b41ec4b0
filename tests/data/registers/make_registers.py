"""Rebuild the register fixtures of this folder: `python tests/data/registers/make_registers.py`.

`valid.xlsx` is a small register written by `register.write_register`; every other file is that
workbook after one edit a clerk could make in Excel (done here with openpyxl, which keeps the
workbook as a person's edit would), named after the case it shows. The tests read the files, not
this script, so a change in the writer does not silently change what the tests check.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
from openpyxl.workbook import Workbook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from excelflow.register.model import Milestone, Register, Round, Task, Unit  # noqa: E402
from excelflow.register.write import write_register  # noqa: E402

TOWNSHIPS = ("乡镇(街道)",)


def base_register() -> Register:
    """Six tasks of the 2021 notice with the units they name, two rounds, one plan milestone."""
    units = (
        Unit("区工信局", ("工信局",), contact="张工", phone="0793-2612345"),
        Unit("上饶高新区"),
        Unit("区商务局", ("商务局",)),
        Unit("区农业农村局", ("农业农村局",)),
        Unit("区市场监督管理局", ("区市管局", "市场监督管理局")),
        Unit("永丰街道", groups=TOWNSHIPS, code="361103001"),
        Unit("下溪街道", groups=TOWNSHIPS, code="361103004"),
        Unit("五都镇", groups=TOWNSHIPS, code="361103101"),
    )
    chapter1 = "一、持之以恒主攻工业,不断做强发展支柱"
    tasks = (
        Task(1, chapter1, "(一)持续壮大产业集群", "聚焦首位产业和主导产业深入实施产业链链长制。",
             ("区工信局",), ("上饶高新区", "各乡镇(街道)")),
        Task(3, chapter1, "(一)持续壮大产业集群", "实施新一轮传统产业技术改造升级行动。",
             ("区工信局",), ("上饶高新区", "相关乡镇(街道)")),
        Task(26, "二、充分挖掘内需潜力,着力稳定经济增长", "(三)推动消费升级", "牢固树立“旅游+”理念。",
             ("区商务局",), ("相关乡镇(街道)",), relevant=("永丰街道", "下溪街道")),
        Task(50, "四、聚力攻坚农业农村,加快推进乡村振兴", "(二)不断提升现代农业质效", "落实最严格的耕地保护制度。",
             ("区农业农村局",), ("各乡镇(街道)",)),
        Task(95, "七、全力改善民生福祉,不断提升幸福指数", "(三)维护社会安全稳定", "扎实开展市域社会治理现代化试点工作。",
             ()),
        Task(100, "七、全力改善民生福祉,不断提升幸福指数", "(三)维护社会安全稳定", "强化生物安全保护和食品药品安全监管。",
             ("区市场监督管理局",), ("各乡镇(街道)",)),
    )
    rounds = (
        Round("2021-H1", "半年", date(2021, 6, 15), date(2021, 6, 25)),
        Round("2021-FY", "全年", date(2021, 12, 15), date(2021, 12, 25)),
    )
    milestones = (Milestone(1, "2021-H1", "完成链长制方案", "方案 1 份", date(2021, 6, 30)),)
    settings = {"督查室联系人": "陈哲琪", "电话": "18879351014", "邮箱": "413946681@qq.com", "区名": "广丰区"}
    return Register("区政府办公室关于印发2021年区政府工作报告重点工作责任分工的通知", units, tasks, rounds,
                    milestones, settings)


# Rows of valid.xlsx (1-based, header in row 1): tasks 1, 3, 26, 50, 95, 100 are rows 2–7.
TASK_ROW = {1: 2, 3: 3, 26: 4, 50: 5, 95: 6, 100: 7}
TASK_COL = {"序号": "A", "章": "B", "节": "C", "任务内容": "D", "牵头单位": "E", "协办单位": "F", "相关乡镇(街道)": "G"}


def _set(sheet: str, cell: str, value: object) -> Callable[[Workbook], None]:
    def edit(book: Workbook) -> None:
        book[sheet][cell].value = value
    return edit


def _edits(*edits: Callable[[Workbook], None]) -> Callable[[Workbook], None]:
    def edit(book: Workbook) -> None:
        for one in edits:
            one(book)
    return edit


def _delete_sheet(name: str) -> Callable[[Workbook], None]:
    def edit(book: Workbook) -> None:
        del book[name]
    return edit


def task_cell(task_id: int, column: str) -> str:
    return f"{TASK_COL[column]}{TASK_ROW[task_id]}"


CASES: dict[str, Callable[[Workbook], None]] = {
    "unknown-unit-in-task-row": _set("任务", task_cell(50, "牵头单位"), "区农业局"),
    "duplicate-task-id": _set("任务", task_cell(26, "序号"), 3),
    "deadline-not-a-date": _set("轮次", "C2", "6月15日"),
    "co-deadline-after-lead-deadline": _set("轮次", "C3", "2021-12-28"),
    "missing-units-sheet": _delete_sheet("单位"),
    "lead-header-renamed": _set("任务", "E1", "主办单位"),
    "unknown-township-in-relevant-choice": _set("任务", task_cell(3, "相关乡镇(街道)"), "下溪街道、五都"),
    "unit-not-in-group-in-relevant-choice": _set("任务", task_cell(3, "相关乡镇(街道)"), "区工信局"),
    "relevant-choice-without-relevant-group": _set("任务", task_cell(1, "相关乡镇(街道)"), "永丰街道"),
    "plan-row-with-unknown-round": _edits(_set("计划", "B2", "2021-Q9")),
    "three-problems": _edits(
        _set("任务", task_cell(50, "牵头单位"), "区农业局"),
        _set("任务", task_cell(26, "序号"), 3),
        _set("轮次", "D3", "1225日"),
    ),
    # 区农业局 confirmed as an alias of 区农业农村局 (row 5), but its own unit row (row 10) kept.
    "alias-clashes-with-a-unit-row": _edits(
        _set("单位", "B5", "农业农村局、区农业局"), _set("单位", "A10", "区农业局"),
        _set("任务", task_cell(50, "牵头单位"), "区农业局"),
    ),
    # Edits that keep the register valid.
    "near-miss-confirmed-as-alias": _edits(
        _set("单位", "B5", "农业农村局、区农业局"), _set("任务", task_cell(50, "牵头单位"), "区农业局"),
    ),
    "dates-typed-as-text": _edits(
        _set("轮次", "C2", "2021/6/15"), _set("轮次", "D2", "2021年6月25日"),
        _set("轮次", "C3", "2021-12-15"), _set("轮次", "D3", "2021.12.25"),
    ),
    "aliases-and-fullwidth-brackets-typed": _edits(
        _set("任务", task_cell(1, "牵头单位"), "工信局"),
        _set("任务", task_cell(1, "协办单位"), "上饶高新区，各乡镇（街道）"),
        _set("任务", task_cell(100, "牵头单位"), "区市管局"),
    ),
    "relevant-choice-filled": _edits(
        _set("任务", task_cell(3, "相关乡镇(街道)"), "五都镇、永丰街道"),
        _set("任务", task_cell(26, "相关乡镇(街道)"), "无"),
    ),
    "round-added-quarterly": _edits(
        _set("轮次", "A4", "2021-Q3"), _set("轮次", "B4", "三季度"),
        _set("轮次", "C4", "2021-09-15"), _set("轮次", "D4", "2021-09-25"),
    ),
}


def main() -> None:
    valid = HERE / "valid.xlsx"
    write_register(valid, base_register())
    for name, edit in CASES.items():
        book = openpyxl.load_workbook(valid)
        edit(book)
        book.save(HERE / f"{name}.xlsx")
    (HERE / "not-a-workbook.xlsx").write_text("这不是 Excel 文件,只是改了扩展名的文本。\n", encoding="utf-8")
    print(f"wrote {len(CASES) + 2} registers to {HERE}")


if __name__ == "__main__":
    main()
