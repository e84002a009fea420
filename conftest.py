"""Collection for ``python -m pytest``: the tests in ``tests/`` and the docstring examples of every package
(``--doctest-modules`` over the ``testpaths`` in pyproject.toml)."""

from __future__ import annotations

# Importing these runs something: alembic's migration environment connects and migrates, a __main__.py starts
# its program.
collect_ignore = ["hub/db/migrations"]
collect_ignore_glob = ["*/__main__.py"]
