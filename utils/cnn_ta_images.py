"""CNN-TA (notebook 12): per-fold indicator selection, clustered 15x15 layouts, images.

For each walk-forward fold, using the fold's **training rows only**:

1. :func:`rank_indicators` scores every feature column by its mutual information with the
   forward return on a random sample of training rows, and scores an indicator by the
   **mean** MI of its window columns; the ``n_select`` best indicators are kept.
2. :func:`standardize` z-scores the sample with the sample's own means and standard
   deviations (training statistics).
3. :func:`cluster_order` orders items by Ward hierarchical clustering (with optimal leaf
   ordering, so neighbours in the image are similar). An indicator is clustered on the
   vector of its standardised values over all sample rows and all windows; a window on
   its standardised values over all sample rows and all chosen indicators.

:func:`to_images` then places ``features[f"{columns[c]}_{windows[r]:02d}"]`` at pixel
(r, c): an image of date t holds the feature row of t and nothing else.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

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
        raise ValueError(f"the columns do not form a full indicator x window grid "
                         f"({len(names)} indicators, {len(windows)} windows, {len(pairs)} columns)")
    return names, windows


def training_sample(features: pd.DataFrame, labels: pd.Series, rows: np.ndarray, n: int,
                    seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Up to ``n`` random rows among positions ``rows`` whose label is known (sorted)."""
    if not features.index.equals(labels.index):
        raise ValueError("features and labels must share the same index (same rows, same order)")
    rows = np.asarray(rows)
    if len(rows) == 0:
        raise ValueError("no training rows: check the fold")
    rows = rows[np.isfinite(labels.to_numpy()[rows])]
    if len(rows) > n:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=n, replace=False))
    return features.iloc[rows], labels.iloc[rows]


def rank_indicators(X: pd.DataFrame, y: pd.Series, n_neighbors: int = 3, seed: int = 0) -> pd.DataFrame:
    """Mutual information of every column with ``y``; per indicator its mean and max over
    the windows, sorted by the mean (best first), with a ``rank`` column (1 = best)."""
    from sklearn.feature_selection import mutual_info_regression

    names, windows = indicator_grid(X.columns)
    if len(X) < 5 * n_neighbors:
        raise ValueError(f"{len(X)} rows are too few for a k-NN mutual information estimate")
    mi = mutual_info_regression(X.to_numpy(dtype="float64"), y.to_numpy(dtype="float64"),
                                n_neighbors=n_neighbors, random_state=seed)
    per = pd.Series(mi, index=X.columns)
    by = pd.Series([split_column(c)[0] for c in X.columns], index=X.columns)
    table = pd.DataFrame({"mi_mean": per.groupby(by).mean(), "mi_max": per.groupby(by).max()})
    table = table.loc[names].sort_values(["mi_mean", "mi_max"], ascending=False, kind="stable")
    table["rank"] = np.arange(1, len(table) + 1)
    return table


def standardize(X: pd.DataFrame) -> pd.DataFrame:
    """Z-scores with the frame's own column means and standard deviations (call it on
    training rows only); a constant column becomes zeros."""
    std = X.std(ddof=0).replace(0.0, 1.0)
    return (X - X.mean()) / std


