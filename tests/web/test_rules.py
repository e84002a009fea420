"""Pure rules: NIK, password policy, RM number patterns, file sniffing, form parsing, URL input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from hub.web.fields import Form
from hub.web.nik import nik_for, nik_problem
from hub.web.passwords import hash_password, password_problems, verify_password
from hub.web.sequences import render_rm, rm_pattern_problem
from hub.web.uploads import UploadError, resolve, sniff, store
from hub.web.urls import MAX_ID, db_int, local_path


def test_nik_consistent_with_birth_date_and_sex() -> None:
    assert nik_problem("3509011503950001", date(1995, 3, 15), "L") is None
    assert nik_problem("3509015503950001", date(1995, 3, 15), "P") is None  # women: day + 40


@pytest.mark.parametrize(
    ("nik", "born", "sex", "fragment"),
    [
        ("350901150395001", date(1995, 3, 15), "L", "16 digit"),
        ("35090115039500a1", date(1995, 3, 15), "L", "16 digit"),
        ("0509011503950001", date(1995, 3, 15), "L", "provinsi"),
        ("3509013213950001", None, None, "Tanggal lahir dalam NIK"),
        ("3509011503950000", date(1995, 3, 15), "L", "0000"),
        ("3509011603950001", date(1995, 3, 15), "L", "tanggal lahir"),
        ("3509011503960001", date(1995, 3, 15), "L", "tanggal lahir"),
        ("3509015503950001", date(1995, 3, 15), "L", "jenis kelamin"),
        ("3509011503950001", date(1995, 3, 15), "P", "jenis kelamin"),
    ],
)
def test_nik_problems(nik: str, born: date | None, sex: str | None, fragment: str) -> None:
    problem = nik_problem(nik, born, sex)
    assert problem is not None and fragment in problem


@given(st.dates(min_value=date(1920, 1, 1), max_value=date(2030, 12, 31)), st.sampled_from("LP"))
def test_generated_niks_validate(born: date, sex: str) -> None:
    nik = nik_for("350901", born, sex, 7)
    assert nik_problem(nik, born, sex) is None
    other = "P" if sex == "L" else "L"
    assert nik_problem(nik, born, other) is not None


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Rahasia#2026", True),
        ("pendek1!", True),
        ("abc12!", False),
        ("abcdefgh1", False),
        ("abcdefgh!", False),
        ("12345678!", False),
        ("Rahasia 2026", False),
    ],
)
def test_password_policy(password: str, ok: bool) -> None:
    assert (password_problems(password) == []) is ok


def test_password_hash_is_argon2_and_verifies() -> None:
    stored = hash_password("Rahasia#2026")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "Rahasia#2026")
    assert not verify_password(stored, "rahasia#2026")
    assert not verify_password("not-a-hash", "x")


def test_rm_patterns() -> None:
    assert render_rm("RM-{YYYY}-{SEQ:5}", date(2026, 2, 26), 42) == "RM-2026-00042"
    assert render_rm("{YY}{MM}{SEQ:4}", date(2026, 2, 26), 7) == "26020007"
    assert rm_pattern_problem("RM-{YYYY}-{SEQ:5}") is None
    assert rm_pattern_problem("RM-{YYYY}") is not None  # no sequence
    assert rm_pattern_problem("{SEQ:5}{SEQ:5}") is not None
    assert rm_pattern_problem("rm-{SEQ:5}") is not None  # lower case is not allowed
    assert rm_pattern_problem("PUSKESMAS-GLADAK-{YYYY}-{SEQ:9}") is not None  # longer than 20


def test_sniffing_by_content() -> None:
    assert sniff(b"\xff\xd8\xff\xe0rest") == ("image/jpeg", "jpg")
    assert sniff(b"\x89PNG\r\n\x1a\nrest") == ("image/png", "png")
    assert sniff(b"%PDF-1.7") == ("application/pdf", "pdf")
    assert sniff(b"<html><script>") is None
    assert sniff(b"GIF89a") is None


def test_store_refuses_and_confines(tmp_path: Path) -> None:
    with pytest.raises(UploadError):
        store(tmp_path, 1, b"MZ\x90\x00 not an image")
    with pytest.raises(UploadError):
        store(tmp_path, 1, b"")
    stored = store(tmp_path, 1, b"%PDF-1.4 test")
    assert resolve(tmp_path, stored.relative_path).read_bytes() == b"%PDF-1.4 test"
    with pytest.raises(UploadError):
        resolve(tmp_path, "../secret_key")


def test_form_collects_errors_by_field() -> None:
    form = Form(MultiDict({"a": " x ", "n": "12", "d": "2026-13-01", "t": "25:00"}))
    assert form.text("a", required=True) == "x"
    assert form.integer("n", high=10) == 12
    assert form.day("d") is None
    assert form.clock("t") is None
    assert form.text("missing", required=True) is None
    dates = Form(MultiDict({"a": "15-03-1995", "b": "15/03/1995", "c": "1995-03-15", "d": "31-02-1995"}))
    assert dates.day("a") == dates.day("b") == dates.day("c") == date(1995, 3, 15)
    assert dates.day("d") is None and dates.errors == {"d": "Tanggal tidak valid (HH-BB-TTTT)."}
    assert set(form.errors) == {"n", "d", "t", "missing"}
    assert form.errors["missing"] == "Wajib diisi."


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/dashboard",
        "/admin/audit?hal=2&action=login_failed",
        "/loket/1#kini",
        "/pasien/baru?nama=sari%20w",
    ],
)
def test_next_keeps_paths_of_this_site(target: str) -> None:
    assert local_path(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/ /evil.example",
        "/\u3000/evil.example",
        "/\u202e/evil",
        "/\x00",
        "https://evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/" + "a" * 3000,
    ],
)
def test_next_refuses_everything_else(target: str | None) -> None:
    assert local_path(target) is None


@given(st.text())
def test_next_is_local_or_nothing(target: str) -> None:
    kept = local_path(target)
    assert kept is None or (kept.startswith("/") and not kept.startswith("//") and "\\" not in kept)


def test_ids_from_query_strings_fit_the_database() -> None:
    assert db_int(" 42 ") == 42 and db_int(str(MAX_ID)) == MAX_ID
    for bad in (str(MAX_ID + 1), "-1", "1.0", "", "9" * 5000, "١٢"):
        with pytest.raises(ValueError):
            db_int(bad)
