"""The task register workbook (`workbooks/register.xlsx`): write it, and load a clerk's edit of it.

The register is the one file the clerk keeps by hand. Every later command loads it, so loading
checks everything a person can get wrong in Excel and reports *all* problems at once, each with
its sheet, row and column and, where one exists, a suggestion (`RegisterProblems`).

Sheets (columns are found by their header text, so the clerk may reorder or add columns):

    任务   序号 | 章 | 节 | 任务内容 | 牵头单位 | 协办单位 | 相关乡镇(街道)
    单位   单位名称 | 别名 | 分组 | 联系人 | 联系电话 | 代码
    轮次   轮次 | 名称 | 协办单位截止 | 牵头单位截止
    计划   任务序号 | 轮次 | 阶段目标 | 量化指标 | 完成时限 | (任务内容, for reference only)
    设置   项目 | 内容 | (用途, for reference only)
    说明   how to edit each sheet, in Chinese (never read)

`任务`, `单位` and `轮次` are required; a register without `计划` has no plan milestones and one
without `设置` has no settings. Lists of names in one cell are separated by `、` (also `,`, `;`,
full-width forms and line breaks).

This module is the public face; the work is done in
    register_layout.py   the sheet names, header texts and setting keys both sides use
    register_write.py    writing the workbook (xlsxwriter layout, formats, the 说明 sheet)
    register_load.py     loading and checking a clerk's edit (`RegisterProblems`)
"""

from __future__ import annotations

from .register_layout import (
    ALIASES, CHAPTER, CO, CO_DEADLINE, CODE, CONTACT, DISTRICT, DUE, GOAL, GROUPS, HELP_SHEET, INDICATOR, LEAD,
    LEAD_DEADLINE, NONE_CHOSEN, OFFICE_CONTACT, OFFICE_EMAIL, OFFICE_PHONE, PHONE, PLAN_COLUMNS, PLAN_REFERENCE,
    PLAN_ROUND, PLAN_SHEET, PLAN_TASK, RELEVANT, ROUND_COLUMNS, ROUND_ID, ROUND_NAME, ROUNDS_SHEET, SECTION,
    SETTING_KEY, SETTING_NOTE, SETTING_NOTES, SETTING_VALUE, SETTINGS_COLUMNS, SETTINGS_SHEET, SHEETS, TASK_COLUMNS,
    TASK_ID, TASKS_SHEET, TEXT, TITLE_SETTING, UNIT_COLUMNS, UNIT_NAME, UNITS_SHEET,
)
from .register_load import (
    RegisterProblem, RegisterProblems, load_register, no_lead_warning, norm_name, parse_date, register_warnings,
    split_names, unchosen_warning,
)
from .register_write import join_names, write_register

__all__ = [
    # loading and checking (register_load.py)
    "load_register", "RegisterProblem", "RegisterProblems", "register_warnings", "no_lead_warning",
    "unchosen_warning", "parse_date", "norm_name", "split_names",
    # writing (register_write.py)
    "write_register", "join_names",
    # the workbook's vocabulary (register_layout.py)
    "TASKS_SHEET", "UNITS_SHEET", "ROUNDS_SHEET", "PLAN_SHEET", "SETTINGS_SHEET", "HELP_SHEET", "SHEETS",
    "TASK_ID", "CHAPTER", "SECTION", "TEXT", "LEAD", "CO", "RELEVANT", "TASK_COLUMNS",
    "UNIT_NAME", "ALIASES", "GROUPS", "CONTACT", "PHONE", "CODE", "UNIT_COLUMNS",
    "ROUND_ID", "ROUND_NAME", "CO_DEADLINE", "LEAD_DEADLINE", "ROUND_COLUMNS",
    "PLAN_TASK", "PLAN_ROUND", "GOAL", "INDICATOR", "DUE", "PLAN_COLUMNS", "PLAN_REFERENCE",
    "SETTING_KEY", "SETTING_VALUE", "SETTING_NOTE", "SETTINGS_COLUMNS",
    "TITLE_SETTING", "OFFICE_CONTACT", "OFFICE_PHONE", "OFFICE_EMAIL", "DISTRICT", "SETTING_NOTES", "NONE_CHOSEN",
]
