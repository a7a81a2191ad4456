"""The source / target split of CIFAR-10 (notebooks 04 and 05) and the model hand-over 04 -> 05."""

import json

import numpy as np
import pytest

from utils.data import CIFAR10_CLASSES, cifar10_transfer_split

CAT, DOG = CIFAR10_CLASSES.index("cat"), CIFAR10_CLASSES.index("dog")


def fake_cifar(n_train=400, n_test=200, seed=0):
    """CIFAR-10-shaped data; pixel [0, 0, 0] holds the row number (mod 256) to trace images."""
    rng = np.random.default_rng(seed)
    x_train = rng.integers(0, 256, (n_train, 32, 32, 3), dtype=np.uint8)
    x_test = rng.integers(0, 256, (n_test, 32, 32, 3), dtype=np.uint8)
    y_train = rng.permutation(np.arange(n_train) % 10).astype(np.uint8)
    y_test = rng.permutation(np.arange(n_test) % 10).astype(np.uint8)
    return (x_train, y_train), (x_test, y_test)


@pytest.fixture(scope="module")
def data():
    return fake_cifar()


@pytest.fixture(scope="module")
def split(data):
    return cifar10_transfer_split(data, n_val=20)


def test_source_task_has_no_cat_or_dog_image(data, split):
    (_, y_train), (_, y_test) = data
    assert split.source_classes == tuple(c for c in CIFAR10_CLASSES if c not in ("cat", "dog"))
    assert not np.isin(y_train[split.source_train_index], [CAT, DOG]).any()
    assert not np.isin(y_test[split.source_test_index], [CAT, DOG]).any()
    assert len(split.source_train_index) == 320  # every non-cat, non-dog training image
    # labels renumbered 0-7, and each still names the right class
    names = np.array(split.source_classes)[split.source_train[1]]
    assert (names == np.array(CIFAR10_CLASSES)[y_train[split.source_train_index]]).all()


def test_images_are_the_rows_the_index_names(data, split):
    (x_train, _), (x_test, _) = data
    assert np.array_equal(split.source_train[0], x_train[split.source_train_index])
    assert np.array_equal(split.target_train[0], x_train[split.target_train_index])
    assert np.array_equal(split.target_val[0], x_train[split.target_val_index])
    assert np.array_equal(split.target_test[0], x_test[split.target_test_index])


def test_target_parts_are_disjoint_and_test_comes_from_the_test_split(data, split):
    (_, y_train), (_, y_test) = data
    train_rows = [split.source_train_index, split.target_train_index, split.target_val_index]
    all_rows = np.concatenate(train_rows)
    assert len(np.unique(all_rows)) == len(all_rows)  # no training-split image in two parts
    # the target test images are exactly the cat and dog images of the TEST split
    assert sorted(split.target_test_index) == sorted(np.flatnonzero(np.isin(y_test, [CAT, DOG])))
    assert np.array_equal(y_test[split.target_test_index] == DOG, split.target_test[1] == 1)
    assert len(split.target_val_index) + len(split.target_train_index) == 80  # all training cats and dogs


def test_budgets_are_balanced_and_nested(split):
    for n in (2, 10, 30, 60):
        x, y = split.budget(n)
        assert len(x) == n
        assert abs(int((y == 0).sum()) - int((y == 1).sum())) <= 1
    assert np.array_equal(split.budget(10)[0], split.budget(30)[0][:10])
    with pytest.raises(ValueError, match="between 2 and 60"):
        split.budget(61)


def test_same_seed_same_split_and_small_versions(data, split):
    again = cifar10_transfer_split(data, n_val=20)
    assert np.array_equal(again.target_train_index, split.target_train_index)
    small = cifar10_transfer_split(data, n_val=10, n_source=100, n_target=20, n_test=12)
    assert len(small.source_train[1]) == 100
    assert len(small.source_test[1]) == 50  # 160 source test images, shrunk in proportion 100/320
    assert len(small.target_train[1]) == 20
    assert len(small.target_test[1]) == 12
    assert "source train" in small.summary()


def test_bad_arguments_say_what_is_expected(data):
    with pytest.raises(ValueError, match="CIFAR-10 class names"):
        cifar10_transfer_split(data, target=("cat", "wolf"))
    with pytest.raises(ValueError, match="n_val"):
        cifar10_transfer_split(data, n_val=80)


