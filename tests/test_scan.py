"""Finding returns in the inbox, reading them once, and telling a copy in progress from a bad file."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from excelflow.intake.scan import Candidate, is_ignored_name, looks_incomplete, read_bytes, scan_inbox
from tests.office import convert, requires_office

RETURNS = Path(__file__).resolve().parent / "data" / "returns"
XLSX = (RETURNS / "clean-return.xlsx").read_bytes()
XLS = (RETURNS / "clean-return-saved-by-libreoffice.xls").read_bytes()
ODS = (RETURNS / "clean-return-saved-by-libreoffice.ods").read_bytes()


def _drop(inbox: Path, relative: str, data: bytes = XLSX) -> Path:
    path = inbox.joinpath(*relative.split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def test_scan_finds_workbooks_in_subfolders_sorted_with_slash_paths_and_any_suffix_case(tmp_path):
    for name in ("区工信局.xlsx", "乡镇/下溪街道 上半年.XLS", "乡镇/永丰街道/报表.ods", "宏.xlsm", "a.Xlsx"):
        _drop(tmp_path, name)
    found = scan_inbox(tmp_path)
    assert [c.path for c in found] == sorted(["区工信局.xlsx", "乡镇/下溪街道 上半年.XLS", "乡镇/永丰街道/报表.ods",
                                              "宏.xlsm", "a.Xlsx"])
    stat = (tmp_path / "区工信局.xlsx").stat()
    assert Candidate("区工信局.xlsx", stat.st_size, stat.st_mtime_ns) in found


def test_scan_ignores_lock_temp_hidden_and_system_files_without_touching_them_and_keeps_every_other_file(tmp_path):
    ignored = ["~$区工信局.xlsx", ".~区工信局.xlsx", ".~lock.区工信局.xlsx#", "下载中.xlsx.tmp", "~WRL0001.tmp",
               ".隐藏.xlsx", ".git/x.xlsx", "新建文件夹/~$a.xls", "Thumbs.db", "新建文件夹/desktop.ini"]
    for name in ignored:
        _drop(tmp_path, name)
    # Whatever else a unit drops is a candidate: a PDF or a photo is answered (by receipt), not ignored.
    for name in ("新建文件夹/ok.xls", "说明.docx", "照片.jpg"):
        _drop(tmp_path, name)
    before = _tree(tmp_path)
    assert [c.path for c in scan_inbox(tmp_path)] == ["新建文件夹/ok.xls", "照片.jpg", "说明.docx"]
    assert _tree(tmp_path) == before  # nothing renamed, deleted or rewritten


@pytest.mark.parametrize("name, ignored", [
    ("~$a.xlsx", True), (".~lock.a.xlsx#", True), (".~a.xlsx", True), ("a.tmp", True), ("A.TMP", True),
    ("a.xlsx", False), ("~草稿不是锁.xlsx", False), ("区工信局(盖章).xlsx", False),
])
def test_lock_and_temp_names(name, ignored):
    assert is_ignored_name(name) is ignored


def test_scan_of_missing_inbox_is_empty(tmp_path):
    assert scan_inbox(tmp_path / "没有这个文件夹") == []


def test_scan_does_not_follow_symlinks_out_of_the_inbox(tmp_path):
    outside = tmp_path / "outside"
    _drop(outside, "secret.xlsx")
    inbox = tmp_path / "inbox"
    _drop(inbox, "a.xlsx")
    os.symlink(outside, inbox / "link", target_is_directory=True)
    os.symlink(outside / "secret.xlsx", inbox / "looks-like-a-return.xlsx")
    assert [c.path for c in scan_inbox(inbox)] == ["a.xlsx"]


def test_read_bytes_returns_the_exact_bytes_of_an_unchanged_file(tmp_path):
    _drop(tmp_path, "子目录/区工信局.xlsx")
    [candidate] = scan_inbox(tmp_path)
    assert read_bytes(tmp_path, candidate) == XLSX


def test_read_bytes_is_none_when_the_file_grew_or_was_touched_or_vanished_since_the_scan(tmp_path):
    path = _drop(tmp_path, "a.xlsx", XLSX[:1000])
    [candidate] = scan_inbox(tmp_path)
    path.write_bytes(XLSX)  # the copy went on after the scan
    assert read_bytes(tmp_path, candidate) is None
    [candidate] = scan_inbox(tmp_path)
    os.utime(path, ns=(candidate.mtime_ns + 5_000_000_000, candidate.mtime_ns + 5_000_000_000))
    assert read_bytes(tmp_path, candidate) is None
    path.unlink()
    assert read_bytes(tmp_path, candidate) is None


@pytest.mark.parametrize("data", [XLSX, XLS, ODS], ids=["xlsx", "xls", "ods"])
def test_complete_workbooks_do_not_look_incomplete(data):
    assert not looks_incomplete(data, "x")


@pytest.mark.parametrize("data", [XLSX, XLS, ODS], ids=["xlsx", "xls", "ods"])
def test_every_cut_of_a_workbook_looks_incomplete(data):
    # A copy stopped anywhere: the zip end record or the OLE sectors in use are missing.
    for cut in sorted({0, 1, 4, 100, 511, 512, 513, len(data) // 3, len(data) // 2, len(data) - 600, len(data) - 1}):
        assert looks_incomplete(data[:cut], "x"), cut


@pytest.mark.parametrize("data", [XLSX, XLS], ids=["xlsx", "xls"])
def test_preallocated_copy_with_zeros_at_the_end_looks_incomplete(data):
    # Windows copies may set the final size first and fill the bytes in later.
    half = len(data) // 2
    assert looks_incomplete(data[:half] + bytes(len(data) - half), "x")


def test_all_zero_file_looks_incomplete_but_other_junk_does_not():
    assert looks_incomplete(bytes(4096), "x")
    assert not looks_incomplete(b"<html><table></table></html>", "x")
    assert not looks_incomplete(b"\x89PNG\r\n\x1a\n" + bytes(50), "x")


def test_zip_end_record_inside_the_comment_is_not_taken_for_the_real_one():
    # A file cut inside a zip comment that itself contains the end-record signature.
    comment = b"PK\x05\x06" + bytes(30)
    body = XLSX[:-2] + struct.pack("<H", len(comment)) + comment
    assert not looks_incomplete(body, "x")
    assert looks_incomplete(body[: len(XLSX) - 10], "x")


@requires_office
@pytest.mark.office
def test_xls_written_by_a_live_libreoffice_is_complete_and_any_truncation_is_not(tmp_path):
    source = tmp_path / "r.xlsx"
    source.write_bytes(XLSX)
    [xls] = convert([source], "xls", tmp_path / "out")
    data = xls.read_bytes()
    assert not looks_incomplete(data, "r.xls")
    assert all(looks_incomplete(data[:cut], "r.xls") for cut in range(512, len(data), 512))
