"""The Antrean FKTP web service on a real socket, over a real database, and the simulator's Mobile JKN."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from werkzeug.serving import make_server

from hub.config import JknConfig
from hub.db.models import Patient
from hub.dispatch.outcome import Outcome
from hub.jkn.antrean import JknAntrean
from hub.jkn.sim import JknSimState, MobileJkn, demo_state
from hub.jkn.tokens import TokenIssuer
from hub.jkn.ws import JknWebService, jkn_blueprint
from hub.web.passwords import hash_password, set_cost
from tests.hub.dispatch_support import Desk

set_cost(time_cost=1, memory_kib=1024)
CARD = "0001234567890"
NIK = "3509120912780001"
PASSWORD = "Rahasia#BPJS1"


@dataclass
class Now:
    t: float = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@dataclass
class Site:
    desk: Desk
    mobile: MobileJkn
    sim: JknSimState
    now: Now
    published: list[Outcome] = field(default_factory=list)

    def add_patient(self, card: str = CARD, nik: str = NIK, phone: str | None = "081234567890") -> int:
        with self.desk.sessions.begin() as session:
            patient = Patient(
                medical_record=f"RM{card[-6:]}",
                name="Budi",
                name_search="budi",
                nik=nik,
                bpjs_number=card,
                phone=phone,
            )
            session.add(patient)
            session.flush()
            return patient.id


@pytest.fixture
def site(database_url: str) -> Iterator[Site]:
    desk = Desk(database_url)
    config = JknConfig(ws_username="bpjs", ws_password=hash_password(PASSWORD))
    now = Now()
    published: list[Outcome] = []
    service = JknWebService(
        JknAntrean(desk.sessions, desk.dispatcher, days_ahead=config.days_ahead),
        config,
        TokenIssuer(b"test-key", ttl_s=config.token_ttl_s, clock=now),
        published.append,
    )
    app = Flask("public-test")
    app.register_blueprint(jkn_blueprint(service), url_prefix=config.ws_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state = demo_state()
    mobile = MobileJkn(f"http://127.0.0.1:{server.server_port}/jkn", "bpjs", PASSWORD, state)
    try:
        yield Site(desk, mobile, state, now, published)
    finally:
        mobile.close()
        server.shutdown()
        server.server_close()
        desk.close()
