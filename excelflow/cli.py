"""The `excelflow` command: a thin click layer over the library, in Chinese throughout.

Only this module imports click and reads the clock. Each command parses its options, calls one
library function, prints what the clerk needs to read (in Chinese), and maps `ExcelflowError` to
`Error: …` with exit code 1 (the prefix is the contract in shared/domain.md; the message is
Chinese). Each command imports the library modules it needs inside its own body:
`excelflow --help` and a scheduled `collect` with nothing new then start without loading the
modules of the other commands (openpyxl, xlsxwriter, python-docx, python-calamine), which would
cost several times the start-up (see benchmarks/RESULTS.md).

click's own words (usage errors, help frames, placeholders, defaults) are put into Chinese here
too: click looks every message up through `gettext` by the name `_` in each of its modules, and
those names are pointed at `CLICK_WORDS` before any command is defined.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types

from excelflow import __version__
from excelflow.errors import ExcelflowError
from excelflow.wording import parse_moment
from excelflow.workspace import Workspace

if TYPE_CHECKING:  # for annotations only: importing it costs start-up
    from click._termui_impl import ProgressBar

EXIT_GAPS = 3  # `--check`: ran fine, but something due is missing, or late or invalid

# click's messages, as this click version words them, and how the clerk reads them. Placeholders
# keep their names (`{name}` also stands for `{name!r}`). `Error: {message}` stays as it is: it
# is the contract of shared/domain.md (scripts look for it), the message itself is Chinese.
CLICK_WORDS: Mapping[str, str] = {
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "Try '{command} {option}' for help.": "查看帮助:{command} {option}",
    "Invalid value: {message}": "值无效:{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效:{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数:{param_name}",
    "Missing command.": "缺少命令。",
    "No such option {name!r}.": "没有选项 {name}。",
    "No such command {name!r}.": "没有命令 {name}。",
    "Did you mean {possibility}?": "是不是要输入 {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(是不是要输入其中之一:{possibilities}?)",
    "Got unexpected extra argument ({args})": "多余的参数:{args}",
    "Got unexpected extra arguments ({args})": "多余的参数:{args}",
    "Option {name!r} requires an argument.": "选项 {name} 后面要跟一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name} 后面要跟 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name} 后面不带值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name} 要 {nargs} 个值。",
    "Invalid start character for option ({option})": "选项的开头字符不对({option})",
    "Takes {nargs} values but 1 was given.": "要 {nargs} 个值,只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "要 {nargs} 个值,给了 {len} 个。",
    "Value must be an iterable.": "值必须是一组。",
    "Aborted!": "已中止。",
    "default: {default}": "默认:{default}",
    "(dynamic)": "(动态)",
    "required": "必填",
    "env var: {var}": "环境变量:{var}",
    "deprecated": "已弃用",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件「{filename}」:{message}",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name}「{filename}」不存在。",
    "{name} {filename!r} is a file.": "「{filename}」是一个文件,这里要的是{name}。",
    "{name} {filename!r} is a directory.": "「{filename}」是一个文件夹,这里要的是{name}。",
    "{name} {filename!r} is not readable.": "{name}「{filename}」没有读取权限。",
    "{name} {filename!r} is not writable.": "{name}「{filename}」没有写入权限。",
    "{name} {filename!r} is not executable.": "{name}「{filename}」不能执行。",
    "{value!r} is not {choice}.": "「{value}」不是 {choice}。",
    "{value!r} is not one of {choices}.": "「{value}」不是可选值({choices})之一。",
    "Choose from:\n\t{choices}": "可选值:\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "「{value}」不是有效的数字。",
    "{value} is not in the range {range}.": "{value} 不在 {range} 范围内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "「{value}」不是有效的是/否值,可用:{states}",
    "Do you want to continue?": "是否继续?",
    "Confirm the action without prompting.": "不询问,直接执行。",
    "Repeat for confirmation": "请再输入一次确认",
    "Error: The two entered values do not match.": "Error: 两次输入不一致。",
    "Error: invalid input": "Error: 输入无效",
    "Press any key to continue...": "按任意键继续……",
}


def _words(message: str) -> str:
    return CLICK_WORDS.get(message, message)


def _plural_words(singular: str, plural: str, n: int) -> str:
    message = singular if n == 1 else plural
    return CLICK_WORDS.get(message, message)


# Pointed before any command is defined: decorators look some words up when they run.
for _module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui,
                click.types):
    setattr(_module, "_", _words)
    if hasattr(_module, "ngettext"):
        setattr(_module, "ngettext", _plural_words)

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Command(click.Command):
    """Chinese frames, and every ExcelflowError as click's `Error: …` on stderr with exit code 1."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("context_settings", CONTEXT)
        super().__init__(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ExcelflowError as exc:
            raise click.ClickException(str(exc)) from exc


class _Group(click.Group):
    command_class = _Command

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        kwargs.setdefault("context_settings", CONTEXT)
        super().__init__(*args, **kwargs)


def examples(*lines: str) -> str:
    """A help page's closing examples (kept as written: click does not rewrap a `\\b` paragraph)."""
    return "示例:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


# -- option types --------------------------------------------------------------------------------
MOMENT_FORMS = "2021-06-16、2021/6/16、2021年6月16日,可带时刻,如 2021-06-16 09:00、2021-06-16T09:00、2021年6月16日 9时"


class _Moment(click.ParamType[datetime]):
    """A time as the clerk types it: the date forms the register accepts, a time optional, or ISO."""

    name = "时间"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "时间"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        parsed = parse_moment(str(value))
        if parsed is None:
            self.fail(f"「{value}」不是能识别的时间。可以写 {MOMENT_FORMS}。", param, ctx)
        if parsed.tzinfo is not None:  # an offset: the same moment in local wall-clock time
            parsed = parsed.astimezone().replace(tzinfo=None)
        return parsed


class _Seconds(click.ParamType[float]):
    """A number of seconds, zero or more."""

    name = "秒数"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "秒数"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"「{value}」不是秒数,请写一个数字,如 60。", param, ctx)
        if seconds < 0:
            self.fail(f"{value} 秒不能小于 0。", param, ctx)
        return seconds


