"""Preflight: are the data sets the notebooks need here, and verified? (``python -m utils.data check``)

``make test`` runs this before pytest. For each data set a notebook reads, the normal
lookup (``data_dir``, ``$COURSE_DATA_DIR``, the repository's ``data/``, the Keras cache)
is tried and the files are checked against their SHA-256. When a data set is missing and
the machine is online (``COURSE_OFFLINE`` not set to 1), it is downloaded. Offline, the
check stops at once with ONE message that names every missing data set, its size and the
command that fetches it.

Not needed here: data sets with an offline stand-in in the notebooks (SVHN in 07-08,
cats_vs_dogs in 05, EuroSAT in 06). Rock-Paper-Scissors is needed in one of its two forms
(the 300x300 originals, or the 28x28 copy).
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass

from .fetch import ChecksumError, DataNotFoundError, fetch, locate, offline
from .registry import get_dataset


@dataclass(frozen=True)
class Need:
    names: tuple[str, ...]  # any one of them will do; the first downloadable one is fetched
    notebooks: str


# Found with: grep -l "load_mnist\|load_cifar10\|load_stock_prices\|load_sp500_index\|
# rps_directories\|load_train_data" notebooks/*.ipynb notebooks/exercises/**/*.ipynb
NEEDS: tuple[Need, ...] = (
    Need(("mnist",), "00, 02, exercise 01"),
    Need(("fashion_mnist",), "exercise 02"),
    Need(("cifar10",), "03, 04"),
    Need(("rock_paper_scissors_28px", "rock_paper_scissors"), "exercise 03"),
    Need(("sp500_stocks",), "10, 11 (and 12-14 through their artifacts)"),
    Need(("sp500_index",), "00, 09, 14"),
)


@dataclass(frozen=True)
class Problem:
    name: str
    size: str
    how: str
    why: str = "missing"


def _downloadable(name: str) -> bool:
    return any(v.downloadable for v in get_dataset(name).variants)


def _fetch_name(need: Need) -> str:
    return next((n for n in need.names if _downloadable(n)), need.names[0])


def check(online: bool | None = None, progress: bool = True) -> tuple[list[str], list[Problem]]:
    """Look for every needed data set; download the missing ones when ``online``.

    Returns ``(lines, problems)``: one line for each data set found or fetched, and what
    is still missing or corrupted.
    """
    online = not offline() if online is None else online
    lines: list[str] = []
    problems: list[Problem] = []
    for need in NEEDS:
        found = None
        for name in need.names:
            try:
                found = locate(name, download=False)
                break
            except DataNotFoundError:
                continue
            except ChecksumError as exc:
                ds = get_dataset(name)
                where = re.search(r": (.*?) has SHA-256", str(exc))
                problems.append(
                    Problem(
                        name,
                        ds.size,
                        f"delete it, then: {ds.fetch_command}",
                        f"wrong SHA-256 in {where.group(1) if where else '?'}",
                    )
                )
                found = False
                break
        if found is False:
            continue
        name = _fetch_name(need)
        ds = get_dataset(name)
        if found is None and online and _downloadable(name):
            try:
                found = fetch(name, progress=progress)
            except (OSError, ChecksumError, DataNotFoundError) as exc:
                problems.append(
                    Problem(name, ds.size, ds.fetch_command, f"download failed: {str(exc).splitlines()[0]}")
                )
                continue
        if found is None:
            how = ds.fetch_command if _downloadable(name) else (ds.manual or "")
            problems.append(Problem(name, ds.size, how))
            continue
        lines.append(f"{found.dataset.name}: {found.path} ({found.source}, verified)")
    return lines, problems


def message(problems: list[Problem], is_offline: bool) -> str:
    """The one message a student sees when data is missing."""
    n = len(problems)
    head = (
        f"Data check failed: {n} data set{'s' if n != 1 else ''} the notebooks need "
        f"{'are' if n != 1 else 'is'} missing or broken"
        + (" (COURSE_OFFLINE=1, so nothing was downloaded):" if is_offline else ":")
    )
    width = max(len(p.name) for p in problems)
    size_width = max(len(p.size) for p in problems)
    rows = [
        f"  {p.name:{width}s}  {p.size:{size_width}s}  {p.why + ': ' if p.why != 'missing' else ''}{p.how}"
        for p in problems
    ]
    tail = (
        "Fetch everything with `make data` (needs internet), or set COURSE_DATA_DIR to a "
        "folder that holds them (CI uses ../shared/data)."
    )
    return "\n".join([head, *rows, tail])


def main(argv: list[str] | None = None) -> int:
    start = time.perf_counter()
    is_offline = offline()
    lines, problems = check(online=not is_offline)
    if problems:
        print(message(problems, is_offline), file=sys.stderr)
        return 1
    print(
        f"Data check: all {len(lines)} data sets the notebooks need are present and verified "
        f"({time.perf_counter() - start:.1f} s)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
