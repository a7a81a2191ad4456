"""Loaders: parsing on generated files, and shapes / dtypes / content of the real offline copies."""

import gzip
import io
import pickle
import tarfile

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from utils.data import (
    CIFAR10_CLASSES,
    RPS_CLASSES,
    load_cifar10,
    load_fashion_mnist,
    load_mnist,
    load_rock_paper_scissors,
    load_sp500_index,
    load_stock_prices,
    read_idx,
    read_image_folder,
    rps_directories,
)
from utils.data.fetch import DataNotFoundError
from utils.data.images import _cifar_from_jpeg_archive, _cifar_from_python_archive


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


def test_read_idx_round_trip_and_errors(tmp_path):
    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "x.gz", data)
    np.testing.assert_array_equal(read_idx(tmp_path / "x.gz"), data)
    (tmp_path / "bad").write_bytes(b"\x00\x00\x0d\x01")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 9, 1, 2]))
    with pytest.raises(ValueError, match=r"shape \(9,\) but holds 2 values"):
        read_idx(tmp_path / "short")


def test_cifar_python_archive_parser(tmp_path):
    rng = np.random.default_rng(0)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            payload = pickle.dumps(
                {b"data": rng.integers(0, 255, (2, 3072), dtype=np.uint8), b"labels": [1, 9]}
            )
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tf.addfile(info, io.BytesIO(payload))
    (x_train, y_train), (x_test, y_test) = _cifar_from_python_archive(archive)
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert y_train.dtype == np.uint8 and list(y_test) == [1, 9]


def test_cifar_jpeg_archive_parser_orders_by_class_then_file(tmp_path):
    archive = tmp_path / "c.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for split, cls, fname, value in [
            ("train", "truck", "0000.jpg", 200),
            ("train", "airplane", "0001.jpg", 10),
            ("train", "airplane", "0000.jpg", 50),
            ("test", "cat", "0000.jpg", 90),
        ]:
            buf = io.BytesIO()
            Image.new("RGB", (32, 32), (value, value, value)).save(buf, format="JPEG", quality=95)
            info = tarfile.TarInfo(f"{split}/{cls}/{fname}")
            info.size = buf.tell()
            buf.seek(0)
            tf.addfile(info, buf)
    (x_train, y_train), (x_test, y_test) = _cifar_from_jpeg_archive(archive)
    assert list(y_train) == [0, 0, 9] and list(y_test) == [3]
    assert abs(int(x_train[0].mean()) - 50) <= 2 and abs(int(x_train[1].mean()) - 10) <= 2


def test_read_image_folder_resizes_and_reports_missing(tmp_path):
    for cls in RPS_CLASSES:
        (tmp_path / cls).mkdir()
        Image.new("RGBA", (8, 6)).save(tmp_path / cls / "a.png")
    x, y = read_image_folder(tmp_path, RPS_CLASSES)
    assert x.shape == (3, 6, 8, 3) and list(y) == [0, 1, 2]
    x, _ = read_image_folder(tmp_path, RPS_CLASSES, image_size=(4, 5))
    assert x.shape == (3, 4, 5, 3)
    with pytest.raises(FileNotFoundError, match="no images in .*lizard"):
        read_image_folder(tmp_path, ["lizard"])


# ---- the real offline copies ------------------------------------------------------------


def test_mnist_and_fashion_mnist(shared_data):
    for loader in (load_mnist, load_fashion_mnist):
        (x_train, y_train), (x_test, y_test) = loader(data_dir=shared_data)
        assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
        assert x_train.dtype == y_train.dtype == np.uint8
        assert set(np.unique(y_test)) == set(range(10))
    (_, y_train), _ = load_mnist(data_dir=shared_data)
    assert list(y_train[:5]) == [5, 0, 4, 1, 9]  # the famous first MNIST labels


def test_cifar10_offline_jpeg_copy(shared_data):
    (x_train, y_train), (x_test, y_test) = load_cifar10(data_dir=shared_data)
    assert x_train.shape == (50000, 32, 32, 3) and x_test.shape == (10000, 32, 32, 3)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [5000] * 10 and np.bincount(y_test).tolist() == [1000] * 10
    assert len(CIFAR10_CLASSES) == 10


def test_rock_paper_scissors_28px(shared_data):
    train_dir, test_dir = rps_directories(data_dir=shared_data)
    assert train_dir.name == "rps" and test_dir.name == "rps-test-set"
    (x_train, y_train), (x_test, y_test) = load_rock_paper_scissors(data_dir=shared_data)
    assert x_train.shape == (2520, 28, 28, 3) and x_test.shape == (372, 28, 28, 3)
    assert np.bincount(y_train).tolist() == [840] * 3 and np.bincount(y_test).tolist() == [124] * 3


def test_rps_large_set_missing_offline_is_explained(tmp_path, fake_root, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(DataNotFoundError, match="(?s)rock_paper_scissors.*fetch rock_paper_scissors"):
        rps_directories(small=False)


def test_stock_prices_tidy_frame(shared_data):
    prices = load_stock_prices(data_dir=shared_data)
    assert prices.shape == (619040, 5)
    assert prices.index.names == ["date", "ticker"] and prices.index.is_monotonic_increasing
    assert list(prices.columns) == ["open", "high", "low", "close", "volume"]
    assert prices.index.get_level_values("ticker").nunique() == 505
    assert int(prices[["open", "high", "low", "close"]].isna().sum().sum()) == 27
    part = load_stock_prices(["AAPL", "MSFT"], start="2017-01-01", end="2017-01-31", data_dir=shared_data)
    assert set(part.index.get_level_values("ticker")) == {"AAPL", "MSFT"}
    assert part.index.get_level_values("date").min() >= pd.Timestamp("2017-01-01")
    with pytest.raises(KeyError, match="ZZZZ"):
        load_stock_prices(["AAPL", "ZZZZ"], data_dir=shared_data)


def test_sp500_index_tidy_frame(shared_data):
    index = load_sp500_index(data_dir=shared_data)
    assert index.shape == (24114, 6)
    assert index.index.get_level_values("ticker").unique().tolist() == ["^GSPC"]
    close = index.xs("^GSPC", level="ticker")["close"]
    assert close.index[0] == pd.Timestamp("1927-12-30") and close.index.is_monotonic_increasing
    assert len(load_sp500_index(start="2013-02-08", end="2018-02-07", data_dir=shared_data)) == 1259
