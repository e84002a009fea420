"""Benchmarks of each role, run with ``antrean bench ROLE [--record]`` (see :mod:`antrean.bench`), and
:mod:`benchmarks.harness` (a real hub process and scripted kiosks), which the tests and ``antrean demo``
use too.

They live outside the runtime packages: nothing a node or the hub runs imports them."""
