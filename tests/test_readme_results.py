"""The README's results table shows only numbers that the committed notebooks print.

Each row's first column names a notebook: ``01`` (notebooks/01_*.ipynb), ``ex 02``
(notebooks/exercises/02_*.ipynb) or ``sol 02`` (notebooks/exercises/solutions/02_*.ipynb).
Every value that holds a digit must appear, character for character, in that notebook's
stored outputs. Rows marked "not run here" carry no number and are exempt.
"""

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FOLDERS = {"": "notebooks", "ex": "notebooks/exercises", "sol": "notebooks/exercises/solutions"}


def results_rows():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Results", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [c.strip().lower() for c in rows[0].strip("|").split("|")]
    out = []
    for line in rows[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        out.append(dict(zip(header, cells)))
    return out


def notebook_for(ref: str) -> Path:
    m = re.fullmatch(r"(?:(ex|sol)\s+)?(\d\d)", ref.strip())
    assert m, f"results row names notebook {ref!r}; expected '01', 'ex 01' or 'sol 01'"
    matches = sorted((REPO / FOLDERS[m.group(1) or ""]).glob(f"{m.group(2)}_*.ipynb"))
    assert len(matches) == 1, f"no single notebook for {ref!r}: {matches}"
    return matches[0]


def outputs_text(path: Path) -> str:
    parts = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            for chunk in [out.get("text", "")] + [
                out.get("data", {}).get(k, "") for k in ("text/plain", "text/html", "text/markdown")
            ]:
                parts.append("".join(chunk) if isinstance(chunk, list) else chunk)
    return "\n".join(parts)


ROWS = results_rows()


def test_results_table_has_rows():
    assert ROWS and all("value" in r and "notebook" in r for r in ROWS)


@pytest.mark.parametrize(
    "row", ROWS, ids=lambda r: f"{r['notebook']}-{r.get('model', '')}-{r.get('metric', '')}"
)
def test_every_reported_number_is_printed_by_its_notebook(row):
    value = row["value"].strip("` *")
    if "not run here" in value:
        pytest.skip(f"README row {row['notebook']} was not run here: no printed number to compare")
    if not re.search(r"\d", value):
        pytest.skip(f"README row {row['notebook']} reports {value!r}, not a number")
    path = notebook_for(row["notebook"])
    printed = re.search(rf"(?<![\d.]){re.escape(value)}(?!\d)", outputs_text(path))
    assert printed, f"README says {value!r} but {path.name} does not print it"
