"""SVHN format 1: digitStruct.mat round trip, crop, labels, stand-in generator, lookup errors."""

import tarfile

import h5py
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from utils import svhn
from utils.data.fetch import ChecksumError, DataNotFoundError
from utils.data.registry import DATASETS, DataSet, File, Variant, get_dataset
from utils.io import sha256_file

TABLE = pd.DataFrame(
    [
        ("1.png", 0, 1, 246, 77, 81, 219),
        ("1.png", 1, 9, 323, 81, 96, 219),  # SVHN's train 1.png: "19"
        ("2.png", 0, 2, 77, 29, 23, 32),
        ("2.png", 1, 3, 98, 25, 26, 32),
        ("10.png", 0, 0, -3, -1, 10, 20),
    ],  # a one-digit photo (scalar fields), 0 stored as 10, negative top
    columns=svhn.COLUMNS,
)


def _fake_mnist(n=30, seed=0):
    """Tiny MNIST look-alike: a filled bar per digit, so the generator needs no data files."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), dtype=np.uint8)
    for i in range(n):
        x[i, 4:24, 8 + rng.integers(0, 4) : 18 + rng.integers(0, 4)] = 255
    y = (np.arange(n) % 10).astype(np.uint8)
    return (x, y), (x[:10], y[:10])


# --------------------------------------------------------------------------- digitStruct.mat
def test_digit_struct_round_trip_and_matlab_layout(tmp_path):
    path = svhn.write_digit_struct(tmp_path / "digitStruct.mat", TABLE)
    raw = path.read_bytes()
    assert raw.startswith(b"MATLAB 7.3 MAT-file") and raw[124:128] == b"\x00\x02IM"
    assert raw[512:520] == b"\x89HDF\r\n\x1a\n"  # HDF5 superblock right after the user block
    with h5py.File(path, "r") as f:
        assert f.userblock_size == 512
        names, boxes = f["digitStruct/name"], f["digitStruct/bbox"]
        assert names.shape == boxes.shape == (3, 1) and names.dtype == h5py.ref_dtype
        assert "".join(map(chr, f[names[0, 0]][()].ravel())) == "1.png"
        one = f[boxes[2, 0]]  # 10.png: one digit -> values stored directly
        assert one["label"].dtype == np.float64 and one["label"][()].tolist() == [[10.0]]
        two = f[boxes[0, 0]]  # 1.png: two digits -> references to (1, 1) doubles
        assert two["left"].dtype == h5py.ref_dtype and two["left"].shape == (2, 1)
        assert f[two["left"][1, 0]][()].tolist() == [[323.0]]
    back = svhn.parse_digit_struct(path)
    assert list(back.columns) == svhn.COLUMNS
    assert back["file"].tolist() == ["1.png", "1.png", "2.png", "2.png", "10.png"]  # file order kept
    pd.testing.assert_frame_equal(back, TABLE.astype({c: "int64" for c in svhn.COLUMNS[1:]}))
    assert svhn.parse_digit_struct(path, limit=1)["file"].unique().tolist() == ["1.png"]


def test_parser_converts_label_10_to_0(tmp_path):
    path = svhn.write_digit_struct(tmp_path / "d.mat", TABLE)
    with h5py.File(path, "r") as f:  # as stored: 10
        assert f[f["digitStruct/bbox"][2, 0]]["label"][()].item() == 10.0
    assert svhn.parse_digit_struct(path).query("file == '10.png'")["label"].tolist() == [0]


def test_parser_errors_say_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="extract train.tar.gz"):
        svhn.parse_digit_struct(tmp_path / "missing.mat")
    (tmp_path / "v5.mat").write_bytes(b"MATLAB 5.0 MAT-file" + b"\0" * 200)
    with pytest.raises(ValueError, match="not a MATLAB v7.3"):
        svhn.parse_digit_struct(tmp_path / "v5.mat")
    with h5py.File(tmp_path / "other.mat", "w") as f:
        f["X"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match="no /digitStruct/name"):
        svhn.parse_digit_struct(tmp_path / "other.mat")
    with pytest.raises(ValueError, match="lacks columns"):
        svhn.write_digit_struct(tmp_path / "x.mat", TABLE.drop(columns="top"))


# --------------------------------------------------------------------------- crop and labels
def test_union_box_margin_and_clipping():
    boxes = np.array([[10, 20, 10, 30], [25, 18, 5, 30]])  # union: x 10..30, y 18..50
    assert svhn.union_box(boxes, margin=0) == (10, 18, 30, 50)
    assert svhn.union_box(boxes, margin=0.5) == (0, 2, 40, 66)  # +10 px in x, +16 px in y
    assert svhn.union_box(boxes, margin=0.5, image_size=(35, 60)) == (0, 2, 35, 60)
    neg = pd.DataFrame(dict(left=[-3], top=[-1], width=[10], height=[20]))
    assert svhn.union_box(neg, margin=0, image_size=(50, 50)) == (0, 0, 7, 19)
    with pytest.raises(ValueError, match="outside"):
        svhn.union_box([[100, 100, 5, 5]], margin=0, image_size=(50, 50))
    with pytest.raises(ValueError, match="at least one"):
        svhn.union_box(np.zeros((0, 4)))
    with pytest.raises(ValueError, match="margin"):
        svhn.union_box(boxes, margin=-0.1)
    # one margin for each side (left, top, right, bottom): -10 px left, +8 px at the bottom
    assert svhn.union_box(boxes, margin=(0.5, 0, 0, 0.25)) == (0, 18, 30, 58)
    with pytest.raises(ValueError, match="four"):
        svhn.union_box(boxes, margin=(0.1, 0.2))
    with pytest.raises(ValueError, match=">= 0"):
        svhn.union_box(boxes, margin=(0.1, 0.2, -0.1, 0))
    with pytest.raises(ValueError, match="positive"):
        svhn.union_box([[0, 0, 0, 5]])


def test_crop_number_takes_the_box_and_resizes():
    img = np.zeros((60, 80, 3), dtype=np.uint8)
    img[10:30, 40:60] = 255  # the "number"
    crop = svhn.crop_number(img, [[40, 10, 20, 20]], size=16, margin=0)
    assert crop.shape == (16, 16, 3) and crop.dtype == np.uint8
    assert crop.min() > 200  # only the white box was kept
    wider = svhn.crop_number(Image.fromarray(img).convert("L"), [[40, 10, 20, 20]], size=32, margin=0.5)
    assert wider.shape == (32, 32, 3) and wider[16, 16].min() > 200 and wider[0, 0].max() < 50


def test_digit_box_is_the_union_as_shares_of_the_window():
    boxes = pd.DataFrame(dict(left=[20, 42], top=[10, 14], width=[20, 18], height=[30, 30]))
    window = svhn.union_box(boxes, margin=0.3, image_size=(100, 40))  # (8, 0, 72, 40)
    box = svhn.digit_box(boxes, window)  # union x 20..60, y 10..44 (below the window: clipped)
    assert box.dtype == np.float32
    np.testing.assert_allclose(box, [10 / 40, 12 / 64, 1.0, 52 / 64])
    np.testing.assert_allclose(svhn.digit_box(boxes, (20, 10, 60, 44)), [0, 0, 1, 1])
    with pytest.raises(ValueError, match="right > left"):
        svhn.digit_box(boxes, (10, 0, 10, 5))


def test_encode_decode_numbers_and_dropping():
    y, keep = svhn.encode_numbers([[1, 9], [0], [1, 2, 3, 4, 5, 6], [5, 0, 1, 2, 3]])
    assert keep.tolist() == [True, True, False, True]
    assert y.dtype == np.uint8 and y.shape == (3, 6)
    assert y.tolist() == [[2, 1, 9, 10, 10, 10], [1, 0, 10, 10, 10, 10], [5, 5, 0, 1, 2, 3]]
    assert svhn.decode_numbers(y) == ["19", "0", "50123"]
    with pytest.raises(ValueError, match="0-9"):
        svhn.encode_numbers([[1, 10]])
    with pytest.raises(ValueError, match="without digits"):
        svhn.encode_numbers([[]])
    with pytest.raises(ValueError, match="shape"):
        svhn.decode_numbers(np.array([1, 2]))


def test_sequence_accuracy_needs_count_and_every_digit():
    true = np.array([[2, 1, 9, 10, 10, 10], [1, 0, 10, 10, 10, 10], [3, 1, 2, 3, 10, 10]])
    pred = np.array(
        [
            [2, 1, 9, 4, 10, 10],  # right: positions beyond the count do not matter
            [2, 0, 7, 10, 10, 10],  # wrong count
            [3, 1, 2, 8, 10, 10],
        ]
    )  # one digit wrong
    assert svhn.sequence_accuracy(true, pred) == pytest.approx(1 / 3)
    acc = svhn.head_accuracies(true, pred)
    assert acc.loc["count", "accuracy_all"] == pytest.approx(2 / 3)
    assert acc.loc["digit_3", "accuracy_all"] == pytest.approx(1 / 3)
    assert acc.loc["digit_3", "n_with_digit"] == 1 and acc.loc["digit_3", "accuracy_where_digit"] == 0
    assert np.isnan(acc.loc["digit_4", "accuracy_where_digit"])
    with pytest.raises(ValueError, match="must both be"):
        svhn.sequence_accuracy(true, pred[:, :3])


def test_decode_predictions_from_head_dict():
    probs = {"count": np.eye(6)[[2, 1]], **{f"digit_{i}": np.eye(11)[[i, 10]] for i in range(1, 6)}}
    assert svhn.decode_predictions(probs).tolist() == [[2, 1, 2, 3, 4, 5], [1, 10, 10, 10, 10, 10]]
    del probs["digit_5"]
    with pytest.raises(KeyError, match="digit_5"):
        svhn.decode_predictions(probs)


# --------------------------------------------------------------------------- stand-in generator
def test_standin_round_trip_through_the_real_pipeline(tmp_path):
    root = svhn.make_standin_svhn(
        tmp_path / "svhn",
        n_train=12,
        n_test=5,
        seed=3,
        mnist=_fake_mnist(),
        count_probs=(0.3, 0.3, 0.2, 0.1, 0.0, 0.1),
        progress=False,
    )
    table = svhn.parse_digit_struct(root / "train" / "digitStruct.mat")
    assert table["file"].nunique() == 12 and (root / "test" / "5.png").is_file()
    assert table["label"].between(0, 9).all()
    for name, g in table.groupby("file"):
        with Image.open(root / "train" / name) as im:
            w, h = im.size
            pixels = np.asarray(im.convert("L"), dtype=float)
        assert (g["left"] >= 0).all() and (g["left"] + g["width"] <= w).all()
        assert (g["top"] >= 0).all() and (g["top"] + g["height"] <= h).all()
        assert g["left"].is_monotonic_increasing  # digits read left to right
        r = g.iloc[0]  # a box holds ink: its centre differs from the background around it
        centre = pixels[r.top + r.height // 2, r.left + r.width // 2]
        assert abs(centre - np.median(pixels)) > 25
    out = svhn.preprocess_split(root / "train", progress=False)
    n6 = int((table.groupby("file").size() > 5).sum())
    assert out["n_photos"] == 12 and out["n_dropped"] == n6 and len(out["x"]) == 12 - n6
    assert out["x"].shape[1:] == (32, 32, 3) and out["y"].shape == (12 - n6, 6)
    first = table[table["file"] == out["file"][0]].sort_values("position")
    assert svhn.decode_numbers(out["y"][:1]) == ["".join(map(str, first["label"]))]
    # the box target: inside [0, 1], and with jitter=0 the same margin on every side
    box = out["box"]
    assert box.shape == (len(out["x"]), 4) and box.dtype == np.float32
    assert (box >= 0).all() and (box <= 1).all() and (box[:, 2:] > box[:, :2]).all()
    with Image.open(root / "train" / out["file"][0]) as im:
        window = svhn.union_box(first, margin=0.3, image_size=im.size)
    np.testing.assert_allclose(box[0], svhn.digit_box(first, window))
    # random margins: the number moves in the crop; the same seed gives the same crops
    moved = svhn.preprocess_split(root / "train", table, progress=False, jitter=0.25, seed=1)
    again = svhn.preprocess_split(root / "train", table, progress=False, jitter=0.25, seed=1)
    assert np.array_equal(moved["x"], again["x"]) and np.array_equal(moved["box"], again["box"])
    assert np.array_equal(moved["y"], out["y"]) and moved["box"].std(axis=0).min() > box.std(axis=0).min()
    with pytest.raises(ValueError, match="jitter"):
        svhn.preprocess_split(root / "train", table, progress=False, jitter=0.5)


def test_standin_is_deterministic_and_reused(tmp_path):
    kw = dict(n_train=4, n_test=2, seed=7, mnist=_fake_mnist(), progress=False)
    a = svhn.make_standin_svhn(tmp_path / "a", **kw)
    b = svhn.make_standin_svhn(tmp_path / "b", **kw)
    assert (a / "train" / "3.png").read_bytes() == (b / "train" / "3.png").read_bytes()
    pd.testing.assert_frame_equal(
        svhn.parse_digit_struct(a / "train" / "digitStruct.mat"),
        svhn.parse_digit_struct(b / "train" / "digitStruct.mat"),
    )
    stamp = (a / "train" / "1.png").stat().st_mtime_ns
    svhn.make_standin_svhn(tmp_path / "a", **kw)  # same settings: nothing rewritten
    assert (a / "train" / "1.png").stat().st_mtime_ns == stamp
    with pytest.raises(ValueError, match="n_train and n_test"):
        svhn.make_standin_svhn(tmp_path / "c", n_train=0, n_test=1, mnist=_fake_mnist())
    with pytest.raises(ValueError, match="count_probs"):
        svhn.make_standin_svhn(
            tmp_path / "c", n_train=1, n_test=1, count_probs=(0.5, 0.2), mnist=_fake_mnist()
        )


def test_preprocess_reports_missing_photo(tmp_path):
    root = svhn.make_standin_svhn(tmp_path / "s", n_train=3, n_test=1, mnist=_fake_mnist(), progress=False)
    (root / "train" / "2.png").unlink()
    with pytest.raises(FileNotFoundError, match="extract again"):
        svhn.preprocess_split(root / "train", progress=False)


# --------------------------------------------------------------------------- lookup
def _archives(tmp_path, monkeypatch):
    """Two small format-1 archives and an SVHN entry with their digests (no network)."""
    src = tmp_path / "src"
    svhn.make_standin_svhn(src / "gen", n_train=2, n_test=1, mnist=_fake_mnist(), progress=False)
    files = []
    for split in svhn.SPLITS:
        archive = src / f"{split}.tar.gz"
        with tarfile.open(archive, "w:gz") as tf:
            tf.add(src / "gen" / split, arcname=split)
        files.append(File(archive.name, (sha256_file(archive),), archive.as_uri(), unpack=True))
    ds = DataSet("svhn", "SVHN test entry", "svhn", (Variant("format1", tuple(files)),))
    monkeypatch.setitem(DATASETS, "svhn", ds)
    return src


def test_locate_downloads_verifies_and_extracts(tmp_path, monkeypatch, fake_root):
    _archives(tmp_path, monkeypatch)
    folder = svhn.locate_svhn()
    assert folder == fake_root / "data" / "svhn"
    assert (folder / "train" / "digitStruct.mat").is_file() and (folder / "test" / "1.png").is_file()
    assert svhn.locate_svhn(download=False) == folder  # found again without a download


def test_locate_refuses_a_corrupted_archive(tmp_path, monkeypatch, fake_root):
    src = _archives(tmp_path, monkeypatch)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "env"))
    (tmp_path / "env" / "svhn").mkdir(parents=True)
    for split in svhn.SPLITS:
        (tmp_path / "env" / "svhn" / f"{split}.tar.gz").write_bytes((src / f"{split}.tar.gz").read_bytes())
    assert svhn.locate_svhn(download=False) == tmp_path / "env" / "svhn"
    (tmp_path / "env" / "svhn" / "test.tar.gz").write_bytes(b"truncated")
    with pytest.raises(ChecksumError, match="Delete it and fetch it again"):
        svhn.locate_svhn(download=False)


def test_offline_error_names_places_and_command(tmp_path, monkeypatch, fake_root):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataNotFoundError) as err:
        svhn.locate_svhn()
    msg = str(err.value)
    assert "COURSE_OFFLINE" in msg and str(tmp_path / "nowhere" / "svhn") in msg
    assert "python -m utils.data fetch svhn" in msg and "680 MB" in msg


def test_svhn_or_standin_falls_back_and_says_so(tmp_path, monkeypatch, fake_root, capsys):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(svhn, "make_standin_svhn", _make)  # tiny fake MNIST, no data files needed
    root, standin = svhn.svhn_or_standin(tmp_path / "standin", n_train=3, n_test=2)
    assert standin and (root / "train" / "digitStruct.mat").is_file()
    out = capsys.readouterr().out
    assert "STAND-IN DATA" in out and "NOT SVHN results" in out and "COURSE_OFFLINE" in out


_REAL_MAKE = svhn.make_standin_svhn


def _make(root, **kw):
    return _REAL_MAKE(root, mnist=_fake_mnist(), progress=False, **kw)


def test_format1_entry_points_at_the_stanford_archives():
    items = get_dataset("svhn").variants[0].items
    assert [item.url for item in items] == [svhn.SVHN_URL + "train.tar.gz", svhn.SVHN_URL + "test.tar.gz"]
    assert all(item.unpack and len(item.sha256[0]) == 64 for item in items)


def test_plot_photos_with_boxes(tmp_path):
    root = svhn.make_standin_svhn(tmp_path / "s", n_train=3, n_test=1, mnist=_fake_mnist(), progress=False)
    table = svhn.parse_digit_struct(root / "train" / "digitStruct.mat")
    fig = svhn.plot_photos_with_boxes(root / "train", table, ["1.png", "2.png"], ncols=2)
    ax = fig.axes[0]
    n = int((table["file"] == "1.png").sum())
    assert len(ax.patches) == n + 1  # one box a digit and the union box
    assert ax.get_title().startswith("1.png: ")
    with pytest.raises(KeyError, match="not in the table"):
        svhn.plot_photos_with_boxes(root / "train", table, ["99.png"])
    with pytest.raises(ValueError, match="at least one"):
        svhn.plot_photos_with_boxes(root / "train", table, [])


def test_head_targets_and_sequence_log_callback(capsys):
    import keras

    y = np.array([[2, 1, 9, 10, 10, 10], [1, 0, 10, 10, 10, 10]], dtype=np.uint8)
    t = svhn.head_targets(y)
    assert list(t) == ["count"] + [f"digit_{i}" for i in range(1, 6)] and t["digit_2"].tolist() == [9, 10]
    with pytest.raises(ValueError, match="shape"):
        svhn.head_targets(y[:, 0])
    inp = keras.Input(shape=(4,))
    outs = {
        "count": keras.layers.Dense(6, activation="softmax", name="count")(inp),
        **{
            f"digit_{i}": keras.layers.Dense(11, activation="softmax", name=f"digit_{i}")(inp)
            for i in range(1, 6)
        },
    }
    model = keras.Model(inp, outs)
    model.compile("adam", loss={k: "sparse_categorical_crossentropy" for k in outs})
    x = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    log = svhn.sequence_log_callback(x, y)
    model.fit(
        x,
        svhn.head_targets(y),
        validation_data=(x, svhn.head_targets(y)),
        epochs=2,
        verbose=0,
        callbacks=[log],
    )
    assert [r["epoch"] for r in log.rows] == [1, 2]
    assert 0 <= log.rows[-1]["val_sequence_acc"] <= 1
    assert "val sequence acc" in capsys.readouterr().out
    with pytest.raises(ValueError, match="labels"):
        svhn.sequence_log_callback(x, y[:1])
