"""``antrean bench ROLE`` finds each role's benchmark (the benchmarks themselves run in the slow tests and
by hand: they start real processes and take minutes)."""

from __future__ import annotations

import importlib
import json

import pytest

from antrean.bench import BENCHES, main


@pytest.mark.parametrize("role", sorted(BENCHES))
def test_each_role_has_a_benchmark(role: str) -> None:
    assert callable(importlib.import_module(BENCHES[role]).main)


def test_an_unknown_role_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nope"]) == 2
    assert "antrean bench {hub|kiosk|display|counter|bpjs|web|scale}" in capsys.readouterr().err


@pytest.mark.slow
def test_bench_scale_prints_the_contract_keys_for_both_databases(capsys: pytest.CaptureFixture[str]) -> None:
    """``antrean bench scale --json`` (issue 17): two real hubs, an empty database and one with history."""
    assert main(["scale", "--days", "3", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)  # stdout is the JSON alone
    contract = (
        "call_p99_ms",
        "issue_p99_ms",
        "tickets_per_s",
        "start_s",
        "dashboard_p99_ms",
        "search_p99_ms",
        "db_mb",
    )
    for name in ("empty", "year"):
        assert all(isinstance(figures[name][key], int | float) for key in contract), figures[name]
        assert figures[name]["tickets_per_s"] > 0 and figures[name]["start_s"] > 0
    assert figures["empty"]["tickets_in_db"] == 0 < figures["year"]["tickets_in_db"]
    assert figures["year"]["db_mb"] > figures["empty"]["db_mb"]
    assert set(figures["verdict"]) >= {"call_p99_ms", "start_s", "tickets_per_s"}
