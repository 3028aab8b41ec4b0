"""The distribution list (分发清单) `excelflow generate` writes beside a round's workbooks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from excelflow.files import publish_bytes
from excelflow.forms.plan import UnitPlan
from excelflow.register.model import Register, Round
from excelflow.wording import round_name
from excelflow.xlsx import DEFAULT_FONTS, fit_page_width, fit_widths, new_workbook, row_height, setup_print, standard_formats


def write_distribution_list(path: Path, register: Register, rnd: Round,
                            listing: Sequence[tuple[str, Path, UnitPlan, str]], now: datetime) -> Path | None:
    """`outbox/<round>/分发清单.xlsx`: which file goes to which unit, with its contact.

    The file's creation stamp is `now` (xlsxwriter would take the clock), so the same run gives
    the same bytes; returns the path written (beside the original if that is open), or None when
    nothing changed.
    """

    buffer = BytesIO()
    workbook = new_workbook(buffer)
    workbook.set_properties({"created": now})
    fmt = standard_formats(workbook)
    sheet = workbook.add_worksheet("分发清单")
    headers = ["序号", "单位", "文件", "牵头任务(项)", "协办任务(项)", "联系人", "联系电话", "生成情况", "发送情况"]
    rows: list[list[Any]] = []
    units = {u.name: u for u in register.units}
    for i, (unit, target, plan, state) in enumerate(listing, start=1):
        info = units.get(unit)
        rel = target.relative_to(path.parent).as_posix() if target.is_relative_to(path.parent) else str(target)
        rows.append([i, unit, rel, plan.entry_count("lead"), plan.entry_count("co"),
                     info.contact if info else "", info.phone if info else "", state, ""])
    title = f"{round_name(rnd)}重点工作填报表分发清单(共 {len(rows)} 个单位)"
    sheet.merge_range(0, 0, 0, len(headers) - 1, title, fmt.title)
    sheet.set_row(0, 30)
    sheet.write_row(1, 0, headers, fmt.header)
    # Widths from the content, then narrowed to print one A4 landscape page wide at 9 pt or more
    # (unit and file names wrap); rows as tall as their wrapped text.
    natural = fit_widths(sheet, [headers, *rows], minimum=8, maximum=40)
    widths = fit_page_width(natural, True, DEFAULT_FONTS.body.size, (1, 2, 7))
    for c, width in enumerate(widths):
        sheet.set_column(c, c, width)
    sheet.set_row(1, row_height(zip(headers, widths)))
    for r, row in enumerate(rows, start=2):
        sheet.set_row(r, row_height((str(v), w) for v, w in zip(row, widths)))
        for c, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, c, value, fmt.locked_center)
            else:
                sheet.write_string(r, c, value, fmt.input if c == len(headers) - 1 else fmt.locked)
    sheet.freeze_panes(2, 0)
    setup_print(sheet, repeat_rows=(1, 1), footer_left=title)
    workbook.close()
    return publish_bytes(path, buffer.getvalue())
