"""``antrean simulate``: the SimPy day simulator against M/M/c, the offline policy comparison, and one small
day replayed against a real hub over MQTT."""

from __future__ import annotations

import json
import random
import statistics
from pathlib import Path

import pytest
from scipy import stats

from antrean.cli import main as antrean
from hub.analytics.queueing import mmc
from hub.analytics.simulation import poisson_arrivals, simulate_day
from hub.dispatch.policy import CallRule

DAY_CSV = """arrival,category,poly,service_start,service_end
08:00,umum,A,08:00,08:04
08:01,prioritas,C,08:04,08:08
08:02,umum,B,08:05,08:09
08:03,umum,A,08:08,08:12
08:05,prioritas,A,08:09,08:13
08:06,umum,D,08:12,08:16
08:08,umum,A,08:13,08:17
08:10,umum,A,08:16,08:20
08:11,prioritas,E,08:17,08:21
08:15,umum,A,08:20,08:24
"""


@pytest.mark.slow
def test_day_simulator_agrees_with_mmc() -> None:
    """The policy simulator with one class is FIFO M/M/c: its mean wait over 8 runs of 6,000 patients
    (first 600 left out) brackets the analytic Wq (λ = 30/h, μ = 12/h, 3 lokets) in a 99% interval.
    Arrivals and services come from separate random streams: one stream for both would pair long gaps
    with long services and hide the queue."""
    means = []
    for run in range(8):
        arrivals = poisson_arrivals(30, 6_000, random.Random(run))
        served = simulate_day(
            arrivals, lokets=3, service_rate_per_hour=12, rule=CallRule.parse("2:1"), seed=100 + run
        )
        served.sort(key=lambda s: s.arrival.at_s)
        means.append(statistics.fmean(s.wait_s for s in served[600:]) / 3600)
    half = stats.t.ppf(0.995, len(means) - 1) * stats.sem(means)
    analytic = mmc(30, 12, 3).wq
    assert analytic is not None
    assert abs(statistics.fmean(means) - analytic) <= half
    assert half < 0.25 * analytic


def test_priority_first_under_strict() -> None:
    """One loket, everyone waiting at 08:00: strict serves the priority tickets first, 1:1 alternates."""
    from hub.analytics.simulation import Arrival

    crowd = [Arrival(float(i), "prioritas" if i % 3 == 0 else "umum", "A") for i in range(9)]
    strict = simulate_day(crowd, lokets=1, service_rate_per_hour=60, rule=CallRule.parse("strict"), seed=1)
    assert [s.arrival.category for s in strict[:3]] == ["prioritas"] * 3
    alternate = simulate_day(crowd, lokets=1, service_rate_per_hour=60, rule=CallRule.parse("1:1"), seed=1)
    assert [s.arrival.category for s in alternate[:4]] == ["prioritas", "umum", "prioritas", "umum"]


