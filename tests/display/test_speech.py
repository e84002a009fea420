"""What a call says: template parts, letters, numbers in Indonesian words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.display_node.config import DEFAULT_TEMPLATE, VoiceConfig
from protocol.speech import (
    call_parts,
    check_template,
    number_words,
    numbers_in_words,
    sentence,
    spell_letters,
    split_ticket,
    warm_texts,
)


def test_the_call_of_the_spec() -> None:
    parts = call_parts(DEFAULT_TEMPLATE, "P-003", "Loket 1")
    assert sentence(parts) == "Nomor antrean, Pe, tiga. Silakan menuju loket satu."
    assert [p.kind for p in parts] == ["fixed", "huruf", "nomor", "fixed", "loket"]


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("A-010", "sepuluh"),
        ("B-115", "seratus lima belas"),
        ("D-1187", "seribu seratus delapan puluh tujuh"),
        ("C-200", "dua ratus"),
    ],
)
def test_numbers_in_words(number: str, words: str) -> None:
    parts = call_parts(DEFAULT_TEMPLATE, number, "Loket 2")
    assert parts[2].text == words + "."
    assert parts[4].text == "loket dua."


def test_letters_are_spoken_by_their_names() -> None:
    assert spell_letters("P") == "Pe"
    assert spell_letters("A") == "A"
    assert spell_letters("KB") == "Ka, Be"
    assert numbers_in_words("Loket 12B") == "loket dua belas be"


def test_ticket_numbers_split() -> None:
    assert split_ticket("P-003") == ("P", 3)
    assert split_ticket("a-1024") == ("A", 1024)
    assert split_ticket("17") == ("", 17)
    assert split_ticket("??") == ("??", None)


def test_custom_template_and_no_prefix() -> None:
    template = "Panggilan untuk nomor {huruf} {nomor}, ke {loket}"
    assert sentence(call_parts(template, "P-3", "Loket Pendaftaran 2")) == (
        "Panggilan untuk nomor Pe tiga, ke loket pendaftaran dua"
    )
    assert sentence(call_parts(DEFAULT_TEMPLATE, "17", "Loket 1")) == (
        "Nomor antrean, tujuh belas. Silakan menuju loket satu."
    )


def test_bad_templates_are_refused_by_the_config() -> None:
    with pytest.raises(ValueError, match="unknown placeholder"):
        check_template("Nomor {nomer}")
    with pytest.raises(ValueError, match="must contain"):
        check_template("Silakan menuju {loket}")
    with pytest.raises(ValueError, match="nomer"):
        VoiceConfig(template="Nomor {nomer}")


def test_warm_texts_cover_every_repeating_part() -> None:
    texts = warm_texts(DEFAULT_TEMPLATE, ["Loket 1", "Loket 2"], ["A", "P"], 200)
    assert "Nomor antrean," in texts and "Silakan menuju" in texts
    assert "Pe," in texts and "A," in texts
    assert "loket satu." in texts and "loket dua." in texts
    assert "satu." in texts and "dua ratus." in texts
    assert len(texts) == len(set(texts)) == 2 + 2 + 200 + 2


@given(st.integers(min_value=1, max_value=9999), st.sampled_from("ABCDEP"), st.integers(1, 12))
def test_every_call_is_made_of_cached_parts(seq: int, prefix: str, loket: int) -> None:
    """Whatever is called, every part is one the warm-up produced (numbers up to the warmed range)."""
    warmed = set(warm_texts(DEFAULT_TEMPLATE, [f"Loket {loket}"], [prefix], min(seq, 200)))
    parts = call_parts(DEFAULT_TEMPLATE, f"{prefix}-{seq:03d}", f"Loket {loket}")
    assert parts[2].text == number_words(seq) + "."
    missing = [p.text for p in parts if p.text not in warmed]
    assert missing == ([] if seq <= 200 else [number_words(seq) + "."])


@given(
    st.text(max_size=20) | st.from_regex(r"[A-Z]{0,2}-?[0-9]{1,60}", fullmatch=True),
    st.text(max_size=40) | st.from_regex(r"Loket [0-9]{1,60}[A-Z]?", fullmatch=True),
)
def test_any_ticket_and_loket_name_gives_a_sentence(number: str, loket: str) -> None:
    """Whatever the hub sends, the announcer gets something to say and never an exception."""
    parts = call_parts(DEFAULT_TEMPLATE, number, loket)
    assert parts and all(part.text.strip() for part in parts)
    assert sentence(parts).startswith("Nomor antrean,")
