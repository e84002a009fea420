"""``antrean bench ROLE [ARGS]``: each role's benchmark prints its figures and can record them in
docs/benchmarks.md (``--record``)."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from antrean.helptext import plain

BENCHES: dict[str, str] = {
    "hub": "benchmarks.hub",
    "kiosk": "benchmarks.kiosk",
    "display": "benchmarks.display",
    "counter": "benchmarks.counter",
    "bpjs": "benchmarks.bpjs",
    "web": "benchmarks.web",
    "scale": "benchmarks.scale",
}

BENCHMARKS_MD = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def record_section(name: str, body: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` in docs/benchmarks.md."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + f"\n\n{block}\n"
    path.write_text(text, encoding="utf-8")


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: antrean bench {" + "|".join(BENCHES) + "} [--record] [ARGS]\n"
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(
            usage + "\n" + plain(__doc__) + "\n\nantrean bench ROLE --help describes each one.\n"
        )
        return 0
    if not args or args[0] not in BENCHES:
        sys.stderr.write(usage if not args else f"antrean bench: unknown benchmark {args[0]!r}\n" + usage)
        return 2
    module = importlib.import_module(BENCHES[args[0]])
    result: int = module.main(args[1:])
    return result