MOMENT = _Moment()
SECONDS = _Seconds()


def _now(value: datetime | None) -> datetime:
    """`--now` as given, else the clock (naive local wall-clock time)."""
    return value if value is not None else datetime.now().replace(microsecond=0)


root_option = click.option(
    "--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."), metavar="文件夹",
    help="工作文件夹(默认:当前文件夹;可以是共享盘路径,含中文和空格)。",
)
now_option = click.option("--now", type=MOMENT, help=f"按此时间判断是否逾期(默认:现在),用于补录和测试;可写 {MOMENT_FORMS}。")
round_option = click.option(
    "--round", "round_id", metavar="轮次",
    help="轮次编号,如 2021-H1(见任务登记表「轮次」工作表)。不指定时取已生成填报表的轮次中牵头单位截止日期离今天最近的一轮,并说明取了哪一轮。",
)
wait_option = click.option("--wait", type=SECONDS, default=60.0,
                           help="工作文件夹被另一个收集进程占用时,最多等待的秒数(默认:60)。")


@click.group(cls=_Group, epilog=examples("excelflow demo 演示", "excelflow collect --root 督查2021"))
@click.version_option(__version__, "-V", "--version", prog_name="excelflow")
def main() -> None:
    """excelflow:督查室重点工作调度——导入通知、生成填报表、收集汇总、对比通报。

    每个命令的用法和示例:excelflow 命令 --help。
    """


@main.command("init", epilog=examples("excelflow init 督查2021", "excelflow init 示例 --example"))
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."), metavar="[文件夹]")
@click.option("--force", is_flag=True, help="覆盖已有的任务登记表和模板。")
@click.option("--example", is_flag=True, help="放入示例登记表(2021 年广丰区,101 项任务),而不是空白登记表。")
def init_command(directory: Path, force: bool, example: bool) -> None:
    """建立新的工作文件夹:workbooks/(空白登记表、模板)、inbox/、outbox/(默认:当前文件夹);之后用 import 导入通知。"""
    from excelflow.register.campaign import init_workspace

    for line in init_workspace(Workspace(directory), force=force, example=example):
        click.echo(line)


@main.command("generate", epilog=examples("excelflow generate --round 2021-H1 --root 督查2021",
                                           "excelflow generate --plan --root 督查2021"))
