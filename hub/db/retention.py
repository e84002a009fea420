"""What the hub may forget, and when: the daily prune (``antrean db prune``, run by antrean-backup.service
right after the night's backup).

Kept for good (the medical record and everything a report or an audit is built from): patients, queues and
their ticket events, registrations, consents and documents, BPJS outbox items (the bridge's record of what
was sent). Pruned, oldest first, each after an archive copy was written and read back:

- ``request_log``: the request-id log only answers a retry of the same service day; kept
  ``[retention] request_log_days`` (default 7) days.
- ``bpjs_logs``: every PCare call with its bodies (personal data); kept ``bpjs_log_days`` (default 365).
- ``audit_logs``: kept ``audit_log_days`` (default 1825, five years).
- ``notifications`` (messages to patients): kept ``notification_days`` (default 90).

Archives are gzip'd JSON lines, one file per table and run, in ``[retention] archive_dir`` (default
data_dir/archive), 0600: ``audit_logs-2024-01-01-2024-12-01.jsonl.gz``."""

from __future__ import annotations

import gzip
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from hub.db.base import Base
from hub.db.models import AuditLog, BpjsLog, Notification, RequestLog

logger = logging.getLogger(__name__)
BATCH = 5_000


@dataclass(frozen=True)
class Rule:
    """One prunable table: its model, the column its age is read from, how many days it is kept."""

    model: type[Base]
    column: InstrumentedAttribute[Any]
    id: InstrumentedAttribute[int]
    keep_days: int

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)


@dataclass(frozen=True)
class Pruned:
    table: str
    rows: int
    archive: Path | None
    cutoff: datetime


def rules(
    request_log_days: int, bpjs_log_days: int, audit_log_days: int, notification_days: int
) -> list[Rule]:
    return [
        Rule(RequestLog, RequestLog.created_at, RequestLog.id, request_log_days),
        Rule(BpjsLog, BpjsLog.created_at, BpjsLog.id, bpjs_log_days),
        Rule(AuditLog, AuditLog.created_at, AuditLog.id, audit_log_days),
        Rule(Notification, Notification.created_at, Notification.id, notification_days),
    ]


def prune(
    sessions: sessionmaker[Session],
    table_rules: list[Rule],
    archive_dir: Path,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
) -> list[Pruned]:
    """Archive, then delete, the rows older than each rule keeps; returns what was (or would be) pruned.
    A table whose archive cannot be written is left untouched (the error propagates)."""
    now = now or datetime.now(UTC)
    done: list[Pruned] = []
    for rule in table_rules:
        cutoff = now - timedelta(days=rule.keep_days)
        with sessions() as session:
            count, last_id, oldest = session.execute(
                select(func.count(), func.max(rule.id), func.min(rule.column)).where(rule.column < cutoff)
            ).one()
        if not count:
            continue
        if dry_run:
            done.append(Pruned(rule.table, count, None, cutoff))
            continue
        archive = _archive(sessions, rule, cutoff, last_id, archive_dir, oldest, now)
        deleted = 0
        with sessions.begin() as session:  # only rows that are in the archive: id <= the last archived
            result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                delete(rule.model).where(rule.column < cutoff, rule.id <= last_id)
            )
            deleted = result.rowcount
        logger.info(
            "pruned %d %s rows older than %s (archive %s)", deleted, rule.table, cutoff.date(), archive
        )
        done.append(Pruned(rule.table, deleted, archive, cutoff))
    return done


def _rows(
    sessions: sessionmaker[Session], rule: Rule, cutoff: datetime, last_id: int
) -> Iterator[dict[str, Any]]:
    columns = rule.model.__table__.columns
    after = 0
    while True:
        with sessions() as session:
            batch = session.execute(
                select(*columns)
                .where(rule.column < cutoff, rule.id > after, rule.id <= last_id)
                .order_by(rule.id)
                .limit(BATCH)
            ).all()
        if not batch:
            return
        for row in batch:
            yield dict(row._mapping)
        after = batch[-1].id


def _archive(
    sessions: sessionmaker[Session],
    rule: Rule,
    cutoff: datetime,
    last_id: int,
    archive_dir: Path,
    oldest: datetime | date | None,
    now: datetime,
) -> Path:
    """Write the rows to a gzip'd JSON-lines file, fsync it, read it back and compare the count."""
    archive_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    first = oldest.date() if isinstance(oldest, datetime) else oldest or cutoff.date()
    path = archive_dir / f"{rule.table}-{first}-{cutoff.date()}-{now:%H%M%S}.jsonl.gz"
    partial = path.with_suffix(".partial")
    written = 0
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
        for row in _rows(sessions, rule, cutoff, last_id):
            out.write(json.dumps(row, default=_json_default, ensure_ascii=False).encode() + b"\n")
            written += 1
        out.flush()
        raw.flush()
        os.fsync(raw.fileno())
    if read_archive_count(partial) != written:
        partial.unlink()
        raise OSError(f"archive {path} did not read back ({written} rows written)")
    os.replace(partial, path)
    return path


def read_archive(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def read_archive_count(path: Path) -> int:
    return sum(1 for _ in read_archive(path))


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
