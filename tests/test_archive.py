"""The archive: byte-for-byte copies written once, found again cheaply, consistent after SIGKILL."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from excelflow.intake.read import read_return
from excelflow.intake.records import Submission
from excelflow.store.archive import COMPACT_AFTER, Archive
from excelflow.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
RETURNS = ROOT / "tests" / "data" / "returns"
T0 = datetime(2021, 6, 10, 9, 30)
CLEAN = (RETURNS / "clean-return.xlsx").read_bytes()
CORRECTED = (RETURNS / "status-variants.xlsx").read_bytes()


def tree(root: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file()}


def _fixture_register():
    spec = importlib.util.spec_from_file_location("make_fixtures", RETURNS / "make_fixtures.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.REGISTER


def test_store_keeps_the_exact_bytes_with_receipt_time_and_hash(tmp_path):
    ws = Workspace(tmp_path)
    record = Archive(ws).store(CLEAN, "区工信局/上半年.xlsx", T0)
    assert record.sha256 == hashlib.sha256(CLEAN).hexdigest()
    assert (record.path, record.size, record.received_at) == ("区工信局/上半年.xlsx", len(CLEAN), T0)
    assert record.blob == f"archive/{record.sha256[:2]}/{record.sha256}.xlsx"
    assert (tmp_path / record.blob).read_bytes() == CLEAN
    again = Archive(ws)  # a later run
    assert again.get(record.sha256) == record and again.records() == [record]


def test_storing_known_bytes_again_writes_nothing_and_returns_the_first_record(tmp_path):
    ws = Workspace(tmp_path)
    first = Archive(ws).store(CLEAN, "a.xlsx", T0, mtime_ns=111)
    before = tree(tmp_path)
    time.sleep(0.01)
    archive = Archive(ws)
    assert archive.store(CLEAN, "a.xlsx", T0 + timedelta(days=3), mtime_ns=111) == first
    assert tree(tmp_path) == before
    assert archive.records() == [first]


def test_same_bytes_under_a_second_name_add_only_the_path(tmp_path):
    ws = Workspace(tmp_path)
    first = Archive(ws).store(CLEAN, "a.xlsx", T0)
    archive = Archive(ws)
    assert archive.store(CLEAN, "转发/区工信局 副本.xlsx", T0 + timedelta(hours=2)) == first
    blobs = [p for p in (tmp_path / "archive").rglob("*.xlsx")]
    assert len(blobs) == 1 and len(archive.records()) == 1
    assert Archive(ws).paths(first.sha256) == ["a.xlsx", "转发/区工信局 副本.xlsx"]


def test_resubmission_is_kept_beside_the_first_in_receipt_order(tmp_path):
    ws = Workspace(tmp_path)
    archive = Archive(ws)
    first = archive.store(CLEAN, "区工信局.xlsx", T0)
    second = archive.store(CORRECTED, "区工信局.xlsx", T0 + timedelta(days=1))
    assert first.sha256 != second.sha256
    assert Archive(ws).records() == [first, second]
    assert (tmp_path / first.blob).read_bytes() == CLEAN and (tmp_path / second.blob).read_bytes() == CORRECTED


def test_lookup_path_recognises_an_unchanged_inbox_file_without_its_bytes(tmp_path):
    ws = Workspace(tmp_path)
    record = Archive(ws).store(CLEAN, "a.xlsx", T0, mtime_ns=42)
    archive = Archive(ws)
    assert archive.lookup_path("a.xlsx", len(CLEAN), 42) == record
    assert archive.lookup_path("a.xlsx", len(CLEAN), 43) is None  # touched since: read it again
    assert archive.lookup_path("b.xlsx", len(CLEAN), 42) is None


def test_parsed_submission_round_trips_so_a_later_pass_reads_no_workbook(tmp_path):
    ws = Workspace(tmp_path)
    archive = Archive(ws)
    register = _fixture_register()
    subs = []
    for i, name in enumerate(["clean-return.xlsx", "required-fields-empty.xlsx", "retyped-unknown-unit.xlsx"]):
        data = (RETURNS / name).read_bytes()
        record = archive.store(data, name, T0 + timedelta(minutes=i))
        sub = read_return(data, name, record.received_at, register)
        archive.save_submission(sub)
        subs.append(sub)
    later = Archive(ws)
    assert later.submissions() == subs
    assert later.load_submission(subs[1].sha256) == subs[1]
    assert any(p.level == "warning" for p in subs[1].problems) and subs[1].entries


def test_index_is_a_cache_rebuilt_from_the_per_record_files(tmp_path):
    ws = Workspace(tmp_path)
    archive = Archive(ws)
    for i in range(COMPACT_AFTER + 5):  # crosses a compaction
        data = CLEAN + i.to_bytes(4, "little")
        record = archive.store(data, f"u{i}.xlsx", T0 + timedelta(seconds=i))
        archive.save_submission(Submission(path=f"u{i}.xlsx", sha256=record.sha256, size=record.size,
                                           received_at=record.received_at, outcome="accepted"))
    expected_records, expected_subs = Archive(ws).records(), Archive(ws).submissions()
    assert len(expected_records) == COMPACT_AFTER + 5 and len(expected_subs) == COMPACT_AFTER + 5
    index = tmp_path / "archive" / "index.json"
    assert len(json.loads(index.read_text(encoding="utf-8"))["records"]) >= COMPACT_AFTER
    index.write_text("{不是 JSON", encoding="utf-8")
    assert Archive(ws).records() == expected_records and Archive(ws).submissions() == expected_subs
    index.unlink()
    assert Archive(ws).records() == expected_records


def test_reading_the_archive_never_writes_to_it_even_when_the_index_is_damaged(tmp_path):
    ws = Workspace(tmp_path)
    first = Archive(ws).store(CLEAN, "a.xlsx", T0, mtime_ns=7)
    (tmp_path / "archive" / "index.json").write_text("损坏", encoding="utf-8")
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (tmp_path / "archive").rglob("*") if p.is_file()}
    reader = Archive(ws)  # e.g. `status` while collect runs
    assert reader.records() == [first] and reader.get(first.sha256) == first
    assert reader.lookup_path("a.xlsx", len(CLEAN), 7) == first and reader.submissions() == []
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (tmp_path / "archive").rglob("*") if p.is_file()}
    assert after == before
    Archive(ws).store(CORRECTED, "b.xlsx", T0)  # the next writer repairs the index
    index = json.loads((tmp_path / "archive" / "index.json").read_text(encoding="utf-8"))
    assert [r["sha256"] for r in index["records"]] == [first.sha256]  # the new one is in the journal
    assert len(Archive(ws).records()) == 2


def test_compaction_keeps_what_another_process_indexed_meanwhile(tmp_path):
    ws = Workspace(tmp_path)
    early = Archive(ws)
    early.store(CLEAN, "a.xlsx", T0)
    other = Archive(ws)
    for i in range(COMPACT_AFTER + 1):  # compacts, emptying the journal `early` loaded from
        other.store(CORRECTED + i.to_bytes(4, "little"), f"b{i}.xlsx", T0 + timedelta(seconds=i))
    early.compact()
    (tmp_path / "archive" / "journal").rename(tmp_path / "archive" / "journal-gone")  # index only
    assert len(Archive(ws).records()) == COMPACT_AFTER + 2


def _round_archive(ws: Workspace) -> dict[str | None, list[Submission]]:
    """Three parsed returns in each of two rounds and one tied to no round, compacted."""
    from excelflow.intake.records import EntryReport

    archive = Archive(ws)
    out: dict[str | None, list[Submission]] = {}
    for i, round_id in enumerate(["2021-H1"] * 3 + ["2021-FY"] * 3 + [None]):
        record = archive.store(CLEAN + i.to_bytes(4, "little"), f"u{i}.xlsx", T0 + timedelta(minutes=i))
        entries = () if round_id is None else (EntryReport(1, f"单位{i}", "lead", "序时推进", progress_text=f"第{i}份"),)
        sub = Submission(path=record.path, sha256=record.sha256, size=record.size,
                         received_at=record.received_at, outcome="accepted", kind="report",
                         unit=None if round_id is None else f"单位{i}", round_id=round_id, entries=entries)
        archive.save_submission(sub)
        out.setdefault(round_id, []).append(sub)
    archive.compact()
    return out


def _segment(root: Path, sub: Submission) -> Path:
    [path] = [p for p in (root / "archive" / "segments").glob("*.json") if sub.sha256 in p.read_text(encoding="utf-8")]
    return path


def test_a_round_is_read_from_its_own_segment_and_the_index_holds_no_entries(tmp_path):
    ws = Workspace(tmp_path)
    by_round = _round_archive(ws)
    index = (tmp_path / "archive" / "index.json").read_text(encoding="utf-8")
    assert "第0份" not in index and by_round["2021-H1"][0].sha256 in index  # metadata only
    # Another round's segment, edited behind the archive's back (token kept): a pass asking for
    # 2021-H1 never sees it, one asking for 2021-FY reads it.
    fy = _segment(tmp_path, by_round["2021-FY"][0])
    fy.write_text(fy.read_text(encoding="utf-8").replace("第3份", "改过"), encoding="utf-8")
    archive = Archive(ws)
    assert archive.submissions(rounds=["2021-H1"]) == by_round["2021-H1"]
    assert archive.submissions(rounds=[None]) == by_round[None]
    assert [m.sha256 for m in archive.submission_heads()] == [s.sha256 for r in by_round.values() for s in r]
    assert archive.submissions(rounds=["2021-FY"])[0].entries[0].progress_text == "改过"
    # Proof that asking for one round reads nothing of another: remove 2021-FY's parses from disk
    # after 2021-H1 was read; the same object then has nothing to give for 2021-FY.
    lazy = Archive(ws)
    assert lazy.submissions(rounds=["2021-H1"]) == by_round["2021-H1"]
    fy.unlink()
    for sub in by_round["2021-FY"]:
        (tmp_path / "archive" / sub.sha256[:2] / f"{sub.sha256}.submission.json").unlink()
    assert lazy.submissions(rounds=["2021-FY"]) == []
    assert not lazy.has_submission(by_round["2021-FY"][0].sha256)  # so the next pass parses it again


def test_a_segment_rewritten_with_parses_saved_this_pass_and_before_is_their_one_encoding(tmp_path):
    """A compaction joins the texts of the parses saved this pass with the others, encoded anew
    (read from the old segment): the segment must be what encoding them all at once gives."""
    from excelflow.intake.records import EntryReport
    from excelflow.store import archive_format as fmt

    ws = Workspace(tmp_path)
    by_round = _round_archive(ws)
    archive = Archive(ws)
    assert archive.submissions(rounds=["2021-H1"]) == by_round["2021-H1"]  # the old ones, from the segment
    new = []
    for i in range(10, 14):
        record = archive.store(CLEAN + i.to_bytes(4, "little"), f"u{i}.xlsx", T0 + timedelta(minutes=i))
        new.append(Submission(path=record.path, sha256=record.sha256, size=record.size,
                              received_at=record.received_at, outcome="accepted", kind="report", unit=f"单位{i}",
                              round_id="2021-H1",
                              entries=(EntryReport(1, f"单位{i}", "lead", "序时推进", progress_text=f"新{i}份「\"」"),)))
        archive.save_submission(new[-1])
    archive.compact()
    subs = sorted(by_round["2021-H1"] + new, key=lambda s: s.sha256)
    saved_now = "".join("n" if s in new else "o" for s in subs)
    assert "no" in saved_now and "on" in saved_now  # old and new interleave in the segment's order
    segment = json.loads(_segment(tmp_path, new[0]).read_text(encoding="utf-8"))
    text = _segment(tmp_path, new[0]).read_text(encoding="utf-8")
    assert text.endswith(',"submissions":' + fmt.dumps([fmt.submission_to_json(s) for s in subs]) + "}")
    assert segment["submissions"] == [json.loads(fmt.dumps(fmt.submission_to_json(s))) for s in subs]
    assert Archive(ws).submissions(rounds=["2021-H1"]) == sorted(by_round["2021-H1"] + new,
                                                                 key=lambda s: (s.received_at, s.path, s.sha256))


def test_a_segment_the_index_does_not_name_is_not_used_and_is_rewritten(tmp_path):
    ws = Workspace(tmp_path)
    by_round = _round_archive(ws)
    h1 = _segment(tmp_path, by_round["2021-H1"][0])
    # As if a compaction was killed after writing a newer segment but before the index.
    data = json.loads(h1.read_text(encoding="utf-8"))
    data["token"] = "0" * 16
    data["submissions"][0]["entries"] = []
    h1.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    archive = Archive(ws)
    assert archive.submissions(rounds=["2021-H1"]) == by_round["2021-H1"]  # from the per-record files
    archive.compact()
    assert json.loads(h1.read_text(encoding="utf-8"))["token"] != "0" * 16
    assert Archive(ws).submissions() == [s for r in by_round.values() for s in r]


def test_an_index_of_the_first_layout_loads_and_is_rewritten_by_the_next_write(tmp_path):
    from excelflow.store.archive_format import submission_to_json

    ws = Workspace(tmp_path)
    by_round = _round_archive(ws)
    everything = [s for r in by_round.values() for s in r]
    records = Archive(ws).records()
    # What version 1 wrote: every parse in full inside index.json, no segments.
    old = {"version": 1, "records": [{"sha256": r.sha256, "original_path": r.path, "size": r.size,
                                      "received_at": r.received_at.isoformat(), "blob": r.blob, "mtime_ns": None}
                                     for r in records],
           "paths": {}, "submissions": [submission_to_json(s) for s in everything]}
    for segment in (tmp_path / "archive" / "segments").iterdir():
        segment.unlink()
    for sub_file in (tmp_path / "archive").rglob("*.submission.json"):
        sub_file.unlink()  # so the parses can only come from the old index
    (tmp_path / "archive" / "index.json").write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    before = tree(tmp_path)
    reader = Archive(ws)
    assert reader.records() == records and reader.submissions() == everything
    assert reader.submissions(rounds=["2021-FY"]) == by_round["2021-FY"]
    assert tree(tmp_path) == before  # a reader never writes
    Archive(ws).store(CORRECTED, "b.xlsx", T0)
    index = json.loads((tmp_path / "archive" / "index.json").read_text(encoding="utf-8"))
    assert index["version"] == 2 and len(index["meta"]) == len(everything) and "submissions" not in index
    assert Archive(ws).submissions() == everything


# -- staging: many returns committed together -------------------------------------------------------
def _returns(count: int) -> list[bytes]:
    return [CLEAN + i.to_bytes(4, "little") for i in range(count)]


def test_a_staged_return_is_committed_only_by_its_commit_and_then_like_a_stored_one(tmp_path):
    ws = Workspace(tmp_path)
    archive = Archive(ws)
    records = [archive.stage(data, f"单位{i}.xlsx", T0, mtime_ns=i) for i, data in enumerate(_returns(3))]
    assert all((tmp_path / r.blob).read_bytes() == data for r, data in zip(records, _returns(3)))
    assert not list((tmp_path / "archive").rglob("*/" + records[0].sha256 + ".json"))  # no record yet
    assert Archive(ws).records() == []  # another reader: nothing committed
    archive.commit_staged()
    assert Archive(ws).records() == sorted(records, key=lambda r: (r.received_at, r.path))
    assert Archive(ws).lookup_path("单位1.xlsx", len(CLEAN) + 4, 1) == records[1]


@pytest.mark.parametrize("whole", [False, True], ids=["file by file", "one syncfs"])
def test_a_blob_a_killed_run_left_is_synced_before_the_record_that_names_it(tmp_path, monkeypatch, whole):
    """The blob's bytes may still be only in the operating system's cache (its writer was killed
    before its batch's sync): committing its record syncs it first, as if this run had written it
    (file by file, or with the whole file system where `fs_sync` does that)."""
    from excelflow import files, fs_sync
    from excelflow.store import archive_format as fmt

    if whole:  # nothing else waiting to be written, whatever the rest of the machine does
        meminfo = tmp_path / "meminfo"
        meminfo.write_text("Dirty:               128 kB\nWriteback:             0 kB\n")
        monkeypatch.setattr(fs_sync, "MEMINFO", meminfo)
    if whole and not fs_sync.whole_sync_folders([tmp_path])[0]:
        pytest.skip("this file system or kernel is synced file by file")
    if not whole:
        monkeypatch.setattr(fs_sync, "WHOLE_SYNC_TYPES", frozenset())
    ws = Workspace(tmp_path)
    first = Archive(ws)
    [data] = _returns(1)
    blob = tmp_path / first.stage(data, "单位0.xlsx", T0).blob  # staged, never committed: a killed run
    synced: list[Path] = []
    real, real_whole = files._sync_path, files.sync_file_system
    monkeypatch.setattr(files, "_sync_path", lambda p: synced.append(Path(p)) or real(p))
    # A whole file system synced: which of the two files it held at that moment.
    on_disk: list[set[str]] = []
    monkeypatch.setattr(files, "sync_file_system", lambda f: on_disk.append(
        {name for name, p in (("blob", blob), ("record", record_file)) if p.exists()}) or real_whole(f))
    again = Archive(ws)
    record = again.stage(data, "单位0.xlsx", T0)
    record_file = fmt.record_path(tmp_path / "archive", record.sha256)
    assert tmp_path / record.blob == blob
    assert blob not in synced and not on_disk  # not yet: with its batch
    again.commit_staged()
    assert record_file.exists()
    if whole:
        assert on_disk == [{"blob"}, {"blob", "record"}] and synced == []
    else:
        assert blob in synced and record_file in synced
        assert synced.index(blob) < synced.index(record_file)


def test_a_commit_in_the_background_lets_staging_go_on_and_is_finished_before_its_parses_are_saved(
        tmp_path, monkeypatch):
    """`start_commit` syncs the staged blobs and writes their records in a thread of its own; the
    caller stages more meanwhile, and saving a parse of a return in that commit waits for it (and
    commits nothing else)."""
    import threading

    import excelflow.store.archive as archive_module
    from excelflow.store import archive_format as fmt

    released = threading.Event()
    real_run = archive_module._Commit.run

    def held_run(commit: archive_module._Commit) -> None:
        if commit.thread is not None:  # the background commit waits until the test lets it go
            released.wait(10)
        real_run(commit)

    monkeypatch.setattr(archive_module._Commit, "run", held_run)
    ws = Workspace(tmp_path)
    archive = Archive(ws)
    first, later = _returns(2)
    record = archive.stage(first, "单位0.xlsx", T0)
    archive.start_commit()
    record_file = fmt.record_path(tmp_path / "archive", record.sha256)
    assert not record_file.exists()  # in flight, held
    other = archive.stage(later, "单位1.xlsx", T0)  # staging goes on meanwhile
    threading.Timer(0.3, released.set).start()
    archive.save_submission(Submission(path=record.path, sha256=record.sha256, size=record.size,
                                       received_at=T0, outcome="accepted"))
    assert released.is_set() and record_file.exists()  # the parse waited for its record
    assert fmt.submission_path(tmp_path / "archive", record.sha256).exists()
    assert not fmt.record_path(tmp_path / "archive", other.sha256).exists()  # still staged, not committed
    archive.commit_staged()
    assert fmt.record_path(tmp_path / "archive", other.sha256).exists()
    assert {r.sha256 for r in Archive(ws).records()} == {record.sha256, other.sha256}


def test_a_batch_committed_together_is_journaled_in_one_entry_that_readers_follow(tmp_path):
    ws = Workspace(tmp_path)
    archive = Archive(ws)
    archive.compact()  # an index that predates the batch
    records = [archive.stage(data, f"单位{i}.xlsx", T0, mtime_ns=i) for i, data in enumerate(_returns(5))]
    archive.commit_staged()
    for r in records:
        archive.save_submission(Submission(path=r.path, sha256=r.sha256, size=r.size, received_at=T0,
                                           outcome="accepted"))
    entries = sorted(p.name for p in (tmp_path / "archive" / "journal").iterdir())
    assert len(entries) == 1 and entries[0].startswith("batch-")  # one file for the five, parses included
    reader = Archive(ws)  # what the index does not say yet, the journal does
    assert len(reader.records()) == 5 and len(reader.submissions()) == 5
    assert reader.lookup_path("单位3.xlsx", len(CLEAN) + 4, 3) == records[3]
    reader.compact()
    assert not list((tmp_path / "archive" / "journal").iterdir())
    assert len(Archive(ws).submissions()) == 5


def test_a_parse_is_never_saved_before_the_record_it_belongs_to(tmp_path):
    ws = Workspace(tmp_path)
    archive = Archive(ws)
    record = archive.stage(CLEAN, "区工信局/上半年.xlsx", T0)
    archive.save_submission(Submission(path=record.path, sha256=record.sha256, size=record.size,
                                       received_at=T0, outcome="accepted"))
    reader = Archive(ws)
    assert reader.get(record.sha256) == record and reader.has_submission(record.sha256)


def test_a_long_intake_rewrites_the_index_once_at_its_end(tmp_path):
    ws = Workspace(tmp_path)
    archive = Archive(ws)
    archive.compact()  # an index to start from
    index = tmp_path / "archive" / "index.json"
    before = index.read_bytes()
    with archive.holding_compaction():
        for i, data in enumerate(_returns(COMPACT_AFTER * 2 + 5)):
            record = archive.stage(data, f"单位{i}.xlsx", T0)
            if i % 16 == 15:
                archive.commit_staged()
            archive.save_submission(Submission(path=record.path, sha256=record.sha256, size=record.size,
                                               received_at=T0, outcome="accepted"))
        assert index.read_bytes() == before  # held: however long the journal grew
    assert len(json.loads(index.read_text(encoding="utf-8"))["records"]) == COMPACT_AFTER * 2 + 5
    assert not list((tmp_path / "archive" / "journal").iterdir())


# -- crash safety: a real process killed while storing ---------------------------------------------
WRITER = r"""
import sys
from datetime import datetime, timedelta
from pathlib import Path
from excelflow.store.archive import Archive
from excelflow.intake.records import Submission
from excelflow.workspace import Workspace

root, run, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
data = Path(sys.argv[4]).read_bytes()
batch = int(sys.argv[5])
archive = Archive(Workspace(root))
when = datetime(2021, 6, 1) + timedelta(days=run)
print("ready", flush=True)
staged = []
for i in range(count):
    blob = data + i.to_bytes(4, "little")
    if batch == 1:
        staged.append((i, archive.store(blob, f"inbox/单位{i}.xlsx", when, mtime_ns=i)))
    else:  # as a pass does: staged, committed `batch` at a time, then the parses saved
        staged.append((i, archive.stage(blob, f"inbox/单位{i}.xlsx", when, mtime_ns=i)))
        if len(staged) < batch and i < count - 1:
            continue
        archive.commit_staged()
    for k, record in staged:
        archive.save_submission(Submission(path=record.path, sha256=record.sha256, size=record.size,
                                           received_at=record.received_at, outcome="accepted"))
        print(k, flush=True)
    staged.clear()
archive.compact()
print("done", flush=True)
"""


def _run_writer(root: Path, run: int, count: int, kill_at: tuple[int, float] | None, batch: int = 1) -> bool:
    """Run the writer; with `kill_at = (k, delay)`, SIGKILL it `delay` s after its k-th file. True if it finished."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(run), str(count),
                             str(RETURNS / "clean-return.xlsx"), str(batch)], env=env, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    if kill_at is not None:
        k, delay = kill_at
        for _ in range(k):
            proc.stdout.readline()
        time.sleep(delay)  # lands anywhere inside the next file's writes
        proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=120)
    return b"done" in out


