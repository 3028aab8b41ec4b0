"""A small register shaped like the 2021 notice, and readers for generated workbooks (calamine)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from excelflow.forms import identity as ident
from excelflow.register.model import Milestone, Register, Round, Task, Unit

TOWNSHIPS = ("永丰街道", "芦林街道", "丰溪街道", "洋口镇")


def sample_register(*, relevant_chosen: bool = True) -> Register:
    """Co-leads, a unit leading and co-hosting one task, 各… and 相关… groups, odd names."""
    units = (
        Unit("区工信局", aliases=("工信局",), contact="张三", phone="0793-2612345"),
        Unit("区发改委", contact="李四", phone="0793-2610000"),
        Unit("区商务局"),
        Unit("区文广新旅局"),
        Unit("区政府办(政务服务办)"),
        Unit("区财政局"),
        Unit("区审计局"),  # named in no task: gets no workbook
        *(Unit(t, groups=("乡镇(街道)",)) for t in TOWNSHIPS),
    )
    tasks = (
        Task(1, "一、持之以恒主攻工业,不断做强发展支柱(13项)", "(一)持续壮大产业集群",
             "聚焦首位产业和主导产业深入实施产业链链长制和“开拓市场万里行”活动,促进产业高端补链、延链、强链。",
             ("区工信局",), ("区发改委", "各乡镇(街道)")),
        Task(2, "一、持之以恒主攻工业,不断做强发展支柱(13项)", "(一)持续壮大产业集群",
             "=HYPERLINK(\"http://example.com\") 推进数字经济发展,建设 5G 基站 300 个。",
             ("区发改委", "区工信局"), ("区商务局", "区工信局")),
        Task(3, "二、坚定不移扩大开放", None, "办好消费季系列活动,社会消费品零售总额增长 11%。",
             ("区商务局",), ("区工信局", "相关乡镇(街道)"), relevant=("芦林街道",) if relevant_chosen else None),
        Task(4, "二、坚定不移扩大开放", None, "推进文旅融合发展,创建省级全域旅游示范区。",
             ("区文广新旅局",), ("区政府办(政务服务办)", "相关乡镇(街道)"),
             relevant=("洋口镇", "丰溪街道") if relevant_chosen else None),
        Task(5, "三、民生", "(三)兜牢底线", "落实减税降费政策。", ("区财政局",)),
    )
    rounds = (
        Round("2021-H1", "2021年半年", date(2021, 6, 15), date(2021, 6, 25)),
        Round("2021-FY", "2021年全年", date(2021, 12, 15), date(2021, 12, 25)),
    )
    milestones = (Milestone(1, "2021-FY", "新引进产业链项目 10 个", "项目数", date(2021, 12, 31)),)
    settings = {"督查室": "区政府督查室", "督查室联系人": "陈哲琪", "电话": "18879351014", "邮箱": "413946681@qq.com"}
    return Register("2021年区政府工作报告重点工作责任分工", units, tasks, rounds, milestones, settings)


def with_task_text(register: Register, task_id: int, text: str) -> Register:
    tasks = tuple(replace(t, text=text) if t.id == task_id else t for t in register.tasks)
    return replace(register, tasks=tasks)


def read_book(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values as calamine reads them (hidden sheets included)."""
    book = CalamineWorkbook.from_filelike(BytesIO(path.read_bytes()))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def read_identity(path: Path) -> ident.Identity:
    return ident.read_identity(read_book(path)[ident.IDENTITY_SHEET])


def header_index(rows: list[list[Any]]) -> tuple[int, dict[str, int]]:
    """0-based header row and header → column of a data sheet (the row whose first cell is 序号)."""
    for r, row in enumerate(rows):
        if row and row[0] == "序号":
            return r, {str(v): c for c, v in enumerate(row) if v != ""}
    raise AssertionError("no header row with 序号")


def visible_entries(path: Path) -> set[tuple[int, str]]:
    """(task id, sheet) for every row of the visible data sheets whose 序号 cell holds a number."""
    out = set()
    for name, rows in read_book(path).items():
        if name.startswith("_") or name == "填报说明":
            continue
        r0, cols = header_index(rows)
        for row in rows[r0 + 1:]:
            value = row[cols["序号"]]
            if isinstance(value, float):
                out.add((int(value), name))
    return out
