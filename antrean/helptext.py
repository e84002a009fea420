"""Help texts from docstrings, without their reStructuredText markup (``antrean demo --help`` is read in
a terminal, not rendered by Sphinx)."""

from __future__ import annotations

import re

_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


def plain(doc: str | None, *, first_paragraph: bool = False) -> str:
    """``doc`` as plain text: inline literals and roles unwrapped, ``Usage::`` ends with one colon.

    >>> plain("``antrean demo``: see :func:`main`.\\n\\nUsage::\\n\\n    antrean demo")
    'antrean demo: see main.\\n\\nUsage:\\n\\n    antrean demo'
    >>> plain("First.\\n\\nSecond.", first_paragraph=True)
    'First.'
    """
    text = (doc or "").strip()
    if first_paragraph:
        text = text.split("\n\n", 1)[0]
    text = _ROLE.sub(r"\1", text)
    text = _LITERAL.sub(r"\1", text)
    return re.sub(r"::$", ":", text, flags=re.MULTILINE)
