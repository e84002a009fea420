"""EXTRA SECTION HOOK — the staffing advice of the queueing analytics (``hub/analytics``) joins the period
report here: a :class:`~hub.reports.model.Section` (its tables and charts then appear on the page and in the
XLSX, PDF and CSV exports like every other section), or ``None`` for no section."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hub.reports.model import Section
from hub.reports.period import Period


def staffing_section(session: Session, period: Period, tz: ZoneInfo) -> Section | None:
    """The staffing advice for ``period`` (*Saran jumlah loket*); None when the period has no tickets."""
    from hub.analytics.report import staffing_section as build  # hub.analytics imports hub.reports.model

    return build(session, period, tz)
