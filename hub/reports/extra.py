"""EXTRA SECTION HOOK — the staffing advice of the queueing analytics (``hub/analytics``) joins the period
report here at merge: return a :class:`~hub.reports.model.Section` (its tables and charts then appear on
the page and in the XLSX, PDF and CSV exports like every other section), or ``None`` for no section."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.reports.model import Section
from hub.reports.period import Period


def staffing_section(session: Session, period: Period) -> Section | None:
    """The staffing advice for ``period`` (*Saran jumlah loket*); none until the analytics provide it."""
    del session, period
    return None
