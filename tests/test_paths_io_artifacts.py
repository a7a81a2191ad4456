import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from utils.artifacts import ArtifactNotFoundError, artifact_path, load_artifact, save_artifact
from utils.io import atomic_path, sha256_file, sha256_files
from utils.paths import figures_dir, output_dir, repo_root

REPO = Path(__file__).resolve().parents[1]


def test_repo_root_found_from_package_and_overridable(monkeypatch, tmp_path):
    assert repo_root() == REPO
    monkeypatch.setenv("COURSE_ROOT", str(tmp_path))
    assert repo_root() == tmp_path.resolve()


def test_output_and_figures_dirs_follow_env_and_are_created(monkeypatch, tmp_path):
    out = output_dir("13_cnn_ta")
    assert out == (tmp_path / "output" / "13_cnn_ta").resolve() and out.is_dir()
    fig = figures_dir("01_filter_example")
    assert fig == (tmp_path / "figures" / "01_filter_example").resolve() and fig.is_dir()
    monkeypatch.setenv("COURSE_FIGURES_DIR", str(tmp_path / "new"))
    assert figures_dir("x") == (tmp_path / "new" / "x").resolve()


def test_default_dirs_are_inside_the_repository(monkeypatch, fake_root):
    monkeypatch.delenv("COURSE_OUTPUT_DIR")
    monkeypatch.delenv("COURSE_FIGURES_DIR")
    assert output_dir() == (fake_root / "output").resolve()
    assert figures_dir("x") == (fake_root / "output" / "figures" / "x").resolve()
    # figures follow the output folder when only that one is moved (as `make test` does)
    monkeypatch.setenv("COURSE_OUTPUT_DIR", str(fake_root / "scratch"))
    assert figures_dir("x") == (fake_root / "scratch" / "figures" / "x").resolve()


def test_a_run_writes_only_git_ignored_files(monkeypatch, fake_root):
    """Default figure and artifact paths lie under output/, which the real repository ignores."""
    monkeypatch.delenv("COURSE_OUTPUT_DIR")
    monkeypatch.delenv("COURSE_FIGURES_DIR")
    for path in (figures_dir("01_filter_example") / "filters.png", output_dir("13_cnn_ta") / "x.parquet"):
        rel = path.relative_to(fake_root.resolve())
        assert rel.parts[0] == "output", rel
        done = subprocess.run(["git", "check-ignore", "-q", "--no-index", str(rel)], cwd=REPO)
        if done.returncode == 128:
            pytest.skip("not a git checkout")
        assert done.returncode == 0, f"{rel} is not git-ignored: a run would dirty the tree"


def test_sha256_of_known_bytes(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"abc")
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sha256_file(f) == expected
    g = tmp_path / "b.txt"
    g.write_bytes(b"c")
    f.write_bytes(b"ab")
    assert sha256_files([f, g]) == expected  # concatenation, in the order given


def test_atomic_path_publishes_only_on_success(tmp_path):
    target = tmp_path / "sub" / "file.bin"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"done")
        assert not target.exists()
    assert target.read_bytes() == b"done"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"done"  # the old content survives
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.bin"]  # no temp left


def test_artifacts_round_trip_every_format():
    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.Index(["x", "y"], name="k"))
    save_artifact(frame, "f.parquet")
    pd.testing.assert_frame_equal(load_artifact("f.parquet"), frame)
    save_artifact({"x": np.arange(3), "y": np.eye(2)}, "sub/arrays.npz")
    arrays = load_artifact("sub/arrays.npz")
    np.testing.assert_array_equal(arrays["y"], np.eye(2))
    save_artifact(np.arange(4.0), "v.npy")
    np.testing.assert_array_equal(load_artifact("v.npy"), np.arange(4.0))
    path = save_artifact({"ic": np.float64(0.5), "n": np.int64(3)}, "m.json")
    assert json.loads(path.read_text()) == {"ic": 0.5, "n": 3}


def test_missing_artifact_names_the_notebook_to_run():
    with pytest.raises(ArtifactNotFoundError, match="Run notebook 11_cnn_ta_feature_engineering first"):
        load_artifact("features.parquet", producer="11_cnn_ta_feature_engineering")


def test_artifact_bad_name_and_type():
    with pytest.raises(ValueError, match="must end in one of"):
        artifact_path("model.pkl")
    with pytest.raises(TypeError, match="must be a DataFrame"):
        save_artifact([1, 2], "x.parquet")
    with pytest.raises(TypeError, match="dict of arrays"):
        save_artifact(np.arange(2), "x.npz")
    assert not list(output_dir().glob("*x*"))  # a failed save leaves nothing


def test_published_files_are_world_readable(tmp_path):
    target = tmp_path / "f.bin"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"x")
    assert target.stat().st_mode & 0o777 == 0o644


def test_json_artifact_round_trip_and_unstorable_values():
    save_artifact({"folds": np.arange(3), "name": "x"}, "meta.json")
    assert load_artifact("meta.json") == {"folds": [0, 1, 2], "name": "x"}
    with pytest.raises(TypeError, match="cannot store set"):
        save_artifact({"bad": {1, 2}}, "bad.json")
    assert not (output_dir() / "bad.json").exists()


def test_repo_root_from_cwd_and_clear_error_elsewhere(monkeypatch, tmp_path):
    import utils.paths as paths

    monkeypatch.setattr(paths, "_PACKAGE_DIR", tmp_path / "site-packages" / "utils")
    project = tmp_path / "course"
    (project / "utils").mkdir(parents=True)
    (project / "pyproject.toml").write_text("")
    (project / "notebooks").mkdir()
    monkeypatch.chdir(project / "notebooks")
    assert paths.repo_root() == project  # a non-editable install, Jupyter started in notebooks/
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuntimeError, match="pip install -e .*COURSE_ROOT"):
        paths.repo_root()
