"""The `excelflow` command: a thin click layer over the library.

Only this module imports click and reads the clock. Each command parses its options, calls one
library function, prints what the clerk needs to read (in Chinese), and maps `ExcelflowError` to
`Error: …` with exit code 1. Each command imports the library modules it needs inside its own
body: `excelflow --help` and a scheduled `collect` with nothing new then start without loading
the modules of the other commands (openpyxl, xlsxwriter, python-docx, python-calamine), which
would cost several times the start-up (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from excelflow import __version__
from excelflow.errors import ExcelflowError
from excelflow.workspace import Workspace

if TYPE_CHECKING:  # for annotations only: importing it costs start-up
    from click._termui_impl import ProgressBar

EXIT_GAPS = 3  # `--check`: ran fine, but something is missing, late or invalid


class _Command(click.Command):
    """Turns every ExcelflowError into click's `Error: …` on stderr with exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ExcelflowError as exc:
            raise click.ClickException(str(exc)) from exc


class _Group(click.Group):
    command_class = _Command


def _parse_now(value: str | None) -> datetime:
    """`--now` as naive local wall-clock time; offsets are converted to local time first."""
    if value is None:
        return datetime.now().replace(microsecond=0)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"「{value}」不是 ISO 时间,例如 2021-06-16T09:00", param_hint="--now") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone().replace(tzinfo=None)
    return parsed


root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default="当前文件夹",
    help="工作文件夹(可以是共享盘路径,含中文和空格)。",
)
now_option = click.option("--now", "now_text", metavar="ISO-TIME", help="按此时间判断是否逾期(默认:现在),用于补录和测试。")


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="excelflow")
def main() -> None:
    """excelflow:督查室重点工作调度——导入通知、生成填报表、收集汇总、对比通报。"""


@main.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--force", is_flag=True, help="覆盖已有的任务登记表和模板。")
@click.option("--example", is_flag=True, help="放入示例登记表(2021 年广丰区,101 项任务),而不是空白登记表。")
def init_command(directory: Path, force: bool, example: bool) -> None:
    """建立新的工作文件夹:workbooks/(空白登记表、模板)、inbox/、outbox/;之后用 import 导入通知。"""
    from excelflow.register.campaign import init_workspace

    for line in init_workspace(Workspace(directory), force=force, example=example):
        click.echo(line)


@main.command("generate")
@click.option("--round", "round_id", metavar="R", help="轮次,如 2021-H1(见任务登记表「轮次」工作表);--plan 时不需要。")
@root_option
@click.option("--force", is_flag=True, help="覆盖内容有变化的已生成填报表(可能已经发出)。")
@click.option("--now", "now_text", metavar="ISO-TIME", help="记入填报表标识的生成时间(默认:现在)。")
@click.option("--plan", "plan", is_flag=True, help="改为生成落实方案表:每个牵头单位一份,outbox/落实方案/<单位>-落实方案.xlsx。")
def generate_command(round_id: str | None, root: Path, force: bool, now_text: str | None, plan: bool) -> None:
    """为每个单位生成本轮填报表:outbox/R/templates/<单位>.xlsx,以及分发清单。"""
    from excelflow.forms.generate import generate_round
    from excelflow.forms.plans import generate_plans
    from excelflow.register.load import load_register
    from excelflow.runs.prepare import drawing_in_workers, prepare_round

    ws = Workspace(root)
    if plan:
        register = load_register(ws.require_register())
        written = generate_plans(ws, register, _parse_now(now_text))
        click.echo(f"落实方案表文件夹:{ws.plans_dir}")
        click.echo(f"新生成 {len(written)} 个,未变化 {len(register.leads_in_unit_order()) - len(written)} 个。")
        return
    if round_id is None:
        raise click.UsageError("缺少 --round(例如 --round 2021-H1);生成落实方案表请用 --plan。")
    register, previous = prepare_round(ws, round_id)
    units = {e.unit for e in register.expected_entries()}
    with click.progressbar(length=len(units), label="生成填报表", file=sys.stderr,
                           show_pos=True) as bar:
        def advance(done: int, total: int) -> None:
            bar.update(done - bar.pos)

        report = generate_round(ws, register, round_id, force=force, previous=previous,
                                now=_parse_now(now_text), progress=advance, draw=drawing_in_workers(register))
    for warning in report.warnings:
        click.echo(f"提示:{warning}", err=True)
    if not register.office.contact_line():
        click.echo("提示:登记表「设置」表没有督查室联系人和电话,填报表上没有印联系方式;填写后加 --force 重新生成即可印上。",
                   err=True)
    folder = ws.templates_dir(round_id)
    click.echo(f"填报表文件夹:{folder}")
    click.echo(f"新生成 {len(report.written)} 个,未变化 {len(report.unchanged)} 个,"
               f"内容有变化未覆盖 {len(report.would_change)} 个(共 {len(report.units)} 个单位)。")
    if report.would_change:
        click.echo("以下填报表已存在且内容会改变,可能已经发出,未覆盖;确认要重新生成请加 --force:")
        for path in report.would_change:
            click.echo(f"  {path.name}")
    if report.skipped:
        click.echo(f"本轮没有填报任务的单位({len(report.skipped)} 个):{'、'.join(report.skipped)}")
    if report.distribution_list is not None:
        click.echo(f"分发清单:{report.distribution_list}")


