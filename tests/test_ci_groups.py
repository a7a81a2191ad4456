"""`make test` runs on two pytest-xdist workers: the notebooks that hand artifacts to each
other must run on one worker, in course order (conftest.py's scheduler groups them)."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _root_conftest():
    spec = importlib.util.spec_from_file_location("root_conftest", REPO / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_artifact_chains_share_a_group(tmp_path):
    groups = _root_conftest().notebook_groups(sorted((REPO / "notebooks").glob("[0-9]*.ipynb")))
    by_stem = {path.stem: group for path, group in groups.items()}
    assert by_stem["05_transfer_learning"] == by_stem["04_bottleneck_features"]
    assert by_stem["08_svhn_object_detection"] == by_stem["07_svhn_preprocessing"]
    chain = [s for s in by_stem if s[:2] in ("11", "12", "13", "14", "15")]
    assert len(chain) == 5 and len({by_stem[s] for s in chain}) == 1
    assert by_stem["02_digit_classification_with_lenet5"] != by_stem["03_image_classification_with_alexnet"]


def test_a_consumer_joins_its_producer_group(tmp_path):
    (tmp_path / "01_a.ipynb").write_text("{}")
    (tmp_path / "02_b.ipynb").write_text('load_artifact("x.npz", producer="01_a")')
    (tmp_path / "03_c.ipynb").write_text(
        'load_artifact(\\"y.npz\\", producer=\\"02_b\\")'
    )  # as stored in JSON
    (tmp_path / "04_d.ipynb").write_text("{}")
    groups = _root_conftest().notebook_groups(sorted(tmp_path.glob("*.ipynb")))
    assert {p.stem: g for p, g in groups.items()} == {
        "01_a": "01_a",
        "02_b": "01_a",
        "03_c": "01_a",
        "04_d": "04_d",
    }
