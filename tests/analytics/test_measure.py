"""Measures from the hub's records and staffing advice, on weeks of simulated history in a real database."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from antrean.cli import main as antrean
from hub.analytics.measure import gaps_of, load_times, measure_hours, measure_lokets
from hub.analytics.queueing import mmc, servers_needed
from hub.analytics.staffing import staffing_advice
from hub.dispatch.rules import store_settings
from tests.analytics.history import TZ, constant_day, seeded, write_history

MONDAY = date(2026, 3, 2)


def weekdays(first: date, weeks: int) -> list[date]:
    return [first + timedelta(days=7 * w + d) for w in range(weeks) for d in range(5)]


def test_measures_recover_the_rates_of_a_known_queue(database_url: str) -> None:
    """20 weekdays of M/M/2 at λ = 20/h, μ = 12/h from 08:00 to 11:00: the measured λ, μ and lokets are the
    simulation's, the measured wait agrees with the model within its spread, and KS accepts both as
    exponential."""
    days = weekdays(MONDAY, 4)
    rng = random.Random(5)
    with seeded(database_url) as sessions:
        write_history(
            sessions,
            days,
            (constant_day(20, range(8, 11), rng) for _ in days),
            lokets=2,
            service_rate_per_hour=12,
        )
        with sessions() as session:
            hours = measure_hours(session, days[0], days[-1], tz=TZ)
            times = load_times(session, days[0], days[-1], TZ)
    assert [h.hour for h in hours][:3] == [8, 9, 10]
    for hour in hours[:3]:
        assert hour.days == 20
        assert hour.arrival_rate == pytest.approx(20, rel=0.12)
        assert hour.service_rate == pytest.approx(12, rel=0.12)
        assert hour.lokets_busy == pytest.approx(2, abs=0.2)
        assert hour.model is not None and hour.model.servers == 2 and hour.model.stable
        assert hour.ks_arrivals is not None and hour.ks_arrivals.exponential is True
        assert hour.ks_service is not None and hour.ks_service.exponential is True
        assert hour.mean_wait_min is not None and hour.mean_in_system_min is not None
    # the day starts empty, so the first hour waits less than the steady state; the later hours approach it
    steady = mmc(20, 12, 2).wq
    assert steady is not None
    assert hours[2].mean_wait_min == pytest.approx(steady * 60, rel=0.5)
    lokets = measure_lokets(times)
    assert [loket.counter for loket in lokets] == [1, 2]
    assert all(loket.service_rate == pytest.approx(12, rel=0.15) for loket in lokets)
    assert len(gaps_of(times)) == len(times) - len(days)


def test_a_poly_and_a_bounded_range(database_url: str) -> None:
    days = weekdays(MONDAY, 2)
    rng = random.Random(9)
    with seeded(database_url) as sessions:
        write_history(
            sessions, days, (constant_day(10, [9], rng) for _ in days), lokets=1, service_rate_per_hour=15
        )
        with sessions() as session:
            assert measure_hours(session, days[0], days[-1], tz=TZ, poly="B") == []
            one_day = measure_hours(session, days[3], days[3], tz=TZ)
            assert one_day[0].days == 1
            with pytest.raises(ValueError, match="at most 366 days"):
                load_times(session, date(2020, 1, 1), date(2026, 1, 1), TZ)


def test_a_loket_that_cannot_keep_up_gets_a_plain_note(database_url: str) -> None:
    days = weekdays(MONDAY, 1)
    rng = random.Random(2)
    with seeded(database_url) as sessions:
        write_history(
            sessions, days, (constant_day(30, [8, 9], rng) for _ in days), lokets=1, service_rate_per_hour=20
        )
        with sessions() as session:
            hours = measure_hours(session, days[0], days[-1], tz=TZ)
    assert hours[1].model is not None and not hours[1].model.stable
    assert any("antrean terus memanjang" in note for note in hours[1].notes)


def test_staffing_advice_from_four_weeks(database_url: str) -> None:
    """Four weeks of history (and a weekend day and an older week that must not count): each hour's advice
    is the fewest lokets meeting the target for that hour's measured λ and the window's measured μ."""
    days = weekdays(MONDAY, 5)
    saturday = MONDAY + timedelta(days=5)
    rng = random.Random(11)
    with seeded(database_url) as sessions:
        write_history(
            sessions,
            [*days, saturday],
            [*(constant_day(24, range(8, 12), rng) for _ in days), constant_day(200, [8], rng)],
            lokets=3,
            service_rate_per_hour=10,
        )
        today = days[-1] + timedelta(days=3)  # the Monday after the last week
        with sessions() as session:
            advice = staffing_advice(session, today=today, tz=TZ)
            tighter = staffing_advice(session, today=today, tz=TZ, target_wait_min=2)
        with sessions.begin() as session:
            store_settings(session, {"target_wait_min": 30})
        with sessions() as session:
            stored = staffing_advice(session, today=today, tz=TZ)
    assert advice.target_wait_min == 15 and advice.weeks == 4
    assert advice.days == 20  # the oldest week and the Saturday are outside
    assert advice.service_measured and advice.service_min == pytest.approx(6, rel=0.1)
    assert [h.hour for h in advice.hours] == [8, 9, 10, 11]
    for hour in advice.hours:
        assert hour.arrival_rate == pytest.approx(24, rel=0.12)
        assert hour.lokets == servers_needed(hour.arrival_rate, 60 / advice.service_min, 15 / 60)
        assert hour.predicted_wait_min is not None and hour.predicted_wait_min <= 15
        assert 2 <= hour.lokets_used <= 3
    assert tighter.peak >= advice.peak
    assert stored.target_wait_min == 30


def test_no_history_means_no_advice(database_url: str) -> None:
    with seeded(database_url) as sessions, sessions() as session:
        advice = staffing_advice(session, today=MONDAY, tz=TZ)
    assert advice.hours == [] and advice.days == 0 and not advice.service_measured
    assert advice.service_min == 5  # the configured average until something is measured


def test_the_cli_reads_a_hubs_database(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    days = weekdays(MONDAY, 4)
    rng = random.Random(3)
    with seeded(database_url) as sessions:
        write_history(
            sessions, days, (constant_day(18, [8, 9], rng) for _ in days), lokets=2, service_rate_per_hour=12
        )
    config = tmp_path / "hub.toml"
    config.write_text(f'data_dir = "{tmp_path}"\n[database]\nurl = "{database_url}"\n', encoding="utf-8")
    first, last = days[0].isoformat(), days[-1].isoformat()
    assert (
        antrean(["analyze", "hours", "--config", str(config), "--from", first, "--to", last, "--json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert [h["hour"] for h in report["hours"]][:2] == [8, 9]
    eight = report["hours"][0]
    assert eight["days"] == 20 and eight["arrival_rate_per_hour"] == pytest.approx(18, rel=0.15)
    assert eight["model"]["servers"] == 2 and eight["model"]["wq_min"] > 0
    assert eight["ks"]["interarrival"]["exponential"] is True
    assert [x["counter"] for x in report["lokets"]] == [1, 2]
    assert antrean(["analyze", "hours", "--config", str(config), "--from", first, "--to", last]) == 0
    assert "08:00" in capsys.readouterr().out
    today = (days[-1] + timedelta(days=3)).isoformat()
    args = ["analyze", "staffing", "--config", str(config), "--today", today, "--target-wait-min", "10"]
    assert antrean([*args, "--json"]) == 0
    advice = json.loads(capsys.readouterr().out)
    assert advice["target_wait_min"] == 10 and advice["days"] == 20
    assert [h["hour"] for h in advice["hours"]][:2] == [8, 9]
    assert all(h["predicted_wait_min"] <= 10 for h in advice["hours"] if h["lokets"])
    assert antrean(args) == 0
    assert "advised lokets" in capsys.readouterr().out
    assert antrean(["analyze", "hours", "--config", str(config), "--from", last, "--to", first]) == 2
    assert "is before start" in capsys.readouterr().err
    assert antrean(["analyze", "staffing", "--config", str(tmp_path / "none.toml")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_half_hour_after_opening_counts_as_half_an_hour(database_url: str) -> None:
    """The puskesmas opens at 07:30 (the default): 15 patients from 07:30 to 08:00 are 30 per hour."""
    from datetime import time

    from hub.analytics.simulation import Arrival

    days = weekdays(MONDAY, 1)
    opening_rush = [Arrival(7.5 * 3600 + 120 * k, "umum", "A") for k in range(15)]
    with seeded(database_url) as sessions:
        write_history(sessions, days, (opening_rush for _ in days), lokets=2, service_rate_per_hour=30)
        with sessions() as session:
            (hour,) = measure_hours(session, days[0], days[-1], tz=TZ, opening=(time(7, 30), time(14)))
            advice = staffing_advice(session, today=days[-1] + timedelta(days=1), tz=TZ)
    assert hour.hour == 7 and hour.arrivals == 15 * 5 and hour.arrival_rate == pytest.approx(30)
    assert hour.ks_arrivals is not None and hour.ks_arrivals.exponential is False  # evenly spaced
    assert advice.hours[0].arrival_rate == pytest.approx(30)


def test_a_patient_called_at_once_waited_zero_minutes() -> None:
    from datetime import UTC, datetime

    from hub.analytics.measure import TicketTimes

    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    at_once = TicketTimes(MONDAY, "A", "umum", 1, at, at, at + timedelta(minutes=4))
    assert at_once.wait_min == 0.0 and at_once.service_min == 4.0
    assert TicketTimes(MONDAY, "A", "umum", None, at, None, None).wait_min is None


def test_simulate_takes_the_hubs_measured_service_time(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import datetime

    today = datetime.now(TZ).date()
    days = sorted(d for d in (today - timedelta(days=n) for n in range(1, 15)) if d.weekday() < 5)
    rng = random.Random(8)
    with seeded(database_url) as sessions:
        write_history(
            sessions, days, (constant_day(10, [9], rng) for _ in days), lokets=1, service_rate_per_hour=20
        )
    config = tmp_path / "hub.toml"
    config.write_text(f'data_dir = "{tmp_path}"\n[database]\nurl = "{database_url}"\n', encoding="utf-8")
    simulate = ["simulate", "--day", "quiet", "--offline", "--runs", "1", "--config", str(config), "--json"]
    assert antrean(simulate) == 0  # 3 minutes measured, not the configured 5
    assert json.loads(capsys.readouterr().out)["service_min"] == pytest.approx(3, rel=0.15)
