"""A round of returns built in the test, for the comparison tests: register, entry states, content.

The register is made of `model` records (two chapters, a task with two lead units, a township
group, a task without co-units); entry states are drawn from a seeded generator, so every state,
status and lateness occurs, and the expected figures are recomputed by the tests themselves.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from excelflow.intake.records import EntryReport, Problem
from excelflow.register.model import Milestone, Register, Round, Task, Unit
from excelflow.register.statuses import CHOICES
from excelflow.reports.ledger import EntryState

CH1 = "一、持之以恒主攻工业,不断做强发展支柱(13项)"
CH2 = "二、充分挖掘内需潜力,着力稳定经济增长(22项)"
H1 = Round("2021-H1", "2021年上半年", date(2021, 6, 15), date(2021, 6, 25))
FY = Round("2021-FY", "2021年全年", date(2021, 12, 15), date(2021, 12, 25))

UNITS = (
    Unit("区工信局", contact="王敏", phone="0793-2612345"),
    Unit("上饶高新区", contact="李强", phone="13907931234"),
    Unit("区商务局", contact="张丽", phone="13807930001"),
    Unit("区科技局", contact="", phone=""),
    Unit("区人社局", contact="赵刚", phone="0793-2600001"),
    Unit("区教体局", contact="钱芳", phone="0793-2600002"),
    Unit("永丰街道", groups=("乡镇(街道)",), contact="孙伟", phone="13600000001"),
    Unit("洋口镇", groups=("乡镇(街道)",), contact="周杰", phone="13600000002"),
)
TASKS = (
    Task(1, CH1, "(一)持续壮大产业集群", "聚焦首位产业和主导产业深入实施产业链链长制,促进产业高端补链、终端延链、整体强链。",
         ("区工信局",), ("上饶高新区", "各乡镇(街道)")),
    Task(2, CH1, "(一)持续壮大产业集群", "持续主攻电子信息首位产业,力争首位产业企业达到100家。",
         ("上饶高新区",), ("区工信局", "区商务局", "区科技局")),
    Task(3, CH1, "(二)积极培育优质企业", "突出龙头企业在构建产业链中的引领作用。", ("上饶高新区",), ("区科技局",)),
    Task(4, CH1, "(三)不断提升园区效益", "建立园区赋权清单动态调整机制。", ("上饶高新区",), ()),
    Task(5, CH2, "(一)促进居民就业", "全力打造人力资源服务产业园,完善职业技术教育体系,加快组建上饶市广丰技工学校。",
         ("区人社局", "区教体局"), ("上饶高新区", "各乡镇(街道)")),
    Task(6, CH2, "(一)促进居民就业", "持续实施乡村就业创业促进行动。", ("区人社局",), ("各乡镇(街道)",)),
    Task(7, CH2, "(二)扩大有效投资", "持续推进工业崛起“5020”工程,力争再引进2个投资超20亿元的工业项目。",
         ("区商务局",), ("上饶高新区", "区工信局")),
)


def register(milestones: Sequence[Milestone] = (), settings: dict[str, str] | None = None) -> Register:
    return Register(
        title="区政府办公室关于印发2021年区政府工作报告重点工作责任分工的通知",
        units=UNITS, tasks=TASKS, rounds=(H1, FY), milestones=tuple(milestones),
        settings=settings if settings is not None else {"督查室": "区政府督查室", "督查室联系人": "陈哲琪",
                                                        "电话": "18879351014"},
    )


def states(reg: Register, rnd: Round, seed: int, texts: Sequence[str] = ()) -> list[EntryState]:
    """One state per expected entry, drawn from `seed`; unit text drawn from `texts` when given."""
    rng = random.Random(seed)
    out: list[EntryState] = []
    words = list(texts) or ["已召开专题调度会,推进项目落地。", "完成年度目标的一半。", "按计划推进中。"]
    for e in reg.expected_entries():
        deadline = rnd.deadline(e.role)
        state = rng.choice(("on_time", "on_time", "on_time", "late", "missing", "incomplete", "invalid"))
        if state == "missing":
            out.append(EntryState(e.task_id, e.unit, e.role, "missing", None, 0, deadline, None, ()))
            continue
        days = rng.randint(1, 9) if state == "late" else 0
        received = datetime.combine(deadline + timedelta(days=days if state == "late" else -rng.randint(0, 5)),
                                    datetime.min.time()) + timedelta(hours=10)
        status = rng.choice(CHOICES)
        content = EntryReport(
            e.task_id, e.unit, e.role, status=status if state != "incomplete" else None, status_raw=status,
            progress=float(rng.choice((0, 30, 50, 80, 100))),
            progress_text=rng.choice(words) if state != "incomplete" else "",
            problems=rng.choice(["", *words]), next_steps=rng.choice(words),
            usable=state != "invalid", complete=state != "incomplete",
        )
        problems: tuple[Problem, ...] = ()
        if state == "invalid":
            problems = (Problem("error", f"完成状态「{rng.choice(words)}」不是可选项", "x.xlsx", "填报", "C5",
                                e.task_id, e.role),)
        elif state == "incomplete":
            problems = (Problem("warning", "「进展情况」未填写", "x.xlsx", "填报", "E5", e.task_id, e.role),)
        out.append(EntryState(e.task_id, e.unit, e.role, state, received, days, deadline,  # type: ignore[arg-type]
                              None if state == "invalid" else content, (f"{e.unit}.xlsx",), problems, 1))
    return out


def previous_content(states_: Sequence[EntryState]) -> dict[tuple[int, str, str], EntryReport]:
    """What `ledger.load_reported` would give for a past round: usable content by key."""
    return {(s.task_id, s.unit, s.role): s.content for s in states_
            if s.content is not None and s.content.usable}


def expand(group: str) -> list[int]:
    """Task numbers of a reminder's `1、5、8至11` (the test's own reading of the phrase)."""
    numbers: list[int] = []
    for part in group.split("、"):
        if "至" in part:
            first, last = (int(x) for x in part.split("至"))
            numbers.extend(range(first, last + 1))
        else:
            numbers.append(int(part))
    return numbers
