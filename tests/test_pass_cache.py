"""The register as the pass cache keeps it and the workers receive it: every field as JSON, read
back equal; and the cache file read twice by one process (before and under the lock)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from excelflow.files import atomic_write_text
from excelflow.register.model import Milestone, Register, Round, Task, Unit
from excelflow.store import pass_cache
from excelflow.store.pass_cache import PassCache, register_from_json, register_to_json
from excelflow.workspace import Workspace

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


# -- the cache file read twice in one process -------------------------------------------------------
def _saved_cache(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path)
    cache = PassCache(ws)
    cache.set_output_key("2021-H1", "saved")
    cache.save()
    return ws


def _decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item per decoding of the cache file's text from now on."""
    calls: list[int] = []
    real = pass_cache.json.loads
    monkeypatch.setattr(pass_cache.json, "loads", lambda text, **kw: calls.append(1) or real(text, **kw))
    return calls


def test_a_cache_read_again_unchanged_takes_over_what_its_gone_reader_decoded(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch):
    ws = _saved_cache(tmp_path)
    decodes = _decodes(monkeypatch)
    PassCache(ws).output_key("2021-H1")  # read, then gone (the mail check before the lock)
    again = PassCache(ws)
    assert decodes == [1]
    assert again.output_key("2021-H1") == "saved"


def test_two_caches_alive_at_once_never_share_what_they_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    ws = _saved_cache(tmp_path)
    decodes = _decodes(monkeypatch)
    first = PassCache(ws)
    second = PassCache(ws)
    first.set_output_key("2021-H1", "changed by the first")
    assert decodes == [1, 1]
    assert second.output_key("2021-H1") == "saved"


def test_what_a_gone_cache_changed_without_saving_is_not_handed_to_the_next(tmp_path: Path):
    ws = _saved_cache(tmp_path)
    first = PassCache(ws)
    first.set_output_key("2021-H1", "never saved")
    del first
    assert PassCache(ws).output_key("2021-H1") == "saved"


def test_a_cache_file_replaced_since_it_was_read_is_read_anew(tmp_path: Path):
    ws = _saved_cache(tmp_path)
    path = ws.state / pass_cache.CACHE_NAME
    PassCache(ws).output_key("2021-H1")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["outputs"]["2021-H1"] = "written by another collector"
    atomic_write_text(path, json.dumps(data, ensure_ascii=False))
    assert PassCache(ws).output_key("2021-H1") == "written by another collector"


def test_the_register_loaded_by_a_pass_is_served_again_without_the_cache_until_its_file_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The mail after a pass asks for the register: the one the pass loaded, unless the clerk has
    saved register.xlsx since (then it is loaded again, as a new PassCache would)."""
    import os

    from excelflow.register.write import write_register

    ws = Workspace(tmp_path)
    ws.workbooks.mkdir()
    register = Register(title="登记表", units=REGISTER.units, tasks=REGISTER.tasks[:1], rounds=REGISTER.rounds,
                        milestones=(), settings=REGISTER.settings)
    write_register(ws.register_path, register)
    cache = PassCache(ws)
    loaded = cache.register()
    cache.save()  # as a pass does, with the register in it
    decodes = _decodes(monkeypatch)
    assert pass_cache.current_register(ws) is loaded
    assert decodes == []

    write_register(ws.register_path, replace(register, title="改过的登记表"))
    stat = ws.register_path.stat()
    os.utime(ws.register_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later save
    assert pass_cache.current_register(ws).title == "改过的登记表"
