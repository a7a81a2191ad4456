"""Transfer learning with ``keras.applications``: availability, base models, heads, phases.

Notebooks 04-06 use pretrained ImageNet networks (VGG16, DenseNet201) and TFDS data sets
(cats_vs_dogs, eurosat/rgb). Neither can be downloaded on every machine, so this module

- checks, without hanging, whether the ImageNet weights and a TFDS data set can be had
  (the Keras cache, the TFDS data folder, then a short network probe unless
  ``COURSE_OFFLINE=1``);
- builds the base with ``weights="imagenet"`` when they can, else ``weights=None``, and
  says which (:class:`Availability`);
- loads a TFDS data set through the real ``tfds.load`` call, wrapped in
  ``tfds.testing.mock_data`` when the data cannot be had: the same code path with a
  stand-in of the real schema (random pixels, random labels);
- builds the new head (global pooling, dense, dropout, one logit or a softmax), the loss
  that matches it, and sets which layers train in each phase (frozen base, fine-tuning);
- times a few training steps to estimate how long a full run takes.

TensorFlow, Keras and TFDS are imported inside the functions (importing ``utils`` stays cheap).
"""
from __future__ import annotations

import contextlib
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
# First layer that fine-tuning unfreezes: VGG16's last convolutional block (block5),
# DenseNet201's last dense block (conv5).
FINE_TUNE_FROM = {"vgg16": "block5_conv1", "densenet201": "conv5_block1_0_bn"}
# Sizes of the real data sets (the stand-in has no split information)
REAL_EXAMPLES = {"cats_vs_dogs": 23_262, "eurosat/rgb": 27_000}
PROBE_HOST = ("storage.googleapis.com", 443)  # serves both the Keras weights and TFDS data

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
    return Path(os.environ.get("TFDS_DATA_DIR") or os.path.join(os.path.expanduser("~"), "tensorflow_datasets"))


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


def imagenet_weights_available(model: str, include_top: bool, timeout: float = 3.0) -> bool:
    """Cached, or downloadable right now (never probes the network when offline)."""
    return imagenet_weights_cached(model, include_top) or network_reachable(timeout=timeout)


def tfds_prepared(name: str, data_dir: str | os.PathLike | None = None) -> bool:
    """Is the TFDS data set ``name`` (``"cats_vs_dogs"``, ``"eurosat/rgb"``) prepared on disk?

    Looks for ``<data_dir>/<name>/<version>/dataset_info.json`` without importing TFDS.
    """
    if not name or name.startswith("/") or ".." in name:
        raise ValueError(f"not a TFDS data set name: {name!r}")
    folder = Path(data_dir) if data_dir else tfds_data_dir()
    return any((folder / name).glob("*/dataset_info.json"))


def tfds_available(name: str, data_dir: str | os.PathLike | None = None, timeout: float = 3.0) -> bool:
    """Prepared on disk, or downloadable right now (never probes the network when offline)."""
    return tfds_prepared(name, data_dir) or network_reachable(timeout=timeout)


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


def check_availability(model: str, dataset: str | None = None, include_top: bool = False,
                       timeout: float = 3.0) -> Availability:
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
        raise ValueError("shares must be whole percentages (TFDS slices by percent), "
                         f"got train={train}, validation={validation}")
    if pct_train <= 0 or pct_val <= 0 or pct_train + pct_val >= 100:
        raise ValueError("need 0 < train, 0 < validation and train + validation < 1 (the rest is "
                         f"the test set), got train={train}, validation={validation}")
    end = pct_train + pct_val
    return {"train": f"{split}[:{pct_train}%]", "validation": f"{split}[{pct_train}%:{end}%]",
            "test": f"{split}[{end}%:]"}


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
    return (ds.map(make_preprocess(model, size), num_parallel_calls=tf.data.AUTOTUNE)
            .batch(batch_size).prefetch(tf.data.AUTOTUNE))


