"""Configuration of a counter node: which lokets it serves and on which GPIO pins.

>>> cfg = load_config(CounterConfig, None, env={}, overrides={"lokets": quick_lokets([1, 2])})
>>> [(loket.counter, loket.call_pin, loket.skip_pin, loket.recall_pin) for loket in cfg.lokets]
[(1, 'GPIO5', 'GPIO6', 'GPIO13'), (2, 'GPIO19', 'GPIO26', 'GPIO21')]
>>> cfg.buttons.skip_hold_s
0.8
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field, field_validator, model_validator

from antrean.config import ConfigModel, load_config
from antrean.node import NodeConfig

__all__ = ["ButtonsConfig", "CounterConfig", "LightsConfig", "LoketConfig", "load_config", "quick_lokets"]

PinName = int | str

# Default BCM pins of the quick setup (`--counter N`), one slot per loket in the order given.
# Chosen to leave I2C (GPIO2/3), UART (GPIO14/15) and the ID EEPROM (GPIO0/1) free;
# the third slot uses SPI0 pins (SPI is off by default on Raspberry Pi OS).
DEFAULT_SLOTS: tuple[dict[str, Any], ...] = (
    {
        "call_pin": "GPIO5",
        "skip_pin": "GPIO6",
        "recall_pin": "GPIO13",
        "green_pin": "GPIO17",
        "amber_pin": "GPIO27",
        "red_pin": "GPIO22",
    },
    {
        "call_pin": "GPIO19",
        "skip_pin": "GPIO26",
        "recall_pin": "GPIO21",
        "green_pin": "GPIO23",
        "amber_pin": "GPIO24",
        "red_pin": "GPIO25",
    },
    {
        "call_pin": "GPIO20",
        "skip_pin": "GPIO16",
        "recall_pin": "GPIO12",
        "green_pin": "GPIO9",
        "amber_pin": "GPIO10",
        "red_pin": "GPIO11",
    },
)


def quick_lokets(counters: list[int]) -> list[dict[str, Any]]:
    """Loket entries with the default pins for ``counters`` (at most one per default slot)."""
    if len(counters) > len(DEFAULT_SLOTS):
        raise ValueError(
            f"the quick setup has default pins for {len(DEFAULT_SLOTS)} lokets; "
            f"use a config file for {len(counters)}"
        )
    return [{"counter": n, **slot} for n, slot in zip(counters, DEFAULT_SLOTS, strict=False)]


def _pin_key(pin: PinName) -> str:
    """One spelling per BCM pin, so GPIO5, BCM5 and 5 count as the same pin."""
    text = str(pin).upper()
    for prefix in ("GPIO", "BCM"):
        if text.startswith(prefix) and text[len(prefix) :].isdigit():
            return str(int(text[len(prefix) :]))
    return text


class ButtonsConfig(ConfigModel):
    pull_up: bool = Field(
        True,
        description="true: buttons connect the pin to GND (internal pull-up); false: to 3V3 (pull-down)",
    )
    bounce_ms: int = Field(
        30, ge=0, le=500, description="Contact bounce: edges this soon after the previous edge are ignored"
    )
    call_hold_s: float = Field(0.0, ge=0, le=5, description="How long CALL must be held (0: acts on press)")
    skip_hold_s: float = Field(
        0.8, ge=0, le=5, description="How long SKIP must be held, so a brush does not mark a patient absent"
    )
    recall_hold_s: float = Field(
        0.0, ge=0, le=5, description="How long RECALL must be held (0: acts on press)"
    )

    def holds(self) -> dict[str, float]:
        """Hold time per action (``call``, ``skip``, ``recall``)."""
        return {"call": self.call_hold_s, "skip": self.skip_hold_s, "recall": self.recall_hold_s}


class LightsConfig(ConfigModel):
    active_high: bool = Field(
        True,
        description="true: a pin at 3V3 lights the LED (LED to GND); false: common-anode RGB or LED to 3V3",
    )
    buzzer_active_high: bool = Field(True, description="true: the buzzer sounds when its pin is high")


class LoketConfig(ConfigModel):
    counter: int = Field(ge=1, le=99, description="Loket number at the hub (counter/{n}/...)")
    call_pin: PinName = Field(description="CALL (Panggil) button pin, e.g. GPIO5")
    skip_pin: PinName = Field(description="SKIP (Lewati) button pin")
    recall_pin: PinName = Field(description="RECALL (Panggil ulang) button pin")
    green_pin: PinName | None = Field(None, description="Green LED pin (three single LEDs)")
    amber_pin: PinName | None = Field(None, description="Amber LED pin (three single LEDs)")
    red_pin: PinName | None = Field(None, description="Red LED pin (three single LEDs)")
    rgb_pins: tuple[PinName, PinName, PinName] | None = Field(
        None, description="Red, green, blue pins of one RGB LED, instead of the three single LEDs"
    )
    buzzer_pin: PinName | None = Field(None, description="Optional active buzzer: beeps with the red signals")

    @model_validator(mode="after")
    def _one_kind_of_light(self) -> Self:
        singles = (self.green_pin, self.amber_pin, self.red_pin)
        if self.rgb_pins is not None:
            if any(pin is not None for pin in singles):
                raise ValueError("set either rgb_pins or green_pin/amber_pin/red_pin, not both")
        elif any(pin is None for pin in singles):
            raise ValueError("set green_pin, amber_pin and red_pin (or rgb_pins for one RGB LED)")
        return self

    def pins(self) -> list[PinName]:
        lights = [*(self.rgb_pins or ()), self.green_pin, self.amber_pin, self.red_pin]
        pins = [self.call_pin, self.skip_pin, self.recall_pin, *lights, self.buzzer_pin]
        return [pin for pin in pins if pin is not None]


class CounterConfig(NodeConfig):
    node_id: str = Field("counter-1", description="This node's id, unique on the site (e.g. counter-1)")
    reply_timeout_s: float = Field(
        3.0, gt=0, le=30, description="A press with no hub reply within this many seconds shows the error"
    )
    buttons: ButtonsConfig = Field(ButtonsConfig(), description="Button wiring and timing")
    lights: LightsConfig = Field(LightsConfig(), description="LED and buzzer wiring")
    lokets: list[LoketConfig] = Field(
        # plain dicts, validated like a config file's tables, so docs/configuration.md shows plain values
        default_factory=lambda: quick_lokets([1]),  # type: ignore[arg-type]
        min_length=1,
        description="The lokets this node serves: one [[lokets]] table each (default: loket 1, slot-1 pins)",
    )

    @field_validator("lokets")
    @classmethod
    def _distinct(cls, lokets: list[LoketConfig]) -> list[LoketConfig]:
        counters = [loket.counter for loket in lokets]
        if len(set(counters)) != len(counters):
            raise ValueError(f"a loket appears twice: {counters}")
        seen: dict[str, int] = {}
        for loket in lokets:
            for pin in loket.pins():
                key = _pin_key(pin)
                if key in seen:
                    raise ValueError(f"pin {pin} is used twice (loket {seen[key]} and loket {loket.counter})")
                seen[key] = loket.counter
        return lokets
