"""The clerk's template.xlsx: a restyle is honoured, a broken one gets a clear Chinese message.

Each case starts from the shipped template and edits it with openpyxl, as a clerk would in Excel,
then saves it as `workbooks/template.xlsx` of a real working folder.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from generate_helpers import read_book, read_identity, sample_register
from openpyxl.styles import Font

from excelflow.errors import TemplateError
from excelflow.forms.default_template import (
    NEW_CAMPAIGN_TEMPLATE,
    NEW_CAMPAIGN_TITLE,
    SAMPLE_SHEET,
    SHIPPED_TEMPLATE,
    build_default_template,
)
from excelflow.forms.generate import generate_round
from excelflow.forms.headers import INPUT_HEADERS, REQUIRED_HEADERS
from excelflow.forms.template_style import load_template_style
from excelflow.workspace import Workspace

NOW = datetime(2021, 6, 1, 9, 0)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "督查室")
    ws.workbooks.mkdir(parents=True)
    shutil.copy(SHIPPED_TEMPLATE, ws.template_path)
    return ws


def edit_template(ws: Workspace, edit) -> Path:
    book = openpyxl.load_workbook(ws.template_path)
    edit(book[SAMPLE_SHEET])
    book.save(ws.template_path)
    return ws.template_path


def header_cells(sheet) -> dict[str, object]:
    return {c.value: c for c in sheet[3] if c.value}


def test_shipped_template_is_what_the_builder_makes(tmp_path: Path) -> None:
    built = tmp_path / "built.xlsx"
    build_default_template(built)
    assert load_template_style(built).digest() == load_template_style(SHIPPED_TEMPLATE).digest()


def test_a_new_campaigns_template_is_titled_with_its_own_government(tmp_path: Path) -> None:
    built = tmp_path / "built.xlsx"
    build_default_template(built, NEW_CAMPAIGN_TITLE)
    style = load_template_style(NEW_CAMPAIGN_TEMPLATE)
    assert style.digest() == load_template_style(built).digest()
    assert style.title == "{年度}年{政府}工作报告重点工作{轮次}进展情况表({角色}任务)"
    assert style.columns == load_template_style(SHIPPED_TEMPLATE).columns  # the same look


def test_shipped_template_has_every_required_header_and_no_extra_inputs() -> None:
    style = load_template_style(SHIPPED_TEMPLATE)
    assert set(REQUIRED_HEADERS) <= set(style.headers)
    assert style.extra_inputs == ()
    assert style.fonts.header.name == "黑体" and style.fonts.body.name == "宋体"


def test_restyled_title_order_extra_column_font_and_width_are_honoured(ws: Workspace) -> None:
    def restyle(sheet) -> None:
        sheet["A1"].value = "{单位}{年度}年{轮次}重点工作推进表——{角色}"
        sheet["A1"].font = Font(name="方正小标宋简体", size=20)
        cells = header_cells(sheet)
        # Swap 进展情况 and 完成状态 (labels and their sample cells move together)
        progress, status = cells["进展情况"], cells["完成状态"]
        progress.value, status.value = "完成状态", "进展情况"
        # An extra input column the clerk wants, right of 备注
        extra = sheet.cell(3, sheet.max_column + 1, "责任人")
        extra.font = Font(name="黑体")
        sheet.column_dimensions[extra.column_letter].width = 12
        for c in sheet[4]:
            c.font = Font(name="仿宋", size=12)
        sheet.column_dimensions["B"].width = 45

    edit_template(ws, restyle)
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    path = ws.template_file("2021-H1", "区工信局")
    rows = read_book(path)["牵头任务"]
    assert rows[0][0] == "区工信局2021年上半年重点工作推进表——牵头"  # {轮次}: the round as people say it
    header = [h for h in next(r for r in rows if r and r[0] == "序号") if h]
    assert header.index("完成状态") > header.index("进展情况")
    assert header[-1] == "责任人"

    book = openpyxl.load_workbook(path)
    sheet = book["牵头任务"]
    assert sheet["A1"].font.name == "方正小标宋简体" and sheet["A1"].font.sz == 20
    header_row = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "序号")
    task_cell = sheet.cell(header_row + 1, header.index("任务内容") + 1)
    assert task_cell.font.name == "仿宋" and task_cell.font.sz == 12
    extra = sheet.cell(header_row + 1, header.index("责任人") + 1)
    assert not extra.protection.locked
    # The widened 任务内容 stays the widest column, narrowed only as far as 9 pt print needs
    widths = [sheet.column_dimensions[chr(ord("A") + i)].width for i in range(len(header))]
    assert widths[1] == max(widths) and widths[1] > 30
    from excelflow.xlsx import MIN_PRINT_PT, printed_size
    assert printed_size([w - 5 / 7 for w in widths], True, 12) >= MIN_PRINT_PT  # stored widths carry padding
    # The extra column is an input: it changes neither the fingerprint rule nor the contract texts
    assert [h for h in header if h in INPUT_HEADERS][:1] == ["进展情况"]
    assert read_identity(path).rows


def test_restyle_makes_already_generated_workbooks_count_as_changed(ws: Workspace) -> None:
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    edit_template(ws, lambda sheet: setattr(sheet["A1"], "value", "{年度}年{轮次}重点工作情况表"))
    report = generate_round(ws, sample_register(), "2021-H1", now=NOW)
    assert report.written == () and len(report.would_change) == len(report.units)


def test_missing_template_falls_back_to_the_shipped_one_with_a_warning(ws: Workspace) -> None:
    ws.template_path.unlink()
    report = generate_round(ws, sample_register(), "2021-H1", now=NOW)
    assert report.written and any("默认模板" in w for w in report.warnings)


def test_file_that_is_not_a_workbook_is_refused_naming_the_file(ws: Workspace) -> None:
    ws.template_path.write_text("这不是工作簿", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"无法打开模板 .*template\.xlsx.*不是有效的 \.xlsx"):
        generate_round(ws, sample_register(), "2021-H1", now=NOW)


def test_template_without_id_header_names_the_sheet(ws: Workspace) -> None:
    edit_template(ws, lambda sheet: setattr(header_cells(sheet)["序号"], "value", "编号"))
    with pytest.raises(TemplateError, match=f"工作表「{SAMPLE_SHEET}」.*找不到表头单元格「序号」"):
        load_template_style(ws.template_path)


def test_renamed_required_header_names_the_cell_and_suggests_the_text(ws: Workspace) -> None:
    def rename(sheet) -> None:
        header_cells(sheet)["完成进度(%)"].value = "完成进度"

    edit_template(ws, rename)
    with pytest.raises(TemplateError) as caught:
        load_template_style(ws.template_path)
    message = str(caught.value)
    assert f"工作表「{SAMPLE_SHEET}」第 3 行" in message and "缺少「完成进度(%)」" in message
    assert "单元格 J3 的「完成进度」是否应为「完成进度(%)」" in message


def test_duplicate_header_names_both_cells(ws: Workspace) -> None:
    edit_template(ws, lambda sheet: setattr(header_cells(sheet)["备注"], "value", "存在问题"))
    with pytest.raises(TemplateError, match="单元格 L3 和 N3 的表头都是「存在问题」"):
        load_template_style(ws.template_path)


def test_unknown_title_placeholder_names_the_cell_and_lists_the_known_ones(ws: Workspace) -> None:
    edit_template(ws, lambda sheet: setattr(sheet["A1"], "value", "{部门}重点工作进展表"))
    with pytest.raises(TemplateError, match=r"单元格 A1 的标题含无法识别的占位符「\{部门\}」.*\{单位\}"):
        load_template_style(ws.template_path)


def test_fullwidth_brackets_in_a_header_are_accepted_as_the_contract_text(ws: Workspace) -> None:
    edit_template(ws, lambda sheet: setattr(header_cells(sheet)["完成进度(%)"], "value", "完成进度（%）"))
    assert "完成进度(%)" in load_template_style(ws.template_path).headers


def test_deleted_optional_columns_stay_out_of_the_workbooks(ws: Workspace) -> None:
    def drop(sheet) -> None:
        cells = header_cells(sheet)
        for header in ("报送截止", "协办单位", "备注"):
            sheet.delete_cols(cells[header].column)
            cells = header_cells(sheet)

    edit_template(ws, drop)
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    rows = read_book(ws.template_file("2021-H1", "区工信局"))["牵头任务"]
    header = [h for h in next(r for r in rows if r and r[0] == "序号") if h]
    assert header == ["序号", "任务内容", "完成状态", "完成进度(%)", "进展情况", "存在问题", "下步打算"]


def test_cleared_sample_row_keeps_the_default_fonts(ws: Workspace) -> None:
    from openpyxl.styles.cell_style import StyleArray

    def clear(sheet) -> None:
        for cell in sheet[4]:
            cell.value = None
            cell._style = StyleArray()

    edit_template(ws, clear)
    style = load_template_style(ws.template_path)
    assert style.fonts.body.name == "宋体" and style.fonts.input.name == "宋体"


def test_a_template_made_before_the_deadline_column_was_renamed_still_works(ws: Workspace) -> None:
    edit_template(ws, lambda sheet: setattr(header_cells(sheet)["报送截止"], "value", "完成时限"))
    assert "报送截止" in load_template_style(ws.template_path).headers
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    rows = read_book(ws.template_file("2021-H1", "区工信局"))["牵头任务"]
    header = next(r for r in rows if r and r[0] == "序号")
    assert "报送截止" in header and "完成时限" not in header
