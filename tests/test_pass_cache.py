"""The register as the pass cache keeps it and the workers receive it: every field as JSON, read
back equal."""

from __future__ import annotations

from datetime import date

from excelflow.register.model import Milestone, Register, Round, Task, Unit
from excelflow.store.pass_cache import register_from_json, register_to_json

REGISTER = Register(
    title="2021年重点工作任务",
    units=(Unit("区交通局", aliases=("交通局",), groups=("区直部门",), contact="张三", phone="0793-1234567",
                code="JT", emails=("jt@example.org",)),
           Unit("永丰街道", groups=("乡镇(街道)",))),
    tasks=(Task(1, "一、产业发展", None, "推进项目建设", lead=("区交通局",), co=("永丰街道",)),
           Task(2, "二、民生", "(一)教育", "改造校舍", lead=("永丰街道",), co=(), relevant=("区交通局",), due="6月底")),
    rounds=(Round("2021-H1", "上半年", date(2021, 6, 15), date(2021, 6, 20)),),
    milestones=(Milestone(1, "2021-H1", "开工", "完成投资 50%", due=date(2021, 6, 30)),
                Milestone(2, "2021-H1", "招标", "")),
    settings={"督查室名称": "区政府督查室"},
)


def test_the_register_is_kept_field_by_field_with_lists_and_iso_dates_and_read_back_equal():
    data = register_to_json(REGISTER)
    assert data["units"][0] == {"name": "区交通局", "aliases": ["交通局"], "groups": ["区直部门"], "contact": "张三",
                                "phone": "0793-1234567", "code": "JT", "emails": ["jt@example.org"]}
    assert data["tasks"][0]["section"] is None and data["tasks"][0]["relevant"] is None
    assert data["tasks"][1]["relevant"] == ["区交通局"] and data["tasks"][1]["due"] == "6月底"
    assert data["rounds"] == [{"id": "2021-H1", "name": "上半年", "co_deadline": "2021-06-15",
                               "lead_deadline": "2021-06-20"}]
    assert [m["due"] for m in data["milestones"]] == ["2021-06-30", None]
    assert data["settings"] == {"督查室名称": "区政府督查室"} and data["title"] == REGISTER.title
    assert register_from_json(data) == REGISTER


def test_an_empty_register_is_kept_too():
    empty = Register(title="", units=(), tasks=(), rounds=(), milestones=(), settings={})
    assert register_from_json(register_to_json(empty)) == empty
