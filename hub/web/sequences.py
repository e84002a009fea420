"""Numbers taken from a locked counter row (``rm_sequences``): medical record and registration numbers.

Like the ticket numbers, ``UPDATE ... SET last_seq = last_seq + 1 RETURNING`` holds the row lock until
the transaction ends, so two hub processes never hand out the same number."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db.models import QueueConfig, RmSequence

RM_PATTERN_KEY = "rm_pattern"
DEFAULT_RM_PATTERN = "RM-{YYYY}-{SEQ:5}"
_TOKEN = re.compile(r"\{(YYYY|YY|MM|SEQ:[3-9])\}")
_ALLOWED = re.compile(r"^[A-Z0-9\-./ ]*$")


def next_in(session: Session, scope: str) -> int:
    stmt = (
        update(RmSequence)
        .where(RmSequence.scope == scope)
        .values(last_seq=RmSequence.last_seq + 1)
        .returning(RmSequence.last_seq)
    )
    seq = session.execute(stmt).scalar_one_or_none()
    if seq is not None:
        return int(seq)
    try:
        with session.begin_nested():
            session.execute(insert(RmSequence).values(scope=scope, last_seq=0))
    except IntegrityError:
        pass  # created concurrently; the update below waits for its lock
    return int(session.execute(stmt).scalar_one())


def rm_pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot number medical records (Indonesian), or None."""
    tokens = _TOKEN.findall(pattern)
    if sum(1 for t in tokens if t.startswith("SEQ")) != 1:
        return "Pola harus memuat tepat satu {SEQ:n} (n = 3–9 digit)."
    literal = _TOKEN.sub("", pattern)
    if "{" in literal or "}" in literal or not _ALLOWED.match(literal):
        return "Pola hanya boleh memuat huruf besar, angka, - . / dan {YYYY} {YY} {MM} {SEQ:n}."
    if len(render_rm(pattern, date(2099, 12, 31), 10**9 - 1)) > 20:
        return "Nomor RM yang dihasilkan lebih dari 20 karakter."
    return None


def render_rm(pattern: str, day: date, seq: int | None) -> str:
    """The RM number for ``seq`` under ``pattern`` (``#`` for the sequence when ``seq`` is None).

    >>> render_rm("RM-{YYYY}-{SEQ:5}", date(2026, 2, 26), 42)
    'RM-2026-00042'
    """

    def token(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "YYYY":
            return f"{day.year:04d}"
        if name == "YY":
            return f"{day.year % 100:02d}"
        if name == "MM":
            return f"{day.month:02d}"
        width = int(name.split(":")[1])
        return "#" * width if seq is None else f"{seq:0{width}d}"

    return _TOKEN.sub(token, pattern)


def rm_pattern(session: Session) -> str:
    stored = session.scalar(select(QueueConfig.config_value).where(QueueConfig.config_key == RM_PATTERN_KEY))
    return stored if stored and rm_pattern_problem(stored) is None else DEFAULT_RM_PATTERN


def next_medical_record(session: Session, day: date) -> str:
    """The next RM number under the configured pattern; the sequence restarts when the pattern's date
    part changes (e.g. each year for ``{YYYY}``)."""
    pattern = rm_pattern(session)
    scope = ("rm:" + render_rm(pattern, day, None))[:20]
    return render_rm(pattern, day, next_in(session, scope))


def next_registration_number(session: Session, day: date) -> str:
    seq = next_in(session, f"reg:{day:%Y%m%d}")
    return f"REG-{day:%Y%m%d}-{seq:04d}"
