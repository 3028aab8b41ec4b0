"""What `excelflow generate` needs besides the register: what units returned before, and the
worker processes that draw its workbooks.

Milestones from returned plans (落实方案) are added where the register's own 计划 sheet has none,
so templates show them read-only; the previous round's latest usable reports fill the read-only
上轮 columns. Both come from the archive, read once (the previous round's parses only).

`drawing_in_workers` draws a round's workbooks in the same worker processes a collect pass uses
(`workers.WorkerPool`, one per core), each plan sent as JSON (`forms/plan_json.py`), the bytes
coming back in order: the bytes one process draws (tested).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from excelflow.forms.campaign_key import CampaignKey
from excelflow.forms.generate import Drawer, draw_here
from excelflow.forms.plan import PreviousReports, UnitPlan
from excelflow.forms.plan_json import plan_to_json, style_to_json
from excelflow.forms.template_style import TemplateStyle
from excelflow.register.load import load_register
from excelflow.register.model import Register
from excelflow.reports.ledger import load_reported
from excelflow.store.archive import Archive
from excelflow.runs.workers import RenderJob, WorkerPool
from excelflow.store.plans import archived_milestones, with_plans
from excelflow.workspace import Workspace

# Workbooks to draw before worker processes draw them: starting two costs about as much as
# drawing ~80 here, so a district's 79 units are drawn in this process.
WORKERS_FROM = 120


def prepare_round(ws: Workspace, round_id: str) -> tuple[Register, PreviousReports | None]:
    """The register as `generate` uses it for `round_id`, and the unit reports of the round before."""
    register = load_register(ws.require_register())
    register.require_round(round_id)
    archive = Archive(ws)
    register = with_plans(register, archived_milestones(ws, register, archive=archive))
    previous_round = register.previous_round(round_id)
    previous = load_reported(ws, previous_round.id, archive=archive) if previous_round is not None else None
    return register, previous


def drawing_in_workers(register: Register, workers: int | None = None) -> Drawer:
    """A `Drawer` for `generate_round`: `workers` worker processes (default one per core) draw the
    workbooks when there may be `WORKERS_FROM` or more, else this process does."""
    def draw(todo: Iterable[tuple[UnitPlan, str]], style: TemplateStyle, generated_at: str,
             key: CampaignKey, at_most: int) -> Iterator[bytes]:
        pool = WorkerPool(register, campaign=key, workers=workers, parses=False)
        if pool.size <= 1 or (workers is None and at_most < WORKERS_FROM):
            yield from draw_here(todo, style, generated_at, key)
            return
        look = style_to_json(style)
        jobs = (RenderJob("unit", {"plan": plan_to_json(plan), "style": look, "version": version,
                                   "generated_at": generated_at}, plan.unit) for plan, version in todo)
        with pool:
            yield from pool.render_many(jobs)

    return draw
