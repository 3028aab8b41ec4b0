"""(mail) The workbooks a message carries: attachments, workbooks inside zip files, and what was left out.

A unit's reply may hold its workbook as an attachment (xlsx, xlsm, xls, ods, xlsb), packed in a
zip (Windows tools name the members in GBK), forwarded inside an attached message, or not at all
(a reply that only says "已报送"). Each part ends as a `Found` workbook to save, or a `Skipped`
line saying in Chinese why it was not saved, so nothing disappears without a word.

Limits keep a hostile message from exhausting memory: an attachment larger than the cap is not
decoded, a zip member is read at most cap + 1 bytes whatever its header claims (a zip bomb lies
about its sizes), a zip yields at most `MAX_ZIP_MEMBERS` members and twice the cap in total, and
a zip inside a zip is not opened.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from email import errors
from email.message import Message

from excelflow.mail.names import attachment_name, zip_member_name

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".xlsb")
WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.ms-excel.sheet.binary.macroenabled.12": ".xlsb",
    "application/kset": ".xls",  # WPS 表格 sends its sheets with this type
}
ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
OTHER_ARCHIVES = (".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz")
MAX_ZIP_MEMBERS = 200
ZIP_MAGIC = b"PK\x03\x04"
INCOMPLETE = "附件不完整(邮件在传输中被截断或格式损坏),未保存:请让填报单位重新发送"
# What `email` notes on a part whose base64 was cut where its length cannot be base64: the
# payload then comes back not decoded (the base64 text itself, which looks like no cut-off file).
# A cut elsewhere comes back padded, a prefix of the file, which `looks_incomplete` tells (a
# client that leaves out the padding of a whole file is not refused).
_CUT_BASE64 = errors.InvalidBase64LengthDefect


@dataclass(frozen=True)
class Found:
    """A workbook to save: its decoded name, its bytes, and where in the message it was."""

    name: str
    data: bytes
    origin: str  # "附件" or "压缩包「x.zip」" (Chinese, for the fetch record)


@dataclass(frozen=True)
class Skipped:
    """A part that was not saved, and why (Chinese)."""

    name: str
    reason: str


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f} MB"


def _is_workbook_name(name: str) -> bool:
    return name.lower().endswith(WORKBOOK_SUFFIXES)


def workbooks_in(message: Message, cap: int) -> tuple[list[Found], list[Skipped]]:
    """Every workbook `message` carries (attachments, zip members, attached messages), in order."""
    found: list[Found] = []
    skipped: list[Skipped] = []
    unnamed = 0
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue  # containers: their parts come next in the walk (attached messages included)
        ctype = part.get_content_type()
        name = attachment_name(part)
        disposition = (part.get_content_disposition() or "").lower()
        if name is None:
            if ctype in WORKBOOK_TYPES or ctype in ZIP_TYPES:
                unnamed += 1
                name = f"附件{unnamed}{WORKBOOK_TYPES.get(ctype, '.zip')}"
            elif disposition == "attachment" and not ctype.startswith("text/"):
                unnamed += 1
                skipped.append(Skipped(f"附件{unnamed}", f"没有文件名的附件({ctype}),不是表格,未保存"))
                continue
            else:
                continue  # the message text (plain or HTML) and inline pictures of a signature
        lower = name.lower()
        is_zip = lower.endswith(".zip") or (ctype in ZIP_TYPES and not _is_workbook_name(name))
        if not is_zip and not _is_workbook_name(name) and ctype not in WORKBOOK_TYPES:
            if lower.endswith(OTHER_ARCHIVES):
                skipped.append(Skipped(name, "压缩格式不支持(只解开 .zip),未保存:请让填报单位直接附上表格,或压缩成 .zip"))
            else:
                skipped.append(Skipped(name, "不是表格文件,未保存"))
            continue
        encoded = part.get_payload()
        if isinstance(encoded, str) and len(encoded) * 3 // 4 > cap + 4096:
            skipped.append(Skipped(name, f"附件约 {_mb(len(encoded) * 3 // 4)},超过上限 {_mb(cap)},未保存。"
                                         "请让填报单位删除表中的图片或多余内容后重新发送"))
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            skipped.append(Skipped(name, "附件内容为空或无法解码(邮件格式损坏),未保存:请让填报单位重新发送"))
            continue
        if any(isinstance(defect, _CUT_BASE64) for defect in part.defects):
            skipped.append(Skipped(name, INCOMPLETE))
            continue
        if len(data) > cap:
            skipped.append(Skipped(name, f"附件 {_mb(len(data))},超过上限 {_mb(cap)},未保存。"
                                         "请让填报单位删除表中的图片或多余内容后重新发送"))
            continue
        if is_zip:
            zip_found, zip_skipped = _unzip(name, data, cap)
            found += zip_found
            skipped += zip_skipped
            continue
        if not _is_workbook_name(name):
            name += WORKBOOK_TYPES.get(ctype, ".xlsx")  # a workbook type under another name: keep it readable
        found.append(Found(name, data, "附件"))
    return found, skipped


def _unzip(zip_name: str, data: bytes, cap: int) -> tuple[list[Found], list[Skipped]]:
    """The workbooks inside a zip attachment, read within limits."""
    origin = f"压缩包「{zip_name}」"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return [], [Skipped(zip_name, "压缩包已损坏,无法解开,未保存:请让填报单位重新压缩或直接附上表格")]
    found: list[Found] = []
    skipped: list[Skipped] = []
    others: list[str] = []
    total = 0
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_ZIP_MEMBERS:
            return [], [Skipped(zip_name, f"压缩包里有 {len(infos)} 个文件(超过 {MAX_ZIP_MEMBERS} 个),"
                                          "为安全起见未解开:请让填报单位只发送本单位的填报表")]
        for info in infos:
            member = zip_member_name(info).replace("\\", "/").rsplit("/", 1)[-1]
            label = f"{zip_name} → {member}"
            if member.lower().endswith(".zip"):
                skipped.append(Skipped(label, "压缩包里的压缩包不解开,未保存:请让填报单位直接附上表格"))
                continue
            if not _is_workbook_name(member):
                others.append(member)
                continue
            if info.flag_bits & 0x1:
                skipped.append(Skipped(label, "压缩包设置了密码,无法解开,未保存:请让填报单位去掉密码后重新发送"))
                continue
            if info.file_size > cap:
                skipped.append(Skipped(label, f"解压后 {_mb(info.file_size)},超过上限 {_mb(cap)},未保存"))
                continue
            try:
                with archive.open(info) as handle:
                    content = handle.read(cap + 1)  # never trust the declared size (zip bombs)
            except zipfile.BadZipFile as exc:
                # zipfile stops at the declared size, so a member that unpacks to more than its
                # header says ends here, on its checksum: a zip bomb or a damaged archive.
                skipped.append(Skipped(label, f"压缩包内容与它声明的大小或校验码不符(可能是解压炸弹,或已损坏:{exc}),"
                                              "为安全起见未保存:请让填报单位重新压缩或直接附上表格"))
                continue
            except (OSError, NotImplementedError, RuntimeError, EOFError, ValueError) as exc:
                skipped.append(Skipped(label, f"无法从压缩包中取出({type(exc).__name__}),未保存:请让填报单位重新压缩或直接附上表格"))
                continue
            if len(content) > cap:
                skipped.append(Skipped(label, f"解压后超过上限 {_mb(cap)}(可能是异常的压缩包),为安全起见未保存"))
                continue
            total += len(content)
            if total > 2 * cap:
                skipped.append(Skipped(label, f"压缩包解压后总大小超过 {_mb(2 * cap)},其余文件未保存:请让填报单位分开发送"))
                break
            found.append(Found(member, content, origin))
    if others:
        shown = "、".join(others[:5]) + (f" 等 {len(others)} 个" if len(others) > 5 else "")
        skipped.append(Skipped(zip_name, f"压缩包里的 {shown} 不是表格文件,未保存"))
    if not found and not skipped:
        skipped.append(Skipped(zip_name, "压缩包是空的,未保存"))
    return found, skipped
