"""SQLite under the hub: WAL checkpoints in a background thread, and reads that never take the write lock."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from hub.db.base import make_engine, make_session_factory, reading
from hub.db.checkpoint import WalCheckpointer


def _engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)"))
    return engine


def _write(engine: Engine, pages: int) -> None:
    """About ``pages`` pages of the WAL, one small transaction each (as the dispatcher writes)."""
    for _ in range(pages):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO blobs (body) VALUES (randomblob(3000))"))


def _wal_pages(tmp_path: Path) -> int:
    return (tmp_path / "wal.db-wal").stat().st_size // 4096


def test_connections_leave_checkpoints_to_the_thread(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    checkpointer = WalCheckpointer(engine, interval_s=3600)
    checkpointer.start()
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        _write(engine, 1500)
        assert _wal_pages(tmp_path) > 1500  # nothing checkpointed inside a commit
        busy, frames, done = checkpointer.checkpoint()
        assert busy == 0 and frames == done > 1500
    finally:
        checkpointer.stop()
        engine.dispose()


@pytest.mark.slow  # a checkpoint thread racing 30 writes
def test_the_thread_keeps_the_wal_bounded(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    checkpointer = WalCheckpointer(engine, interval_s=0.02)
    checkpointer.start()
    try:
        for _ in range(30):
            _write(engine, 100)
            time.sleep(0.03)  # the thread's turn
        assert _wal_pages(tmp_path) < 1500  # reused from the start after each checkpoint, not grown to 3000+
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM blobs")).scalar() == 3000
    finally:
        checkpointer.stop()
        engine.dispose()


def test_only_for_sqlite() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(ValueError, match="SQLite"):
        WalCheckpointer(engine)


def test_a_reading_transaction_neither_waits_for_nor_holds_the_write_lock(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    sessions = make_session_factory(engine)
    try:
        with engine.begin() as writer:  # a write in progress holds the lock (BEGIN IMMEDIATE)
            writer.execute(text("INSERT INTO blobs (body) VALUES (x'00')"))
            with reading(sessions) as session:  # would wait the 30 s busy timeout with BEGIN IMMEDIATE
                assert session.execute(text("SELECT count(*) FROM blobs")).scalar() == 0  # the last commit
        with reading(sessions) as session:
            assert session.execute(text("SELECT count(*) FROM blobs")).scalar() == 1
            with engine.begin() as writer:  # and a writer can start while it reads
                writer.execute(text("INSERT INTO blobs (body) VALUES (x'01')"))
    finally:
        engine.dispose()
