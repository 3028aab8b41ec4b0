"""The draft notification (R-通报.docx) and the reminder text file, read back from disk."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import compare_scenario as sc
import docx
import pytest
from office import SOFFICE, requires_office

from excelflow.reports.comparison_workbook import write_comparison
from excelflow.workspace import Workspace

NOW = datetime(2021, 6, 28, 9)
VALID = ("on_time", "late")


@pytest.fixture
def h1(tmp_path: Path):
    reg = sc.register()
    states = sc.states(reg, sc.H1, seed=21)
    ws = Workspace(tmp_path)
    write_comparison(ws, reg, "2021-H1", states, None, NOW)
    return reg, states, ws


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


def pct(n: int, d: int) -> str:
    return f"{n / d * 100:.1f}%"


def test_notification_states_the_overall_figures(h1):
    reg, states, ws = h1
    text = "\n".join(paragraphs(ws.notification_path("2021-H1")))
    count = Counter(s.state for s in states)
    n = len(states)
    received = n - count["missing"]
    assert f"应报送{n}条" in text
    assert f"已报送{received}条，报送率{pct(received, n)}" in text
    assert f"按时报送{count['on_time']}条，按时率{pct(count['on_time'], n)}" in text
    assert f"逾期报送{count['late']}条，未报送{count['missing']}条" in text
    lead = [s for s in states if s.role == "lead"]
    statuses = Counter(s.content.status for s in lead if s.state in VALID)
    assert "、".join(f"{k}{statuses[k]}条" for k in ("已完成", "序时推进", "滞后", "未启动")) in text
    assert f"本轮调度涉及重点工作{len(reg.tasks)}项" in text


def test_notification_lists_units_on_time_late_and_still_owing(h1):
    _, states, ws = h1
    paras = paragraphs(ws.notification_path("2021-H1"))
    per_unit: dict[str, list] = {}
    for s in states:
        per_unit.setdefault(s.unit, []).append(s)
    on_time = {u for u, ss in per_unit.items() if all(s.state == "on_time" for s in ss)}
    late = {u for u, ss in per_unit.items() if any(s.state == "late" for s in ss)}
    owing = {u for u, ss in per_unit.items() if any(s.state in ("missing", "invalid", "incomplete") for s in ss)}

    def listed(heading: str) -> set[str]:
        i = next(i for i, p in enumerate(paras) if p.startswith(heading))
        count = int(re.search(r"（(\d+)个）", paras[i]).group(1))
        body = paras[i + 1].rstrip("。")
        names = set() if body == "无" else set(re.sub(r"（[^）]*）", "", body).split("、"))
        assert count == len(names)
        return names

    assert listed("（一）全部按时报送的单位") == on_time
    assert listed("（二）存在逾期报送的单位") == late
    assert listed("（三）尚未完成报送的单位") == owing


def test_notification_lists_tasks_behind_with_their_lead_and_problems(h1):
    reg, states, ws = h1
    text = "\n".join(paragraphs(ws.notification_path("2021-H1")))
    behind = [s for s in states if s.role == "lead" and s.state in VALID and s.content.status in ("滞后", "未启动")]
    assert behind  # the draw has some
    for s in behind:
        assert f"第{s.task_id}项：" in text
        line = next(p for p in text.split("\n") if f"第{s.task_id}项：" in p and f"牵头单位：{s.unit}" in p)
        assert f"完成状态：{s.content.status}" in line
        if s.content.problems.strip():
            assert s.content.problems.strip() in line


def test_notification_is_a_marked_draft_signed_by_the_office_and_dated(h1):
    _, _, ws = h1
    paras = [p for p in paragraphs(ws.notification_path("2021-H1")) if p]
    assert paras[0].startswith("【草稿】")
    assert paras[1] == "区政府督查室关于2021年上半年重点工作推进情况的通报"  # the office from the register
    assert [p for p in paras if p.startswith(("一、", "二、", "三、", "四、"))] == [
        "一、总体情况", "二、报送情况", "三、推进滞后的任务", "四、下步工作要求"]
    assert paras[-2:] == ["区政府督查室", "2021年6月28日"]


def test_reminder_file_has_one_block_per_owing_unit(h1):
    reg, states, ws = h1
    raw = ws.reminders_path("2021-H1").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # Notepad-friendly
    text = raw.decode("utf-8-sig")
    owing = {s.unit for s in states if s.state not in VALID}
    blocks = re.findall(r"【\d+】(\S+)  联系人：", text)
    assert set(blocks) == owing and len(blocks) == len(owing)
    for s in states:
        if s.state == "missing" and s.role == "co":
            block = text.split(f"】{s.unit}  ")[1].split("----")[0]
            named = {n for group in re.findall(r"第([\d、至]+)项", block) for n in sc.expand(group)}
            assert s.task_id in named and "6月15日" in block


def test_draft_bytes_do_not_depend_on_the_time_of_day(h1, tmp_path: Path):
    reg, states, ws = h1
    first = ws.notification_path("2021-H1").read_bytes()
    other = Workspace(tmp_path / "again")
    write_comparison(other, reg, "2021-H1", states, None, NOW.replace(hour=18))
    assert other.notification_path("2021-H1").read_bytes() == first


@requires_office
def test_draft_opens_in_libreoffice_writer(h1, tmp_path: Path):
    import subprocess
    import tempfile

    _, _, ws = h1
    source = ws.notification_path("2021-H1")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(tmp_path), str(source)],
                       check=True, capture_output=True, timeout=300)
    pdf = tmp_path / (source.stem + ".pdf")
    assert pdf.is_file() and pdf.stat().st_size > 5_000


def test_reminder_names_the_lead_units_to_send_to_and_shortens_runs_of_tasks():
    from excelflow.reports.figures import compare
    from excelflow.reports.reminders import reminders

    reg = sc.register()
    # 洋口镇 (a township) co-hosts tasks 1, 5 and 6; everything else arrived on time
    states = [s if s.unit != "洋口镇" else s.__class__(s.task_id, s.unit, s.role, "missing", None, 0,
                                                      s.deadline, None, ())
              for s in sc.states(reg, sc.H1, seed=5)]
    states = [s if s.unit == "洋口镇" else s.__class__(s.task_id, s.unit, s.role, "on_time", None, 0,
                                                      s.deadline, None, ()) for s in states]
    c = compare(reg, "2021-H1", states, None, NOW)
    (only,) = reminders(c)
    assert only.unit == "洋口镇" and (only.contact, only.phone) == ("周杰", "13600000002")
    assert "第1、5、6项重点工作进展未报送（截止6月15日，已逾期13天）" in only.text
    # each task goes to its own lead units; task 5 has two
    assert "第1项报区工信局，第5项报区人社局、区教体局，第6项报区人社局，并抄送区政府督查室" in only.text


def test_reminder_writes_runs_of_three_or_more_tasks_as_a_range():
    from excelflow.register.model import Register, Task, Unit
    from excelflow.reports.figures import compare
    from excelflow.reports.ledger import EntryState
    from excelflow.reports.reminders import reminders

    tasks = tuple(Task(i, "一", None, f"任务{i}", ("甲",), ()) for i in (1, 2, 3, 4, 6, 8, 9))
    reg = Register("通知", (Unit("甲"),), tasks, (sc.H1,))
    states = [EntryState(t.id, "甲", "lead", "missing", None, 0, sc.H1.lead_deadline, None, ()) for t in tasks]
    (only,) = reminders(compare(reg, "2021-H1", states, None, NOW))
    assert "作为牵头单位，第1至4、6、8、9项重点工作进展未报送（截止6月25日，已逾期3天）" in only.text
    assert sc.expand("1至4、6、8、9") == [1, 2, 3, 4, 6, 8, 9]
