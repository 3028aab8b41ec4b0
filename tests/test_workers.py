"""The worker pool with real worker processes: results in input order and equal to a parse in
one process, whatever the number of workers; a file that aborts its worker (a native abort, an
allocation refused by the memory limit, a parse that never ends) is tried again in a fresh worker,
then quarantined with the reason, and the files after it are parsed as usual."""

from __future__ import annotations

import io
import sys
import threading
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from corpus_maker import MAKE

from excelflow.intake.records import Submission
from excelflow.reports.ledger import round_states, states_by_key
from excelflow.reports.receipts import make_receipt, receipt_to_json
from excelflow.reports.rollup import rollup_rows, rows_to_json
from excelflow.runs.workers import (
    DEPTH,
    HELD_BYTES,
    ParseJob,
    RenderFailed,
    RenderJob,
    WorkerPool,
    WorkerStartError,
    parse_in_process,
    render_in_process,
)

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
UNCHECKED = Path(__file__).resolve().parent / "unchecked_worker.py"
RECEIVED = datetime(2021, 6, 14, 9, 0)




FILES = ["区交通局-上半年报送.xlsx", "merged-cells-saved-by-libreoffice.xls", "sheets-renamed-and-reordered-saved-by-libreoffice.ods",
         "word-document-renamed.xlsx", "zip-bomb.xlsx", "text-in-number-columns.xlsx", "plan-returned-区交通局.xlsx",
         "last-years-workbook-2020-H1.xlsx", "password-protected-encrypted.xlsx"]


def jobs() -> list[ParseJob]:
    out = [ParseJob((CORPUS / name).read_bytes(), f"单位/{name}", RECEIVED) for name in FILES]
    ready = Submission(path="judged.pdf", sha256="0" * 64, size=3, received_at=RECEIVED, outcome="rejected")
    out.insert(3, ParseJob(b"%PDF", "judged.pdf", RECEIVED, ready=ready))
    return out


