"""Where the course keeps things: repository root, output (artifacts) and figures.

Every location can be moved with an environment variable, so CI and smoke runs write
to a scratch folder instead of the committed ``images/``:

- ``COURSE_ROOT``: the repository (default: found from this package's location);
- ``COURSE_OUTPUT_DIR``: artifacts passed between notebooks (default ``<root>/output``);
- ``COURSE_IMAGES_DIR``: saved figures (default ``<root>/images``).
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


def images_dir(notebook: str | None = None) -> Path:
    """The figures folder (created): ``images/<notebook>/``."""
    path = _dir_from_env("COURSE_IMAGES_DIR", repo_root() / "images")
    if notebook:
        path = path / notebook
        path.mkdir(parents=True, exist_ok=True)
    return path
