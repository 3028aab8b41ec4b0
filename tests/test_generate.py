"""excelflow generate: one reporting workbook per unit, read back as collection will read it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from generate_helpers import read_book, read_identity, sample_register, visible_entries, with_task_text

from excelflow.cli import main
from excelflow.errors import RoundError
from excelflow.forms.generate import generate_round
from excelflow.forms.headers import INPUT_HEADERS, PREFILLED_HEADERS
from excelflow.forms.identity import IDENTITY_SHEET
from excelflow.forms.plan import NOT_REPORTED, entry_fingerprint
from excelflow.forms.render import HEADER_BLOCK_LABELS
from excelflow.intake.records import EntryReport
from excelflow.register import statuses
from excelflow.register.write import write_register
from excelflow.workspace import Workspace
from excelflow.xlsx import display_width, list_source, new_workbook

NOW = datetime(2021, 6, 1, 9, 0)
CONTRACT_INPUTS = ["完成状态", "完成进度(%)", "进展情况", "存在问题", "下步打算", "备注"]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "共享 盘" / "督查室")


def test_entries_across_all_workbooks_equal_the_registers_expected_entries(ws: Workspace) -> None:
    register = sample_register()
    report = generate_round(ws, register, "2021-H1", now=NOW)

    from_identity, from_cells = set(), set()
    for path in report.written:
        ident = read_identity(path)
        assert ident.kind == "report" and ident.round_id == "2021-H1"
        assert path == ws.template_file("2021-H1", ident.unit)
        for row in ident.rows:
            from_identity.add((row.task_id, ident.unit, row.role))
        role_of_sheet = {row.sheet: row.role for row in ident.rows}
        from_cells |= {(task, ident.unit, role_of_sheet[sheet]) for task, sheet in visible_entries(path)}
    expected = {(e.task_id, e.unit, e.role) for e in register.expected_entries()}
    assert from_identity == expected
    assert from_cells == expected
    assert len(report.written) == len({e.unit for e in register.expected_entries()})


def test_identity_rows_point_at_the_visible_row_holding_that_task(ws: Workspace) -> None:
    report = generate_round(ws, sample_register(), "2021-H1", now=NOW)
    for path in report.written:
        book = read_book(path)
        names = list(book)
        for row in read_identity(path).rows:
            assert names[row.sheet_index] == row.sheet
            assert book[row.sheet][row.row - 1][0] == float(row.task_id)


def test_lead_and_co_tasks_sit_on_separate_sheets_with_only_the_units_tasks(ws: Workspace) -> None:
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    entries = visible_entries(ws.template_file("2021-H1", "区工信局"))
    # Task 2: 区工信局 co-leads it and is also named co-unit: it reports once, as lead.
    assert entries == {(1, "牵头任务"), (2, "牵头任务"), (3, "协办任务")}
    book = read_book(ws.template_file("2021-H1", "芦林街道"))
    assert [n for n in book if n != IDENTITY_SHEET] == ["协办任务", "填报说明"]
    assert visible_entries(ws.template_file("2021-H1", "芦林街道")) == {(1, "协办任务"), (3, "协办任务")}


def test_fingerprint_matches_the_locked_cells_as_read_back(ws: Workspace) -> None:
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    path = ws.template_file("2021-H1", "区工信局")
    book = read_book(path)
    for row in read_identity(path).rows:
        rows = book[row.sheet]
        header_row = next(r for r in rows if r and r[0] == "序号")
        cells = {h: rows[row.row - 1][c] for c, h in enumerate(header_row) if h in PREFILLED_HEADERS}
        assert entry_fingerprint(cells) == row.fingerprint
        edited = dict(cells, 任务内容=str(cells["任务内容"]) + "(已完成)")
        assert entry_fingerprint(edited) != row.fingerprint


def test_header_row_carries_the_contract_texts_once_per_sheet(ws: Workspace) -> None:
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    book = read_book(ws.template_file("2021-H1", "区工信局"))
    for name in ("牵头任务", "协办任务"):
        headers = [r for r in book[name] if "完成状态" in r]
        assert len(headers) == 1
        row = [h for h in headers[0] if h]
        assert row[0] == "序号"
        assert [h for h in row if h in INPUT_HEADERS] == CONTRACT_INPUTS
    lead_headers = next(r for r in book["牵头任务"] if r and r[0] == "序号")
    co_headers = next(r for r in book["协办任务"] if r and r[0] == "序号")
    assert "协办单位" in lead_headers and "牵头单位" not in lead_headers
    assert "牵头单位" in co_headers and "协办单位" not in co_headers


def test_header_block_has_each_label_with_an_input_cell_to_its_right(ws: Workspace) -> None:
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    path = ws.template_file("2021-H1", "区工信局")
    rows = read_book(path)["牵头任务"]
    sheet = openpyxl.load_workbook(path)["牵头任务"]
    header_row = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    found = {}
    for r in range(header_row):
        for c, value in enumerate(rows[r]):
            if value in HEADER_BLOCK_LABELS:
                found[value] = (r, c)
    assert set(found) == set(HEADER_BLOCK_LABELS)
    r, c = found["填报单位"]
    assert rows[r][c + 1] == "区工信局"
    for label in HEADER_BLOCK_LABELS[1:]:
        r, c = found[label]
        assert sheet.cell(r + 1, c + 1).protection.locked
        assert not sheet.cell(r + 1, c + 2).protection.locked, f"input right of {label} must be open"


def test_prefilled_cells_are_locked_inputs_open_and_protection_has_no_password(ws: Workspace) -> None:
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    path = ws.template_file("2021-H1", "区工信局")
    book = openpyxl.load_workbook(path)
    sheet = book["牵头任务"]
    assert sheet.protection.sheet and not sheet.protection.password
    assert book[IDENTITY_SHEET].sheet_state == "veryHidden"
    header_row = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "序号")
    headers = {sheet.cell(header_row, c).value: c for c in range(1, sheet.max_column + 1)}
    for r in range(header_row + 1, sheet.max_row + 1):
        for header, c in headers.items():
            locked = sheet.cell(r, c).protection.locked
            assert locked == (header in PREFILLED_HEADERS), (header, r)


def test_status_dropdown_and_progress_range_are_validated_in_chinese(ws: Workspace) -> None:
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    sheet = openpyxl.load_workbook(ws.template_file("2021-H1", "区工信局"))["牵头任务"]
    rules = {dv.type: dv for dv in sheet.data_validations.dataValidation}
    assert rules["list"].formula1 == '"' + ",".join(statuses.CHOICES) + '"'
    assert "下拉" in rules["list"].error and rules["list"].errorStyle in (None, "stop")
    assert (rules["decimal"].formula1, rules["decimal"].formula2) == ("0", "100")
    assert "0 到 100" in rules["decimal"].error


def test_pages_print_a4_landscape_one_page_wide_with_header_row_repeated(ws: Workspace) -> None:
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    sheet = openpyxl.load_workbook(ws.template_file("2021-H1", "区工信局"))["牵头任务"]
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # fitToWidth defaults to 1 when absent (xlsxwriter leaves the default out)
    assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
    header_row = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "序号")
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    assert "&P" in sheet.oddFooter.center.text


def test_text_that_looks_like_a_formula_or_link_stays_text(ws: Workspace) -> None:
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    rows = read_book(ws.template_file("2021-H1", "区发改委"))["牵头任务"]
    assert any(isinstance(v, str) and v.startswith("=HYPERLINK(") for r in rows for v in r)


def test_second_round_shows_the_units_previous_report_and_plan_milestone(ws: Workspace) -> None:
    previous = {(1, "区工信局", "lead"): EntryReport(1, "区工信局", "lead", "序时推进",
                                                   progress_text="已签约项目 6 个。")}
    report = generate_round(ws, sample_register(), "2021-FY", now=NOW, previous=previous)
    assert not any("上一轮" in w for w in report.warnings)
    path = ws.template_file("2021-FY", "区工信局")
    rows = read_book(path)["牵头任务"]
    header = next(r for r in rows if r and r[0] == "序号")
    col = {h: c for c, h in enumerate(header)}
    by_task = {int(r[0]): r for r in rows if r and isinstance(r[0], float)}
    assert by_task[1][col["上轮完成状态"]] == "序时推进"
    assert by_task[1][col["上轮进展情况"]] == "已签约项目 6 个。"
    assert by_task[2][col["上轮完成状态"]] == NOT_REPORTED
    assert "新引进产业链项目 10 个" in by_task[1][col["本轮计划目标"]]
    # Read-only, and beside the new input.
    assert col["上轮进展情况"] + 1 == col["完成状态"]
    sheet = openpyxl.load_workbook(path)["牵头任务"]
    r = next(i for i, row in enumerate(rows) if row and row[0] == 1.0) + 1
    assert sheet.cell(r, col["上轮进展情况"] + 1).protection.locked


def test_first_round_has_no_previous_or_plan_columns(ws: Workspace) -> None:
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    header = next(r for r in read_book(ws.template_file("2021-H1", "区工信局"))["牵头任务"] if r and r[0] == "序号")
    assert not {"上轮完成状态", "上轮进展情况", "本轮计划目标"} & set(header)


def test_second_round_without_a_ledger_warns_and_leaves_previous_columns_empty(ws: Workspace) -> None:
    report = generate_round(ws, sample_register(), "2021-FY", now=NOW, previous=None)
    assert any("上一轮" in w for w in report.warnings)


def test_rerun_leaves_unchanged_workbooks_alone(ws: Workspace) -> None:
    register = sample_register()
    first = generate_round(ws, register, "2021-H1", now=NOW)
    stamps = {p: p.stat().st_mtime_ns for p in first.written}
    again = generate_round(ws, register, "2021-H1", now=datetime(2021, 6, 2, 9, 0))
    assert again.written == () and set(again.unchanged) == set(first.written)
    assert {p: p.stat().st_mtime_ns for p in first.written} == stamps
    assert read_identity(first.written[0]).generated_at == "2021-06-01T09:00:00"


def test_changed_task_text_is_not_overwritten_without_force(ws: Workspace) -> None:
    register = sample_register()
    generate_round(ws, register, "2021-H1", now=NOW)
    changed = with_task_text(register, 5, "落实减税降费政策,全年减税 2 亿元。")
    target = ws.template_file("2021-H1", "区财政局")
    before = target.read_bytes()

    report = generate_round(ws, changed, "2021-H1", now=NOW)
    assert report.would_change == (target,)
    assert target.read_bytes() == before
    assert len(report.unchanged) == len(report.units) - 1

    forced = generate_round(ws, changed, "2021-H1", now=NOW, force=True)
    assert target in forced.written
    assert "全年减税 2 亿元" in str(read_book(target)["牵头任务"])


def test_unchosen_relevant_townships_get_no_entries_and_a_warning_naming_the_task(ws: Workspace) -> None:
    register = sample_register(relevant_chosen=False)
    report = generate_round(ws, register, "2021-H1", now=NOW)
    warned = [w for w in report.warnings if "相关乡镇(街道)" in w]
    assert [w.split(" ")[1] for w in warned] == ["3", "4"]
    # 洋口镇 still reports on task 1 (各乡镇(街道)), but not on the 相关… tasks 3 and 4.
    assert {row.task_id for row in read_identity(ws.template_file("2021-H1", "洋口镇")).rows} == {1}


def test_unknown_round_is_refused_with_the_known_rounds(ws: Workspace) -> None:
    with pytest.raises(RoundError, match=r"2021年上半年\(2021-H1\)、2021年全年\(2021-FY\)"):
        generate_round(ws, sample_register(), "2022-H1", now=NOW)


def test_progress_is_reported_once_per_unit(ws: Workspace) -> None:
    calls: list[tuple[int, int]] = []
    report = generate_round(ws, sample_register(), "2021-H1", now=NOW, progress=lambda d, t: calls.append((d, t)))
    n = len(report.units)
    assert calls == [(i, n) for i in range(1, n + 1)]


def test_distribution_list_names_every_file_with_entry_counts_and_contact(ws: Workspace) -> None:
    register = sample_register()
    report = generate_round(ws, register, "2021-H1", now=NOW)
    assert report.distribution_list == ws.distribution_list("2021-H1")
    rows = read_book(report.distribution_list)["分发清单"]
    header = rows[1]
    table = [dict(zip(header, r)) for r in rows[2:]]
    assert [r["单位"] for r in table] == list(report.units)
    gongxin = next(r for r in table if r["单位"] == "区工信局")
    assert (gongxin["牵头任务(项)"], gongxin["协办任务(项)"]) == (2.0, 1.0)
    assert (gongxin["联系人"], gongxin["联系电话"]) == ("张三", "0793-2612345")
    assert (report.distribution_list.parent / gongxin["文件"]).is_file()
    assert "区政府办(政务服务办)" in report.units  # co-unit of task 4 only


def test_units_without_entries_get_no_workbook_and_are_listed_as_skipped(ws: Workspace) -> None:
    report = generate_round(ws, sample_register(), "2021-H1", now=NOW)
    assert report.skipped == ("区审计局",)
    assert not ws.template_file("2021-H1", "区审计局").exists()


def test_instructions_sheet_names_deadlines_recipients_and_the_office_contact(ws: Workspace) -> None:
    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    text = "\n".join(str(v) for r in read_book(ws.template_file("2021-H1", "区工信局"))["填报说明"] for v in r)
    for fragment in ("2021年6月15日", "2021年6月25日", "牵头单位", "区政府督查室", "陈哲琪", "18879351014",
                     "撤销工作表保护", *statuses.CHOICES):
        assert fragment in text


def test_display_width_counts_wide_and_fullwidth_characters_as_two() -> None:
    assert display_width("区工信局") == 8
    assert display_width("ABC１２") == 7
    assert display_width("第一行\n长一些的第二行") == 14
    assert display_width(None) == 0


def test_long_dropdown_lists_go_to_a_hidden_sheet(tmp_path: Path) -> None:
    target = tmp_path / "long-list.xlsx"
    workbook = new_workbook(target)
    sheet = workbook.add_worksheet("表")
    choices = [f"乡镇(街道)第{i}号" for i in range(40)]
    cache: dict[tuple[str, ...], str] = {}
    source = list_source(workbook, choices, cache)
    assert isinstance(source, str) and source.startswith("=_lists!")
    sheet.data_validation(0, 0, 10, 0, {"validate": "list", "source": source})
    assert list_source(workbook, ["是", "否"], cache) == ["是", "否"]
    workbook.close()
    book = openpyxl.load_workbook(target)
    assert book["_lists"].sheet_state == "hidden"
    assert book["_lists"]["A40"].value == choices[-1]
    assert book["表"].data_validations.dataValidation[0].formula1 == "_lists!$A$1:$A$40"


def test_generate_command_writes_workbooks_and_lists_would_change(ws: Workspace) -> None:
    register = sample_register()
    write_register(ws.register_path, register)
    runner = CliRunner()
    args = ["generate", "--round", "2021-H1", "--root", str(ws.root), "--now", "2021-06-01T09:00"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    units = {e.unit for e in register.expected_entries()}
    assert f"新生成 {len(units)} 个" in result.stdout
    assert ws.template_file("2021-H1", "区工信局").is_file()

    write_register(ws.register_path, with_task_text(register, 5, "改过的任务内容"))
    again = runner.invoke(main, args)
    assert again.exit_code == 0
    assert "区财政局.xlsx" in again.stdout and "--force" in again.stdout


def test_generate_command_reports_an_unknown_round_as_an_error(ws: Workspace) -> None:
    write_register(ws.register_path, sample_register())
    result = CliRunner().invoke(main, ["generate", "--round", "2030-H1", "--root", str(ws.root)])
    assert result.exit_code == 1
    assert "没有轮次「2030-H1」" in result.stderr


def test_shipped_2021_register_gives_every_unit_a_workbook_holding_exactly_its_entries(ws: Workspace) -> None:
    from excelflow.register.campaign import default_register

    register = default_register()
    report = generate_round(ws, register, "2021-H1", now=NOW)
    expected = {(e.task_id, e.unit, e.role) for e in register.expected_entries()}
    assert len(report.written) == len({unit for _, unit, _ in expected})
    from_identity, from_cells = set(), set()
    for path in report.written:
        ident = read_identity(path)
        from_identity |= {(row.task_id, ident.unit, row.role) for row in ident.rows}
        role_of_sheet = {row.sheet: row.role for row in ident.rows}
        from_cells |= {(task, ident.unit, role_of_sheet[sheet]) for task, sheet in visible_entries(path)}
    assert from_identity == expected and from_cells == expected
    unchosen = [w for w in report.warnings if "尚未选定" in w]
    assert len(unchosen) == len(register.unchosen_relevant())


def test_fit_widths_sizes_chinese_columns_by_display_width(tmp_path: Path) -> None:
    from excelflow.xlsx import fit_widths

    workbook = new_workbook(tmp_path / "widths.xlsx")
    sheet = workbook.add_worksheet("表")
    widths = fit_widths(sheet, [["单位", "file"], ["区政府办(政务服务办)", "templates/a.xlsx"]],
                        minimum=4, maximum=60, padding=2, fixed={1: 30})
    assert widths == [2 + display_width("区政府办(政务服务办)"), 30]
    assert widths[0] == 2 + 2 * 9 + 2  # nine Chinese characters count double, brackets single
    workbook.close()


def test_two_units_with_the_same_file_name_do_not_overwrite_each_other(ws: Workspace) -> None:
    from dataclasses import replace

    from excelflow.register.model import Task, Unit

    register = sample_register()
    register = replace(register, units=(*register.units, Unit("区城投/集团"), Unit("区城投_集团")),
                       tasks=(*register.tasks, Task(9, "三、民生", None, "城市更新。", ("区城投/集团",), ("区城投_集团",))))
    report = generate_round(ws, register, "2021-H1", now=NOW)
    path = ws.template_file("2021-H1", "区城投/集团")
    assert read_identity(path).unit == "区城投/集团"
    assert any("区城投_集团" in w and "文件名相同" in w for w in report.warnings)


def test_entry_rows_grow_with_the_text_a_unit_types(ws: Workspace) -> None:
    """Entry rows keep a computed height but are automatic rows (no customHeight): Excel and WPS
    make them taller as a long 进展情况 is typed, so the filled form prints in full. The rows
    above (title, header block, header) keep their set heights."""
    import re
    import zipfile

    generate_round(ws, sample_register(), "2021-H1", now=NOW)
    path = ws.template_file("2021-H1", "区工信局")
    entry_rows = {r.row for r in read_identity(path).rows if r.sheet == "牵头任务"}
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    rows = {int(n): tag for n, tag in ((m.group(1), m.group(0)) for m in re.finditer(r'<row r="(\d+)"[^>]*>', xml))}
    assert entry_rows and all('ht="' in rows[r] and "customHeight" not in rows[r] for r in entry_rows)
    header = min(entry_rows) - 1
    assert 'customHeight="1"' in rows[header]


def test_workbooks_drawn_in_worker_processes_are_the_bytes_one_process_draws(ws: Workspace, tmp_path: Path) -> None:
    from excelflow.forms.campaign_key import ensure_key

    ensure_key(ws)
    single = Workspace(tmp_path / "一个进程")
    single.campaign_key_path.parent.mkdir(parents=True)
    single.campaign_key_path.write_bytes(ws.campaign_key_path.read_bytes())  # the same campaign signs both
    from excelflow.runs.prepare import drawing_in_workers

    parallel = generate_round(ws, sample_register(), "2021-H1", now=NOW, draw=drawing_in_workers(sample_register(), 2))
    alone = generate_round(single, sample_register(), "2021-H1", now=NOW)  # drawn in this process
    assert len(parallel.written) == len(alone.written) > 5
    for ours, theirs in zip(parallel.written, alone.written):
        assert ours.name == theirs.name and ours.read_bytes() == theirs.read_bytes()
    assert parallel.distribution_list and alone.distribution_list
    assert parallel.distribution_list.read_bytes() == alone.distribution_list.read_bytes()


def test_a_plan_and_the_style_come_back_equal_from_the_json_a_worker_gets() -> None:
    from excelflow.forms.default_template import SHIPPED_TEMPLATE
    from excelflow.forms.plan import plan_unit
    from excelflow.forms.plan_json import plan_from_json, plan_to_json, style_from_json, style_to_json
    from excelflow.forms.template_style import load_template_style

    register = sample_register()
    rnd = register.require_round("2021-H1")
    style = load_template_style(SHIPPED_TEMPLATE)
    assert style_from_json(json.loads(json.dumps(style_to_json(style)))) == style
    for unit in {e.unit for e in register.expected_entries()}:
        entries = [(e.task_id, e.role) for e in register.entries_of(unit)]
        plan = plan_unit(register, rnd, unit, entries, style, {}, True)
        assert plan_from_json(json.loads(json.dumps(plan_to_json(plan)))) == plan
