"""The queueing analytics as a section of the period report (*Laporan*): the staffing advice and the
per-hour measures beside the M/M/c model, with the plain-language notes. The page and the XLSX, PDF and CSV
exports show it like every other section (:mod:`hub.reports.model`).

Usage (needs a database; not run as a doctest)::

    section = staffing_section(session, Period.parse("2026-03-02", "2026-03-27"), ZoneInfo("Asia/Jakarta"))
    [t.title for t in section.tables]
    # → ['Saran jumlah loket per jam', 'Analisis antrean per jam (model M/M/c)']
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from antrean.config import parse_hhmm
from hub.analytics.measure import measure_hours
from hub.analytics.staffing import StaffingAdvice, advice_between
from hub.dispatch.rules import load_settings
from hub.reports.model import Cell, Column, Section, Table
from hub.reports.period import Period


def _hour(hour: int) -> str:
    return f"{hour:02d}.00–{hour + 1:02d}.00"  # as the other hour tables of the report


def advice_table(advice: StaffingAdvice) -> Table:
    rows: list[list[Cell]] = [
        [_hour(h.hour), h.arrival_rate, h.lokets, h.predicted_wait_min, h.lokets_used, h.measured_wait_min]
        for h in advice.hours
    ]
    return Table(
        "Saran jumlah loket per jam",
        [
            Column("Jam"),
            Column("Pasien per jam", "min"),
            Column("Saran loket", "int"),
            Column("Perkiraan tunggu (menit)", "min"),
            Column("Loket dipakai", "min"),
            Column("Tunggu terukur (menit)", "min"),
        ],
        rows,
        note=(
            f"Jumlah loket paling sedikit agar perkiraan rata-rata tunggu tidak melebihi "
            f"{advice.target_wait_min:g} menit; lama layanan rata-rata {advice.service_min:.1f} menit"
            + ("" if advice.service_measured else " (dari konfigurasi, belum terukur)")
            + f", dari {advice.days} hari."
        ),
        sheet="Saran loket",
    )


def staffing_section(session: Session, period: Period, tz: ZoneInfo) -> Section | None:
    """*Saran jumlah loket* for the days of ``period``; None when the period has no tickets."""
    advice = advice_between(session, period.start, period.end, tz=tz)
    if not advice.hours:
        return None
    settings = load_settings(session)
    opening = (parse_hhmm(settings.operating_start), parse_hhmm(settings.operating_end))
    hours = measure_hours(session, period.start, period.end, tz=tz, opening=opening)
    rows: list[list[Cell]] = []
    notes: list[str] = []
    for h in hours:
        m = h.model
        rows.append(
            [
                _hour(h.hour),
                h.arrival_rate,
                h.service_rate,
                h.lokets_busy,
                None if m is None else m.rho,
                h.mean_wait_min,
                None if m is None or m.wq is None else m.wq * 60,
                h.mean_in_system_min,
                None if m is None or m.w is None else m.w * 60,
            ]
        )
        notes += [f"{_hour(h.hour)}: {note}" for note in h.notes]
    measures = Table(
        "Analisis antrean per jam (model M/M/c)",
        [
            Column("Jam"),
            Column("λ pasien/jam", "min"),
            Column("μ per loket/jam", "min"),
            Column("Loket dipakai", "min"),
            Column("ρ kesibukan", "min"),
            Column("Tunggu terukur (menit)", "min"),
            Column("Tunggu model (menit)", "min"),
            Column("Di sistem terukur (menit)", "min"),
            Column("Di sistem model (menit)", "min"),
        ],
        rows,
        note="Model kosong (–): ρ ≥ 1, antrean terus memanjang pada jam itu. Penjelasan: docs/analytics.md.",
        sheet="Analisis antrean",
    )
    return Section("Saran jumlah loket", [advice_table(advice), measures], notes=notes)