@click.option("--round", "round_id", metavar="轮次", help="轮次编号,如 2021-H1(见任务登记表「轮次」工作表);--plan 时不需要。")
@root_option
@click.option("--force", is_flag=True, help="覆盖内容有变化的已生成填报表(可能已经发出)。")
@click.option("--now", type=MOMENT, help="记入填报表标识的生成时间(默认:现在)。")
@click.option("--plan", "plan", is_flag=True, help="改为生成落实方案表:每个牵头单位一份,outbox/落实方案/<单位>-落实方案.xlsx。")
def generate_command(round_id: str | None, root: Path, force: bool, now: datetime | None, plan: bool) -> None:
    """为每个单位生成本轮填报表:outbox/轮次/templates/<单位>.xlsx,以及分发清单。"""
    from excelflow.forms.generate import generate_round
    from excelflow.forms.plans import generate_plans
    from excelflow.register.load import load_register
    from excelflow.runs.prepare import drawing_in_workers, prepare_round

    ws = Workspace(root)
    ws.require_register()
    if plan:
        register = load_register(ws.require_register())
        written = generate_plans(ws, register, _now(now))
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
                                now=_now(now), progress=advance, draw=drawing_in_workers(register))
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


@main.command("watch", epilog=examples("excelflow watch --every 15m --root 督查2021",
                                        "excelflow watch --at 08:30,17:30 --root \"Z:\\督查室\\2021\""))
@click.option("--every", "every_text", metavar="间隔", help="每隔多久收集一次,如 15m、2h、30s(默认 15m)。")
@click.option("--at", "at_text", metavar="时刻", help="每天在这些时刻收集,如 08:30,17:30(与 --every 二选一)。")
@round_option
@wait_option
@root_option
@click.option("--now", type=MOMENT, help="每次收集都按此固定时间判断是否逾期(补录和测试用;默认:每次收集时的当前时间)。")
def watch_command(every_text: str | None, at_text: str | None, round_id: str | None, wait: float, root: Path,
                  now: datetime | None) -> None:
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
    ws = Workspace(root)
    ws.require_register()
    stop, restore = stop_on_signals()
    click.echo(f"开始值守 {ws.root.resolve()}:{trigger.describe()}。日志:{log_path(ws)}。按 Ctrl+C 停止。")
    try:
        ticks = watch(ws, trigger, round_id=round_id, wait=wait, stop=stop, clock=datetime.now, echo=click.echo,
                      fixed_now=now)
    except KeyboardInterrupt:
        click.echo("收到第二次停止信号:已放弃当前收集并停止(输出都是整份写入的,不会留下半个文件)。", err=True)
        sys.exit(130)
    finally:
        restore()
    click.echo(f"已停止值守,共收集 {ticks} 次。")


@main.command("import", epilog=examples("excelflow import 通知.txt --root 督查2021", "excelflow import 通知.docx --json"))
@click.argument("notice", type=click.Path(path_type=Path), metavar="通知文件")
@click.option("--json", "as_json", is_flag=True, help="只把解析结果以 JSON 打印到标准输出,不写任何文件。")
@root_option
@click.option("--force", is_flag=True, help="已有登记表属于另一份通知,或任务与新通知不同(可能有您的修改)时,仍按新通知重写。")
@click.option("--now", type=MOMENT, help="通知没有写年份时,轮次按此时间的年份设置(默认:今年)。")
def import_command(notice: Path, as_json: bool, root: Path, force: bool, now: datetime | None) -> None:
    """导入任务分工通知(.txt、.docx、网页,或 .xlsx/.xls/.ods/.et/.pdf 中的任务表),写出任务登记表 workbooks/register.xlsx。

    --root 指向的文件夹不存在或是空的,就建成一个完整的工作文件夹(workbooks/、inbox/、outbox/);
    是个不相干的非空文件夹则拒绝。导入失败时不留下任何文件。
    """
    from excelflow.register.campaign import existing_register, import_notice, import_summary, parse_with

    ws = Workspace(root)
    if as_json:
        base, broken = existing_register(ws)
        if broken is not None:
            click.echo(f"提示:现有登记表无法读取,不用其中的单位和别名解析。{broken}", err=True)
        parsed, _ = parse_with(notice, base)
        click.echo(parsed.json_text())
        return
    new_folder = _prepare_import_folder(ws)
    existed = ws.root.exists()
    try:
        result = import_notice(ws, notice, force=force, now=_now(now))
    except BaseException:
        if new_folder:  # a whole working folder or none: nothing of a failed import stays
            if existed:  # the folder was empty: take out what the import put in it
                for child in ws.root.iterdir():
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
            else:
                shutil.rmtree(ws.root, ignore_errors=True)
        raise
    if new_folder:
        _complete_working_folder(ws)
    for line in import_summary(result):  # what needs the clerk comes in its first lines
        click.echo(line)
    if new_folder:
        click.echo(f"已新建工作文件夹:{ws.root.resolve()}(workbooks/、inbox/、outbox/)")