@main.command("watch")
@click.option("--every", "every_text", metavar="间隔", help="每隔多久收集一次,如 15m、2h、30s(默认 15m)。")
@click.option("--at", "at_text", metavar="时刻", help="每天在这些时刻收集,如 08:30,17:30(与 --every 二选一)。")
@click.option("--round", "round_id", metavar="R", help="轮次(默认:截止日期离现在最近的轮次)。")
@click.option("--wait", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="工作文件夹被另一个收集进程占用时,最多等待的秒数。")
@root_option
@click.option("--now", "now_text", metavar="ISO-TIME", help="每次收集都按此固定时间判断是否逾期(补录和测试用;默认:每次收集时的当前时间)。")
def watch_command(every_text: str | None, at_text: str | None, round_id: str | None, wait: float, root: Path,
                  now_text: str | None) -> None:
    """无人值守:启动时收集一次,之后按计划反复收集,直到 Ctrl+C 或 SIGTERM。

    推荐的做法是用 Windows 任务计划程序定时运行 `excelflow collect`(重启后仍然有效),
    见 docs/deployment.md。日志在工作文件夹的 .excelflow/excelflow.log。
    """
    from excelflow.runs.passlog import log_path
    from excelflow.runs.watch import Trigger, parse_at, parse_every, stop_on_signals, watch

    if every_text and at_text:
        raise click.UsageError("--every 和 --at 只能选一个。")
    try:
        trigger = Trigger(at=parse_at(at_text)) if at_text else Trigger(every=parse_every(every_text or "15m"))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at" if at_text else "--every") from exc
    fixed_now = None if now_text is None else _parse_now(now_text)
    ws = Workspace(root)
    ws.require_register()
    stop, restore = stop_on_signals()
    click.echo(f"开始值守 {ws.root.resolve()}:{trigger.describe()}。日志:{log_path(ws)}。按 Ctrl+C 停止。")
    try:
        ticks = watch(ws, trigger, round_id=round_id, wait=wait, stop=stop, clock=datetime.now, echo=click.echo,
                      fixed_now=fixed_now)
    except KeyboardInterrupt:
        click.echo("收到第二次停止信号:已放弃当前收集并停止(输出都是整份写入的,不会留下半个文件)。", err=True)
        sys.exit(130)
    finally:
        restore()
    click.echo(f"已停止值守,共收集 {ticks} 次。")


@main.command("import")
@click.argument("notice", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="只把解析结果以 JSON 打印到标准输出,不写任何文件。")
@root_option
@click.option("--force", is_flag=True, help="已有登记表属于另一份通知,或任务与新通知不同(可能有您的修改)时,仍按新通知重写。")
@click.option("--now", "now_text", metavar="ISO-TIME", help="通知没有写年份时,轮次按此时间的年份设置(默认:今年)。")
def import_command(notice: Path, as_json: bool, root: Path, force: bool, now_text: str | None) -> None:
    """导入任务分工通知(.txt、.docx、网页,或 .xlsx/.xls/.ods/.et/.pdf 中的任务表),写出任务登记表 workbooks/register.xlsx。"""
    from excelflow.register.campaign import existing_register, import_notice, import_summary, parse_with

    ws = Workspace(root)
    if as_json:
        base, broken = existing_register(ws)
        if broken is not None:
            click.echo(f"提示:现有登记表无法读取,不用其中的单位和别名解析。{broken}", err=True)
        parsed, _ = parse_with(notice, base)
        click.echo(parsed.json_text())
        return
    for line in import_summary(import_notice(ws, notice, force=force, now=_parse_now(now_text))):
        click.echo(line)


