"""How nbval compares the checked cells (`# NBVAL_CHECK_OUTPUT`) of the notebooks.

Only stdout and results are compared. Text on stderr (TensorFlow's C++ log lines, CUDA
messages, library warnings) differs between machines and can even arrive a moment late,
in the next cell's output, so it is dropped from both sides before comparing.
"""

from __future__ import annotations


def drop_stderr(outputs):
    return [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def install() -> bool:
    """Patch nbval's comparison; returns False when nbval is not installed."""
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:
        return False
    if getattr(IPyNbCell.compare_outputs, "_drops_stderr", False):
        return True
    original = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        return original(self, drop_stderr(test), drop_stderr(ref), skip_compare)

    compare_outputs._drops_stderr = True
    IPyNbCell.compare_outputs = compare_outputs
    return True
