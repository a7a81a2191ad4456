import numpy as np
import pytest

from utils.lessons import dense_baseline, lenet5
from utils.pipeline import make_dataset, train_val_split


def test_dataset_shapes_scaling_and_order():
    x = np.arange(10 * 4 * 4, dtype=np.uint8).reshape(10, 4, 4)
    y = np.arange(10)
    batches = list(make_dataset(x, y, batch_size=4).as_numpy_iterator())
    assert [b[0].shape for b in batches] == [(4, 4, 4, 1), (4, 4, 4, 1), (2, 4, 4, 1)]
    assert batches[0][0].dtype == np.float32
    np.testing.assert_allclose(batches[0][0][1, ..., 0], x[1] / 255, rtol=1e-6)
    assert np.concatenate([b[1] for b in batches]).tolist() == list(range(10))  # no shuffle: order kept
    images_only = next(make_dataset(x, batch_size=3, scale=None).as_numpy_iterator())
    assert images_only.shape == (3, 4, 4, 1) and images_only.max() == x[:3].max()


def test_shuffle_is_seeded_and_reshuffles_each_epoch():
    x = np.zeros((50, 2, 2, 1), dtype=np.uint8)
    y = np.arange(50)

    def epochs(seed):
        ds = make_dataset(x, y, batch_size=50, shuffle=True, seed=seed)
        return [next(iter(ds))[1].numpy().tolist() for _ in range(2)]

    a, b = epochs(1), epochs(1)
    assert a == b  # same seed, same order
    assert a[0] != a[1]  # a new order each epoch
    assert sorted(a[0]) == list(range(50))  # labels stay paired: nothing lost


def test_augmentation_runs_on_training_batches():
    import keras

    flip = keras.layers.RandomFlip("horizontal", seed=0)
    x = np.tile(np.arange(4, dtype=np.uint8), (8, 4, 1))[..., None]  # (8, 4, 4, 1): columns 0..3
    out = np.concatenate(
        [
            b
            for b, _ in make_dataset(
                x, np.zeros(8), batch_size=8, augment=flip, scale=None
            ).as_numpy_iterator()
        ]
    )
    flipped = [(img[0, :, 0] == [3, 2, 1, 0]).all() for img in out]
    assert any(flipped) and out.shape == x.shape


def test_dataset_input_errors():
    with pytest.raises(ValueError, match=r"\(n, h, w\) or \(n, h, w, c\)"):
        make_dataset(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        make_dataset(np.zeros((3, 4, 4)), np.zeros(2))
    with pytest.raises(ValueError, match="batch_size"):
        make_dataset(np.zeros((3, 4, 4)), batch_size=0)


def test_train_val_split_is_stratified_disjoint_and_seeded():
    x = np.arange(1000)
    y = np.repeat(np.arange(4), [100, 200, 300, 400])
    (xt, yt), (xv, yv) = train_val_split(x, y, 0.1, seed=3)
    assert np.bincount(yv).tolist() == [10, 20, 30, 40]
    assert len(np.intersect1d(xt, xv)) == 0 and len(xt) + len(xv) == 1000
    assert (y[xt] == yt).all() and (y[xv] == yv).all()  # images keep their labels
    (xt2, _), _ = train_val_split(x, y, 0.1, seed=3)
    np.testing.assert_array_equal(xt, xt2)
    _, (xv_plain, _) = train_val_split(x, y, 0.1, stratify=False)
    assert len(xv_plain) == 100
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split(x, y, 1.5)
    with pytest.raises(ValueError, match="1000 images but 3 labels"):
        train_val_split(x, y[:3])


def test_model_parameter_counts():
    assert lenet5().count_params() == 61_706  # the paper's 60k-parameter network
    paper = lenet5(activation="tanh", pooling="avg")
    assert paper.count_params() == 61_706 and type(paper.get_layer("s2_pool")).__name__ == "AveragePooling2D"
    assert paper.get_layer("c1_conv").activation.__name__ == "tanh"
    shapes = [layer.output.shape[1:] for layer in lenet5().layers[:5]]  # C1, S2, C3, S4, C5
    assert shapes == [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (1, 1, 120)]
    assert dense_baseline().count_params() == 669_706
    assert dense_baseline(input_shape=(32, 32, 3)).count_params() == 1_841_162  # notebook 03's MLP
    assert lenet5().output_shape == (None, 10) and dense_baseline(n_classes=3).output_shape == (None, 3)
    with pytest.raises(KeyError, match="median"):
        lenet5(pooling="median")


def test_dense_baseline_weights_follow_the_seed():
    # notebook 03 builds its MLP right after set_seeds(42): same seed, same initial weights
    from utils import set_seeds

    set_seeds(42)
    first = dense_baseline(input_shape=(32, 32, 3), units=512, name="mlp").get_weights()
    set_seeds(42)
    again = dense_baseline(input_shape=(32, 32, 3), units=512, name="mlp").get_weights()
    assert [w.shape for w in first] == [(3072, 512), (512,), (512, 512), (512,), (512, 10), (10,)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))


