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


@pytest.fixture(scope="module")
def vgg_small():
    base, imagenet = T.build_base("vgg16", (32, 32, 3), weights=None)
    assert imagenet is False
    return base


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
    assert T.split_strings() == {"train": "train[:80%]", "validation": "train[80%:90%]", "test": "train[90%:]"}


def test_split_strings_other_shares_and_split():
    assert T.split_strings(0.7, 0.15, split="data") == {
        "train": "data[:70%]", "validation": "data[70%:85%]", "test": "data[85%:]"}


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


# ------------------------------------------------------------------ head
def test_binary_head_is_one_logit_with_from_logits_loss():
    model = T.build_classifier(_tiny_base(), num_classes=2, dense_units=8)
    assert model.output_shape == (None, 1)
    assert T.output_activation(model) == "linear"
    loss, metrics = T.loss_and_metrics(2)
    assert loss.from_logits is True
    assert "consistent" in T.check_loss_matches_output(model, loss)
    # accuracy on logits thresholds at 0, not 0.5
    metrics[0].update_state(np.array([[0.0], [1.0]]), np.array([[-1.0], [0.3]]))
    assert float(metrics[0].result()) == 1.0


def test_multiclass_head_is_softmax_with_probability_loss():
    model = T.build_classifier(_tiny_base(), num_classes=10, dense_units=8)
    assert model.output_shape == (None, 10)
    assert T.output_activation(model) == "softmax"
    loss, _ = T.loss_and_metrics(10)
    assert loss.from_logits is False
    T.check_loss_matches_output(model, loss)
    probs = model.predict(np.zeros((3, 32, 32, 3), "float32"), verbose=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    layer_names = [layer.name for layer in model.layers]
    assert layer_names[2:5] == ["pool", "dense", "dropout"]


def test_loss_check_catches_the_ml4t_bug():
    inp = keras.Input(shape=(4,))
    sigmoid = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(inp))
    with pytest.raises(ValueError, match="from_logits=True"):
        T.check_loss_matches_output(sigmoid, keras.losses.BinaryCrossentropy(from_logits=True))
    T.check_loss_matches_output(sigmoid, keras.losses.BinaryCrossentropy())
    logits = keras.Model(inp, keras.layers.Dense(1)(inp))
    with pytest.raises(ValueError, match="logits"):
        T.check_loss_matches_output(logits, keras.losses.BinaryCrossentropy())


def test_head_and_loss_argument_errors():
    with pytest.raises(ValueError, match="num_classes"):
        T.build_classifier(_tiny_base(), num_classes=1)
    with pytest.raises(ValueError, match="dropout"):
        T.build_classifier(_tiny_base(), num_classes=2, dropout=1.0)
    with pytest.raises(ValueError, match="num_classes"):
        T.loss_and_metrics(1)


def test_compile_classifier_trains_a_step():
    model = T.build_classifier(_tiny_base(), num_classes=2, dense_units=8)
    T.compile_classifier(model, 2, 1e-3)
    assert model.loss.from_logits
    assert T.time_train_steps(model, batch_size=2, n_batches=1) > 0
    assert T.time_predict(model, batch_size=2, n_batches=1) > 0


# ------------------------------------------------------------------ freezing per phase
def test_vgg16_shapes_and_parameter_counts(vgg_small):
    assert vgg_small.output_shape == (None, 1, 1, 512)
    assert vgg_small.count_params() == 14_714_688  # the convolutional part does not depend on the size


def test_frozen_phase_trains_only_the_head(vgg_small):
    model = T.build_classifier(vgg_small, num_classes=2, dense_units=256)
    assert T.set_phase(vgg_small, "frozen") == []
    counts = T.param_counts(model)
    assert counts["trainable"] == 512 * 256 + 256 + 256 + 1
    assert counts["non_trainable"] == 14_714_688
    assert not vgg_small.trainable_weights


def test_fine_tune_phase_unfreezes_block5_only(vgg_small):
    model = T.build_classifier(vgg_small, num_classes=2, dense_units=256)
    names = T.set_phase(vgg_small, "fine_tune", T.FINE_TUNE_FROM["vgg16"])
    assert names == ["block5_conv1", "block5_conv2", "block5_conv3"]
    assert T.param_counts(model)["trainable"] == 3 * (3 * 3 * 512 * 512 + 512) + 131_585
    assert not any(layer.trainable for layer in vgg_small.layers if layer.name.startswith("block4"))
    T.set_phase(vgg_small, "frozen")  # back again
    assert T.param_counts(model)["trainable"] == 131_585


def test_fine_tune_keeps_batch_norm_frozen():
    base = _tiny_base()
    names = T.set_phase(base, "fine_tune", "block2_conv1")
    assert names == ["block2_conv1", "block2_conv2"]
    assert not base.get_layer("block2_bn").trainable


def test_densenet_fine_tune_layer_exists_and_bn_stays_frozen():
    base, _ = T.build_base("densenet201", (32, 32, 3), weights=None)
    names = T.set_phase(base, "fine_tune", T.FINE_TUNE_FROM["densenet201"])
    assert names[0] == "conv5_block1_1_conv" and all("conv5" in n for n in names)
    assert not any(isinstance(base.get_layer(n), keras.layers.BatchNormalization) for n in names)


