"""The identity sheet is signed with the campaign's own key: an identity edited to name another
unit, one from another campaign's folder, and an unsigned one are rejected with the true reason
(the sender still named by its header, saying how sure); the magic text is what makes a sheet an
identity; unsigned workbooks of a folder that handed them out before signing keep being collected."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from corpus_maker import MAKE

from excelflow.errors import WorkspaceError
from excelflow.forms.campaign_key import CampaignKey, ensure_key, load_key
from excelflow.forms.identity import IDENTITY_SHEET
from excelflow.intake.read import read_return
from excelflow.workspace import Workspace

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
RECEIVED = datetime(2021, 6, 14, 9, 0)




KEY = MAKE.CORPUS_KEY
UNIT = "区民政局"


def returned(edit: Any = None) -> bytes:
    """区民政局's signed workbook, filled (and edited by `edit`) as its office suite would save it."""
    return MAKE.filled(UNIT, edit)


def read(data: bytes, key: CampaignKey | None = KEY, path: str = "报送.xlsx") -> Any:
    return read_return(data, path, RECEIVED, MAKE.REGISTER, campaign=key)


def test_a_signed_identity_of_this_campaign_is_taken_as_written() -> None:
    sub = read(returned())
    assert (sub.outcome, sub.unit, sub.confidence) == ("accepted", UNIT, "identity")


def test_an_identity_edited_to_name_another_unit_is_rejected_and_the_sender_named_by_its_header() -> None:
    def claim_another_unit(book: Any) -> None:
        book[IDENTITY_SHEET]["B3"].value = "区财政局"

    sub = read(returned(claim_another_unit))
    assert sub.outcome == "rejected" and not sub.entries
    [problem] = [p for p in sub.problems if p.level == "error"]
    assert "签名校验未通过" in problem.message and "较确定" in problem.message and f"「{UNIT}」" in problem.message
    assert (sub.unit, sub.confidence) == (UNIT, "header")  # the unit the forged identity named gets nothing


def test_an_edited_row_line_breaks_the_signature_too() -> None:
    def move_a_row(book: Any) -> None:
        book[IDENTITY_SHEET]["C9"].value = "lead" if book[IDENTITY_SHEET]["C9"].value == "co" else "co"

    assert read(returned(move_a_row)).outcome == "rejected"


def test_a_valid_return_of_another_campaign_is_rejected_as_such_not_as_an_old_template() -> None:
    other = CampaignKey.new()
    sub = read(returned(), key=other)
    assert sub.outcome == "rejected"
    message = sub.problems[0].message
    assert "另一个工作文件夹" in message and KEY.campaign in message and "旧版" not in message
    assert (sub.unit, sub.confidence) == (UNIT, "header")


def test_an_unsigned_identity_is_refused_by_a_campaign_that_never_handed_one_out() -> None:
    unsigned = MAKE.FIX.edited(_unsigned_workbook(), MAKE.fill_book)
    sub = read(unsigned)
    assert sub.outcome == "rejected" and "没有签名" in sub.problems[0].message
    migrated = CampaignKey(KEY.campaign, KEY.secret, accept_unsigned=True)
    sub = read(unsigned, key=migrated)
    assert (sub.outcome, sub.unit, sub.confidence) == ("accepted_with_warnings", UNIT, "identity")
    assert any("旧版 excelflow 下发" in p.message for p in sub.problems)


def _unsigned_workbook() -> bytes:
    """What `generate` handed out before signing existed (identity format version 1)."""
    from excelflow.forms.default_template import SHIPPED_TEMPLATE
    from excelflow.forms.plan import plan_unit, template_version
    from excelflow.forms.render import render_unit
    from excelflow.forms.template_style import load_template_style

    style = load_template_style(SHIPPED_TEMPLATE)
    register = MAKE.REGISTER
    rnd = register.round("2021-H1")
    entries = sorted({(e.task_id, e.role) for e in register.expected_entries() if e.unit == UNIT})
    plan = plan_unit(register, rnd, UNIT, entries, style, None, False)
    data, identity = render_unit(plan, style, template_version(plan, style), "2021-06-01T09:00:00")
    assert identity.version == 1 and not identity.mac
    return data


def test_a_sheet_named_like_the_identity_without_its_magic_text_is_not_an_identity() -> None:
    def wrong_magic(book: Any) -> None:
        book[IDENTITY_SHEET]["A1"].value = "my-own-sheet"

    sub = read(returned(wrong_magic))
    assert sub.confidence == "header" and sub.unit == UNIT
    assert any("不是 excelflow 生成的" in p.message for p in sub.problems)


def test_a_key_is_made_once_and_remembers_whether_the_folder_handed_out_unsigned_workbooks(tmp_path: Path) -> None:
    fresh = Workspace(tmp_path / "new")
    key = ensure_key(fresh)
    assert key.accept_unsigned is False and load_key(fresh) == key and ensure_key(fresh) == key
    used = Workspace(tmp_path / "old")
    (used.templates_dir("2021-H1")).mkdir(parents=True)
    (used.templates_dir("2021-H1") / "区民政局.xlsx").write_bytes(b"handed out before signing")
    assert ensure_key(used).accept_unsigned is True
    data = json.loads(used.campaign_key_path.read_text(encoding="utf-8"))
    used.campaign_key_path.write_text(json.dumps({**data, "secret": "zz"}), encoding="utf-8")
    with pytest.raises(WorkspaceError, match="签名密钥.*已损坏"):
        ensure_key(used)  # never replaced silently: every workbook handed out would be disowned


def test_commands_making_the_key_at_the_same_moment_all_sign_with_one_key(tmp_path: Path) -> None:
    import subprocess

    code = ("import sys; from pathlib import Path; from excelflow.forms.campaign_key import ensure_key; "
            "from excelflow.workspace import Workspace; print(ensure_key(Workspace(Path(sys.argv[1]))).campaign)")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parent.parent) for _ in range(4)]
    campaigns = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(campaigns) == 1 and load_key(Workspace(tmp_path)).campaign in campaigns  # type: ignore[union-attr]
