"""``antrean bench ROLE`` finds each role's benchmark (the benchmarks themselves run in the slow tests and
by hand: they start real processes and take minutes)."""

from __future__ import annotations

import importlib

import pytest

from antrean.bench import BENCHES, main


@pytest.mark.parametrize("role", sorted(BENCHES))
def test_each_role_has_a_benchmark(role: str) -> None:
    assert callable(importlib.import_module(BENCHES[role]).main)


def test_an_unknown_role_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nope"]) == 2
    assert "antrean bench {hub|kiosk|display|counter|bpjs|web}" in capsys.readouterr().err
