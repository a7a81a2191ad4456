"""utils.transfer: the online path of notebooks 04-06, tested without network."""

import json
import socket
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from utils import transfer as T


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """COURSE_OFFLINE=1, empty caches, and any network access fails the test."""
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))

    def no_network(*args, **kwargs):
        raise AssertionError("the network was touched although COURSE_OFFLINE=1")

    monkeypatch.setattr(socket, "create_connection", no_network)
    return tmp_path


def _tiny_base(shape=(32, 32, 3)):
    inp = keras.Input(shape=shape)
    x = keras.layers.Conv2D(4, 3, name="block1_conv1")(inp)
    x = keras.layers.BatchNormalization(name="block1_bn")(x)
    x = keras.layers.Conv2D(4, 3, name="block2_conv1")(x)
    x = keras.layers.BatchNormalization(name="block2_bn")(x)
    x = keras.layers.Conv2D(8, 3, name="block2_conv2")(x)
    return keras.Model(inp, x, name="tiny")


# ------------------------------------------------------------------ split strings
def test_split_strings_default_is_80_10_10():
    assert T.split_strings() == {
        "train": "train[:80%]",
        "validation": "train[80%:90%]",
        "test": "train[90%:]",
    }


def test_split_strings_other_shares_and_split():
    assert T.split_strings(0.7, 0.15, split="data") == {
        "train": "data[:70%]",
        "validation": "data[70%:85%]",
        "test": "data[85%:]",
    }


@pytest.mark.parametrize("train,val", [(0.9, 0.1), (0, 0.1), (0.8, 0), (0.805, 0.1), (0.5, 0.6)])
def test_split_strings_refuses_bad_shares(train, val):
    with pytest.raises(ValueError, match="train"):
        T.split_strings(train, val)


# ------------------------------------------------------------------ preprocessing
def test_vgg_preprocess_resizes_and_converts_to_bgr_minus_mean():
    red = np.zeros((37, 53, 3), np.uint8)
    red[..., 0] = 255
    x, y = T.make_preprocess("vgg16", 160)(tf.constant(red), tf.constant(1))
    assert x.shape == (160, 160, 3) and x.dtype == tf.float32 and int(y) == 1
    # caffe mode: RGB -> BGR and the ImageNet channel means subtracted, no scaling
    np.testing.assert_allclose(x.numpy()[0, 0], [-103.939, -116.779, 255 - 123.68], atol=1e-3)


