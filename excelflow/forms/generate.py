"""`excelflow generate`: write one pre-filled reporting workbook per unit of a round, and the
distribution list (`分发清单.xlsx`) to send them with.

What each workbook shows is planned by `plan.py` and drawn by `render.py`; this module runs the
round: it plans every unit, skips workbooks whose content is unchanged, refuses to overwrite one
that would change (it may have been sent already) unless forced, and reports what it did.

Drawing is nearly all of generate's cost (~5 ms a workbook, xlsxwriter writing XML): the units
are planned one after another and each workbook to write is handed to `draw` (a `Drawer`) as soon
as it is planned, which gives the bytes back in the units' order. Without one they are drawn
here; the command passes the worker processes' (`runs/prepare.py`: one per core, drawing while
this process plans the next units; the same bytes, tested). The workbooks are written as they
come and synced together (`files.synced_together`), a hundred or so at a time while the workers
draw the next ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path

from python_calamine import CalamineWorkbook

from excelflow.files import atomic_write_bytes, synced_together
from excelflow.forms import identity as ident
from excelflow.forms.campaign_key import CampaignKey, ensure_key
from excelflow.forms.default_template import SHIPPED_TEMPLATE
from excelflow.forms.distribution_list import write_distribution_list
from excelflow.forms.plan import PreviousReports, UnitPlan, plan_unit, template_version
from excelflow.forms.render import render_unit
from excelflow.forms.template_style import TemplateStyle, load_template_style
from excelflow.notice.units import is_relevant_group
from excelflow.register.layout import RELEVANT
from excelflow.register.model import Register, Role
from excelflow.workspace import Workspace


@dataclass(frozen=True)
class GenerateReport:
    """What a generate run did. Paths are the workbooks; `skipped` names units with no entry."""

    round_id: str
    written: tuple[Path, ...] = ()
    unchanged: tuple[Path, ...] = ()
    would_change: tuple[Path, ...] = ()
    skipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    distribution_list: Path | None = None
    units: tuple[str, ...] = field(default=())


def existing_identity(path: Path) -> ident.Identity | None:
    """The identity of a workbook already on disk, or None when it has none or cannot be read."""
    try:
        data = path.read_bytes()
        book = CalamineWorkbook.from_filelike(BytesIO(data))
        if ident.IDENTITY_SHEET not in book.sheet_names:
            return None
        return ident.read_identity(book.get_sheet_by_name(ident.IDENTITY_SHEET).to_python())
    except Exception:  # a damaged or foreign file: treat as "not ours", never overwrite silently
        return None


def load_style(ws: Workspace) -> tuple[TemplateStyle, list[str]]:
    """The clerk's template, or the shipped one (with a warning) when the working folder has none."""
    if ws.template_path.is_file():
        return load_template_style(ws.template_path), []
    style = load_template_style(SHIPPED_TEMPLATE)
    return style, [f"工作文件夹中没有模板 {ws.template_path},已使用默认模板(可运行 `excelflow init` 放入后修改样式)。"]


# Draws planned workbooks: (plan, template version) each, taken as they come; the style, the
# generation time, the campaign's key, and how many workbooks there are at most → each workbook's
# bytes, in order.
Drawer = Callable[[Iterable[tuple[UnitPlan, str]], TemplateStyle, str, CampaignKey, int], Iterator[bytes]]


def draw_here(todo: Iterable[tuple[UnitPlan, str]], style: TemplateStyle, generated_at: str,
              key: CampaignKey, at_most: int = 0) -> Iterator[bytes]:
    """The default `Drawer`: in this process."""
    for plan, version in todo:
        yield render_unit(plan, style, version, generated_at, key)[0]


def unchosen_warnings(register: Register) -> list[str]:
    warnings = []
    for task in register.unchosen_relevant():
        groups = register.waiting_groups(task)
        if any(is_relevant_group(g) for g in groups):
            where = f"请在任务登记表「任务」工作表序号为 {task.id} 的行的「{RELEVANT}」列填写具体单位(没有则填「无」)"
        else:
            where = "请在任务登记表「单位」表登记该分组的成员单位(「分组」列)"
        warnings.append(f"任务 {task.id} 的「{'、'.join(groups)}」尚未选定具体单位,这些单位的填报项未生成。{where},然后重新生成。")
    return warnings