def _prepare_import_folder(ws: Workspace) -> bool:
    """Whether `import` makes a new working folder; a WorkspaceError when the root is not one and
    holds other things (a mistyped --root must not become half a working folder)."""
    from excelflow.errors import WorkspaceError

    if ws.is_working_folder():
        return False
    if ws.root.exists() and not ws.root.is_dir():
        raise WorkspaceError(f"{ws.root.resolve()} 是一个文件,不是文件夹。请检查 --root。")
    if ws.root.is_dir() and any(ws.root.iterdir()):
        raise WorkspaceError(
            f"{ws.root.resolve()} 不是 excelflow 工作文件夹(没有 workbooks/register.xlsx),里面已有其他文件,没有改动。"
            "请检查 --root 是否写对;要在这里新建工作文件夹,请先运行 `excelflow init` 或换一个空文件夹。")
    return True


def _complete_working_folder(ws: Workspace) -> None:
    """The folders and the template `init` makes, around a register `import` just wrote."""
    from excelflow.files import atomic_write_bytes
    from excelflow.register.campaign import SHIPPED_TEMPLATE

    for folder in (ws.workbooks, ws.inbox, ws.outbox):
        folder.mkdir(parents=True, exist_ok=True)
    if SHIPPED_TEMPLATE.is_file() and not ws.template_path.exists():
        atomic_write_bytes(ws.template_path, SHIPPED_TEMPLATE.read_bytes())


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


CHECK_HELP = "有已过截止日仍未报的条目,或有逾期、无效的条目时,以退出码 3 结束(供计划任务判断);未到截止日的不算。"


@main.command("collect", epilog=examples("excelflow collect --root 督查2021",
                                          "excelflow collect --round 2021-H1 --now 2021/06/16 --check"))
@round_option
@root_option
@now_option
@wait_option
@click.option("--check", is_flag=True, help=CHECK_HELP)
def collect_command(round_id: str | None, root: Path, now: datetime | None, wait: float, check: bool) -> None:
    """收集 inbox/ 中的回报表:存档原件,判定按时/逾期/未报,写出牵头汇总表、回执和对比通报。"""
    from excelflow.reports.ledger import has_gaps
    from excelflow.runs.collect import start_pass
    from excelflow.runs.mail_pass import answer_after_pass, fetch_before_pass
    from excelflow.runs.summary import summary_lines
    from excelflow.runs.watch import guarded_pass

    ws = Workspace(root)
    ws.require_register()
    at = _now(now)
    start = start_pass(ws)  # the inbox scanned; many new files: the workers start now
    bar = _LazyBar("收集回报表")
    try:
        fetched = fetch_before_pass(ws, at)  # a mailbox in the register: new mail into inbox/ first
        for line in fetched:
            click.echo(line)
        if fetched:
            start.inbox_changed()  # the fetch may have saved files
        report = guarded_pass(ws, round_id=round_id, now=at, wait=wait, progress=bar, start=start)
    finally:
        bar.close()
        start.close()
    for line in summary_lines(report, ws.root):
        click.echo(line)
    for line in answer_after_pass(ws, report, at):
        click.echo(line)
    if check and has_gaps(report.outlines(), at.date()):
        sys.exit(EXIT_GAPS)


@main.command("status", epilog=examples("excelflow status --root 督查2021",
                                         "excelflow status --round 2021-H1 --json --now 2021年6月28日"))
@round_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 打印每个条目的状态(round、as_of、entries)。")
@click.option("--all", "all_units", is_flag=True, help="列出每个单位(默认只列有缺漏的单位,最多 80 个,从最缺的列起)。")
@root_option
@now_option
@click.option("--check", is_flag=True, help=CHECK_HELP)
def status_command(round_id: str | None, as_json: bool, all_units: bool, root: Path, now: datetime | None,
                   check: bool) -> None:
    """显示本轮每个单位的条目状态(按已收集的报送计算,不扫描 inbox/)。"""
    from excelflow.reports.ledger import has_gaps
    from excelflow.reports.state_file import status_json
    from excelflow.runs.passlog import read_last_pass
    from excelflow.runs.status import status_states
    from excelflow.runs.summary import status_lines
    from excelflow.wording import round_with_id

    ws = Workspace(root)
    ws.require_register()
    at = _now(now)
    choice, states = status_states(ws, round_id, at)
    if as_json:
        click.echo(status_json(choice.round.id, at, states))
    else:
        for line in status_lines(round_with_id(choice.round), at, states, "" if choice.asked else choice.reason,
                                 all_units=all_units):
            click.echo(line)
        for line in read_last_pass(ws).describe():
            click.echo(line)
        _echo_waiting(ws)
    if check and has_gaps(states, at.date()):
        sys.exit(EXIT_GAPS)


