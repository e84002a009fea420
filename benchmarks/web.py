"""``antrean bench web [--record] [--patients N]``: the loket web under a real hub process.

- Patient search on N patients (default 100 000, bulk-inserted): the loket page with the search results,
  over HTTP through waitress, by partial name, name prefix, RM, NIK and BPJS number; p50/p99.
- Loket Panggil Berikutnya → ``display/state``: from the button's POST until the display's retained state
  shows the called ticket at that loket, over real MQTT; p50/p99, with the POST's own answer time."""

from __future__ import annotations

import argparse
import platform
import random
import re
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, insert, update

from antrean.bench import percentile, record_section
from benchmarks.harness import HubProcess, ScriptedKiosk, user_add_args, write_hub_config
from hub.broker import BrokerSettings, EmbeddedBroker, free_port
from hub.db.models import Patient, Polyclinic
from hub.web.cli_user import main as user_main
from hub.web.nik import nik_for
from protocol import DisplayState, MqttLink, Topics

PASSWORD = "Bench#2026!"
FIRST = [
    "Budi",
    "Sari",
    "Agus",
    "Dewi",
    "Siti",
    "Ahmad",
    "Rina",
    "Eko",
    "Wahyu",
    "Nur",
    "Putri",
    "Dian",
    "Adi",
    "Fitri",
    "Hadi",
    "Lestari",
    "Bambang",
    "Yuni",
    "Joko",
    "Ika",
    "Rudi",
    "Wati",
    "Slamet",
    "Ayu",
    "Hendra",
    "Ratna",
    "Imam",
    "Indah",
    "Teguh",
    "Maya",
]
LAST = [
    "Santoso",
    "Wulandari",
    "Hidayat",
    "Kusuma",
    "Pratama",
    "Saputra",
    "Rahmawati",
    "Setiawan",
    "Susanto",
    "Handayani",
    "Purnomo",
    "Nugroho",
    "Wijaya",
    "Lestari",
    "Permana",
    "Maharani",
    "Firmansyah",
    "Utami",
    "Hakim",
    "Anggraini",
]
SEARCHES = 360
CALLS = 200
_META = re.compile(r'name="csrf-token" content="([^"]+)"')


@dataclass
class Figures:
    patients: int
    seed_s: float
    search: dict[str, list[float]]
    post_ms: list[float]
    display_ms: list[float]


def seed_patients(database_url: str, count: int, rng: random.Random) -> tuple[float, list[str]]:
    """Bulk-insert ``count`` patients (executemany in chunks); the seconds taken and their NIKs."""
    started = time.perf_counter()
    engine = create_engine(database_url)
    rows = []
    for i in range(1, count + 1):
        gender = "L" if i % 2 else "P"
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(30000))
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
        rows.append(
            {
                "medical_record": f"RM-2026-{i:06d}"[:20],
                "nik": nik_for(f"35{i // 10000 % 90 + 10:02d}01", born, gender, i % 9999 + 1),
                "bpjs_number": f"{i:013d}",
                "name": name,
                "name_search": name.lower(),
                "birth_date": born,
                "gender": gender,
                "address": "Jl. Mastrip",
                "kelurahan": "Kranjingan",
                "kecamatan": "Sumbersari",
                "kabupaten": "Jember",
                "patient_type": "bpjs" if i % 3 else "umum",
            }
        )
    with engine.begin() as connection:
        for start in range(0, len(rows), 10000):
            connection.execute(insert(Patient), rows[start : start + 10000])
    engine.dispose()
    return time.perf_counter() - started, [str(row["nik"]) for row in rows]


