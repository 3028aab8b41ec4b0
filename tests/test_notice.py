"""The notice parser on the real 广丰区 2021 notice, on re-typed variants of it, and on small notices
that each show one quirk or one self-check."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path

import pytest
import xlsxwriter
from docx import Document

from excelflow.errors import NoticeError
from excelflow.notice.parse import ParsedNotice, parse_notice, parse_notice_text, parse_with_layout
from excelflow.notice.read import read_notice_text
from excelflow.notice.units import UnitResolver, fold_width

TEST_DATA = Path(__file__).resolve().parent / "data"
REAL = Path(__file__).resolve().parent.parent / "excelflow" / "data" / "guangfeng-2021-task-allocation.txt"
NOTICES = TEST_DATA / "notices"
EXPECTED = json.loads((TEST_DATA / "expected-2021-register.json").read_text("utf-8"))
TITLE = "区政府办公室关于印发2021年区政府工作报告重点工作责任分工的通知"


def real_text() -> str:
    return REAL.read_text("utf-8")


def register(notice: ParsedNotice) -> list[dict]:
    """The part of a parse the expected register pins down."""
    return [{"id": t.id, "chapter": t.chapter, "section": t.section, "lead": list(t.lead), "co": list(t.co)}
            for t in notice.tasks]


def texts(notice: ParsedNotice) -> list[str]:
    """Task texts with punctuation width folded (re-typed variants change the width only)."""
    return [fold_width(t.text) for t in notice.tasks]


@pytest.fixture(scope="module")
def real() -> ParsedNotice:
    return parse_notice(REAL)


# ---------------------------------------------------------------------------------------------
# The real notice


def test_real_notice_gives_the_hand_checked_register_for_all_101_tasks(real: ParsedNotice) -> None:
    got = register(real)
    assert len(got) == len(EXPECTED["tasks"]) == 101
    for expected, task in zip(EXPECTED["tasks"], got):
        assert task == expected, f"task {expected['id']}"


def test_real_notice_has_seven_chapters_of_the_announced_sizes(real: ParsedNotice) -> None:
    sizes: dict[str, int] = {}
    for task in real.tasks:
        sizes[task.chapter] = sizes.get(task.chapter, 0) + 1
    assert list(sizes.values()) == [13, 22, 12, 15, 7, 14, 18]
    assert sizes == EXPECTED["chapter_counts"]
    assert real.title == EXPECTED["title"] == TITLE


def test_real_notice_warns_only_about_its_three_real_doubts_with_line_numbers(real: ParsedNotice) -> None:
    assert [(w.line, w.message) for w in real.warnings] == [
        (209, "第68项的单位「区农业局」与「区农业农村局」相近,未自动合并;如是同一单位,请在单位表中把「区农业局」设为「区农业农村局」的别名"),
        (247, "第83项的「各乡镇(街道)」前没有「协办单位」等字样,按协办单位读入"),
        (279, "第95项没有主办(牵头)单位,也没有「主办单位:……」等单位说明;请在登记表中补上"),
    ]


def test_task_text_stops_before_the_unit_label_even_without_a_full_stop(real: ParsedNotice) -> None:
    by_id = {t.id: t for t in real.tasks}
    assert by_id[1].text == "聚焦首位产业和主导产业深入实施产业链链长制和“开拓市场万里行”活动,促进产业高端补链、终端延链、整体强链。"
    assert by_id[13].text.endswith("供应工业用地占比不低于60%")
    assert by_id[55].text.endswith("无害化卫生厕所普及率达到95%")
    assert by_id[95].text == "扎实开展市域社会治理现代化试点工作,大力推进社会治理体系和治理能力现代化。"
    assert not any("单位" in t.text for t in real.tasks)


def test_a_label_on_its_own_line_after_a_blank_line_belongs_to_the_task_above(real: ParsedNotice) -> None:
    task4 = real.tasks[3]
    assert (task4.id, task4.line) == (4, 37)
    assert task4.text.endswith("打造“中国特色资源产业集聚区”。")
    assert task4.lead == ("黑滑石综合开发指挥部", "区工信局")


def test_web_clutter_and_preamble_are_head_lines_and_the_list_starts_at_the_first_chapter() -> None:
    _, layout = parse_with_layout(real_text())
    roles = layout.roles
    assert roles[0] == roles[2] == "clutter"  # 分享到: / 【字体:
    assert roles[10] == roles[12] == roles[14] == "head"  # the preamble's 一、二、三、 paragraphs
    assert roles[24] == "head"  # (宏观指标与重点项目完成情况另行调度)
    assert (roles[26], roles[28], roles[30], roles[38]) == ("chapter", "section", "task", "continued")
    assert roles[293] == roles[294] == "clutter"  # 扫一扫在手机打开当前页 / 相关阅读
    assert "unplaced" not in roles


def test_to_json_is_exactly_the_import_contract(real: ParsedNotice) -> None:
    data = json.loads(json.dumps(real.to_json(), ensure_ascii=False))
    assert set(data) == {"title", "tasks", "warnings"}
    for task in data["tasks"]:
        assert set(task) == {"id", "chapter", "section", "text", "lead", "co"}
        assert isinstance(task["id"], int) and isinstance(task["lead"], list)
    assert data["tasks"][99]["lead"] == ["区卫健委", "区市场监督管理局"]
    assert data["warnings"][0] == {"line": 209, "message": real.warnings[0].message}


def test_a_register_of_known_units_warns_about_near_misses_but_not_about_each_new_unit(real: ParsedNotice) -> None:
    """A name new to the register is registered by import (one summary line there); only a name
    that looks like a known one is a doubt."""
    known = {n for t in real.tasks for n in (*t.lead, *t.co)} - {"区农业局", "区公路分局"} | {"区交通运输局"}
    notice = parse_notice(REAL, UnitResolver(known=known))
    messages = [w.message for w in notice.warnings]
    assert "第68项的单位「区农业局」不在单位表中,是否为「区农业农村局」?" in messages
    assert not any("区公路分局" in m for m in messages)
    assert register(notice) == EXPECTED["tasks"]


# ---------------------------------------------------------------------------------------------
# The same notice, re-typed


def full_width(text: str, numbering: str = "{n}．") -> str:
    """The notice re-typed in a word processor: full-width punctuation, 牵头单位/责任单位 labels."""
    text = text.replace("主办单位", "牵头单位").replace("协办单位", "责任单位")
    table = str.maketrans({",": "，", ":": "：", ";": "；", "(": "（", ")": "）"})
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"^(\d+)\.", lambda m: numbering.format(n=m.group(1)), line)
        lines.append(line.translate(table))
    return "\n".join(lines)


def hard_wrapped(text: str, width: int) -> str:
    return "\n".join(line[i:i + width] for line in text.split("\n") for i in range(0, max(len(line), 1), width))


@pytest.mark.parametrize("numbering", ["{n}．", "{n}、", "（{n}）", "{n}."])
def test_full_width_retyped_notice_with_other_labels_and_numbering_gives_the_same_register(
    real: ParsedNotice, numbering: str
) -> None:
    notice = parse_notice_text(full_width(real_text(), numbering))
    assert register(notice) == EXPECTED["tasks"]
    assert texts(notice) == texts(real)
    assert notice.title == TITLE
    assert [w.line for w in notice.warnings] == [209, 247, 279]


@pytest.mark.parametrize("width", [11, 17, 23, 30, 37, 52])
def test_hard_wrapped_notice_gives_the_same_register(real: ParsedNotice, width: int) -> None:
    notice = parse_notice_text(hard_wrapped(real_text(), width))
    assert register(notice) == EXPECTED["tasks"]
    assert texts(notice) == texts(real)
    assert notice.title == TITLE
    assert len(notice.warnings) == 3


def test_chapter_heads_without_counts_give_the_same_register() -> None:
    text = re.sub(r"\(?\d+项\)", "", real_text().split("扫一扫")[0])
    assert "(13项)" not in text and "(22项)" not in text
    assert register(parse_notice_text(text)) == EXPECTED["tasks"]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_notice_files_in_gbk_gb18030_utf8_bom_and_utf16_read_the_same(tmp_path: Path, encoding: str) -> None:
    text = real_text()
    if encoding == "gbk":  # GBK has no en space or no-break space; a GBK page would have plain spaces
        text = text.replace("\u2002", " ").replace("\xa0", " ")
    path = tmp_path / f"通知-{encoding}.txt"
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    assert read_notice_text(path) == text
    assert register(parse_notice(path)) == EXPECTED["tasks"]


def list_lines() -> list[str]:
    """The notice without the web page around it: title to the last task, blank lines dropped."""
    lines = real_text().split("\n")
    return [line for line in lines[1:292] if line.strip() and not line.startswith("【字体")]


def test_docx_of_paragraphs_gives_the_same_register(real: ParsedNotice, tmp_path: Path) -> None:
    document = Document()
    for line in list_lines():
        document.add_paragraph(full_width(line))
    path = tmp_path / "通知.docx"
    document.save(path)
    notice = parse_notice(path)
    assert register(notice) == EXPECTED["tasks"]
    assert texts(notice) == texts(real)
    assert notice.title == TITLE


def test_docx_with_word_automatic_numbering_gives_the_same_register(tmp_path: Path) -> None:
    """Numbers shown by Word's list numbering are not in the paragraph text; the parser adds them:
    tasks in the built-in 编号列表 style (1. 2. …), chapters and sections in a Chinese-counting list
    (一、 and (一), the section level restarting under each chapter)."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>'
        "</w:abstractNum>"))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    in_list = False  # the preamble's own 一、二、三、 paragraphs are typed text
    for line in list_lines():
        in_list = in_list or line.startswith("2021年区政府工作报告所列重点工作责任分工")
        task = re.match(r"^\d+\.(.*)$", line)
        head = re.match(r"^(?:[一二三四五六七]、|\([一二三四五]\))(.*)$", line)
        if task:
            document.add_paragraph(task.group(1), style="List Number")
        elif head and in_list:
            paragraph = document.add_paragraph(head.group(1))
            number = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            number.get_or_add_numId().val = 90
            number.get_or_add_ilvl().val = 0 if line[1] == "、" else 1
        else:
            document.add_paragraph(line)
    path = tmp_path / "自动编号.docx"
    document.save(path)
    text = read_notice_text(path)
    assert "1.聚焦首位产业" in text and "七、全力改善民生福祉" in text and "（三）维护社会安全稳定" in text
    assert register(parse_notice(path)) == EXPECTED["tasks"]


