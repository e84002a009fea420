"""CounterConfig: defaults that run with no file, quick setup pins, strict validation, example file."""

from __future__ import annotations

from pathlib import Path

import pytest

from antrean.config import ConfigError, load_config
from firmware.counter_button.config import CounterConfig, quick_lokets

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_need_no_file() -> None:
    config = load_config(CounterConfig, None, env={})
    assert config.node_id == "counter-1"
    assert [loket.counter for loket in config.lokets] == [1]
    assert config.buttons.skip_hold_s > 0 and config.buttons.call_hold_s == 0


def test_quick_setup_gives_each_loket_its_own_pins() -> None:
    config = load_config(CounterConfig, None, env={}, overrides={"lokets": quick_lokets([4, 2, 7])})
    assert [loket.counter for loket in config.lokets] == [4, 2, 7]
    pins = [pin for loket in config.lokets for pin in loket.pins()]
    assert len(pins) == len(set(pins)) == 18
    with pytest.raises(ValueError, match="config file"):
        quick_lokets([1, 2, 3, 4])


@pytest.mark.parametrize(
    ("lokets", "message"),
    [
        (
            [{"counter": 1, "call_pin": 5, "skip_pin": "GPIO5", "recall_pin": 7, "rgb_pins": [1, 2, 3]}],
            "used twice",
        ),
        (quick_lokets([1]) + quick_lokets([1]), "appears twice"),
        ([{"counter": 1, "call_pin": 5, "skip_pin": 6, "recall_pin": 7, "green_pin": 8}], "amber_pin"),
        (
            [
                {
                    "counter": 1,
                    "call_pin": 5,
                    "skip_pin": 6,
                    "recall_pin": 7,
                    "green_pin": 8,
                    "rgb_pins": [9, 10, 11],
                }
            ],
            "not both",
        ),
        ([{"counter": 0, "call_pin": 5, "skip_pin": 6, "recall_pin": 7, "rgb_pins": [9, 10, 11]}], "counter"),
        ([{"counter": 1, "call": 5}], "unknown key"),
    ],
)
def test_bad_lokets_are_refused_naming_the_problem(lokets: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(CounterConfig, None, env={}, overrides={"lokets": lokets})


def test_environment_overrides_and_unknown_keys(tmp_path: Path) -> None:
    config = load_config(
        CounterConfig, None, env={"ANTREAN_BUTTONS_SKIP_HOLD_S": "1.5", "ANTREAN_SITE": "pkm2"}
    )
    assert config.buttons.skip_hold_s == 1.5 and config.site == "pkm2"
    bad = tmp_path / "counter.toml"
    bad.write_text("[buttons]\nhold = 1\n")
    with pytest.raises(ConfigError, match=r"buttons\.hold: unknown key"):
        load_config(CounterConfig, bad, env={})


def test_the_provisioning_example_is_complete_and_valid() -> None:
    config = load_config(CounterConfig, ROOT / "provisioning" / "counter.example.toml", env={})
    assert len(config.lokets) >= 2
    assert any(loket.rgb_pins for loket in config.lokets)
    assert any(loket.buzzer_pin for loket in config.lokets)


def test_every_key_is_described() -> None:
    from antrean.config import describe_config

    table = describe_config(CounterConfig, "Counter node")
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert rows and all(not line.rstrip().endswith("|  |") for line in rows)
    assert "`buttons.skip_hold_s`" in table and "`lokets`" in table