def test_set_phase_errors():
    base = _tiny_base()
    with pytest.raises(ValueError, match="phase must be"):
        T.set_phase(base, "all")
    with pytest.raises(ValueError, match="not a layer"):
        T.set_phase(base, "fine_tune", "block9_conv1")


def test_build_base_errors():
    with pytest.raises(ValueError, match="weights must be"):
        T.build_base("vgg16", (32, 32, 3), weights="cifar")
    with pytest.raises(ValueError, match="unknown model"):
        T.build_base("resnet", (32, 32, 3), weights=None)


def test_build_base_auto_falls_back_to_random_weights_offline(offline):
    base, imagenet = T.build_base("vgg16", (32, 32, 3), weights="auto")
    assert imagenet is False and base.count_params() == 14_714_688


# ------------------------------------------------------------------ availability
def test_availability_is_false_offline_and_fast(offline):
    start = time.perf_counter()
    assert T.offline()
    assert not T.network_reachable()
    assert not T.imagenet_weights_available("vgg16", include_top=True)
    assert not T.tfds_available("cats_vs_dogs")
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
        raise socket.timeout("timed out")

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
    (T.keras_cache_dir() / T.CLASS_INDEX_FILE).write_text(json.dumps({"0": ["n0", "tench"], "1": ["n1", "goldfish"]}))
    assert T.imagenet_class_names() == ["tench", "goldfish"]


# ------------------------------------------------------------------ histories and run time
def test_concat_histories():
    joined = T.concat_histories({"loss": [3, 2], "val_loss": [4, 3]}, {"loss": [1], "val_loss": [2]})
    assert joined == {"loss": [3.0, 2.0, 1.0], "val_loss": [4.0, 3.0, 2.0]}
    with pytest.raises(ValueError, match="different metrics"):
        T.concat_histories({"loss": [1]}, {"acc": [1]})
    with pytest.raises(ValueError, match="no history"):
        T.concat_histories()


def test_forward_flops_counts_conv_and_dense():
    inp = keras.Input(shape=(8, 8, 1))
    x = keras.layers.Conv2D(2, 3, name="c")(inp)                  # 6x6x2 out, 9 weights per output
    x = keras.layers.Flatten()(x)
    out = keras.layers.Dense(1)(x)                                # 72 multiply-adds
    assert T.forward_flops(keras.Model(inp, out)) == 2 * (9 * 2 * 36) + 2 * 72


def test_forward_flops_of_vgg16_at_224():
    base, _ = T.build_base("vgg16", (224, 224, 3), weights=None)
    assert abs(T.forward_flops(base) / 1e9 - 30.7) < 0.3  # 15.3 G multiply-adds, the known figure


def test_time_estimates():
    assert T.estimate_seconds(0.5, 100, epochs=2) == 100
    assert T.gpu_seconds(1e12, 7, tflops=7.0) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        T.estimate_seconds(-1, 10)
    with pytest.raises(ValueError, match="tflops"):
        T.gpu_seconds(1, 1, tflops=0)
    assert [T.format_duration(s) for s in (12, 75, 600, 5400)] == ["12 s", "75 s", "10.0 min", "1.5 h"]
    with pytest.raises(ValueError):
        T.format_duration(-1)
    with pytest.raises(ValueError):
        T.time_train_steps(T.build_classifier(_tiny_base(), 2), batch_size=0)


def test_timing_needs_a_fixed_input_size():
    inp = keras.Input(shape=(None, None, 3))
    model = keras.Model(inp, keras.layers.GlobalAveragePooling2D()(inp))
    with pytest.raises(ValueError, match="fixed input size"):
        T.time_predict(model, batch_size=2)


def test_run_estimate():
    est = T.transfer_run_estimate({"frozen": 1.0, "fine_tune": 2.0, "eval": 0.5}, flops_per_image=7e12,
                                  n_train=10, n_val=2, n_test=4, epochs_frozen=3, epochs_fine=2, tflops=7.0)
    # cpu: 3*10*1 + 2*10*2 + (2*(1+3+2) + 4)*0.5 = 30 + 40 + 8
    assert est["cpu"] == pytest.approx(78.0)
    # gpu: images-equivalent 3*10 + 3*2*10 + 16 = 106, one second each
    assert est["gpu"] == pytest.approx(106.0)
    with pytest.raises(KeyError, match="BatchTimer"):
        T.transfer_run_estimate({"frozen": 1.0}, 1, 1, 1, 1, 1, 1)


def test_batch_timer_skips_the_first_batch_of_each_fit():
    base = _tiny_base()
    model = T.build_classifier(base, num_classes=2, dense_units=4)
    T.compile_classifier(model, 2, 1e-3)
    x, y = np.zeros((8, 32, 32, 3), "float32"), np.zeros((8, 1), "float32")
    timer = T.BatchTimer(batch_size=2)
    model.fit(x, y, batch_size=2, epochs=2, validation_data=(x, y), verbose=0, callbacks=[timer.callback])
    assert len(timer.times["train"]) == 2 * 4 - 1 and len(timer.times["test"]) == 2 * 4 - 1
    assert 0 < timer.per_image("train") < 1 and timer.per_image("test") > 0
    empty = T.BatchTimer(batch_size=8)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[empty.callback])
    with pytest.raises(ValueError, match="at least two batches"):
        empty.per_image("train")
    with pytest.raises(ValueError, match="kind"):
        empty.per_image("predict")
    with pytest.raises(ValueError, match="batch_size"):
        T.BatchTimer(0)
