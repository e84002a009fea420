"""Drives the real kiosk UI like a finger: pygame touch/mouse events at the buttons the screen shows."""

from __future__ import annotations

import time
from collections.abc import Callable

import pygame

from firmware.kiosk_node.app import KioskApp
from firmware.kiosk_node.flow import Screen


def pump(app: KioskApp, until: Callable[[], object], timeout: float = 5.0) -> None:
    """Run the kiosk's loop until ``until()`` is true; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError(f"kiosk stuck on {app.flow.screen} after {timeout} s")
        app.step(20)


def center(app: KioskApp, button_id: str) -> tuple[int, int]:
    assert app.scene is not None
    box = app.scene.button(button_id).box
    return box.x + box.w // 2, box.y + box.h // 2


def tap(app: KioskApp, button_id: str, *, finger: bool = True) -> None:
    """One touch on ``button_id`` (a FINGERDOWN with SDL's mouse copy, or a plain mouse click)."""
    app.redraw()
    x, y = center(app, button_id)
    if finger:
        w, h = app.surface.get_size()  # type: ignore[union-attr]
        pygame.event.post(pygame.event.Event(pygame.FINGERDOWN, x=x / w, y=y / h, touch_id=1, finger_id=0))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=True))
    else:
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=False))
    app.step(20)


def walk_to_confirm(app: KioskApp, category: str = "umum", poly: str = "A") -> None:
    pump(app, lambda: app.flow.screen == Screen.START)
    tap(app, category)
    if category == "prioritas":
        tap(app, "reason:lansia")
    tap(app, "pay:bpjs")
    tap(app, f"poly:{poly}")
    assert app.flow.screen == Screen.CONFIRM
