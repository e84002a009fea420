"""Collection for ``python -m pytest``: the tests in ``tests/`` and the docstring examples of every package
(``--doctest-modules`` over the ``testpaths`` in pyproject.toml)."""

# Importing these runs something: alembic's migration environment connects and migrates, a __main__.py starts
# its program.
collect_ignore = ["hub/db/migrations"]
collect_ignore_glob = ["*/__main__.py"]

# Their docstrings put ``# doctest: +SKIP`` on a line of its own, which the doctest parser rejects; until they
# mark each skipped line (or the example runs), collecting them would be an error.
collect_ignore += [
    "hub/db/checkpoint.py",
    "hub/dispatch/service.py",
    "hub/dispatch/sql.py",
    "hub/web/__init__.py",
    "hub/web/context.py",
]
