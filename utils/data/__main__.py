"""Command line: ``python -m utils.data {list,where,fetch} [NAME ...]``.

- ``list``: the data sets the course knows;
- ``where NAME``: where the lookup finds NAME (verified), or why it does not;
- ``fetch NAME``: download NAME into the repository's ``data/`` (needs internet).
"""
from __future__ import annotations

import argparse
import sys

from .fetch import ChecksumError, DataNotFoundError, fetch, locate
from .registry import DATASETS, get_dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["list", "where", "fetch"])
    parser.add_argument("names", nargs="*", help="data set names (default for list/where: all)")
    args = parser.parse_args(argv)
    if args.command == "list":
        for ds in DATASETS.values():
            how = "download" if any(v.downloadable for v in ds.variants) else "manual"
            print(f"{ds.name:26s} {how:8s} {ds.title}")
        return 0
    names = args.names or (list(DATASETS) if args.command == "where" else [])
    if not names:
        parser.error("fetch needs at least one data set name (see `list`)")
    status = 0
    for name in names:
        try:
            get_dataset(name)
            if args.command == "where":
                found = locate(name, download=False)
                print(f"{name}: {found.path} ({found.source}, variant {found.variant.name}, verified)")
            else:
                found = fetch(name)
                print(f"{name}: downloaded and verified in {found.path}")
        except (KeyError, DataNotFoundError, ChecksumError, OSError) as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
