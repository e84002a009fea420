"""``antrean analyze mm`` and ``antrean analyze visits``: the JSON contract, exit codes, warnings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from antrean.cli import main as antrean

MM_KEYS = {"rho", "p0", "lq", "l", "wq_hours", "w_hours", "p_wait"}
VISITS_KEYS = {
    "n",
    "arrival_rate_per_hour",
    "mean_service_min",
    "mean_wait_min",
    "mean_time_in_system_min",
    "max_concurrent_service",
    "model",
    "ks",
    "warnings",
}


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = antrean(["analyze", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_mm_json_county_hospital(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_json(capsys, "mm", "--arrival-rate", "2", "--service-rate", "3", "--servers", "2")
    assert code == 0
    assert out.keys() >= MM_KEYS and "servers_needed" not in out
    assert out["p0"] == pytest.approx(0.5)
    assert out["lq"] == pytest.approx(1 / 12)
    assert out["wq_hours"] == pytest.approx(1 / 24)
    assert out["w_hours"] == pytest.approx(3 / 8)
    assert out["p_wait"] == pytest.approx(1 / 6)


def test_mm_target_gives_servers_needed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_json(
        capsys, "mm", "--arrival-rate", "20", "--service-rate", "6", "--target-wait-min", "15"
    )
    assert code == 1  # one server cannot keep up with 20/h at 6/h
    assert out["stable"] is False and out["lq"] is None
    assert out["servers_needed"] == 4


def test_mm_text_and_unstable(capsys: pytest.CaptureFixture[str]) -> None:
    assert antrean(["analyze", "mm", "--arrival-rate", "2", "--service-rate", "3"]) == 0
    text = capsys.readouterr().out
    assert "M/M/1" in text and "Wq (mean wait)" in text and "40.00 min" in text
    assert antrean(["analyze", "mm", "--arrival-rate", "3", "--service-rate", "3"]) == 1
    assert "unstable (rho >= 1)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arrival-rate", "-2", "--service-rate", "3"], "arrival rate must be a positive number"),
        (["--arrival-rate", "2", "--service-rate", "0"], "service rate must be a positive number"),
        (["--arrival-rate", "2", "--service-rate", "3", "--servers", "0"], "servers must be"),
        (["--arrival-rate", "2", "--service-rate", "3", "--target-wait-min", "0"], "target wait"),
        (["--arrival-rate", "dua", "--service-rate", "3"], "invalid float value"),
    ],
)
def test_mm_bad_input(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    with pytest.raises(SystemExit) if "dua" in args else _nothing():
        assert antrean(["analyze", "mm", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_args: object) -> None:
        return None


GOOD = """arrival,service_start,service_end
08:00,08:00,08:06
08:04,08:06,08:11
08:05,08:05,08:09
08:15,08:15,08:20
08:21,08:21,08:24
"""


def test_visits_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "day.csv"
    csv.write_text(GOOD, encoding="utf-8")
    code, out = run_json(capsys, "visits", str(csv))
    assert code == 0
    assert out.keys() >= VISITS_KEYS
    assert out["n"] == 5
    assert out["arrival_rate_per_hour"] == pytest.approx(4 / (21 / 60))
    assert out["mean_service_min"] == pytest.approx((6 + 5 + 4 + 5 + 3) / 5)
    assert out["mean_wait_min"] == pytest.approx((0 + 2 + 0 + 0 + 0) / 5)
    assert out["mean_time_in_system_min"] == pytest.approx((6 + 7 + 4 + 5 + 3) / 5)
    assert out["max_concurrent_service"] == 2  # 08:05-08:09 overlaps 08:00-08:06 and 08:06-08:11
    model = out["model"]
    assert isinstance(model, dict)
    assert {"servers", "rho", "lq", "l", "wq_min", "w_min"} <= model.keys()
    assert model["servers"] == 2
    assert model["rho"] == pytest.approx(out["arrival_rate_per_hour"] * 4.6 / 60 / 2)  # type: ignore[operator]
    assert out["warnings"] == []
    ks = out["ks"]
    assert isinstance(ks, dict) and set(ks) == {"interarrival", "service"}


def test_visits_contradictions_are_warned_with_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "paper.csv"
    csv.write_text(
        "arrival,service_start,service_end\n"
        "2026-03-02T08:10:00,2026-03-02T08:12:00,2026-03-02T08:20:00\n"
        "2026-03-02T08:00:00,2026-03-02T08:01:00,2026-03-02T08:15:00\n"  # unsorted; overlaps row 2
        "2026-03-02T08:30:00,2026-03-02T08:25:00,2026-03-02T08:33:00\n"  # service before arrival
        "2026-03-02T08:40:00,2026-03-02T08:45:00,2026-03-02T08:44:00\n"  # ends before it starts
        "kemarin,08:00,08:05\n"
        "2026-03-02T08:50:00,2026-03-02T08:50:00,2026-03-02T08:55:00\n",
        encoding="utf-8",
    )
    code, out = run_json(capsys, "visits", str(csv), "--servers", "1")
    assert code == 0
    assert out["n"] == 3
    warnings = "\n".join(out["warnings"])  # type: ignore[arg-type]
    assert "row 4: service starts before arrival" in warnings
    assert "row 5: service ends before it starts" in warnings
    assert "unparsable row(s) left out: 6" in warnings
    assert "not sorted" in warnings
    assert "2 services overlap at 08:12 but only 1 server(s) were declared" in warnings


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("arrival,start,end\n08:00,08:01,08:02\n", "missing column(s) service_start, service_end"),
        ("arrival,service_start,service_end\nx,y,z\n", "no usable rows"),
        ("arrival,service_start,service_end\n08:00,08:01,08:02\n2026-01-01T08:00,08:01,08:02\n", "mixes"),
        (b"\xff\xfe\x00a", "cannot read"),
    ],
)
def test_visits_bad_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, message: str
) -> None:
    csv = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        csv.write_bytes(content)
    else:
        csv.write_text(content, encoding="utf-8")
    assert antrean(["analyze", "visits", str(csv)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_missing_file_from_the_real_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "antrean", "analyze", "visits", str(tmp_path / "none.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("antrean analyze visits: cannot read")
    assert "Traceback" not in done.stderr


def test_the_worked_example_in_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/analytics.md quotes this output for docs/examples/hari_senin.csv: it must stay true."""
    root = Path(__file__).resolve().parents[2]
    docs = (root / "docs" / "analytics.md").read_text(encoding="utf-8")
    assert antrean(["analyze", "visits", str(root / "docs" / "examples" / "hari_senin.csv")]) == 0
    out = capsys.readouterr().out
    for line in out.splitlines()[1:]:
        assert line in docs, line
    assert (
        antrean(["analyze", "mm", "--arrival-rate", "39", "--service-rate", "13.73", "--servers", "4"]) == 0
    )
    assert "  Wq (mean wait)           0.02792 h = 1.68 min" in capsys.readouterr().out
    assert "  Wq (mean wait)           0.02792 h = 1.68 min" in docs


