"""What a first collect must write costs on this machine, whoever writes it (issue 13).

    python benchmarks/bench_write_floor.py BEFORE AFTER [--repeat 3]

BEFORE is a working folder ready for its first `excelflow collect`, AFTER a copy of it after
that collect (bench_floor.py `--keep DIR` leaves DIR/fresh-1000/folder and, after a run, copies
collected by this tree). Every file the pass made (in AFTER, not in BEFORE: the archive:
blobs, records, parses, sightings, journal, index; the round's receipts, rollups and comparison;
the pass cache and log) is written again, with the same names and sizes, into an empty folder by
the cheapest writer that keeps excelflow's guarantees: each file to a temporary name and renamed,
32 files at a time synced together by sixteen threads, then their folders. No reading, parsing or
drawing: the floor a pass of any design pays for its files on this disk. Each repetition runs in a
fresh process; the medians are printed with the file count, next to what one `pd.read_excel`
+ `to_excel` script writes (one file).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRITER = r"""
import os, sys, time
from concurrent.futures import ThreadPoolExecutor
before, source, target = sys.argv[1], sys.argv[2], sys.argv[3]
files = []
for folder, _, names in os.walk(source):
    for name in names:
        path = os.path.join(folder, name)
        rel = os.path.relpath(path, source)
        if not os.path.exists(os.path.join(before, rel)):
            files.append((rel, open(path, "rb").read()))

def sync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

start, cpu = time.perf_counter(), time.process_time()
pending = []
with ThreadPoolExecutor(16) as pool:
    for rel, data in files:
        path = os.path.join(target, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temp = path + ".part"
        with open(temp, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
        pending.append(path)
        if len(pending) == 32:
            list(pool.map(sync, pending))
            list(pool.map(sync, sorted({os.path.dirname(p) for p in pending})))
            pending = []
    list(pool.map(sync, pending))
    list(pool.map(sync, sorted({os.path.dirname(p) for p in pending})))
print(len(files), sum(len(d) for _, d in files), time.perf_counter() - start, time.process_time() - cpu)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        target = Path(tempfile.mkdtemp(prefix="write-floor-"))
        try:
            out = subprocess.run([sys.executable, "-c", WRITER, str(args.before.resolve()), str(args.after.resolve()),
                                  str(target)],
                                 check=True, capture_output=True, text=True).stdout.split()
        finally:
            shutil.rmtree(target, ignore_errors=True)
        runs.append((int(out[0]), int(out[1]), float(out[2]), float(out[3])))
        print(f"  {runs[-1][0]} files, {runs[-1][1] / 1048576:.1f} MiB: {runs[-1][2]:.2f} s wall, "
              f"{runs[-1][3]:.2f} s CPU", file=sys.stderr)
    count, size = runs[0][0], runs[0][1]
    wall = statistics.median(r[2] for r in runs)
    cpu = statistics.median(r[3] for r in runs)
    print(f"| files a first collect writes | {count:,} ({size / 1048576:.1f} MiB) |")
    print(f"| written again, renamed, synced 32 at a time (median of {len(runs)}, fresh processes) | "
          f"{wall:.2f} s wall, {cpu:.2f} s CPU |")
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M')}")


if __name__ == "__main__":
    main()