def far_cell(data: bytes) -> bytes:
    """The workbook with one value at XFD1048576: the reader asks for 512 GB."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
            z.writestr(info.filename, part)
    return out.getvalue()


@pytest.mark.parametrize("workers", [1, 2])
def test_results_come_in_input_order_and_equal_a_parse_in_one_process(workers: int) -> None:
    expected = list(parse_in_process(MAKE.REGISTER, jobs(), MAKE.CORPUS_KEY))
    with WorkerPool(MAKE.REGISTER, campaign=MAKE.CORPUS_KEY, workers=workers) as pool:
        got = list(pool.parse_many(iter(jobs())))
        started = pool.started
    assert got == expected
    assert [s.path for s in got] == [j.path for j in jobs()]
    assert started == workers  # no worker died, none was restarted


def test_a_file_that_ends_its_worker_twice_is_quarantined_and_the_pass_goes_on(tmp_path: Path) -> None:
    good = (CORPUS / "区交通局-上半年报送.xlsx").read_bytes()
    batch = [
        ParseJob(good, "a.xlsx", RECEIVED),
        ParseJob(far_cell(good), "区财政局/far.xlsx", RECEIVED),  # the real reader aborts inside the limit
        ParseJob(good + b"ABORT-NOW", "区商务局-abort.xlsx", RECEIVED),  # aborts as a native crash would
        ParseJob((CORPUS / "text-in-number-columns.xlsx").read_bytes(), "b.xlsx", RECEIVED),
    ]
    deaths: list[tuple[str, str]] = []
    with WorkerPool(MAKE.REGISTER, campaign=MAKE.CORPUS_KEY, workers=2, program=[sys.executable, str(UNCHECKED)],
                    memory_limit=512 * 1024 * 1024,
                    on_death=lambda job, death: deaths.append((job.path, death.describe()))) as pool:
        got = list(pool.parse_many(batch))
    assert [s.path for s in got] == [j.path for j in batch]
    assert got[0].outcome == "accepted" and got[3].outcome == "accepted_with_warnings"
    far, aborted = got[1], got[2]
    assert far.outcome == aborted.outcome == "rejected"
    assert "2 次" in far.problems[0].message and "内存超过上限 512 MB" in far.problems[0].message
    assert far.unit == "区财政局" and far.round_id == "2021-H1"  # told by receipt, named by its folder
    assert "已隔离" in aborted.problems[0].message and "SIGABRT" in aborted.problems[0].message
    assert aborted.unit == "区商务局"
    assert sorted(p for p, _ in deaths) == ["区商务局-abort.xlsx"] * 2 + ["区财政局/far.xlsx"] * 2


def test_a_parse_that_never_ends_is_stopped_and_quarantined() -> None:
    good = (CORPUS / "区交通局-上半年报送.xlsx").read_bytes()
    batch = [ParseJob(good + b"HANG-FOREVER", "hang.xlsx", RECEIVED), ParseJob(good, "after.xlsx", RECEIVED)]
    with WorkerPool(MAKE.REGISTER, campaign=MAKE.CORPUS_KEY, workers=1, program=[sys.executable, str(UNCHECKED)],
                    timeout=2) as pool:
        hang, after = list(pool.parse_many(batch))
    assert hang.outcome == "rejected" and "超过 " in hang.problems[0].message and "已隔离" in hang.problems[0].message
    assert after.outcome == "accepted"


def test_files_queued_behind_a_stuck_file_never_hold_the_pass_and_stay_bounded_in_memory() -> None:
    """The jobs queued behind a worker's current file wait in its pipe only as far as they fit: a
    parent blocked writing into a full pipe could not stop the stuck worker (the test would hang).
    And the files in the parent's hand stay within `size × DEPTH + 1` and `HELD_BYTES`."""
    good = (CORPUS / "区交通局-上半年报送.xlsx").read_bytes()
    big = [good + bytes([i]) * (700 * 1024) for i in range(12)]  # 700 KB each: one at a time fits in the pipe
    batch = [ParseJob(good + b"HANG-FOREVER", "hang.xlsx", RECEIVED)]
    batch += [ParseJob(data, f"big-{i}.xlsx", RECEIVED) for i, data in enumerate(big)]
    batch += [ParseJob(good + bytes([i]), f"small-{i}.xlsx", RECEIVED) for i in range(30)]
    taken: list[int] = []
    held: list[int] = []

    def source() -> Iterator[ParseJob]:
        for i, job in enumerate(batch):
            taken.append(i)
            yield job

    got: list[Submission] = []

    def run() -> None:
        with WorkerPool(MAKE.REGISTER, campaign=MAKE.CORPUS_KEY, workers=1,
                        program=[sys.executable, str(UNCHECKED)], timeout=3) as pool:
            for sub in pool.parse_many(source()):
                got.append(sub)
                held.append(sum(len(j.data) for j in batch[len(got):len(taken)]))
                in_hand.append(len(taken) - len(got))

    in_hand: list[int] = []
    thread = threading.Thread(target=run, daemon=True)  # a parent stuck on a full pipe never returns
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the pass is held by a full pipe"
    assert max(in_hand) <= DEPTH + 1
    assert [s.path for s in got] == [j.path for j in batch]
    assert got[0].outcome == "rejected" and "已隔离" in got[0].problems[0].message
    assert all(s.outcome != "rejected" for s in got[1:])
    assert max(held) <= HELD_BYTES + len(big[0])


def test_a_worker_that_cannot_start_is_an_error_of_the_installation_not_of_the_file() -> None:
    batch = [ParseJob((CORPUS / "区交通局-上半年报送.xlsx").read_bytes(), "a.xlsx", RECEIVED)]
    with WorkerPool(MAKE.REGISTER, workers=1, program=[sys.executable, "-c", "import sys; sys.exit(3)"]) as pool:
        with pytest.raises(WorkerStartError, match="无法启动读取进程"):
            list(pool.parse_many(batch))


