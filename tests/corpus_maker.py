"""The corpus builder (`tests/data/corpus/make_corpus.py`) as a module, loaded once for every test
that makes corpus-like files with it (its register, its signed form filler, its campaign key)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def load() -> Any:
    if "make_corpus" in sys.modules:
        return sys.modules["make_corpus"]
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module
    spec.loader.exec_module(module)
    return module


MAKE = load()
