"""pytest configuration shared by the unit tests (tests/) and the notebook checks (notebooks/)."""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "tests"))
import nbval_policy  # noqa: E402

nbval_policy.install()

PRODUCER = re.compile(r'producer=\\?"([0-9]{2}_[a-z0-9_]+)\\?"')


def notebook_groups(notebooks):
    """Group name per notebook: a notebook that loads another's artifacts
    (``load_artifact(..., producer="NN_name")``) joins its producer's group."""
    parent = {nb.stem: nb.stem for nb in notebooks}

    def root(name):
        while parent[name] != name:
            name = parent[name]
        return name

    for nb in notebooks:
        for producer in set(PRODUCER.findall(nb.read_text(encoding="utf-8"))):
            if producer in parent and root(producer) != root(nb.stem):
                parent[root(nb.stem)] = root(producer)
    return {nb: root(nb.stem) for nb in notebooks}


def pytest_xdist_make_scheduler(config, log):
    """With pytest-xdist (``make test`` runs ``-n 2``): all the cells of a notebook run on one
    worker, in order, and so do the notebooks that hand artifacts to each other (04 -> 05,
    07 -> 08, 11 -> 15). Unit tests are spread by module."""
    from xdist.scheduler import LoadScopeScheduling

    root = Path(str(config.rootpath))
    notebooks = sorted(root.glob("notebooks/**/*.ipynb"))
    groups = {nb.relative_to(root).as_posix(): group for nb, group in notebook_groups(notebooks).items()}

    class NotebookChains(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split("::", 1)[0]
            return groups.get(path, path)

    return NotebookChains(config, log)
