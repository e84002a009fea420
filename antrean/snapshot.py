"""A node's screen saved to a PNG every few seconds, so a headless ``antrean demo`` (or a technician over
SSH) can see the kiosk and the TV. The file is replaced atomically: a viewer never reads half a PNG."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pygame


class Snapshots:
    """Saves what :meth:`offer` is given when something changed and ``every_s`` has passed since the
    last save; with no path it does nothing."""

    def __init__(
        self, path: Path | None, every_s: float = 2.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.path = path
        self.every_s = every_s
        self.clock = clock
        self.saved = 0
        self._last = float("-inf")
        self._pending = False

    def offer(self, surface: pygame.Surface | None, changed: bool = True) -> bool:
        """Save ``surface`` if due; True when a file was written."""
        self._pending = self._pending or changed
        if self.path is None or surface is None or not self._pending:
            return False
        now = self.clock()
        if now - self._last < self.every_s:
            return False
        import pygame  # here: importing this module must not load SDL (render-ticket has no screen)

        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.stem}.partial.png")  # pygame picks PNG by the suffix
        pygame.image.save(surface, str(partial))
        os.replace(partial, self.path)
        self._last, self._pending = now, False
        self.saved += 1
        return True
