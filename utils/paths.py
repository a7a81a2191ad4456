"""Where the course keeps things: repository root, output (artifacts) and figures.

A run writes only into the git-ignored ``output/`` folder, so it never changes a
committed file (``images/`` holds only the course's own pictures, never run results).
Every location can be moved with an environment variable (``make test`` moves them to
``build/smoke/``):

- ``COURSE_ROOT``: the repository (default: found from this package's location);
- ``COURSE_OUTPUT_DIR``: artifacts passed between notebooks (default ``<root>/output``);
- ``COURSE_FIGURES_DIR``: saved figures (default ``<output>/figures``).
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _looks_like_root(path: Path) -> bool:
    return (path / "pyproject.toml").is_file() and (path / "utils").is_dir()


def repo_root() -> Path:
    """The course repository's root folder."""
    env = os.environ.get("COURSE_ROOT")
    if env:
        return Path(env).expanduser().resolve()
    if _looks_like_root(_PACKAGE_DIR.parent):  # editable install or source checkout
        return _PACKAGE_DIR.parent
    for candidate in (Path.cwd(), *Path.cwd().parents):  # a non-editable install
        if _looks_like_root(candidate):
            return candidate
    raise RuntimeError(
        "Cannot find the course repository (a folder with pyproject.toml and utils/). "
        "Install it with `pip install -e .` from the repository, or set COURSE_ROOT."
    )


def _dir_from_env(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    path = Path(value).expanduser() if value else default
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def output_dir(*parts: str) -> Path:
    """The artifacts folder (created), or a sub-folder of it: ``output_dir("13_cnn_ta")``."""
    path = _dir_from_env("COURSE_OUTPUT_DIR", repo_root() / "output").joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def figures_dir(notebook: str | None = None) -> Path:
    """The figures folder (created): ``output/figures/<notebook>/`` (git-ignored)."""
    if os.environ.get("COURSE_FIGURES_DIR"):
        path = _dir_from_env("COURSE_FIGURES_DIR", Path())
    else:
        path = output_dir("figures")
    if notebook:
        path = path / notebook
        path.mkdir(parents=True, exist_ok=True)
    return path
