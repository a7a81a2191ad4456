import numpy as np
import pytest

from utils.training import early_stopping, epoch_logger, plot_curves


def _data(n=64):
    r = np.random.default_rng(0)
    x = r.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 0.5]) + r.normal(0, 0.1, n)).astype("float32")


def _model():
    import keras

    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    return m


def test_early_stopping_is_keras_with_restore_best_weights():
    import keras

    cb = early_stopping(patience=2)
    assert isinstance(cb, keras.callbacks.EarlyStopping)
    assert cb.restore_best_weights and cb.monitor == "val_loss" and cb.patience == 2
    assert early_stopping(monitor="val_accuracy").mode == "auto"  # Keras reads the metric's direction


def test_early_stopping_direction_comes_from_the_compiled_metric():
    import keras

    x, y = _data()
    for metric, monitor, better in [
        ("mae", "val_mae", "less"),
        (keras.metrics.RootMeanSquaredError(name="rmse"), "val_rmse", "less"),
        (keras.metrics.R2Score(name="r2"), "val_r2", "greater"),
    ]:
        m = _model()
        m.compile(optimizer="sgd", loss="mse", metrics=[metric])
        cb = early_stopping(patience=1, monitor=monitor)
        m.fit(x, y[:, None], validation_data=(x, y[:, None]), epochs=1, verbose=0, callbacks=[cb])
        assert cb.monitor_op.__name__ == better, monitor


def test_early_stopping_refuses_bad_arguments():
    with pytest.raises(ValueError, match="validation quantity"):
        early_stopping(monitor="loss")
    with pytest.raises(ValueError, match="patience"):
        early_stopping(patience=-1)


def test_early_stopping_in_training_keeps_the_best_epoch():
    x, y = _data()
    xv, yv = x[:16], -y[:16]  # a validation set the model cannot fit: val_loss gets worse
    m = _model()
    stopper = early_stopping(patience=3)
    hist = m.fit(x, y, validation_data=(xv, yv), epochs=30, verbose=0, callbacks=[stopper])
    n = len(hist.history["val_loss"])
    best = int(np.argmin(hist.history["val_loss"]))
    assert n == best + 1 + 3  # stopped patience epochs after the best one
    assert stopper.best_epoch == best  # 0-based, as Keras counts
    assert m.evaluate(xv, yv, verbose=0) == pytest.approx(hist.history["val_loss"][best], rel=1e-4)


def test_epoch_logger_prints_first_every_and_last():
    x, y = _data()
    lines = []
    log = epoch_logger(every=4, name="lin", printer=lines.append)
    _model().fit(x, y, epochs=10, verbose=0, callbacks=[log])
    assert [ln.split()[2] for ln in lines] == ["1", "4", "8", "10"]
    assert lines[0].startswith("lin: epoch   1 loss=")
    assert len(log.epoch_seconds) == 10 and all(s >= 0 for s in log.epoch_seconds)


def test_epoch_logger_reports_an_early_stop():
    x, y = _data()
    lines = []
    log = epoch_logger(every=100, printer=lines.append, keys=["val_loss"])
    _model().fit(
        x,
        y,
        validation_data=(x[:16], -y[:16]),
        epochs=50,
        verbose=0,
        callbacks=[early_stopping(patience=2), log],
    )
    assert len(lines) == 2 and lines[-1].split()[1] == str(len(log.epoch_seconds))
    assert "val_loss=" in lines[-1] and " loss=" not in lines[-1]
    with pytest.raises(ValueError, match="positive integer"):
        epoch_logger(every=0)


def test_plot_curves_handles_histories_sequences_and_divergence():
    import matplotlib.pyplot as plt

    fig = plot_curves(
        {"a": {"loss": [3, 2, 1], "val_loss": [3, 3, 2]}, "b": [1.0, np.nan, np.nan]}, logy=True
    )
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["a", "b (diverged)"]
    assert len(fig.axes[0].lines[1].get_xdata()) == 1
    plt.close(fig)
    fig = plot_curves({"a": {"loss": [1], "val_loss": [2]}}, validation=True)
    assert fig.axes[0].get_ylabel() == "val_loss"
    plt.close(fig)
    with pytest.raises(KeyError, match="holds"):
        plot_curves({"a": {"loss": [1]}}, validation=True)
    with pytest.raises(ValueError):
        plot_curves({})


def test_build_mlp_layers_and_parameters():
    from utils.models import build_mlp

    m = build_mlp(10, [20, 20], 1)
    assert [layer.name for layer in m.layers] == ["hidden_1", "hidden_2", "output"]
    assert m.count_params() == (10 * 20 + 20) + (20 * 20 + 20) + (20 + 1)
    d = build_mlp(4, [8], 3, output_activation="softmax", dropout=0.5)
    assert [layer.name for layer in d.layers] == ["hidden_1", "dropout_1", "output"]
    assert np.allclose(d(np.ones((2, 4), "float32")).numpy().sum(axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="dropout"):
        build_mlp(4, [8], dropout=1.0)
    with pytest.raises(ValueError, match="layer sizes"):
        build_mlp(4, [0])


def test_train_runs_and_table():
    import keras

    from utils.models import build_mlp
    from utils.training import runs_table, train_runs

    x, y = _data()
    res = train_runs(
        lambda: build_mlp(3, [4]),
        {
            "sgd": {"optimizer": lambda: keras.optimizers.SGD(0.01), "batch_size": 16},
            "adam": {"optimizer": "adam", "epochs": 2},
        },
        x,
        y,
        (x[:8], y[:8]),
        epochs=3,
        loss="mse",
        metrics=(),
    )
    assert len(res["sgd"]["history"]["val_loss"]) == 3 and len(res["adam"]["history"]["loss"]) == 2
    t = runs_table(res)
    assert list(t.index) == ["sgd", "adam"] and t.loc["adam", "epochs run"] == 2
    assert 1 <= t.loc["sgd", "best epoch"] <= 3
    with pytest.raises(KeyError, match="optimizer"):
        train_runs(lambda: build_mlp(3, [4]), {"x": {}}, x, y, None, 1, loss="mse", metrics=())
    with pytest.raises(ValueError, match="at least one"):
        train_runs(lambda: build_mlp(3, [4]), {}, x, y, None, 1)


def test_train_runs_start_from_the_same_weights():
    from utils.models import build_mlp
    from utils.training import train_runs

    x, y = _data()
    res = train_runs(
        lambda: build_mlp(3, [4]),
        {"a": {"optimizer": "sgd", "epochs": 1}, "b": {"optimizer": "sgd", "epochs": 1}},
        x,
        y,
        None,
        1,
        loss="mse",
        metrics=(),
    )
    np.testing.assert_allclose(res["a"]["model"].get_weights()[0], res["b"]["model"].get_weights()[0])
