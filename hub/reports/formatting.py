"""A cell as people read it in Indonesia: ``1.234`` tickets, ``12,5`` minutes, ``02-12-2026``.

>>> [show(v, k) for v, k in ((1234, "int"), (12.46, "min"), (None, "min"), (date(2026, 12, 2), "date"))]
['1.234', '12,5', '–', '02-12-2026']
"""

from __future__ import annotations

from datetime import date

from hub.reports.model import Cell, Kind


def show(value: Cell, kind: Kind) -> str:
    if value is None:
        return "–"
    if isinstance(value, date):
        return f"{value:%d-%m-%Y}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if kind == "int" and isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
