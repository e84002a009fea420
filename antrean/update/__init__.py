"""``antrean update``: releases side by side under a root (one venv per release, a ``current`` link),
switched atomically, health-checked after the restart and rolled back by themselves. See docs/deploy.md."""