def test_keras_artifact_hand_over_keeps_the_weights(tmp_path, monkeypatch):
    """04 saves the pretrained network and its fingerprint; 05 loads both and checks them."""
    import keras

    from utils import load_artifact, save_artifact, weights_sha256

    monkeypatch.setenv("COURSE_OUTPUT_DIR", str(tmp_path))
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(8, 8, 3))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x), name="net")
    path = save_artifact(model, "04_x/net.keras")
    save_artifact({"weights_sha256": weights_sha256(model)}, "04_x/net.json")
    assert path.exists() and not list(path.parent.glob(".*"))  # written atomically, no leftovers
    loaded = load_artifact("04_x/net.keras", producer="04_x")
    assert weights_sha256(loaded) == json.loads((tmp_path / "04_x/net.json").read_text())["weights_sha256"]
    x = np.random.default_rng(0).random((2, 8, 8, 3), dtype=np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    # a changed weight changes the fingerprint
    loaded.get_layer("conv").kernel.assign(loaded.get_layer("conv").kernel + 1e-3)
    assert weights_sha256(loaded) != weights_sha256(model)
    with pytest.raises(TypeError, match="Keras model"):
        save_artifact({"a": 1}, "04_x/bad.keras")


def test_missing_keras_artifact_names_the_notebook_to_run(tmp_path, monkeypatch):
    from utils import ArtifactNotFoundError, load_artifact

    monkeypatch.setenv("COURSE_OUTPUT_DIR", str(tmp_path))
    with pytest.raises(ArtifactNotFoundError, match="Run notebook 04_bottleneck_features first"):
        load_artifact("04_bottleneck_features/source_net.keras", producer="04_bottleneck_features")


def _notebook_cells(name):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "notebooks" / f"{name}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("notebook", ["04_bottleneck_features", "05_transfer_learning"])
def test_target_test_images_are_touched_only_in_the_last_section_of_the_part(notebook):
    """`split.target_test` (the 2,000 cat and dog test images) appears in no cell before the
    section "The test split, once", and that section's cells come after all the training."""
    import re

    cells = _notebook_cells(notebook)
    source = ["".join(c["source"]) for c in cells]
    start = next(i for i, s in enumerate(source) if s.startswith("## 4. The test split, once"))
    uses = [
        i
        for i, (c, s) in enumerate(zip(cells, source))
        if c["cell_type"] == "code" and re.search(r"\.target_test\b", s)
    ]
    fits = [
        i for i, s in enumerate(source) if re.search(r"\.fit\(", s) and "split" in "".join(source[: i + 1])
    ]
    assert uses, "the final test cell must evaluate on split.target_test"
    assert min(uses) > start, f"split.target_test is used before the test section (cells {uses})"
    part_fits = [
        i
        for i in fits
        if i < start and i > min(i for i, s in enumerate(source) if "cifar10_transfer_split" in s)
    ]
    assert part_fits and max(part_fits) < min(uses)


def test_set_phase_freezes_what_each_phase_says():
    """05's phases on 04's network: which weights train, and that a fine-tuning step changes
    only the last block's convolutions and the head (batch norm statistics stay)."""
    import keras

    from utils.lessons import build_classifier, set_phase, small_vgg

    keras.utils.set_random_seed(0)
    net = small_vgg(n_classes=8, filters=(4, 8, 8))
    base = keras.Model(net.input, net.get_layer("block3_2_relu").output)
    model = build_classifier(base, num_classes=2, dense_units=4, dropout=0.0)

    def trainable_names():
        return sorted(w.path for w in model.trainable_weights)

    head = ["dense/bias", "dense/kernel", "logit/bias", "logit/kernel"]
    set_phase(base, "frozen")
    assert trainable_names() == head
    set_phase(base, "fine_tune")
    assert trainable_names() == sorted(head + ["block3_1_conv/kernel", "block3_2_conv/kernel"])
    assert not any(
        layer.trainable for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)
    )
    before = {w.path: w.numpy() for w in model.weights}
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.BinaryCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    model.fit(rng.random((8, 32, 32, 3), dtype=np.float32), rng.integers(0, 2, 8), epochs=1, verbose=0)
    changed = sorted(w.path for w in model.weights if not np.array_equal(before[w.path], w.numpy()))
    assert changed == sorted(
        head + ["block3_1_conv/kernel", "block3_2_conv/kernel"]
    )  # moving statistics too stay
    set_phase(base, "scratch")
    assert len(model.trainable_weights) == len(
        [w for w in model.weights if "moving" not in w.path]
    )  # everything but batch norm's statistics
    with pytest.raises(ValueError, match="phase must be"):
        set_phase(base, "thawed")