def test_densenet_preprocess_is_torch_mode():
    grey = np.full((64, 64, 3), 255, np.uint8)
    x, _ = T.make_preprocess("densenet201", (64, 64))(tf.constant(grey), tf.constant(0))
    expected = (1.0 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(x.numpy()[10, 10], expected, rtol=1e-5)


def test_preprocess_errors():
    with pytest.raises(ValueError, match="unknown model"):
        T.preprocess_input_fn("alexnet")
    with pytest.raises(ValueError, match="at least 32"):
        T.make_preprocess("vgg16", 16)


def test_pipeline_batches_preprocessed_images():
    ds = tf.data.Dataset.from_tensor_slices((np.zeros((5, 40, 30, 3), np.uint8), np.arange(5)))
    batches = list(T.make_pipeline(ds, "vgg16", 64, batch_size=2, shuffle=True))
    assert [b[0].shape for b in batches] == [(2, 64, 64, 3), (2, 64, 64, 3), (1, 64, 64, 3)]
    assert sorted(np.concatenate([b[1].numpy() for b in batches])) == list(range(5))


def test_resize_for_takes_images_of_any_size():
    out = T.resize_for("vgg16", [np.zeros((30, 40, 3), np.uint8), np.zeros((50, 20, 4), np.uint8)], size=48)
    assert out.shape == (2, 48, 48, 3) and out.dtype == np.float32
    with pytest.raises(ValueError, match="no images"):
        T.resize_for("vgg16", [])


# ------------------------------------------------------------------ the head of notebook 05 (utils.lessons)
def test_binary_head_is_one_logit_and_the_check_agrees():
    from utils.lessons import build_classifier

    model = build_classifier(_tiny_base(), num_classes=2, dense_units=8)
    assert model.output_shape == (None, 1)
    assert T.output_activation(model) == "linear"
    assert "consistent" in T.check_loss_matches_output(
        model, keras.losses.BinaryCrossentropy(from_logits=True)
    )
    # accuracy on logits thresholds at 0, not 0.5 (notebook 05's metric)
    metric = keras.metrics.BinaryAccuracy(threshold=0.0)
    metric.update_state(np.array([[0.0], [1.0]]), np.array([[-1.0], [0.3]]))
    assert float(metric.result()) == 1.0


def test_multiclass_head_is_softmax_and_the_base_runs_in_inference_mode():
    from utils.lessons import build_classifier

    base = _tiny_base()
    model = build_classifier(base, num_classes=10, dense_units=8)
    assert model.output_shape == (None, 10)
    assert T.output_activation(model) == "softmax"
    T.check_loss_matches_output(model, keras.losses.SparseCategoricalCrossentropy())
    probs = model.predict(np.zeros((3, 32, 32, 3), "float32"), verbose=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert [layer.name for layer in model.layers][2:5] == ["pool", "dense", "dropout"]


def test_frozen_batch_norm_keeps_its_statistics_while_the_rest_fine_tunes():
    """Notebooks 05-06: unfreeze the base but keep batch normalization frozen (trainable=False)."""
    from utils.lessons import build_classifier

    base = _tiny_base()
    model = build_classifier(base, num_classes=2, dense_units=8)
    base.trainable = True
    for layer in base.layers:
        layer.trainable = not isinstance(layer, keras.layers.BatchNormalization)
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    bn, conv = base.get_layer("block1_bn"), base.get_layer("block2_conv1")
    mean, kernel = bn.moving_mean.numpy().copy(), conv.kernel.numpy().copy()
    model.train_on_batch(np.ones((4, 32, 32, 3), "float32"), np.zeros((4, 1), "float32"))
    np.testing.assert_array_equal(bn.moving_mean.numpy(), mean)
    assert not np.allclose(conv.kernel.numpy(), kernel)


def test_keras_overrides_training_false_of_a_nested_base():
    """Why the notebooks freeze batch normalization: in Keras 3.15, fit's training=True replaces the
    training=False of ``base(inputs, training=False)``, so a trainable batch norm layer of the
    base updates its statistics. If this test fails, Keras changed: revisit notebooks 05-06."""
    from utils.lessons import build_classifier

    base = _tiny_base()
    model = build_classifier(base, num_classes=2, dense_units=8)
    base.trainable = True
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    mean = base.get_layer("block1_bn").moving_mean.numpy().copy()
    model.train_on_batch(np.ones((4, 32, 32, 3), "float32"), np.zeros((4, 1), "float32"))
    assert not np.allclose(base.get_layer("block1_bn").moving_mean.numpy(), mean)


def test_loss_check_catches_the_ml4t_bug():
    inp = keras.Input(shape=(4,))
    sigmoid = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(inp))
    with pytest.raises(ValueError, match="from_logits=True"):
        T.check_loss_matches_output(sigmoid, keras.losses.BinaryCrossentropy(from_logits=True))
    T.check_loss_matches_output(sigmoid, keras.losses.BinaryCrossentropy())
    logits = keras.Model(inp, keras.layers.Dense(1)(inp))
    with pytest.raises(ValueError, match="logits"):
        T.check_loss_matches_output(logits, keras.losses.BinaryCrossentropy())
    with pytest.raises(ValueError, match="no layer with an activation"):
        T.output_activation(keras.Model(inp, keras.layers.Flatten()(inp)))


# ------------------------------------------------------------------ availability
def test_availability_is_false_offline_and_fast(offline):
    start = time.perf_counter()
    assert T.offline()
    assert not T.network_reachable()
    avail = T.check_availability("densenet201", "eurosat/rgb")
    assert time.perf_counter() - start < 1.0
    assert (avail.weights, avail.data, avail.real, avail.weights_arg) == (False, False, False, None)
    assert "STAND-IN" in avail.banner() and "STAND-IN" in avail.report()
    assert "eurosat/rgb" in avail.banner() and "weights=None" in avail.banner()


def test_availability_finds_cached_weights_and_prepared_data(offline, monkeypatch):
    cache = T.keras_cache_dir()
    cache.mkdir(parents=True)
    (cache / T.WEIGHT_FILES[("vgg16", False)]).write_bytes(b"x")
    prepared = offline / "tfds" / "cats_vs_dogs" / "4.0.1"
    prepared.mkdir(parents=True)
    (prepared / "dataset_info.json").write_text("{}")
    assert T.imagenet_weights_cached("vgg16", include_top=False)
    assert not T.imagenet_weights_cached("vgg16", include_top=True)
    avail = T.check_availability("vgg16", "cats_vs_dogs")
    assert avail.real and avail.banner() == "" and avail.weights_arg == "imagenet"
    assert "NOT" not in avail.report()


def test_network_probe_times_out_instead_of_hanging(monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    calls = []

    def fake(addr, timeout):
        calls.append(timeout)
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", fake)
    assert T.network_reachable(timeout=0.5) is False and calls == [0.5]


def test_tfds_prepared_rejects_odd_names(offline):
    with pytest.raises(ValueError, match="TFDS data set name"):
        T.tfds_prepared("../etc")


# ------------------------------------------------------------------ stand-in data
@pytest.mark.parametrize("name,classes,fixed", [("cats_vs_dogs", 2, None), ("eurosat/rgb", 10, (64, 64, 3))])
def test_stand_in_has_the_real_schema(offline, name, classes, fixed):
    parts, info = T.load_tfds(name, T.split_strings(), stand_in=True, stand_in_examples=6)
    assert list(parts) == ["train", "validation", "test"]
    assert info.features["label"].num_classes == classes
    images, labels = zip(*[(x.numpy(), int(y)) for x, y in parts["test"]])
    assert len(images) == 6
    for img in images:
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[-1] == 3
        if fixed:
            assert img.shape == fixed
    assert all(0 <= y < classes for y in labels)


def test_load_tfds_argument_check():
    with pytest.raises(ValueError, match="stand_in_examples"):
        T.load_tfds("cats_vs_dogs", T.split_strings(), stand_in=True, stand_in_examples=0)


# ------------------------------------------------------------------ photos, predictions
def test_load_photos_adds_student_images(tmp_path):
    from PIL import Image

    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "mine.png")
    (tmp_path / "notes.txt").write_text("not an image")
    photos = T.load_photos(folder=tmp_path)
    assert list(photos) == ["china.jpg", "flower.jpg", "mine.png"]
    assert photos["mine.png"].shape == (20, 30, 3) and photos["china.jpg"].dtype == np.uint8
    assert list(T.load_photos(folder=tmp_path / "missing")) == ["china.jpg", "flower.jpg"]
    with pytest.raises(ValueError, match="no photographs"):
        T.load_photos(names=(), folder=None)


def test_top_k_and_class_names(offline):
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])
    assert T.top_k(probs, 2) == [[("class_1", 0.6), ("class_2", 0.3)], [("class_0", 0.5), ("class_2", 0.3)]]
    assert T.top_k(probs, 1, ["a", "b", "c"])[0] == [("b", 0.6)]
    with pytest.raises(ValueError, match="k"):
        T.top_k(probs, 4)
    assert T.imagenet_class_names() is None
    T.keras_cache_dir().mkdir(parents=True)
    (T.keras_cache_dir() / T.CLASS_INDEX_FILE).write_text(
        json.dumps({"0": ["n0", "tench"], "1": ["n1", "goldfish"]})
    )
    assert T.imagenet_class_names() == ["tench", "goldfish"]