# ----------------------------------------------------------------------------- models
def build_base(model: str, input_shape: tuple[int, int, int] | None = None, include_top: bool = False,
               weights: str | None = "auto"):
    """A ``keras.applications`` network and whether it carries ImageNet weights.

    ``weights="auto"``: ImageNet weights when they can be had (cache or network), else
    random initialisation. Returns ``(model, imagenet: bool)``.
    """
    import keras

    cls, _ = _app(model)
    if weights == "auto":
        weights = "imagenet" if imagenet_weights_available(model, include_top) else None
    if weights not in ("imagenet", None):
        raise ValueError(f"weights must be 'auto', 'imagenet' or None, got {weights!r}")
    kwargs: dict[str, Any] = dict(weights=weights, include_top=include_top)
    if input_shape is not None:
        kwargs["input_shape"] = tuple(input_shape)  # keras.applications' own argument
    base = getattr(keras.applications, cls)(**kwargs)
    return base, weights == "imagenet"


def build_classifier(base, num_classes: int, dense_units: int = 256, dropout: float = 0.5,
                     name: str = "transfer"):
    """Base + new head: global average pooling, dense (ReLU), dropout, output.

    Two classes: **one logit** (no activation; pair it with ``from_logits=True``).
    More classes: a softmax over ``num_classes``. The base is called with
    ``training=False``, so its batch-normalisation layers stay in inference mode even
    when they are unfrozen for fine-tuning.
    """
    import keras

    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    inputs = keras.Input(shape=tuple(base.inputs[0].shape[1:]), name="image")
    x = base(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dense(dense_units, activation="relu", name="dense")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    if num_classes == 2:
        outputs = keras.layers.Dense(1, activation=None, name="logit")(x)
    else:
        outputs = keras.layers.Dense(num_classes, activation="softmax", name="probs")(x)
    outputs = keras.layers.Activation("linear", dtype="float32", name="output")(outputs)  # float32 under mixed precision
    return keras.Model(inputs, outputs, name=name)


def loss_and_metrics(num_classes: int):
    """The loss and accuracy that match :func:`build_classifier`'s output.

    Two classes: ``BinaryCrossentropy(from_logits=True)`` and ``BinaryAccuracy(threshold=0)``
    (a logit above 0 is a probability above 0.5). More: sparse categorical cross-entropy
    on softmax probabilities (``from_logits=False``).
    """
    import keras

    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")
    if num_classes == 2:
        return (keras.losses.BinaryCrossentropy(from_logits=True),
                [keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")])
    return (keras.losses.SparseCategoricalCrossentropy(from_logits=False),
            [keras.metrics.SparseCategoricalAccuracy(name="accuracy")])


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
        raise ValueError(f"the model outputs probabilities ({act}) but the loss expects logits "
                         "(from_logits=True): use from_logits=False, or drop the output activation")
    if not from_logits and act == "linear":
        raise ValueError("the model outputs logits (no activation) but the loss expects probabilities: "
                         "use from_logits=True, or add a sigmoid/softmax")
    return f"output activation {act!r} with from_logits={from_logits}: consistent"


def compile_classifier(model, num_classes: int, learning_rate: float) -> None:
    """Adam at ``learning_rate`` with the matching loss and accuracy (checked for consistency)."""
    import keras

    loss, metrics = loss_and_metrics(num_classes)
    check_loss_matches_output(model, loss)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=metrics)


def set_phase(base, phase: str, fine_tune_from: str | None = None) -> list[str]:
    """Choose which layers of ``base`` train; returns the names of the trainable ones.

    - ``"frozen"``: no layer of the base trains (only the new head does);
    - ``"fine_tune"``: layers from ``fine_tune_from`` (a layer name) on train, earlier ones
      stay frozen; batch-normalisation layers always stay frozen (their statistics were
      learned on ImageNet and small batches would spoil them).

    Recompile the model after calling this: Keras fixes the trainable weights at compile time.
    """
    import keras

    if phase not in ("frozen", "fine_tune"):
        raise ValueError(f"phase must be 'frozen' or 'fine_tune', got {phase!r}")
    if phase == "frozen":
        base.trainable = False
        return []
    names = [layer.name for layer in base.layers]
    if fine_tune_from not in names:
        raise ValueError(f"fine_tune_from={fine_tune_from!r} is not a layer of {base.name}; "
                         f"its last layers are {names[-5:]}")
    start = names.index(fine_tune_from)
    base.trainable = True
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= start and not isinstance(layer, keras.layers.BatchNormalization)
    return [layer.name for layer in base.layers if layer.trainable and layer.weights]


def count_params(weights) -> int:
    """Number of values in a list of weights."""
    import numpy as np

    return int(sum(int(np.prod(w.shape)) for w in weights))


def param_counts(model) -> dict[str, int]:
    """Total, trainable and non-trainable parameter counts."""
    trainable = count_params(model.trainable_weights)
    non_trainable = count_params(model.non_trainable_weights)
    return {"total": trainable + non_trainable, "trainable": trainable, "non_trainable": non_trainable}


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


# ----------------------------------------------------------------------------- run time
def forward_flops(model) -> int:
    """Floating-point operations of one forward pass of one example (2 x multiply-adds of
    the convolutional and dense layers; nested models included)."""
    import keras
    import numpy as np

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += forward_flops(layer)
        elif isinstance(layer, keras.layers.Conv2D):
            k = int(np.prod(layer.kernel.shape))  # kh * kw * cin * cout (/ groups)
            oh, ow = layer.output.shape[1:3]
            total += 2 * k * int(oh) * int(ow)
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * int(np.prod(layer.kernel.shape))
    return total


@contextlib.contextmanager
def _quiet_tf():
    """Silence TensorFlow's retracing warnings while timing (several models, one call each)."""
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        yield
    finally:
        logger.setLevel(level)


def _random_batch(model, batch_size: int, n_batches: int, seed: int):
    import numpy as np

    if n_batches < 1 or batch_size < 1:
        raise ValueError(f"need n_batches >= 1 and batch_size >= 1, got {n_batches}, {batch_size}")
    shape = tuple(model.inputs[0].shape[1:])
    if None in shape:
        raise ValueError(f"timing needs a fixed input size; the model takes {shape}")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch_size, *shape)).astype("float32")
    out = model.outputs[0].shape[-1]
    y = (rng.integers(0, 2, size=(batch_size, 1)) if out == 1 else rng.integers(0, out, size=batch_size))
    return x, y.astype("float32")