def test_offline_comparison_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "--day", "busy", "--offline", "--policy", "2:1,strict", "--lokets", "2,3"]
    assert antrean([*args, "--runs", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mode"] == "offline" and report["day"] == "busy" and report["service_min"] == 5
    results = {(r["policy"], r["lokets"]): r for r in report["results"]}
    assert set(results) == {("2:1", 2), ("2:1", 3), ("strict", 2), ("strict", 3)}
    for result in results.values():
        assert set(result["categories"]) == {"prioritas", "umum"}
        assert set(result["polys"]) <= {"A", "B", "C", "D", "E"}
        assert result["overall"]["n"] == sum(c["n"] for c in result["categories"].values())
        assert result["overall"]["p90_min"] >= result["overall"]["mean_min"] * 0.5
    # a third loket shortens the waits; strict favours the priority class over 2:1
    assert results[("2:1", 3)]["overall"]["mean_min"] < results[("2:1", 2)]["overall"]["mean_min"]
    prio = {
        policy: results[(policy, 2)]["categories"]["prioritas"]["mean_min"] for policy in ("2:1", "strict")
    }
    assert prio["strict"] <= prio["2:1"]


def test_a_third_loket_for_the_morning_only(capsys: pytest.CaptureFixture[str]) -> None:
    """--open 3=07:30-10:00: the third loket calls patients in the morning only; the waits fall between two
    lokets all day and three all day."""
    base = ["simulate", "--day", "normal", "--offline", "--runs", "6", "--service-min", "4.4", "--json"]
    means = {}
    for lokets, extra in (("2", []), ("3", ["--open", "3=07:30-10:00"]), ("3", [])):
        assert antrean([*base, "--lokets", lokets, *extra]) == 0
        report = json.loads(capsys.readouterr().out)
        means[(lokets, bool(extra))] = report["results"][0]["overall"]["mean_min"]
    assert means[("3", False)] < means[("3", True)] < means[("2", False)]
    from hub.analytics.simulation import Arrival

    crowd = [Arrival(8 * 3600 + 60.0 * i, "umum", "A") for i in range(60)]
    served = simulate_day(
        crowd,
        lokets=2,
        service_rate_per_hour=12,
        rule=CallRule.parse("2:1"),
        seed=3,
        windows={2: (8 * 3600.0, 8.5 * 3600)},
    )
    late = [s for s in served if s.loket == 2]
    assert late and all(8 * 3600 <= s.arrival.at_s + s.wait_s < 8.5 * 3600 for s in late)
    with pytest.raises(ValueError, match="at least one loket must be open all day"):
        simulate_day(
            crowd, lokets=1, service_rate_per_hour=12, rule=CallRule.parse("2:1"), windows={1: (0, 1)}
        )


def test_offline_recorded_day_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    day = tmp_path / "senin.csv"
    day.write_text(DAY_CSV, encoding="utf-8")
    assert antrean(["simulate", "--day", str(day), "--offline", "--runs", "3"]) == 0
    out = capsys.readouterr().out
    assert "offline: day senin.csv, mean service 4.0 min" in out  # measured from the recorded services
    assert "policy 2:1, 2 loket(s), 10 patients/day" in out and "prioritas  mean" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--day", "ramai", "--offline"], "--day must be busy|normal|quiet or a readable CSV"),
        (["--day", "busy", "--offline", "--policy", "3-1"], 'policy must be "N:M" (e.g. 2:1) or "strict"'),
        (["--day", "busy", "--offline", "--lokets", "0"], "lokets must be from 1 to 50"),
        (["--day", "busy", "--policy", "2:1,strict"], "use --offline to compare"),
        (["--day", "busy", "--offline", "--service-min", "-1"], "service minutes must be > 0"),
        (["--day", "busy", "--offline", "--open", "3=07:30-10:00"], "loket 3 is not among the 2 lokets"),
        (["--day", "busy", "--offline", "--open", "2=10:00-09:00"], "closes before it opens"),
        (["--day", "busy", "--offline", "--open", "2=pagi"], "--open must be N=HH:MM-HH:MM"),
        (["--day", "busy", "--offline", "--open", "1=07:00-09:00", "--open", "2=09:00-12:00"], "all day"),
    ],
)
def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert antrean(["simulate", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_recorded_day_with_an_unknown_category(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    day = tmp_path / "bad.csv"
    day.write_text("arrival,category\n08:00,vip\n", encoding="utf-8")
    assert antrean(["simulate", "--day", str(day), "--offline"]) == 2
    assert "row 2: category must be prioritas or umum" in capsys.readouterr().err


@pytest.mark.slow
def test_online_day_against_a_real_hub(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ten patients over 15 minutes at 120x against a real hub (embedded broker, SQLite): every ticket is
    taken over MQTT, called by the simulated lokets, and its wait read back from the hub's records."""
    day = tmp_path / "pagi.csv"
    day.write_text(DAY_CSV, encoding="utf-8")
    code = antrean(
        [
            "simulate",
            "--day",
            str(day),
            "--speed",
            "120",
            "--lokets",
            "3",
            "--open",
            "3=08:00-08:05",
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert report["mode"] == "online" and report["speed"] == 120
    (result,) = report["results"]
    assert result["overall"]["n"] == 10
    assert {k: v["n"] for k, v in result["categories"].items()} == {"prioritas": 3, "umum": 7}
    assert {k: v["n"] for k, v in result["polys"].items()} == {"A": 6, "B": 1, "C": 1, "D": 1, "E": 1}
    # two lokets (and a third for five minutes) serving ~4 min each for 10 patients in 15 min
    assert 0 <= result["overall"]["mean_min"] < 30
    assert result["overall"]["p90_min"] > 0