@pytest.mark.slow
def test_the_simulation_in_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2]
    docs = (root / "docs" / "analytics.md").read_text(encoding="utf-8")
    day = root / "docs" / "examples" / "hari_senin.csv"
    assert antrean(["simulate", "--day", str(day), "--offline", "--lokets", "2,3", "--runs", "20"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "poly" not in line]
    assert lines[1:] and all(line in docs for line in lines[1:])
    windows = ["--lokets", "4", "--open", "3=07:30-11:00", "--open", "4=07:30-10:00"]
    assert antrean(["simulate", "--day", str(day), "--offline", *windows, "--runs", "20"]) == 0
    out = capsys.readouterr().out
    assert "loket 3 open 07:30-11:00, loket 4 open 07:30-10:00" in out.splitlines()[0]
    assert all(line in docs for line in out.splitlines() if line.startswith(("  all", "  umum")))


def test_visits_clock_times_as_written_on_paper(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Indonesian paper records write 8.05 or 08.05; single-digit hours and dots are read as clock times,
    and date-times with an offset are compared in UTC."""
    paper = tmp_path / "buku.csv"
    paper.write_text("arrival,service_start,service_end\n7.58,8.00,8.04\n8.05,8.06,8.10\n", encoding="utf-8")
    code, out = run_json(capsys, "visits", str(paper))
    assert code == 0 and out["n"] == 2 and out["mean_wait_min"] == pytest.approx(1.5)
    zoned = tmp_path / "zoned.csv"
    zoned.write_text(
        "arrival,service_start,service_end\n"
        "2026-03-02T08:00:00+07:00,2026-03-02T01:02:00+00:00,2026-03-02T08:06:00+07:00\n"
        "2026-03-02T08:10:00+07:00,2026-03-02T08:10:00+07:00,2026-03-02T08:15:00+07:00\n",
        encoding="utf-8",
    )
    code, out = run_json(capsys, "visits", str(zoned))
    assert code == 0 and out["mean_wait_min"] == pytest.approx(1.0) and out["warnings"] == []
