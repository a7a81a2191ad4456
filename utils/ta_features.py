"""Technical-analysis features of a stock panel: clean daily prices, TA-Lib indicators over
15 windows, forward-looking labels (notebook 11 builds them for the CNN-TA notebooks).

Every indicator is computed per ticker with TA-Lib over the windows 6..20 and expressed
so that it is comparable across stocks (price-level indicators relative to the close,
MACD and ADOSC divided by a price or volume scale of the same day or window). Nothing is
normalised over the sample: a feature at date t uses the ticker's prices up to t only, the
cleaning of :func:`clean_prices` included, which the truncation check (:func:`truncation_gap`,
with ``clean=clean_prices`` on the raw file) verifies.

Labels (:func:`make_labels`) look strictly forward: simple returns from the close of t to
the close of t + h, their cross-sectional quintiles, and the CNN-TA paper's Buy/Hold/Sell
label (which uses prices on both sides of t and is therefore a label, never a feature).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

WINDOWS = tuple(range(6, 21))
PRICE_COLUMNS = ("open", "high", "low", "close", "volume")


# --------------------------------------------------------------------------- data quality
def _check_prices(prices: pd.DataFrame) -> None:
    if not isinstance(prices, pd.DataFrame) or prices.index.nlevels != 2:
        raise TypeError("prices must be a DataFrame indexed by (date, ticker), as load_stock_prices returns")
    missing = [c for c in PRICE_COLUMNS if c not in prices.columns]
    if missing:
        raise ValueError(f"prices lack the columns {missing}; expected {list(PRICE_COLUMNS)}")
    if not prices.index.is_unique:
        raise ValueError("prices has duplicate (date, ticker) rows")


def clean_prices(
    prices: pd.DataFrame,
    gap_threshold: float = 0.40,
    glitch_threshold: float = 0.40,
    glitch_tolerance: float = 0.10,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the data-quality rules below and report what each one touched.

    Rules, in order (each row of the report says how many rows and tickers it changed):

    1. ``missing_ohl``: an empty open, high or low is set to that day's close (the close is
       never empty in this file).
    2. ``zero_volume``: rows with zero volume (days without trades, whose prices were
       carried) are dropped.
    3. ``glitch_close``: a close that moves more than ``glitch_threshold`` from the previous
       close and comes back the next day (next close within ``glitch_tolerance`` of the
       previous one) is a data error. Only the next day shows that it is one, so the row is
       **dropped** (no feature or label is built on a close that was known to be wrong only
       later); from the next day on, indicators run as if the day had no row.
    4. ``capital_event_gap``: an opening gap below ``-gap_threshold`` whose close of the same
       day stays below ``-gap_threshold`` (a spin-off or share-class split the file did not
       adjust for) is confirmed on the day itself. The prices of that day and of every later
       day are multiplied by ``close_{t-1} / open_t`` (a forward adjustment: the factor is
       known at t). Earlier rows are never touched, so the features before the event are
       exactly those of the raw file, and the return across the event loses its fake crash.
       (A backward adjustment would rescale the whole earlier history with a factor known
       only at t; ADX, +DI and -DI are not exactly scale-free, because rescaling breaks ties
       between up-moves and down-moves.) Price levels after the event are therefore not the
       traded ones; returns and every scale-free indicator are right.
    5. ``ohlc_order``: low <= open, close <= high is enforced (swap high and low if
       inverted, clip the open into [low, high], widen [low, high] to hold the close).

    Every rule uses prices up to the row's own date only, so the cleaned row of date t is the
    same whether the file ends at t or later (``truncation_gap(..., clean=clean_prices)``
    checks it). Returns ``(clean, report)``; ``clean`` is sorted by (date, ticker), float64.
    """
    _check_prices(prices)
    df = prices[list(PRICE_COLUMNS)].astype("float64").sort_index(level=["ticker", "date"]).copy()
    tick = df.index.get_level_values("ticker")
    rows = []

    def record(rule, mask, what, **extra):
        mask = np.asarray(mask, dtype=bool)
        rows.append(
            {
                "rule": rule,
                "rows": int(mask.sum()),
                "tickers": int(pd.Index(tick[mask]).nunique()),
                "action": what,
                **extra,
            }
        )

    # 1. empty open/high/low
    ohl = df[["open", "high", "low"]]
    mask = ohl.isna().any(axis=1).to_numpy()
    record("missing_ohl", mask, "open/high/low set to the close")
    for c in ("open", "high", "low"):
        df[c] = df[c].fillna(df["close"])
    if df["close"].isna().any() or (df[["open", "high", "low", "close"]] <= 0).any().any():
        raise ValueError(
            "empty or non-positive closes: this cleaning expects every close present and positive"
        )

    # 2. zero volume
    mask = (df["volume"] <= 0).to_numpy()
    record("zero_volume", mask, "rows dropped")
    df = df[~mask]
    tick = df.index.get_level_values("ticker")

    # 3. one-day glitches of the close (reverted the next day)
    close = df["close"]
    prev = close.groupby(level="ticker").shift(1)
    nxt = close.groupby(level="ticker").shift(-1)
    mask = ((close / prev - 1).abs() > glitch_threshold) & ((nxt / prev - 1).abs() < glitch_tolerance)
    mask = mask.to_numpy()
    record(
        "glitch_close",
        mask,
        "rows dropped (known to be wrong only the next day)",
        examples=", ".join(f"{t} {d:%Y-%m-%d}" for d, t in df.index[mask]),
    )
    df = df[~mask]
    tick = df.index.get_level_values("ticker")

    # 4. unadjusted capital events (opening gaps that stay down through the day's close)
    close = df["close"]
    prev = close.groupby(level="ticker").shift(1)
    gap = df["open"] / prev - 1
    mask = ((gap < -gap_threshold) & (close / prev - 1 < -gap_threshold)).to_numpy()
    record(
        "capital_event_gap",
        mask,
        "that day and later prices scaled by previous close/open",
        examples=", ".join(f"{t} {d:%Y-%m-%d}" for d, t in df.index[mask]),
    )
    dates = df.index.get_level_values("date")
    for (date, ticker), factor in (prev / df["open"])[mask].items():
        later = (tick == ticker) & (dates >= date)
        df.loc[later, ["open", "high", "low", "close"]] *= factor

    # 5. OHLC order
    o, h, lo, c = (df[k].to_numpy().copy() for k in ("open", "high", "low", "close"))
    swap = lo > h
    h2, lo2 = np.where(swap, lo, h), np.where(swap, h, lo)
    o2 = np.clip(o, lo2, h2)
    h3, lo3 = np.maximum(h2, c), np.minimum(lo2, c)
    mask = swap | (o2 != o) | (h3 != h2) | (lo3 != lo2)
    record("ohlc_order", mask, "high/low swapped or widened, open clipped")
    df["open"], df["high"], df["low"] = o2, h3, lo3

    report = pd.DataFrame(rows).set_index("rule")
    if "examples" in report:
        report["examples"] = report["examples"].fillna("")
    return df.sort_index(), report


