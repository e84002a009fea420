"""``antrean analyze``: queueing analysis of given rates, recorded visits or a hub's database (technician CLI,
English).

    antrean analyze mm --arrival-rate 2 --service-rate 3 [--servers 2] [--target-wait-min 15] [--json]
    antrean analyze visits FILE.csv [--servers N] [--json]
    antrean analyze hours --config hub.toml --from 2026-03-02 --to 2026-03-27 [--poly A] [--json]
    antrean analyze staffing --config hub.toml [--weeks 4] [--target-wait-min 15] [--json]

``mm`` exits 1 when the queue is unstable (ρ ≥ 1); bad input exits 2 with a one-line message.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from antrean.helptext import plain
from hub.analytics.cli_hub import add_parsers, run
from hub.analytics.queueing import mmc, servers_needed
from hub.analytics.visits import VisitsError, analyze_visits, parse_visits


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="antrean analyze", description=plain(__doc__, first_paragraph=True))
    sub = parser.add_subparsers(dest="what", required=True, parser_class=_Parser)
    mm = sub.add_parser("mm", help="M/M/1 or M/M/c measures for given rates (per hour)")
    mm.add_argument("--arrival-rate", type=float, required=True, help="λ, arrivals per hour")
    mm.add_argument("--service-rate", type=float, required=True, help="μ, services per hour per server")
    mm.add_argument("--servers", type=int, default=1, help="c, number of servers (lokets); default 1")
    mm.add_argument("--target-wait-min", type=float, help="also print the fewest servers with Wq <= this")
    mm.add_argument("--json", action="store_true", help="machine-readable output")
    visits = sub.add_parser("visits", help="measure a CSV of recorded visits and compare with M/M/c")
    visits.add_argument("file", type=Path, help="CSV with columns arrival,service_start,service_end")
    visits.add_argument(
        "--servers", type=int, help="servers the site had (default: the most overlapping services)"
    )
    visits.add_argument("--json", action="store_true", help="machine-readable output")
    add_parsers(sub)
    return parser


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def run_mm(args: argparse.Namespace) -> int:
    m = mmc(args.arrival_rate, args.service_rate, args.servers)
    needed = None
    if args.target_wait_min is not None:
        needed = servers_needed(args.arrival_rate, args.service_rate, args.target_wait_min / 60)
    if args.json:
        out: dict[str, Any] = {
            "stable": m.stable,
            "servers": m.servers,
            "rho": m.rho,
            "p0": m.p0,
            "lq": m.lq,
            "l": m.l,
            "wq_hours": m.wq,
            "w_hours": m.w,
            "p_wait": m.p_wait,
        }
        if needed is not None:
            out["servers_needed"] = needed
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        kind = "M/M/1" if m.servers == 1 else f"M/M/{m.servers}"
        lines = [f"{kind}: arrival rate {m.arrival_rate:g}/h, service rate {m.service_rate:g}/h per server"]
        lines.append(f"  rho (utilisation)        {m.rho:.4f}")
        if not m.stable:
            lines.append("  unstable (rho >= 1): the queue grows without bound; no steady-state measures")
        else:
            assert m.wq is not None and m.w is not None
            lines += [
                f"  P0 (system empty)        {_fmt(m.p0)}",
                f"  Lq (mean number waiting) {_fmt(m.lq)}",
                f"  L  (mean number in sys.) {_fmt(m.l)}",
                f"  Wq (mean wait)           {_fmt(m.wq)} h = {m.wq * 60:.2f} min",
                f"  W  (mean time in system) {_fmt(m.w)} h = {m.w * 60:.2f} min",
                f"  P(wait > 0)              {_fmt(m.p_wait)}",
            ]
            if args.target_wait_min is not None:
                over = m.p_wait_longer(args.target_wait_min / 60)
                lines.append(f"  {f'P(wait > {args.target_wait_min:g} min)':<25}{_fmt(over)}")
        if needed is not None:
            lines.append(f"  fewest servers with Wq <= {args.target_wait_min:g} min: {needed}")
        sys.stdout.write("\n".join(lines) + "\n")
    return 0 if m.stable else 1


def _ks_line(label: str, ks: dict[str, Any]) -> str:
    if ks["p_value"] is None:
        return f"  KS {label}: too few samples ({ks['n']})"
    verdict = "consistent with exponential" if ks["exponential"] else "NOT exponential"
    return f"  KS {label}: D = {ks['statistic']:.3f}, p = {ks['p_value']:.3f} (n = {ks['n']}): {verdict}"


def run_visits(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise VisitsError(f"cannot read {args.file}: {getattr(error, 'strerror', None) or error}") from None
    report = analyze_visits(parse_visits(text), args.servers)
    if args.json:
        sys.stdout.write(json.dumps(report) + "\n")
        return 0
    model, period = report["model"], report["period"]
    lines = [
        f"visits: {report['n']}, arrivals from {period['start']} to {period['end']} "
        f"({period['hours']:.2f} h)",
        f"  arrival rate             {_fmt(report['arrival_rate_per_hour'])} /h",
        f"  mean service             {report['mean_service_min']:.2f} min",
        f"  mean wait (measured)     {report['mean_wait_min']:.2f} min",
        f"  mean time in system      {report['mean_time_in_system_min']:.2f} min",
        f"  most services at once    {report['max_concurrent_service']}",
        f"  M/M/{model['servers']} model: rho {_fmt(model['rho'])}, Lq {_fmt(model['lq'])}, "
        f"L {_fmt(model['l'])}, Wq {_fmt(model['wq_min'])} min, W {_fmt(model['w_min'])} min"
        + ("" if model["stable"] else " (unstable)"),
        _ks_line("inter-arrival times", report["ks"]["interarrival"]),
        _ks_line("service times", report["ks"]["service"]),
    ]
    lines += [f"  warning: {w}" for w in report["warnings"]]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.what in ("hours", "staffing"):
            return run(args)
        return run_mm(args) if args.what == "mm" else run_visits(args)
    except ValueError as error:  # bad input, file, config or database: one line, no traceback
        sys.stderr.write(f"antrean analyze {args.what}: {str(error).splitlines()[0]}\n")
        return 2
