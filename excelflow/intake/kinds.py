"""What a file in `inbox/` is, told from its bytes (and only then its name), without a reader.

Units send what they have: the workbook, but also a PDF print of it, a photo, a Word file, a zip
of several forms, a text pasted from a chat. Every file is archived and answered; only what can
be a workbook is handed to a reader (in a worker process), everything else is rejected here with
a message saying what to send instead. Pure Python on the first bytes and the zip listing: no
native reader, nothing allocated from what the file declares.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

ZIP_MAGIC = b"PK\x03\x04"
ZIP_EMPTY_MAGIC = b"PK\x05\x06"  # an empty zip is only an end record
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Names a return may carry: Excel (incl. templates, macro and binary workbooks), LibreOffice,
# WPS 表格 (.et, .ett). Anything else is still archived and answered (`judge_other`).
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlt", ".xlsb", ".ods", ".ots", ".et", ".ett")

Kind = Literal["xlsx", "xlsb", "ods", "ole", "encrypted", "docx", "odt", "pptx", "doc", "ppt", "pdf", "image",
               "archive", "html", "xml", "rtf", "text", "unknown"]
WORKBOOK_KINDS: frozenset[str] = frozenset({"xlsx", "xlsb", "ods", "ole"})

ENCRYPTED = ("文件设置了打开密码(已加密),无法读取。请让填报单位取消密码(文件→信息→保护工作簿→用密码进行加密,清空密码)"
             "后重新报送。")
_SEND_FORM = "请让填报单位报送下发的 Excel 填报表(填写后直接报送原文件)。"
MESSAGES: dict[str, str] = {
    "encrypted": ENCRYPTED,
    "docx": "这是 Word 文档(.docx),不是工作簿。请让填报单位报送 Excel 填报表。",
    "odt": "这是文字处理文档(.odt),不是工作簿。" + _SEND_FORM,
    "doc": "这是 Word 或 WPS 文字文档(.doc/.wps),不是工作簿。" + _SEND_FORM,
    "rtf": "这是 RTF 文字文档,不是工作簿。" + _SEND_FORM,
    "pptx": "这是 PowerPoint 文件,不是工作簿。请让填报单位报送 Excel 填报表。",
    "ppt": "这是 PowerPoint 演示文稿(.ppt),不是工作簿。" + _SEND_FORM,
    "pdf": "这是 PDF 文件,不是工作簿。请让填报单位报送 Excel 原表,不要转换为 PDF。",
    "image": "这是一张图片,不是工作簿。请让填报单位报送填写好的 Excel 表格。",
    "archive": ("这是一个压缩包,不是工作簿(excelflow 不解压收件箱里的压缩包)。请让填报单位直接报送 Excel 填报表;"
                "如包里是几个单位的表,请解压后分别放入收件箱。"),
    "html": "这是网页(HTML)格式的文件,只是扩展名为表格。请让填报单位用 Excel 或 WPS 打开后另存为 .xlsx 重新报送。",
    "xml": "这是 XML 表格(Excel 2003 XML)等格式,无法读取。请用 Excel 或 WPS 打开后另存为 .xlsx 重新报送。",
    "text": ("这是文本文件,不是工作簿(没有填报表的格式和标识)。请让填报单位报送 Excel 填报表,"
             "不要把内容粘贴到文本或聊天记录中。"),
    "unknown": "文件内容不是 Excel、WPS 或 LibreOffice 工作簿(.xlsx/.xls/.ods),无法读取。请让填报单位重新报送原表。",
}


class WorkbookUnreadable(Exception):
    """The bytes are not a workbook intake can read; the message (Chinese) says why and what to do."""


@dataclass(frozen=True)
class Sniffed:
    """What the bytes are (`kind`) and, for a file that is no workbook, what to tell the unit."""

    kind: Kind

    @property
    def workbook(self) -> bool:
        return self.kind in WORKBOOK_KINDS

    @property
    def message(self) -> str:
        return MESSAGES.get(self.kind, MESSAGES["unknown"])


def has_workbook_name(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in WORKBOOK_SUFFIXES


def sniff(data: bytes, path: str = "") -> Sniffed:
    """The kind of `data` from its signature; the name only decides between text and unknown."""
    if data.startswith((ZIP_MAGIC, ZIP_EMPTY_MAGIC)):
        return Sniffed(_zip_kind(data))
    if data.startswith(OLE_MAGIC):
        return Sniffed(_ole_kind(data))
    head = data[:1024]
    if head.startswith(b"%PDF"):
        return Sniffed("pdf")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")) or (
            head[:4] == b"RIFF" and head[8:12] == b"WEBP") or head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return Sniffed("image")
    if head.startswith((b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")):
        return Sniffed("archive")
    if head.startswith(b"{\\rtf"):
        return Sniffed("rtf")
    lower = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lower.startswith((b"<html", b"<!doctype html", b"<table")) or b"<html" in lower[:200]:
        return Sniffed("html")
    if lower.startswith(b"<?xml"):
        return Sniffed("xml")
    if _looks_like_text(data[:65536]):
        return Sniffed("text")
    return Sniffed("unknown")


def open_zip(data: bytes) -> zipfile.ZipFile | None:
    """`data` opened as a zip (its directory read), or None when it cannot be (damaged)."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, RuntimeError):
        return None


def _zip_kind(data: bytes) -> Kind:
    archive = open_zip(data)
    if archive is None:
        return "xlsx"  # damaged: the reader says so with the workbook's own message
    with archive:
        return zip_kind(archive)


def zip_kind(archive: zipfile.ZipFile) -> Kind:
    """What the zip `archive` holds (`sniff` of its bytes), told from its part names; the archive
    stays open (intake checks the same directory next: `declared.check_declared`)."""
    try:
        names = set(archive.namelist())
        mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, ValueError, OSError, KeyError, NotImplementedError, RuntimeError):
        return "xlsx"  # damaged: the reader says so with the workbook's own message
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if b"opendocument.spreadsheet" in mimetype or ("content.xml" in names and not mimetype):
        return "ods"
    if b"opendocument.text" in mimetype:
        return "odt"
    return "archive"


def _ole_kind(data: bytes) -> Kind:
    """An OLE2 compound file: a BIFF workbook (Excel .xls, WPS .et), an encrypted OOXML package,
    or a Word / PowerPoint file, told by the names in its directory (UTF-16)."""
    def has(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has("EncryptedPackage") or has("EncryptionInfo"):
        return "encrypted"
    if has("Workbook") or has("Book"):
        return "ole"
    if has("WordDocument"):
        return "doc"
    if has("PowerPoint Document"):
        return "ppt"
    return "ole"  # let the reader try (an unusual WPS file); it says why if it cannot


def _looks_like_text(sample: bytes) -> bool:
    if not sample or b"\x00" in sample:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        printable = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
        return printable >= 0.95 * len(text)
    return False