def table_rows() -> list[tuple[str, ...]]:
    """(head,) or (number, text, lead, co) per row, the units as the notice writes them."""
    rows: list[tuple[str, ...]] = []
    text = "\n".join(list_lines())
    body = text[text.index("一、持之以恒"):]
    for line in re.sub(r"\n(\(主办单位)", r"\1", body).split("\n"):
        task = re.match(r"^(\d+)\.(.*?)(?:\(主办单位:(.*)\))?$", line)
        if task is None:
            rows.append((line,))
            continue
        number, words, units = task.groups()
        lead, _, co = (units or "").partition(";协办单位:")
        if ";" in lead:  # task 83: 主办单位:区水利局、林业局;各乡镇(街道)
            lead, co = lead.split(";", 1)
        rows.append((number, words, lead, co.rstrip(";")))
    return rows


def test_docx_with_a_task_table_and_merged_chapter_rows_gives_the_same_register(
    real: ParsedNotice, tmp_path: Path
) -> None:
    document = Document()
    for line in list_lines()[:list_lines().index("2021年区政府工作报告所列重点工作责任分工") + 1]:
        document.add_paragraph(line)
    rows = table_rows()
    table = document.add_table(rows=len(rows) + 1, cols=4)
    for cell, header in zip(table.rows[0].cells, ("序号", "工作任务", "牵头单位", "责任单位")):
        cell.text = header
    for r, row in enumerate(rows, start=1):
        if len(row) == 1:
            merged = table.cell(r, 0).merge(table.cell(r, 3))
            merged.text = row[0]
        else:
            for cell, value in zip(table.rows[r].cells, row):
                cell.text = value
    path = tmp_path / "任务表.docx"
    document.save(path)
    notice = parse_notice(path)
    assert register(notice) == EXPECTED["tasks"]
    assert texts(notice) == texts(real)
    assert notice.title == TITLE
    # In the table task 83's co-units sit in their column: only two doubts are left.
    assert [w.message[:4] for w in notice.warnings] == ["第68项", "第95项"]


