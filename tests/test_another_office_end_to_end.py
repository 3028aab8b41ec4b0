"""A city's campaign from a clean start: init → import → generate → collect → compare, with no trace
of the shipped example (广丰区) in any file the campaign writes.

The notice is a city's list (市 units, a task of clauses each with its own lead unit, a county
group whose members the clerk lists in the register, a `市级各相关部门` group chosen per task). The
clerk lists the county group's members, chooses for the relevant group, and three units report.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner
from collect_helpers import drop, filled_values, run_cli
from conftest import DATA
from docx import Document
from python_calamine import CalamineWorkbook

from excelflow.cli import main
from excelflow.demo import fill_workbook
from excelflow.register.load import load_register
from excelflow.register.model import Unit
from excelflow.register.write import write_register
from excelflow.workspace import Workspace

ROUND = "2022-H1"
NOTICE = """某某市人民政府办公厅关于印发2022年市政府工作报告重点工作责任分工的通知

各县（市、区）人民政府，市政府各部门：
    现将《2022年市政府工作报告重点工作责任分工》印发给你们，请抓好落实。各牵头单位于6月25日前将半年进展报市政府督查室。

联系人：王小红（0771-5551234，dcs@example.gov.cn）

某某市人民政府办公厅
2022年2月28日

一、稳增长（2项）
1.地区生产总值增长6.5%左右。（牵头单位：市发改委；责任单位：市统计局，各县（市、区）人民政府）
2.新签约亿元以上招商项目50个。（牵头单位：市商务局、投促局；责任单位：市级各相关部门）
二、城市更新（1项）
3.改造老旧小区120个（牵头责任单位：市住建局）；新建城市公园15个（牵头责任单位：市园林局）。
"""
COUNTIES = ("甲县人民政府", "乙区人民政府")

# What must never appear in a city's outputs: the example's place, office wording, contact, units.
FORBIDDEN = ("广丰", "上饶", "区政府督查室", "区政府工作报告", "区政府通知", "陈哲琪", "18879351014", "413946681",
             "黑滑石", "区工信局", "铜钹山")


def texts_of(path: Path) -> str:
    """Everything a person could read in an output file (all sheets, hidden ones too; docx text)."""
    data = path.read_bytes()
    if path.suffix in (".xlsx", ".xlsm"):
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        cells = [str(v) for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python() for v in row]
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # document properties (author, company)
            props = [archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.startswith("docProps/")]
        return "\n".join(cells + props)
    if path.suffix == ".docx":
        document = Document(io.BytesIO(data))
        return "\n".join([p.text for p in document.paragraphs] + [document.core_properties.author or ""] +
                         [c.text for t in document.tables for r in t.rows for c in r.cells])
    return data.decode("utf-8", "replace")


def test_a_citys_campaign_runs_from_a_clean_start_with_no_trace_of_the_example(tmp_path: Path) -> None:
    root = tmp_path / "某某市督查 2022"
    notice = tmp_path / "分工通知.txt"
    notice.write_text(NOTICE, encoding="utf-8")
    ws = Workspace(root)

    assert run_cli("init", str(root)).exit_code == 0
    imported = run_cli("import", str(notice), "--root", str(root), "--now", "2022-03-01T09:00")
    assert imported.exit_code == 0, imported.output
    assert "督查室:某某市人民政府督查室(层级:市,地名:某某市)" in imported.stdout
    assert "分组「各县(市、区)人民政府」还没有成员" in imported.stdout

    # The clerk lists the county group's members and chooses for 市级各相关部门, in Excel.
    register = load_register(ws.register_path)
    assert [u.name for u in register.units] == ["市发改委", "市统计局", "市商务局", "市投促局", "市住建局", "市园林局"]
    assert register.task(3).lead == ("市住建局", "市园林局")
    assert register.settings["督查室联系人"] == "王小红"
    units = (*register.units, *(Unit(c, groups=("县(市、区)人民政府",)) for c in COUNTIES), Unit("市财政局"))
    tasks = tuple(replace(t, relevant=("市财政局",)) if t.id == 2 else t for t in register.tasks)
    write_register(ws.register_path, replace(register, units=units, tasks=tasks))

    generated = run_cli("generate", "--round", ROUND, "--root", str(root), "--now", "2022-05-01T09:00")
    assert generated.exit_code == 0, generated.output
    templates = {p.stem for p in ws.templates_dir(ROUND).glob("*.xlsx")}
    assert templates == {"市发改委", "市统计局", "市商务局", "市投促局", "市住建局", "市园林局", "市财政局", *COUNTIES}
    garden = texts_of(ws.template_file(ROUND, "市园林局"))
    assert "【本单位负责】新建城市公园15个" in garden and "某某市人民政府督查室" in garden
    assert "2022年某某市人民政府工作报告重点工作" in garden  # the template's title, this city's wording

    filled = tmp_path / "filled"
    for unit in ("市发改委", "甲县人民政府", "市园林局"):
        fill_workbook(ws.template_file(ROUND, unit), filled / f"{unit}.xlsx", lambda t, _s: filled_values(t))
        drop(ws, filled / f"{unit}.xlsx", f"{unit}-半年报送.xlsx")
    collected = run_cli("collect", "--root", str(root), "--round", ROUND, "--now", "2022-06-14T09:00", "--wait", "5")
    assert collected.exit_code == 0, collected.output
    compared = run_cli("compare", "--root", str(root), "--round", ROUND, "--now", "2022-06-28T09:00")
    assert compared.exit_code == 0, compared.output

    states = json.loads(run_cli("status", "--root", str(root), "--round", ROUND, "--json",
                                "--now", "2022-06-28T09:00").stdout)["entries"]
    by_unit = {(e["task"], e["unit"], e["role"]): e["state"] for e in states}
    assert by_unit[(1, "甲县人民政府", "co")] == "on_time" and by_unit[(1, "乙区人民政府", "co")] == "missing"
    assert by_unit[(2, "市财政局", "co")] == "missing" and by_unit[(3, "市园林局", "lead")] == "on_time"

    notification = Document(str(ws.round_dir(ROUND) / f"{ROUND}-通报.docx"))
    heading = [p.text for p in notification.paragraphs if p.text][:4]
    # the masthead names this city's office; the title, its round as people say it
    assert heading[2].startswith("某某市人民政府督查室\t") and heading[3] == "关于2022年上半年重点工作推进情况的通报"

    outputs = [p for p in root.rglob("*") if p.is_file() and p.suffix in (".xlsx", ".docx", ".txt", ".json")
               and ".excelflow" not in p.parts and "archive" not in p.parts]
    assert len(outputs) > 15
    with (DATA / "guangfeng-townships.csv").open(encoding="utf-8-sig") as handle:
        townships = [row["name"] for row in csv.DictReader(handle)]
    for path in outputs:
        text = texts_of(path)
        leaked = [word for word in (*FORBIDDEN, *townships) if word in text]
        assert not leaked, (path.relative_to(root), leaked)


def test_without_the_offices_contact_import_and_generate_say_so_once_and_workbooks_leave_the_line_out(
        tmp_path: Path) -> None:
    root = tmp_path / "县督查"
    notice = tmp_path / "通知.txt"
    notice.write_text(NOTICE.replace("联系人：王小红（0771-5551234，dcs@example.gov.cn）\n", ""), encoding="utf-8")
    assert run_cli("init", str(root)).exit_code == 0
    imported = run_cli("import", str(notice), "--root", str(root))
    assert imported.stdout.count("通知里没有写督查室的联系人和电话") == 1
    generated = CliRunner().invoke(main, ["generate", "--round", ROUND, "--root", str(root),
                                                          "--now", "2022-05-01T09:00"])
    assert generated.exit_code == 0, generated.output
    assert generated.stderr.count("没有督查室联系人和电话") == 1
    guide = texts_of(Workspace(root).template_file(ROUND, "市发改委"))
    assert "联系方式" not in guide and "某某市人民政府督查室" in guide
    status = run_cli("status", "--round", ROUND, "--root", str(root), "--now", "2022-06-01T09:00")
    assert "提示:分组「各县(市、区)人民政府」还没有成员,暂不向它要报告:任务 1" in status.stdout
    assert "「市级各相关部门」尚未选定" in status.stdout
