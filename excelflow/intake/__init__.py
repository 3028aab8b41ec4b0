"""Intake: reading what units return. One file's bytes in, one judged `Submission` out.

`scan.py` finds files in the inbox and reads each once; `extract.py` opens a workbook from memory
within limits and finds rows by task id; `sheets.py`, `identify.py`, `entries.py` and
`validate.py` find the forms, place a return without identity, read and judge its entries;
`read.py` runs them (`read_return`); `records.py` holds the records later stages share
(`Submission`, `EntryReport`, `Problem`); `plan_return.py` reads a returned plan.

May import: `forms`, `register`, `notice` and the leaf helpers. Problems in a return are records,
never exceptions.
"""