def test_table_cells_merged_down_a_column_count_for_every_row_they_cover(tmp_path: Path) -> None:
    document = Document()
    table = document.add_table(rows=4, cols=4)
    for cell, header in zip(table.rows[0].cells, ("序号", "重点工作", "牵头单位", "配合单位")):
        cell.text = header
    table.cell(1, 0).merge(table.cell(1, 3)).text = "一、工业(2项)"
    for r, (number, words) in enumerate((("1", "任务甲。"), ("2", "任务乙。")), start=2):
        table.cell(r, 0).text, table.cell(r, 1).text = number, words
    table.cell(2, 2).merge(table.cell(3, 2)).text = "区工信局\n区商务局"
    table.cell(2, 3).text = "上饶高新区"
    path = tmp_path / "纵向合并.docx"
    document.save(path)
    notice = parse_notice(path)
    assert [(t.id, t.chapter, t.lead, t.co) for t in notice.tasks] == [
        (1, "一、工业", ("区工信局", "区商务局"), ("上饶高新区",)),
        (2, "一、工业", ("区工信局", "区商务局"), ()),
    ]
    assert notice.warnings == ()


# ---------------------------------------------------------------------------------------------
# Small notices, one quirk or one self-check each (tests/data/notices/)


def parse_fixture(name: str) -> ParsedNotice:
    return parse_notice(NOTICES / name)


