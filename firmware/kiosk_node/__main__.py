"""``python -m firmware.kiosk_node`` is ``antrean kiosk``."""

from firmware.kiosk_node.cli import main

raise SystemExit(main())
