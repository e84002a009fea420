"""The public classes a user touches keep a runnable example in their docstrings.

pytest runs every docstring example of every package (``--doctest-modules`` in pyproject.toml); this only
checks that the modules below have not lost theirs."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    *(
        f"firmware.counter_button.{name}"
        for name in ("feedback", "config", "machine", "hardware", "node", "simulate")
    ),
    *(
        f"firmware.kiosk_node.{name}"
        for name in ("config", "flow", "layout", "printer", "printsim", "ticket")
    ),
    *(
        f"hub.web.{name}"
        for name in (
            "fields",
            "nik",
            "notify",
            "participant",
            "passwords",
            "sequences",
            "throttle",
            "uploads",
            "urls",
        )
    ),
]


@pytest.mark.parametrize("name", MODULES)
def test_module_has_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    examples = sum(len(test.examples) for test in doctest.DocTestFinder().find(module))
    assert examples > 0, f"{name} has no docstring example"