@main.command("demo", epilog=examples("excelflow demo 演示", "excelflow demo 演示2 --now 2021-07-05T09:00"))
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("excelflow-demo"),
                metavar="[文件夹]")
@click.option("--now", type=MOMENT, help="最后一次收集的时间(默认 2021-06-28T09:00;演示的前几次收集在 6 月 11、15、18、25 日)。")
def demo_command(directory: Path, now: datetime | None) -> None:
    """演示:用 2021 年广丰区登记表建工作文件夹,生成上半年填报表,模拟各单位报送,收集并汇总(默认文件夹 excelflow-demo)。"""
    from excelflow.demo import run_demo

    # The demo keeps its own calendar (June 2021); --now only moves its last pass.
    run_demo(directory, echo=click.echo, last_now=now)


@main.command("compare", epilog=examples("excelflow compare --root 督查2021",
                                          "excelflow compare --round 2021-H1 --now 2021-06-28T09:00"))
@round_option
@root_option
@now_option
@click.option("--wait", type=SECONDS, default=60.0,
              help="工作文件夹正被收集进程占用时,最多等待的秒数(默认:60;对比通报与收集使用同一把锁)。")
def compare_command(round_id: str | None, root: Path, now: datetime | None, wait: float) -> None:
    """按已收集的报送写出对比通报、催报提醒和通报草稿(不扫描 inbox/)。"""
    from excelflow.runs.compare import compare_round
    from excelflow.wording import day, round_with_id

    ws = Workspace(root)
    ws.require_register()
    at = _now(now)
    run = compare_round(ws, round_id, at, wait=wait)
    rnd, figures, written = run.round, run.figures, run.written
    total = figures.link("all").entries
    click.echo(f"{round_with_id(rnd)}对比通报,统计截至 {day(at.date())}:")
    if run.round_reason:
        click.echo(f"  ({run.round_reason})")
    if total.expected:
        owing = {r.unit for r in figures.chase}
        click.echo(f"  任务 {len(figures.tasks)} 项;应报 {total.expected} 条,已报 {total.received} 条"
                   f"(报送率 {total.received / total.expected:.1%}),按时 {total.on_time} 条"
                   f"(按时率 {total.on_time / total.expected:.1%});尚欠 {len(figures.chase)} 条,涉及 {len(owing)} 个单位。")
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
        click.option("--imap", metavar="主机:端口", help="收信服务器(覆盖登记表「设置」中的「收信服务器」)。"),
        click.option("--smtp", metavar="主机:端口", help="发信服务器(覆盖「发信服务器」)。"),
        click.option("--user", metavar="账号", help="邮箱账号(覆盖「邮箱账号」)。密码只从环境变量 "
                                                   "EXCELFLOW_MAIL_PASSWORD 或系统钥匙串读取。"),
        click.option("--security", type=click.Choice(["tls", "starttls", "plain"]), metavar="tls|starttls|plain",
                     help="加密方式:tls(SSL/TLS)、starttls,或 plain(不加密,只允许连接本机)。"),
        click.option("--wait", type=SECONDS, default=60.0,
                     help="另一个 excelflow 正在使用邮箱时,最多等待的秒数(默认:60)。"),
        root_option,
    )):
        func = option(func)
    return func


def _overrides(imap: str | None, smtp: str | None, user: str | None, security: str | None) -> Any:
    from excelflow.mail.settings import Overrides

    return Overrides(imap=imap, smtp=smtp, user=user, security=security)


@main.group("mail", cls=_Group, epilog=examples("excelflow mail send --round 2021-H1 --dry-run --root 督查2021",
                                                 "excelflow mail fetch --root 督查2021"))
def mail_group() -> None:
    """邮件:发送填报表、收取回报表、发送回执和催报(设置见 docs/mail.md)。"""


def _send_batch(kind: str, root: Path, round_id: str | None, overrides: Any, wait: float, dry_run: bool, yes: bool,
                resend: bool, now: datetime | None) -> None:
    """Plan a batch under the mail lock, show it, confirm, send, and report (exit 1 if some failed)."""
    from excelflow.runs import mail_runs

    ws = Workspace(root)
    ws.require_register()
    at = _now(now)
    with mail_runs.holding_mail_lock(ws, wait):
        register, settings = mail_runs.mail_context(ws, overrides)
        if kind == "workbook":
            plan = mail_runs.plan_workbooks(ws, register, settings, round_id, at, resend=resend)
        elif kind == "receipt":
            plan = mail_runs.plan_receipts(ws, register, round_id, at, resend=resend)
        else:
            plan = mail_runs.plan_reminders(ws, register, round_id, at)
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


