"""A unit's planned workbook and the template's style as JSON, so a worker process can draw it.

`generate` of a thousand units draws them in worker processes (`runs/prepare.py`); what goes to a
worker is the plan (`plan.UnitPlan`) and the style (`template_style.TemplateStyle`), which come
back equal from their JSON (tested), so a worker draws the bytes this process would.
"""

from __future__ import annotations

from typing import Any

from excelflow.forms.plan import RowPlan, SheetPlan, UnitPlan
from excelflow.forms.template_style import ColumnStyle, TemplateStyle
from excelflow.register.model import Role
from excelflow.xlsx import Font, Fonts


def plan_to_json(plan: UnitPlan) -> dict[str, Any]:
    return {
        "unit": plan.unit, "round_id": plan.round_id, "round_label": plan.round_label, "office": plan.office,
        "contact": plan.contact, "extra_inputs": list(plan.extra_inputs),
        "sheets": [{"name": s.name, "role": s.role, "title": s.title, "deadline": s.deadline, "send_to": s.send_to,
                    "headers": list(s.headers),
                    "rows": [[r.task_id, [[h, v] for h, v in r.prefilled]] for r in s.rows]} for s in plan.sheets],
    }


def plan_from_json(d: dict[str, Any]) -> UnitPlan:
    sheets = []
    for s in d["sheets"]:
        role: Role = "lead" if s["role"] == "lead" else "co"
        rows = tuple(RowPlan(int(task_id), tuple((str(h), v) for h, v in prefilled)) for task_id, prefilled in s["rows"])
        sheets.append(SheetPlan(s["name"], role, s["title"], s["deadline"], s["send_to"], tuple(s["headers"]), rows))
    return UnitPlan(d["unit"], d["round_id"], d["round_label"], d["office"], d["contact"], tuple(sheets),
                    tuple(d["extra_inputs"]))


def _font_to_json(font: Font) -> list[Any]:
    return [font.name, font.size, font.bold, font.color]


def _font_from_json(v: list[Any]) -> Font:
    return Font(v[0], v[1], bool(v[2]), v[3])


def style_to_json(style: TemplateStyle) -> dict[str, Any]:
    f = style.fonts
    return {"title": style.title, "columns": [[c.header, c.width] for c in style.columns], "source": style.source,
            "fonts": {"title": _font_to_json(f.title), "header": _font_to_json(f.header), "body": _font_to_json(f.body),
                      "input": _font_to_json(f.input), "header_fill": f.header_fill, "locked_fill": f.locked_fill}}


def style_from_json(d: dict[str, Any]) -> TemplateStyle:
    f = d["fonts"]
    fonts = Fonts(_font_from_json(f["title"]), _font_from_json(f["header"]), _font_from_json(f["body"]),
                  _font_from_json(f["input"]), f["header_fill"], f["locked_fill"])
    return TemplateStyle(d["title"], tuple(ColumnStyle(h, w) for h, w in d["columns"]), fonts, d["source"])
