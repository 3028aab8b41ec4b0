"""Which sheets of a return are its reporting forms.

With the identity sheet, the sheets it lists (by name, else by position: a unit may rename a
sheet); forms pasted in beside them are named in a warning and never read. Without it, every sheet
with a header row (`序号` and the input headers). Sheets cut at the row cap say so.
"""

from __future__ import annotations

from excelflow.forms.identity import IDENTITY_SHEET, Identity
from excelflow.intake.context import DataSheet, ReadContext
from excelflow.intake.extract import find_header, header_block_unit


def data_sheets(ctx: ReadContext, identity: Identity | None) -> list[DataSheet]:
    """(sheet, header) of each data sheet: by identity name, else index, else any with a header."""
    names = [n for n in ctx.book.sheet_names if n != IDENTITY_SHEET]
    found: list[DataSheet] = []
    used: set[str] = set()

    def take(name: str) -> bool:
        if name in used or name not in names or not ctx.book.may_hold_header(name):
            return False
        sheet = ctx.book.sheet(name)
        header = find_header(sheet.rows)
        if header is None:
            return False
        used.add(name)
        found.append((sheet, header))
        if sheet.truncated:
            ctx.problem("warning", f"工作表超过 {len(sheet.rows)} 行(行数上限),其后的内容未读取。"
                        "如有任务行在其后,请删除表格中多余的行后重新报送。", name)
        return True

    wanted: list[tuple[str, int]] = []
    if identity is not None:
        for row in identity.rows:
            if (row.sheet, row.sheet_index) not in wanted:
                wanted.append((row.sheet, row.sheet_index))
    missing = 0
    for name, index in wanted:
        if take(name):
            continue
        all_names = ctx.book.sheet_names
        if 0 <= index < len(all_names) and take(all_names[index]):
            continue  # the unit renamed the sheet
        missing += 1
    if not wanted or missing:
        for name in names:
            take(name)
    else:
        _unread_forms(ctx, names, used)
    found.sort(key=lambda pair: pair[0].index)
    return found


def _unread_forms(ctx: ReadContext, names: list[str], used: set[str]) -> None:
    """Warn about reporting forms pasted in beside the ones the identity lists (not read).

    Two units' forms merged into one file: the identity names one unit, and rows of another
    unit's form must never be counted for it. The clerk is told which sheet was left out and
    which unit its header names, so that unit can report on its own form.
    """
    for name in names:
        if name in used or not ctx.book.may_hold_header(name):
            continue
        sheet = ctx.book.sheet(name)
        header = find_header(sheet.rows)
        if header is None:
            continue
        hit = header_block_unit(sheet, header)
        who = f"(表头填报单位为「{hit[0]}」)" if hit else ""
        ctx.problem("warning", f"工作表「{name}」也是一张填报表{who},但不在下发给本单位的填报表中,未读取,"
                    "其中的内容不计入任何单位。如是其他单位的填报内容,请让该单位用自己的填报表单独报送。",
                    name, hit[1] if hit else None)