def test_accuracy_by_class():
    from utils.training import accuracy_by_class

    acc = accuracy_by_class([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], n_classes=3)
    np.testing.assert_allclose(acc[:2], [0.5, 2 / 3])
    assert np.isnan(acc[2])
    with pytest.raises(ValueError, match="5 labels but 4 predictions"):
        accuracy_by_class([0, 0, 1, 1, 1], [0, 1, 1, 1], 2)


def test_training_throughput_both_sources():
    from utils.benchmark import training_throughput

    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (64, 8, 8), dtype=np.uint8)
    y = rng.integers(0, 3, 64)

    def build():
        import keras

        inputs = keras.Input(shape=(8, 8, 1))
        return keras.Model(
            inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(inputs))
        )

    for source in ("pipeline", "memory"):
        assert training_throughput(build, x, y, batch_size=16, epochs=1, source=source) > 0
    with pytest.raises(ValueError, match="source must be"):
        training_throughput(build, x, y, source="disk")
    with pytest.raises(ValueError, match="epochs must be"):
        training_throughput(build, x, y, epochs=0)


def test_lesson_train_classifier_learns_and_reports(capsys):
    import keras

    from utils import set_seeds
    from utils.lessons import train_classifier

    set_seeds(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    x = (rng.normal(size=(400, 4, 4)) + y[:, None, None] * 2).astype("float32")  # separable classes
    inputs = keras.Input(shape=(4, 4, 1))
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, outputs)
    ds = make_dataset(x, y, batch_size=32, shuffle=True, scale=None)
    history = train_classifier(model, ds, make_dataset(x, y, scale=None), epochs=5, learning_rate=0.05)
    assert 1 <= history.best_epoch <= 5 and history.seconds > 0
    assert max(history.history["val_accuracy"]) > 0.9
    assert "Epoch 1/5" in capsys.readouterr().out  # one line an epoch
    pred = model.predict(make_dataset(x, scale=None), verbose=0).argmax(axis=-1)
    assert pred.shape == (400,) and (pred == y).mean() > 0.9

    # with label smoothing: the same labels (class numbers), the accuracy metric still works,
    # and the loss cannot fall to 0 (the best output for a target of 0.95 / 0.05 is 0.95)
    set_seeds(0)
    smooth = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(inputs)))
    history = train_classifier(
        smooth, ds, make_dataset(x, y, scale=None), epochs=5, learning_rate=0.05, label_smoothing=0.1
    )
    assert max(history.history["val_accuracy"]) > 0.9
    floor = -(0.95 * np.log(0.95) + 0.05 * np.log(0.05))  # entropy of the smoothed target
    assert min(history.history["loss"]) > floor - 1e-3


def test_lesson_warmup_cosine_warms_up_then_decays(tmp_path):
    import keras

    from utils.lessons import train_classifier, warmup_cosine

    lr = warmup_cosine(0.01, epochs=10, steps_per_epoch=10)  # warm-up 10 steps, cosine over 90
    values = np.array([float(lr(step)) for step in (0, 5, 10, 55, 100)])
    np.testing.assert_allclose(values, [0.0, 0.005, 0.01, 0.005, 0.0], atol=1e-6)
    lr = warmup_cosine(0.01, epochs=10, steps_per_epoch=10, warmup_epochs=2.5)  # warm-up 25 steps
    assert float(lr(25)) == pytest.approx(0.01) and float(lr(20)) == pytest.approx(0.008)

    model, ds, x, y = _separable_task()
    seen = []
    probe = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(float(model.optimizer.learning_rate))
    )
    model.fit = _with_callback(model.fit, probe)
    history = train_classifier(
        model, ds, make_dataset(x, y, scale=None), epochs=3, learning_rate=0.05, log_dir=tmp_path / "logs"
    )
    assert max(history.history["val_accuracy"]) > 0.8  # it learns (chance: 0.5)
    # 8 steps an epoch: warm-up to the peak after epoch 1, then down towards 0 at step 24
    assert (
        seen[0] == pytest.approx(0.05, rel=1e-3)
        and seen[1] < seen[0]
        and seen[2] == pytest.approx(0, abs=1e-6)
    )
    assert list((tmp_path / "logs").glob("train/events.out.tfevents.*"))  # TensorBoard wrote its log


