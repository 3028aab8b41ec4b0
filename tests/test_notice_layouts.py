"""Notices of every common layout import to the right tasks, chapters, text and units.

Each fixture in `tests/data/notices/` is a short notice in one layout seen in real published
task lists (city, prefecture, county; text, Markdown saved from a web page, workbook tables, PDFs);
the table files are rebuilt by `make_tables.py` there. Each test reads one and checks what the
register will hold.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from excelflow.cli import main
from excelflow.errors import NoticeError
from excelflow.notice.parse import ParsedNotice, parse_notice
from excelflow.register.load import load_register
from excelflow.store.pass_cache import PassCache
from excelflow.workspace import Workspace

NOTICES = Path(__file__).resolve().parent / "data" / "notices"


def parse(name: str) -> ParsedNotice:
    return parse_notice(NOTICES / name)


def units(notice: ParsedNotice) -> list[tuple[int, tuple[str, ...], tuple[str, ...]]]:
    return [(t.id, t.lead, t.co) for t in notice.tasks]


def messages(notice: ParsedNotice) -> list[str]:
    return [w.message for w in notice.warnings]


# -- text layouts -------------------------------------------------------------------------------------
def test_chinese_numeral_items_followed_by_their_own_label_lines_are_the_tasks() -> None:
    """`一、 …` (bold, a space after 、), a 目标任务 paragraph, then 牵头单位/责任单位 or 主办单位 lines."""
    notice = parse("chinese-numeral-items-with-separate-label-lines.txt")
    assert notice.title == "呼和浩特市人民政府办公室关于印发2022年市政府重点工作任务分工方案的通知"  # over two lines
    assert [t.chapter for t in notice.tasks] == ["", "", "", ""]
    assert notice.tasks[0].text == "持续推进工业经济高质量发展。目标任务：规模以上工业增加值增长10%以上，新增规模以上工业企业30户。"
    assert notice.tasks[1].text.startswith("实施乡村振兴战略。年度目标：粮食产量")
    assert units(notice) == [
        (1, ("市工信局",), ("市发改委", "市财政局", "各旗县(市、区)")),
        (2, ("市农牧局",), ("市水务局", "市自然资源局", "各旗县(市、区)")),
        (3, ("市发改委",), ()),
        (4, ("市政府办公室", "市政务服务局"), ("开发(度假)区管委会", "市级各相关部门")),
    ]
    assert notice.warnings == ()
    assert (notice.issuer.level, notice.issuer.place, notice.issuer.office) == ("市", "呼和浩特市", "呼和浩特市人民政府督查室")


def test_chinese_numeral_items_between_the_notices_own_numbered_requirements() -> None:
    """The preamble's 一、…五、 and the closing 一、二、 have no units: only the list's items are tasks."""
    notice = parse("chinese-numeral-items-between-requirements.txt")
    assert [(t.id, t.lead) for t in notice.tasks] == [(1, ("市工信局",)), (2, ("市农牧局",)), (3, ("市发改委",))]
    assert [(w.line, w.urgent) for w in notice.warnings] == [(23, False)]
    assert "重新从一编号,没有单位说明,按通知的工作要求处理" in notice.warnings[0].message


def test_clauses_with_their_own_lead_units_keep_all_text_and_every_unit() -> None:
    notice = parse("clauses-each-with-their-own-lead-unit.txt")
    first = notice.tasks[0]
    assert first.text == ("深入实施城市更新行动，改造老旧小区120个（牵头责任单位：市住建局）；新建改建城市公园15个"
                          "（牵头责任单位：市公园城市局、城管委）；完成燃气管网改造50公里（牵头责任单位：市燃气集团，"
                          "各区（市）县政府）。")
    assert first.lead == ("市住建局", "市公园城市局", "市城管委", "市燃气集团", "各区(市)县政府")
    assert notice.tasks[1].text == "推进轨道交通建设，新开通地铁线路2条"
    assert (notice.tasks[1].lead, notice.tasks[1].co) == (("市交通运输局",), ("成都轨道集团",))
    assert notice.warnings == ()


def test_a_number_followed_by_digits_is_the_next_task_and_a_wrapped_decimal_stays_text() -> None:
    notice = parse("numbers-followed-by-digits.txt")
    assert [(t.id, t.text) for t in notice.tasks] == [
        (1, "开展职业技能培训，全年培训2.5万人次。"),
        (2, "30个行政村实现集中供水全覆盖。"),
        (3, "5G基站新建200个，实现乡镇全覆盖。"),
        (4, "12所中小学完成改扩建。"),
    ]
    assert units(notice)[1] == (2, ("县水利局",), ("各乡镇人民政府",))
    assert notice.warnings == ()


def test_markdown_bold_markers_and_a_title_over_two_lines_leave_no_trace() -> None:
    notice = parse("markdown-bold-title-over-two-lines.md")
    assert notice.title == "某某县人民政府办公室关于印发2023年县政府工作报告重点任务分工的通知"
    assert [(t.id, t.chapter, t.text) for t in notice.tasks] == [
        (1, "一、经济发展", "全县地区生产总值增长7%。"),
        (2, "一、经济发展", "一般公共预算收入增长6%。"),
        (3, "二、社会民生", "新增城镇就业3000人。"),
    ]
    assert units(notice) == [(1, ("县发改局",), ("县统计局",)), (2, ("县财政局",), ()),
                             (3, ("县人社局",), ("各乡镇人民政府",))]
    assert notice.warnings == ()
    assert not any("*" in t.text or "#" in t.text for t in notice.tasks)


def test_counts_in_headings_written_as_pieces_are_read_as_counts() -> None:
    notice = parse("counts-in-headings.txt")
    assert [t.chapter for t in notice.tasks] == ["一、经济发展方面", "一、经济发展方面", "二、城市建设",
                                                 "三、社会事业", "三、社会事业", "四、生态环境"]
    assert notice.warnings == ()  # every count (方面2件, （1件）, 2件, 1项) matches what was read


def test_a_lead_label_on_a_line_of_its_own_with_or_without_its_opening_bracket() -> None:
    notice = parse("lead-label-on-its-own-line.txt")
    assert [(t.id, t.text) for t in notice.tasks] == [(1, "推进数字政府建设。"), (2, "抓好安全生产。"), (3, "推进城乡供水。")]
    assert units(notice) == [
        (1, ("市大数据局",), ("市政府办公室",)),
        (2, ("市应急局",), ("市消防救援支队",)),
        (3, ("市水务局",), ("各县(区)人民政府",)),
    ]
    assert notice.warnings == ()


def test_names_of_a_city_keep_their_prefix_and_groups_after_a_comma_stay_groups() -> None:
    notice = parse("names-of-other-levels-and-groups.txt")
    assert units(notice) == [
        (1, ("市政府应急办", "市应急局"), ("市水务局", "各县(区)人民政府")),  # not 市市政府应急办
        (2, ("市住建局", "市交通局"), ("各县(市)区人民政府",)),  # the bare 交通局 is the city's
        (3, ("市场监管局",), ("市公安局", "市商务局")),  # no level written: none guessed
        (4, ("市商务局",), ("开发(度假)区管委会",)),
        (5, ("市政务服务局",), ("市级各相关部门",)),
    ]
    assert notice.warnings == ()


def test_sections_that_carry_the_units_are_the_tasks_under_their_chapters() -> None:
    notice = parse("sections-carry-the-units.txt")
    assert [(t.id, t.chapter, t.section) for t in notice.tasks] == [
        (1, "一、做强实体经济", None), (2, "一、做强实体经济", None), (3, "二、深化改革开放", None)]
    assert notice.tasks[0].text == "推动制造业高质量发展，规模以上工业增加值增长8%。"
    assert units(notice)[0] == (1, ("市经信局",), ("各县(市、区)人民政府",))
    assert messages(notice) == ["各章分别从1编号,已按出现顺序统一编号为1–3"]


def test_leader_lines_are_left_out_and_coordinating_units_end_in_a_group() -> None:
    notice = parse("leader-and-coordinating-units-on-lines.txt")
    assert [(t.text, t.lead, t.co) for t in notice.tasks] == [
        ("地区生产总值增长8%以上。", ("市发展改革委",), ("市经信局", "市商务局", "各县市区政府")),
        ("财政收入增长8%左右。", ("市财政局",), ("市税务局", "各县市区政府")),
    ]
    assert not any("金力" in t.text or "金力" in (*t.lead, *t.co) for t in notice.tasks)
    assert notice.warnings == ()


def test_a_notice_that_says_the_first_unit_listed_leads_is_read_so() -> None:
    notice = parse("first-unit-listed-leads.txt")
    assert units(notice) == [(1, ("市发改委",), ("市统计局", "各区县(市)政府")), (2, ("市经信局",), ("市发改委",))]
    assert messages(notice) == ["通知说明列第一位的单位为牵头单位:各项任务第一个单位读作牵头单位,其余为协办单位"]


def test_units_named_before_their_verb_as_provinces_write_them() -> None:
    """`（省发展改革委牵头，省统计局、省财政厅按职责分工负责）`, `（省国资委负责）`."""
    notice = parse("units-named-before-their-verb.txt")
    assert notice.title == "某某省人民政府关于落实《政府工作报告》重点工作部门分工的意见"
    assert [(t.id, t.text) for t in notice.tasks][0] == (1, "全省生产总值增长6.5%左右。")
    assert units(notice) == [
        (1, ("省发展改革委",), ("省统计局", "省财政厅")),
        (2, ("省人力资源社会保障厅",), ("各市州人民政府",)),
        (3, ("省政务服务管理局", "省发展改革委"), ("省直各有关部门",)),
        (4, ("省国资委",), ()),
    ]
    assert notice.warnings == ()
    assert (notice.issuer.level, notice.issuer.office) == ("省", "某某省人民政府督查室")


@pytest.mark.parametrize(("name", "year", "source"), [
    ("clauses-each-with-their-own-lead-unit.txt", 2022, "标题"),
    ("sections-carry-the-units.txt", 2022, "标题"),
    ("year-only-in-the-date-line.txt", 2023, "落款日期"),
    ("no-year-anywhere.txt", None, ""),
])
def test_the_year_comes_from_the_title_a_heading_or_the_date_line(name: str, year: int | None, source: str) -> None:
    notice = parse(name)
    assert (notice.year.year, notice.year.source) == (year, source)


# -- tables ---------------------------------------------------------------------------------------------
TABLE_TASKS = [
    (1, "一、稳增长", "地区生产总值增长6.5%左右，规模以上工业增加值增长7%以上。", ("市发改委",), ("市统计局", "市经信局"),
     "2022年12月底"),
    (2, "一、稳增长", "固定资产投资增长8%，新开工亿元以上项目100个。", ("市发改委",),
     ("市住建局", "市交通局", "各县(市、区)人民政府"), "2022年12月31日"),
    (3, "一、稳增长", "新签约亿元以上招商项目50个。", ("市商务局",), ("开发(度假)区管委会",), "2022年6月底"),
    (4, "二、惠民生", "新增城镇就业2.5万人，城镇登记失业率控制在4%以内。", ("市人社局",), ("各县(市、区)人民政府",), "长期坚持"),
    (5, "二、惠民生", "新改扩建中小学10所，新增学位1万个。", ("市教育局",), ("市发改委", "市财政局"), "2022年9月"),
]


def table_tasks(notice: ParsedNotice) -> list[tuple[object, ...]]:
    return [(t.id, t.chapter, t.text, t.lead, t.co, t.due) for t in notice.tasks]


@pytest.mark.parametrize("name", [
    "task-table.xlsx",  # title and 文号 above the header, chapter rows merged across, a lead merged down
    "task-table-saved-by-libreoffice.xls",
    "task-table-made-by-libreoffice.pdf",
    "task-table-one-sheet-per-chapter.xlsx",  # a 说明 sheet without a table, then a sheet per chapter
    "task-table-on-a-web-page.html",  # GBK, colspan for chapters, rowspan for the lead, site clutter
])
def test_a_task_table_in_a_workbook_or_a_pdf_reads_like_the_typed_notice(name: str) -> None:
    notice = parse(name)
    assert notice.title == "某某市2022年政府工作报告重点工作任务分解表"
    assert table_tasks(notice) == TABLE_TASKS
    assert notice.warnings == ()
    assert (notice.issuer.level, notice.issuer.office, notice.year.year) == ("市", "某某市人民政府督查室", 2022)


def test_a_wps_et_workbook_is_read_like_the_xls_it_is(tmp_path: Path) -> None:
    et = tmp_path / "任务分解表.et"
    et.write_bytes((NOTICES / "task-table-saved-by-libreoffice.xls").read_bytes())
    assert table_tasks(parse_notice(et)) == TABLE_TASKS


def test_the_tables_completion_dates_are_kept_in_the_register(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["import", str(NOTICES / "task-table.xlsx"), "--root", str(tmp_path)]).exit_code == 0
    register = load_register(Workspace(tmp_path).register_path)
    assert [t.due for t in register.tasks] == [due for *_, due in TABLE_TASKS]
    assert PassCache(Workspace(tmp_path)).register() == register  # as every later command sees it


def test_an_ods_table_loses_its_cells_merged_down_and_says_which_task_lacks_a_lead() -> None:
    """calamine gives no merged areas for .ods: the lead merged over tasks 1 and 2 counts for 1 only."""
    notice = parse("task-table-saved-by-libreoffice.ods")
    assert table_tasks(notice)[0] == TABLE_TASKS[0] and table_tasks(notice)[2:] == TABLE_TASKS[2:]
    assert notice.tasks[1].lead == ()
    assert [(w.line, w.message, w.urgent) for w in notice.warnings] == [
        (6, "第2项没有主办(牵头)单位;请在登记表中补上", True)]


def test_a_table_with_two_task_columns_and_a_leader_column() -> None:
    notice = parse("task-table-two-task-columns-and-a-leader-column.xlsx")
    assert table_tasks(notice) == [
        (1, "一、稳增长", "稳定工业增长：规模以上工业增加值增长7%以上。", ("市经信局",), ("市发改委",), "2022年12月"),
        (2, "一、稳增长", "扩大有效投资：固定资产投资增长8%。", ("市发改委",), ("各县(市、区)人民政府",), "2022年12月"),
    ]


def test_a_pdf_table_over_several_pages_with_its_header_repeated_reads_whole() -> None:
    notice = parse("task-table-over-pages-made-by-libreoffice.pdf")
    assert [t.id for t in notice.tasks] == list(range(1, 37))
    assert [t.chapter for t in notice.tasks[::12]] == ["一、产业发展", "二、城市建设", "三、社会民生"]
    assert all(t.co == ("市财政局", "各县(市、区)人民政府") for t in notice.tasks)  # a cell wrapped in the PDF
    assert notice.tasks[35].text == "社会民生第12项任务:推进相关工作,完成年度目标,按季度报告进展情况。"
    assert notice.warnings == ()


def test_a_pdf_of_running_text_reads_like_the_text() -> None:
    assert table_tasks(parse("running-text-made-by-libreoffice.pdf")) == \
        table_tasks(parse("chinese-numeral-items-with-separate-label-lines.txt"))


def test_a_scanned_pdf_without_text_gets_a_clear_message() -> None:
    with pytest.raises(NoticeError, match="「scanned-without-text.pdf」是扫描的图片 PDF,没有文字层"):
        parse("scanned-without-text.pdf")


# -- what the clerk sees ----------------------------------------------------------------------------------
ALL_NOTICES = sorted(p.name for p in NOTICES.iterdir()
                     if p.suffix in (".txt", ".md", ".html", ".xlsx", ".xls", ".ods", ".pdf")
                     and not p.name.startswith("scanned"))


@pytest.mark.parametrize("name", ALL_NOTICES)
def test_import_prints_one_screen_and_its_json_agrees_with_the_register(name: str, tmp_path: Path) -> None:
    runner = CliRunner()
    root = tmp_path / "新督查"
    assert runner.invoke(main, ["init", str(root)]).exit_code == 0
    result = runner.invoke(main, ["import", str(NOTICES / name), "--root", str(root), "--now", "2024-03-01T09:00"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) <= 30 and lines[0].startswith("通知:") and lines[1].startswith("督查室:")
    assert lines[-1].startswith("已写入任务登记表:")
    if name == "numbering-gap-and-repeat.txt":  # a repeated number: written, and the cell to fix named
        assert "登记表已写入,但须先修改才能使用" in result.stdout
        return
    register = load_register(Workspace(root).register_path)
    as_json = json.loads(runner.invoke(main, ["import", str(NOTICES / name), "--json", "--root", str(root)]).stdout)
    assert [(t["id"], t["chapter"], t["text"], tuple(t["lead"]), tuple(t["co"])) for t in as_json["tasks"]] == \
        [(t.id, t.chapter, t.text, t.lead, t.co) for t in register.tasks]


def test_import_of_a_notice_without_a_year_says_so_in_its_first_lines(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", str(NOTICES / "no-year-anywhere.txt"), "--root", str(tmp_path),
                                       "--now", "2024-03-01T09:00"])
    lines = result.stdout.splitlines()
    assert lines[2] == "年份:通知的标题、说明和落款都没有写年份,轮次按 2024 年设置;请在登记表「轮次」表核对"
    assert [r.id for r in load_register(Workspace(tmp_path).register_path).rounds] == ["2024-H1", "2024-FY"]


def test_import_puts_what_needs_the_clerk_first_and_new_units_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", str(NOTICES / "names-of-other-levels-and-groups.txt"),
                                       "--root", str(tmp_path)])
    out = result.stdout
    lines = out.splitlines()
    assert lines[:3] == ["通知:某某市人民政府办公室关于印发2022年重点工作责任分工的通知",
                         "督查室:某某市人民政府督查室(层级:市,地名:某某市);可在登记表「设置」表修改",
                         "年份:2022 年(取自标题)"]
    assert lines[3] == "需要您处理(5 条):"
    assert "「市级各相关部门」尚未选定" in lines[4]
    assert lines[5].startswith("  - 分组「各县(区)人民政府」还没有成员,暂不向它要报告:任务 1")
    assert "通知里没有写督查室的联系人和电话" in out
    assert "单位:9 个,新登记 9 个单位,见「单位」表" in out
    assert "不在单位表中" not in out