def messages(notice: ParsedNotice) -> list[tuple[int | None, str]]:
    return [(w.line, w.message) for w in notice.warnings]


def test_counts_that_do_not_add_up_are_reported_at_the_head_that_announced_them() -> None:
    notice = parse_fixture("chapter-and-total-counts-wrong.txt")
    assert len(notice.tasks) == 4
    assert messages(notice) == [
        (3, "通知写明共5项,实际读到4项"),
        (5, "「一、工业」标明3项,实际读到2项"),
        (10, "「二、农业」这一章下没有读到任务"),
        (12, "「三、民生」标明1项,实际读到2项"),
    ]


def test_numbering_gaps_and_repeats_are_reported_and_no_task_is_dropped() -> None:
    notice = parse_fixture("numbering-gap-and-repeat.txt")
    assert [t.id for t in notice.tasks] == [1, 2, 4, 4, 5, 3]
    assert messages(notice) == [
        (5, "序号不连续:第2项之后是第4项,缺少第3项"),
        (6, "序号4重复(第5行已有第4项)"),
        (8, "序号倒退:第5项之后是第3项"),
    ]


def test_tasks_numbered_again_from_1_in_each_chapter_are_numbered_through() -> None:
    notice = parse_fixture("numbered-per-chapter.txt")
    assert [(t.id, t.chapter[:2], t.lead) for t in notice.tasks] == [
        (1, "一、", ("区工信局",)), (2, "一、", ("区商务局",)), (3, "二、", ("区农业农村局",)),
        (4, "二、", ("区水利局",)), (5, "二、", ("区林业局",)),
    ]
    assert messages(notice) == [(7, "各章分别从1编号,已按出现顺序统一编号为1–5")]


def test_responsibility_label_alone_means_the_responsible_lead_unit() -> None:
    notice = parse_fixture("responsibility-label-only.txt")
    assert [(t.lead, t.co) for t in notice.tasks] == [
        (("区发改委", "区财政局"), ()), (("区住建局",), ()),
    ]
    assert messages(notice) == [(3, "通知里没有「主办单位/牵头单位」,把「责任单位」读作主办(牵头)单位")]


def test_unbracketed_labels_on_their_own_lines_and_wrapped_unit_lists() -> None:
    notice = parse_fixture("labels-on-own-lines.txt")
    assert [(t.id, t.text, t.lead, t.co) for t in notice.tasks] == [
        (1, "加快数字政府建设。", ("区政府办(政务服务办)",), ("区行政服务中心", "区大数据中心")),
        (2, "抓好安全生产。", ("区应急管理局", "区市场监督管理局"), ("各乡镇(街道)",)),
        (3, "推进城乡供水。", ("区水利局",), ("区广投集团(自来水公司)", "相关乡镇(街道)")),
    ]
    assert notice.warnings == ()


def test_lines_after_the_list_that_belong_to_no_task_are_reported_but_known_clutter_is_not() -> None:
    notice, layout = parse_with_layout((NOTICES / "text-after-the-list.txt").read_text("utf-8"))
    assert len(notice.tasks) == 2
    assert messages(notice) == [
        (9, "这一行不属于任何任务,已忽略:「请各单位于4月10日前报送落实方案。」"),
        (10, "这一行不属于任何任务,已忽略:「联系人:张三,电话:1234567」"),
    ]
    assert layout.roles[10:13] == ("clutter", "clutter", "clutter")  # signature, date, 【打印】


def test_text_after_a_closed_label_on_the_same_line_is_reported() -> None:
    notice = parse_notice_text("1.任务甲。(主办单位:区工信局)2021年底前完成\n2.任务乙。(主办单位:区商务局)。")
    assert [t.lead for t in notice.tasks] == [("区工信局",), ("区商务局",)]
    assert messages(notice) == [(1, "第1项的单位说明后还有文字「2021年底前完成」,已忽略")]


def test_a_unit_named_both_lead_and_co_is_reported() -> None:
    notice = parse_notice_text("1.任务。(主办单位:区工信局;协办单位:工信局、区商务局)")
    assert notice.tasks[0].co == ("区工信局", "区商务局")
    assert messages(notice) == [(1, "第1项的「区工信局」同时列为主办和协办单位")]


def test_text_without_any_task_parses_to_nothing_with_one_warning() -> None:
    notice = parse_notice_text("各单位:\n请认真学习。\n一、加强领导。各单位要重视。")
    assert notice.tasks == ()
    assert messages(notice) == [(None, "没有找到编号的任务(例如「1.……(主办单位:……)」)")]


