"""excelflow: a supervision office's (督查室) reporting cycle on plain Excel workbooks.

The package is a library with a thin click CLI (`excelflow.cli`). Core functions take paths and
the current time as parameters; only `cli.py` imports click or reads the clock.
"""

__version__ = "0.1.0"
