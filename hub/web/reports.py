"""*Laporan*: the period report, the BPJS report and the monthly recap, with their charts, and their
downloads as XLSX, PDF and CSV. Every logged-in user may look (the spec's role table: admin full,
petugas loket view); reports change nothing, so the blueprint has no form that writes."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy.orm import Session

from hub.reports.bpjs import bpjs_report
from hub.reports.charts import render
from hub.reports.formatting import show
from hub.reports.model import Chart, Report
from hub.reports.monthly import monthly_report
from hub.reports.period import Period, PeriodError
from hub.reports.summary import summary_report
from hub.web.auth import login_required
from hub.web.db import db, services, today

bp = Blueprint("reports", __name__, url_prefix="/laporan")

KINDS: dict[str, Callable[..., Report]] = {  # the download's ``jenis`` → the report
    "ringkasan": summary_report,
    "bpjs": bpjs_report,
    "bulanan": monthly_report,
}


def _period(kind: str, day: date) -> Period:
    """The period the request asks for; today's service day (this month for the recap) by default."""
    if kind == "bulanan":
        return Period.month(request.args.get("bulan", "") or f"{day:%Y-%m}")
    start = request.args.get("dari", "") or day.isoformat()
    return Period.parse(start, request.args.get("sampai", ""))


def _build(kind: str, session: Session, period: Period) -> Report:
    web = services()
    return KINDS[kind](session, period, site_name=web.site_name, tz=web.tz, now=web.clock())


def chart_uri(chart: Chart) -> str:
    """The chart as an SVG ``data:`` URI: drawn here, shown without any request to the internet."""
    return "data:image/svg+xml;base64," + base64.b64encode(render(chart, "svg")).decode("ascii")


def _page(kind: str) -> tuple[str, int]:
    day = today()
    error, report = "", None
    try:
        period = _period(kind, day)
        report = _build(kind, db(), period)
    except PeriodError as problem:
        error = str(problem)
    form = {
        "dari": request.args.get("dari", "") or day.isoformat(),
        "sampai": request.args.get("sampai", ""),
        "bulan": request.args.get("bulan", "") or f"{day:%Y-%m}",
    }
    query = {k: v for k, v in request.args.items() if k in ("dari", "sampai", "bulan") and v}
    html = render_template(
        "reports.html",
        kind=kind,
        report=report,
        error=error,
        form=form,
        query=query,
        show=show,
        chart_uri=chart_uri,
    )
    return html, 400 if error else 200


@bp.route("/")
@login_required
def period() -> tuple[str, int]:
    return _page("ringkasan")


@bp.route("/bpjs")
@login_required
def bpjs() -> tuple[str, int]:
    return _page("bpjs")


@bp.route("/bulanan")
@login_required
def monthly() -> tuple[str, int]:
    return _page("bulanan")


FORMATS = ("xlsx", "pdf", "csv")


@bp.route("/unduh")
@login_required
def download() -> Any:
    """``?jenis=ringkasan|bpjs|bulanan&format=xlsx|pdf|csv`` and the report's own period arguments."""
    kind, fmt = request.args.get("jenis", ""), request.args.get("format", "")
    if kind not in KINDS or fmt not in FORMATS:
        abort(404)
    try:
        period = _period(kind, today())
    except PeriodError as problem:
        return render_template("error.html", code=400, message=str(problem)), 400
    from hub.reports import exports  # openpyxl and fpdf2 load on the first download, not at the hub's start

    report = _build(kind, db(), period)
    name = f"{report.filename_stem}.{fmt}"
    return Response(
        exports.export(report, fmt),
        mimetype=exports.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
