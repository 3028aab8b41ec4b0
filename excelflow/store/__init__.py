"""The store: what arrived and when, kept for good, plus what the passes remember between runs.

`archive.py` keeps every return byte for byte with its receipt time and its parse (the truth, on
disk as `archive_format.py` describes); `pass_cache.py` remembers the register and what the
outputs were made from, so a pass with nothing new reads no workbook; `pending.py` remembers
files still being copied; `plans.py` reads returned plan milestones back from the archive.

May import: `intake`, `forms`, `register`, `notice` and the leaf helpers. Only the holder of the
collector lock writes here.
"""
