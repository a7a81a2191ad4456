"""Shared fixtures: every test runs with a clean course environment.

The real offline data (``../shared/data``, or wherever ``COURSE_DATA_DIR`` pointed when
pytest started) is available through the ``shared_data`` fixture; tests that need it are
skipped where it does not exist (CI always has it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_env_data = os.environ.get("COURSE_DATA_DIR")
SHARED_DATA = Path(_env_data) if _env_data else REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def clean_course_env(monkeypatch, tmp_path):
    """No COURSE_* setting leaks into a test; outputs and caches go to a temporary folder."""
    for var in ("COURSE_SCALE", "COURSE_DATA_DIR", "COURSE_OFFLINE", "COURSE_ROOT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COURSE_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("COURSE_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))


@pytest.fixture
def fake_root(monkeypatch, tmp_path):
    """A throw-away repository root, so lookups never see a developer's own data/ folder."""
    root = tmp_path / "repo"
    (root / "utils").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.setenv("COURSE_ROOT", str(root))
    return root


@pytest.fixture
def shared_data():
    if not (SHARED_DATA / "SHA256SUMS").is_file():
        pytest.skip(f"offline data copies not found at {SHARED_DATA}")
    return SHARED_DATA
