"""``antrean user add``: creates accounts that can log in, refuses weak passwords and duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from antrean.cli import main as antrean
from hub.db.models import AuditLog, User
from hub.web.passwords import verify_password


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[database]\nurl = "{database_url}"\n', encoding="utf-8"
    )
    return path


def users(database_url: str) -> list[User]:
    engine = create_engine(database_url)
    with Session(engine) as session:
        rows = list(session.scalars(select(User)))
        assert session.scalar(select(AuditLog.action).where(AuditLog.action == "user_create")) == (
            "user_create" if rows else None
        )
    engine.dispose()
    return rows


def test_add_admin(config: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = antrean(
        [
            "user",
            "add",
            "--config",
            str(config),
            "--username",
            "Kepala",
            "--role",
            "admin",
            "--password",
            "Kepala#2026",
            "--name",
            "Kepala Puskesmas",
        ]
    )
    assert code == 0 and "kepala (admin) saved" in capsys.readouterr().out
    [user] = users(database_url)
    assert (user.username, user.role, user.name) == ("kepala", "admin", "Kepala Puskesmas")
    assert verify_password(user.password_hash, "Kepala#2026")


def test_weak_password_and_duplicates_are_refused(
    config: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["user", "add", "--config", str(config), "--username", "siti", "--role", "receptionist"]
    assert antrean([*base, "--password", "siti1234"]) == 2
    assert "weak password" in capsys.readouterr().err
    assert antrean([*base, "--password", "Siti#2026", "--counter", "1"]) == 0
    assert antrean([*base, "--password", "Siti#2027"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert antrean([*base, "--password", "Siti#2027", "--update"]) == 0
    [user] = users(database_url)
    assert verify_password(user.password_hash, "Siti#2027") and user.counter_number == 1
    assert user.session_epoch == 1  # the new password ends every session of the account


def test_bad_role_is_refused(config: Path) -> None:
    with pytest.raises(SystemExit):
        antrean(
            [
                "user",
                "add",
                "--config",
                str(config),
                "--username",
                "x",
                "--role",
                "dokter",
                "--password",
                "A#123456",
            ]
        )
