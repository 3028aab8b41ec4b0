"""Runs: the commands' work from start to end, under the lock, logged.

`collect.py` is the one collect pass (`run_pass`), with `ingest.py` (taking new files in),
`round_outputs.py` (a round's outputs brought up to date), `snapshot.py` (the nothing-new fast
path) and `pass_report.py` (what a pass did); `compare.py`, `status.py` and `prepare.py` serve
the `compare`, `status` and `generate` commands; `lock.py`, `passlog.py` and `watch.py` are the
unattended machinery (one collector at a time, the log, the schedule loop); `summary.py` is the
clerk's terminal summary.

May import every stage below (`reports`, `store`, `intake`, `forms`, `register`, `notice`) and the
leaf helpers; only `cli.py`, `api.py` and `demo.py` sit above.
"""
