#!/usr/bin/env bash
# Run the demo, a collect of the hostile corpus and the return fixtures, FY generate/compare, plans
# and status with the excelflow source in SRC_DIR, under a frozen clock (Debian's `faketime`), and
# write everything under OUT_DIR. Two such trees (say, before and after a refactoring) are then
# compared with `python tools/compare_trees.py OUT_A OUT_B`: every output must be byte-identical.
#
# Usage: tools/same_outputs.sh SRC_DIR OUT_DIR   (e.g. a `git worktree` of the old commit, and .)
set -euo pipefail
src=$1; out=$2
rm -rf "$out"; mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$src" && pwd)
export PYTHONPATH=$src:$here/frozen_zip_times
# The monotonic clock is faked too (frozen): libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1 makes
# Python 3.11's time.sleep fail with EINVAL, and the worker pool's waits sleep.
unset FAKETIME_DONT_FAKE_MONOTONIC
FT=(faketime -f "2026-11-30 12:00:00")
cd "$out"
"${FT[@]}" python -m excelflow.cli demo demo > demo.txt 2>&1
# corpus and return fixtures through one collect, then FY generate/compare and plans
"${FT[@]}" python -m excelflow.cli init corpus --example > /dev/null
cp "$here/../tests/data/corpus/campaign.key" corpus/workbooks/  # the corpus files are signed with its campaign key
"${FT[@]}" python -m excelflow.cli generate --round 2021-H1 --root corpus --now 2021-06-01T09:00 > /dev/null 2>&1
mkdir -p corpus/inbox/corpus corpus/inbox/returns
cp -r $here/../tests/data/corpus/*.xls* $here/../tests/data/corpus/*.ods corpus/inbox/corpus/ 2>/dev/null || true
cp -r $here/../tests/data/returns/*.xls* $here/../tests/data/returns/*.ods corpus/inbox/returns/ 2>/dev/null || true
"${FT[@]}" python -m excelflow.cli collect --root corpus --round 2021-H1 --now 2021-06-20T10:00 > collect.txt 2>&1 || true
"${FT[@]}" python -m excelflow.cli generate --plan --root corpus --now 2021-03-01T09:00 > /dev/null 2>&1
"${FT[@]}" python -m excelflow.cli generate --round 2021-FY --root demo --now 2021-12-01T09:00 > gen-fy.txt 2>&1
"${FT[@]}" python -m excelflow.cli compare --round 2021-FY --root demo --now 2021-12-28T09:00 > compare.txt 2>&1
"${FT[@]}" python -m excelflow.cli status --round 2021-H1 --root demo --json --now 2021-06-28T09:00 > status.json 2>&1
