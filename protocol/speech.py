"""What a call says, the one owner of the sentence: ticket number + loket → the Indonesian sentence, its
parts (phrases a speech engine synthesizes) and each part's tokens (the keys of a voice pack's clips).

The hub puts :func:`call_sentence` in ``display/announce`` ``text``; the display speaks :func:`call_parts`
of the same template, from synthesized phrases or from a recorded voice pack's clips (``Part.tokens``).

>>> parts = call_parts(DEFAULT_TEMPLATE, "P-003", "Loket 1")
>>> [p.text for p in parts]
['Nomor antrean,', 'Pe,', 'tiga.', 'Silakan menuju', 'loket satu.']
>>> sentence(parts)
'Nomor antrean, Pe, tiga. Silakan menuju loket satu.'
>>> [t.key for t in parts[1].tokens + parts[2].tokens + parts[4].tokens]
['huruf-p', 'tiga', 'loket', 'satu']
>>> call_sentence("A-115", "Loket 2")
'Nomor antrean, A, seratus lima belas. Silakan menuju loket dua.'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from num2words import num2words

DEFAULT_TEMPLATE = "Nomor antrean, {huruf}, {nomor}. Silakan menuju {loket}."
PLACEHOLDERS = ("huruf", "nomor", "loket")
# Every word num2words uses for 0..99,999 in Indonesian: a voice pack with these speaks any ticket number.
NUMBER_WORDS = (
    "nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
    "sepuluh", "sebelas", "belas", "puluh", "seratus", "ratus", "seribu", "ribu",
)  # fmt: skip
_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FIELD = re.compile(r"\{(\w*)\}")

# How Indonesians say the letters of the alphabet: "Pe" is heard as P where "P" alone may be swallowed.
LETTER_NAMES: dict[str, str] = {
    "A": "A",
    "B": "Be",
    "C": "Ce",
    "D": "De",
    "E": "E",
    "F": "Ef",
    "G": "Ge",
    "H": "Ha",
    "I": "I",
    "J": "Je",
    "K": "Ka",
    "L": "El",
    "M": "Em",
    "N": "En",
    "O": "O",
    "P": "Pe",
    "Q": "Ki",
    "R": "Er",
    "S": "Es",
    "T": "Te",
    "U": "U",
    "V": "Ve",
    "W": "We",
    "X": "Eks",
    "Y": "Ye",
    "Z": "Zet",
}


@dataclass(frozen=True)
class Token:
    """One word of a call: ``key`` names its clip in a voice pack (``[a-z0-9-]``), ``text`` is said."""

    key: str
    text: str


@dataclass(frozen=True)
class Part:
    """One phrase of a call: ``text`` is synthesized; ``kind`` says whether it repeats across calls;
    ``tokens`` are its words, the clips a voice pack assembles it from."""

    text: str
    kind: str  # "fixed" | "huruf" | "nomor" | "loket"
    tokens: tuple[Token, ...] = ()


def is_key(key: str) -> bool:
    """True for a well-formed clip key (``tiga``, ``huruf-p``)."""
    return _KEY.fullmatch(key) is not None


def word_tokens(text: str) -> tuple[Token, ...]:
    """``Silakan menuju`` → tokens ``silakan``, ``menuju`` (punctuation dropped, lower case keys)."""
    tokens = []
    for word in re.findall(r"[^\W_]+", text):
        key = word.lower()
        if is_key(key):
            tokens.append(Token(key, word))
    return tuple(tokens)


def letter_tokens(letters: str) -> tuple[Token, ...]:
    """``KB`` → ``huruf-k`` (Ka), ``huruf-b`` (Be)."""
    return tuple(
        Token(f"huruf-{ch.lower()}", LETTER_NAMES[ch.upper()]) for ch in letters if ch.upper() in LETTER_NAMES
    )


def check_template(template: str) -> str:
    """The template itself if every placeholder is known, else ValueError naming the bad one."""
    for name in _FIELD.findall(template):
        if name not in PLACEHOLDERS:
            raise ValueError(
                f"unknown placeholder {{{name}}}; use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
            )
    if "{nomor}" not in template:
        raise ValueError("the template must contain {nomor}")
    return template


def number_words(value: int) -> str:
    """``3`` → ``tiga``; ``1234`` → ``seribu dua ratus tiga puluh empat``; huge numbers digit by digit."""
    try:
        return str(num2words(value, lang="id"))
    except OverflowError:
        return " ".join(str(num2words(int(digit), lang="id")) for digit in str(value))


def spell_letters(letters: str) -> str:
    """``P`` → ``Pe``; ``AB`` → ``A, Be``: each letter by its Indonesian name."""
    return ", ".join(LETTER_NAMES.get(ch.upper(), ch) for ch in letters if ch.strip())


def numbers_in_words(text: str) -> str:
    """``Loket 1`` → ``loket satu``; ``Loket 12B`` → ``loket dua belas, Be``."""

    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.isdigit():
            return " " + number_words(int(token)) + " "
        return " " + spell_letters(token) + " "

    spoken = re.sub(r"\d+|(?<=\d)[A-Za-z]+\b|\b[A-Z]\b", word, text)
    return re.sub(r"\s+", " ", spoken).strip().lower()


def split_ticket(ticket_number: str) -> tuple[str, int | None]:
    """``P-003`` → (``P``, 3); a number without a prefix gives (``""``, n); junk gives (text, None)."""
    match = re.fullmatch(r"\s*([A-Za-z]*)[-\s]?0*(\d+)\s*", ticket_number)
    if not match:
        return ticket_number.strip(), None
    return match.group(1).upper(), int(match.group(2))


def _sentence_end(text: str, following: str) -> str:
    """Close a value part with the punctuation that follows it in the template (for prosody)."""
    stripped = following.lstrip()
    if stripped[:1] in (".", ",", "!", "?"):
        return text + stripped[0]
    return text


def call_parts(template: str, ticket_number: str, counter_name: str) -> list[Part]:
    """The parts of the call sentence for ``ticket_number`` at ``counter_name``, in speaking order."""
    prefix, seq = split_ticket(ticket_number)
    values = {
        "huruf": spell_letters(prefix) if prefix else "",
        "nomor": number_words(seq) if seq is not None else numbers_in_words(ticket_number),
        "loket": numbers_in_words(counter_name),
    }
    ascii_prefix = prefix.isascii() and prefix.isalpha()
    tokens = {
        "huruf": letter_tokens(prefix) if ascii_prefix else word_tokens(values["huruf"]),
        "nomor": word_tokens(values["nomor"]),
        "loket": word_tokens(values["loket"]),
    }
    parts: list[Part] = []
    pieces = _FIELD.split(template)  # literal, name, literal, name, ..., literal
    for index, piece in enumerate(pieces):
        if index % 2 == 1:
            value = values[piece]
            if value:
                following = pieces[index + 1] if index + 1 < len(pieces) else ""
                parts.append(Part(_sentence_end(value, following), piece, tokens[piece]))
            continue
        literal = piece.strip().lstrip(".,!?").strip() if index > 0 else piece.strip()
        if literal and any(ch.isalnum() for ch in literal):
            parts.append(Part(literal, "fixed", word_tokens(literal)))
    if values["huruf"] == "":
        return [p for p in parts if p.kind != "huruf"]
    return parts


def sentence(parts: list[Part]) -> str:
    """The whole call as one line of text (printed and logged)."""
    return " ".join(part.text for part in parts)


def call_sentence(ticket_number: str, counter_name: str, template: str = DEFAULT_TEMPLATE) -> str:
    """The sentence the hub sends in ``display/announce`` ``text``: the display speaks the same."""
    return sentence(call_parts(template, ticket_number, counter_name))


def call_tokens(ticket_number: str, counter_name: str, template: str = DEFAULT_TEMPLATE) -> list[Token]:
    """Every word of the call in speaking order: the clips a voice pack plays."""
    return [token for part in call_parts(template, ticket_number, counter_name) for token in part.tokens]


def pack_script(
    prefixes: list[str], counter_names: list[str], template: str = DEFAULT_TEMPLATE
) -> list[Token]:
    """Every clip a voice pack needs to speak any number 0..99,999 with these prefixes at these lokets:
    the template's words, the letters, the number words, the words of the loket names (no repeats)."""
    tokens: list[Token] = []
    for part in call_parts(template, "A-1", counter_names[0] if counter_names else "Loket 1"):
        if part.kind == "fixed":
            tokens += part.tokens
    tokens += letter_tokens("".join(prefixes))
    tokens += [Token(word, word) for word in NUMBER_WORDS]
    for name in counter_names:
        tokens += word_tokens(numbers_in_words(name))
    unique: dict[str, Token] = {}
    for token in tokens:
        unique.setdefault(token.key, token)
    return list(unique.values())


def warm_texts(template: str, counter_names: list[str], prefixes: list[str], numbers: int) -> list[str]:
    """Every part worth synthesizing at start: fixed words, letters, loket names, numbers 1..``numbers``."""
    texts: list[str] = []
    probe = call_parts(template, "A-1", counter_names[0] if counter_names else "Loket 1")
    texts += [p.text for p in probe if p.kind == "fixed"]
    kinds = {p.kind: p for p in probe}
    pieces = _FIELD.split(template)

    def closed(kind: str, value: str) -> str:
        position = pieces.index(kind) if kind in pieces else -1
        following = pieces[position + 1] if 0 <= position < len(pieces) - 1 else ""
        return _sentence_end(value, following)

    if "huruf" in kinds:
        letters = prefixes or ["A", "B", "C", "D", "E", "P"]
        texts += [closed("huruf", spell_letters(prefix)) for prefix in letters]
    texts += [closed("nomor", number_words(n)) for n in range(1, numbers + 1)]
    if "loket" in kinds:
        texts += [closed("loket", numbers_in_words(name)) for name in counter_names]
    return list(dict.fromkeys(texts))  # without repeats, in order