def _separable_task(n=256):
    """Two classes of 4x4 'images' that a softmax layer separates; a fresh model; 32-image batches."""
    import keras

    from utils import set_seeds

    set_seeds(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    x = (rng.normal(size=(n, 4, 4)) + y[:, None, None] * 2).astype("float32")
    inputs = keras.Input(shape=(4, 4, 1))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(inputs)))
    return model, make_dataset(x, y, batch_size=32, shuffle=True, scale=None), x, y


def _with_callback(fit, extra):
    def wrapped(*args, callbacks=(), **kwargs):
        return fit(*args, callbacks=[*callbacks, extra], **kwargs)

    return wrapped


def test_lesson_cifar_networks_shapes_and_parameters():
    from utils.lessons import alexnet_cifar, patch_whitening, small_cnn

    rng = np.random.default_rng(0)
    whitening = patch_whitening(rng.random((20, 32, 32, 3)))
    cnn = small_cnn(whitening)
    assert cnn.output_shape == (None, 10)
    assert cnn.get_layer("whiten_relu").output.shape[1:] == (31, 31, 24)  # 2x2, no padding
    assert cnn.get_layer("block1_1_relu").output.shape[1:] == (15, 15, 32)
    assert cnn.get_layer("block3_2_relu").output.shape[1:] == (3, 3, 128)
    # whitening 2x2x3x24 + 24 (frozen); convs 6,912 + 9,216 + 36,864 + 3 x 147,456;
    # batch norm without scale: 3 numbers a filter, 3 x (2x32 + 4x128); dense 128 x 10, no bias
    assert cnn.count_params() == 498_680
    whiten = cnn.get_layer("whiten")
    assert not whiten.trainable and np.array_equal(whiten.get_weights()[0], whitening[0])
    assert np.array_equal(whiten.get_weights()[1], whitening[1])
    bns = [l for l in cnn.layers if l.__class__.__name__ == "BatchNormalization"]
    assert all(l.momentum == 0.6 and not l.scale for l in bns)
    # the softmax and the whitening layer compute in float32, also under mixed precision
    assert cnn.layers[-1].dtype_policy.compute_dtype == "float32"
    assert whiten.dtype_policy.compute_dtype == "float32"
    # no whitening: the same shapes, the first layer is trained
    learned = small_cnn()
    assert learned.get_layer("whiten").trainable and learned.count_params() == cnn.count_params()
    # pooling first: batch norm and ReLU see the pooled maps; same parameters either way
    late = small_cnn(whitening, pool_first=False)
    assert late.get_layer("block1_1_bn").output.shape[1:] == (31, 31, 32)
    assert cnn.get_layer("block1_1_bn").output.shape[1:] == (15, 15, 32)
    assert late.count_params() == cnn.count_params()
    assert late.output_shape == cnn.output_shape

    alex = alexnet_cifar()
    assert alex.output_shape == (None, 10)
    assert alex.get_layer("conv5_relu").output.shape[1:] == (4, 4, 128)
    # convs 864 + 27,648 + 138,240 + 230,400 + 184,320; batch norm 3 x (32 + 96 + 2x160 + 128 + 2x512);
    # dense 2,048 x 512, 512 x 512, 512 x 10 (no biases: batch norm or the softmax follows)
    assert alex.count_params() == 1_902_112
    assert alex.get_layer("fc1_bn").output.shape[1:] == (512,)
    assert [l.name for l in alex.layers if l.name.startswith("dropout")] == ["dropout"]  # after fc2 only
    # with the whitening layer in front: conv1 reads 24 channels at 31x31, conv5 ends at 3x3;
    # + 312 (whitening) + 6,048 (conv1) - 458,752 (fc1 reads 1,152 numbers instead of 2,048)
    white = alexnet_cifar(whitening)
    assert white.get_layer("conv5_relu").output.shape[1:] == (3, 3, 128)
    assert white.count_params() == 1_902_112 + 312 + 6_048 - 458_752
    assert not white.get_layer("whiten").trainable


