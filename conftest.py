"""Collection for ``python -m pytest``: the tests in ``tests/`` and the docstring examples of every package
(``--doctest-modules`` over the ``testpaths`` in pyproject.toml)."""

from __future__ import annotations

import re
from pathlib import Path

# Importing these runs something: alembic's migration environment connects and migrates, a __main__.py starts
# its program.
collect_ignore = ["hub/db/migrations"]
collect_ignore_glob = ["*/__main__.py"]

# A docstring opening its example with ``>>> # doctest: +SKIP`` on a line of its own shows code that cannot
# run here (a running hub, a database); the doctest parser rejects that line, so such a module is not
# collected. An example that runs, or ``# doctest: +SKIP`` at the end of each line, is collected.
ILLUSTRATION = re.compile(r"^\s*>>> # doctest: \+SKIP\s*$", re.M)
TESTS = Path(__file__).resolve().parent / "tests"


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    if (
        collection_path.suffix == ".py"
        and TESTS not in collection_path.parents
        and ILLUSTRATION.search(collection_path.read_text(encoding="utf-8"))
    ):
        return True
    return None  # pytest decides as usual
