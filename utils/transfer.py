"""Pretrained ``keras.applications`` networks and TFDS data: what notebooks 04-06 share.

Notebooks 04-06 use pretrained ImageNet networks (VGG16, DenseNet201) and TFDS data sets
(cats_vs_dogs, eurosat/rgb). Neither can be downloaded on every machine, so this module

- checks, without hanging, whether the ImageNet weights and a TFDS data set can be had
  (the Keras cache, the TFDS data folder, then a short network probe unless
  ``COURSE_OFFLINE=1``) and says which (:class:`Availability`, with the STAND-IN banner);
- loads a TFDS data set through the real ``tfds.load`` call, wrapped in
  ``tfds.testing.mock_data`` when the data cannot be had: the same code path with a
  stand-in of the real schema (random pixels, random labels);
- builds the input pipeline (resize, the model's ``preprocess_input``, batches);
- checks that a model's output and its loss agree (logits vs probabilities), joins the
  histories of two training phases, and prepares notebook 04's photographs, top-k
  predictions and its table of ``keras.applications`` models.

The lesson itself (the head, freezing, compiling, fine-tuning) is written in the notebooks.
Timing and run-time estimates: :mod:`utils.benchmark`.
TensorFlow, Keras and TFDS are imported inside the functions (importing ``utils`` stays cheap).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .data.fetch import keras_home, offline

# name -> (keras.applications class, keras.applications sub-module with preprocess_input)
APPLICATIONS = {
    "vgg16": ("VGG16", "vgg16"),
    "densenet201": ("DenseNet201", "densenet"),
}
# The weight files keras.applications downloads into <KERAS_HOME>/models/
WEIGHT_FILES = {
    ("vgg16", True): "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
    ("vgg16", False): "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    ("densenet201", True): "densenet201_weights_tf_dim_ordering_tf_kernels.h5",
    ("densenet201", False): "densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5",
}
CLASS_INDEX_FILE = "imagenet_class_index.json"
# Sizes of the real data sets (the stand-in has no split information)
REAL_EXAMPLES = {"cats_vs_dogs": 23_262, "eurosat/rgb": 27_000}
PROBE_HOST = ("storage.googleapis.com", 443)  # serves both the Keras weights and TFDS data

# ImageNet top-1 accuracy (single centre crop, ImageNet validation set) as published in the
# table "Available models" of the Keras Applications documentation.
KERAS_APPLICATIONS_DOCS = "https://keras.io/api/applications/"
PUBLISHED_TOP1 = {
    "VGG16": 0.713,
    "ResNet50": 0.749,
    "InceptionV3": 0.779,
    "DenseNet201": 0.773,
    "MobileNetV2": 0.713,
}
DEFAULT_INPUT = {"InceptionV3": (299, 299, 3)}  # all others: 224x224x3
# layers that hold the learned filters / weight matrices ("weight layers")
WEIGHT_LAYERS = ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D", "Dense")

STANDIN_BANNER = (
    "STAND-IN RUN: {what} could not be had on this machine, so this run uses {instead}. "
    "Every prediction and accuracy below is meaningless; it only shows that the code runs. "
    "Run the notebook with internet access for real results."
)


def _app(model: str) -> tuple[str, str]:
    key = model.lower()
    if key not in APPLICATIONS:
        raise ValueError(f"unknown model {model!r}; expected one of {sorted(APPLICATIONS)}")
    return APPLICATIONS[key]


# ----------------------------------------------------------------------------- availability
def keras_cache_dir() -> Path:
    """Where Keras keeps downloaded weights: ``$KERAS_HOME/models`` (default ``~/.keras/models``)."""
    return keras_home() / "models"


def tfds_data_dir() -> Path:
    """Where TFDS keeps prepared data sets: ``$TFDS_DATA_DIR`` (default ``~/tensorflow_datasets``)."""
    return Path(
        os.environ.get("TFDS_DATA_DIR") or os.path.join(os.path.expanduser("~"), "tensorflow_datasets")
    )


def network_reachable(host: tuple[str, int] = PROBE_HOST, timeout: float = 3.0) -> bool:
    """A quick TCP probe of the download server; ``False`` at once when offline."""
    if offline():
        return False
    try:
        with socket.create_connection(host, timeout=timeout):
            return True
    except OSError:
        return False


def imagenet_weights_cached(model: str, include_top: bool) -> bool:
    """Are the ImageNet weights of ``model`` (with or without top) in the Keras cache?"""
    _app(model)
    return (keras_cache_dir() / WEIGHT_FILES[(model.lower(), bool(include_top))]).is_file()


def tfds_prepared(name: str, data_dir: str | os.PathLike | None = None) -> bool:
    """Is the TFDS data set ``name`` (``"cats_vs_dogs"``, ``"eurosat/rgb"``) prepared on disk?

    Looks for ``<data_dir>/<name>/<version>/dataset_info.json`` without importing TFDS.
    """
    if not name or name.startswith("/") or ".." in name:
        raise ValueError(f"not a TFDS data set name: {name!r}")
    folder = Path(data_dir) if data_dir else tfds_data_dir()
    return any((folder / name).glob("*/dataset_info.json"))


@dataclass
class Availability:
    """What this run can use: real ImageNet weights? the real data set?"""

    model: str
    weights: bool
    dataset: str | None = None
    data: bool = True

    @property
    def real(self) -> bool:
        return self.weights and self.data

    @property
    def weights_arg(self) -> str | None:
        """The ``weights=`` argument for ``keras.applications``."""
        return "imagenet" if self.weights else None

    def banner(self) -> str:
        """Empty for a real run; else the STAND-IN warning."""
        if self.real:
            return ""
        missing, instead = [], []
        if not self.weights:
            missing.append(f"the ImageNet weights of {self.model}")
            instead.append("randomly initialised weights (weights=None)")
        if not self.data:
            missing.append(f"the data set {self.dataset!r}")
            instead.append("generated stand-in images with the real schema (random pixels and labels)")
        return STANDIN_BANNER.format(what=" and ".join(missing), instead=" and ".join(instead))

    def report(self) -> str:
        lines = [f"ImageNet weights of {self.model}: {'available' if self.weights else 'NOT available'}"]
        if self.dataset:
            lines.append(f"data set {self.dataset}: {'available' if self.data else 'NOT available'}")
        banner = self.banner()
        if banner:
            lines += ["", "*" * 78, banner, "*" * 78]
        return "\n".join(lines)


def check_availability(
    model: str, dataset: str | None = None, include_top: bool = False, timeout: float = 3.0
) -> Availability:
    """Weights and data set availability in one object (fast and network-free when offline)."""
    reach = None

    def online() -> bool:
        nonlocal reach
        if reach is None:
            reach = network_reachable(timeout=timeout)
        return reach

    weights = imagenet_weights_cached(model, include_top) or online()
    data = True if dataset is None else (tfds_prepared(dataset) or online())
    return Availability(model=model.lower(), weights=weights, dataset=dataset, data=data)


# ----------------------------------------------------------------------------- data
def split_strings(train: float = 0.8, validation: float = 0.1, split: str = "train") -> dict[str, str]:
    """TFDS slicing strings for a train / validation / test partition of one split.

    ``split_strings(0.8, 0.1)`` -> ``{'train': 'train[:80%]', 'validation': 'train[80%:90%]',
    'test': 'train[90%:]'}``: the test part is what is left.
    """
    pct_train, pct_val = round(train * 100), round(validation * 100)
    if abs(train * 100 - pct_train) > 1e-9 or abs(validation * 100 - pct_val) > 1e-9:
        raise ValueError(
            "shares must be whole percentages (TFDS slices by percent), "
            f"got train={train}, validation={validation}"
        )
    if pct_train <= 0 or pct_val <= 0 or pct_train + pct_val >= 100:
        raise ValueError(
            "need 0 < train, 0 < validation and train + validation < 1 (the rest is "
            f"the test set), got train={train}, validation={validation}"
        )
    end = pct_train + pct_val
    return {
        "train": f"{split}[:{pct_train}%]",
        "validation": f"{split}[{pct_train}%:{end}%]",
        "test": f"{split}[{end}%:]",
    }


def load_tfds(name: str, splits: dict[str, str], stand_in: bool, stand_in_examples: int = 16):
    """``tfds.load(name, split=[...], as_supervised=True, with_info=True)``.

    With ``stand_in=True`` the same call runs inside ``tfds.testing.mock_data``: no download,
    ``stand_in_examples`` random examples a split with the real features (image shape and
    dtype, number of classes). Returns ``({split name: dataset}, info)``.
    """
    if stand_in_examples < 1:
        raise ValueError(f"stand_in_examples must be >= 1, got {stand_in_examples}")
    import tensorflow_datasets as tfds

    if stand_in:  # the mock complains about missing metadata and deprecated fields: noise here
        from absl import logging as absl_logging

        level = absl_logging.get_verbosity()
        absl_logging.set_verbosity(absl_logging.ERROR)
        try:
            with tfds.testing.mock_data(num_examples=stand_in_examples):
                parts, info = tfds.load(name, split=list(splits.values()), as_supervised=True, with_info=True)
        finally:
            absl_logging.set_verbosity(level)
    else:
        parts, info = tfds.load(name, split=list(splits.values()), as_supervised=True, with_info=True)
    return dict(zip(splits, parts)), info


def preprocess_input_fn(model: str):
    """The ``keras.applications.<module>.preprocess_input`` that matches ``model``."""
    import keras

    _, module = _app(model)
    return getattr(keras.applications, module).preprocess_input


def make_preprocess(model: str, size: int | tuple[int, int]):
    """A ``(image, label) -> (image, label)`` map: resize to ``size`` and apply the model's
    ``preprocess_input`` (VGG16: RGB->BGR, ImageNet mean subtracted; DenseNet: scaled to
    [0, 1] and standardised per channel). Images come in as uint8 of any size."""
    import tensorflow as tf

    hw = (size, size) if isinstance(size, int) else tuple(size)
    if len(hw) != 2 or min(hw) < 32:
        raise ValueError(f"size must be an int or (height, width) of at least 32 pixels, got {size!r}")
    prep = preprocess_input_fn(model)

    def fn(image, label):
        image = tf.image.resize(tf.cast(image, tf.float32), hw)
        return prep(image), label

    return fn


def make_pipeline(ds, model: str, size, batch_size: int, shuffle: bool = False, seed: int = 42):
    """Resize + preprocess, (shuffle), batch and prefetch a ``(image, label)`` dataset."""
    import tensorflow as tf

    if shuffle:
        ds = ds.shuffle(1000, seed=seed, reshuffle_each_iteration=True)
    return (
        ds.map(make_preprocess(model, size), num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )


# ----------------------------------------------------------------------------- checks
def output_activation(model) -> str:
    """Name of the activation of the last layer that has one (ignoring the float32 cast)."""
    for layer in reversed(model.layers):
        act = getattr(layer, "activation", None)
        if act is None:
            continue
        name = getattr(act, "__name__", str(act))
        if layer.name == "output" and name == "linear":
            continue
        return name
    raise ValueError(f"model {model.name!r} has no layer with an activation")


def check_loss_matches_output(model, loss) -> str:
    """Refuse the ML4T 10 bug: ``from_logits=True`` on a sigmoid/softmax output (or the reverse)."""
    act = output_activation(model)
    from_logits = bool(getattr(loss, "from_logits", False))
    if from_logits and act in ("sigmoid", "softmax"):
        raise ValueError(
            f"the model outputs probabilities ({act}) but the loss expects logits "
            "(from_logits=True): use from_logits=False, or drop the output activation"
        )
    if not from_logits and act == "linear":
        raise ValueError(
            "the model outputs logits (no activation) but the loss expects probabilities: "
            "use from_logits=True, or add a sigmoid/softmax"
        )
    return f"output activation {act!r} with from_logits={from_logits}: consistent"


def concat_histories(*histories) -> dict[str, list[float]]:
    """Join the ``History`` objects (or dicts) of consecutive phases into one curve a metric."""
    out: dict[str, list[float]] = {}
    for h in histories:
        hist = getattr(h, "history", h)
        if out and set(hist) != set(out):
            raise ValueError(f"histories record different metrics: {sorted(out)} vs {sorted(hist)}")
        for key, values in hist.items():
            out.setdefault(key, []).extend(float(v) for v in values)
    if not out:
        raise ValueError("no history given")
    return out


# ----------------------------------------------------------------------------- images (04)
def resize_for(model: str, images, size: int = 224):
    """uint8 images ``(n, h, w, 3)`` (or a list of differently sized ones) -> the model's input."""
    import numpy as np
    import tensorflow as tf

    imgs = [tf.image.resize(tf.cast(np.asarray(im)[..., :3], tf.float32), (size, size)) for im in images]
    if not imgs:
        raise ValueError("no images given")
    return preprocess_input_fn(model)(tf.stack(imgs)).numpy()


