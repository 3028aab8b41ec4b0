"""The forms units receive: reporting workbooks, plan workbooks, the distribution list.

`plan.py` decides what each unit's workbook shows (pure data); `render.py` draws it with
xlsxwriter; `generate.py` writes a round's workbooks and `distribution_list.py` the list to send
them with; `plans.py` writes the implementation-plan (落实方案) workbooks; `identity.py` is the
very-hidden sheet every handed-out workbook carries; `headers.py` the column vocabulary intake
reads back; `template_style.py` and `default_template.py` the clerk's `template.xlsx`.

May import: `register`, `notice` and the leaf helpers.
"""
