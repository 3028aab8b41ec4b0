"""Each archive write is atomic: a fault inside the write (the file-size limit of the process,
RLIMIT_FSIZE, hit half-way through the bytes, in a real child process) leaves no part of the blob
or of the record at its place; the archive then reads as if the write never began, and storing
again (without the fault) completes it."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from excelflow.store import archive_format as fmt
from excelflow.store.archive import Archive
from excelflow.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
RECEIVED = datetime(2021, 6, 14, 9, 0)

# Stores `data` with the process's file-size limit at `limit` bytes: a write past it fails
# (EFBIG, SIGXFSZ ignored as a real service would) after writing what fits.
STORE = """
import resource, signal, sys
from datetime import datetime
from pathlib import Path
from excelflow.store.archive import Archive
from excelflow.workspace import Workspace
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
root, source, limit = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
data = source.read_bytes()
archive = Archive(Workspace(root))
archive.compact()  # the index exists before the fault: only the store under test faults
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    archive.store(data, "区民政局.xlsx", datetime(2021, 6, 14, 9, 0))
except Exception as exc:
    print(type(exc).__name__, exc)
    sys.exit(3)
"""


def store_with_fault(root: Path, source: Path, limit: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", STORE, str(root), str(source), str(limit)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def source() -> Path:
    return CORPUS / "区民政局 2021年 上半年 重点工作 报送(终稿).xlsx"


def test_a_fault_inside_the_blob_write_leaves_no_blob_and_no_record(tmp_path: Path, source: Path) -> None:
    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    done = store_with_fault(tmp_path, source, len(data) // 2)
    assert done.returncode == 3 and "WriteFailed" in done.stdout, done.stdout + done.stderr
    blob = fmt.blob_path(tmp_path / "archive", sha, "区民政局.xlsx")
    assert not blob.exists() and not fmt.record_path(tmp_path / "archive", sha).exists()
    assert not [p for p in (tmp_path / "archive").rglob("*") if p.is_file() and p.name.startswith(sha)]
    archive = Archive(Workspace(tmp_path))
    assert archive.get(sha) is None
    archive.store(data, "区民政局.xlsx", RECEIVED)  # no fault this time: the write completes
    assert blob.read_bytes() == data


def test_a_fault_inside_the_record_write_leaves_no_half_record(tmp_path: Path, source: Path) -> None:
    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    blob = fmt.blob_path(tmp_path / "archive", sha, "区民政局.xlsx")
    blob.parent.mkdir(parents=True)
    blob.write_bytes(data)  # a pass killed after the blob: the next pass writes only the record
    done = store_with_fault(tmp_path, source, 100)  # the record's JSON is longer than 100 bytes
    assert done.returncode == 3 and "WriteFailed" in done.stdout, done.stdout + done.stderr
    record = fmt.record_path(tmp_path / "archive", sha)
    assert not record.exists()  # never a cut JSON at its place (the commit point)
    archive = Archive(Workspace(tmp_path))
    assert archive.get(sha) is None
    stored = archive.store(data, "区民政局.xlsx", RECEIVED)
    assert Archive(Workspace(tmp_path)).get(sha) == stored
