"""Build the shipped `excelflow/data/template.xlsx`, the look every generated workbook starts from.

`init` copies the built file to `workbooks/template.xlsx`, where the clerk may restyle it in
Excel. Run `python -m excelflow.forms.default_template` after changing this module, and commit the
built files with it (a test checks they agree): `template.xlsx`, the example's, titled for a
district as its notice is, and `template-new-campaign.xlsx`, which `init` gives a new campaign,
titled with the `{政府}` of the campaign's own office.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from excelflow.forms.headers import (
    COS_HEADER,
    DEADLINE_HEADER,
    ID_HEADER,
    LEADS_HEADER,
    MILESTONE_HEADER,
    NEXT_HEADER,
    PERCENT_HEADER,
    PREV_PROGRESS_HEADER,
    PREV_STATUS_HEADER,
    PROBLEMS_HEADER,
    PROGRESS_HEADER,
    REMARKS_HEADER,
    REQUIRED_HEADERS,
    STATUS_HEADER,
    TASK_HEADER,
)
from excelflow.forms.template_style import PLACEHOLDERS
from excelflow.xlsx import DEFAULT_FONTS, new_workbook, standard_formats

SHIPPED_TEMPLATE = Path(__file__).resolve().parent.parent / "data" / "template.xlsx"
DEFAULT_TITLE = "{年度}年区政府工作报告重点工作{轮次}进展情况表({角色}任务)"  # the example's (a district)
# What `init` gives a new campaign: the same look, titled with the campaign's own government.
NEW_CAMPAIGN_TEMPLATE = SHIPPED_TEMPLATE.with_name("template-new-campaign.xlsx")
NEW_CAMPAIGN_TITLE = "{年度}年{政府}工作报告重点工作{轮次}进展情况表({角色}任务)"
SAMPLE_SHEET = "填报表样式"
GUIDE_SHEET = "模板说明"

# (header, width in Excel column units, sample text). A first-round sheet prints one A4 landscape
# page wide at 9.6 pt or more (the widths sum to about 118, see `xlsx.fit_page_width`); later
# rounds add previous-round and plan columns, which `forms/render.py` makes room for by narrowing
# the wrapping columns.
DEFAULT_COLUMNS: tuple[tuple[str, float, str], ...] = (
    (ID_HEADER, 4.5, "1"),
    (TASK_HEADER, 24, "任务内容(预填,锁定)"),
    (LEADS_HEADER, 11, "牵头单位(协办任务表显示)"),
    (COS_HEADER, 11, "协办单位(牵头任务表显示)"),
    (DEADLINE_HEADER, 8, "本表报送截止日期"),
    (MILESTONE_HEADER, 14, "落实方案中本轮的阶段目标(有则显示)"),
    (PREV_STATUS_HEADER, 7, "上轮状态"),
    (PREV_PROGRESS_HEADER, 16, "上轮填报的进展情况(第二轮起显示)"),
    (STATUS_HEADER, 7.5, "下拉选择"),
    (PERCENT_HEADER, 6, "0–100"),
    (PROGRESS_HEADER, 26, "填报单位填写"),
    (PROBLEMS_HEADER, 13, ""),
    (NEXT_HEADER, 13, ""),
    (REMARKS_HEADER, 5, ""),
)
_PREFILLED_SAMPLE = {ID_HEADER, TASK_HEADER, LEADS_HEADER, COS_HEADER, DEADLINE_HEADER,
                     MILESTONE_HEADER, PREV_STATUS_HEADER, PREV_PROGRESS_HEADER}


def build_default_template(target: Path, title: str = DEFAULT_TITLE) -> None:
    """Write the default template workbook to `target` (the example's title, or another)."""
    workbook = new_workbook(target, in_memory=True)
    # Fixed properties keep the built file identical from one build to the next.
    workbook.set_properties({"title": "excelflow 填报表模板", "created": datetime(2021, 1, 1)})
    fmt = standard_formats(workbook, DEFAULT_FONTS)
    sheet = workbook.add_worksheet(SAMPLE_SHEET)
    last = len(DEFAULT_COLUMNS) - 1
    sheet.set_row(0, 34)
    sheet.merge_range(0, 0, 0, last, title, fmt.title)
    sheet.set_row(1, 48)
    sheet.merge_range(1, 0, 1, last, (
        "这是生成各单位填报表所用的样式模板(本行说明不会出现在填报表中)。可以修改:标题文字、字体、"
        "字号、列宽、列的先后顺序,也可以在表头行增加自己的填报列(如「责任人」)。表头文字"
        f"{'、'.join(f'「{h}」' for h in REQUIRED_HEADERS)}不能修改或删除。详见「{GUIDE_SHEET}」工作表。"
    ), fmt.note)
    for c, (header, width, sample) in enumerate(DEFAULT_COLUMNS):
        sheet.set_column(c, c, width)
        sheet.write_string(2, c, header, fmt.header)
        cell_format = fmt.locked if header in _PREFILLED_SAMPLE else fmt.input
        sheet.write_string(3, c, sample, cell_format)
    sheet.set_row(2, 30)
    sheet.set_row(3, 40)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.freeze_panes(3, 0)

    guide = workbook.add_worksheet(GUIDE_SHEET)
    guide.set_column(0, 0, 16)
    guide.set_column(1, 1, 90)
    lines = [
        ("用途", "excelflow generate 按本模板为每个单位生成填报表:标题、字体、列宽、列顺序均取自"
                 f"「{SAMPLE_SHEET}」工作表。"),
        ("标题", "第一行的标题文字可改,可用以下占位符:"
                 + ";".join(f"{{{k}}} = {v}" for k, v in PLACEHOLDERS.items()) + "。"),
        ("表头行", f"含「{ID_HEADER}」的那一行是表头行。列的顺序按此行从左到右;列宽按各列宽度。"),
        ("必备列", f"{'、'.join(REQUIRED_HEADERS)}:收集时按这些表头文字找列,不能改名或删除。"),
        ("可选列", f"{LEADS_HEADER}、{COS_HEADER}、{DEADLINE_HEADER}、{REMARKS_HEADER}:删除后填报表不再显示。"
                   f"{MILESTONE_HEADER}、{PREV_STATUS_HEADER}、{PREV_PROGRESS_HEADER}:仅在有计划目标或"
                   "第二轮起显示;删除后会自动放在「完成状态」之前。"),
        ("增加列", "在表头行空白处写上新列名(如「责任人」「佐证材料」),该列在填报表中可填写。"),
        ("字体", "标题字体取自标题单元格;表头字体和底色取自「序号」表头;预填内容字体和底色取自"
                 "「任务内容」下方的示例单元格;填报内容字体取自「进展情况」下方的示例单元格。"),
        ("恢复默认", "删除本文件后运行 excelflow init,或从安装目录 excelflow/data/template.xlsx 复制。"),
    ]
    for r, (key, text) in enumerate(lines):
        guide.write_string(r, 0, key, fmt.label)
        guide.write_string(r, 1, text, fmt.wrapped)
        guide.set_row(r, 36)
    workbook.close()


def main(argv: list[str] | None = None) -> int:
    if argv:
        build_default_template(Path(argv[0]))
        print(argv[0])
        return 0
    build_default_template(SHIPPED_TEMPLATE)
    build_default_template(NEW_CAMPAIGN_TEMPLATE, NEW_CAMPAIGN_TITLE)
    print(SHIPPED_TEMPLATE, NEW_CAMPAIGN_TEMPLATE)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
