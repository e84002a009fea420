"""``python -m firmware.counter_button``: the same as ``antrean counter``."""

from firmware.counter_button.cli import main

raise SystemExit(main())