class _LazyBar:
    """A progress bar on stderr that appears only for runs long enough to need one."""

    SHOW_FROM = 20  # files

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: ProgressBar[int] | None = None

    def __call__(self, done: int, total: int) -> None:
        if total < self.SHOW_FROM:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command("collect")
@click.option("--round", "round_id", metavar="R", help="轮次(默认:牵头单位截止日期离现在最近的轮次)。")
@root_option
@now_option
@click.option("--wait", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="工作文件夹被另一个收集进程占用时,最多等待的秒数。")
@click.option("--check", is_flag=True, help="有未报送、逾期或无效的条目时以退出码 3 结束(供计划任务判断)。")
def collect_command(round_id: str | None, root: Path, now_text: str | None, wait: float, check: bool) -> None:
    """收集 inbox/ 中的回报表:存档原件,判定按时/逾期/未报送,写出牵头汇总表、回执和状态文件。"""
    from excelflow.reports.ledger import has_gaps
    from excelflow.runs.mail_pass import answer_after_pass, fetch_before_pass
    from excelflow.runs.summary import summary_lines
    from excelflow.runs.watch import guarded_pass

    ws = Workspace(root)
    ws.require_register()
    now = _parse_now(now_text)
    for line in fetch_before_pass(ws, now):  # a mailbox in the register: new mail into inbox/ first
        click.echo(line)
    bar = _LazyBar("收集回报表")
    try:
        report = guarded_pass(ws, round_id=round_id, now=now, wait=wait, progress=bar)
    finally:
        bar.close()
    for line in summary_lines(report, ws.root):
        click.echo(line)
    for line in answer_after_pass(ws, report, now):
        click.echo(line)
    if check and has_gaps(report.states):
        sys.exit(EXIT_GAPS)


@main.command("status")
@click.option("--round", "round_id", metavar="R", help="轮次(默认:牵头单位截止日期离现在最近的轮次)。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 打印每个条目的状态(round、as_of、entries)。")
@root_option
@now_option
@click.option("--check", is_flag=True, help="有未报送、逾期或无效的条目时以退出码 3 结束。")
def status_command(round_id: str | None, as_json: bool, root: Path, now_text: str | None, check: bool) -> None:
    """显示本轮每个条目的状态(按已收集的报送计算,不扫描 inbox/)。"""
    from excelflow.register.model import nearest_round
    from excelflow.reports.ledger import has_gaps
    from excelflow.reports.state_file import status_json
    from excelflow.runs.passlog import read_last_pass
    from excelflow.runs.status import status_states
    from excelflow.runs.summary import status_lines
    from excelflow.store.pass_cache import PassCache

    ws = Workspace(root)
    now = _parse_now(now_text)
    if round_id is None:
        round_id = nearest_round(PassCache(ws).register(), now).id
    states = status_states(ws, round_id, now)
    if as_json:
        click.echo(status_json(round_id, now, states))
    else:
        for line in status_lines(round_id, now, states):
            click.echo(line)
        for line in read_last_pass(ws).describe():
            click.echo(line)
        _echo_waiting(ws)
    if check and has_gaps(states):
        sys.exit(EXIT_GAPS)


@main.command("demo")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("excelflow-demo"))
@click.option("--now", "now_text", metavar="ISO-TIME",
              help="最后一次收集的时间(默认 2021-06-28T09:00;演示的前几次收集在 6 月 11、15、18、25 日)。")
def demo_command(directory: Path, now_text: str | None) -> None:
    """演示:用 2021 年广丰区示例登记表建工作文件夹,生成半年填报表,模拟各单位报送,收集并汇总。"""
    from excelflow.demo import run_demo

    # The demo keeps its own calendar (June 2021); --now only moves its last pass.
    run_demo(directory, echo=click.echo, last_now=None if now_text is None else _parse_now(now_text))


