"""notebooks/run_times.json, the README's run-time columns and `make notebooks` agree."""

import json
import re
from pathlib import Path

import pytest

from utils.runtimes import load_run_times, run_cost, summary

REPO = Path(__file__).resolve().parents[1]
TABLE = load_run_times(REPO)


def _cpu(entry):
    return "not measured" if entry["cpu_min"] is None else f"{entry['cpu_min']:.1f} min"


def _readme_rows():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Notebook map", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"^\| (E?\d\d) \|", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in line.strip().strip("|").split("|")]
    return section, rows


def test_every_notebook_has_a_row_in_the_table():
    notebooks = sorted(
        p.relative_to(REPO).as_posix()
        for p in (REPO / "notebooks").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )
    assert sorted(TABLE) == notebooks


def test_readme_run_time_columns_agree_with_the_table():
    section, rows = _readme_rows()
    for path, entry in TABLE.items():
        cells = rows[entry["row"]]
        if "exercises" in path:  # exercise rows: "exercise; solution" in the last column
            same_row = [e for p, e in TABLE.items() if e["row"] == entry["row"]]
            assert cells[-1] == "; ".join(_cpu(e) for e in same_row), entry["row"]
        else:
            assert cells[-2:] == [_cpu(entry), entry["gpu"]], entry["row"]
    total = sum(e["cpu_min"] or 0 for e in TABLE.values())
    assert f"{total:.1f} min" in section, "the README's total of the measured runs"


def test_makefile_skip_gpu_list_is_the_tables():
    make = (REPO / "Makefile").read_text(encoding="utf-8")
    listed = re.search(r"^NEEDS_GPU := (.*)$", make, re.M).group(1).split()
    assert sorted(listed) == sorted(p for p, e in TABLE.items() if e["needs_gpu"])
    assert "SKIP_GPU" in (REPO / "README.md").read_text(encoding="utf-8")
    assert "python -m utils.runtimes $(RUN_NB)" in make


def test_cost_summary(monkeypatch):
    total, unknown = run_cost(
        [
            "notebooks/02_digit_classification_with_lenet5.ipynb",
            str(REPO / "notebooks/03_image_classification_with_alexnet.ipynb"),
            "notebooks/05_transfer_learning.ipynb",
        ],
        REPO,
    )
    expected = sum(
        TABLE[f"notebooks/{name}.ipynb"]["cpu_min"]
        for name in ("02_digit_classification_with_lenet5", "03_image_classification_with_alexnet")
    )
    assert total == pytest.approx(expected) and unknown == ["05_transfer_learning"]
    text = summary(
        ["notebooks/03_image_classification_with_alexnet.ipynb", "notebooks/05_transfer_learning.ipynb"],
        scale="full",
        root=REPO,
    )
    minutes = json.loads((REPO / "notebooks/run_times.json").read_text(encoding="utf-8"))["notebooks"][
        "notebooks/03_image_classification_with_alexnet.ipynb"
    ]["cpu_min"]
    assert f"about {minutes:.0f} min" in text and "05_transfer_learning" in text
    assert "smoke" in summary(
        ["notebooks/03_image_classification_with_alexnet.ipynb"], scale="smoke", root=REPO
    )
