"""``antrean simulate``: try a call policy, a fairness cap or another loket on a day of arrivals.

    antrean simulate --day busy|normal|quiet|FILE [--speed X] [--policy 2:1|strict|...] [--offline]
                     [--lokets N] [--open N=HH:MM-HH:MM ...] [--service-min M | --config hub.toml]
                     [--fairness-min F] [--runs R] [--seed S] [--json]

Online (the default) replays the day against a real hub over MQTT (a temporary one: its own broker and
database), ``--speed`` times faster than real time. ``--offline`` simulates with SimPy instead, in seconds,
and compares several policies and loket counts at once (comma-separated: ``--policy 2:1,3:1,strict
--lokets 2,3``), each over ``--runs`` simulated days. Both report the waits (issue → call) per category and
per poly: mean and p90 minutes.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from antrean.config import parse_hhmm
from antrean.helptext import plain
from hub.analytics.days import PROFILES, Day, profile_day, recorded_day
from hub.analytics.simulation import Arrival, simulate_day
from hub.analytics.visits import VisitsError
from hub.analytics.waits import summarize, summary_lines
from hub.config import QueueSettings
from hub.dispatch.policy import CallRule

DEFAULT_SERVICE_MIN = float(QueueSettings().avg_service_minutes)
_WINDOW = re.compile(r"^(?P<n>\d+)=(?P<opens>\d{1,2}:\d{2})-(?P<closes>\d{1,2}:\d{2})$")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="antrean simulate",
        description=plain(__doc__, first_paragraph=True),
        epilog=plain("\n\n".join(__doc__.split("\n\n")[1:])),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--day", required=True, help="busy, normal, quiet, or a CSV of a recorded day")
    parser.add_argument("--speed", type=float, default=60.0, help="online: times faster than real (60)")
    parser.add_argument(
        "--policy", default="2:1", help='"N:M" or "strict" (offline: several, comma-separated)'
    )
    parser.add_argument("--offline", action="store_true", help="SimPy instead of a hub")
    parser.add_argument("--lokets", default="2", help="lokets open (offline: several, comma-separated)")
    parser.add_argument(
        "--service-min",
        type=float,
        help="mean service minutes (default: measured in FILE or by --config, or 5)",
    )
    parser.add_argument("--config", help="a hub's config: its last four weeks' measured service time")
    parser.add_argument(
        "--open",
        action="append",
        default=[],
        metavar="N=HH:MM-HH:MM",
        help="loket N calls patients only then (3=07:30-10:00: a third loket in the morning); repeatable",
    )
    parser.add_argument("--fairness-min", type=int, default=60, help="fairness cap in minutes (0: off)")
    parser.add_argument("--runs", type=int, default=20, help="offline: simulated days per combination")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _policies(text: str) -> list[str]:
    policies = [p.strip() for p in text.split(",") if p.strip()]
    for policy in policies:
        try:
            QueueSettings(priority_ratio=policy)
        except ValidationError:
            raise ValueError(f'policy must be "N:M" (e.g. 2:1) or "strict", got {policy!r}') from None
    if not policies:
        raise ValueError("no policy given")
    return policies


def _lokets(text: str) -> list[int]:
    try:
        counts = [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        raise ValueError(f"lokets must be whole numbers, got {text!r}") from None
    if not counts or any(not 1 <= n <= 50 for n in counts):
        raise ValueError(f"lokets must be from 1 to 50, got {text!r}")
    return counts


def _windows(specs: Sequence[str], counts: Sequence[int]) -> dict[int, tuple[float, float]]:
    """``--open`` windows as loket → (from, until) seconds of the day."""
    windows: dict[int, tuple[float, float]] = {}
    for spec in specs:
        match = _WINDOW.match(spec.strip())
        if not match:
            raise ValueError(f"--open must be N=HH:MM-HH:MM (e.g. 3=07:30-10:00), got {spec!r}")
        number = int(match["n"])
        try:
            opens, closes = (parse_hhmm(match[key]) for key in ("opens", "closes"))
        except ValueError:
            raise ValueError(f"--open: not a time of day in {spec!r}") from None
        if not opens < closes:
            raise ValueError(f"--open: {spec!r} closes before it opens")
        if not 1 <= number <= min(counts):
            raise ValueError(f"--open: loket {number} is not among the {min(counts)} lokets simulated")
        windows[number] = (opens.hour * 3600.0 + opens.minute * 60, closes.hour * 3600.0 + closes.minute * 60)
    if any(all(n in windows for n in range(1, count + 1)) for count in counts):
        raise ValueError("--open: at least one loket must stay open all day")
    return windows


def load_day(spec: str) -> tuple[Day | None, str]:
    """A recorded day, or None for a profile; and its label."""
    if spec in PROFILES:
        return None, spec
    path = Path(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        choices = "|".join(PROFILES)
        raise VisitsError(f"--day must be {choices} or a readable CSV: {spec}: {error}") from None
    return recorded_day(text), path.name


def _arrivals(day: Day | None, label: str, rng: random.Random) -> list[Arrival]:
    return day.arrivals if day is not None else profile_day(label, rng)


def run_offline(args: argparse.Namespace, day: Day | None, label: str, service_min: float) -> dict[str, Any]:
    if args.runs < 1:
        raise ValueError("runs must be >= 1")
    results = []
    counts = _lokets(args.lokets)
    windows = _windows(args.open, counts)
    for policy in _policies(args.policy):
        for lokets in counts:
            rng = random.Random(args.seed)
            records, patients = [], 0
            for run in range(args.runs):
                arrivals = _arrivals(day, label, rng)
                patients += len(arrivals)
                served = simulate_day(
                    arrivals,
                    lokets=lokets,
                    service_rate_per_hour=60 / service_min,
                    rule=CallRule.parse(policy),
                    fairness_min=args.fairness_min,
                    seed=args.seed * 1000 + run,
                    windows=windows,
                )
                records += [(s.arrival.category, s.arrival.poly, s.wait_s) for s in served]
            results.append(
                {
                    "policy": policy,
                    "lokets": lokets,
                    "patients_per_day": patients / args.runs,
                    **summarize(records),
                }
            )
    return {"mode": "offline", "runs": args.runs, "results": results}


def run_online(args: argparse.Namespace, day: Day | None, label: str, service_min: float) -> dict[str, Any]:
    from hub.analytics.replay import replay_day  # the hub's processes, only when asked

    policies, counts = _policies(args.policy), _lokets(args.lokets)
    windows = _windows(args.open, counts)
    if len(policies) > 1 or len(counts) > 1:
        raise ValueError("online mode tries one policy and one loket count; use --offline to compare")
    if args.speed <= 0:
        raise ValueError("speed must be > 0")
    arrivals = _arrivals(day, label, random.Random(args.seed))
    result = replay_day(
        arrivals,
        lokets=counts[0],
        windows=windows,
        service_min=service_min,
        policy=policies[0],
        fairness_min=args.fairness_min,
        speed=args.speed,
    )
    entry = {
        "policy": policies[0],
        "lokets": counts[0],
        "patients_per_day": len(arrivals),
        **summarize(result.records),
    }
    return {"mode": "online", "speed": args.speed, "real_seconds": result.real_seconds, "results": [entry]}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        day, label = load_day(args.day)
        service_min = args.service_min or (day and day.service_min)
        if not service_min and args.config:
            from hub.analytics.cli_hub import measured_service_min

            service_min = measured_service_min(args.config)
        service_min = service_min or DEFAULT_SERVICE_MIN
        if service_min <= 0:
            raise ValueError("service minutes must be > 0")
        run = run_offline if args.offline else run_online
        report = {
            "day": label,
            "service_min": service_min,
            "fairness_min": args.fairness_min,
            "open": sorted(args.open),
        }
        report.update(run(args, day, label, service_min))
    except (ValueError, RuntimeError, TimeoutError) as error:  # one line, no traceback
        sys.stderr.write(f"antrean simulate: {str(error).splitlines()[0]}\n")
        return 2
    if args.json:
        sys.stdout.write(json.dumps(report) + "\n")
        return 0
    head = f"{report['mode']}: day {label}, mean service {service_min:.1f} min"
    head += f", fairness cap {args.fairness_min} min"
    head += "".join(f", loket {spec.replace('=', ' open ')}" for spec in report["open"])
    lines = [head + (f", {report['runs']} runs" if report["mode"] == "offline" else "")]
    for entry in report["results"]:
        per_day = f"{entry['patients_per_day']:.0f} patients/day"
        lines.append(f"policy {entry['policy']}, {entry['lokets']} loket(s), {per_day}")
        lines += summary_lines(entry)
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
