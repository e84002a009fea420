"""One owner of the call sentence: what the hub sends in ``display/announce`` ``text`` is what the display
says, and the clips a voice pack plays are the words of that sentence."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.display_node.announcer import Announcer, Call
from firmware.display_node.audio import FakeSink
from hub.db.models import Counter, Queue
from hub.dispatch.mapping import announcement
from protocol.speech import DEFAULT_TEMPLATE, NUMBER_WORDS, call_parts, call_tokens, pack_script

LOKET_NAMES = st.sampled_from(["Loket 1", "Loket 2", "Loket 12", "Loket BPJS", "Loket Pendaftaran 3"])


@pytest.mark.slow  # a property test with 300 examples
@settings(max_examples=300, deadline=None)
@given(st.sampled_from("ABCDEP"), st.integers(1, 99_999), st.integers(1, 12), LOKET_NAMES)
def test_hub_text_is_the_display_sentence(prefix: str, seq: int, number: int, name: str) -> None:
    ticket = f"{prefix}-{seq:03d}"
    message = announcement(
        Queue(id=7, queue_number=ticket, queue_category="umum"),
        Counter(number=number, name=name),
        repeat=False,
    )
    text, clip = Announcer(None, FakeSink()).voice(Call.of(message))
    assert clip is None
    assert message.text == text
    # the tokens are the words of that sentence, letters by their Indonesian names
    spoken_words = [t.text.lower() for t in call_tokens(ticket, name)]
    assert spoken_words == [w.strip(",.").lower() for w in text.split()]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from("ABCDEP"), st.integers(0, 99_999), st.integers(1, 6))
def test_a_pack_recorded_from_the_script_speaks_every_number(prefix: str, seq: int, loket: int) -> None:
    script = {t.key for t in pack_script(list("ABCDEP"), [f"Loket {n}" for n in range(1, 7)])}
    assert {t.key for t in call_tokens(f"{prefix}-{seq}", f"Loket {loket}")} <= script


def test_the_script_is_short_and_named_for_people() -> None:
    script = pack_script(["A", "P"], ["Loket 1", "Loket 2"])
    keys = [t.key for t in script]
    assert keys[:4] == ["nomor", "antrean", "silakan", "menuju"]
    assert ("huruf-p", "Pe") in [(t.key, t.text) for t in script]
    assert set(NUMBER_WORDS) <= set(keys) and len(keys) == len(set(keys)) == 4 + 2 + 18 + 1


def test_parts_group_tokens_into_phrases() -> None:
    parts = call_parts(DEFAULT_TEMPLATE, "B-115", "Loket 2")
    assert [[t.key for t in p.tokens] for p in parts] == [
        ["nomor", "antrean"],
        ["huruf-b"],
        ["seratus", "lima", "belas"],
        ["silakan", "menuju"],
        ["loket", "dua"],
    ]
