"""The period report (*Laporan Harian / Periode*): tickets per poly, category, payment and source; new and
returning patients; skipped and cancelled tickets; waiting and service times per poly and per hour; the
busiest hours; arrivals per hour and a heat map of hour × weekday."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hub.db.statuses import REGISTERED_OR_LATER, TicketStatus
from hub.reports import labels
from hub.reports.extra import staffing_section
from hub.reports.model import Cell, Chart, Column, Report, Section, Table
from hub.reports.period import Period
from hub.reports.queries import RegistrationRow, TicketRow, count_by, poly_names, registrations, tickets
from hub.reports.stats import Summary, summarize

BUSIEST_SHOWN = 3
STAT_COLUMNS = ["rata-rata", "median", "p90"]


def _stat_cells(summary: Summary) -> list[Cell]:
    return [summary.mean, summary.median, summary.p90]


def _counted(title: str, first: str, counts: Counter[str], note: str = "") -> Table:
    rows: list[list[Cell]] = [[key, n] for key, n in counts.most_common()]
    return Table(title, [Column(first), Column("Tiket", "int")], rows, note).total()


class Tally:
    """The period's tickets, grouped the ways the report counts them."""

    def __init__(self, rows: list[TicketRow], polys: dict[int, str], tz: ZoneInfo) -> None:
        self.rows = rows
        self.polys = polys
        self.hours = {row.id: row.queued_at.astimezone(tz).hour for row in rows}  # local hour of arrival

    def poly(self, row: TicketRow) -> str:
        return self.polys.get(row.poly_id, f"Poli {row.poly_id}")

    def hour(self, row: TicketRow) -> int:
        return self.hours[row.id]

    def group(self, key: Callable[[TicketRow], str]) -> dict[str, list[TicketRow]]:
        groups: dict[str, list[TicketRow]] = defaultdict(list)
        for row in self.rows:
            groups[key(row)].append(row)
        return groups

    def per_poly(self) -> dict[str, list[TicketRow]]:
        groups = self.group(self.poly)
        order = [name for name in self.polys.values() if name in groups]
        return {name: groups[name] for name in order + sorted(set(groups) - set(order))}


def served(rows: Iterable[TicketRow]) -> int:
    return sum(1 for r in rows if r.status in REGISTERED_OR_LATER)


def cancelled(rows: Iterable[TicketRow]) -> int:
    return sum(1 for r in rows if r.status == TicketStatus.CANCELLED)


def _ticket_tables(tally: Tally) -> list[Table]:
    poly_rows: list[list[Cell]] = []
    for name, rows in tally.per_poly().items():
        poly_rows.append(
            [
                name,
                len(rows),
                sum(1 for r in rows if r.category == "prioritas"),
                sum(1 for r in rows if r.payment == "bpjs"),
                served(rows),
                sum(1 for r in rows if r.skipped),
                cancelled(rows),
            ]
        )
    per_poly = Table(
        "Tiket per poli",
        [
            Column("Poli"),
            Column("Tiket", "int"),
            Column("Prioritas", "int"),
            Column("BPJS", "int"),
            Column("Terlayani", "int"),
            Column("Pernah dilewati", "int"),
            Column("Batal", "int"),
        ],
        poly_rows,
    ).total()
    category = Counter(labels.name(labels.CATEGORY, r.category) for r in tally.rows)
    reasons = Counter(
        labels.name(labels.REASON, r.priority_reason) for r in tally.rows if r.category == "prioritas"
    )
    return [
        per_poly,
        _counted("Tiket per kategori", "Kategori", category),
        _counted("Tiket prioritas per alasan", "Alasan prioritas", reasons),
        _counted(
            "Tiket per jenis bayar",
            "Jenis bayar",
            Counter(labels.name(labels.PAYMENT, r.payment) for r in tally.rows),
        ),
        _counted(
            "Tiket per sumber", "Sumber", Counter(labels.name(labels.SOURCE, r.source) for r in tally.rows)
        ),
    ]