def _check_consistent(root: Path) -> dict[str, tuple]:
    archive = Archive(Workspace(root))
    records = archive.records()
    assert len({r.sha256 for r in records}) == len(records)
    for record in records:
        assert hashlib.sha256((root / record.blob).read_bytes()).hexdigest() == record.sha256
    blobs = {p.name.split(".")[0] for p in (root / "archive").rglob("*.xlsx")}
    assert {r.sha256 for r in records} <= blobs  # a stray blob may exist; a record never lacks one
    for sub in archive.submissions():
        assert archive.get(sub.sha256) is not None
    return {r.sha256: (r.path, r.received_at) for r in records}


@pytest.mark.parametrize("batch", [1, 8])
def test_sigkill_at_random_points_never_loses_duplicates_or_rewrites_a_record(tmp_path, batch):
    count = 120
    # Uninterrupted reference run: what the archive must end up holding.
    assert _run_writer(tmp_path / "reference", 0, count, kill_at=None, batch=batch)
    reference = _check_consistent(tmp_path / "reference")
    assert len(reference) == count

    root = tmp_path / "killed"
    rng = random.Random(4)
    seen: dict[str, tuple] = {}
    for run in range(1, 7):
        k = rng.randint(len(seen) + 1, len(seen) + 15)  # a few files into what is left
        finished = _run_writer(root, run, count, kill_at=(k, rng.uniform(0, 0.02)), batch=batch)
        assert not finished
        now = _check_consistent(root)
        assert all(now[sha] == first for sha, first in seen.items())  # written once, never changed
        assert len(now) >= k  # every file reported done before the kill is committed
        seen = now
    assert _run_writer(root, 99, count, kill_at=None, batch=batch)
    final = _check_consistent(root)
    assert set(final) == set(reference)
    assert all(final[sha] == first for sha, first in seen.items())
    assert len(Archive(Workspace(root)).submissions()) == count


