"""Mobile JKN (the simulator) drives every endpoint of the puskesmas' Antrean FKTP web service."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from hub.db.models import Booking, Patient, Polyclinic, Queue
from hub.dispatch import bookings
from protocol import BookingRequest
from tests.jkn.conftest import CARD, NIK, Site

DAY = "2026-02-26"  # the desk's clock: Thursday 26 February 2026, 08:00 in Jakarta
TOMORROW = "2026-02-27"
TODAY_DATE = date(2026, 2, 26)


def take(pkm: Site, **changes: Any) -> Any:
    body = {
        "nomorkartu": CARD,
        "nik": NIK,
        "nohp": "081234567890",
        "kodepoli": "001",
        "tanggalperiksa": DAY,
        "keluhan": "Demam",
        "kodedokter": 0,
        "jampraktek": "07:30-14:00",
        "norm": "",
    }
    return pkm.mobile.take(**{**body, **changes})


def test_auth_gives_a_token_and_refuses_a_wrong_password(pkm: Site) -> None:
    assert pkm.mobile.auth().code == 200 and pkm.mobile.token
    pkm.mobile.password = "salah"
    reply = pkm.mobile.auth()
    assert (reply.code, reply.message) == (201, "Username atau password tidak sesuai.")


def test_wrong_and_expired_tokens_are_refused(pkm: Site) -> None:
    pkm.mobile.token = "123.abc"
    assert (pkm.mobile.status("001", DAY).code, pkm.mobile.status("001", DAY).message) == (
        201,
        "Token tidak valid.",
    )
    pkm.mobile.auth()
    assert pkm.mobile.status("001", DAY).code == 200
    pkm.now.t += 3601
    reply = pkm.mobile.status("001", DAY)
    assert (reply.code, reply.message) == (201, "Token expired.")
    pkm.mobile.auth()
    assert pkm.mobile.status("001", DAY).code == 200


def test_take_a_number_then_status_place_and_cancel(pkm: Site) -> None:
    pkm.add_patient()
    pkm.mobile.auth()
    reply = take(pkm)
    assert reply.code == 200, reply.message
    assert reply.response["nomorantrean"] == "JA-001" and reply.response["angkaantrean"] == 1
    assert reply.response["namapoli"] == "Poli Umum"
    status = pkm.mobile.status("001", DAY).response
    assert status["totalantrean"] == 1 and status["sisaantrean"] == 1 and status["antreanpanggil"] == "-"
    place = pkm.mobile.remaining(CARD, "001", DAY)
    assert place.code == 200 and place.response["nomorantrean"] == "JA-001"
    with pkm.desk.sessions() as session:
        booking = session.scalars(select(Booking)).one()
        assert (booking.source, booking.phone, booking.payment_type) == ("jkn", "6281234567890", "bpjs")
    cancelled = pkm.mobile.cancel(CARD, "001", DAY)
    assert cancelled.code == 200
    assert pkm.mobile.remaining(CARD, "001", DAY).code == 201
    assert pkm.mobile.cancel(CARD, "001", DAY).code == 201  # nothing left to cancel


def test_refusals_each_with_its_indonesian_reason(pkm: Site) -> None:
    pkm.add_patient()
    pkm.mobile.auth()
    assert take(pkm, kodepoli="999").message == "Poli tidak ditemukan."
    assert take(pkm, tanggalperiksa="2026-02-25").message == "Tanggal periksa sudah lewat."
    assert (
        take(pkm, tanggalperiksa="2026-03-01").message == "Poli Umum tutup pada tanggal tersebut."
    )  # Sunday
    assert take(pkm, tanggalperiksa="26-02-2026").code == 201
    assert take(pkm, nomorkartu="123").message == "Nomor kartu tidak valid (harus 13 digit angka)."
    assert take(pkm).code == 200
    duplicate = take(pkm, kodepoli="002")
    assert (duplicate.code, duplicate.message) == (
        201,
        "Nomor kartu ini sudah mengambil antrean pada tanggal tersebut.",
    )


def test_full_quota_is_refused(pkm: Site) -> None:
    with pkm.desk.sessions.begin() as session:
        poly = session.scalars(select(Polyclinic).where(Polyclinic.code == "A")).one()
        poly.quota_per_day = 1
    pkm.desk.ticket()  # the kiosk took the only place
    pkm.add_patient()
    pkm.mobile.auth()
    reply = take(pkm)
    assert (reply.code, reply.message) == (201, "Kuota Poli Umum pada tanggal tersebut sudah penuh.")


def test_an_unknown_participant_is_a_new_patient_then_registered(pkm: Site) -> None:
    pkm.mobile.auth()
    reply = take(pkm)
    assert reply.code == 202 and "registrasi pasien baru" in reply.message
    patient = pkm.mobile.new_patient(
        nomorkartu=CARD,
        nik=NIK,
        nomorkk="3509123456780099",
        nama="Siti Aminah",
        jeniskelamin="L",
        tanggallahir="1978-12-09",
        nohp="081234567890",
        alamat="Jl. Melati 1",
        kodeprop="15",
        namaprop="Jawa Timur",
        kodedati2="0035",
        namadati2="Jember",
        kodekec="1",
        namakec="Patrang",
        kodekel="1",
        namakel="Gebang",
        rw="002",
        rt="001",
    )
    assert patient.code == 200, patient.message
    with pkm.desk.sessions() as session:
        stored = session.scalars(select(Patient)).one()
        assert stored.medical_record == patient.response["norm"] and stored.bpjs_number == CARD
    assert take(pkm).code == 200
    again = pkm.mobile.new_patient(
        nomorkartu=CARD,
        nik=NIK,
        nama="Siti",
        jeniskelamin="L",
        tanggallahir="1978-12-09",
        alamat="x",
        namakel="a",
        namakec="b",
        namadati2="c",
    )
    assert again.code == 201 and "sudah terdaftar" in again.message


def test_cancel_after_call_is_refused(pkm: Site) -> None:
    pkm.add_patient()
    pkm.mobile.auth()
    code = take(pkm).response["keterangan"].split()[2].rstrip(".")
    outcome = pkm.desk.dispatcher.confirm_booking(
        BookingRequest(request_id="b1", booking_code=code), node="k1"
    )
    assert outcome.reply is not None and outcome.reply.ticket is not None
    assert outcome.reply.ticket.number == "JA-001"
    assert pkm.desk.call() == "JA-001"
    reply = pkm.mobile.cancel(CARD, "001", DAY)
    assert (reply.code, reply.message) == (
        201,
        "Antrean sudah dipanggil atau dilayani, tidak dapat dibatalkan.",
    )


def test_cancel_of_an_arrived_number_cancels_its_ticket_and_publishes(pkm: Site) -> None:
    pkm.add_patient()
    pkm.mobile.auth()
    code = take(pkm).response["keterangan"].split()[2].rstrip(".")
    pkm.desk.dispatcher.confirm_booking(BookingRequest(request_id="b1", booking_code=code), node="k1")
    assert pkm.mobile.cancel(CARD, "001", DAY).code == 200
    with pkm.desk.sessions() as session:
        assert session.scalars(select(Queue.status)).one() == "cancelled"
    assert pkm.published and pkm.published[-1].live


def test_mobile_jkn_and_kiosk_numbers_never_collide_under_concurrency(pkm: Site) -> None:
    cards = [f"{n:013d}" for n in range(1, 13)]
    with pkm.desk.sessions.begin() as session:
        poly = session.scalars(select(Polyclinic).where(Polyclinic.code == "A")).one()
        poly.booking_quota = 20  # every take fits: the test is about the numbers
    for n, card in enumerate(cards):
        pkm.add_patient(card=card, nik=f"{3509123456780100 + n}", phone=None)
    pkm.mobile.auth()
    numbers: list[str] = []
    lock = threading.Lock()

    def jkn(card: str, nik: str) -> None:
        reply = take(pkm, nomorkartu=card, nik=nik, nohp="")
        assert reply.code == 200, reply.message
        with lock:
            numbers.append(reply.response["nomorantrean"])

    def kiosk(n: int) -> None:
        ticket = pkm.desk.ticket(request_id=f"kiosk-{n}", node=f"k{n % 3}")
        with lock:
            numbers.append(ticket.number)

    threads = [threading.Thread(target=jkn, args=(c, f"{3509123456780100 + n}")) for n, c in enumerate(cards)]
    threads += [threading.Thread(target=kiosk, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(numbers) == 24 and len(set(numbers)) == 24
    assert sorted(n for n in numbers if n.startswith("JA-")) == [f"JA-{i:03d}" for i in range(1, 13)]
    assert sorted(n for n in numbers if n.startswith("A-")) == [f"A-{i:03d}" for i in range(1, 13)]
    status = pkm.mobile.status("001", DAY).response
    assert status["totalantrean"] == 24


def test_bad_json_is_refused_with_a_message(pkm: Site) -> None:
    pkm.mobile.auth()
    http = pkm.mobile._http.post(
        f"{pkm.mobile.ws_url}/antrean",
        data="{not json",
        headers={"x-username": "bpjs", "x-token": pkm.mobile.token},
    )
    assert http.json()["metadata"] == {"code": 201, "message": "Format data tidak valid (harus JSON)."}


def test_today_after_closing_time_is_closed_but_tomorrow_is_open(pkm: Site) -> None:
    pkm.add_patient()
    pkm.mobile.auth()
    pkm.desk.clock.advance(hours=7)  # 15:00, the poly closed at 14:00
    reply = take(pkm)
    assert (reply.code, reply.message) == (201, "Pendaftaran Poli Umum hari ini sudah ditutup.")
    tomorrow = take(pkm, tanggalperiksa=TOMORROW)
    assert tomorrow.code == 200 and tomorrow.response["nomorantrean"] == "JA-001"


def test_the_places_bookings_may_hold_bound_mobile_jkn_too(pkm: Site) -> None:
    with pkm.desk.sessions.begin() as session:
        poly = session.scalars(select(Polyclinic).where(Polyclinic.code == "A")).one()
        poly.booking_quota = 1
    pkm.add_patient()
    pkm.add_patient(card="0009876543210", nik="3509124507850002", phone=None)
    pkm.mobile.auth()
    assert take(pkm).code == 200
    full = take(pkm, nomorkartu="0009876543210", nik="3509124507850002")
    assert (full.code, full.message) == (201, "Kuota Poli Umum pada tanggal tersebut sudah penuh.")


def test_a_failure_inside_still_answers_an_envelope(pkm: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    pkm.add_patient()
    pkm.mobile.auth()

    class Broken:
        def begin(self, *_args: object) -> None:
            raise RuntimeError("database gone")

    monkeypatch.setattr(pkm.desk.dispatcher, "day", Broken())
    reply = take(pkm)
    assert (reply.code, reply.message) == (
        201,
        "Terjadi kesalahan pada server puskesmas; tidak ada yang disimpan. Coba lagi.",
    )


def test_the_lokets_booking_list_shows_the_mobile_jkn_number_before_arrival(pkm: Site) -> None:
    pkm.add_patient()
    pkm.mobile.auth()
    assert take(pkm).code == 200
    with pkm.desk.sessions() as session:
        [found] = bookings.search(session, TODAY_DATE, CARD)
        assert bookings.info_of(session, found).ticket_number == "JA-001"
