"""`init`, `import` and the shipped default register, on real files in temporary folders."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from excelflow.errors import NoticeError, WorkspaceError
from excelflow.notice.units import TOWNSHIP_GROUP
from excelflow.register import campaign as setup
from excelflow.register.campaign import default_register, import_notice, import_summary, init_workspace, notice_settings
from excelflow.register.load import load_register
from excelflow.register.model import Milestone, Register, Round
from excelflow.register.write import write_register
from excelflow.workspace import Workspace

CHAPTER_COUNTS = [13, 22, 12, 15, 7, 14, 18]


@pytest.fixture(scope="module")
def default() -> Register:
    return default_register()


def _chapter_counts(register: Register) -> list[int]:
    counts: dict[str, int] = {}
    for task in register.tasks:
        counts[task.chapter] = counts.get(task.chapter, 0) + 1
    return list(counts.values())


# -- the shipped default --------------------------------------------------------------------------
def test_default_register_holds_the_whole_2021_notice(default: Register) -> None:
    assert [t.id for t in default.tasks] == list(range(1, 102))
    assert _chapter_counts(default) == CHAPTER_COUNTS
    assert default.title == "区政府办公室关于印发2021年区政府工作报告重点工作责任分工的通知"


def test_default_register_has_the_23_townships_with_their_codes(default: Register, townships_csv: Path) -> None:
    with townships_csv.open(encoding="utf-8") as handle:
        expected = [(row["name"], row["code"]) for row in csv.DictReader(handle)]
    members = [(u.name, u.code) for u in default.units if TOWNSHIP_GROUP in u.groups]
    assert members == expected and len(members) == 23
    task1 = default.task(1)
    assert len(default.co_units(task1)) == 1 + 23  # 上饶高新区 and 各乡镇(街道)


def test_every_unit_the_notice_names_is_a_unit_of_the_register(default: Register) -> None:
    names = {u.name for u in default.units}
    groups = {"各乡镇(街道)", "相关乡镇(街道)"}
    for task in default.tasks:
        for name in (*task.lead, *task.co):
            assert name in names or name in groups, (task.id, name)
    assert default.unit("区工信局").aliases == ("工信局",)  # the notice writes both
    assert "区市管局" in default.unit("区市场监督管理局").aliases


def test_default_applies_the_clerk_confirmed_alias_for_the_near_miss(default: Register) -> None:
    assert default.task(68).lead == ("黑滑石综合开发指挥部", "区农业农村局", "区农垦集团", "区工信局")
    assert default.unit("区农业局") is None
    assert "区农业局" in default.unit("区农业农村局").aliases


def test_default_rounds_and_settings(default: Register) -> None:
    assert default.rounds == (Round("2021-H1", "半年", date(2021, 6, 15), date(2021, 6, 25)),
                              Round("2021-FY", "全年", date(2021, 12, 15), date(2021, 12, 25)))
    # The office as the notice names itself (报区政府督查室), its level and place from the signature.
    assert default.settings == {"督查室": "区政府督查室", "层级": "区", "地名": "广丰区", "督查室联系人": "陈哲琪",
                                "电话": "18879351014", "邮箱": "413946681@qq.com"}
    assert default.office.name == "区政府督查室"


def test_default_register_written_loads_back_equal(tmp_path: Path, default: Register) -> None:
    write_register(tmp_path / "register.xlsx", default)
    assert load_register(tmp_path / "register.xlsx") == default


def test_notice_groups_stay_groups_and_relevant_waits_for_the_clerk(default: Register) -> None:
    task3 = default.task(3)
    assert task3.co == ("上饶高新区", "相关乡镇(街道)") and task3.relevant is None
    assert default.co_units(task3) == ("上饶高新区",)
    assert [t.id for t in default.unchosen_relevant()] == [3, 4, 26, 36, 37, 39, 40, 41, 42, 43, 44, 56, 57, 68]


def test_notice_settings_read_only_from_the_contact_line() -> None:
    text = "1.力争新增企业40家,电话 13800000000。\n联系人:王小明(0793-2612345,dcs@example.cn)\n上饶市广丰区人民政府办公室"
    assert notice_settings(text) == {"督查室联系人": "王小明", "电话": "0793-2612345", "邮箱": "dcs@example.cn"}


# -- init -----------------------------------------------------------------------------------------------
def test_init_makes_an_empty_folder_for_a_new_campaign_with_chinese_and_spaces_in_its_path(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "督查 2022")
    lines = init_workspace(ws)
    assert ws.inbox.is_dir() and ws.outbox.is_dir()
    register = load_register(ws.register_path)
    assert (register.units, register.tasks, register.rounds, register.title) == ((), (), (), "")
    assert register.settings == {"督查室": "", "层级": "", "地名": "", "督查室联系人": "", "电话": "", "邮箱": ""}
    assert ws.template_path.read_bytes() == setup.NEW_CAMPAIGN_TEMPLATE.read_bytes()  # titled {政府}, not 区政府
    text = "\n".join(lines)
    assert "空白" in text and "excelflow import" in text and "广丰" not in text


def test_init_with_example_writes_the_shipped_2021_register(tmp_path: Path, default: Register) -> None:
    ws = Workspace(tmp_path / "示例")
    lines = init_workspace(ws, example=True)
    assert load_register(ws.register_path) == default
    text = "\n".join(lines)
    assert "101 项任务" in text and "2021年上半年(2021-H1)、2021年全年(2021-FY)" in text and "任务 95" in text


def test_init_refuses_to_overwrite_a_register_without_force(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    init_workspace(ws)
    ws.register_path.write_bytes(b"clerk's work")
    with pytest.raises(WorkspaceError, match="--force"):
        init_workspace(ws)
    assert ws.register_path.read_bytes() == b"clerk's work"
    init_workspace(ws, force=True)
    load_register(ws.register_path)


def test_init_keeps_the_clerks_template_unless_forced(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ws.workbooks.mkdir()
    ws.template_path.write_bytes(b"restyled by the clerk")
    lines = init_workspace(ws)
    assert ws.template_path.read_bytes() == b"restyled by the clerk"
    assert any("保留" in line for line in lines)


def test_init_without_a_shipped_template_skips_it_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(setup, "NEW_CAMPAIGN_TEMPLATE", tmp_path / "absent.xlsx")
    ws = Workspace(tmp_path / "ws")
    lines = init_workspace(ws)
    assert not ws.template_path.exists() and ws.register_path.is_file()
    assert any("跳过" in line for line in lines)


# -- import -----------------------------------------------------------------------------------------------
def test_import_into_an_empty_folder_writes_the_register_and_reports_the_near_miss(
        tmp_path: Path, real_notice: Path) -> None:
    ws = Workspace(tmp_path)
    result = import_notice(ws, real_notice)
    register = load_register(ws.register_path)
    assert register == result.register
    assert _chapter_counts(register) == CHAPTER_COUNTS
    # without a register nobody has confirmed 区农业局 = 区农业农村局: suggested, not merged
    assert register.unit("区农业局") is not None
    assert any(w.line == 209 and "区农业农村局" in w.message for w in result.notice.warnings)
    lines = import_summary(result)
    assert "  一、持之以恒主攻工业,不断做强发展支柱:13 项" in lines
    assert any(line.startswith("  - 第 279 行:") and "第95项" in line for line in lines)
    assert lines[-1] == f"已写入任务登记表:{ws.register_path}"


def test_import_after_init_is_the_notice_alone_nothing_of_the_example(tmp_path: Path, real_notice: Path) -> None:
    """`init` then `import` of the example's own notice: none of the example's data is used, not its
    23 townships, not the alias its clerk confirmed (区农业局 stays a unit of its own)."""
    ws = Workspace(tmp_path)
    init_workspace(ws)
    result = import_notice(ws, real_notice)
    register = load_register(ws.register_path)
    assert register == result.register == import_notice(Workspace(tmp_path / "other"), real_notice).register
    assert register.unit("区农业局") is not None and register.group_members("乡镇(街道)") == ()
    assert any("「各乡镇(街道)」还没有成员" in a for a in result.actions)


def test_import_into_the_example_of_its_own_notice_keeps_the_example(tmp_path: Path, real_notice: Path,
                                                                      default: Register) -> None:
    ws = Workspace(tmp_path)
    init_workspace(ws, example=True)
    result = import_notice(ws, real_notice)
    assert load_register(ws.register_path) == default  # the example's aliases applied: same register
    assert not any("区农业局" in w.message for w in result.notice.warnings)


def _notice_of_2022(tmp_path: Path, real_notice: Path) -> Path:
    text = real_notice.read_text(encoding="utf-8").replace("印发2021年", "印发2022年")
    path = tmp_path / "2022年分工通知.txt"
    path.write_text(text, encoding="gb18030")  # as a clerk's Windows editor saves it
    return path


def test_new_years_notice_moves_the_default_rounds_to_its_year(tmp_path: Path, real_notice: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    init_workspace(ws)
    register = import_notice(ws, _notice_of_2022(tmp_path, real_notice)).register
    assert register.rounds == (Round("2022-H1", "半年", date(2022, 6, 15), date(2022, 6, 25)),
                               Round("2022-FY", "全年", date(2022, 12, 15), date(2022, 12, 25)))
    assert "2022年" in register.title


def test_import_of_another_notice_over_a_register_refuses_unless_forced_and_then_keeps_nothing(
        tmp_path: Path, real_notice: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    init_workspace(ws, example=True)
    before = ws.register_path.read_bytes()
    other = tmp_path / "市通知.txt"
    other.write_text("成都市人民政府办公厅关于印发2022年重点工作分工的通知\n\n一、工业(1项)\n"
                     "1.建设产业园。(牵头单位:市经信局、交通局;责任单位:各县(市、区)人民政府)\n", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="另一份通知的登记表") as refused:
        import_notice(ws, other)
    assert "--force" in str(refused.value) and ws.register_path.read_bytes() == before
    result = import_notice(ws, other, force=True)
    register = load_register(ws.register_path)
    assert [u.name for u in register.units] == ["市经信局", "市交通局"]
    assert register.settings["督查室"] == "成都市人民政府督查室" and register.settings["督查室联系人"] == ""
    assert register.rounds[0].id == "2022-H1"
    assert any("重新开始" in w for w in result.warnings)


def test_import_refuses_to_replace_edited_tasks_without_force(tmp_path: Path, real_notice: Path,
                                                              default: Register) -> None:
    ws = Workspace(tmp_path)
    ws.workbooks.mkdir()
    edited = replace(default, tasks=tuple(replace(t, lead=("区委政法委",)) if t.id == 95 else t for t in default.tasks))
    write_register(ws.register_path, edited)
    before = ws.register_path.read_bytes()
    with pytest.raises(WorkspaceError, match="--force"):
        import_notice(ws, real_notice)
    assert ws.register_path.read_bytes() == before
    import_notice(ws, real_notice, force=True)
    assert load_register(ws.register_path).task(95).lead == ()


def test_import_keeps_what_outlives_a_notice(tmp_path: Path, real_notice: Path, default: Register) -> None:
    """Rounds, contacts, settings, 相关 choices and plans of unchanged tasks survive a re-import."""
    ws = Workspace(tmp_path)
    ws.workbooks.mkdir()
    quarterly = (Round("2021-Q1", "一季度", date(2021, 3, 20), date(2021, 3, 25)),
                 Round("2021-Q2", "二季度", date(2021, 6, 20), date(2021, 6, 25)))
    units = tuple(replace(u, contact="李四", phone="13912345678") if u.name == "区工信局" else u for u in default.units)
    tasks = tuple(replace(t, relevant=("五都镇",)) if t.id == 3 else t for t in default.tasks)
    edited = replace(default, units=units, tasks=tasks, rounds=quarterly,
                     milestones=(Milestone(3, "2021-Q1", "完成摸底", "1 份", date(2021, 3, 31)),),
                     settings={**default.settings, "备注": "自定义"})
    write_register(ws.register_path, edited)
    result = import_notice(ws, real_notice)  # tasks unchanged apart from the choice: no --force needed
    assert load_register(ws.register_path) == edited == result.register
    assert not any("轮次按默认" in w for w in result.warnings)


def test_import_of_a_broken_register_needs_force(tmp_path: Path, real_notice: Path) -> None:
    ws = Workspace(tmp_path)
    ws.workbooks.mkdir()
    ws.register_path.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="不是能读取的 Excel 工作簿"):
        import_notice(ws, real_notice)
    result = import_notice(ws, real_notice, force=True)
    assert any("无法读取" in w for w in result.warnings)
    load_register(ws.register_path)


def test_notice_with_a_repeated_number_is_written_and_the_problem_named(tmp_path: Path, real_notice: Path) -> None:
    text = real_notice.read_text(encoding="utf-8").replace("\n6.突出龙头企业", "\n5.突出龙头企业")
    notice = tmp_path / "通知.txt"
    notice.write_text(text, encoding="utf-8")
    result = import_notice(Workspace(tmp_path / "ws"), notice)
    assert any("须先修改才能使用" in w and "序号 5" in w for w in result.actions)


def test_a_file_that_is_not_a_notice_writes_nothing(tmp_path: Path) -> None:
    image = tmp_path / "扫描件.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(NoticeError):
        import_notice(ws, image)
    assert not ws.register_path.exists()
