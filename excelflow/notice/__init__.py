"""Reading notices: a published task-allocation notice (通知) as tasks, chapters and unit names.

`read.py` turns a file (.txt in UTF-8/GBK, a saved web page, .docx paragraphs or tables via
`docx.py`) into lines of text; `parse.py` reads the lines into a `ParsedNotice`; `units.py` turns
unit names as notices write them into one canonical name each (prefixes, aliases, groups);
`labels.py` holds the label words (主办单位, 协办单位 …).

May import: the leaf helpers (`errors`, `files`, `wording`, `workspace`, `xlsx`). Nothing of the
later stages.
"""