def test_temp_file_of_a_killed_store_is_gone_after_the_rerun_stores_the_same_bytes(tmp_path):
    # What SIGKILL between writing the temporary file and renaming it leaves in the shard.
    ws = Workspace(tmp_path)
    data = b"a return killed mid-store"
    shard = ws.archive / hashlib.sha256(data).hexdigest()[:2]
    shard.mkdir(parents=True)
    leftover = shard / ".tmp-h0pt5ghj.part"
    leftover.write_bytes(data[:5])

    record = Archive(ws).store(data, "区工信局/半年.xlsx", datetime(2021, 6, 14, 9))

    assert not leftover.exists()
    assert (ws.root / record.blob).read_bytes() == data


def test_a_parse_written_by_another_version_reads_back_with_the_fields_this_one_knows(tmp_path):
    """Parses are read back without their dataclasses' `__init__` when every field is there; one
    written by an older version (a field missing) or a newer one (a field added) is built field
    by field, the missing ones taking their defaults."""
    from excelflow.intake.records import EntryReport, Problem
    from excelflow.store.archive_format import submission_from_json, submission_to_json

    sub = Submission(path="区财政局/报表.xlsx", sha256="a" * 64, size=10, received_at=datetime(2021, 6, 14, 9),
                     outcome="accepted_with_warnings", unit="区财政局", round_id="2021-H1",
                     entries=(EntryReport(task_id=3, unit="区财政局", role="lead", status="已完成", progress=100.0,
                                          progress_text="已完成招标"),),
                     problems=(Problem("warning", "序号 3 的完成进度为 100", "区财政局/报表.xlsx", "表1", "F7", 3),))
    plain = json.loads(json.dumps(submission_to_json(sub), ensure_ascii=False))
    assert submission_from_json(plain) == sub

    older = json.loads(json.dumps(plain))
    del older["entries"][0]["remarks"], older["problems"][0]["role"], older["unit"]
    newer = json.loads(json.dumps(plain))
    newer["entries"][0]["photo"] = "x.jpg"
    newer["problems"][0]["hint"] = "……"
    newer["mailbox"] = "inbox"
    read_older, read_newer = submission_from_json(older), submission_from_json(newer)
    assert read_newer == sub and not hasattr(read_newer.entries[0], "photo")
    assert read_older.entries[0].remarks == "" and read_older.problems[0].role is None and read_older.unit is None
    assert read_older == Submission(**{**sub.__dict__, "unit": None})
