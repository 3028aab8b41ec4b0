"""(mail) Attachment and zip member names as Chinese mail clients and zip tools really write them.

What arrives, besides the standard RFC 2231 `filename*=utf-8''…`:

- RFC 2047 encoded words inside a quoted parameter (`filename="=?GBK?B?x/i5pNDFvtY=?="`), which
  the RFCs forbid and Outlook, Foxmail and most webmail send anyway, often split across several
  words that cut a GBK character in two;
- RFC 2231 with `gb2312` as the label while the bytes are GBK or GB18030 (characters outside
  GB2312, such as 镕 or 𠮷, are common in names): every GB label is decoded as GB18030, their
  superset;
- raw 8-bit GBK or UTF-8 bytes in the header, no encoding at all;
- zip members written by Windows tools in the system code page (GBK) without the UTF-8 flag,
  which Python reads as CP437 mojibake.

Each is decoded to the name the unit saw; what cannot be decoded is kept visible (replacement
characters), never dropped. Only the last path component is kept: a name is never a path.
"""

from __future__ import annotations

import re
import zipfile
from email.header import Header, decode_header
from email.message import Message

_GB_LABELS = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "csgb2312", "hz-gb-2312", "x-euc-cn", "ms936"}
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_ZIP_UTF8_FLAG = 0x800


def decode_bytes(raw: bytes, charset: str | None) -> str:
    """Bytes of a name in the declared charset (GB labels read as GB18030), else UTF-8, else GB18030."""
    tries: list[str] = []
    label = (charset or "").strip().lower()
    if label:
        tries.append("gb18030" if label in _GB_LABELS else label)
    tries += ["utf-8", "gb18030"]
    for codec in tries:
        try:
            return raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("utf-8", "replace")


def decode_words(text: str) -> str:
    """A header value with RFC 2047 encoded words, wherever they are, decoded.

    Adjacent words in the same charset are joined before decoding, so a GBK character split
    between two base64 words survives.
    """
    if not _ENCODED_WORD.search(text):
        return _unescape_raw(text)
    try:
        parts = decode_header(text)
    except Exception:  # noqa: BLE001 - a malformed encoded word: show what was there
        return _unescape_raw(text)
    out: list[str] = []
    for chunk, charset in parts:
        out.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else _unescape_raw(chunk))
    return "".join(out)


def _unescape_raw(text: str) -> str:
    """Raw 8-bit header bytes (read as surrogate escapes or Latin-1) back to their real text."""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        return decode_bytes(text.encode("ascii", "surrogateescape"), None)
    return text


def _with_raw_header(part: Message, header: str) -> Message:
    """`part`, or a stand-in holding `header` decoded from raw 8-bit bytes.

    The legacy parser turns a header with raw 8-bit bytes into a `Header` in the `unknown-8bit`
    charset, whose text is replacement characters; its chunks still hold the original bytes.
    """
    value = part.get(header)
    if not isinstance(value, Header):
        return part
    raw = b"".join(chunk if isinstance(chunk, bytes) else chunk.encode("ascii", "surrogateescape")
                   for chunk, _ in decode_header(value))
    shadow = Message()
    shadow[header] = decode_bytes(raw, None)
    return shadow


def _param(part: Message, name: str, header: str) -> str | None:
    value = _with_raw_header(part, header).get_param(name, header=header)
    if value is None or value == "":
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text with the bytes as Latin-1)
        charset, _, text = value
        try:
            raw = str(text).encode("latin-1")
        except UnicodeEncodeError:
            raw = str(text).encode("utf-8", "surrogateescape")
        return decode_bytes(raw, str(charset) if charset else None)
    return decode_words(str(value))


def attachment_name(part: Message) -> str | None:
    """The file name a MIME part carries (Content-Disposition `filename`, else Content-Type
    `name`), decoded; None when it has none."""
    for name, header in (("filename", "content-disposition"), ("name", "content-type")):
        found = _param(part, name, header)
        if found:
            return base_name(found)
    return None


def base_name(name: str) -> str:
    """The last component of a name that may hold a path (`..\\..\\x.xlsx` → `x.xlsx`)."""
    cleaned = name.replace("\x00", "").strip().strip('"')
    return re.split(r"[\\/]", cleaned)[-1].strip()


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name as its author saw it: UTF-8 when flagged, else GBK (Windows China)."""
    if info.flag_bits & _ZIP_UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    return decode_bytes(raw, None)
