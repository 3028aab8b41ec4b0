"""Parsing returns in worker processes: what a unit sends can crash a worker, never the pass.

A pass hands every file it has archived to a `WorkerPool`: a few processes (one per core by
default) running `parse_worker.py`, each confined to `MEMORY_LIMIT` bytes of address space. A
native reader that aborts on a crafted file, an allocation the limit refuses, or a parse that
runs past `TIMEOUT` ends only that worker: the pool starts a fresh one and gives the file a
second try there; a file that ends a worker twice is *quarantined* (rejected with the reason,
never read again), and the pass goes on with the next file.

`parse_many` takes the jobs lazily and yields one `Submission` per job in the jobs' order, so
the outputs are the same as a single process's whatever the number of workers; a job whose
`ready` result is already known (a file judged without a reader) passes straight through. At
most `workers × DEPTH + 1` jobs, and `HELD_BYTES` of files (or one file over it), are held at
once, so the parent's memory stays bounded.

The same workers then draw the pass's receipts and rollups (`render_many`: the data of each
output as JSON in, the workbook's bytes out, in the jobs' order), so a pass with a thousand
returns uses every core for its outputs too. Drawing is fed from a thread of this process, so
this process makes what it alone makes (the state file, the comparison) while the workers draw
(a round's jobs are all made first: `round_outputs`).
Drawing is deterministic: the bytes are those one process draws (`render_in_process`; tested). A worker that dies while drawing is replaced and the
output drawn again; a second death is an error of excelflow (`RenderFailed`), not of a file.

Each worker is given up to `DEPTH` jobs at a time (`RENDER_DEPTH` outputs), so it starts the next
as soon as it answers while this process is busy with the answer (archiving, writing an output):
a worker never waits for the parent. The queued jobs wait in the worker's input pipe (grown to
`PIPE_BYTES` where the system allows), and never more than fits: a job that would not waits for a
worker with room, so this process never blocks on a full pipe. A worker that dies answers for its
oldest job only; the ones queued behind it go to a fresh worker without counting against them.

The threads of this process that talk to the workers (one reader per worker, the feeder) share
the interpreter lock with a main thread that computes for seconds at a time (the comparison, the
通报): each read or write of a pipe gives the lock up and may wait Python's switch interval (5 ms)
to get it back. So a reader takes everything a pipe holds in one read and splits it into frames,
and the jobs handed to a worker at once go in one write; read frame by frame, the answers of a
city's first collect came slower than the two workers drew, and they stood half idle.

Measured here (2 cores, `benchmarks/bench_workers.py`): starting a worker costs ~0.2 s once per
pass with new files; each file then costs ~0.5 ms more than parsing it in the parent (sending its
bytes, the JSON of its parse back). A pass with many new files starts its workers before it loads
the register (`EarlyWorkers`), so that start-up overlaps this process's own.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import excelflow
from excelflow.errors import ExcelflowError
from excelflow.files import json_dumps, shown
from excelflow.forms.campaign_key import CampaignKey
from excelflow.intake.records import Problem, Submission
from excelflow.register.model import Register
from excelflow.runs.parse_worker import EARLY_IMPORTS, LENGTH_BYTES, framed, take_frames
from excelflow.store.archive_format import submission_from_json
from excelflow.store.pass_cache import register_json

# One file's parse may use at most this much address space. The declared-size checks keep any
# file intake accepts to a few hundred MB (docs/hostile-input.md has the figures); this is the
# backstop for what they do not foresee.
MEMORY_LIMIT = 1024 * 1024 * 1024
TIMEOUT = 120.0  # seconds one file may take in a worker (a 30 MB workbook parses in a few)
ATTEMPTS = 2  # a file that ends its worker this many times is quarantined
# Files handed to a parsing worker at once. While this process commits a batch of parses (a sync,
# then a record and a parse written per file: ~20 ms for 32 files) each worker goes on with the
# files queued in its pipe; with 2 it stood idle for part of every commit (vmstat: 13-24 % of the
# two cores idle during intake).
DEPTH = 8
# Outputs handed to a drawing worker at once: its feeder thread waits for this process's other
# work to let it run (up to Python's 5 ms switch interval, and the comparison and the 通报 keep
# this process busy for seconds), so a worker holds many outputs (~0.1 s of drawing; a few KB of
# rows each). With 4, the two workers of a city's first collect drew at 0.3–0.5 of a core each
# while this process made the comparison; 16 made the collect 7 % faster (64: no better).
RENDER_DEPTH = 16
# Jobs queued behind a worker's current one wait in its input pipe, which this process never
# lets fill (a full pipe would hold this process until the worker reads, and a worker stuck on a
# file would hold it for good). Linux lets a pipe grow to 1 MiB without privileges
# (`fs.pipe-max-size`), else it holds 64 KiB; a pipe holds 16 KiB on macOS before it grows, and
# an anonymous pipe on Windows 4 KiB (there a return waits for an idle worker).
PIPE_BYTES = 1024 * 1024
READ_BYTES = 1024 * 1024  # what a reader thread takes from a worker's pipe at once (all it holds)
_PIPE_DEFAULT = 64 * 1024 if sys.platform.startswith("linux") else 4096 if sys.platform == "win32" else 16 * 1024
# The files in this process's hand at once (read, waiting for a worker or its answer): a few
# hundred returns' worth, or one file over it (a photo-laden workbook of up to 30 MB).
HELD_BYTES = 4 * 1024 * 1024
_STDERR_TAIL = 4096


class WorkerStartError(ExcelflowError):
    """A worker process could not even start (the installation, not a file, is at fault)."""


class RenderFailed(ExcelflowError):
    """Drawing an output failed in a worker (excelflow's own data: a fault of excelflow)."""


class _PoolClosed(Exception):
    """The pool was closed while a thread was still feeding it (the caller gave up)."""


@dataclass(frozen=True)
class ParseJob:
    """One file to parse: its bytes, inbox path and receipt time; `ready` if already judged."""

    data: bytes
    path: str
    received_at: datetime
    stale_pending: bool = False
    ready: Submission | None = None


@dataclass(frozen=True)
class RenderJob:
    """One output to draw in a worker: `kind` (`receipt`, `rollup`: see `parse_worker.render`)
    and its data as JSON; the answer is the workbook's bytes."""

    kind: str
    args: dict[str, Any]
    name: str = ""  # what the output is, for an error message


Job = ParseJob | RenderJob


@dataclass(frozen=True)
class WorkerDeath:
    """How a worker ended while parsing a file (for the log and the quarantine message)."""

    returncode: int | None
    timed_out: bool
    stderr: str
    limit: int = MEMORY_LIMIT
    timeout: float = TIMEOUT

    def describe(self) -> str:
        """Chinese: what happened, as far as the clerk needs to know."""
        if self.timed_out:
            return f"读取超过 {self.timeout:.0f} 秒仍未结束"
        if "memory allocation" in self.stderr or "MemoryError" in self.stderr:
            return f"读取需要的内存超过上限 {self.limit // 1048576} MB"
        code = self.returncode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"读取程序异常中止({name})"
        return f"读取程序异常退出(退出码 {code})"


QUARANTINE_MESSAGE = ("此文件在读取时 {times} 次使读取程序异常退出({reason}),已隔离:原件已存档,不再读取。"
                      "请让填报单位用 Excel 或 WPS 打开后另存为新的 .xlsx 再报送;如仍如此,请把此文件交给技术支持。")


def quarantined(job: ParseJob, deaths: list[WorkerDeath]) -> Submission:
    """The judgement of a file that ended its worker `ATTEMPTS` times: rejected, with the reason."""
    import hashlib

    message = QUARANTINE_MESSAGE.format(times=len(deaths), reason=deaths[-1].describe())
    return Submission(path=job.path, sha256=hashlib.sha256(job.data).hexdigest(), size=len(job.data),
                      received_at=job.received_at, outcome="rejected",
                      problems=(Problem("error", message, job.path),))


class _Worker:
    """One worker process and the thread that reads its replies into the pool's queue."""

    def __init__(self, command: list[str], env: dict[str, str], setup: bytes,
                 replies: queue.Queue[tuple[_Worker, dict[str, Any] | None]],
                 proc: subprocess.Popen[bytes] | None = None) -> None:
        """A new process running `command`, or `proc` (started early, waiting for its setup)."""
        self.proc = proc if proc is not None else _start(command, env)
        self.jobs: deque[int] = deque()  # sent, not answered yet; the worker works on the first
        self.deadline = 0.0  # for the first job
        self.stderr = bytearray()
        self.dead = False
        self.ready = False  # it loaded the register and confined itself: a death now is a file's doing
        assert self.proc.stdin is not None and self.proc.stdout is not None and self.proc.stderr is not None
        self._stdin: IO[bytes] = self.proc.stdin
        self.pipe_bytes = _grow_pipe(self._stdin)  # what may wait in its input unread
        # Its replies too: a worker writes a drawn workbook (10-30 KB) and goes on to the next
        # while this process's reader thread waits its turn for the interpreter (this process's
        # main thread may be writing the comparison meanwhile), rather than blocking on a full pipe.
        _grow_pipe(self.proc.stdout)
        threading.Thread(target=self._read, args=(self.proc.stdout, replies), daemon=True).start()
        self._drainer = threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True)
        self._drainer.start()
        self.send(setup)

    def send(self, *payloads: bytes) -> bool:
        """`payloads` as frames, in one write (every job `_dispatch` hands this worker at once)."""
        try:
            self._stdin.write(framed(*payloads))
            self._stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False  # it died: the reader thread reports it

    def _read(self, stream: IO[bytes], replies: queue.Queue[tuple[_Worker, dict[str, Any] | None]]) -> None:
        """Put each reply in `replies`, (self, None) at the end. Everything the pipe holds is read
        at once and split into frames here: each read gives the interpreter lock up and takes it
        back, which costs up to Python's switch interval (5 ms) while this process's main thread
        computes, and reading frame by frame the workers' answers came slower than they drew."""
        fd = stream.fileno()
        buffer = bytearray()
        answer: dict[str, Any] | None = None  # a drawn output's answer, its bytes in the next frame
        while True:
            try:
                chunk = os.read(fd, READ_BYTES)
            except OSError:
                chunk = b""
            if not chunk:
                replies.put((self, None))  # the end (an answer without its bytes: a cut output)
                return
            buffer += chunk
            for frame in take_frames(buffer):
                try:
                    if answer is not None:
                        if len(frame) != answer["size"]:
                            raise ValueError("cut output")
                        answer["data"], reply, answer = frame, answer, None
                    else:
                        reply = json.loads(frame)
                        if isinstance(reply, dict) and isinstance(reply.get("size"), int):
                            answer = reply  # a drawn output's bytes follow their answer
                            continue
                except ValueError:
                    replies.put((self, None))
                    return
                replies.put((self, reply))

    def _drain(self, stream: IO[bytes]) -> None:
        try:
            while chunk := stream.read(4096):
                self.stderr += chunk
                if len(self.stderr) > 2 * _STDERR_TAIL:  # keep the first words and the last
                    del self.stderr[_STDERR_TAIL // 2: -_STDERR_TAIL]
        except (OSError, ValueError):
            pass

    def death(self, timed_out: bool) -> WorkerDeath:
        self.stop()
        return WorkerDeath(self.proc.returncode, timed_out, self.stderr.decode("utf-8", "replace"))

    def __repr__(self) -> str:
        return f"<worker {self.proc.pid}>"

    def stop(self) -> None:
        self.dead = True
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - an unkillable process
            pass
        self._drainer.join(timeout=2)  # its last words (a native abort's message) before the pipe closes
        _close_pipes(self.proc)

    def ask_to_end(self) -> None:
        """EOF on its input: it ends after its current job (`close` makes sure it did)."""
        try:
            self._stdin.close()
        except OSError:
            pass

    def close(self) -> None:
        """Ask it to end, then make sure it did."""
        self.ask_to_end()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.stop()


def pool_size(workers: int | None) -> int:
    """The worker processes a pool runs: `workers`, by default one per core."""
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _default_command(memory_limit: int) -> list[str]:
    return [sys.executable, "-m", "excelflow.runs.parse_worker", str(memory_limit)]


def _worker_env() -> dict[str, str]:
    # The workers import this very excelflow (a worktree, a zip app), not another one on the path.
    package_parent = str(Path(excelflow.__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (package_parent, os.environ.get("PYTHONPATH", "")) if p),
        "RUST_BACKTRACE": "0"}  # a native abort's one-line reason, not pages of backtrace


class EarlyWorkers:
    """Parsing workers started before a pass knows its register, to be adopted by its pool.

    A pass with many new files starts its workers first thing: each imports the readers (told
    so by `EARLY_IMPORTS` in its environment) while this process loads the register and its
    own modules, then waits for its setup. Started when the pool first needed them, the workers
    took ~0.2 s to be ready while this process, its first files read, waited (a city's first
    collect: 0.4 s of one core of two, on a slow morning). A `WorkerPool` given these adopts
    them as it needs workers; those it does not adopt end when this object is closed.
    """

    def __init__(self, count: int) -> None:
        """Start `count` workers; an `OSError` (no process could be started) leaves none running."""
        env = {**_worker_env(), EARLY_IMPORTS: "1"}
        self._procs: deque[subprocess.Popen[bytes]] = deque()
        self.adopted = 0
        try:
            for _ in range(count):
                self._procs.append(_start(_default_command(MEMORY_LIMIT), env))
        except OSError:
            self.close()
            raise

    def take(self) -> subprocess.Popen[bytes] | None:
        """A started worker still running, for a pool to adopt (None when there is none left)."""
        while self._procs:
            proc = self._procs.popleft()
            if proc.poll() is None:
                self.adopted += 1
                return proc
            _end(proc)  # it could not even start: the pool starts its own, and says why if it fails too
        return None

    def close(self) -> None:
        """End the workers nobody adopted (EOF on their input: they exit after their imports)."""
        while self._procs:
            _end(self._procs.popleft())

    def __enter__(self) -> EarlyWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass


def _end(proc: subprocess.Popen[bytes]) -> None:
    """End a worker that was given no job: EOF on its input, then wait for it to exit."""
    _close_pipes(proc)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a worker stuck in its imports
        proc.kill()
        proc.wait()


def _held(job: Job) -> int:
    return len(job.data) if isinstance(job, ParseJob) else 0


def _grow_pipe(stream: IO[bytes]) -> int:
    """Ask for a `PIPE_BYTES` pipe (Linux); the capacity it has."""
    if not sys.platform.startswith("linux"):
        return _PIPE_DEFAULT
    try:
        import fcntl

        set_size = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Python 3.10+ names it
        return int(fcntl.fcntl(stream.fileno(), set_size, PIPE_BYTES))
    except (ImportError, OSError, ValueError):
        return _PIPE_DEFAULT


@dataclass
class _Slot:
    job: Job
    deaths: list[WorkerDeath] = field(default_factory=list)
    result: Submission | bytes | None = None
    size: int = 0  # the bytes of its frames, once sent


class WorkerPool:
    """Worker processes parsing returns against one register (see the module's note).

    Use as a context manager: workers are started when the first file needs one and always
    stopped on exit, whatever happened (a lost lock, an interrupt).
    """

    def __init__(self, register: Register, *, campaign: CampaignKey | None = None, workers: int | None = None,
                 memory_limit: int = MEMORY_LIMIT, timeout: float = TIMEOUT,
                 program: list[str] | None = None,
                 on_death: Callable[[ParseJob, WorkerDeath], None] | None = None, parses: bool = True,
                 early: EarlyWorkers | None = None) -> None:
        """`program` runs a worker (the memory limit is its last argument); tests give their own.
        `parses=False`: the workers only draw (they do not load the readers). `early`: workers
        started before the register was known, adopted first (only by a parsing pool running
        the usual worker with the usual limit)."""
        self.register = register
        self.size = pool_size(workers)
        self.timeout = timeout
        self.on_death = on_death
        self.memory_limit = memory_limit
        self._command = [*program, str(memory_limit)] if program else _default_command(memory_limit)
        self._early = early if early is not None and parses and not program and memory_limit == MEMORY_LIMIT else None
        setup: dict[str, Any] = {"register": register_json(register), "parses": parses}
        if campaign is not None:
            setup["campaign"] = campaign.to_json()
        self._setup = json_dumps(setup).encode("utf-8")
        self._env = _worker_env()
        self._replies: queue.Queue[tuple[_Worker, dict[str, Any] | None]] = queue.Queue()
        self._workers: list[_Worker] = []
        self.started = 0  # worker processes started (a measure of overhead, and of deaths)
        self._closed = False
        self._feeder: threading.Thread | None = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker (each is asked first, so they all end at once: a worker's exit, its
        interpreter tearing down, takes ~50 ms). Closing a closed pool does nothing."""
        self._closed = True  # a feeding thread still running starts no other worker
        for worker in self._workers:
            worker.ask_to_end()
        for worker in list(self._workers):
            worker.close()
        if self._feeder is not None:
            self._feeder.join(timeout=30)
            self._feeder = None
        self._workers.clear()

    def let_go(self) -> None:
        """Ask every worker to end, without waiting: they exit while this process finishes its
        pass; `close` (on leaving the pool) makes sure they did. Nothing is sent to the pool after."""
        self._closed = True
        for worker in self._workers:
            worker.ask_to_end()

    def parse_many(self, jobs: Iterable[ParseJob]) -> Iterator[Submission]:
        """One `Submission` per job, in the jobs' order (see the module's note)."""
        for result in self._ordered(jobs):
            assert isinstance(result, Submission)
            yield result

    def render_many(self, jobs: Iterable[RenderJob]) -> Iterator[bytes]:
        """The bytes of each output, in the jobs' order (see the module's note).

        The workers start drawing at once, fed by a thread of this process, while the caller does
        other work; the pool is not used for anything else until the bytes are all taken."""
        results: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        def feed() -> None:
            try:
                for result in self._ordered(jobs, RENDER_DEPTH, stop):
                    results.put(("drawn", result))
                results.put(("end", None))
            except _PoolClosed:
                results.put(("end", None))
            except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
                results.put(("error", exc))

        self._feeder = threading.Thread(target=feed, name="excelflow-drawing", daemon=True)
        self._feeder.start()
        return self._taken(results, stop)

    def _taken(self, results: queue.Queue[tuple[str, Any]], stop: threading.Event) -> Iterator[bytes]:
        try:
            while True:
                kind, value = results.get()
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                assert isinstance(value, bytes)
                yield value
        finally:
            stop.set()  # the caller stopped taking (an error): feed no more
            feeder, self._feeder = self._feeder, None
            if feeder is not None:
                feeder.join()

    def _ordered(self, jobs: Iterable[Job], depth: int = DEPTH,
                 stop: threading.Event | None = None) -> Iterator[Submission | bytes]:
        source = iter(jobs)
        slots: dict[int, _Slot] = {}
        todo: deque[int] = deque()  # slots waiting for a worker (retries first)
        next_in = next_out = 0
        held = 0  # bytes of the files in hand
        exhausted = False
        while True:
            if stop is not None and stop.is_set():
                for worker in [w for w in self._workers if w.jobs]:
                    worker.stop()  # answers nobody will take must not reach a later call
                return
            # Take jobs while a worker could use one, keeping at most size × depth + 1 in hand, and
            # files of more than `HELD_BYTES` together one at a time.
            while not exhausted and len(slots) <= self.size * depth and (not slots or held < HELD_BYTES):
                try:
                    job = next(source)
                except StopIteration:
                    exhausted = True
                    break
                ready = job.ready if isinstance(job, ParseJob) else None
                slots[next_in] = _Slot(job, result=ready)
                held += _held(job)
                if ready is None:
                    todo.append(next_in)
                next_in += 1
            while next_out in slots and slots[next_out].result is not None:
                done = slots.pop(next_out)
                held -= _held(done.job)
                next_out += 1
                assert done.result is not None
                yield done.result
                continue
            if exhausted and not slots:
                return
            self._dispatch(slots, todo, depth)
            if not any(w.jobs for w in self._workers):
                continue  # nothing running: the next round takes more jobs or yields
            self._collect(slots, todo)

    def _dispatch(self, slots: dict[int, _Slot], todo: deque[int], depth: int) -> None:
        """Hand the waiting jobs to workers with room for them, each worker's in one write (a
        write gives the interpreter lock up, and takes up to 5 ms to get it back)."""
        outgoing: dict[_Worker, list[bytes]] = {}
        try:
            self._assign(slots, todo, depth, outgoing)
        finally:
            for worker, frames in outgoing.items():
                worker.send(*frames)  # if it died, its reader thread reports it: the jobs are retried from there

    def _assign(self, slots: dict[int, _Slot], todo: deque[int], depth: int,
                outgoing: dict[_Worker, list[bytes]]) -> None:
        while todo:
            worker = self._idle_worker(depth)
            if worker is None:
                return
            index = todo.popleft()
            job = slots[index].job
            if isinstance(job, ParseJob):
                head = json_dumps({"id": index, "path": job.path, "received_at": job.received_at.isoformat(),
                                   "stale": job.stale_pending}).encode("utf-8")
                payload = job.data
            else:
                head = json_dumps({"id": index, "render": job.kind}).encode("utf-8")
                payload = json_dumps(job.args).encode("utf-8")
            size = len(head) + len(payload) + 2 * LENGTH_BYTES  # its two frames
            waiting = sum(slots[i].size for i in worker.jobs if i in slots)  # at most, unread in its pipe
            if worker.jobs and waiting + size > worker.pipe_bytes:
                todo.appendleft(index)  # it waits for a worker with room in its pipe: its bytes
                return                  # would fill the pipe and hold this process until read
            slots[index].size = size
            if not worker.jobs:
                worker.deadline = time.monotonic() + self.timeout
            worker.jobs.append(index)
            outgoing.setdefault(worker, []).extend((head, payload))

    def _idle_worker(self, depth: int) -> _Worker | None:
        """A worker with room for one more job: the least busy, or a new one while there is none."""
        if self._closed:
            raise _PoolClosed
        self._workers = [w for w in self._workers if not w.dead]
        free = [w for w in self._workers if not w.jobs]
        if free:
            return free[0]
        if len(self._workers) < self.size:
            worker = _Worker(self._command, self._env, self._setup, self._replies,
                             self._early.take() if self._early is not None else None)
            self.started += 1
            self._workers.append(worker)
            return worker
        queued = [w for w in self._workers if len(w.jobs) < depth]
        return min(queued, key=lambda w: len(w.jobs)) if queued else None

    def _collect(self, slots: dict[int, _Slot], todo: deque[int]) -> None:
        """Wait for one reply, death or timeout, and record what it means."""
        busy = [w for w in self._workers if w.jobs]
        wait = max(min(w.deadline for w in busy) - time.monotonic(), 0.0)
        try:
            worker, reply = self._replies.get(timeout=wait)
        except queue.Empty:
            now = time.monotonic()
            for late in [w for w in busy if w.deadline <= now]:
                self._lost(late, slots, todo, late.death(timed_out=True))
            return
        if worker.dead:
            return  # a worker already handled (killed for a timeout)
        if reply is not None and reply.get("ready") is True:
            worker.ready = True
            return
        if reply is None and not worker.ready:
            death = worker.death(timed_out=False)
            raise WorkerStartError(
                f"无法启动读取进程(退出码 {death.returncode}),本次收集未读取任何新文件。请检查 excelflow 的安装"
                f"(详见日志)。{shown(death.stderr.strip().splitlines()[-1]) if death.stderr.strip() else ''}")
        if not worker.jobs:
            return  # idle and exiting
        if reply is None:
            self._lost(worker, slots, todo, worker.death(timed_out=False))
            return
        index = worker.jobs[0]
        slot = slots.get(index)
        if slot is None or reply.get("id") != index:
            self._lost(worker, slots, todo, worker.death(timed_out=False))
            return
        result = self._result(reply, slot.job)
        if result is None:  # no answer (the worker ran out of memory in Python): like a death, in a fresh worker
            death = worker.death(timed_out=False)
            if reply.get("error") == "memory":
                death = replace(death, stderr=death.stderr + "\nMemoryError")
            elif isinstance(reply.get("error"), str):
                death = replace(death, stderr=death.stderr + "\n" + reply["error"])
            self._lost(worker, slots, todo, death)
            return
        worker.jobs.popleft()
        if worker.jobs:
            worker.deadline = time.monotonic() + self.timeout  # the next job starts now
        slot.result = result

    def _lost(self, worker: _Worker, slots: dict[int, _Slot], todo: deque[int], death: WorkerDeath) -> None:
        """`worker` died (or was stopped): its oldest job counts a death; the jobs queued behind it
        did nothing wrong and go back first in line."""
        death = replace(death, limit=self.memory_limit, timeout=self.timeout)
        queued, worker.jobs = list(worker.jobs), deque()
        if not queued:
            return
        index, innocent = queued[0], [i for i in queued[1:] if i in slots]
        todo.extendleft(reversed(innocent))
        if index not in slots:
            return
        slot = slots[index]
        slot.deaths.append(death)
        if isinstance(slot.job, RenderJob):
            if len(slot.deaths) >= ATTEMPTS:
                raise RenderFailed(f"生成输出文件{slot.job.name}时处理进程 {len(slot.deaths)} 次异常退出"
                                   f"({death.describe()})。请把日志交给技术支持。")
            todo.appendleft(index)
            return
        if self.on_death is not None:
            self.on_death(slot.job, death)
        if len(slot.deaths) >= ATTEMPTS:
            from excelflow.intake.read import attribute_rejected

            slot.result = attribute_rejected(quarantined(slot.job, slot.deaths), self.register)
        else:
            todo.appendleft(index)  # a second try, in a fresh worker

    @classmethod
    def _result(cls, reply: dict[str, Any], job: Job) -> Submission | bytes | None:
        if isinstance(job, ParseJob):
            return cls._submission(reply, job)
        data = reply.get("data")
        return data if isinstance(data, bytes) else None

    @staticmethod
    def _submission(reply: dict[str, Any], job: ParseJob) -> Submission | None:
        raw = reply.get("submission")
        if not isinstance(raw, dict):
            return None
        try:
            sub = submission_from_json(raw)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        # The worker answers for these very bytes and this path, nothing else.
        return replace(sub, path=job.path, size=len(job.data), received_at=job.received_at)


def render_in_process(register: Register, jobs: Iterable[RenderJob], campaign: CampaignKey | None = None
                      ) -> Iterator[bytes]:
    """What `render_many` yields, drawn in this process (few outputs: not worth starting workers)."""
    from excelflow.runs.parse_worker import render

    for job in jobs:
        yield render(job.kind, job.args, register, campaign)


def parse_in_process(register: Register, jobs: Iterable[ParseJob], campaign: CampaignKey | None = None
                     ) -> Iterator[Submission]:
    """The same results without workers (a baseline for `benchmarks/`, and for tools reading
    trusted files): no containment, no memory limit."""
    from excelflow.intake.read import read_return

    for job in jobs:
        if job.ready is not None:
            yield job.ready
        else:
            yield read_return(job.data, job.path, job.received_at, register, stale_pending=job.stale_pending,
                              campaign=campaign)