def _registration_table(rows: list[RegistrationRow]) -> Table:
    body: list[list[Cell]] = [
        [
            labels.PATIENT_TYPE[kind],
            count_by(rows, patient_type=kind, payment="bpjs"),
            count_by(rows, patient_type=kind, payment="umum"),
            count_by(rows, patient_type=kind),
        ]
        for kind in ("baru", "lama")
    ]
    columns = [Column("Pasien"), Column("BPJS", "int"), Column("Umum", "int"), Column("Jumlah", "int")]
    note = "Pendaftaran di loket (yang dibatalkan tidak dihitung)."
    title = "Pendaftaran: pasien baru dan lama, BPJS dan umum"
    return Table(title, columns, body, note, sheet="Pendaftaran baru dan lama").total()


def _skip_cancel_table(tally: Tally) -> Table:
    rows: list[list[Cell]] = [
        ["Pernah dilewati (tidak datang saat dipanggil)", sum(1 for r in tally.rows if r.skipped)],
        [
            "  … lalu tetap terlayani",
            sum(1 for r in tally.rows if r.skipped and r.status in REGISTERED_OR_LATER),
        ],
    ]
    reasons = Counter(
        labels.CANCELLED.get(r.reason or "", "Dibatalkan petugas")
        for r in tally.rows
        if r.status == TicketStatus.CANCELLED
    )
    rows += [[f"Batal: {reason}", n] for reason, n in reasons.most_common()]
    rows.append(["Batal seluruhnya", cancelled(tally.rows)])
    return Table("Dilewati dan batal", [Column("Keterangan"), Column("Tiket", "int")], rows)


def _time_columns(first: str) -> list[Column]:
    return [
        Column(first),
        Column("Tiket", "int"),
        *(Column(f"Tunggu {name} (mnt)", "min") for name in STAT_COLUMNS),
        *(Column(f"Layanan {name} (mnt)", "min") for name in STAT_COLUMNS),
    ]


def _time_row(first: Cell, rows: list[TicketRow]) -> list[Cell]:
    waits = summarize(w for r in rows if (w := r.wait_min) is not None)
    services = summarize(s for r in rows if (s := r.service_min) is not None)
    return [first, len(rows), *_stat_cells(waits), *_stat_cells(services)]


TIME_NOTE = (
    "Tunggu: dari tiket diambil (atau booking dikonfirmasi) sampai pertama kali dipanggil. Layanan: dari "
    "dipanggil sampai terdaftar (atau sampai loket memanggil pasien berikutnya). p90: 9 dari 10 pasien "
    "menunggu selama ini atau kurang."
)


def _time_section(tally: Tally, period: Period) -> Section:
    polys = tally.per_poly()
    per_poly = Table(
        "Waktu tunggu dan layanan per poli",
        _time_columns("Poli"),
        [_time_row(name, rows) for name, rows in polys.items()] + [_time_row("Semua poli", tally.rows)],
        TIME_NOTE,
        has_total=True,
        sheet="Waktu per poli",
    )
    hours = tally.group(lambda r: f"{tally.hour(r):02d}")
    per_hour = Table(
        "Waktu tunggu dan layanan per jam kedatangan",
        _time_columns("Jam"),
        [_time_row(labels.hour_label(int(h)), hours[h]) for h in sorted(hours)],
        TIME_NOTE,
        sheet="Waktu per jam",
    )
    busiest = sorted(hours.items(), key=lambda item: (-len(item[1]), item[0]))[:BUSIEST_SHOWN]
    top = Table(
        "Jam tersibuk",
        [Column("Jam"), Column("Tiket", "int"), Column("Rata-rata tiket per hari", "min")],
        [[labels.hour_label(int(h)), len(rows), len(rows) / period.days] for h, rows in busiest],
    )
    tables = [per_poly, *_daily_waits(tally, period, polys), per_hour, top]
    return Section("Waktu tunggu dan jam sibuk", tables, _charts(tally, period, polys))


def _mean_wait(rows: Iterable[TicketRow]) -> float | None:
    return summarize(w for r in rows if (w := r.wait_min) is not None).mean


