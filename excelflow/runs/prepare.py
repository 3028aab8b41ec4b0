"""What `excelflow generate` needs besides the register: what units returned before.

Milestones from returned plans (落实方案) are added where the register's own 计划 sheet has none,
so templates show them read-only; the previous round's latest usable reports fill the read-only
上轮 columns. Both come from the archive, read once (the previous round's parses only).
"""

from __future__ import annotations

from excelflow.forms.plan import PreviousReports
from excelflow.register.load import load_register
from excelflow.register.model import Register
from excelflow.reports.ledger import load_reported
from excelflow.store.archive import Archive
from excelflow.store.plans import archived_milestones, with_plans
from excelflow.workspace import Workspace


def prepare_round(ws: Workspace, round_id: str) -> tuple[Register, PreviousReports | None]:
    """The register as `generate` uses it for `round_id`, and the unit reports of the round before."""
    register = load_register(ws.require_register())
    register.require_round(round_id)
    archive = Archive(ws)
    register = with_plans(register, archived_milestones(ws, register, archive=archive))
    previous_round = register.previous_round(round_id)
    previous = load_reported(ws, previous_round.id, archive=archive) if previous_round is not None else None
    return register, previous
