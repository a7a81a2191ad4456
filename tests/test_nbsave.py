"""The `# @save` cells of the lessons are the single source of `utils/lessons.py`."""

import json

import pytest

from utils import nbsave
from utils.paths import repo_root


def _notebook(path, cells):
    nb = {
        "cells": [
            {
                "cell_type": t,
                "metadata": {},
                "source": s,
                **({"outputs": [], "execution_count": None} if t == "code" else {}),
            }
            for t, s in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


@pytest.fixture
def course(tmp_path):
    (tmp_path / "notebooks" / "exercises").mkdir(parents=True)
    (tmp_path / "utils").mkdir()
    _notebook(
        tmp_path / "notebooks" / "02_b.ipynb",
        [
            ("markdown", "# @save is only read in code cells"),
            ("code", "# @save\nimport keras\n\n\ndef net():\n    return keras.Sequential()"),
            ("code", "model = net()  # not saved"),
        ],
    )
    _notebook(
        tmp_path / "notebooks" / "01_a.ipynb",
        [
            (
                "code",
                [
                    "#  @save   a comment\n",
                    "from utils.lessons import net\n",
                    "def helper(x):\n",
                    "    return x + 1",
                ],
            ),
        ],
    )
    return tmp_path


def test_saved_cells_take_only_marked_code_cells(course):
    assert nbsave.saved_cells(course / "notebooks" / "02_b.ipynb") == [
        "import keras\n\n\ndef net():\n    return keras.Sequential()"
    ]


def test_render_keeps_course_order_and_drops_self_imports(course):
    text = nbsave.render(course)
    assert text.index("01_a.ipynb") < text.index("02_b.ipynb")
    assert "from utils.lessons import" not in text
    assert "model = net()" not in text
    namespace = {}
    exec(compile(text, "lessons.py", "exec"), namespace)  # the generated module runs
    assert namespace["helper"](1) == 2


def test_a_dropped_self_import_leaves_at_most_two_blank_lines(tmp_path):
    _notebook(
        tmp_path / "03_c.ipynb",
        [
            (
                "code",
                "# @save\nimport keras\n\nfrom utils.lessons import net\n\n\ndef more():\n    return net()",
            )
        ],
    )
    assert nbsave.saved_cells(tmp_path / "03_c.ipynb") == ["import keras\n\n\ndef more():\n    return net()"]


def test_check_reports_stale_and_current(course, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_ROOT", str(course))
    assert nbsave.main(["--check"]) == 1
    assert "make lessons" in capsys.readouterr().out
    assert nbsave.main([]) == 0
    assert nbsave.main(["--check"]) == 0
    assert (course / "utils" / "lessons.py").read_text().startswith('"""Code written in the course')


def test_lessons_module_is_current():
    """utils/lessons.py equals what the notebooks' `# @save` cells generate (run `make lessons`)."""
    target = repo_root() / nbsave.TARGET
    assert target.read_text(encoding="utf-8") == nbsave.render(repo_root()), (
        "utils/lessons.py is stale: run `make lessons` (python -m utils.nbsave)"
    )