@main.command("compare")
@click.option("--round", "round_id", metavar="R", help="轮次(默认:牵头单位截止日期离现在最近的轮次)。")
@root_option
@now_option
@click.option("--wait", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="工作文件夹正被收集进程占用时,最多等待的秒数(对比通报与收集使用同一把锁)。")
def compare_command(round_id: str | None, root: Path, now_text: str | None, wait: float) -> None:
    """按已收集的报送写出对比通报、催报提醒和通报草稿(不扫描 inbox/)。"""
    from excelflow.runs.compare import compare_round
    from excelflow.wording import round_name

    ws = Workspace(root)
    ws.require_register()
    now = _parse_now(now_text)
    run = compare_round(ws, round_id, now, wait=wait)
    rnd, figures, written = run.round, run.figures, run.written
    total = figures.link("all").entries
    click.echo(f"{round_name(rnd)}({rnd.id})对比通报,统计截至 {now:%Y-%m-%d}:")
    if total.expected:
        owing = {r.unit for r in figures.chase}
        click.echo(f"  应报 {total.expected} 条,已报 {total.received} 条(报送率 {total.received / total.expected:.1%}),"
                   f"按时 {total.on_time} 条(按时率 {total.on_time / total.expected:.1%});"
                   f"尚欠 {len(figures.chase)} 条,涉及 {len(owing)} 个单位。")
    for path in written:
        note = "(原文件被占用,已另存)" if "原文件被占用" in path.name else ""
        click.echo(f"  已写出 {path}{note}")
    if not written:
        click.echo(f"  与上次相同,未改写:{ws.round_dir(rnd.id)}")
    _echo_waiting(ws)


def _echo_waiting(ws: Workspace) -> None:
    """The register's groups that ask nobody yet: every command says which tasks wait."""
    from excelflow.register.load import waiting_warnings
    from excelflow.store.pass_cache import PassCache

    for line in waiting_warnings(PassCache(ws).register()):
        click.echo(f"提示:{line}")


# -- excelflow mail (docs/mail.md) ------------------------------------------------------------------
def _mail_options(func: Any) -> Any:
    """The mailbox options of every mail command (contract in shared/domain.md)."""
    for option in reversed((
        click.option("--imap", metavar="HOST:PORT", help="收信服务器(覆盖登记表「设置」中的「收信服务器」)。"),
        click.option("--smtp", metavar="HOST:PORT", help="发信服务器(覆盖「发信服务器」)。"),
        click.option("--user", metavar="ACCOUNT", help="邮箱账号(覆盖「邮箱账号」)。密码只从环境变量 "
                                                        "EXCELFLOW_MAIL_PASSWORD 或系统钥匙串读取。"),
        click.option("--security", type=click.Choice(["tls", "starttls", "plain"]),
                     help="加密方式:tls(SSL/TLS)、starttls,或 plain(不加密,只允许连接本机)。"),
        click.option("--wait", type=click.FloatRange(min=0), default=60.0, show_default=True,
                     help="另一个 excelflow 正在使用邮箱时,最多等待的秒数。"),
        root_option,
    )):
        func = option(func)
    return func


def _overrides(imap: str | None, smtp: str | None, user: str | None, security: str | None) -> Any:
    from excelflow.mail.settings import Overrides

    return Overrides(imap=imap, smtp=smtp, user=user, security=security)


@main.group("mail", cls=_Group)
def mail_group() -> None:
    """邮件:发送填报表、收取回报表、发送回执和催报(设置见 docs/mail.md)。"""


def _send_batch(kind: str, root: Path, round_id: str | None, overrides: Any, wait: float, dry_run: bool, yes: bool,
                resend: bool, now_text: str | None) -> None:
    """Plan a batch under the mail lock, show it, confirm, send, and report (exit 1 if some failed)."""
    from excelflow.runs import mail_runs

    ws = Workspace(root)
    ws.require_register()
    now = _parse_now(now_text)
    with mail_runs.holding_mail_lock(ws, wait):
        register, settings = mail_runs.mail_context(ws, overrides)
        if kind == "workbook":
            plan = mail_runs.plan_workbooks(ws, register, settings, round_id, now, resend=resend)
        elif kind == "receipt":
            plan = mail_runs.plan_receipts(ws, register, round_id, now, resend=resend)
        else:
            plan = mail_runs.plan_reminders(ws, register, round_id, now)
        for line in plan.lines(full=dry_run):
            click.echo(line)
        if dry_run:
            click.echo("(预演:以上邮件都没有发送。去掉 --dry-run 才会发送。)")
            return
        if not plan.to_send:
            return
        settings.require_smtp()
        secret = mail_runs.mail_password(settings)  # before asking: a missing password is said first
        if not yes and not click.confirm(f"确认发送以上 {len(plan.to_send)} 封邮件?", default=False):
            click.echo("已取消,没有发送任何邮件。")
            return
        result = mail_runs.deliver(ws, plan, settings, secret, clock=lambda: datetime.now().replace(microsecond=0))
    for line in result.lines():
        click.echo(line)
    if result.failed:
        raise ExcelflowError(f"有 {len(result.failed)} 封邮件未发出(见上面和发送记录);改正后重新运行即可,已发出的不会重复发送。")