def load_photos(names=("china.jpg", "flower.jpg"), folder: str | os.PathLike | None = None):
    """scikit-learn's sample photographs plus every JPEG/PNG in ``folder`` (if it exists).

    Returns ``{name: uint8 array (h, w, 3)}``.
    """
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_sample_image

    photos = {name: load_sample_image(name) for name in names}
    if folder is not None and Path(folder).is_dir():
        for path in sorted(Path(folder).iterdir()):
            if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
                with Image.open(path) as im:
                    photos[path.name] = np.asarray(im.convert("RGB"))
    if not photos:
        raise ValueError("no photographs: give sample names or put JPEG/PNG files into the folder")
    return photos


def imagenet_class_names() -> list[str] | None:
    """The 1,000 ImageNet class names if Keras has cached their index, else ``None``."""
    import json

    path = keras_cache_dir() / CLASS_INDEX_FILE
    if not path.is_file():
        return None
    index = json.loads(path.read_text())
    return [index[str(i)][1] for i in range(len(index))]


def top_k(probs, k: int = 5, class_names: list[str] | None = None) -> list[list[tuple[str, float]]]:
    """Top-k classes of each row of ``probs`` as ``(name, probability)``; names are
    ``class_<i>`` when the class index is not available."""
    import numpy as np

    probs = np.asarray(probs)
    if probs.ndim != 2 or k < 1 or k > probs.shape[1]:
        raise ValueError(f"need probs (n, classes) and 1 <= k <= classes, got {probs.shape} and k={k}")
    out = []
    for row in probs:
        idx = np.argsort(row)[::-1][:k]
        out.append([(class_names[i] if class_names else f"class_{i}", float(row[i])) for i in idx])
    return out