def cluster_order(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ward clustering of the rows of ``vectors``: (leaf order, linkage matrix).

    The order comes from the dendrogram with optimal leaf ordering (adjacent leaves as
    similar as possible)."""
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering

    vectors = np.asarray(vectors, dtype="float64")
    if vectors.ndim != 2 or len(vectors) < 2:
        raise ValueError(f"need a 2-D array with at least 2 items to cluster, got shape {vectors.shape}")
    if not np.isfinite(vectors).all():
        raise ValueError("the vectors to cluster hold NaN or inf: drop those rows first")
    link = linkage(vectors, method="ward")
    link = optimal_leaf_ordering(link, vectors)
    return leaves_list(link), link


def select_and_cluster(features: pd.DataFrame, labels: pd.Series, train_rows: np.ndarray,
                       n_select: int = 15, mi_sample: int = 10_000, cluster_sample: int = 5_000,
                       seed: int = 0) -> dict:
    """Pick and order the image layout of one fold from its training rows only.

    Returns a dict with ``columns`` (chosen indicators, clustered order), ``windows``
    (clustered order), ``mi`` (the ranking table of all indicators), ``column_linkage``,
    ``window_linkage`` and the labels the linkages refer to (``column_items``,
    ``window_items``, in the order fed to the clustering).
    """
    names, windows = indicator_grid(features.columns)
    if not 2 <= n_select <= len(names):
        raise ValueError(f"n_select must be between 2 and {len(names)} (the indicators available), got {n_select}")
    X, y = training_sample(features, labels, train_rows, mi_sample, seed)
    table = rank_indicators(X, y, seed=seed)
    chosen = list(table.index[:n_select])  # MI order
    Xc, _ = training_sample(features, labels, train_rows, cluster_sample, seed + 1)
    cols = [f"{n}_{w:02d}" for n in chosen for w in windows]
    Z = standardize(Xc[cols]).to_numpy(dtype="float64").reshape(len(Xc), len(chosen), len(windows))
    ind_vectors = Z.transpose(1, 0, 2).reshape(len(chosen), -1)    # indicator: all rows x windows
    win_vectors = Z.transpose(2, 0, 1).reshape(len(windows), -1)   # window: all rows x indicators
    col_order, col_link = cluster_order(ind_vectors)
    row_order, row_link = cluster_order(win_vectors)
    return {"columns": [chosen[i] for i in col_order], "windows": [int(windows[i]) for i in row_order],
            "mi": table, "column_linkage": col_link, "window_linkage": row_link,
            "column_items": chosen, "window_items": [int(w) for w in windows]}


def fold_layouts(features: pd.DataFrame, labels: pd.Series, cv, log: Callable[[str], None] | None = print,
                 **kwargs) -> tuple[list[dict], list[dict]]:
    """:func:`select_and_cluster` for every fold of ``cv`` (a WalkForward) over ``features``.

    Returns ``(folds, details)``: ``folds`` is the JSON-ready list of the notebook-12
    artifact (number, ISO dates of the train/val/test windows, columns, windows), and
    ``details`` the full results per fold (MI tables and linkages) for the figures.
    """
    folds, details = [], []
    for fold in cv.split(features):
        res = select_and_cluster(features, labels, fold.train, **kwargs)

        def iso(d, k):
            return d[k].date().isoformat() if len(d) else None

        entry = {"number": int(fold.number),
                 "train_start": iso(fold.train_dates, 0), "train_end": iso(fold.train_dates, -1),
                 "val_start": iso(fold.val_dates, 0), "val_end": iso(fold.val_dates, -1),
                 "test_start": iso(fold.test_dates, 0), "test_end": iso(fold.test_dates, -1),
                 "columns": res["columns"], "windows": res["windows"]}
        folds.append(entry)
        details.append(res)
        if log is not None:
            log(f"fold {fold.number}: train {entry['train_start']}..{entry['train_end']} "
                f"({len(fold.train):,} rows), test {entry['test_start']}..{entry['test_end']}; "
                f"top 3 by MI: {', '.join(res['mi'].index[:3])}")
    return folds, details


def selection_stability(folds: list[dict], indicators: Iterable[str]) -> pd.DataFrame:
    """Indicator x fold table of 1 (chosen) / 0, with a ``share`` column, sorted by it."""
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
        raise KeyError(f"features lack the columns {missing[:5]}{'...' if len(missing) > 5 else ''}: "
                       "use the layout of a fold built from the same feature set")
    values = features[names].to_numpy(dtype="float32")
    return values.reshape(len(features), len(windows), len(columns), 1)