# ---------------------------------------------------------------------------------------------
# Files that are not notices


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def write_xlsx(path: Path) -> None:
    workbook = xlsxwriter.Workbook(path)
    workbook.add_worksheet("任务").write_row(0, 0, ["序号", "工作任务", "牵头单位"])
    workbook.close()


@pytest.mark.parametrize(("name", "make", "says"), [
    ("截图.txt", lambda p: p.write_bytes(png_bytes()), "是PNG 图片,不是通知原文"),
    ("空.txt", lambda p: p.write_bytes(b""), "是空文件"),
    ("空白.docx", lambda p: p.write_bytes(b"\xef\xbb\xbf \r\n\r\n"), "是空文件"),
    ("空文档.docx", lambda p: Document().save(p), "是空文件"),
    ("register.xlsx", write_xlsx, "是工作簿,有任务表的表头,但表头下面没有任务行"),
    ("通知.pdf", lambda p: p.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), "是损坏或加密的 PDF 文件"),
    ("通知.doc", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)), "旧版 Office 文件"),
    ("半截.docx", lambda p: p.write_bytes(b"PK\x03\x04" + bytes(40)), "损坏的压缩文件"),
    ("乱码.txt", lambda p: p.write_bytes(bytes(range(256)) * 4), "不是"),
    ("说明.txt", lambda p: p.write_text("各单位:\n请于月底前报送材料。\n", "utf-8"), "找不到编号的任务"),
])
def test_files_that_are_not_notices_raise_a_chinese_error_naming_the_file(
    tmp_path: Path, name: str, make, says: str
) -> None:
    path = tmp_path / name
    make(path)
    with pytest.raises(NoticeError) as error:
        parse_notice(path)
    assert f"「{name}」" in str(error.value)
    assert says in str(error.value)


def test_a_missing_file_or_a_folder_raises_notice_error(tmp_path: Path) -> None:
    with pytest.raises(NoticeError, match="找不到通知文件「没有.txt」"):
        read_notice_text(tmp_path / "没有.txt")
    with pytest.raises(NoticeError, match="是文件夹"):
        read_notice_text(tmp_path)


def test_a_damaged_docx_raises_notice_error(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "坏.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<not xml")
    with pytest.raises(NoticeError, match="「坏.docx」不是能打开的 Word 文档"):
        read_notice_text(path)


def test_a_web_page_saved_as_html_reads_as_its_paragraphs(tmp_path: Path) -> None:
    from html import escape

    paragraphs = "\n".join(f"<p style='text-indent:2em'>{escape(line)}</p>" for line in real_text().split("\n"))
    page = (f"<!DOCTYPE html>\n<html><head><meta charset='gbk'><title>{TITLE}</title>"
            "<script>var a = '1.不是任务(主办单位:区工信局)';</script></head>\n"
            f"<body><div class='content'>\n{paragraphs}\n</div></body></html>")
    path = tmp_path / "通知网页.html"
    path.write_bytes(page.replace("\u2002", " ").replace("\xa0", "&nbsp;").encode("gbk"))
    notice = parse_notice(path)
    assert register(notice) == EXPECTED["tasks"]
    assert notice.title == TITLE


def test_a_wrapped_line_that_looks_like_a_signature_or_date_stays_in_its_open_task() -> None:
    notice, layout = parse_with_layout(
        "1.任务甲,力争\n2021年3月25日\n前完成。(主办单位:区政\n府办公室;协办单位:区工信局)\n区政府办公室\n2021年3月25日")
    assert [(t.text, t.lead) for t in notice.tasks] == [("任务甲,力争2021年3月25日前完成。", ("区政府办公室",))]
    assert layout.roles == ("task", "continued", "continued", "continued", "clutter", "clutter")
    assert notice.warnings == ()


def test_a_task_table_without_number_column_is_numbered_in_row_order(tmp_path: Path) -> None:
    document = Document()
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate((("重点工作", "牵头责任单位", "参与单位"), ("任务甲。", "区工信局", "商务局"),
                             ("任务乙。", "区农业农村局", ""))):
        for cell, value in zip(table.rows[r].cells, row):
            cell.text = value
    path = tmp_path / "无序号.docx"
    document.save(path)
    notice = parse_notice(path)
    assert [(t.id, t.text, t.lead, t.co) for t in notice.tasks] == [
        (1, "任务甲。", ("区工信局",), ("商务局",)), (2, "任务乙。", ("区农业农村局",), ()),
    ]
