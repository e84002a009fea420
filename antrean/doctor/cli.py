"""``antrean doctor --config FILE [--role ROLE] [--json]``: check a node where it stands.

One line per check (``OK`` / ``WARN`` / ``FAIL``, its name, what was seen), exit status 1 when any check
failed, else 0. The report also goes to the hub (retained ``node/{node}/doctor``), which shows it on its
node-health page.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from antrean.doctor.roles import ROLES
from antrean.doctor.run import Doctor, Result


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="antrean doctor", description="Check this node: one line per check.")
    p.add_argument("--config", required=True, help="the node's TOML config, e.g. /etc/antrean/kiosk.toml")
    p.add_argument("--role", choices=sorted(ROLES), help="the node's role (default: found from the config)")
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of lines")
    p.add_argument("--no-report", action="store_true", help="do not send the report to the hub")
    return p


def render(result: Result) -> str:
    lines = [f"{c.level:<5} {c.name:<12} {c.detail}" for c in result.checks]
    fails = sum(c.level == "FAIL" for c in result.checks)
    warns = sum(c.level == "WARN" for c in result.checks)
    summary = f"{fails} failed, {warns} warning(s), {len(result.checks)} checks"
    if result.report is not None:
        summary += "; report sent to the hub" if result.sent else "; report NOT sent to the hub"
    return "\n".join([*lines, summary]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    result = Doctor(args.config, role=args.role, publish=not args.no_report).run()
    if args.json:
        data = (
            result.report.model_dump(mode="json")
            if result.report is not None
            else {"ok": False, "checks": [c.model_dump(mode="json") for c in result.checks]}
        )
        sys.stdout.write(json.dumps({**data, "sent": result.sent}, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render(result))
    return 1 if result.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
