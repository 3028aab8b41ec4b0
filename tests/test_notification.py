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


def tables(path: Path) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in docx.Document(str(path)).tables]


def test_notification_states_the_overall_figures(h1):
    reg, states, ws = h1
    text = "\n".join(paragraphs(ws.notification_path("2021-H1")))
    count = Counter(s.state for s in states)
    n = len(states)
    received = n - count["missing"]
    assert f"各单位应报送{n}条" in text
    assert f"已报送{received}条，报送率{pct(received, n)}" in text
    assert f"按时报送{count['on_time']}条，按时率{pct(count['on_time'], n)}" in text
    assert f"逾期报送{count['late']}条，未报{count['missing']}条" in text
    assert f"共调度重点工作{len(reg.tasks)}项" in text
    # the opening gives the figures before anything else
    opening = next(p for p in paragraphs(ws.notification_path("2021-H1")) if p.startswith("按照《"))
    assert f"全部{n}条报送已收到{received}条" in opening and "现将有关情况通报如下" in opening


def test_notification_praises_and_criticises_from_the_numbers(h1):
    _, states, ws = h1
    paras = paragraphs(ws.notification_path("2021-H1"))
    per_unit: dict[str, list] = {}
    for s in states:
        per_unit.setdefault(s.unit, []).append(s)
    on_time = {u for u, ss in per_unit.items() if all(s.state == "on_time" for s in ss)}
    red = {u for u, ss in per_unit.items() if any(s.state in ("missing", "invalid") for s in ss)}
    praise = next(p for p in paras if "予以通报表扬" in p)
    assert praise.startswith(f"{len(on_time)}个单位按时、完整报送")
    criticism = next(p for p in paras if "予以通报批评" in p)
    assert all(u in criticism for u in red)
    annex = tables(ws.notification_path("2021-H1"))[0]  # 附件1: every unit, with its marks
    listed = {row[1]: row for row in annex[1:] if len(set(row)) > 1}
    assert set(listed) == set(per_unit)
    assert {u for u, row in listed.items() if row[2] == "绿"} == on_time
    assert {u for u, row in listed.items() if row[2] == "红"} == red


def test_notification_summarises_lagging_work_by_chapter_and_lists_it_in_an_annex(h1):
    reg, states, ws = h1
    paras = paragraphs(ws.notification_path("2021-H1"))
    behind = {s.task_id for s in states
              if s.role == "lead" and s.state in VALID and s.content.status in ("滞后", "未启动")}
    assert behind  # the draw has some
    lagging = [p for p in paras if re.match(r"（[一二三四五六七八九十]）", p) and "本章" in p]
    assert lagging and len(lagging) <= len({t.chapter for t in reg.tasks})
    said = {int(n) for p in lagging for group in re.findall(r"(?:滞后|未启动)\d+项（第([\d、]+)项）", p)
            for n in group.split("、")}
    assert said == behind
    annex = tables(ws.notification_path("2021-H1"))[1]
    assert annex[0] == ["序号", "任务内容", "牵头单位", "状态", "需关注的情况", "存在问题"]
    assert behind <= {int(row[0]) for row in annex[1:]}


def test_notification_reads_as_issued(h1):
    _, _, ws = h1
    path = ws.notification_path("2021-H1")
    paras = [p for p in paragraphs(path) if p]
    # the masthead: the office from the register, issue number to fill in, the date
    assert paras[:4] == ["督查通报", "第〔    〕期", "区政府督查室\t2021年6月28日",
                         "关于2021年上半年重点工作推进情况的通报"]
    assert paras[4] == "各乡镇(街道)、各有关单位："
    assert [p for p in paras if p.startswith(("一、", "二、", "三、", "四、"))] == [
        "一、总体情况", "二、报送情况", "三、推进滞后的工作", "四、下步工作要求"]
    assert any(p.startswith("一是") for p in paras) and any(p.startswith("二是") for p in paras)
    assert any(p.startswith("附件：1.2021年上半年各单位报送情况") for p in paras)
    office, dated = paras.index("区政府督查室"), paras.index("2021年6月28日")
    assert dated == office + 1 and paras[dated + 1] == "附件1"
    document = docx.Document(str(path))
    footer = document.sections[0].footer.paragraphs[0]
    assert footer.text.replace(" ", "") == "——"  # around the PAGE field: `— 1 —`
    assert document.settings.odd_and_even_pages_header_footer
    assert "草稿" in document.core_properties.comments


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


def test_draft_is_deflated_once_into_the_bytes_of_a_saved_and_redated_package(h1):
    """`package_bytes` writes python-docx's parts itself (dated 1980, deflated once); it must give
    exactly what saving the document and re-dating every member gave."""
    import io
    import zipfile

    from excelflow.reports.notification import _fixed_zip, package_bytes

    _, _, ws = h1
    written = ws.notification_path("2021-H1").read_bytes()
    document = docx.Document(io.BytesIO(written))
    saved = io.BytesIO()
    document.save(saved)
    assert package_bytes(document) == _fixed_zip(saved.getvalue())
    with zipfile.ZipFile(io.BytesIO(written)) as package:
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert package.namelist()[0] == "[Content_Types].xml"


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
    assert "第1、5、6项重点工作进展未报（截止6月15日，已逾期13天）" in only.text
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
    assert "作为牵头单位，第1至4、6、8、9项重点工作进展未报（截止6月25日，已逾期3天）" in only.text
    assert sc.expand("1至4、6、8、9") == [1, 2, 3, 4, 6, 8, 9]