def generate_round(ws: Workspace, register: Register, round_id: str, *, force: bool = False,
                   previous: PreviousReports | None = None, now: datetime,
                   progress: Callable[[int, int], None] | None = None,
                   style: TemplateStyle | None = None, draw: Drawer = draw_here) -> GenerateReport:
    """Write every unit's reporting workbook for `round_id` and the distribution list.

    A workbook already on disk is left alone when its content is unchanged, and also when it would
    change but `force` is False (it may have been sent already): those are reported, not written.
    `draw` draws the workbooks to write (by default, this process).
    """
    rnd = register.require_round(round_id)
    warnings: list[str] = []
    if style is None:
        style, style_warnings = load_style(ws)
        warnings.extend(style_warnings)
    warnings.extend(unchosen_warnings(register))
    has_previous = register.previous_round(round_id) is not None
    if has_previous and previous is None:
        warnings.append("未能读取上一轮的填报情况,「上轮完成状态」「上轮进展情况」列留空。")

    by_unit: dict[str, list[tuple[int, Role]]] = {}
    for entry in register.expected_entries():
        by_unit.setdefault(entry.unit, []).append((entry.task_id, entry.role))
    known_units = [u.name for u in register.units]
    order = [u for u in known_units if u in by_unit] + [u for u in by_unit if u not in known_units]
    for name in order:
        if name not in known_units:
            warnings.append(f"单位「{name}」不在任务登记表的「单位」工作表中,仍为其生成了填报表;请核对单位名称。")
    skipped = tuple(u for u in known_units if u not in by_unit)

    key = ensure_key(ws)  # every workbook handed out is signed with the campaign's key
    style_digest = style.digest()
    generated_at = now.isoformat(timespec="seconds")
    written: list[Path] = []
    unchanged: list[Path] = []
    would_change: list[Path] = []
    listing: list[tuple[str, Path, UnitPlan, str]] = []
    claimed: dict[Path, str] = {}
    total = len(order)
    done = 0

    def advance() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    to_draw: list[tuple[int, UnitPlan, str, Path]] = []  # (place in the listing, plan, version, file)

    def planned() -> Iterator[tuple[UnitPlan, str]]:
        """Plan unit after unit; hand over each workbook to write (drawn while the next is planned)."""
        for unit in order:
            plan = plan_unit(register, rnd, unit, by_unit[unit], style, previous, has_previous)
            version = template_version(plan, style_digest)
            target = ws.template_file(round_id, unit)
            if target in claimed:
                # Two names that only differ in characters a file name cannot hold (`/`, `:` …).
                warnings.append(f"单位「{unit}」与「{claimed[target]}」的文件名相同({target.name}),"
                                f"未为「{unit}」生成填报表。请在任务登记表中修改其中一个单位名称。")
                advance()
                continue
            claimed[target] = unit
            # The version digests everything the unit would see, so an equal version on disk means
            # an identical workbook: no need to render it again.
            old = existing_identity(target) if target.exists() else None
            if old is not None and (old.kind, old.unit, old.round_id, old.template_version) == \
                    ("report", unit, round_id, version):
                unchanged.append(target)
                listing.append((unit, target, plan, "未变化"))
                advance()
            elif target.exists() and not force:
                would_change.append(target)
                listing.append((unit, target, plan, "内容有变化,未覆盖"))
                advance()
            else:
                to_draw.append((len(listing), plan, version, target))
                listing.append((unit, target, plan, ""))  # its state once written
                yield plan, version

    with synced_together() as batch:
        for k, data in enumerate(draw(planned(), style, generated_at, key, len(order))):
            batch.commit_if_due()
            place, plan, _, target = to_draw[k]
            existed = target.exists()
            try:
                atomic_write_bytes(target, data)
                written.append(target)
                state = "已覆盖重新生成" if existed else "新生成"
            except OSError as exc:
                warnings.append(f"无法写入 {target}(可能正在被 Excel 或 WPS 打开):{exc.strerror or exc}")
                state = "写入失败"
            listing[place] = (plan.unit, target, plan, state)
            advance()

    dist: Path | None = ws.distribution_list(round_id)
    try:
        dist = write_distribution_list(ws.distribution_list(round_id), register, rnd, listing, now) or dist
    except OSError as exc:
        warnings.append(f"无法写入分发清单 {dist}(可能正在被打开):{exc.strerror or exc}")
        dist = None
    return GenerateReport(round_id, tuple(written), tuple(unchanged), tuple(would_change), skipped,
                          tuple(warnings), dist, tuple(order))
