"""Pure protocol pieces: signature vectors, AES + LZ-String with astral text, envelope, redaction, breaker."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.bpjs.breaker import CircuitBreaker
from hub.bpjs.crypto import (
    DecryptError,
    decrypt_response,
    encrypt_response,
    from_code_units,
    lz_compress,
    lz_decompress,
    response_key,
    to_code_units,
)
from hub.bpjs.envelope import EnvelopeError, parse_envelope
from hub.bpjs.redact import redact_body, redact_path, redact_text
from hub.bpjs.signing import Credentials, authorization, hmac_sha256_b64, signature, signed_headers


def test_signature_vectors_from_the_fact_sheet() -> None:
    assert hmac_sha256_b64("bbb", "aaa") == "20BKS3PWnD3XU4JbSSZvVlGi2WWnDa8Sv9uHJ+wsELA="
    assert signature("1234", "pwd", "433223232") == "eXMtvX2r7e7CLCIu3kpEpCrvciZgK8FuOhKv06NDAHk="


def test_authorization_carries_app_code_095() -> None:
    header = authorization("pkm", "sandi")
    assert header.startswith("Basic ")
    assert base64.b64decode(header[6:]).decode() == "pkm:sandi:095"


def test_headers_are_signed_for_the_given_timestamp() -> None:
    creds = Credentials("1234", "pwd", "uk", "pkm", "sandi")
    headers = signed_headers(creds, "433223232")
    assert headers["X-cons-id"] == "1234"
    assert headers["X-timestamp"] == "433223232"
    assert headers["X-signature"] == "eXMtvX2r7e7CLCIu3kpEpCrvciZgK8FuOhKv06NDAHk="
    assert headers["user_key"] == "uk"
    assert "pwd" not in repr(creds) and "sandi" not in repr(creds)


def test_response_key_is_sha256_of_cons_secret_timestamp() -> None:
    import hashlib

    assert response_key("1234", "pwd", "433223232") == hashlib.sha256(b"1234pwd433223232").digest()


def test_astral_characters_travel_as_surrogate_pairs() -> None:
    text = "TAN 𠮷 🌺"
    units = to_code_units(text)
    assert len(units) == len(text) + 2  # two astral characters, each two UTF-16 code units
    assert 0xD800 <= ord(units[4]) <= 0xDBFF
    assert from_code_units(units) == text
    assert lz_decompress(lz_compress(text)) == text


def test_lz_string_matches_the_javascript_output_for_bmp_text() -> None:
    # lz-string's own test vector: compressToEncodedURIComponent("Hello, world")
    assert lz_compress("Hello, world") == "BIUwNmD2A0AEDukBOYAmQ"


KEY = response_key("1234", "pwd", "1700000000")


@pytest.mark.parametrize(
    "text",
    [
        '{"nama": "BUDI SANTOSO"}',
        '{"nama": "NI WAYAN SÉKAR ÇAHYANI ‘AYU’"}',
        '{"nama": "TAN 𠮷 MEI LING 🌺 陈美玲"}',
        json.dumps({"list": [{"kdPoli": f"{i:03d}", "nmPoli": "POLI 😷" * 3} for i in range(60)]}),
    ],
)
def test_encrypt_decrypt_round_trip(text: str) -> None:
    assert decrypt_response(encrypt_response(text, KEY), KEY) == text


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_any_text_round_trips_including_astral(text: str) -> None:
    assert decrypt_response(encrypt_response(text, KEY), KEY) == text


def test_wrong_key_is_a_decryption_failure() -> None:
    cipher = encrypt_response('{"a": 1}', KEY)
    with pytest.raises(DecryptError):
        decrypt_response(cipher, response_key("1234", "pwd", "1700000001"))


@pytest.mark.parametrize("garbage", ["not base64!!", "", "QUJD", base64.b64encode(bytes(32)).decode()])
def test_garbage_is_a_decryption_failure(garbage: str) -> None:
    with pytest.raises(DecryptError):
        decrypt_response(garbage, KEY)


def test_empty_decompression_is_a_failure() -> None:
    from Crypto.Cipher import AES
    from Crypto.Util.Padding import pad

    cipher = AES.new(KEY, AES.MODE_CBC, iv=KEY[:16]).encrypt(pad(b"$$$$", 16))
    with pytest.raises(DecryptError):
        decrypt_response(base64.b64encode(cipher).decode(), KEY)


def test_envelope_spellings_and_codes() -> None:
    body = b'{"metaData": {"code": 200, "message": "OK"}, "response": "abc"}'
    assert parse_envelope(body, 200).response == "abc"
    lower = parse_envelope(b'{"metadata": {"code": "201", "message": "Gagal"}, "response": null}', 200)
    assert (lower.code, lower.message, lower.ok) == (201, "Gagal", True)
    error = parse_envelope(b'{"metaData": {"code": "500", "message": "Internal"}, "response": null}', 500)
    assert (error.code, error.http_status, error.ok) == (500, 500, False)


@pytest.mark.parametrize(
    "body", [b"<html>502 Bad Gateway</html>", b"[]", b'{"response": 1}', b'{"metaData": {"code": "x"}}']
)
def test_non_envelopes_are_refused(body: bytes) -> None:
    with pytest.raises(EnvelopeError):
        parse_envelope(body, 502)


def test_redaction_hides_personal_data_and_secrets() -> None:
    body = {
        "noKartu": "0001234567890",
        "nama": "BUDI SANTOSO",
        "noKTP": "3509123456780001",
        "tglLahir": "15-01-1990",
        "keluhan": "Demam",
        "kdPoli": "001",
        "password": "sandi",
        "list": [{"peserta": {"noKartu": "0005678901234", "nama": "AHMAD"}}],
    }
    text = json.dumps(redact_body(body))
    for secret in ("0001234567890", "BUDI", "3509123456780001", "15-01-1990", "Demam", "sandi", "AHMAD"):
        assert secret not in text
    assert '"kdPoli": "001"' in text and "*********7890" in text
    assert redact_path("pendaftaran/peserta/0001234567890/tglDaftar/26-02-2026/noUrut/A2/kdPoli/001") == (
        "pendaftaran/peserta/*********7890/tglDaftar/26-02-2026/noUrut/A2/kdPoli/001"
    )
    assert redact_text("kartu 0001234567890 ditolak") == "kartu *********7890 ditolak"


def test_breaker_opens_then_lets_one_trial_through() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=3, reset_after_s=30, clock=lambda: now[0])
    for _ in range(2):
        breaker.record_failure()
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 31
    assert breaker.allow() and not breaker.allow()
    breaker.record_failure()  # the trial failed: open again
    assert breaker.state == "open"
    now[0] = 62
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()
