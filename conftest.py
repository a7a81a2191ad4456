"""pytest configuration shared by the unit tests (tests/) and the notebook checks (notebooks/)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "tests"))
import nbval_policy  # noqa: E402

nbval_policy.install()