def wait_for_web(url: str, timeout: float = 30) -> None:
    """Until the hub's web at ``url`` answers (it opens after the hub connected to its broker)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(f"{url}/login", timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def login(url: str, username: str) -> requests.Session:
    http = requests.Session()
    token = _META.search(http.get(f"{url}/login", timeout=10).text)
    assert token
    http.post(
        f"{url}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        timeout=10,
    )
    page = _META.search(http.get(f"{url}/loket/1", timeout=10).text)
    assert page, "login failed"
    http.headers["X-CSRFToken"] = page.group(1)
    return http


def search_latency(
    url: str, http: requests.Session, niks: list[str], rng: random.Random
) -> dict[str, list[float]]:
    count = len(niks)
    kinds: dict[str, list[float]] = {
        "name part": [],
        "name prefix": [],
        "name, no match (full scan)": [],
        "RM": [],
        "NIK": [],
        "BPJS": [],
    }
    for n in range(SEARCHES):
        kind = list(kinds)[n % len(kinds)]
        i = rng.randrange(1, count + 1)
        if kind == "name part":
            word = rng.choice(LAST).lower()
            start = rng.randrange(0, len(word) - 3)
            params = {"nama": word[start : start + 4]}
        elif kind == "name prefix":
            params = {"nama": f"{rng.choice(FIRST)} {rng.choice(LAST)[:3]}"}
        elif kind.startswith("name, no match"):
            params = {"nama": f"zq{rng.randrange(10**6)}"}
        elif kind == "RM":
            params = {"rm": f"RM-2026-{i:06d}"}
        elif kind == "NIK":
            params = {"nik": niks[i - 1]}
        else:
            params = {"bpjs": f"{i:013d}"}
        started = time.perf_counter()
        response = http.get(f"{url}/loket/1", params=params, timeout=30)
        kinds[kind].append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return kinds


def call_latency(
    url: str, http: requests.Session, mqtt_url: str, site: str
) -> tuple[list[float], list[float]]:
    topics = Topics(site)
    kiosk = ScriptedKiosk(mqtt_url, site, "bench-kiosk")
    for n in range(CALLS):
        kiosk.take(f"b-{n}")
    kiosk.close()
    shown: dict[str, float] = {}
    cond = threading.Condition()

    def on_state(_topic: str, payload: bytes) -> None:
        state = DisplayState.decode(payload)
        for counter in state.counters:
            if counter.counter == 1 and counter.ticket is not None:
                with cond:
                    shown.setdefault(counter.ticket.number, time.perf_counter())
                    cond.notify_all()

    link = MqttLink(mqtt_url, client_id=f"bench-display-{site}")
    link.route(topics.display_state(), on_state)
    link.start(wait=10)
    post_ms, display_ms = [], []
    for n in range(CALLS):
        started = time.perf_counter()
        response = http.post(
            f"{url}/loket/1/aksi/call",
            data={"request_id": f"call-{n}"},
            headers={"X-Requested-With": "fetch"},
            timeout=30,
        )
        answered = time.perf_counter()
        number = response.json()["message"].rsplit(" ", 1)[1]
        with cond:
            cond.wait_for(lambda: number in shown, 10)  # noqa: B023  (called at once)
            at = shown.get(number)
        assert at is not None, f"{number} never reached display/state"
        post_ms.append((answered - started) * 1000)
        display_ms.append((max(at, started) - started) * 1000)
    link.stop()
    return post_ms, display_ms


def run(count: int, workdir: Path) -> Figures:
    rng = random.Random(7)
    broker = EmbeddedBroker(BrokerSettings.anonymous("127.0.0.1", free_port()))
    broker.start()
    site, port = "benchweb", free_port()
    database_url = f"sqlite:///{workdir / 'antrean.db'}"
    config = write_hub_config(
        workdir / "hub.toml",
        site=site,
        mqtt_url=broker.url,
        database_url=database_url,
        data_dir=workdir / "data",
        web_port=port,
    )
    user_main(user_add_args(config, "bench", "receptionist", PASSWORD, "--counter", "1"))
    seed_s, niks = seed_patients(database_url, count, rng)
    engine = create_engine(database_url)
    with engine.begin() as connection:  # enough quota for every ticket the benchmark takes
        connection.execute(update(Polyclinic).values(quota_per_day=10_000))
    engine.dispose()
    hub = HubProcess(config, workdir / "hub.log").start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_web(url)
        http = login(url, "bench")
        search = search_latency(url, http, niks, rng)
        post_ms, display_ms = call_latency(url, http, broker.url, site)
    finally:
        hub.stop()
        broker.stop()
    return Figures(count, seed_s, search, post_ms, display_ms)


def markdown(figures: Figures) -> str:
    rows = ["| search | n | p50 ms | p99 ms |", "|---|---|---|---|"]
    everything: list[float] = []
    for kind, samples in figures.search.items():
        everything += samples
        rows.append(
            f"| {kind} | {len(samples)} | {percentile(samples, 50):.1f} | {percentile(samples, 99):.1f} |"
        )
    rows.append(
        f"| **all** | {len(everything)} | {percentile(everything, 50):.1f} | "
        f"**{percentile(everything, 99):.1f}** |"
    )
    return "\n".join(
        [
            "## Web (loket)",
            "",
            f"`antrean bench web` on {platform.machine()} / Python {platform.python_version()}, a real "
            f"`antrean hub` (waitress, SQLite WAL, embedded amqtt). {figures.patients:,} patients "
            f"bulk-inserted in {figures.seed_s:.1f} s. Times are wall clock from the client, through HTTP.",
            "",
            "Patient search (the loket page with its results, rendered):",
            "",
            *rows,
            "",
            f"Panggil Berikutnya → `display/state` ({len(figures.display_ms)} calls): the POST answers in "
            f"p50 {percentile(figures.post_ms, 50):.1f} ms / p99 {percentile(figures.post_ms, 99):.1f} ms; "
            "the display's retained state shows the called ticket "
            f"p50 {percentile(figures.display_ms, 50):.1f} ms / "
            f"**p99 {percentile(figures.display_ms, 99):.1f} ms** after the click.",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="antrean bench web")
    parser.add_argument("--record", action="store_true", help="write the figures into docs/benchmarks.md")
    parser.add_argument("--patients", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="antrean-bench-web-") as tmp:
        figures = run(args.patients, Path(tmp))
    text = markdown(figures)
    print(text)
    if args.record:
        record_section("web", text)
    return 0
