"""The daily prune (issue 17): log rows go after their retention, archived first; nothing a report or an
audit is built from (patients, tickets, their events, registrations, BPJS outbox) is ever touched."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.history import build_history
from hub.cli_db import main as db_main
from hub.config import HubConfig
from hub.db.database import open_database
from hub.db.models import AuditLog, BpjsLog, BpjsOutbox, Patient, Queue, Registration, RequestLog, TicketEvent
from hub.db.retention import prune, read_archive, rules

pytestmark = pytest.mark.slow  # builds 20 days of history per test

TODAY = date(2026, 11, 30)
PROTECTED = (Patient, Queue, TicketEvent, Registration, BpjsOutbox)


@pytest.fixture
def history(tmp_path: Path) -> Iterator[tuple[HubConfig, sessionmaker[Session]]]:
    config = HubConfig.model_validate({"data_dir": str(tmp_path / "data")})
    engine, sessions = open_database(config)
    build_history(config.database_url, 20, TODAY, patients=1_500)
    try:
        yield config, sessions
    finally:
        engine.dispose()


def counts(session: Session) -> dict[str, int]:
    models = (*PROTECTED, RequestLog, BpjsLog, AuditLog)
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0 for m in models}


def report(session: Session) -> list[Any]:
    """What the reports read: tickets per day, poly and status, with the waits (issue → call)."""
    rows = session.execute(
        select(Queue.queue_date, Queue.poly_id, Queue.status, func.count(), func.sum(Queue.queue_seq))
        .group_by(Queue.queue_date, Queue.poly_id, Queue.status)
        .order_by(Queue.queue_date, Queue.poly_id, Queue.status)
    ).all()
    waits = session.execute(
        select(Queue.id, Queue.queued_at, Queue.called_at)
        .where(Queue.called_at.is_not(None))
        .order_by(Queue.id)
    ).all()
    events = session.execute(
        select(TicketEvent.to_status, func.count())
        .group_by(TicketEvent.to_status)
        .order_by(TicketEvent.to_status)
    ).all()
    return [list(rows), list(waits), list(events)]


def test_prune_archives_then_deletes_only_old_log_rows(
    history: tuple[HubConfig, sessionmaker[Session]], tmp_path: Path
) -> None:
    _config, sessions = history
    now = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) + timedelta(days=5)
    keep = rules(request_log_days=15, bpjs_log_days=12, audit_log_days=10, notification_days=10)
    with sessions() as session:
        before, report_before = counts(session), report(session)
        old = {
            rule.table: set(
                session.scalars(select(rule.id).where(rule.column < now - timedelta(days=rule.keep_days)))
            )
            for rule in keep
        }
    assert all(old[t] for t in ("request_log", "bpjs_logs", "audit_logs")), (
        "the history must reach the cutoffs"
    )

    dry = prune(sessions, keep, tmp_path / "archive", now=now, dry_run=True)
    assert {p.table: p.rows for p in dry} == {t: len(ids) for t, ids in old.items() if ids}
    with sessions() as session:
        assert counts(session) == before  # a dry run deletes nothing
    assert not (tmp_path / "archive").exists()

    done = prune(sessions, keep, tmp_path / "archive", now=now)
    with sessions() as session:
        after = counts(session)
        assert report(session) == report_before  # every report figure is the same
        for rule in keep:
            remaining = session.scalar(select(func.min(rule.column)))
            if remaining is not None:
                assert remaining.replace(tzinfo=remaining.tzinfo or UTC) >= now - timedelta(
                    days=rule.keep_days
                )
    for model in PROTECTED:
        assert after[model.__tablename__] == before[model.__tablename__]
    for item in done:
        assert item.archive is not None and stat.S_IMODE(item.archive.stat().st_mode) == 0o600
        archived = {row["id"] for row in read_archive(item.archive)}
        assert archived == old[item.table]  # exactly what was deleted, nothing more
        assert after[item.table] == before[item.table] - len(archived) == before[item.table] - item.rows
    assert prune(sessions, keep, tmp_path / "archive", now=now) == []  # the next day's run: nothing new


def test_antrean_db_prune_with_the_default_retention(
    history: tuple[HubConfig, sessionmaker[Session]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config, sessions = history
    path = tmp_path / "hub.toml"
    path.write_text(f'data_dir = "{config.data_dir}"\n[retention]\nrequest_log_days = 7\n', encoding="utf-8")
    with sessions() as session:
        before = counts(session)
    assert db_main(["prune", "--config", str(path), "--dry-run"]) == 0
    assert "would prune" in capsys.readouterr().out
    assert db_main(["prune", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "pruned" in out
        and "request_log rows older than" in out
        and str(Path(config.data_dir) / "archive") in out
    )
    with sessions() as session:
        after = counts(session)
    assert after["request_log"] < before["request_log"]
    assert {k: v for k, v in after.items() if k != "request_log"} == {
        k: v for k, v in before.items() if k != "request_log"
    }  # a year of BPJS logs and five of audit: none of a 20-day history goes
