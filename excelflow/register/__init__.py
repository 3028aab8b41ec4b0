"""The register: what a campaign asks of whom, and when (tasks, units, rounds, plan milestones).

`model.py` holds the records every later stage works from (`Register`, `Task`, `Unit`, `Round`)
and the entries they imply; `layout.py`, `write.py` and `load.py` are the register workbook the
clerk edits in Excel (its vocabulary, writing it, loading and checking an edit); `campaign.py`
is `init` and `import` (a notice → the register) with the shipped example; `statuses.py` the
progress statuses a unit may choose; `cells.py` how a typed task id is read.

May import: `notice` and the leaf helpers.
"""
