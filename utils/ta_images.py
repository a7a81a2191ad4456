"""Feature rows as images: the indicator x window grid of a feature frame, and its 2-D layout.

A feature frame (notebook 11) has one column ``f"{indicator}_{window:02d}"`` per indicator
and look-back window. Notebook 12 chooses, per walk-forward fold, which indicators make an
image and in which order (the lesson's ``fold_layout``); :func:`to_images` then places
``features[f"{columns[c]}_{windows[r]:02d}"]`` at pixel (r, c): an image of date t holds the
feature row of t and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

_COLUMN = re.compile(r"^(?P<name>.+)_(?P<window>\d{2})$")


def split_column(column: str) -> tuple[str, int]:
    """``"bb_high_06"`` -> ``("bb_high", 6)``."""
    match = _COLUMN.match(column)
    if not match:
        raise ValueError(f"column {column!r} is not named '<indicator>_<window:02d>'")
    return match["name"], int(match["window"])


def indicator_grid(columns: Iterable[str]) -> tuple[list[str], list[int]]:
    """The indicators and windows of a feature frame's columns, in first-seen order; every
    (indicator, window) pair must be present."""
    pairs = [split_column(c) for c in columns]
    names = list(dict.fromkeys(n for n, _ in pairs))
    windows = list(dict.fromkeys(w for _, w in pairs))
    if len(pairs) != len(names) * len(windows) or len(set(pairs)) != len(pairs):
        raise ValueError(
            f"the columns do not form a full indicator x window grid "
            f"({len(names)} indicators, {len(windows)} windows, {len(pairs)} columns)"
        )
    return names, windows


def selection_stability(folds: list[dict], indicators: Iterable[str]) -> pd.DataFrame:
    """Indicator x fold table of 1 (chosen) / 0, with a ``share`` column, sorted by it.

    ``folds`` are layouts with a ``number`` and the chosen ``columns`` (indicators)."""
    indicators = list(indicators)
    table = pd.DataFrame(0, index=indicators, columns=[f["number"] for f in folds], dtype=int)
    for f in folds:
        unknown = set(f["columns"]) - set(indicators)
        if unknown:
            raise ValueError(f"fold {f['number']} chose indicators not in the list: {sorted(unknown)}")
        table.loc[f["columns"], f["number"]] = 1
    table["share"] = table.mean(axis=1)
    return table.sort_values("share", ascending=False, kind="stable")


def to_images(features: pd.DataFrame, columns: Iterable[str], windows: Iterable[int]) -> np.ndarray:
    """Images (n, len(windows), len(columns), 1) float32, ``image[i, r, c, 0] =
    features[f"{columns[c]}_{windows[r]:02d}"]`` of row ``i``: each image is one feature row."""
    columns, windows = list(columns), [int(w) for w in windows]
    names = [f"{c}_{w:02d}" for w in windows for c in columns]  # row-major: r (window), then c
    missing = [n for n in names if n not in features.columns]
    if missing:
        raise KeyError(
            f"features lack the columns {missing[:5]}{'...' if len(missing) > 5 else ''}: "
            "use the layout of a fold built from the same feature set"
        )
    values = features[names].to_numpy(dtype="float32")
    return values.reshape(len(features), len(windows), len(columns), 1)
