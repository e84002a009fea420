"""``python -m firmware.display_node`` is ``antrean display``."""

from firmware.display_node.cli import main

raise SystemExit(main())