# ----------------------------------------------------------------------------- applications table (04)
def _all_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            yield from _all_layers(layer)
        else:
            yield layer


def count_weight_layers(model) -> int:
    """Depth as the number of weight layers (convolutions, depthwise / separable convolutions
    and dense layers; nested models included). Batch normalization, activations, pooling,
    concatenations and additions are not counted, nor are layers without a kernel."""
    return sum(type(layer).__name__ in WEIGHT_LAYERS for layer in _all_layers(model))


def applications_table(
    names: Sequence[str] = ("VGG16", "ResNet50", "InceptionV3", "DenseNet201", "MobileNetV2"),
    builder: Callable | None = None,
) -> list[dict]:
    """Build each ``keras.applications`` model with ``weights=None`` (no download), with its
    top, at its default input size, one at a time (the session is cleared in between), and
    return rows: name, year of the paper, input size, depth (:func:`count_weight_layers`),
    parameters, published ImageNet top-1 (``PUBLISHED_TOP1``, from the Keras docs).

    ``builder(name, input_shape)`` replaces the real constructor (tests use a tiny one).
    """
    import keras

    unknown = [n for n in names if n not in PUBLISHED_TOP1]
    if unknown:
        raise KeyError(f"no published top-1 for {unknown}; known: {sorted(PUBLISHED_TOP1)}")
    years = {"VGG16": 2014, "ResNet50": 2015, "InceptionV3": 2015, "DenseNet201": 2017, "MobileNetV2": 2018}

    def real(name, input_shape):
        return getattr(keras.applications, name)(weights=None, include_top=True, input_shape=input_shape)

    build = builder or real
    rows = []
    for name in names:
        keras.backend.clear_session()
        shape = DEFAULT_INPUT.get(name, (224, 224, 3))
        model = build(name, shape)
        rows.append(
            {
                "model": name,
                "year": years[name],
                "input": f"{shape[0]}x{shape[1]}",
                "depth": count_weight_layers(model),
                "params": model.count_params(),
                "top1": PUBLISHED_TOP1[name],
            }
        )
        del model
        keras.backend.clear_session()
    return rows


def format_table(rows: Sequence[dict]) -> str:
    """Rows of :func:`applications_table` as fixed-width text."""
    if not rows:
        raise ValueError("no rows to format: call applications_table() first")
    lines = [
        f"{'model':12s} {'year':>4s} {'input':>7s} {'depth':>5s} {'parameters':>12s} "
        f"{'top-1 (published)':>18s}"
    ]
    for r in rows:
        lines.append(
            f"{r['model']:12s} {r['year']:>4d} {r['input']:>7s} {r['depth']:>5d} "
            f"{r['params']:>12,} {r['top1']:>18.1%}"
        )
    return "\n".join(lines)
