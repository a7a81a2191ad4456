"""Artifacts passed between notebooks (features, images, predictions).

All of them live in one folder, :func:`utils.paths.output_dir`. Writes are atomic; a
reader that finds nothing is told which notebook produces the artifact.

Formats follow the file name: ``.parquet`` (pandas DataFrame), ``.npz`` (dict of NumPy
arrays), ``.npy`` (one array), ``.json`` (plain data), ``.keras`` (a Keras model).
:func:`weights_sha256` fingerprints a model's weights, so that the notebook that loads a
model can check that it got the one the producing notebook saved.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from .io import atomic_path
from .paths import output_dir

FORMATS = (".parquet", ".npz", ".npy", ".json", ".keras")


class ArtifactNotFoundError(FileNotFoundError):
    """An artifact that an earlier notebook should have written is missing."""


def artifact_path(name: str) -> Path:
    path = output_dir() / name
    if path.suffix not in FORMATS:
        raise ValueError(f"artifact {name!r}: the name must end in one of {FORMATS}")
    return path


def save_artifact(obj: Any, name: str) -> Path:
    """Write ``obj`` to ``output/<name>`` atomically and return the path."""
    path = artifact_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=path.suffix) as tmp:
        if path.suffix == ".parquet":
            import pandas as pd

            if not isinstance(obj, pd.DataFrame):
                raise TypeError(f"{name}: a .parquet artifact must be a DataFrame, got {type(obj).__name__}")
            obj.to_parquet(tmp)
        elif path.suffix == ".npz":
            if not isinstance(obj, dict):
                raise TypeError(f"{name}: a .npz artifact must be a dict of arrays, got {type(obj).__name__}")
            with open(tmp, "wb") as fh:
                np.savez(fh, **obj)
        elif path.suffix == ".npy":
            with open(tmp, "wb") as fh:
                np.save(fh, np.asarray(obj), allow_pickle=False)
        elif path.suffix == ".keras":
            if not hasattr(obj, "save") or not hasattr(obj, "weights"):
                raise TypeError(f"{name}: a .keras artifact must be a Keras model, got {type(obj).__name__}")
            obj.save(tmp)
        else:
            tmp.write_text(json.dumps(obj, indent=2, default=_json_default))
    return path


def load_artifact(name: str, producer: str | None = None) -> Any:
    """Read an artifact; ``producer`` names the notebook to run when it is missing."""
    path = artifact_path(name)
    if not path.exists():
        hint = (
            f"Run notebook {producer} first (open it in Jupyter, "
            f"or `make notebooks NB=notebooks/{producer}.ipynb`)."
            if producer
            else "Run the notebook that writes it first."
        )
        raise ArtifactNotFoundError(f"Artifact {name!r} not found at {path}. {hint}")
    if path.suffix == ".parquet":
        import pandas as pd

        return pd.read_parquet(path)
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if path.suffix == ".keras":
        import keras

        return keras.saving.load_model(path)
    return json.loads(path.read_text())


def weights_sha256(model) -> str:
    """SHA-256 of a model's weights: every weight's name, shape, dtype and values, in order.
    The same for a model and its saved-and-loaded copy (a ``.keras`` file's own hash is not:
    the file records when it was saved)."""
    digest = hashlib.sha256()
    for w in model.weights:
        value = np.ascontiguousarray(w.numpy())
        digest.update(f"{w.path}:{value.shape}:{value.dtype}".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in a .json artifact")
