"""Mobile JKN (the simulator) drives every endpoint of the puskesmas' Antrean FKTP web service."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select

from hub.db.models import Booking, Patient, Polyclinic, Queue
from protocol import BookingRequest
from tests.jkn.conftest import CARD, NIK, Site

DAY = "2026-02-26"  # the desk's clock: Thursday 26 February 2026, 08:00 in Jakarta
TOMORROW = "2026-02-27"


def take(site: Site, **changes: Any) -> Any:
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
    return site.mobile.take(**{**body, **changes})


def test_auth_gives_a_token_and_refuses_a_wrong_password(site: Site) -> None:
    assert site.mobile.auth().code == 200 and site.mobile.token
    site.mobile.password = "salah"
    reply = site.mobile.auth()
    assert (reply.code, reply.message) == (201, "Username atau password tidak sesuai.")


def test_wrong_and_expired_tokens_are_refused(site: Site) -> None:
    site.mobile.token = "123.abc"
    assert (site.mobile.status("001", DAY).code, site.mobile.status("001", DAY).message) == (
        201,
        "Token tidak valid.",
    )
    site.mobile.auth()
    assert site.mobile.status("001", DAY).code == 200
    site.now.t += 3601
    reply = site.mobile.status("001", DAY)
    assert (reply.code, reply.message) == (201, "Token expired.")
    site.mobile.auth()
    assert site.mobile.status("001", DAY).code == 200


def test_take_a_number_then_status_place_and_cancel(site: Site) -> None:
    site.add_patient()
    site.mobile.auth()
    reply = take(site)
    assert reply.code == 200, reply.message
    assert reply.response["nomorantrean"] == "JA-001" and reply.response["angkaantrean"] == 1
    assert reply.response["namapoli"] == "Poli Umum"
    status = site.mobile.status("001", DAY).response
    assert status["totalantrean"] == 1 and status["sisaantrean"] == 1 and status["antreanpanggil"] == "-"
    place = site.mobile.remaining(CARD, "001", DAY)
    assert place.code == 200 and place.response["nomorantrean"] == "JA-001"
    with site.desk.sessions() as session:
        booking = session.scalars(select(Booking)).one()
        assert (booking.source, booking.phone, booking.payment_type) == ("jkn", "6281234567890", "bpjs")
    cancelled = site.mobile.cancel(CARD, "001", DAY)
    assert cancelled.code == 200
    assert site.mobile.remaining(CARD, "001", DAY).code == 201
    assert site.mobile.cancel(CARD, "001", DAY).code == 201  # nothing left to cancel


def test_refusals_each_with_its_indonesian_reason(site: Site) -> None:
    site.add_patient()
    site.mobile.auth()
    assert take(site, kodepoli="999").message == "Poli tidak ditemukan."
    assert take(site, tanggalperiksa="2026-02-25").message == "Tanggal periksa sudah lewat."
    assert (
        take(site, tanggalperiksa="2026-03-01").message == "Poli Umum tutup pada tanggal tersebut."
    )  # Sunday
    assert take(site, tanggalperiksa="26-02-2026").code == 201
    assert take(site, nomorkartu="123").message == "Nomor kartu tidak valid (harus 13 digit angka)."
    assert take(site).code == 200
    duplicate = take(site, kodepoli="002")
    assert (duplicate.code, duplicate.message) == (
        201,
        "Nomor kartu ini sudah mengambil antrean pada tanggal tersebut.",
    )


def test_full_quota_is_refused(site: Site) -> None:
    with site.desk.sessions.begin() as session:
        poly = session.scalars(select(Polyclinic).where(Polyclinic.code == "A")).one()
        poly.quota_per_day = 1
    site.desk.ticket()  # the kiosk took the only place
    site.add_patient()
    site.mobile.auth()
    reply = take(site)
    assert (reply.code, reply.message) == (201, "Kuota Poli Umum pada tanggal tersebut sudah penuh.")


def test_an_unknown_participant_is_a_new_patient_then_registered(site: Site) -> None:
    site.mobile.auth()
    reply = take(site)
    assert reply.code == 202 and "registrasi pasien baru" in reply.message
    patient = site.mobile.new_patient(
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
    with site.desk.sessions() as session:
        stored = session.scalars(select(Patient)).one()
        assert stored.medical_record == patient.response["norm"] and stored.bpjs_number == CARD
    assert take(site).code == 200
    again = site.mobile.new_patient(
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


def test_cancel_after_call_is_refused(site: Site) -> None:
    site.add_patient()
    site.mobile.auth()
    code = take(site).response["keterangan"].split()[2].rstrip(".")
    outcome = site.desk.dispatcher.confirm_booking(
        BookingRequest(request_id="b1", booking_code=code), node="k1"
    )
    assert outcome.reply is not None and outcome.reply.ticket is not None
    assert outcome.reply.ticket.number == "JA-001"
    assert site.desk.call() == "JA-001"
    reply = site.mobile.cancel(CARD, "001", DAY)
    assert (reply.code, reply.message) == (
        201,
        "Antrean sudah dipanggil atau dilayani, tidak dapat dibatalkan.",
    )


def test_cancel_of_an_arrived_number_cancels_its_ticket_and_publishes(site: Site) -> None:
    site.add_patient()
    site.mobile.auth()
    code = take(site).response["keterangan"].split()[2].rstrip(".")
    site.desk.dispatcher.confirm_booking(BookingRequest(request_id="b1", booking_code=code), node="k1")
    assert site.mobile.cancel(CARD, "001", DAY).code == 200
    with site.desk.sessions() as session:
        assert session.scalars(select(Queue.status)).one() == "cancelled"
    assert site.published and site.published[-1].live


def test_mobile_jkn_and_kiosk_numbers_never_collide_under_concurrency(site: Site) -> None:
    cards = [f"{n:013d}" for n in range(1, 13)]
    with site.desk.sessions.begin() as session:
        poly = session.scalars(select(Polyclinic).where(Polyclinic.code == "A")).one()
        poly.booking_quota = 20  # every take fits: the test is about the numbers
    for n, card in enumerate(cards):
        site.add_patient(card=card, nik=f"{3509123456780100 + n}", phone=None)
    site.mobile.auth()
    numbers: list[str] = []
    lock = threading.Lock()

    def jkn(card: str, nik: str) -> None:
        reply = take(site, nomorkartu=card, nik=nik, nohp="")
        assert reply.code == 200, reply.message
        with lock:
            numbers.append(reply.response["nomorantrean"])

    def kiosk(n: int) -> None:
        ticket = site.desk.ticket(request_id=f"kiosk-{n}", node=f"k{n % 3}")
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
    status = site.mobile.status("001", DAY).response
    assert status["totalantrean"] == 24


def test_bad_json_is_refused_with_a_message(site: Site) -> None:
    site.mobile.auth()
    http = site.mobile._http.post(
        f"{site.mobile.ws_url}/antrean",
        data="{not json",
        headers={"x-username": "bpjs", "x-token": site.mobile.token},
    )
    assert http.json()["metadata"] == {"code": 201, "message": "Format data tidak valid (harus JSON)."}
