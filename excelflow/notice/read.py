"""A notice file as text: the format told from the bytes, never from the file name.

.txt in UTF-8 (with or without BOM), UTF-16 with BOM, GBK/GB18030; a web page saved as .html (one
line per paragraph); .docx paragraphs and tables in reading order (`docx.py`); a task table in a
workbook, .xlsx/.xls/.ods/.et (`workbook.py`); a PDF with a text layer (`pdf.py`). Anything else —
an image, an empty file, a scanned PDF, an old binary .doc — raises `NoticeError` naming the file.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from excelflow.errors import NoticeError
from excelflow.notice.docx import docx_text
from excelflow.notice.html import html_text
from excelflow.notice.workbook import workbook_text

_MAX_BYTES = 20 * 1024 * 1024


def read_notice_text(path: Path) -> str:
    """The notice as text: .txt in UTF-8 (with or without BOM), UTF-16 with BOM, GBK/GB18030;
    a web page saved as .html (one line per paragraph); .docx paragraphs and tables in reading
    order; a workbook's task tables and a PDF's text and tables (tables one task a line).

    The format is told from the bytes, not the file name. Anything else — an image, an empty file,
    a scanned PDF, an old binary .doc — raises `NoticeError` naming the file.
    """
    name = f"「{path.name}」"
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise NoticeError(f"{name}超过 20 MB,不像是一份通知")
        data = path.read_bytes()
    except IsADirectoryError as exc:
        raise NoticeError(f"{name}是文件夹,请给出通知文件(.txt、.docx、.xlsx 或 .pdf)") from exc
    except FileNotFoundError as exc:
        raise NoticeError(f"找不到通知文件{name}({path})") from exc
    except OSError as exc:
        raise NoticeError(f"读不了通知文件{name}:{exc.strerror or exc}") from exc
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise NoticeError(f"{name}是空文件,里面没有通知内容")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        text = _read_zip(data, name)
    elif data.startswith(b"%PDF"):
        # pdfplumber costs 0.12 s to import (benchmarks/RESULTS.md, issue 15): only for a PDF.
        from excelflow.notice.pdf import pdf_text

        text = pdf_text(data, name)
    elif data.startswith(_OLE):
        text = _read_ole(data, name)
    else:
        kind = _binary_kind(data)
        if kind is not None:
            raise NoticeError(f"{name}是{kind},不是通知原文;请提供通知的文字版(.txt 或 .docx)")
        text = _decode(data, name)
        if _HTML_RE.match(text):
            text = html_text(text)
    if not text.strip():
        raise NoticeError(f"{name}是空文件,里面没有通知内容")
    return text


def _read_zip(data: bytes, name: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise NoticeError(f"{name}是损坏的压缩文件(可能还没复制完),无法读取") from exc
    if "word/document.xml" in members:
        return docx_text(data, name)
    if "xl/workbook.xml" in members or _opendocument(data) == "spreadsheet":
        return workbook_text(data, name)
    if any(m.startswith("ppt/") for m in members):
        kind = "PowerPoint 演示文稿"
    elif "content.xml" in members:
        kind = "OpenDocument 文件(请在 WPS/Word 中另存为 .docx)"
    else:
        kind = "压缩包"
    raise NoticeError(f"{name}是{kind},不是通知原文;请提供通知的文字版(.txt 或 .docx)")


def _opendocument(data: bytes) -> str:
    """`spreadsheet`, `text` … from an OpenDocument package's `mimetype`, '' for anything else."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
    except (KeyError, zipfile.BadZipFile, OSError):
        return ""
    prefix = "application/vnd.oasis.opendocument."
    return mimetype[len(prefix):] if mimetype.startswith(prefix) else ""


_OLE = b"\xd0\xcf\x11\xe0"


def _read_ole(data: bytes, name: str) -> str:
    """An old binary Office file: a workbook (.xls, WPS .et) is read; a .doc or .wps is refused."""
    if b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k\x00" in data or b"B\x00o\x00o\x00k\x00" in data:
        return workbook_text(data, name)
    raise NoticeError(f"{name}是旧版 Office 文件(.doc/.wps;请另存为 .docx),不是能读取的通知原文")


_MAGIC = (
    (b"\x89PNG", "PNG 图片"), (b"\xff\xd8\xff", "JPEG 图片"), (b"GIF8", "GIF 图片"),
    (b"BM", "BMP 图片"), (b"II*\x00", "TIFF 图片"), (b"MM\x00*", "TIFF 图片"),
    (b"RIFF", "图片或音视频文件"), (b"%PDF", "PDF 文件(请复制其中文字另存为 .txt)"),
    (b"\xd0\xcf\x11\xe0", "旧版 Office 文件(.doc/.xls/.wps;请另存为 .docx)"),
    (b"{\\rtf", "RTF 文件(请另存为 .docx)"), (b"\x1f\x8b", "压缩文件"), (b"Rar!", "压缩文件"),
    (b"7z\xbc\xaf", "压缩文件"),
)


def _binary_kind(data: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[4:12] == b"ftypheic" or data[8:12] == b"WEBP":
        return "图片"
    return None


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise NoticeError(f"{name}不是 UTF-8 或 GBK 编码的文字,也不是 Word、Excel 或 PDF 文件,无法读取")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if "\x00" in text or controls > max(2, len(text) // 100):
        raise NoticeError(f"{name}不是文字文件(含有二进制内容),不是通知原文")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_HTML_RE = re.compile(r"\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<\?xml[^>]*>\s*<html)", re.I | re.S)
