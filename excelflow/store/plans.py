"""Plan milestones units returned: read back from the archive and merged into the register.

Returned plans (落实方案) are archived like any return (intake marks them kind `plan`). The
comparison (欠进度 / 达进度 / 超进度) and the next round's templates (read-only 本轮计划目标) use
them where the register's own 计划 sheet says nothing: the register is what the clerk signs off,
so its rows win over a unit's plan for the same task and round.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from excelflow.intake.plan_return import read_plan
from excelflow.register.model import Milestone, Register
from excelflow.store.archive import Archive
from excelflow.workspace import Workspace


def archived_milestones(ws: Workspace, register: Register, archive: Archive | None = None
                        ) -> tuple[Milestone, ...]:
    """Milestones from the plan returns in the archive; a unit's latest plan replaces its earlier.

    Reads only archived files that intake marked as plans (kind `plan`), in receipt order, found
    through the index's light metadata (no report's entries are read). A collect pass passes its
    own `archive`.
    """
    if archive is None:
        archive = Archive(ws)
    latest: dict[str, tuple[Milestone, ...]] = {}
    for sub in archive.submission_heads():
        if sub.kind != "plan":
            continue
        record = archive.get(sub.sha256)
        if record is None:
            continue
        try:
            data = (ws.root / record.blob).read_bytes()
        except OSError:
            continue
        plan = read_plan(data, sub.path, register)
        if plan.unit and plan.milestones:
            latest[plan.unit] = plan.milestones
    return tuple(m for ms in latest.values() for m in ms)


def with_plans(register: Register, milestones: Iterable[Milestone]) -> Register:
    """The register with plan milestones added where its own 计划 sheet has none for (task, round).

    With two lead units planning one task, the plan received first is kept.
    """
    have = {(m.task_id, m.round_id) for m in register.milestones}
    added: list[Milestone] = []
    for m in milestones:
        if (m.task_id, m.round_id) not in have:
            added.append(m)
            have.add((m.task_id, m.round_id))
    if not added:
        return register
    return replace(register, milestones=(*register.milestones, *added))
