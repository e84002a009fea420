"""Benchmarks of each role, run with ``antrean bench ROLE [--record]`` (see :mod:`antrean.bench`).

They live outside the runtime packages: nothing a node or the hub runs imports them."""
