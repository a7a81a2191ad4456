"""Command line: ``python -m utils.data {list,where,fetch,check} [NAME ...]``.

- ``list``: the data sets the course knows, and where each is downloaded from;
- ``where NAME``: where the lookup finds NAME (verified), or why it does not;
- ``fetch NAME``: download NAME into the repository's ``data/`` (needs internet);
  ``fetch --all`` (``make data``): every data set that can be downloaded, one line each;
- ``check``: the preflight of ``make test``: every data set the notebooks need is here
  and verified (downloaded when online); else one message saying what to fetch.
"""

from __future__ import annotations

import argparse
import sys

from .fetch import ChecksumError, DataNotFoundError, fetch, locate
from .registry import DATASETS, TFDS_ONLY, Tree, get_dataset


def _size_on_disk(found) -> str:
    total = 0
    for item in found.variant.items:
        if isinstance(item, Tree):
            root = found.path / item.path
            total += sum(p.stat().st_size for p in root.glob(item.pattern))
        else:
            total += (found.path / item.path).stat().st_size
    return f"{total / 1e6:.1f} MB" if total >= 1e5 else f"{total / 1e3:.1f} kB"


def _line(name: str, size: str, where: str, status: str) -> str:
    return f"{name:26s} {size:>12s}  {where}  {status}"


def _fetch_one(name: str) -> tuple[int, str]:
    """Fetch ``name`` unless it is already found and verified; one line saying what happened."""
    ds = get_dataset(name)
    downloadable = any(v.downloadable for v in ds.variants)
    try:
        found = locate(name, download=False)
        how = f"verified (already in {found.source})"
    except DataNotFoundError:
        if not downloadable:
            return 0, _line(name, ds.size, "-", f"not downloadable: {ds.manual}")
        try:
            found = fetch(name)
        except (DataNotFoundError, ChecksumError, OSError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return 1, _line(name, ds.size, "-", f"FAILED: {reason} (then: {ds.fetch_command})")
        how = "verified (downloaded)"
    except ChecksumError as exc:
        return 1, _line(name, ds.size, "-", f"FAILED: {str(exc).splitlines()[0]}")
    return 0, _line(name, _size_on_disk(found), str(found.path), how)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m utils.data", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["list", "where", "fetch", "check"])
    parser.add_argument("names", nargs="*", help="data set names (default for list/where: all)")
    parser.add_argument("--all", action="store_true", help="fetch: every data set the course can fetch")
    args = parser.parse_args(argv)
    if args.command == "check":
        from .preflight import main as preflight

        return preflight()
    if args.command == "list":
        for ds in DATASETS.values():
            how = "download" if any(v.downloadable for v in ds.variants) else "manual"
            print(f"{ds.name:26s} {how:8s} {ds.title}")
        for name, (notebook, size, _) in TFDS_ONLY.items():
            print(f"{name:26s} {'tfds':8s} downloaded by TensorFlow Datasets in notebook {notebook} ({size})")
        return 0
    if args.command == "fetch" and args.all:
        status = 0
        for name in DATASETS:
            code, line = _fetch_one(name)
            print(line, flush=True)
            status |= code
        for name, (notebook, size, step) in TFDS_ONLY.items():
            print(
                _line(
                    name,
                    size,
                    "-",
                    f"fetched by TensorFlow Datasets when notebook {notebook} runs online; or now: {step}",
                )
            )
        return status
    names = args.names or (list(DATASETS) if args.command == "where" else [])
    if not names:
        parser.error("fetch needs a data set name (see `list`) or --all")
    status = 0
    for name in names:
        try:
            get_dataset(name)
            if args.command == "where":
                found = locate(name, download=False)
                print(f"{name}: {found.path} ({found.source}, variant {found.variant.name}, verified)")
            else:
                found = fetch(name)
                print(_line(name, _size_on_disk(found), str(found.path), "verified (downloaded)"))
        except (KeyError, DataNotFoundError, ChecksumError, OSError) as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