@mail_group.command("send", epilog=examples("excelflow mail send --round 2021-H1 --dry-run --root 督查2021",
                                             "excelflow mail send --round 2021-H1 --yes --root 督查2021"))
@round_option
@_mail_options
@click.option("--dry-run", is_flag=True, help="只显示将发给谁、发什么,不发送。")
@click.option("--yes", is_flag=True, help="不询问,直接发送(用于计划任务)。")
@click.option("--resend", is_flag=True, help="已经发送过的也再发一次。")
@click.option("--now", type=MOMENT, help="信中落款日期(默认:今天)。")
def mail_send_command(round_id: str | None, imap: str | None, smtp: str | None, user: str | None,
                      security: str | None, wait: float, root: Path, dry_run: bool, yes: bool, resend: bool,
                      now: datetime | None) -> None:
    """把本轮各单位的填报表发到登记表「单位」表中的邮箱(按分发清单)。"""
    _send_batch("workbook", root, round_id, _overrides(imap, smtp, user, security), wait, dry_run, yes, resend, now)


@mail_group.command("receipts", epilog=examples("excelflow mail receipts --round 2021-H1 --dry-run --root 督查2021"))
@round_option
@_mail_options
@click.option("--dry-run", is_flag=True, help="只显示将发给谁、发什么,不发送。")
@click.option("--yes", is_flag=True, help="不询问,直接发送。")
@click.option("--resend", is_flag=True, help="已经发过回执的也再发一次。")
@now_option
def mail_receipts_command(round_id: str | None, imap: str | None, smtp: str | None, user: str | None,
                          security: str | None, wait: float, root: Path, dry_run: bool, yes: bool, resend: bool,
                          now: datetime | None) -> None:
    """把每份邮件报送的回执发回给发件人(先运行 collect 生成回执)。"""
    _send_batch("receipt", root, round_id, _overrides(imap, smtp, user, security), wait, dry_run, yes, resend, now)


@mail_group.command("remind", epilog=examples("excelflow mail remind --round 2021-H1 --dry-run --root 督查2021"))
@round_option
@_mail_options
@click.option("--dry-run", is_flag=True, help="只显示将发给谁、发什么,不发送。")
@click.option("--yes", is_flag=True, help="不询问,直接发送。")
@now_option
def mail_remind_command(round_id: str | None, imap: str | None, smtp: str | None, user: str | None,
                        security: str | None, wait: float, root: Path, dry_run: bool, yes: bool,
                        now: datetime | None) -> None:
    """给逾期未报、需要补正的单位发催报邮件(每个单位每天最多一封)。"""
    _send_batch("reminder", root, round_id, _overrides(imap, smtp, user, security), wait, dry_run, yes, False, now)


@mail_group.command("fetch", epilog=examples("excelflow mail fetch --root 督查2021",
                                              "excelflow mail fetch --since 2021-06-01 --root 督查2021"))
@_mail_options
@click.option("--since", type=MOMENT, help="只看这一天以后收到的邮件(默认:第一个截止日期前半年)。")
@now_option
def mail_fetch_command(imap: str | None, smtp: str | None, user: str | None, security: str | None, wait: float,
                       root: Path, since: datetime | None, now: datetime | None) -> None:
    """收取新邮件:表格附件(含 zip 中的)存入 inbox/邮件/,每封邮件只收一次;之后运行 collect。"""
    from excelflow.runs import mail_runs

    ws = Workspace(root)
    ws.require_register()
    at = _now(now)
    with mail_runs.holding_mail_lock(ws, wait):
        register, settings = mail_runs.mail_context(ws, _overrides(imap, smtp, user, security))
        settings.require_imap()
        report = mail_runs.run_fetch(ws, register, settings, mail_runs.mail_password(settings), at,
                                     since=None if since is None else since.date())
    for line in report.lines():
        click.echo(line)
    if report.saved:
        click.echo("下一步:运行 excelflow collect 收集这些表格(接收时间按邮件服务器收到邮件的时间)。")


def commands() -> Mapping[str, click.Command]:
    """Every command of `excelflow`, by name (the help tests walk them)."""
    return dict(main.commands)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
