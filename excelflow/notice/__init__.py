"""Reading notices: a published task-allocation notice (通知) as tasks, chapters and unit names.

`read.py` turns a file into lines of text, its format told from the bytes: .txt in UTF-8/GBK, a
saved web page and its tables (`html.py`), .docx paragraphs or tables (`docx.py`), a task table in a workbook (`workbook.py`,
python-calamine), a PDF's text and ruled tables (`pdf.py`, pdfplumber); every table goes through
`table.py`, which writes one typed task a line. `parse.py` reads the lines into a `ParsedNotice`;
`issuer.py` finds the issuing office and the year; `units.py` turns unit names as notices write
them into one canonical name each (level prefixes, aliases, groups of any office); `clauses.py`
tells which clause of a task is whose; `labels.py` holds the label words (主办单位, 协办单位 …).

May import: the leaf helpers (`errors`, `files`, `wording`, `workspace`, `xlsx`). Nothing of the
later stages.
"""
