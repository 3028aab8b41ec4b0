"""Peak memory of parsing each hostile file: `python benchmarks/bench_hostile.py`.

Each file of tests/hostile_corpus.py (and a normal return, the baseline) is parsed by a fresh
process confined as a worker is (`parse_worker.confine`: address space limited to the pool's
`MEMORY_LIMIT`), which prints its peak resident memory and what the file ended as. The figures
go into docs/hostile-input.md (the stated bound per file).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from hostile_corpus import MAKE, cases  # noqa: E402

from excelflow.files import shown  # noqa: E402
from excelflow.runs.workers import MEMORY_LIMIT  # noqa: E402

ONE = """
import json, resource, sys
from datetime import datetime
from excelflow.runs.parse_worker import confine
from excelflow.forms.campaign_key import CampaignKey
from excelflow.register.campaign import default_register
register = default_register()
key = CampaignKey.from_json(json.load(open(sys.argv[3])))
data = open(sys.argv[1], "rb").read()
from excelflow.intake.read import read_return
import gc
gc.collect()
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])
before = status("VmRSS:")
open("/proc/self/clear_refs", "w").write("5")  # the peak (VmHWM) starts again from here
confine(int(sys.argv[2]))
sub = read_return(data, "x", datetime(2021, 6, 14, 9), register, campaign=key)
print(before, status("VmHWM:"), sub.outcome)
"""


def at_the_limits(strings: bool) -> bytes:
    """A workbook as big as the checks let through: one sheet of 20,000 rows × 100 columns
    (2,000,000 cells, `declared.MAX_SHEET_CELLS`), of numbers, or of as many different texts."""
    import io

    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet("牵头任务")
    for r in range(20_000):
        for c in range(100):
            if strings:
                sheet.write_string(r, c, f"第{r}行第{c}列")
            else:
                sheet.write_number(r, c, r * 100 + c)
    book.close()
    return out.getvalue()


def main() -> None:
    key = ROOT / "tests" / "data" / "corpus" / "campaign.key"
    rows = [("正常的回报表(基准)", "区工信局.xlsx", MAKE.filled("区工信局"))]
    rows += [("上限内最大的工作簿:20,000 行 × 100 列数字", "limits-numbers.xlsx", at_the_limits(False)),
             ("上限内最大的工作簿:20,000 行 × 100 列各不相同的文字", "limits-strings.xlsx", at_the_limits(True))]
    # The 40 MB video never reaches a worker (archived in chunks and answered by the collector).
    rows += [(c.case, shown(c.shown_name), c.make()) for c in cases()
             if c.outcome != "unreadable" and not str(c.name).endswith(".mp4")]
    print(f"{'before':>7} {'peak':>7} {'parse':>7}  {'outcome':24} case   (MB; parse = peak - before)")
    with tempfile.TemporaryDirectory() as tmp:
        for case, name, data in rows:
            path = Path(tmp) / "file"
            path.write_bytes(data)
            done = subprocess.run([sys.executable, "-c", ONE, str(path), str(MEMORY_LIMIT), str(key)],
                                  capture_output=True, text=True, cwd=ROOT,
                                  env={**os.environ, "PYTHONPATH": str(ROOT), "RUST_BACKTRACE": "0"})
            if done.returncode != 0:
                print(f"{'died':>8}  {done.returncode!s:24} {case} ({name}): {done.stderr.strip()[-200:]}")
                continue
            before, peak, outcome = done.stdout.split()
            print(f"{int(before) / 1024:7.0f} {int(peak) / 1024:7.0f} {(int(peak) - int(before)) / 1024:7.1f}  "
                  f"{outcome:24} {case}")


if __name__ == "__main__":
    main()