def missing_days(prices: pd.DataFrame) -> pd.Series:
    """Trading days missing inside each ticker's history (between its first and last date),
    counted on the panel's own calendar; tickers without a gap are left out."""
    _check_prices(prices)
    dates = prices.index.get_level_values("date")
    calendar = pd.DatetimeIndex(np.unique(dates))
    pos = pd.Series(calendar.get_indexer(dates), index=prices.index.get_level_values("ticker"))
    span = pos.groupby(level=0).agg(lambda s: s.max() - s.min() + 1)
    gaps = span - pos.groupby(level=0).size()
    return gaps[gaps > 0].sort_values(ascending=False).rename("missing_days")


# --------------------------------------------------------------------------- indicators
def _talib():
    try:
        import talib
    except ImportError as err:  # pragma: no cover - the course environment has it
        raise ImportError(
            "TA-Lib is needed for the CNN-TA indicators: install the `ta-lib` package (see environment.yml)"
        ) from err
    return talib


def _indicators() -> dict[str, Callable]:
    """name -> f(o, h, l, c, v, w) returning one float64 array (scale-free in prices)."""
    ta = _talib()

    def rel(x, c):
        return x / c - 1.0

    def bb(c, w, side):
        up, _, low = ta.BBANDS(c, timeperiod=w, nbdevup=2.0, nbdevdn=2.0, matype=0)
        return (up - c) / c if side == "high" else (c - low) / c

    return {
        "rsi": lambda o, h, l, c, v, w: ta.RSI(c, timeperiod=w),
        "willr": lambda o, h, l, c, v, w: ta.WILLR(h, l, c, timeperiod=w),
        "bb_high": lambda o, h, l, c, v, w: bb(c, w, "high"),
        "bb_low": lambda o, h, l, c, v, w: bb(c, w, "low"),
        "natr": lambda o, h, l, c, v, w: ta.NATR(h, l, c, timeperiod=w),
        "ppo": lambda o, h, l, c, v, w: ta.PPO(c, fastperiod=w, slowperiod=w + 14, matype=1),
        "macd": lambda o, h, l, c, v, w: (
            ta.MACD(c, fastperiod=w, slowperiod=w + 14, signalperiod=9)[2] / c * 100
        ),
        "mom": lambda o, h, l, c, v, w: ta.MOM(c, timeperiod=w) / c,
        "roc": lambda o, h, l, c, v, w: ta.ROC(c, timeperiod=w),
        "cmo": lambda o, h, l, c, v, w: ta.CMO(c, timeperiod=w),
        "cci": lambda o, h, l, c, v, w: ta.CCI(h, l, c, timeperiod=w),
        "adx": lambda o, h, l, c, v, w: ta.ADX(h, l, c, timeperiod=w),
        "plus_di": lambda o, h, l, c, v, w: ta.PLUS_DI(h, l, c, timeperiod=w),
        "minus_di": lambda o, h, l, c, v, w: ta.MINUS_DI(h, l, c, timeperiod=w),
        "aroonosc": lambda o, h, l, c, v, w: ta.AROONOSC(h, l, timeperiod=w),
        "trix": lambda o, h, l, c, v, w: ta.TRIX(c, timeperiod=w),
        "adosc": lambda o, h, l, c, v, w: (
            ta.ADOSC(h, l, c, v, fastperiod=max(2, w // 3), slowperiod=w) / ta.SMA(v, timeperiod=w)
        ),
        "mfi": lambda o, h, l, c, v, w: ta.MFI(h, l, c, v, timeperiod=w),
        "vol_ratio": lambda o, h, l, c, v, w: np.log(v / ta.SMA(v, timeperiod=w)),
        "sma": lambda o, h, l, c, v, w: rel(ta.SMA(c, timeperiod=w), c),
        "ema": lambda o, h, l, c, v, w: rel(ta.EMA(c, timeperiod=w), c),
        "wma": lambda o, h, l, c, v, w: rel(ta.WMA(c, timeperiod=w), c),
        "dema": lambda o, h, l, c, v, w: rel(ta.DEMA(c, timeperiod=w), c),
        "tema": lambda o, h, l, c, v, w: rel(ta.TEMA(c, timeperiod=w), c),
    }


INDICATORS = (
    "rsi",
    "willr",
    "bb_high",
    "bb_low",
    "natr",
    "ppo",
    "macd",
    "mom",
    "roc",
    "cmo",
    "cci",
    "adx",
    "plus_di",
    "minus_di",
    "aroonosc",
    "trix",
    "adosc",
    "mfi",
    "vol_ratio",
    "sma",
    "ema",
    "wma",
    "dema",
    "tema",
)


def feature_columns(indicators: Iterable[str] = INDICATORS, windows: Iterable[int] = WINDOWS) -> list[str]:
    """Column names ``f"{indicator}_{window:02d}"``, indicator-major."""
    return [f"{name}_{w:02d}" for name in indicators for w in windows]


def _check_windows(windows) -> tuple[int, ...]:
    windows = tuple(int(w) for w in windows)
    if not windows or min(windows) < 2:
        raise ValueError(f"windows must be integers >= 2 (TA-Lib periods), got {windows}")
    return windows


def ticker_features(
    frame: pd.DataFrame, indicators: Iterable[str] = INDICATORS, windows: Iterable[int] = WINDOWS
) -> np.ndarray:
    """Indicators of one ticker: an array (n_rows, n_indicators * n_windows), float64.

    ``frame`` holds the ticker's rows in date order with columns open, high, low, close,
    volume. Warm-up rows are NaN. Column order follows :func:`feature_columns`.
    """
    funcs = _indicators()
    indicators, windows = list(indicators), _check_windows(windows)
    unknown = [n for n in indicators if n not in funcs]
    if unknown:
        raise KeyError(f"unknown indicators {unknown}; available: {sorted(funcs)}")
    o, h, l, c, v = (np.ascontiguousarray(frame[k].to_numpy(dtype="float64")) for k in PRICE_COLUMNS)
    out = np.full((len(c), len(indicators) * len(windows)), np.nan)
    if len(c) == 0:
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        j = 0
        for name in indicators:
            f = funcs[name]
            for w in windows:
                out[:, j] = f(o, h, l, c, v, w)
                j += 1
    out[~np.isfinite(out)] = np.nan
    return out


def compute_features(
    prices: pd.DataFrame,
    indicators: Iterable[str] = INDICATORS,
    windows: Iterable[int] = WINDOWS,
    log: Callable[[str], None] | None = print,
    every: int = 100,
) -> pd.DataFrame:
    """All indicators for every ticker, one vectorised TA-Lib pass per ticker.

    Returns a float32 frame indexed by (date, ticker), sorted, with the columns of
    :func:`feature_columns`; rows with any NaN (each ticker's warm-up) are dropped.
    ``log`` gets a progress line every ``every`` tickers and a final line with the time.
    """
    _check_prices(prices)
    indicators, windows = list(indicators), _check_windows(windows)
    cols = feature_columns(indicators, windows)
    df = prices.sort_index(level=["ticker", "date"])
    tickers = df.index.get_level_values("ticker")
    bounds = np.flatnonzero(np.r_[True, tickers[1:] != tickers[:-1], True])
    n_tickers = len(bounds) - 1
    values = np.empty((len(df), len(cols)), dtype="float32")
    start = time.perf_counter()
    for k in range(n_tickers):
        lo, hi = bounds[k], bounds[k + 1]
        values[lo:hi] = ticker_features(df.iloc[lo:hi], indicators, windows)
        if log is not None and ((k + 1) % every == 0 or k + 1 == n_tickers):
            log(f"  {k + 1:>4}/{n_tickers} tickers, {time.perf_counter() - start:5.1f} s")
    out = pd.DataFrame(values, index=df.index, columns=cols)
    out = out[~np.isnan(values).any(axis=1)].sort_index()
    return out


def truncation_gap(
    prices: pd.DataFrame,
    ticker: str,
    dates: Iterable,
    indicators: Iterable[str] = INDICATORS,
    windows: Iterable[int] = WINDOWS,
    clean: Callable[[pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]] | None = None,
) -> pd.Series:
    """Look-ahead check: for each date t, the largest absolute difference (per indicator)
    between the features at t computed on the full history and on the history cut at t.
    All zeros means no indicator uses a price after t.

    With ``clean`` (e.g. :func:`clean_prices`), ``prices`` is the raw file: it is cut at t
    **before** cleaning, so the check covers the cleaning too. A date whose row the cleaning
    of the full history drops has no features and is skipped."""
    _check_prices(prices)
    indicators = list(indicators)
    one = prices[prices.index.get_level_values("ticker") == ticker]
    if clean is None:
        clean = lambda frame: (frame, None)  # noqa: E731
    full_frame = clean(one)[0].xs(ticker, level="ticker").sort_index()
    full = ticker_features(full_frame, indicators, windows)
    raw_dates = one.index.get_level_values("date")
    gaps = np.zeros(len(indicators))
    n_w = len(tuple(windows))
    for t in dates:
        t = pd.Timestamp(t)
        if t not in full_frame.index:
            continue
        pos = full_frame.index.get_loc(t)
        cut_frame = clean(one[raw_dates <= t])[0].xs(ticker, level="ticker").sort_index()
        cut = ticker_features(cut_frame, indicators, windows)[-1]
        diff = np.abs(np.nan_to_num(full[pos], nan=1e9) - np.nan_to_num(cut, nan=1e9))
        gaps = np.maximum(gaps, diff.reshape(len(indicators), n_w).max(axis=1))
    return pd.Series(gaps, index=indicators, name="max_abs_diff")


# --------------------------------------------------------------------------- labels
def bhs_labels(close: pd.Series, window: int = 11) -> pd.Series:
    """The CNN-TA paper's label per ticker: 0 = Buy when t's close is the lowest of the
    ``window`` days centred on t, 2 = Sell when it is the highest, 1 = Hold otherwise.
    It uses (window - 1) / 2 closes **after** t (and as many before): a label only.
    NaN where the window is incomplete."""
    if window < 3 or window % 2 == 0:
        raise ValueError(f"window must be an odd integer >= 3, got {window}")
    wide = close.unstack("ticker").sort_index()
    roll = wide.rolling(window, center=True, min_periods=window)
    lo, hi = roll.min(), roll.max()
    lab = pd.DataFrame(
        np.where(wide == lo, 0.0, np.where(wide == hi, 2.0, 1.0)), index=wide.index, columns=wide.columns
    )
    lab = lab.where(lo.notna() & wide.notna())
    out = lab.stack(future_stack=True).rename("bhs")
    return out.reorder_levels(close.index.names).sort_index()


def make_labels(
    close: pd.Series, horizons: Iterable[int] = (1, 5), quantiles: int = 5, bhs_window: int | None = 11
) -> pd.DataFrame:
    """Labels per (date, ticker): ``fwd_ret_{h:02d}d`` = close[t+h] / close[t] - 1 on the
    panel's calendar (NaN when that day is missing), ``fwd_q_{h:02d}d`` its cross-sectional
    quantile (0 = lowest), and optionally ``bhs``."""
    from .timeseries import cross_sectional_quantile, forward_returns

    if not isinstance(close, pd.Series) or close.index.nlevels != 2:
        raise TypeError("close must be a Series indexed by (date, ticker)")
    out = {}
    for h in horizons:
        r = forward_returns(close, int(h))
        out[f"fwd_ret_{int(h):02d}d"] = r
    frame = pd.DataFrame(out).reindex(close.index)
    for h in horizons:
        frame[f"fwd_q_{int(h):02d}d"] = cross_sectional_quantile(
            frame[f"fwd_ret_{int(h):02d}d"].dropna(), quantiles
        ).reindex(frame.index)
    if bhs_window:
        frame["bhs"] = bhs_labels(close, bhs_window).reindex(frame.index)
    return frame.sort_index()
