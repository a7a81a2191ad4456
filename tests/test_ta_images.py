"""Tests of utils.ta_images: the indicator x window grid, the stability table, and images
(an image at t is the feature row of t)."""

import numpy as np
import pandas as pd
import pytest

from utils.ta_images import indicator_grid, selection_stability, split_column, to_images

NAMES = ["a", "b", "c", "d", "e", "f"]
WINDOWS = [6, 7, 8, 9]


def frame(n_dates=30, n_tickers=3, seed=0):
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product(
        [pd.bdate_range("2016-01-01", periods=n_dates), [f"T{i}" for i in range(n_tickers)]],
        names=["date", "ticker"],
    )
    cols = [f"{nm}_{w:02d}" for nm in NAMES for w in WINDOWS]
    return pd.DataFrame(rng.normal(size=(len(idx), len(cols))), index=idx, columns=cols).astype("float32")


def test_split_column_and_grid():
    assert split_column("bb_high_06") == ("bb_high", 6)
    with pytest.raises(ValueError, match="not named"):
        split_column("rsi")
    X = frame(10, 2)
    assert indicator_grid(X.columns) == (NAMES, WINDOWS)
    with pytest.raises(ValueError, match="full indicator x window grid"):
        indicator_grid(list(X.columns[:-1]))


def test_selection_stability():
    folds = [{"number": 0, "columns": ["a", "b"]}, {"number": 1, "columns": ["b", "c"]}]
    stab = selection_stability(folds, NAMES)
    assert stab.index[0] == "b" and stab.loc["b", "share"] == 1.0 and stab.loc["a", "share"] == 0.5
    assert stab.loc["f", [0, 1]].tolist() == [0, 0] and stab["share"].between(0, 1).all()
    with pytest.raises(ValueError, match="not in the list"):
        selection_stability(folds, ["zzz"])


def test_to_images_layout_and_no_look_ahead():
    """The image at t equals the image built from data truncated at t."""
    X = frame(30, 3)
    cols, wins = ["c", "a"], [9, 6, 7]
    img = to_images(X, cols, wins)
    assert img.shape == (len(X), 3, 2, 1) and img.dtype == np.float32
    assert img[5, 0, 1, 0] == X["a_09"].iloc[5] and img[5, 1, 0, 0] == X["c_06"].iloc[5]
    t = X.index.get_level_values("date").unique()[12]
    cut = X.loc[:t]
    np.testing.assert_array_equal(to_images(cut, cols, wins), img[: len(cut)])
    with pytest.raises(KeyError, match="lack the columns"):
        to_images(X, ["zzz"], wins)
