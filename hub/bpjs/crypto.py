"""Response encryption of the BPJS gateway (pure): AES-256-CBC over LZ-String.

The gateway compresses the JSON text with LZ-String (``compressToEncodedURIComponent``), which works on
UTF-16 code units, then encrypts with AES-256-CBC keyed by SHA-256(cons_id + secret + timestamp) and
IV = the first 16 bytes of that key. Characters outside the Basic Multilingual Plane travel as surrogate
pairs, so text is split into code units before compressing and joined again after decompressing.

>>> key = response_key("1234", "pwd", "433223232")
>>> decrypt_response(encrypt_response('{"nama": "TAN 𠮷"}', key), key)
'{"nama": "TAN 𠮷"}'
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import lzstring
from Crypto.Cipher import AES
from Crypto.Util.Padding import pad, unpad
from lzstring import LZString


class DecryptError(ValueError):
    """The response could not be decrypted or decompressed (wrong key, garbled cipher, bad padding)."""


def response_key(cons_id: str, secret: str, timestamp: str) -> bytes:
    """The 32-byte AES key of a response: SHA-256 of ``cons_id + secret + timestamp``."""
    return hashlib.sha256(f"{cons_id}{secret}{timestamp}".encode()).digest()


def to_code_units(text: str) -> str:
    """``text`` as UTF-16 code units, one Python character each (astral characters become two)."""
    raw = text.encode("utf-16-le", "surrogatepass")
    return "".join(chr(int.from_bytes(raw[i : i + 2], "little")) for i in range(0, len(raw), 2))


def from_code_units(units: str) -> str:
    """Inverse of :func:`to_code_units`: joins surrogate pairs back into characters."""
    if all(ord(char) < 0xD800 or ord(char) > 0xDFFF for char in units):
        return units
    raw = b"".join(ord(char).to_bytes(2, "little") for char in units)
    try:
        return raw.decode("utf-16-le", "surrogatepass")
    except UnicodeDecodeError as error:  # pragma: no cover - surrogatepass accepts any unit
        raise DecryptError("decompressed text is not valid UTF-16") from error


def lz_compress(text: str) -> str:
    """LZ-String ``compressToEncodedURIComponent`` of ``text`` (astral-safe)."""
    result: str = LZString.compressToEncodedURIComponent(to_code_units(text))
    return result


_URI_VALUES = {char: value for value, char in enumerate(lzstring.keyStrUriSafe)}


def lz_decompress(compressed: str) -> str:
    """LZ-String ``decompressFromEncodedURIComponent``; raises :class:`DecryptError` on bad input.

    Calls the package's decoder with a precomputed alphabet table: its public wrapper rebuilds the table
    for every character, which makes decryption three times slower (see docs/benchmarks.md)."""
    text = compressed.replace(" ", "+")
    try:
        units = lzstring._decompress(len(text), 32, lambda index: _URI_VALUES[text[index]])
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise DecryptError("LZ-String decompression failed") from error
    if not units:
        raise DecryptError("LZ-String decompression gave nothing")
    return from_code_units(units)


def encrypt_response(text: str, key: bytes) -> str:
    """What the gateway sends as ``response``: base64(AES-256-CBC(LZ-String(text))). Used by the simulator."""
    cipher = AES.new(key, AES.MODE_CBC, iv=key[:16])
    compressed = lz_compress(text).encode("ascii")
    return base64.b64encode(cipher.encrypt(pad(compressed, AES.block_size))).decode("ascii")


def decrypt_response(response: str, key: bytes) -> str:
    """Decrypt a ``response`` string to its JSON text; raises :class:`DecryptError` on any failure."""
    try:
        data = base64.b64decode(response, validate=True)
    except (binascii.Error, ValueError) as error:
        raise DecryptError("response is not base64") from error
    if not data or len(data) % AES.block_size:
        raise DecryptError("cipher text length is not a multiple of the AES block")
    cipher = AES.new(key, AES.MODE_CBC, iv=key[:16])
    try:
        compressed = unpad(cipher.decrypt(data), AES.block_size).decode("ascii")
    except (ValueError, UnicodeDecodeError) as error:
        raise DecryptError("bad padding or non-ASCII plain text (wrong key?)") from error
    return lz_decompress(compressed)