@mail_group.command("send")
@click.option("--round", "round_id", metavar="R", help="轮次(默认:截止日期离现在最近的轮次)。")
@_mail_options
@click.option("--dry-run", is_flag=True, help="只显示将发给谁、发什么,不发送。")
@click.option("--yes", is_flag=True, help="不询问,直接发送(用于计划任务)。")
@click.option("--resend", is_flag=True, help="已经发送过的也再发一次。")
@click.option("--now", "now_text", metavar="ISO-TIME", help="信中落款日期(默认:今天)。")
def mail_send_command(round_id: str | None, imap: str | None, smtp: str | None, user: str | None,
                      security: str | None, wait: float, root: Path, dry_run: bool, yes: bool, resend: bool,
                      now_text: str | None) -> None:
    """把本轮各单位的填报表发到登记表「单位」表中的邮箱(按分发清单)。"""
    _send_batch("workbook", root, round_id, _overrides(imap, smtp, user, security), wait, dry_run, yes, resend,
                now_text)


@mail_group.command("receipts")
@click.option("--round", "round_id", metavar="R", help="轮次(默认:截止日期离现在最近的轮次)。")
@_mail_options
@click.option("--dry-run", is_flag=True, help="只显示将发给谁、发什么,不发送。")
@click.option("--yes", is_flag=True, help="不询问,直接发送。")
@click.option("--resend", is_flag=True, help="已经发过回执的也再发一次。")
@now_option
def mail_receipts_command(round_id: str | None, imap: str | None, smtp: str | None, user: str | None,
                          security: str | None, wait: float, root: Path, dry_run: bool, yes: bool, resend: bool,
                          now_text: str | None) -> None:
    """把每份邮件报送的回执发回给发件人(先运行 collect 生成回执)。"""
    _send_batch("receipt", root, round_id, _overrides(imap, smtp, user, security), wait, dry_run, yes, resend,
                now_text)


@mail_group.command("remind")
@click.option("--round", "round_id", metavar="R", help="轮次(默认:截止日期离现在最近的轮次)。")
@_mail_options
@click.option("--dry-run", is_flag=True, help="只显示将发给谁、发什么,不发送。")
@click.option("--yes", is_flag=True, help="不询问,直接发送。")
@now_option
def mail_remind_command(round_id: str | None, imap: str | None, smtp: str | None, user: str | None,
                        security: str | None, wait: float, root: Path, dry_run: bool, yes: bool,
                        now_text: str | None) -> None:
    """给逾期未报、需要补正的单位发催报邮件(每个单位每天最多一封)。"""
    _send_batch("reminder", root, round_id, _overrides(imap, smtp, user, security), wait, dry_run, yes, False,
                now_text)


@mail_group.command("fetch")
@_mail_options
@click.option("--since", metavar="DATE", help="只看这一天以后收到的邮件(默认:第一个截止日期前半年)。")
@now_option
def mail_fetch_command(imap: str | None, smtp: str | None, user: str | None, security: str | None, wait: float,
                       root: Path, since: str | None, now_text: str | None) -> None:
    """收取新邮件:表格附件(含 zip 中的)存入 inbox/邮件/,每封邮件只收一次;之后运行 collect。"""
    from datetime import date

    from excelflow.runs import mail_runs

    ws = Workspace(root)
    ws.require_register()
    try:
        since_day = None if since is None else date.fromisoformat(since)
    except ValueError as exc:
        raise click.BadParameter(f"「{since}」不是日期,例如 2021-06-01", param_hint="--since") from exc
    now = _parse_now(now_text)
    with mail_runs.holding_mail_lock(ws, wait):
        register, settings = mail_runs.mail_context(ws, _overrides(imap, smtp, user, security))
        settings.require_imap()
        report = mail_runs.run_fetch(ws, register, settings, mail_runs.mail_password(settings), now, since=since_day)
    for line in report.lines():
        click.echo(line)
    if report.saved:
        click.echo("下一步:运行 excelflow collect 收集这些表格(接收时间按邮件服务器收到邮件的时间)。")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