def render_jobs() -> list[RenderJob]:
    """A receipt for each corpus file of `jobs()` and the rollup of every lead unit of the register."""
    register = MAKE.REGISTER
    subs = list(parse_in_process(register, jobs(), MAKE.CORPUS_KEY))
    states = states_by_key(round_states(register, "2021-H1", subs, datetime(2021, 6, 20)))
    out = [RenderJob("receipt", {**receipt_to_json(make_receipt(s, register, states)),
                                 "received_at": s.received_at.isoformat()}, s.path) for s in subs]
    out += [RenderJob("rollup", {"round": "2021-H1", "unit": unit, "as_of": "2021-06-20T09:00:00",
                                 "rows": rows_to_json(rollup_rows(register, unit, states))}, unit)
            for unit in register.leads_in_task_order()]
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_outputs_drawn_by_workers_are_the_bytes_one_process_draws_in_the_same_order(workers: int) -> None:
    batch = render_jobs()
    expected = list(render_in_process(MAKE.REGISTER, batch, MAKE.CORPUS_KEY))
    with WorkerPool(MAKE.REGISTER, campaign=MAKE.CORPUS_KEY, workers=workers) as pool:
        got = list(pool.render_many(iter(batch)))
        started = pool.started
    assert len(got) == len(batch) > 50 and got == expected
    assert started == workers


def test_a_worker_that_dies_drawing_is_replaced_and_the_output_drawn_again(tmp_path: Path) -> None:
    flag = tmp_path / "abort-once"
    flag.write_bytes(b"")
    batch = render_jobs()[:12]
    batch[5] = RenderJob(batch[5].kind, {**batch[5].args, "abort_if": str(flag), "once": True}, batch[5].name)
    expected = list(render_in_process(MAKE.REGISTER, render_jobs()[:12], MAKE.CORPUS_KEY))
    with WorkerPool(MAKE.REGISTER, campaign=MAKE.CORPUS_KEY, workers=2,
                    program=[sys.executable, str(UNCHECKED)]) as pool:
        got = list(pool.render_many(batch))
        started = pool.started
    assert got == expected and not flag.exists()
    assert started == 3  # the dead one replaced; the outputs queued behind it drawn by a fresh worker


def test_an_output_that_kills_its_worker_twice_is_an_error_of_excelflow(tmp_path: Path) -> None:
    flag = tmp_path / "abort-always"
    flag.write_bytes(b"")
    batch = render_jobs()[:4]
    batch[2] = RenderJob(batch[2].kind, {**batch[2].args, "abort_if": str(flag)}, "回执-测试.xlsx")
    with WorkerPool(MAKE.REGISTER, campaign=MAKE.CORPUS_KEY, workers=2,
                    program=[sys.executable, str(UNCHECKED)]) as pool:
        with pytest.raises(RenderFailed, match="回执-测试.xlsx.*2 次异常退出.*SIGABRT"):
            list(pool.render_many(batch))


def test_early_workers_no_pool_adopts_end_when_closed() -> None:
    from excelflow.runs.workers import EarlyWorkers

    early = EarlyWorkers(2)
    started = list(early._procs)  # the processes, to see them end
    early.close()
    assert all(proc.returncode == 0 for proc in started)  # their input closed: they imported, then ended
    assert early.take() is None and early.adopted == 0


def test_frames_cut_anywhere_by_the_pipe_are_put_together_whole() -> None:
    """A reader thread takes whatever the pipe holds: frames cut at any byte come out whole, in order."""
    import os
    import random

    from excelflow.runs.parse_worker import framed, take_frames

    seed = int(os.environ.get("EXCELFLOW_FRAMES_SEED", random.randrange(1 << 30)))
    print(f"frames seed {seed} (repeat with EXCELFLOW_FRAMES_SEED={seed})")
    rng = random.Random(seed)
    payloads = [b"", b'{"id":0,"size":3}', b"abc", bytes(range(256)) * 40, "回执-区交通局".encode("utf-8")]
    data = framed(*payloads)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(data)), rng.randint(1, 12)))
        buffer = bytearray()
        got: list[bytes] = []
        for start, end in zip([0, *cuts], [*cuts, len(data)]):
            buffer += data[start:end]
            got += take_frames(buffer)
        assert got == payloads and not buffer
