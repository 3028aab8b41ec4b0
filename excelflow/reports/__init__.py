"""Reports: what the office, the leaders and the units read, computed from the register and the store.

`ledger.py` judges every expected entry (on time, late, missing, incomplete, invalid); `rollup.py`
writes each lead unit's rollup, `receipts.py` a receipt per return, `state_file.py` the 状态.json
contract; `figures.py` computes the comparison, which `comparison_workbook.py`, `reminders.py`
and `notification.py` (the draft 通报) render.

May import: `store`, `intake`, `forms`, `register`, `notice` and the leaf helpers. Figures are pure;
writers take paths and return bytes or the paths they wrote.
"""