def test_lesson_patch_whitening_decorrelates_patches():
    import keras

    from utils.lessons import image_patches, patch_whitening

    rng = np.random.default_rng(1)
    # correlated colour channels: a shared brightness plus a little noise of its own in each channel
    base = rng.random((60, 16, 16, 1))
    images = 0.8 * base + 0.2 * rng.random((60, 16, 16, 3))
    # image_patches: one row per 2x2 window, numbers in Conv2D kernel order (row, column, channel)
    tiny = np.arange(2 * 3 * 3 * 2).reshape(2, 3, 3, 2)
    rows = image_patches(tiny)
    assert rows.shape == (2 * 2 * 2, 8)
    np.testing.assert_array_equal(rows[0], tiny[0, :2, :2].reshape(-1))  # first image, top left
    np.testing.assert_array_equal(rows[-1], tiny[1, 1:, 1:].reshape(-1))  # last image, bottom right
    kernel, bias = patch_whitening(images, eps=0.0)
    assert kernel.shape == (2, 2, 3, 24) and bias.shape == (24,)
    np.testing.assert_allclose(kernel[..., 12:], -kernel[..., :12])  # each filter with both signs
    # the layer as a Keras convolution: 12 uncorrelated outputs of mean 0 and variance 1
    conv = keras.layers.Conv2D(24, 2)
    conv.build((None, 16, 16, 3))
    conv.set_weights([kernel, bias])
    out = keras.ops.convert_to_numpy(conv(images.astype("float32"))).reshape(-1, 24)[:, :12]
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-3)
    np.testing.assert_allclose(np.cov(out, rowvar=False), np.eye(12), atol=2e-3)
    # eps damps the rarest directions: variances fall below 1, the most common stays near 1
    kernel, bias = patch_whitening(images, eps=1e-2)
    var = np.cov(image_patches(images) @ kernel.reshape(12, 24)[:, :12], rowvar=False).diagonal()
    assert var.max() < 1 and var[-1] > 0.9 and var[0] < var[-1]


def test_lesson_cifar_augmentation_flips_and_shifts():
    from utils.lessons import cifar_augmentation

    augment = cifar_augmentation()
    image = np.zeros((1, 32, 32, 3), "float32")
    image[0, 10:20, 4:8] = 255  # a bright bar left of the centre
    outs = [np.asarray(augment(image, training=True))[0] for _ in range(12)]
    assert all(o.shape == (32, 32, 3) for o in outs)
    assert any(o[:, 24:28].max() > 200 for o in outs)  # flipped: the bar moves to the right side
    assert not all(np.array_equal(o, outs[0]) for o in outs)  # random per call
    np.testing.assert_array_equal(np.asarray(augment(image, training=False)), image)  # off at test time


def test_lesson_train_classifier_sgd_and_bad_optimizer():
    import keras

    from utils.lessons import make_optimizer, train_classifier

    model, ds, x, y = _separable_task()
    history = train_classifier(
        model,
        ds,
        make_dataset(x, y, scale=None),
        epochs=3,
        learning_rate=0.05,
        optimizer="sgd",
        weight_decay=0.01,
        warmup_epochs=0.5,
    )
    assert isinstance(model.optimizer, keras.optimizers.SGD) and model.optimizer.nesterov
    assert isinstance(make_optimizer("adam", 1e-3), keras.optimizers.Adam)
    assert model.optimizer.weight_decay == pytest.approx(0.01)
    assert max(history.history["val_accuracy"]) > 0.8
    with pytest.raises(ValueError, match="optimizer must be"):
        train_classifier(model, ds, ds, epochs=1, optimizer="rmsprop")


def test_lesson_smoothed_crossentropy_matches_soft_targets():
    import keras

    from utils.lessons import smoothed_crossentropy

    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype="float32")
    labels = np.array([0, 2])
    # smoothing 0.3 over 3 classes: the true class gets 0.7 + 0.1, the others 0.1
    soft = np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]])
    expected = -(soft * np.log(probs)).sum(axis=1)
    got = keras.ops.convert_to_numpy(smoothed_crossentropy(0.3)(labels, probs))
    assert np.allclose(got, expected, atol=1e-5)
    # no smoothing: the plain sparse cross-entropy; labels of shape (n, 1) work too
    plain = keras.ops.convert_to_numpy(smoothed_crossentropy(0.0)(labels[:, None], probs))
    assert np.allclose(plain, -np.log(probs[[0, 1], labels]), atol=1e-5)
