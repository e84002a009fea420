"""``pg_dump`` / ``pg_restore`` of the hub's PostgreSQL schema (Debian package ``postgresql-client``).

The dump holds the schema the hub's URL uses (``current_schema()``, ``public`` unless the URL sets a
``search_path``), in the custom format; a restore recreates that schema in the database the target URL
names. The password goes through ``PGPASSWORD``, never the command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import Engine, make_url, text


class PgToolError(RuntimeError):
    """pg_dump / pg_restore is missing or failed; the message is for the technician."""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise PgToolError(f"{name} not found: install the PostgreSQL client (Debian: postgresql-client)")
    return found


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and the environment carrying it."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600, check=False)
    if result.returncode != 0:
        detail = result.stderr.strip()[-2000:]
        raise PgToolError(f"{Path(command[0]).name} failed ({result.returncode}): {detail}")
    return result.stdout


def dump(engine: Engine, url: str, target: Path) -> None:
    """Custom-format dump of the schema ``engine`` works in, into ``target``."""
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    uri, env = _libpq(url)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    _run([_tool("pg_dump"), "--format=custom", f"--schema={schema}", f"--file={target}", uri], env)


def restore(url: str, source: Path) -> None:
    """Restore dump ``source`` into the database ``url`` names, first dropping what it replaces (the
    caller decides whether a database with data may be replaced)."""
    uri, env = _libpq(url)
    command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    _run([*command, "--clean", "--if-exists", f"--dbname={uri}", str(source)], env)


def check_archive(path: Path) -> list[str]:
    """Problems reading dump ``path``: its table of contents must list the data of the hub's tables."""
    try:
        listing = _run([_tool("pg_restore"), "--list", str(path)], dict(os.environ))
    except PgToolError as error:
        return [str(error)]
    return [
        f"the dump holds no data of table {name}"
        for name in ("queues", "patients", "users", "site_identity")
        if not re.search(rf" TABLE DATA \S+ {name} ", listing)
    ]
