"""What a report says, in one shape that the page and the exports (XLSX, PDF, CSV) all read: sections of
tables and charts. A cell holds a plain value (``int``, ``float`` minutes, ``date``, ``str`` or ``None``
for "no data"); the column's kind says how to show it.

>>> table = Table("Per poli", [Column("Poli"), Column("Tiket", "int")], [["Poli Umum", 3]])
>>> table.total("Jumlah").rows[-1]
['Jumlah', 3]
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal

from hub.reports.period import Period

Kind = Literal["text", "int", "min", "pct", "date"]
Cell = str | int | float | date | None


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    note: str = ""
    has_total: bool = False  # the last row sums the others
    sheet: str = ""  # a short name for the workbook's sheet (at most 31 characters), else the title

    def total(self, label: str = "Jumlah") -> Table:
        """This table with a last row summing its ``int`` columns."""
        sums: list[Cell] = [label]
        for index, column in enumerate(self.columns[1:], start=1):
            values = [row[index] for row in self.rows]
            sums.append(sum(v for v in values if isinstance(v, int)) if column.kind == "int" else None)
        return replace(self, rows=[*self.rows, sums], has_total=True)


@dataclass(frozen=True)
class Chart:
    """A chart drawn server-side (:mod:`hub.reports.charts`): bars, or a heat map of ``grid``."""

    key: str
    title: str
    kind: Literal["bars", "heatmap"]
    labels: list[str]  # the x axis (bars) or the columns (heat map)
    series: dict[str, list[float | None]] = field(default_factory=dict)  # bars: name → one per label
    rows: list[str] = field(default_factory=list)  # heat map: the row names
    grid: list[list[float]] = field(default_factory=list)  # heat map: one list per row
    unit: str = ""

    @property
    def empty(self) -> bool:
        values = [v for s in self.series.values() for v in s if v] + [v for r in self.grid for v in r if v]
        return not values


@dataclass(frozen=True)
class Section:
    title: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    kind: str  # ringkasan, bpjs, bulanan: the download name's first part
    title: str
    period: Period
    site_name: str
    generated_at: datetime  # local time
    sections: list[Section] = field(default_factory=list)

    @property
    def filename_stem(self) -> str:
        """``laporan-harian-2026-12-02``, ``laporan-bpjs-harian-2026-12-02``, ``laporan-bulanan-2026-12``."""
        prefix = "laporan" if self.kind in ("ringkasan", "bulanan") else f"laporan-{self.kind}"
        return f"{prefix}-{self.period.name}"

    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    def charts(self) -> list[Chart]:
        return [chart for section in self.sections for chart in section.charts]
