"""Course conventions every committed notebook must follow (README, "Conventions (for authors)")."""

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (REPO / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_there_are_notebooks():
    assert any(p.name.startswith("01_") for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_header_and_parameters_cell(path):
    cells = _cells(path)
    assert cells[0]["cell_type"] == "markdown" and _src(cells[0]).startswith("# "), "title cell first"
    header = _src(cells[0]).lower()
    for word in ("prerequisites", "run time", "data"):
        assert word in header, f"the header must state the {word}"
    first_code = next(c for c in cells if c["cell_type"] == "code")
    assert "scaled(" in _src(first_code), "the first code cell sets the parameters through utils.scaled"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_discouraged_patterns(path):
    code = "\n".join(_src(c) for c in _cells(path) if c["cell_type"] == "code")
    assert "sys.path" not in code, "import utils as an installed package, no sys.path hacks"
    # a layer's input_shape= is gone in Keras 3 (keras.applications and our builders still take it)
    assert not re.search(r"layers\.\w+\([^)]*\binput_shape\s*=", code), "Keras 3: use keras.Input(shape=...)"
    assert not re.search(r"verbose\s*=\s*1\b", code), "train with verbose=2 or a compact callback"
    assert "ImageDataGenerator" not in code, "use preprocessing layers in a tf.data pipeline"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_are_clean(path):
    outputs = [o for c in _cells(path) if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert outputs, "commit the notebook with the outputs of its last full run"
    text = "\n".join(_src({"source": o.get("text", "")}) for o in outputs)
    assert not any(o["output_type"] == "error" for o in outputs)
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs), (
        "widget outputs (tqdm.auto under nbconvert): run python -m utils.nbclean on the notebook"
    )
    # Keras' per-batch bar: "1875/1875 ━━━━━━━━━━ 3s 1ms/step" (model.summary() tables are fine)
    assert not re.search(r"\d+/\d+ [━=\[]|━ \d+m?s", text), "per-batch progress bars in the outputs"
    assert not re.search(r"(/root/|/tmp/|/work/|/home/[a-z])", text), "absolute machine paths in the outputs"
    meta = json.loads(path.read_text())["metadata"].get("course", {})
    if meta.get("committed_run") == "stand-in":
        # notebooks whose real data or weights cannot be had here (README: stand-in
        # data) may carry a stand-in run, which must say so in its outputs
        assert "STAND-IN" in text, "a stand-in run must print a STAND-IN banner"
    else:
        assert "Params[smoke]" not in text, "committed outputs must come from a full run, not a smoke run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_reference_to_files_the_repository_does_not_ship(path):
    text = "\n".join(_src(c) for c in _cells(path))
    for name in ("../shared", "COURSE_DESIGN"):
        assert name not in text, f"{name} is not part of the repository: point to README.md or data/README.md"
