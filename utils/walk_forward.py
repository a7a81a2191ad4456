"""Walk-forward cross-validation for time series and (date, ticker) panels.

Each fold trains on a window of dates, skips a **purge** gap, and tests on the next
window; folds move forward in time. Windows count *distinct dates* (days, months...), so
the same splitter serves daily and monthly panels and any label horizon. Rows are
returned as integer positions into the frame as given, so the splitter works whatever
the frame's row order, and features and labels that share an index stay paired.

Rule for the purge: a label at date t that looks ``h`` dates ahead is realised at t + h.
With ``purge = h`` every training label is realised strictly before the first test date
(and, with ``val_size``, every inner-training label before the first validation date).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Fold:
    """One split: integer row positions (into the data as given) and the dates they cover.

    ``train`` holds the rows to fit on; when the splitter has a ``val_size``, these exclude
    the validation window and the purge before it, and ``val`` holds the validation rows.
    """

    number: int
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    train_dates: pd.DatetimeIndex
    val_dates: pd.DatetimeIndex
    test_dates: pd.DatetimeIndex

    def __repr__(self) -> str:
        def span(d):
            return f"{d[0].date()}..{d[-1].date()} ({len(d)})" if len(d) else "none"

        return (
            f"Fold {self.number}: train {span(self.train_dates)}, val {span(self.val_dates)}, "
            f"test {span(self.test_dates)}"
        )

    def iso_dates(self) -> dict[str, str | None]:
        """First and last date of each window as ISO strings (``train_start`` .. ``test_end``;
        None for an empty window): what a JSON artifact stores, read back by :func:`fold_rows`."""
        out = {}
        for part, d in (("train", self.train_dates), ("val", self.val_dates), ("test", self.test_dates)):
            out[f"{part}_start"] = d[0].date().isoformat() if len(d) else None
            out[f"{part}_end"] = d[-1].date().isoformat() if len(d) else None
        return out


def _dates_of(data) -> pd.DatetimeIndex:
    index = data if isinstance(data, pd.Index) else getattr(data, "index", None)
    if index is None:
        raise TypeError(f"expected a pandas object or index with dates, got {type(data).__name__}")
    values = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
    if not isinstance(values, pd.DatetimeIndex):
        try:
            values = pd.DatetimeIndex(values)
        except (TypeError, ValueError) as err:
            raise TypeError("the (first level of the) index must hold dates") from err
    if values.hasnans:
        raise ValueError("the index holds missing dates (NaT): drop those rows first")
    return values


class WalkForward:
    """Rolling (or expanding) walk-forward splits over the distinct dates of an index.

    Parameters
    ----------
    train_size: dates in each training window (including the inner validation window).
    test_size:  dates in each test window; consecutive folds' test windows do not overlap.
    purge:      dates dropped between training and test (set it to the label horizon).
    val_size:   dates at the end of the training window held out as an inner validation
                set (for early stopping / the epoch choice); ``purge`` dates separate it
                from the inner training part too. 0 = no validation set.
    expanding:  grow the training window from the first date instead of rolling it.
    n_splits:   keep only the last ``n_splits`` folds (default: every fold that fits).
    """

    def __init__(
        self,
        train_size: int,
        test_size: int = 1,
        purge: int = 0,
        val_size: int = 0,
        expanding: bool = False,
        n_splits: int | None = None,
    ):
        for name, value, low in (
            ("train_size", train_size, 1),
            ("test_size", test_size, 1),
            ("purge", purge, 0),
            ("val_size", val_size, 0),
        ):
            if not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if val_size and train_size - val_size - purge < 1:
            raise ValueError(
                f"train_size={train_size} leaves no inner training dates after "
                f"val_size={val_size} and purge={purge}; make train_size larger"
            )
        if n_splits is not None and n_splits < 1:
            raise ValueError(f"n_splits must be >= 1 or None, got {n_splits!r}")
        self.train_size, self.test_size, self.purge = int(train_size), int(test_size), int(purge)
        self.val_size, self.expanding, self.n_splits = int(val_size), bool(expanding), n_splits

    def __repr__(self) -> str:
        return (
            f"WalkForward(train_size={self.train_size}, test_size={self.test_size}, purge={self.purge}, "
            f"val_size={self.val_size}, expanding={self.expanding}, n_splits={self.n_splits})"
        )

    def get_n_splits(self, data) -> int:
        return len(self._windows(pd.DatetimeIndex(np.unique(_dates_of(data)))))

    def _windows(self, dates: pd.DatetimeIndex) -> list[int]:
        first = self.train_size + self.purge  # position of the first test date
        starts = list(range(first, len(dates) - self.test_size + 1, self.test_size))
        if self.n_splits is not None:
            starts = starts[-self.n_splits :]
        return starts

    def split(self, data) -> Iterator[Fold]:
        """Yield :class:`Fold` objects in time order for a Series/DataFrame/Index with dates
        (a plain DatetimeIndex or a MultiIndex whose first level holds the dates)."""
        row_dates = _dates_of(data)
        dates = pd.DatetimeIndex(np.unique(row_dates))  # sorted distinct dates
        starts = self._windows(dates)
        if not starts:
            raise ValueError(
                f"{len(dates)} distinct dates are too few for train_size={self.train_size} "
                f"+ purge={self.purge} + test_size={self.test_size}; use a shorter window or more data"
            )
        code = dates.get_indexer(row_dates)  # each row's date as a position on the date grid
        for number, t0 in enumerate(starts):
            test_lo, test_hi = t0, t0 + self.test_size
            train_hi = t0 - self.purge  # exclusive
            train_lo = 0 if self.expanding else train_hi - self.train_size
            if self.val_size:
                val_lo, val_hi = train_hi - self.val_size, train_hi
                fit_hi = val_lo - self.purge
            else:
                val_lo = val_hi = fit_hi = train_hi

            def rows(lo, hi):
                return np.flatnonzero((code >= lo) & (code < hi))

            yield Fold(
                number=number,
                train=rows(train_lo, fit_hi),
                val=rows(val_lo, val_hi),
                test=rows(test_lo, test_hi),
                train_dates=dates[train_lo:fit_hi],
                val_dates=dates[val_lo:val_hi],
                test_dates=dates[test_lo:test_hi],
            )


def walk_forward_predict(cv: WalkForward, X: pd.DataFrame, y: pd.Series, fit_predict, log=None):
    """Run ``fit_predict`` on every fold of ``cv`` and collect out-of-sample predictions.

    ``fit_predict(X_train, y_train, X_val, y_val, X_test)`` must return the predictions for
    ``X_test`` (an array of ``len(X_test)`` values), or a pair ``(predictions, info)`` where
    ``info`` is a dict logged with the fold. It never receives the test labels, so nothing
    in it can be tuned on the test window. ``log`` (e.g. ``print``) gets one line a fold.

    Returns ``(predictions, folds)``: a Series indexed like ``X`` (test rows of all folds,
    sorted) and a DataFrame with one row a fold.
    """
    if not isinstance(X, (pd.DataFrame, pd.Series)) or not isinstance(y, pd.Series):
        raise TypeError("X must be a pandas DataFrame (or Series) and y a pandas Series")
    if not X.index.equals(y.index):
        raise ValueError(
            "X and y must share the same index (same rows in the same order): "
            "align them first, e.g. y = y.loc[X.index]"
        )
    preds, rows = [], []
    for fold in cv.split(X):
        out = fit_predict(
            X.iloc[fold.train], y.iloc[fold.train], X.iloc[fold.val], y.iloc[fold.val], X.iloc[fold.test]
        )
        pred, info = out if isinstance(out, tuple) else (out, {})
        pred = np.asarray(pred, dtype=float).ravel()
        if len(pred) != len(fold.test):
            raise ValueError(
                f"fold {fold.number}: fit_predict returned {len(pred)} predictions "
                f"for {len(fold.test)} test rows"
            )
        preds.append(pd.Series(pred, index=X.index[fold.test]))
        row = {
            "fold": fold.number,
            "test_start": fold.test_dates[0],
            "test_end": fold.test_dates[-1],
            "n_train": len(fold.train),
            "n_val": len(fold.val),
            "n_test": len(fold.test),
            **dict(info),
        }
        rows.append(row)
        if log is not None:
            log(", ".join(f"{k} {_fmt(v)}" for k, v in row.items() if k != "test_end"))
    return pd.concat(preds).sort_index().rename("prediction"), pd.DataFrame(rows)


def _fmt(value) -> str:
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def fold_rows(index: pd.MultiIndex, fold: dict) -> dict[str, np.ndarray]:
    """Row positions of one fold's ``train``, ``val`` and ``test`` windows in ``index``.

    ``fold`` holds ISO dates ``train_start`` .. ``test_end`` (inclusive), as
    :meth:`Fold.iso_dates` writes them (notebook 12's ``cnn_ta_folds.json``). The windows
    must be in time order and must not overlap, and every window must hold rows.
    """
    dates = index.get_level_values(0)
    out = {}
    for part in ("train", "val", "test"):
        try:
            lo, hi = pd.Timestamp(fold[f"{part}_start"]), pd.Timestamp(fold[f"{part}_end"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(
                f"fold {fold.get('number')}: needs ISO dates {part}_start and {part}_end "
                f"(from cnn_ta_folds.json of notebook 12)"
            ) from err
        rows = np.flatnonzero((dates >= lo) & (dates <= hi))
        if len(rows) == 0:
            raise ValueError(
                f"fold {fold.get('number')}: no rows between {part}_start {lo.date()} and "
                f"{part}_end {hi.date()}; were the features and the folds built from the same data?"
            )
        out[part] = rows
    if not (
        dates[out["train"]].max()
        < dates[out["val"]].min()
        <= dates[out["val"]].max()
        < dates[out["test"]].min()
    ):
        raise ValueError(
            f"fold {fold.get('number')}: train, val and test windows overlap or are out of order"
        )
    return out
