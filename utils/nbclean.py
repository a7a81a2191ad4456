"""Tidy an executed notebook before it is committed: ``python -m utils.nbclean NOTEBOOK...``.

- drops progress-bar widgets (``tqdm.auto`` under nbconvert leaves closed widget outputs)
  and the saved widget state;
- drops TensorFlow's C++ start-up log lines from stderr (``I0000 ... cudart_stub.cc ...``,
  "Could not find cuda drivers", the absl pre-init warning): they say which hardware the
  run had, not what the code did; any other stderr text is kept;
- merges consecutive stream outputs of the same name (split only by flush timing);
- drops each cell's ``metadata.execution`` (the kernel's timestamps, new at every run), so
  re-running a notebook whose results did not change leaves the file unchanged.

``make notebooks`` runs it after executing each notebook.
"""

from __future__ import annotations

import re
import sys

WIDGET = "application/vnd.jupyter.widget-view+json"
TF_LOG = re.compile(
    r"^([IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./-]+:\d+\] .*"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .* in other operations, rebuild TensorFlow .*)$"
)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def clean_outputs(outputs: list) -> tuple[list, int]:
    """Return the cleaned outputs of one cell and how many outputs or lines were removed."""
    removed = 0
    kept = []
    for out in outputs:
        if out.get("output_type") == "display_data" and WIDGET in out.get("data", {}):
            removed += 1
            continue
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            lines = _text(out["text"]).splitlines(keepends=True)
            rest = [line for line in lines if not TF_LOG.match(line.rstrip("\n"))]
            removed += len(lines) - len(rest)
            if not rest:
                continue
            out = {**out, "text": "".join(rest)}
        if (
            kept
            and out.get("output_type") == "stream"
            and kept[-1].get("output_type") == "stream"
            and kept[-1]["name"] == out["name"]
        ):
            kept[-1] = {**kept[-1], "text": _text(kept[-1]["text"]) + _text(out["text"])}
            continue
        kept.append(out)
    return kept, removed


def clean_notebook(path) -> int:
    """Clean the notebook at ``path`` in place; returns the number of removed outputs/lines."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    total = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            outputs, removed = clean_outputs(cell.outputs)
            cell.outputs = [nbformat.from_dict(o) for o in outputs]
            total += removed
        cell.metadata.pop("execution", None)  # timestamps of this run: not a result
    if nb.metadata.pop("widgets", None) is not None:
        total += 1
    nbformat.write(nb, path)
    return total


def main(argv: list[str] | None = None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m utils.nbclean NOTEBOOK.ipynb [...]", file=sys.stderr)
        return 2
    for path in paths:
        print(f"{path}: removed {clean_notebook(path)} widget outputs / log lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
