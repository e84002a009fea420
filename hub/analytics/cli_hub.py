"""``antrean analyze hours|staffing --config FILE``: the measures and the staffing advice from a hub's own
database (read only; the same functions the dashboard uses)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the database layers load only when these subcommands run (``analyze mm`` stays quick)
    from sqlalchemy.orm import Session

T = TypeVar("T")


def add_parsers(sub: Any) -> None:
    """The subcommands, on ``antrean analyze``'s subparsers."""
    for name, text in (
        ("hours", "per hour: λ, μ, lokets busy, measured waits beside M/M/c, KS fit (hub database)"),
        ("staffing", "fewest lokets per hour of a typical weekday for a target wait (hub database)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--config", help="the hub's TOML config (database and time zone)")
        p.add_argument("--database-url", help="override [database] url")
        p.add_argument("--data-dir", help="override data_dir")
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(mqtt_url=None, site=None)
        if name == "hours":
            p.add_argument("--from", dest="start", type=_date, required=True, help="first day, YYYY-MM-DD")
            p.add_argument("--to", dest="end", type=_date, required=True, help="last day, YYYY-MM-DD")
            p.add_argument("--poly", help="only this poly's tickets (its code, e.g. A)")
        else:
            p.add_argument("--today", type=_date, help="advise as of this day (default: today)")
            p.add_argument("--weeks", type=int, default=4, help="weeks of history (default 4)")
            p.add_argument("--target-wait-min", type=float, help="default: the queue configuration's")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _num(value: float | None, fmt: str = ".1f") -> str:
    return "-" if value is None else format(value, fmt)


def hours_report(session: Session, args: argparse.Namespace, tz: Any) -> tuple[dict[str, Any], list[str]]:
    from antrean.config import parse_hhmm
    from hub.analytics.measure import load_times, measure_hours, measure_lokets
    from hub.dispatch.rules import load_settings

    settings = load_settings(session)
    opening = (parse_hhmm(settings.operating_start), parse_hhmm(settings.operating_end))
    hours = measure_hours(session, args.start, args.end, tz=tz, poly=args.poly, opening=opening)
    lokets = measure_lokets(
        [t for t in load_times(session, args.start, args.end, tz) if args.poly in (None, t.poly)]
    )
    report: dict[str, Any] = {
        "from": args.start.isoformat(),
        "to": args.end.isoformat(),
        "poly": args.poly,
        "hours": [h.as_dict() for h in hours],
        "lokets": [
            {"counter": x.counter, "services": x.services, "mean_service_min": x.mean_service_min}
            for x in lokets
        ],
    }
    lines = [f"{args.start} .. {args.end}" + (f", poly {args.poly}" if args.poly else "")]
    lines.append("hour   lambda/h  mu/h  lokets  Wq meas  Wq model  W meas  W model  KS p arr/serv")
    for row in report["hours"]:
        model = row["model"] or {}
        ks = row["ks"]
        p_arr = ks["interarrival"]["p_value"] if ks["interarrival"] else None
        p_srv = ks["service"]["p_value"] if ks["service"] else None
        lines.append(
            f"{row['hour']:02d}:00 {row['arrival_rate_per_hour']:9.1f} "
            f"{_num(row['service_rate_per_hour']):>5} "
            f"{row['lokets_busy']:7.1f} {_num(row['measured_wait_min']):>8} {_num(model.get('wq_min')):>9} "
            f"{_num(row['measured_time_in_system_min']):>7} {_num(model.get('w_min')):>8}  "
            f"{_num(p_arr, '.3f')}/{_num(p_srv, '.3f')}"
        )
        lines += [f"       note: {note}" for note in row["notes"]]
    lines += [
        f"loket {x['counter']}: {x['services']} services, mean {_num(x['mean_service_min'])} min"
        for x in report["lokets"]
    ]
    return report, lines


def staffing_report(session: Session, args: argparse.Namespace, tz: Any) -> tuple[dict[str, Any], list[str]]:
    from hub.analytics.staffing import staffing_advice

    today = args.today or datetime.now(tz).date()
    advice = staffing_advice(
        session, today=today, tz=tz, weeks=args.weeks, target_wait_min=args.target_wait_min
    )
    report: dict[str, Any] = {
        "target_wait_min": advice.target_wait_min,
        "from": advice.start.isoformat(),
        "to": advice.end.isoformat(),
        "days": advice.days,
        "service_min": advice.service_min,
        "service_measured": advice.service_measured,
        "hours": [
            {
                "hour": h.hour,
                "arrival_rate_per_hour": h.arrival_rate,
                "lokets": h.lokets,
                "predicted_wait_min": h.predicted_wait_min,
                "lokets_used": h.lokets_used,
                "measured_wait_min": h.measured_wait_min,
            }
            for h in advice.hours
        ],
    }
    source = "measured" if advice.service_measured else "configured (nothing measured)"
    lines = [
        f"{advice.days} weekdays {advice.start} .. {advice.end}, "
        f"target mean wait {advice.target_wait_min:g} min, service {advice.service_min:.1f} min ({source})",
        "hour   lambda/h  advised lokets  predicted Wq  lokets used  measured Wq",
    ]
    lines += [
        f"{h['hour']:02d}:00 {h['arrival_rate_per_hour']:9.1f} {h['lokets']:15d} "
        f"{_num(h['predicted_wait_min']):>13} {h['lokets_used']:12.1f} {_num(h['measured_wait_min']):>12}"
        for h in report["hours"]
    ]
    return report, lines


def with_hub_database(args: argparse.Namespace, work: Callable[[Session, ZoneInfo], T]) -> T:
    """``work(session, tz)`` on the database of the hub config ``args.config`` (read only). Raises
    ValueError (one line for the technician) for a bad config or an unreadable database."""
    from sqlalchemy.exc import SQLAlchemyError

    from antrean.config import ConfigError
    from hub.cli import load_hub_config
    from hub.db.base import make_engine, make_session_factory

    try:
        config = load_hub_config(args)
    except ConfigError as error:
        raise ValueError(str(error)) from None
    engine = make_engine(config.database_url)
    try:
        with make_session_factory(engine)() as session:
            return work(session, config.tz)
    except SQLAlchemyError as error:
        raise ValueError(f"cannot read the database: {str(error).splitlines()[0]}") from None
    finally:
        engine.dispose()


def measured_service_min(config_path: str) -> float:
    """The mean loket service time of the hub's last four weeks (its configured average if none)."""
    from hub.analytics.staffing import staffing_advice

    args = argparse.Namespace(config=config_path, mqtt_url=None, site=None, database_url=None, data_dir=None)

    def work(session: Session, tz: ZoneInfo) -> float:
        return staffing_advice(session, today=datetime.now(tz).date(), tz=tz).service_min

    return with_hub_database(args, work)


def run(args: argparse.Namespace) -> int:
    make = hours_report if args.what == "hours" else staffing_report
    report, lines = with_hub_database(args, lambda session, tz: make(session, args, tz))
    sys.stdout.write(json.dumps(report) + "\n" if args.json else "\n".join(lines) + "\n")
    return 0
