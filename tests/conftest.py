"""Shared test fixtures: paths to the real notice and township data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "excelflow" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def real_notice() -> Path:
    """The 广丰区 2021 notice as published on the web (a copy ships in the package)."""
    return DATA / "guangfeng-2021-task-allocation.txt"


@pytest.fixture
def townships_csv() -> Path:
    return DATA / "guangfeng-townships.csv"
