"""What a run of the notebooks costs, before it starts: ``python -m utils.runtimes NOTEBOOK...``.

The measured full-run times live in one table, ``notebooks/run_times.json`` (minutes on
the course's 2-core CPU). ``make notebooks`` prints this module's summary of the notebooks
it is about to run; the README's notebook map shows the same numbers (a test checks it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .paths import repo_root
from .scale import get_scale

TABLE = Path("notebooks") / "run_times.json"


def load_run_times(root: Path | None = None) -> dict[str, dict]:
    """``{notebook path relative to the root: entry}`` from ``notebooks/run_times.json``."""
    root = repo_root() if root is None else root
    return json.loads((root / TABLE).read_text())["notebooks"]


def _key(path: str, root: Path) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(root.resolve())
        except ValueError:
            pass
    return p.as_posix()


def run_cost(notebooks: list[str], root: Path | None = None) -> tuple[float, list[str]]:
    """Total measured CPU minutes of ``notebooks`` and the ones with no measured time."""
    root = repo_root() if root is None else root
    table = load_run_times(root)
    total, unknown = 0.0, []
    for nb in notebooks:
        entry = table.get(_key(nb, root))
        if entry is None or entry.get("cpu_min") is None:
            unknown.append(Path(nb).stem)
        else:
            total += entry["cpu_min"]
    return total, unknown


def _duration(minutes: float) -> str:
    if minutes < 10:
        return f"{minutes:.1f} min"
    return f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h ({minutes:.0f} min)"


def summary(notebooks: list[str], scale: str | None = None, root: Path | None = None) -> str:
    """One or two lines: how many notebooks, and what the run will cost."""
    scale = scale or get_scale()
    head = f"make notebooks: {len(notebooks)} notebook(s) at scale '{scale}'"
    if scale == "smoke":
        return f"{head}: seconds to a few minutes each (smoke scale: tiny data, one epoch)."
    total, unknown = run_cost(notebooks, root)
    if len(unknown) == len(notebooks):
        return f"{head}: no measured full-run time for {', '.join(unknown)} ({TABLE.as_posix()})."
    text = (
        f"{head}: about {_duration(total)} on a 2-core CPU, from the measured full runs in {TABLE.as_posix()}"
    )
    if unknown:
        text += f"\n  plus the notebooks with no measured time: {', '.join(unknown)}"
    return text + "."


def main(argv: list[str] | None = None) -> int:
    notebooks = sys.argv[1:] if argv is None else argv
    print(summary(notebooks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
