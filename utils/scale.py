"""Run scale of the course: ``full`` (what a student runs) or ``smoke`` (CI).

Every notebook's parameters cell states its values at full scale and the few that
shrink for a smoke run::

    P = scaled(dict(epochs=20, n_train=60_000), smoke=dict(epochs=1, n_train=2_000))
    P.epochs     # 20 at full scale, 1 when COURSE_SCALE=smoke

Scale changes values only: the same code path runs at both scales.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

SCALES = ("full", "smoke")
ENV_VAR = "COURSE_SCALE"


def get_scale() -> str:
    """Return the current scale from ``$COURSE_SCALE`` (``full`` when unset or empty)."""
    value = os.environ.get(ENV_VAR, "").strip().lower() or "full"
    if value not in SCALES:
        raise ValueError(
            f"{ENV_VAR} must be one of {SCALES}, got {os.environ[ENV_VAR]!r}. "
            f"Unset it for a full run or set {ENV_VAR}=smoke for a quick check."
        )
    return value


class Params(dict):
    """A dict whose keys can also be read as attributes (``P.epochs``)."""

    scale: str = "full"

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no parameter {name!r}; defined: {sorted(self)}") from None

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in self.items())
        return f"Params[{self.scale}]({items})"


def scaled(
    full: Mapping[str, Any], smoke: Mapping[str, Any] | None = None, scale: str | None = None
) -> Params:
    """Turn the full-scale values into the values for the current scale.

    Parameters
    ----------
    full:  every size-determining value at full scale.
    smoke: the values that differ in a smoke run; each key must exist in ``full``.
    scale: ``"full"`` or ``"smoke"``; default: :func:`get_scale`.
    """
    smoke = dict(smoke or {})
    unknown = sorted(set(smoke) - set(full))
    if unknown:
        raise KeyError(f"smoke values {unknown} have no full-scale value; add them to `full` first")
    scale = get_scale() if scale is None else scale
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    params = Params(full)
    if scale == "smoke":
        params.update(smoke)
    params.scale = scale
    return params
