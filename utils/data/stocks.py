"""Daily prices as tidy pandas frames indexed by ``(date, ticker)``.

Columns are lower-case: ``open, high, low, close, volume`` (plus ``adj_close`` for the
index). Dates are ``datetime64``, tickers strings; rows are sorted by date, then ticker.
"""

from __future__ import annotations

import pandas as pd

from .fetch import locate

SP500_INDEX_TICKER = "^GSPC"


def _filter(frame: pd.DataFrame, tickers, start, end) -> pd.DataFrame:
    if tickers is not None:
        tickers = [tickers] if isinstance(tickers, str) else list(tickers)
        missing = sorted(set(tickers) - set(frame["ticker"].unique()))
        if missing:
            raise KeyError(f"tickers not in the data: {missing}")
        frame = frame[frame["ticker"].isin(tickers)]
    if start is not None:
        frame = frame[frame["date"] >= pd.Timestamp(start)]
    if end is not None:
        frame = frame[frame["date"] <= pd.Timestamp(end)]
    return frame.set_index(["date", "ticker"]).sort_index()


def load_stock_prices(
    tickers=None, start=None, end=None, data_dir=None, download: bool = True
) -> pd.DataFrame:
    """Daily OHLCV of the 505 S&P 500 members in ``all_stocks_5yr.csv`` (2013-02-08 to 2018-02-07).

    Returns a frame indexed by ``(date, ticker)`` with float columns ``open, high, low,
    close, volume``. Prices are as in the file: split-adjusted, not adjusted for spin-offs,
    with a few glitches and 27 empty price cells left for the notebooks to clean.
    ``tickers``, ``start`` and ``end`` (inclusive) select a part.
    """
    located = locate("sp500_stocks", data_dir, download)
    raw = pd.read_csv(
        located.path / "all_stocks_5yr.csv",
        parse_dates=["date"],
        dtype={
            "open": "float64",
            "high": "float64",
            "low": "float64",
            "close": "float64",
            "volume": "float64",
            "Name": "string",
        },
    )
    raw = raw.rename(columns={"Name": "ticker"})
    raw["ticker"] = raw["ticker"].astype(str)
    cols = ["date", "ticker", "open", "high", "low", "close", "volume"]
    return _filter(raw[cols], tickers, start, end)


def load_sp500_index(start=None, end=None, data_dir=None, download: bool = True) -> pd.DataFrame:
    """S&P 500 index (^GSPC) daily from 1927-12-30, indexed by ``(date, ticker)``.

    Columns ``open, high, low, close, adj_close, volume`` (float). Select one series as
    ``frame.xs("^GSPC", level="ticker")["close"]``.
    """
    located = locate("sp500_index", data_dir, download)
    raw = pd.read_csv(located.path / "GSPC.csv", parse_dates=["Date"])
    raw.columns = [c.lower().replace(" ", "_") for c in raw.columns]
    raw = raw.astype({c: "float64" for c in ["open", "high", "low", "close", "adj_close", "volume"]})
    raw["ticker"] = SP500_INDEX_TICKER
    cols = ["date", "ticker", "open", "high", "low", "close", "adj_close", "volume"]
    return _filter(raw[cols], None, start, end)