def _daily_waits(tally: Tally, period: Period, polys: dict[str, list[TicketRow]]) -> list[Table]:
    """The mean wait per poly on each day of a period longer than a day (the spec's "per poli, per hari")."""
    if period.single:
        return []
    by_day: dict[tuple[str, object], list[TicketRow]] = defaultdict(list)
    for name, rows in polys.items():
        for row in rows:
            by_day[(name, row.day)].append(row)
    days = tally.group(lambda r: r.day.isoformat())
    body: list[list[Cell]] = [
        [day, *(_mean_wait(by_day.get((name, day), [])) for name in polys), _mean_wait(days[day.isoformat()])]
        for day in period.each_day()
        if day.isoformat() in days
    ]
    columns = [
        Column("Tanggal", "date"),
        *(Column(name, "min") for name in polys),
        Column("Semua poli", "min"),
    ]
    title = "Rata-rata waktu tunggu per hari (menit)"
    return [Table(title, columns, body, "Hari tanpa tiket tidak ditampilkan.", sheet="Tunggu per hari")]


def _charts(tally: Tally, period: Period, polys: dict[str, list[TicketRow]]) -> list[Chart]:
    if not tally.rows:
        return []
    by_hour = Counter(tally.hour(r) for r in tally.rows)
    first, last = min(by_hour), max(by_hour)
    hours = list(range(first, last + 1))
    arrivals = Chart(
        "kedatangan-per-jam",
        "Kedatangan per jam (rata-rata tiket per hari)",
        "bars",
        [f"{h:02d}" for h in hours],
        {"Tiket per hari": [by_hour[h] / period.days for h in hours]},
        unit="tiket",
    )
    wait_stats = {
        name: summarize(w for r in rows if (w := r.wait_min) is not None) for name, rows in polys.items()
    }
    waits = Chart(
        "tunggu-per-poli",
        "Waktu tunggu per poli (menit)",
        "bars",
        list(wait_stats),
        {"Rata-rata": [s.mean for s in wait_stats.values()], "p90": [s.p90 for s in wait_stats.values()]},
        unit="menit",
    )
    weekdays = Counter(day.weekday() for day in period.each_day())
    grid = [[0.0 for _ in hours] for _ in range(7)]
    for row in tally.rows:
        grid[row.day.weekday()][tally.hour(row) - first] += 1
    shown = [d for d in range(7) if weekdays[d]]
    heat = Chart(
        "peta-jam-hari",
        "Kepadatan: rata-rata tiket per jam dan hari",
        "heatmap",
        [f"{h:02d}" for h in hours],
        rows=[labels.WEEKDAYS[d] for d in shown],
        grid=[[v / weekdays[d] for v in grid[d]] for d in shown],
        unit="tiket",
    )
    return [arrivals, waits, heat]


def summary_report(
    session: Session, period: Period, *, site_name: str, tz: ZoneInfo, now: datetime
) -> Report:
    tally = Tally(tickets(session, period), poly_names(session), tz)
    regs = registrations(session, period)
    overview: list[list[Cell]] = [
        ["Tiket diambil", len(tally.rows)],
        ["Terlayani di loket", served(tally.rows)],
        ["Prioritas", sum(1 for r in tally.rows if r.category == "prioritas")],
        ["Bayar BPJS", sum(1 for r in tally.rows if r.payment == "bpjs")],
        ["Bayar umum", sum(1 for r in tally.rows if r.payment != "bpjs")],
        ["Pendaftaran pasien baru", count_by(regs, patient_type="baru")],
        ["Pendaftaran pasien lama", count_by(regs, patient_type="lama")],
        ["Pernah dilewati", sum(1 for r in tally.rows if r.skipped)],
        ["Batal", cancelled(tally.rows)],
    ]
    sections = [
        Section(
            "Ringkasan", [Table("Angka utama", [Column("Keterangan"), Column("Jumlah", "int")], overview)]
        ),
        Section("Tiket antrean", _ticket_tables(tally)),
        Section("Pendaftaran", [_registration_table(regs), _skip_cancel_table(tally)]),
        _time_section(tally, period),
    ]
    extra = staffing_section(session, period)
    if extra is not None:
        sections.append(extra)
    title = "Laporan Harian" if period.single else "Laporan Periode"
    return Report("ringkasan", title, period, site_name, now.astimezone(tz), sections)
