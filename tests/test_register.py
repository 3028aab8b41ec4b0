"""The register workbook: written for a clerk, read back exactly, and every broken edit named.

Broken registers live in `tests/data/registers/`, each named after the edit that breaks it (see
`make_registers.py` there, which made them from `valid.xlsx` with openpyxl).
"""

from __future__ import annotations

import importlib.util
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from office import convert, requires_office
from python_calamine import CalamineWorkbook

from excelflow.errors import RegisterError
from excelflow.register.layout import NONE_CHOSEN
from excelflow.register.load import RegisterProblems, load_register, parse_date, register_warnings, split_names
from excelflow.register.model import Milestone, Register, Round, Task, Unit
from excelflow.register.write import write_register

REGISTERS = Path(__file__).resolve().parent / "data" / "registers"


def _base_register() -> Register:
    spec = importlib.util.spec_from_file_location("make_registers", REGISTERS / "make_registers.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.base_register()


@pytest.fixture(scope="module")
def base() -> Register:
    return _base_register()


def _problems(name: str) -> RegisterProblems:
    with pytest.raises(RegisterProblems) as info:
        load_register(REGISTERS / f"{name}.xlsx")
    return info.value


# -- round trip ---------------------------------------------------------------------------------
def test_valid_fixture_loads_as_the_register_it_was_written_from(base: Register) -> None:
    assert load_register(REGISTERS / "valid.xlsx") == base


def test_written_register_loads_back_equal_with_every_field(tmp_path: Path) -> None:
    register = Register(
        title="测试通知",
        units=(Unit("区工信局", ("工信局", "工业和信息化局"), (), "张三", "0793-1234567", ""),
               Unit("永丰街道", (), ("乡镇(街道)", "城区"), "", "", "361103001"),
               Unit("下溪街道", (), ("乡镇(街道)",), code="361103004")),
        tasks=(Task(7, "一、章", "(一)节", "=SUM(A1) http://example.cn 以等号开头也不是公式", ("区工信局",), ("各乡镇(街道)",)),
               Task(8, "一、章", None, "二", ("区工信局",), ("相关乡镇(街道)",), ()),
               Task(9, "", None, "三\n第二行", (), ("相关乡镇(街道)",), ("下溪街道", "永丰街道"))),
        rounds=(Round("2021-07", "七月", date(2021, 7, 5), date(2021, 7, 5)),
                Round("2021-Q3", "三季度", date(2021, 9, 15), date(2021, 9, 25))),
        milestones=(Milestone(8, "2021-Q3", "完成", "", None), Milestone(7, "2021-07", "启动", "1 个", date(2021, 7, 31))),
        settings={"督查室联系人": "陈哲琪", "区名": "广丰区", "自定义": "保留"},
    )
    path = tmp_path / "登记 表" / "register.xlsx"
    write_register(path, register)
    back = load_register(path)
    assert back.tasks == register.tasks
    assert back.units == register.units
    assert back.rounds == register.rounds
    assert set(back.milestones) == set(register.milestones)
    assert back.settings == register.settings and back.title == register.title


def test_writing_the_same_register_twice_gives_the_same_bytes(tmp_path: Path, base: Register) -> None:
    write_register(tmp_path / "a.xlsx", base)
    write_register(tmp_path / "b.xlsx", base)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_text_that_looks_like_a_formula_or_link_stays_text(tmp_path: Path) -> None:
    register = Register("t", (Unit("区工信局"),), (Task(1, "", None, "=1+1", ("区工信局",)),),
                        (Round("R", "", date(2021, 1, 1), date(2021, 1, 2)),))
    write_register(tmp_path / "r.xlsx", register)
    with zipfile.ZipFile(tmp_path / "r.xlsx") as z:
        sheet1 = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet1
    assert load_register(tmp_path / "r.xlsx").tasks[0].text == "=1+1"


# -- what the clerk sees ------------------------------------------------------------------------------
def test_workbook_has_the_sheets_headers_and_real_dates_a_clerk_edits(tmp_path: Path, base: Register) -> None:
    write_register(tmp_path / "r.xlsx", base)
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["任务", "单位", "轮次", "计划", "设置", "说明"]
    tasks = book["任务"]
    assert [c.value for c in tasks[1]] == ["序号", "章", "节", "任务内容", "牵头单位", "协办单位", "完成时限", "相关单位"]
    assert tasks.freeze_panes == "B2"
    assert tasks["F2"].value == "上饶高新区、各乡镇(街道)"
    assert tasks["F2"].alignment.wrap_text
    assert tasks["H4"].value == "永丰街道、下溪街道" and tasks["H3"].value is None
    assert [c.value for c in book["单位"][1]] == ["单位名称", "别名", "分组", "联系人", "联系电话", "代码", "邮箱"]
    assert book["单位"]["F7"].value == "361103001" and book["单位"]["F7"].data_type == "s"
    rounds = book["轮次"]
    assert [c.value for c in rounds[1]] == ["轮次", "名称", "协办单位截止", "牵头单位截止"]
    assert rounds["C2"].value == datetime(2021, 6, 15) and rounds["C2"].is_date
    assert any("C2" in str(dv.sqref) and dv.type == "date" for dv in rounds.data_validations.dataValidation)
    plan = book["计划"]
    assert [c.value for c in plan[1]][:5] == ["任务序号", "轮次", "阶段目标", "量化指标", "完成时限"]
    assert plan.max_row - 1 == len(base.tasks) * len(base.rounds)  # a row per task and round to fill
    settings = {r[0].value: r[1].value for r in book["设置"].iter_rows(min_row=2)}
    assert settings["通知标题"] == base.title and settings["督查室联系人"] == "陈哲琪"
    help_text = " ".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    for word in ("任务", "单位", "轮次", "计划", "相关单位", "各县(市、区)人民政府", NONE_CHOSEN, "别名", "完成时限"):
        assert word in help_text


def test_a_register_of_the_earlier_layout_still_loads(base: Register) -> None:
    """Fixtures written before 完成时限 and 相关单位 (header 相关乡镇(街道)) read as they did."""
    register = load_register(REGISTERS / "relevant-choice-filled.xlsx")
    assert register.task(3).relevant == ("五都镇", "永丰街道") and register.task(3).due == ""


def test_a_new_campaigns_empty_register_loads_and_asks_nothing(tmp_path: Path) -> None:
    empty = Register(title="", units=(), tasks=(), rounds=(),
                     settings={"督查室": "", "层级": "", "地名": "", "督查室联系人": "", "电话": "", "邮箱": ""})
    write_register(tmp_path / "r.xlsx", empty)
    assert load_register(tmp_path / "r.xlsx") == empty
    assert empty.expected_entries() == () and empty.office.name == "督查室"


def test_groups_of_any_office_wait_for_their_members_and_the_clerks_choice(tmp_path: Path) -> None:
    register = Register(
        title="通知", units=(Unit("市住建局"), Unit("新都区人民政府", groups=("县(市、区)人民政府",)), Unit("市卫健委")),
        tasks=(Task(1, "", None, "甲", ("市住建局",), ("各县(市、区)人民政府",)),
               Task(2, "", None, "乙", ("市住建局",), ("开发(度假)区管委会",)),
               Task(3, "", None, "丙", ("市住建局",), ("市级各相关部门",)),
               Task(4, "", None, "丁", ("市住建局",), ("市级各相关部门",), relevant=("市卫健委",))),
        rounds=(Round("2022-H1", "半年", date(2022, 6, 15), date(2022, 6, 25)),))
    write_register(tmp_path / "r.xlsx", register)
    back = load_register(tmp_path / "r.xlsx")
    assert back == register
    assert back.co_units(back.task(1)) == ("新都区人民政府",)
    assert back.co_units(back.task(2)) == () and back.co_units(back.task(3)) == ()
    assert back.co_units(back.task(4)) == ("市卫健委",)
    assert [t.id for t in back.unchosen_relevant()] == [2, 3]
    warnings = register_warnings(back)
    assert any("「市级各相关部门」尚未选定" in w and "任务 3" in w for w in warnings)
    assert any(w.startswith("分组「开发(度假)区管委会」还没有成员") and "任务 2" in w for w in warnings)


def test_columns_are_wide_enough_for_chinese_text(tmp_path: Path, base: Register) -> None:
    write_register(tmp_path / "r.xlsx", base)
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["单位"]
    # 区市场监督管理局: 8 wide characters take 16 columns, not 8
    assert sheet.column_dimensions["A"].width >= 16


def test_plan_reference_column_shows_the_task_text_without_recalculation(tmp_path: Path, base: Register) -> None:
    write_register(tmp_path / "r.xlsx", base)
    rows = CalamineWorkbook.from_path(tmp_path / "r.xlsx").get_sheet_by_name("计划").to_python()
    assert rows[1][5] == base.tasks[0].text


# -- edits that keep it valid ---------------------------------------------------------------------------
def test_deadlines_typed_as_text_in_any_usual_form_are_dates() -> None:
    register = load_register(REGISTERS / "dates-typed-as-text.xlsx")
    assert [(r.co_deadline, r.lead_deadline) for r in register.rounds] == [
        (date(2021, 6, 15), date(2021, 6, 25)), (date(2021, 12, 15), date(2021, 12, 25))]


@pytest.mark.parametrize("typed, expected", [
    ("2021-06-15", date(2021, 6, 15)), ("2021/6/15", date(2021, 6, 15)), ("2021年6月15日", date(2021, 6, 15)),
    ("２０２１年６月１５日", date(2021, 6, 15)), ("2021.6.15", date(2021, 6, 15)), (44362.0, date(2021, 6, 15)),
    (datetime(2021, 6, 15, 0, 0), date(2021, 6, 15)), ("6月15日", None), ("615日", None), ("2021-02-30", None),
    ("", None), (None, None), (True, None),
])
def test_parse_date(typed: object, expected: date | None) -> None:
    assert parse_date(typed) == expected


def test_aliases_and_full_width_brackets_typed_by_the_clerk_resolve_to_canonical_names(base: Register) -> None:
    register = load_register(REGISTERS / "aliases-and-fullwidth-brackets-typed.xlsx")
    assert register.task(1).lead == ("区工信局",)
    assert register.task(1).co == ("上饶高新区", "各乡镇(街道)")
    assert register.task(100).lead == ("区市场监督管理局",)


def test_relevant_choice_filled_by_the_clerk_decides_who_reports() -> None:
    register = load_register(REGISTERS / "relevant-choice-filled.xlsx")
    task3, task26 = register.task(3), register.task(26)
    assert task3.relevant == ("五都镇", "永丰街道")
    assert register.co_units(task3) == ("上饶高新区", "五都镇", "永丰街道")
    assert task26.relevant == ()  # 「无」: the clerk chose that no township reports
    assert register.co_units(task26) == ()
    assert register.unchosen_relevant() == ()


def test_unchosen_relevant_group_is_warned_about_and_asks_nobody(base: Register) -> None:
    register = load_register(REGISTERS / "valid.xlsx")
    assert [t.id for t in register.unchosen_relevant()] == [3]
    assert register.co_units(register.task(3)) == ("上饶高新区",)
    warnings = register_warnings(register)
    assert any("任务 3" in w and "相关乡镇(街道)" in w for w in warnings)
    assert any("没有牵头单位" in w and "95" in w for w in warnings)


def test_quarterly_round_added_by_the_clerk_is_a_round_like_any_other() -> None:
    register = load_register(REGISTERS / "round-added-quarterly.xlsx")
    assert register.round("2021-Q3") == Round("2021-Q3", "三季度", date(2021, 9, 15), date(2021, 9, 25))


@requires_office
def test_register_saved_again_by_libreoffice_loads_the_same(tmp_path: Path, base: Register) -> None:
    [saved] = convert([REGISTERS / "valid.xlsx"], "xlsx", tmp_path / "saved")
    assert load_register(saved) == base


# -- edits that break it: one Chinese error naming sheet, row, column -------------------------------------
def test_unknown_unit_in_a_task_row_names_the_cell_and_suggests_the_near_miss() -> None:
    error = _problems("unknown-unit-in-task-row")
    assert (error.where.sheet, error.where.row, error.where.column) == ("任务", 5, "牵头单位")
    assert "区农业局" in str(error) and "区农业农村局" in (error.suggestion or "")
    assert str(error).startswith("unknown-unit-in-task-row.xlsx 工作表「任务」 第 5 行 「牵头单位」列")


def test_duplicate_task_id_names_both_rows() -> None:
    error = _problems("duplicate-task-id")
    assert (error.where.sheet, error.where.row, error.where.column) == ("任务", 4, "序号")
    assert "第 3 行" in str(error)


def test_deadline_that_is_not_a_date() -> None:
    error = _problems("deadline-not-a-date")
    assert (error.where.sheet, error.where.row, error.where.column) == ("轮次", 2, "协办单位截止")
    assert "「6月15日」不是日期" in str(error) and "2021-06-15" in (error.suggestion or "")
    assert len(error.problems) == 1  # the round's plan rows are not reported as unknown rounds too


def test_co_deadline_after_lead_deadline() -> None:
    error = _problems("co-deadline-after-lead-deadline")
    assert (error.where.sheet, error.where.row) == ("轮次", 3)


def test_missing_sheet_is_one_problem_not_one_per_task() -> None:
    error = _problems("missing-units-sheet")
    assert len(error.problems) == 1 and error.where.sheet == "单位" and "缺少工作表「单位」" in str(error)


def test_renamed_header_names_the_header_expected() -> None:
    error = _problems("lead-header-renamed")
    assert (error.where.sheet, error.where.row) == ("任务", 1) and "牵头单位" in str(error)
    assert len(error.problems) == 1


def test_unknown_township_in_relevant_choice_suggests_the_full_name() -> None:
    error = _problems("unknown-township-in-relevant-choice")
    assert (error.where.sheet, error.where.row, error.where.column) == ("任务", 3, "相关乡镇(街道)")
    assert "五都" in str(error) and "五都镇" in (error.suggestion or "")


def test_unit_outside_the_group_in_relevant_choice() -> None:
    error = _problems("unit-not-in-group-in-relevant-choice")
    assert error.where.column == "相关乡镇(街道)" and "区工信局" in str(error)


def test_relevant_choice_on_a_task_without_a_relevant_group_is_not_silently_ignored() -> None:
    error = _problems("relevant-choice-without-relevant-group")
    assert (error.where.row, error.where.column) == (2, "相关乡镇(街道)")


def test_plan_row_with_unknown_round() -> None:
    error = _problems("plan-row-with-unknown-round")
    assert (error.where.sheet, error.where.row, error.where.column) == ("计划", 2, "轮次")
    assert "2021-H1" in (error.suggestion or "")


def test_every_problem_is_listed_in_one_error_in_sheet_order() -> None:
    error = _problems("three-problems")
    places = [(p.where.sheet, p.where.row, p.where.column) for p in error.problems]
    assert places == [("任务", 4, "序号"), ("任务", 5, "牵头单位"), ("轮次", 3, "牵头单位截止")]
    text = str(error)
    assert "3 处问题" in text
    assert all(f"第 {row} 行 「{column}」列" in text for _, row, column in places)


def test_a_file_that_is_not_a_workbook_is_a_register_error() -> None:
    with pytest.raises(RegisterError, match="不是能读取的 Excel 工作簿"):
        load_register(REGISTERS / "not-a-workbook.xlsx")


def test_a_missing_register_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(RegisterError, match="excelflow init"):
        load_register(tmp_path / "register.xlsx")


def test_split_names_accepts_the_separators_clerks_type() -> None:
    assert split_names("区工信局、上饶高新区，各乡镇(街道);区商务局\n区科技局  区交通局 区工信局") == (
        "区工信局", "上饶高新区", "各乡镇(街道)", "区商务局", "区科技局", "区交通局")


def test_near_miss_confirmed_as_an_alias_reads_as_the_unit() -> None:
    register = load_register(REGISTERS / "near-miss-confirmed-as-alias.xlsx")
    assert register.task(50).lead == ("区农业农村局",)


def test_alias_that_is_also_a_unit_row_says_which_row_to_delete() -> None:
    error = _problems("alias-clashes-with-a-unit-row")
    assert len(error.problems) == 1  # task 50 still resolves: no second, cascading problem
    assert (error.where.sheet, error.where.row, error.where.column) == ("单位", 10, "单位名称")
    assert "删除单位「区农业局」那一行" in (error.suggestion or "")
