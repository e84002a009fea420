"""The thin gpiozero layer of a loket: three buttons in, one light (and an optional buzzer) out.

Everything here only forwards: button edges go to callbacks, a colour goes to the pins. The pin factory is
gpiozero's: real pins on a Pi, ``MockFactory`` in tests and in ``--simulate``.

>>> from gpiozero.pins.mock import MockFactory
>>> from firmware.counter_button.config import LoketConfig, LightsConfig
>>> loket = LoketConfig(counter=1, call_pin=5, skip_pin=6, recall_pin=13, rgb_pins=(17, 27, 22))
>>> light = LoketLight(loket, LightsConfig(), pin_factory=MockFactory())
>>> light.show("amber")
>>> light.rgb.value
(1, 1, 0)
>>> light.close()
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gpiozero import LED, RGBLED, Button, Buzzer
from gpiozero.pins import Factory

from firmware.counter_button.config import ButtonsConfig, LightsConfig, LoketConfig, PinName
from firmware.counter_button.feedback import Color
from firmware.counter_button.machine import ACTIONS, Action

logger = logging.getLogger(__name__)

Edge = Callable[[Action], None]

# An RGB LED without PWM mixes amber from full red and green.
RGB_VALUES: dict[Color | None, tuple[int, int, int]] = {
    None: (0, 0, 0),
    "green": (0, 1, 0),
    "amber": (1, 1, 0),
    "red": (1, 0, 0),
}


class LoketLight:
    """Three single LEDs (green, amber, red) or one RGB LED, plus an optional buzzer that sounds with red."""

    def __init__(
        self, loket: LoketConfig, lights: LightsConfig, *, pin_factory: Factory | None = None
    ) -> None:
        self.rgb: RGBLED | None = None
        self.leds: dict[Color, LED] = {}
        if loket.rgb_pins is not None:
            red, green, blue = loket.rgb_pins
            self.rgb = RGBLED(
                red, green, blue, active_high=lights.active_high, pwm=False, pin_factory=pin_factory
            )
        else:
            pins: dict[Color, PinName | None] = {
                "green": loket.green_pin,
                "amber": loket.amber_pin,
                "red": loket.red_pin,
            }
            self.leds = {
                color: LED(pin, active_high=lights.active_high, pin_factory=pin_factory)
                for color, pin in pins.items()
                if pin is not None
            }
        self.buzzer: Buzzer | None = None
        if loket.buzzer_pin is not None:
            self.buzzer = Buzzer(
                loket.buzzer_pin, active_high=lights.buzzer_active_high, pin_factory=pin_factory
            )

    def show(self, color: Color | None) -> None:
        if self.rgb is not None:
            self.rgb.value = RGB_VALUES[color]
        for led_color, led in self.leds.items():
            led.value = led_color == color
        if self.buzzer is not None:
            self.buzzer.value = color == "red"

    def close(self) -> None:
        for device in [self.rgb, self.buzzer, *self.leds.values()]:
            if device is not None:
                device.close()


class LoketButtons:
    """CALL, SKIP and RECALL of one loket; each edge is forwarded as ``callback(action)``."""

    def __init__(
        self,
        loket: LoketConfig,
        buttons: ButtonsConfig,
        *,
        pressed: Edge,
        released: Edge,
        held: Edge,
        pin_factory: Factory | None = None,
    ) -> None:
        pins: dict[Action, object] = {
            "call": loket.call_pin,
            "skip": loket.skip_pin,
            "recall": loket.recall_pin,
        }
        holds = buttons.holds()
        self.buttons: dict[Action, Button] = {}
        for action in ACTIONS:
            # Debouncing is done in software by the loket machine, the same on every pin factory.
            button = Button(
                pins[action],
                pull_up=buttons.pull_up,
                bounce_time=None,
                hold_time=holds[action] or 1.0,
                pin_factory=pin_factory,
            )
            button.when_pressed = _bind(pressed, action)
            button.when_released = _bind(released, action)
            if holds[action] > 0:
                button.when_held = _bind(held, action)
            self.buttons[action] = button

    def close(self) -> None:
        for button in self.buttons.values():
            button.close()


def _bind(callback: Edge, action: Action) -> Callable[[], None]:
    def forward() -> None:
        callback(action)

    return forward
