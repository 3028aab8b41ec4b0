"""The process that parses returns for a pass, and draws its outputs:
`python -m excelflow.runs.parse_worker LIMIT_BYTES`.

Started by `workers.WorkerPool`, it confines itself first (address space limited to LIMIT_BYTES,
no core files), then reads its setup (the register, the campaign's identity key) and answers one
request after another on its standard input and output: a header and a file's bytes in, the
parsed `Submission` out as JSON (never pickle: the parent must not run anything a parsed file
could have planted). A native reader that aborts, or an allocation the limit refuses, ends only
this process; the parent sees the pipe close and decides what to do with the file.

Frames: 8 bytes of big-endian length, then the payload. Requests: a JSON header
(`id`, `path`, `received_at`, `stale`), then the file's bytes. Replies: JSON (`id`,
`submission` or `error`). A request to draw an output has the header `id`, `render` (its kind)
and the output's data as JSON for payload; its reply is JSON (`id`, `size`) followed by a frame
holding the output's bytes.
"""

from __future__ import annotations

import gc
import os
import struct
import sys
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from excelflow.forms.campaign_key import CampaignKey
    from excelflow.register.model import Register

_LENGTH = struct.Struct(">Q")
LENGTH_BYTES = _LENGTH.size  # what a frame adds to its payload
EARLY_IMPORTS = "EXCELFLOW_WORKER_EARLY"  # "1": import the readers before the setup arrives


def read_frame(stream: IO[bytes]) -> bytes | None:
    """One frame, or None at the end of the stream."""
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    (length,) = _LENGTH.unpack(head)
    return _read_exactly(stream, length)


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    chunks = []
    left = size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_LENGTH.pack(len(payload)))
    stream.write(payload)


def framed(*payloads: bytes) -> bytes:
    """`payloads` as consecutive frames in one piece (many frames, one write)."""
    return b"".join(part for payload in payloads for part in (_LENGTH.pack(len(payload)), payload))


def take_frames(buffer: bytearray) -> list[bytes]:
    """The whole frames at the start of `buffer`, taken out of it (a frame not all there yet stays)."""
    frames = []
    start = 0
    while len(buffer) - start >= _LENGTH.size:
        (length,) = _LENGTH.unpack_from(buffer, start)
        end = start + _LENGTH.size + length
        if end > len(buffer):
            break
        frames.append(bytes(buffer[start + _LENGTH.size:end]))
        start = end
    del buffer[:start]
    return frames


def confine(limit: int) -> None:
    """Limit this process's address space to `limit` bytes and forbid core files (an abort of a
    process near its limit would otherwise write hundreds of MB to the disk)."""
    try:
        import resource  # POSIX only: on Windows a worker is contained but not limited
    except ImportError:  # pragma: no cover - Windows
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def render(kind: str, args: dict[str, Any], register: Register, campaign: CampaignKey | None) -> bytes:
    """Draw one output from its data as JSON (what `runs/round_outputs.py` sends): the same bytes
    as drawing it in the parent, which is what `workers.render_in_process` does."""
    if kind == "receipt":
        from excelflow.reports.receipts import build_receipt, receipt_from_json

        return build_receipt(receipt_from_json(args), datetime.fromisoformat(args["received_at"]))
    if kind == "rollup":
        from excelflow.reports.rollup import render_rollup, rows_from_json

        return render_rollup(register, register.require_round(args["round"]), args["unit"],
                             rows_from_json(args["rows"]), datetime.fromisoformat(args["as_of"]), campaign)
    if kind == "unit":  # a unit's reporting workbook (`excelflow generate`)
        from excelflow.forms.plan_json import plan_from_json, style_from_json
        from excelflow.forms.render import render_unit

        drawn, _ = render_unit(plan_from_json(args["plan"]), style_from_json(args["style"]), args["version"],
                               args["generated_at"], campaign)
        return drawn
    raise ValueError(f"unknown output kind {kind!r}")


def main(argv: list[str]) -> int:
    limit = int(argv[1]) if len(argv) > 1 else 0
    # The protocol owns standard output; anything a library prints goes to standard error.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    if os.environ.get(EARLY_IMPORTS) == "1":
        # Started before the pass knew its register (`workers.EarlyWorkers`): the readers are
        # imported while the parent loads it, not after.
        import excelflow.intake.read  # noqa: F401
        import excelflow.store.archive_format  # noqa: F401
        import excelflow.store.pass_cache  # noqa: F401
    setup_frame = read_frame(requests)
    if setup_frame is None:
        return 0
    # Imported after the frame arrives, before confinement: the imports' own memory is not the
    # file's, and a worker that gets no work costs no import. A worker that only draws (`generate`'s
    # workbooks: the setup says `parses: false`) never loads the readers.
    import json

    from excelflow.files import json_dumps
    from excelflow.store.archive_format import submission_to_json
    from excelflow.store.pass_cache import register_from_json

    setup: dict[str, Any] = json.loads(setup_frame)
    if setup.get("parses", True):
        from excelflow.intake.read import read_return  # noqa: F401 - loaded now, not with a file
    register = register_from_json(setup["register"])
    key = setup.get("campaign")
    campaign = None
    if key is not None:
        from excelflow.forms.campaign_key import CampaignKey

        campaign = CampaignKey.from_json(key)
    confine(limit)
    write_frame(replies, b'{"ready":true}')
    replies.flush()
    while True:
        head = read_frame(requests)
        if head is None:
            return 0
        data = read_frame(requests)
        if data is None:
            return 0
        header = json.loads(head)
        if "render" in header:
            try:
                drawn = render(str(header["render"]), json.loads(data), register, campaign)
            except MemoryError:
                write_frame(replies, json_dumps({"id": header["id"], "error": "memory"}).encode("utf-8"))
            except Exception as exc:  # noqa: BLE001 - excelflow's own fault: the parent says so
                write_frame(replies, json_dumps({"id": header["id"], "error": f"{type(exc).__name__}: {exc}"}
                                                ).encode("utf-8"))
            else:
                write_frame(replies, json_dumps({"id": header["id"], "size": len(drawn)}).encode("utf-8"))
                write_frame(replies, drawn)
            replies.flush()
            collect_between_jobs()
            continue
        try:
            from excelflow.intake.read import read_return

            sub = read_return(data, header["path"], datetime.fromisoformat(header["received_at"]), register,
                              stale_pending=bool(header["stale"]), campaign=campaign)
            reply: dict[str, Any] = {"id": header["id"], "submission": submission_to_json(sub)}
        except MemoryError:
            reply = {"id": header["id"], "error": "memory"}
        except Exception as exc:  # noqa: BLE001 - read_return never raises; say so if it ever does
            reply = {"id": header["id"], "error": f"{type(exc).__name__}: {exc}"}
        del data
        write_frame(replies, json_dumps(reply).encode("utf-8"))
        replies.flush()
        collect_between_jobs()


def collect_between_jobs() -> None:
    """Free the cycles a job left (an xlsxwriter workbook is one: ~300 objects a receipt, ~600 a
    rollup) once it is answered, before the next job.

    Left to Python's collector, which runs every 700 new objects, the collections fell inside
    the drawings: the objects of the workbook being drawn were walked there, kept as survivors,
    and walked again by the older generations. Collected between jobs, only what the job left
    is walked, dead: a receipt, a rollup and a parse cost 0.25–0.33 ms of collection instead of
    0.67–0.9 ms, and callgrind counts 5.4 % fewer instructions for them. A parse leaves no cycles,
    so its collection walks almost nothing. Python's own collections still run within a job that
    makes many objects (a hostile file's), and now and then over everything."""
    gc.collect(1)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
