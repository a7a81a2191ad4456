"""The automatic check of the classroom exercises: it must not be fooled and must explain itself."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils.exercises import (
    EXERCISES,
    CheckResult,
    ModelShapeError,
    check_model,
    diagnose,  # noqa: E402
    get_exercise,
    load_train_data,
    plot_class_balance,
    validate_model,
)


def teardown_function():
    plt.close("all")


def _dense_model(input_shape=(28, 28, 1), n_classes=10):
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )


def _small_cnn(input_shape, n_classes):
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input(shape=input_shape),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )


def test_exercises_and_targets():
    assert {n: e.target for n, e in EXERCISES.items()} == {
        "mnist": 0.99,
        "fashion_mnist": 0.91,
        "rock_paper_scissors": 0.95,
    }
    assert get_exercise("fashion_mnist").class_names[6] == "Shirt"
    assert get_exercise("rock_paper_scissors").n_classes == 3
    assert "99.0%" in str(get_exercise("mnist"))
    with pytest.raises(KeyError, match="unknown exercise 'cifar'.*mnist"):
        get_exercise("cifar")


def test_validate_model_accepts_fitting_shapes():
    validate_model(_dense_model(), (28, 28, 1), 10)
    import keras

    flexible = keras.Sequential(
        [keras.Input(shape=(None, None, 3)), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)]
    )
    validate_model(flexible, (28, 28, 3), 3)  # None dimensions fit any size


def test_validate_model_rejects_wrong_shapes_with_clear_messages():
    with pytest.raises(
        ModelShapeError, match=r"expects images of shape \(28, 28\).*keras.Input\(shape=\(28, 28, 1\)\)"
    ):
        validate_model(_dense_model(input_shape=(28, 28)), (28, 28, 1), 10)
    with pytest.raises(ModelShapeError, match=r"shape \(32, 32, 3\).*\(28, 28, 1\)"):
        validate_model(_dense_model(input_shape=(32, 32, 3)), (28, 28, 1), 10)
    with pytest.raises(ModelShapeError, match=r"outputs shape \(3,\).*10 classes.*Dense\(10"):
        validate_model(_dense_model(n_classes=3), (28, 28, 1), 10)
    with pytest.raises(ModelShapeError, match="expected a keras.Model"):
        validate_model(lambda x: x, (28, 28, 1), 10)


def test_validate_model_rejects_a_model_without_input():
    import keras

    unbuilt = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(ModelShapeError, match="no defined input.*keras.Input"):
        validate_model(unbuilt, (28, 28, 1), 10)


def test_diagnose_reads_the_history():
    over = {"accuracy": [0.9, 0.97, 0.995], "val_accuracy": [0.88, 0.9, 0.89]}
    assert diagnose(over, 0.88, 0.91, 10).startswith("over-fitting")
    under = {"accuracy": [0.80, 0.85], "val_accuracy": [0.80, 0.85]}
    assert diagnose(under, 0.85, 0.91, 10).startswith("under-fitting")
    shifted = {"accuracy": [0.97, 0.98], "val_accuracy": [0.97, 0.975]}
    assert "test images differ" in diagnose(shifted, 0.80, 0.95, 3)
    assert "test images differ" in diagnose(under, 0.49, 0.95, 3)  # validation far above test
    assert "near chance" in diagnose(over, 0.11, 0.99, 10)
    assert "pass history=" in diagnose(None, 0.8, 0.99, 10)
    assert "metrics=['accuracy']" in diagnose({"loss": [1.0]}, 0.8, 0.99, 10)
    with pytest.raises(TypeError, match="History that model.fit returned"):
        diagnose([0.1, 0.2], 0.8, 0.99, 10)


def test_check_result_report():
    r = CheckResult("mnist", accuracy=0.985, target=0.99, n_test=10_000, hint="more epochs")
    assert (
        not r.passed
        and r.report.startswith("NOT YET: test accuracy 98.50%")
        and "Hint: more epochs" in r.report
    )
    r = CheckResult("mnist", accuracy=0.9912, target=0.99, n_test=10_000, hint="unused")
    assert r.passed and r.report.startswith("PASS") and "Hint" not in r.report


def test_load_train_data_never_returns_the_test_split(shared_data):
    x, y = load_train_data("mnist", n=100, data_dir=shared_data)
    assert x.shape == (100, 28, 28, 1) and x.dtype == np.uint8 and y.shape == (100,)
    with pytest.raises(ValueError, match="image_dataset_from_directory"):
        load_train_data("rock_paper_scissors")
    with pytest.raises(ValueError, match="positive number"):
        load_train_data("mnist", n=0, data_dir=shared_data)


def test_check_fails_an_untrained_model_and_rejects_wrong_shapes(shared_data, capsys):
    result = check_model(_dense_model(), "mnist", data_dir=shared_data)
    assert not result.passed and result.n_test == 10_000 and result.accuracy < 0.5
    out = capsys.readouterr().out
    assert out.startswith("NOT YET: test accuracy") and "target >= 99.0%" in out and "Hint:" in out
    with pytest.raises(ModelShapeError, match="10 classes"):
        check_model(_dense_model(n_classes=3), "mnist", data_dir=shared_data)
    with pytest.raises(ValueError, match="target must be an accuracy"):
        check_model(_dense_model(), "mnist", target=99, data_dir=shared_data)


def test_check_passes_a_trained_cnn_with_a_lowered_target(shared_data, capsys):
    import keras

    x, y = load_train_data("mnist", n=3000, data_dir=shared_data)
    model = _small_cnn((28, 28, 1), 10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=64, validation_split=0.1, verbose=0)
    assert isinstance(history, keras.callbacks.History)
    result = check_model(model, "mnist", history=history, target=0.85, data_dir=shared_data)
    assert result.passed, result.report
    assert capsys.readouterr().out.startswith("PASS: test accuracy")
    # the same model is NOT YET against the real target, with a hint from its curves
    strict = check_model(model, "mnist", history=history, verbose=False, data_dir=shared_data)
    assert not strict.passed and strict.hint and strict.accuracy == result.accuracy
    assert (strict.y_pred == result.y_pred).all() and len(strict.y_true) == 10_000


def test_check_rock_paper_scissors_reads_the_test_folder(shared_data):
    model = _small_cnn((28, 28, 3), 3)
    result = check_model(
        model, "rock_paper_scissors", image_size=(28, 28), verbose=False, data_dir=shared_data
    )
    assert result.n_test == 372 and sorted(np.unique(result.y_true)) == [0, 1, 2]
    assert np.bincount(result.y_true).tolist() == [124, 124, 124]
    with pytest.raises(ValueError, match="pass image_size="):
        check_model(model, "rock_paper_scissors", data_dir=shared_data)
    with pytest.raises(ModelShapeError, match=r"\(28, 28, 3\).*\(32, 32, 3\)"):
        check_model(model, "rock_paper_scissors", image_size=32, data_dir=shared_data)


def test_plot_class_balance_counts_and_errors():
    fig = plot_class_balance([0, 1, 1, 2, 2, 2], ["a", "b", "c"], title="balance")
    assert fig.counts.tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="3 class names"):
        plot_class_balance([0, 3], ["a", "b", "c"])
    with pytest.raises(ValueError, match="no labels"):
        plot_class_balance([], ["a"])