def time_train_steps(model, batch_size: int, n_batches: int = 2, seed: int = 0) -> float:
    """Seconds per training step (forward + backward + update) on random inputs of the
    model's input shape: one warm-up step (graph tracing), then the **fastest** of
    ``n_batches`` steps (other programs on the machine slow the mean, not the minimum)."""
    x, y = _random_batch(model, batch_size, n_batches, seed)
    times = []
    with _quiet_tf():
        model.train_on_batch(x, y)  # warm-up
        for _ in range(n_batches):
            start = time.perf_counter()
            model.train_on_batch(x, y)
            times.append(time.perf_counter() - start)
    return min(times)


def time_predict(model, batch_size: int, n_batches: int = 2, seed: int = 0) -> float:
    """Seconds per forward pass of a batch: one warm-up, then the fastest of ``n_batches``."""
    x, _ = _random_batch(model, batch_size, n_batches, seed)
    times = []
    with _quiet_tf():
        model.predict_on_batch(x)
        for _ in range(n_batches):
            start = time.perf_counter()
            model.predict_on_batch(x)
            times.append(time.perf_counter() - start)
    return min(times)


class BatchTimer:
    """Keras callback factory: records the wall time of every training and evaluation batch.

    ``timer = BatchTimer(batch_size)``; ``model.fit(..., callbacks=[timer.callback])``;
    then ``timer.per_image("train")``. The first batch of each kind in each ``fit`` call is
    left out (it includes building the graph), and the fastest batch is taken: other
    programs on a shared machine make single batches slow, never fast.
    """

    def __init__(self, batch_size: int):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        import keras

        self.batch_size = batch_size
        self.times: dict[str, list[float]] = {"train": [], "test": []}
        timer = self

        class _Callback(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                timer._first = {"train": True, "test": True}

            def on_train_batch_begin(self, batch, logs=None):
                timer._start = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                timer._record("train")

            def on_test_batch_begin(self, batch, logs=None):
                timer._start = time.perf_counter()

            def on_test_batch_end(self, batch, logs=None):
                timer._record("test")

        self._first = {"train": True, "test": True}
        self._start = 0.0
        self.callback = _Callback()

    def _record(self, kind: str) -> None:
        elapsed = time.perf_counter() - self._start
        if self._first[kind]:
            self._first[kind] = False
            return
        self.times[kind].append(elapsed)

    def per_image(self, kind: str = "train") -> float:
        """Seconds per image of the fastest recorded batch of ``kind`` (``train`` or ``test``)."""
        if kind not in self.times:
            raise ValueError(f"kind must be 'train' or 'test', got {kind!r}")
        if not self.times[kind]:
            raise ValueError(f"no {kind} batch was timed besides the first of each fit: "
                             "use at least two batches per epoch (more examples or a smaller batch)")
        return min(self.times[kind]) / self.batch_size


# Basis of the GPU estimate: NVIDIA's published training throughput of ResNet-50 with mixed
# precision on a T4 (the free Colab GPU) is of the order of 250-300 images/s; one ResNet-50
# training image costs about 3 x 8.2 GFLOP, i.e. ~7 TFLOP/s sustained.
GPU_TFLOPS = 7.0
GPU_BASIS = ("assumed: an NVIDIA T4-class GPU (e.g. free Colab) with mixed precision sustaining "
             "~7 TFLOP/s, its published ResNet-50 training rate (~280 images/s at ~3 x 8.2 GFLOP "
             "each); a lower bound: the input pipeline is not counted, and small images or many "
             "thin layers (DenseNet) keep a GPU well below that rate")


def estimate_seconds(seconds_per_example: float, n_examples: int, epochs: int = 1) -> float:
    """Time of ``epochs`` passes over ``n_examples`` at a measured per-example cost."""
    if seconds_per_example < 0 or n_examples < 0 or epochs < 0:
        raise ValueError("times, counts and epochs must be non-negative")
    return seconds_per_example * n_examples * epochs


def gpu_seconds(flops_per_example: float, n_examples: int, epochs: int = 1,
                tflops: float = GPU_TFLOPS) -> float:
    """Estimated GPU time from a FLOP count and an assumed sustained rate (see ``GPU_BASIS``)."""
    if tflops <= 0:
        raise ValueError(f"tflops must be positive, got {tflops}")
    return flops_per_example * n_examples * epochs / (tflops * 1e12)


def transfer_run_estimate(per_image: dict[str, float], flops_per_image: float, n_train: int,
                          n_val: int, n_test: int, epochs_frozen: int, epochs_fine: int,
                          tflops: float = GPU_TFLOPS) -> dict[str, float]:
    """Seconds of a full two-phase run: evaluation before training, the frozen phase, the
    fine-tuning phase (each epoch: a training pass and a validation pass) and the test set.

    ``per_image``: CPU seconds per image of a training step with the base frozen
    (``frozen``), while fine-tuning (``fine_tune``) and of an evaluation step (``eval``),
    e.g. from :class:`BatchTimer`. The GPU figure counts
    forward FLOPs: 1x per training image with a frozen base (no gradient flows into it),
    3x when fine-tuning (an upper bound: only the top block needs the backward pass), 1x
    per evaluated image, at an assumed ``tflops`` (see ``GPU_BASIS``).
    """
    missing = {"frozen", "fine_tune", "eval"} - set(per_image)
    if missing:
        raise KeyError(f"per_image lacks {sorted(missing)}; give seconds per image for "
                       "'frozen', 'fine_tune' and 'eval' (see BatchTimer)")
    evals = n_val * (1 + epochs_frozen + epochs_fine) + n_test
    cpu = (epochs_frozen * n_train * per_image["frozen"] + epochs_fine * n_train * per_image["fine_tune"]
           + evals * per_image["eval"])
    gpu_images = epochs_frozen * n_train + 3 * epochs_fine * n_train + evals
    return {"cpu": cpu, "gpu": gpu_seconds(flops_per_image, gpu_images, tflops=tflops)}


def format_duration(seconds: float) -> str:
    """``75 -> '1.2 min'``, ``5400 -> '1.5 h'``, ``12 -> '12 s'``."""
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {seconds}")
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
