"""The site identity: which database this hub keeps its data in, recorded in two places.

The ``site_identity`` row lives in the database; ``data_dir/site-identity.json`` (0600) lives beside it.
Every process that opens the database compares them (:func:`open_database` calls :func:`check_file` before
touching the database and :func:`establish` after migrating it):

- no identity file and an empty database: a brand-new install. A new identity is written to both places.
- no identity file, a database with tables but no identity row: a database from before identities existed.
  It is adopted (a new identity written to both places) with a log line.
- no identity file, a database with an identity row of this site: the row is copied to a new file (a fresh
  data_dir after ``antrean backup restore``, or a PostgreSQL hub moved to a new machine).
- an identity file and a missing SQLite file, an empty database, a database without identity or with
  another identity, or a database of another site: refused with :class:`IdentityError`, whose message says
  what happened and what to do (``antrean backup restore`` or, on purpose, ``antrean db init``).

A PostgreSQL schema or database other than the recorded one has its own identity (or none), so it is
refused the same way.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

from hub.config import HubConfig
from hub.db.base import utcnow
from hub.db.datadir import write_private
from hub.db.models import SiteIdentity

logger = logging.getLogger(__name__)
IDENTITY_FILE = "site-identity.json"
WHAT_TO_DO = (
    "If the database was lost or damaged, stop the hub and restore the latest backup: "
    "`antrean backup list --config HUB.toml`, then `antrean backup restore FILE --config HUB.toml`. "
    "To start over with an empty database on purpose: `antrean db init --config HUB.toml`."
)


class IdentityError(RuntimeError):
    """The database is not the one this data_dir recorded; the message is for the technician."""


@dataclass(frozen=True)
class Identity:
    site: str
    database_id: str


def identity_path(config: HubConfig) -> Path:
    return config.data_path / IDENTITY_FILE


def describe(url: str) -> str:
    """The database for messages: the SQLite file, or the URL without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database)
    return parsed.render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def read_file(config: HubConfig) -> Identity | None:
    path = identity_path(config)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Identity(site=str(data["site"]), database_id=str(data["database_id"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as error:
        raise IdentityError(
            f"{path} is damaged ({error}); remove it only if the database is the right one"
        ) from error


def write_file(config: HubConfig, identity: Identity) -> None:
    record = {
        **asdict(identity),
        "database": describe(config.database_url),
        "written_at": utcnow().isoformat(),
    }
    write_private(identity_path(config), json.dumps(record, indent=2) + "\n")


def _refuse(config: HubConfig, recorded: Identity, what: str) -> IdentityError:
    return IdentityError(
        f"refusing to start: {what}, but {identity_path(config)} records that site {recorded.site!r} keeps "
        f"its data in database {recorded.database_id}. Nothing was changed. {WHAT_TO_DO}"
    )


def check_file(config: HubConfig) -> Identity | None:
    """Before the database is opened (which would create a missing SQLite file): the recorded identity,
    refusing when the database it names is gone."""
    recorded = read_file(config)
    path = sqlite_path(config.database_url)
    if recorded is not None and path is not None and not path.exists():
        raise _refuse(config, recorded, f"the database {path} is missing")
    return recorded


def has_tables(engine: Engine) -> bool:
    """Whether the database (its current schema on PostgreSQL) holds any table."""
    return bool(inspect(engine).get_table_names())


def refuse_empty(config: HubConfig, recorded: Identity | None) -> None:
    """Before migrating an empty database: refused when an identity was recorded."""
    if recorded is not None:
        raise _refuse(config, recorded, f"the database {describe(config.database_url)} is empty")


def establish(
    config: HubConfig, sessions: sessionmaker[Session], recorded: Identity | None, *, fresh: bool
) -> Identity:
    """After migrating: compare (or create) the identity row and file; see the module docstring."""
    where = describe(config.database_url)
    with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":  # two hub processes starting at once
            session.execute(text("SELECT pg_advisory_xact_lock(7402136)"))
        row = session.scalars(select(SiteIdentity).order_by(SiteIdentity.created_at)).first()
        if row is None and recorded is None:
            row = SiteIdentity(database_id=str(uuid.uuid4()), site=config.site, created_at=utcnow())
            session.add(row)
            created = True
        else:
            created = False
        stored = None if row is None else Identity(site=row.site, database_id=row.database_id)
    if stored is None:
        assert recorded is not None
        raise _refuse(config, recorded, f"the database {where} has no site identity (a new or another one)")
    if recorded is not None and stored != recorded:
        raise _refuse(
            config, recorded, f"the database {where} is database {stored.database_id} of site {stored.site!r}"
        )
    if stored.site != config.site:
        raise IdentityError(
            f"refusing to start: the database {where} belongs to site {stored.site!r}, but the config says "
            f"site = {config.site!r}. Set site = {stored.site!r} in the config, or use the database of "
            f"site {config.site!r}. {WHAT_TO_DO}"
        )
    if recorded is None:
        write_file(config, stored)
        if not created:
            logger.warning("identity file was missing: recreated %s from the database", identity_path(config))
        elif fresh:
            logger.info("new database %s: site %s, database id %s", where, stored.site, stored.database_id)
        else:
            logger.warning(
                "adopted the existing database %s: site %s, database id %s recorded in it and in %s",
                where,
                stored.site,
                stored.database_id,
                identity_path(config),
            )
    return stored
