"""The examples in the kiosk modules' docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["config", "flow", "layout", "printer", "printsim", "ticket"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"firmware.kiosk_node.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