# ------------------------------------------------------------------ histories
def test_concat_histories():
    joined = T.concat_histories({"loss": [3, 2], "val_loss": [4, 3]}, {"loss": [1], "val_loss": [2]})
    assert joined == {"loss": [3.0, 2.0, 1.0], "val_loss": [4.0, 3.0, 2.0]}
    with pytest.raises(ValueError, match="different metrics"):
        T.concat_histories({"loss": [1]}, {"acc": [1]})
    with pytest.raises(ValueError, match="no history"):
        T.concat_histories()


# ------------------------------------------------------------------ applications table (04)
def test_count_weight_layers_looks_into_nested_models():
    inner = keras.Sequential(
        [keras.Input(shape=(4,)), keras.layers.Dense(3), keras.layers.BatchNormalization()]
    )
    x = keras.Input(shape=(4,))
    outer = keras.Model(x, keras.layers.Dense(2)(inner(x)))
    assert T.count_weight_layers(outer) == 2


def test_applications_table_with_a_tiny_builder():
    seen = []

    def tiny(name, shape):
        seen.append((name, shape))
        x = keras.Input(shape=shape)
        y = keras.layers.Conv2D(2, 3)(x)
        y = keras.layers.GlobalAveragePooling2D()(y)
        return keras.Model(x, keras.layers.Dense(3)(y))

    rows = T.applications_table(("VGG16", "InceptionV3"), builder=tiny)
    assert seen == [("VGG16", (224, 224, 3)), ("InceptionV3", (299, 299, 3))]
    assert [r["depth"] for r in rows] == [2, 2]
    assert rows[0]["params"] == 3 * 3 * 3 * 2 + 2 + 2 * 3 + 3
    assert rows[1]["top1"] == T.PUBLISHED_TOP1["InceptionV3"] and rows[1]["input"] == "299x299"
    text = T.format_table(rows)
    assert "VGG16" in text and "71.3%" in text


def test_applications_table_errors():
    with pytest.raises(KeyError, match="no published top-1"):
        T.applications_table(("AlexNet",), builder=lambda n, s: None)
    with pytest.raises(ValueError, match="no rows"):
        T.format_table([])


def test_applications_table_real_small_model():
    """The real constructor path, on the smallest of the five (MobileNetV2, 3.5 M parameters)."""
    rows = T.applications_table(("MobileNetV2",))
    assert rows[0]["params"] == 3_538_984  # the Keras docs' count
    assert rows[0]["depth"] == 53  # 35 convolutions, 17 depthwise, 1 dense
