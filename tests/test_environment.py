"""The environment files agree with each other, and the repository follows the course layout."""
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^\s*-?\s*([A-Za-z0-9_.\-\[\]]+)==([^\s#]+)")


def _pins(lines):
    out = {}
    for line in lines:
        m = PIN.match(line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def test_requirements_in_and_environment_yml_pin_the_same_versions():
    top = _pins((REPO / "requirements.in").read_text().splitlines())
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert _pins(pip_section) == top
    assert "conda-forge" in env["channels"]
    # every entry of environment.yml carries a comment saying which notebook needs it
    raw = (REPO / "environment.yml").read_text().split("dependencies:", 1)[1].splitlines()
    entries = [line for line in raw if line.strip().startswith("- ") and not line.strip().startswith("- pip:")]
    assert entries and all("#" in line for line in entries), [e for e in entries if "#" not in e]


def test_lock_file_pins_everything_and_agrees_with_the_top_level():
    top = _pins((REPO / "requirements.in").read_text().splitlines())
    lines = [line for line in (REPO / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    lock = _pins(lines)
    assert len(lock) == len(lines), "every line of requirements.txt must be an exact pin"
    for name, version in top.items():
        assert lock.get(name) == version, name


def test_utils_declares_lower_bounds_only():
    text = (REPO / "pyproject.toml").read_text()
    deps = re.search(r"dependencies = \[(.*?)\]", text, re.S).group(1)
    assert "==" not in deps and ">=" in deps


def test_layout():
    for path in ["notebooks", "notebooks/exercises", "utils", "data", "images", "tests",
                 "environment.yml", "README.md", "pyproject.toml", "Makefile", ".ci/run"]:
        assert (REPO / path).exists(), path
    ci = (REPO / ".ci/run").read_text()
    assert "make setup" in ci and "make test" in ci
    readme = (REPO / "README.md").read_text()
    assert "make setup" in readme and "make test" in readme
