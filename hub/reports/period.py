"""The period a report covers: service days ``start`` .. ``end`` (both included), parsed from the web's
date pickers, with the Indonesian label and the download name.

A service day starts at the reset time (06:00 by default, :func:`hub.dispatch.policy.service_date`):
tickets and registrations carry their service day, so a report filters on that column, never on the
calendar date of a timestamp.

>>> Period.parse("2026-12-02", "").name
'harian-2026-12-02'
>>> Period.parse("2026-12-01", "2026-12-07").days
7
>>> Period.month("2026-02").end
datetime.date(2026, 2, 28)
>>> Period.parse("2026-12-07", "2026-12-01")
Traceback (most recent call last):
...
hub.reports.period.PeriodError: Tanggal awal harus sebelum atau sama dengan tanggal akhir.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 366  # one year of service days at most: a report stays bounded
MONTHS = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip


class PeriodError(ValueError):
    """A period the form cannot make into a report; the message is Indonesian, for staff."""


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{what} tidak valid: gunakan format TTTT-BB-HH.") from None


def indonesian_date(day: date) -> str:
    """The date as Indonesians write it.

    >>> indonesian_date(date(2026, 12, 2))
    '2 Desember 2026'
    """
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    monthly: bool = False

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError("Tanggal awal harus sebelum atau sama dengan tanggal akhir.")
        if self.days > MAX_DAYS:
            raise PeriodError(f"Rentang laporan paling panjang {MAX_DAYS} hari.")

    @classmethod
    def parse(cls, start: str, end: str) -> Period:
        """From the pickers ``dari`` and ``sampai`` (``sampai`` empty: one day)."""
        first = _day(start, "Tanggal awal")
        return cls(first, _day(end, "Tanggal akhir") if end.strip() else first)

    @classmethod
    def month(cls, text: str) -> Period:
        """A calendar month from ``YYYY-MM`` (the month picker)."""
        try:
            year, month = (int(part) for part in text.strip().split("-"))
            first = date(year, month, 1)
        except ValueError:
            raise PeriodError("Bulan tidak valid: gunakan format TTTT-BB.") from None
        return cls(first, first.replace(day=calendar.monthrange(year, month)[1]), monthly=True)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def single(self) -> bool:
        return self.start == self.end

    def each_day(self) -> Iterator[date]:
        for offset in range(self.days):
            yield self.start + timedelta(days=offset)

    @property
    def label(self) -> str:
        if self.monthly:
            return f"{MONTHS[self.start.month - 1]} {self.start.year}"
        if self.single:
            return indonesian_date(self.start)
        return f"{indonesian_date(self.start)} s.d. {indonesian_date(self.end)}"

    @property
    def name(self) -> str:
        """The download name's period part: ``harian-2026-12-02``, ``periode-2026-12-01_2026-12-07``,
        ``bulanan-2026-12``."""
        if self.monthly:
            return f"bulanan-{self.start:%Y-%m}"
        if self.single:
            return f"harian-{self.start.isoformat()}"
        return f"periode-{self.start.isoformat()}_{self.end.isoformat()}"

    def utc_bounds(self, tz: ZoneInfo, reset: time) -> tuple[datetime, datetime]:
        """The instants the period's service days begin and end (for tables keyed by a timestamp)."""
        begin = datetime.combine(self.start, reset, tzinfo=tz)
        finish = datetime.combine(self.end + timedelta(days=1), reset, tzinfo=tz)
        return begin.astimezone(UTC), finish.astimezone(UTC)
