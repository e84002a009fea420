"""``antrean bench bpjs [--record] [-n N]``: participant lookup round trip against the PCare simulator
(p50/p99, signing + HTTP + decryption + parsing) and the decryption cost per response, split into AES and
LZ-String; plus what a dead BPJS costs the loket (first lookup vs. circuit open)."""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from Crypto.Cipher import AES
from Crypto.Util.Padding import unpad

from antrean.bench import percentile, record_section
from antrean.helptext import plain
from antrean.logs import setup_logging
from hub.bpjs import simdata
from hub.bpjs.client import PcareClient
from hub.bpjs.crypto import decrypt_response, encrypt_response, lz_decompress, response_key
from hub.bpjs.errors import PcareError
from hub.bpjs.settings import PcareSettings
from hub.bpjs.simulator import SimCredentials, SimState, SimulatorServer
from hub.broker import free_port

CREDS = SimCredentials("1234", "bench-secret", "bench-user-key", "pkm_bench", "bench-pass")
CARDS = ("0001234567890", "0004567890123")  # plain and astral-plane names


@dataclass(frozen=True)
class Costs:
    label: str
    cipher_bytes: int
    total_us: float
    aes_us: float
    lz_us: float


def _settings(base_url: str, **changes: float) -> PcareSettings:
    values: dict[str, object] = {**CREDS.settings(base_url), "read_retries": 0, **changes}
    return PcareSettings(**values)  # type: ignore[arg-type]


def _start_sim_process(port: int) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "antrean.cli", "bpjs", "sim", "--port", str(port), "--log-level", "WARNING"]
    args += ["--cons-id", CREDS.cons_id, "--secret", CREDS.secret, "--user-key", CREDS.user_key]
    args += ["--username", CREDS.username, "--password", CREDS.password]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    process.stdout.readline()  # "PCare simulator: base URL ..." once listening
    return process


def lookups(n: int) -> list[float]:
    """Round-trip milliseconds of ``n`` participant lookups (simulator in its own process, keep-alive)."""
    port = free_port()
    process = _start_sim_process(port)
    try:
        client = PcareClient(_settings(f"http://127.0.0.1:{port}/pcare-rest"))
        for i in range(20):
            client.participant_by_card(CARDS[i % 2])
        samples = []
        for i in range(n):
            started = time.perf_counter()
            client.participant_by_card(CARDS[i % 2])
            samples.append((time.perf_counter() - started) * 1000)
        client.close()
        return samples
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def _mean_us(action: Callable[[], object], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        action()
    return (time.perf_counter() - started) / repeat * 1e6


def _aes_part(cipher: str, key: bytes) -> str:
    """The first half of :func:`decrypt_response`: base64, AES-256-CBC, unpad."""
    raw = AES.new(key, AES.MODE_CBC, iv=key[:16]).decrypt(base64.b64decode(cipher))
    return unpad(raw, AES.block_size).decode("ascii")


def _visit_list(size: int) -> dict[str, object]:
    visit = {"tglDaftar": "26-11-2026", "keluhan": "Demam", "kunjSakit": True, "status": "Menunggu"}
    items = [
        visit
        | {"noUrut": f"A{i}", "peserta": {"noKartu": f"{i:013d}", "nama": "BUDI SANTOSO"}}
        | {"poli": {"kdPoli": "001", "nmPoli": "UMUM"}}
        for i in range(size)
    ]
    return {"count": size, "list": items}


def decryption_costs(repeat: int) -> list[Costs]:
    key = response_key(CREDS.cons_id, CREDS.secret, "1795600000")
    people = simdata.participants()
    samples = {
        "participant (plain name)": people[CARDS[0]],
        "participant (astral name)": people[CARDS[1]],
        "day's list, 100 visits": _visit_list(100),
    }
    results = []
    for label, data in samples.items():
        cipher = encrypt_response(json.dumps(data, ensure_ascii=False), key)
        compressed = _aes_part(cipher, key)
        count = max(20, repeat // 10) if len(cipher) > 5000 else repeat
        results.append(
            Costs(
                label,
                len(cipher),
                _mean_us(partial(decrypt_response, cipher, key), count),
                _mean_us(partial(_aes_part, cipher, key), count),
                _mean_us(partial(lz_decompress, compressed), count),
            )
        )
    return results


def dead_bpjs() -> tuple[float, float]:
    """Milliseconds the loket waits on a BPJS that never answers: the first lookup (1 s timeouts, one
    retry, which opens the circuit) and a lookup once the circuit is open."""
    state = SimState(CREDS)
    server = SimulatorServer(state).start()
    state.set_fault("timeout", delay_s=30)
    try:
        settings = _settings(server.url, read_timeout_s=1.0, read_retries=1, breaker_failures=2)
        client = PcareClient(settings, backoff_s=0.0)
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            with contextlib.suppress(PcareError):
                client.participant_by_card(CARDS[0])
            timings.append((time.perf_counter() - started) * 1000)
        return timings[0], timings[1]
    finally:
        server.stop()


def markdown(samples: list[float], costs: list[Costs], dead: tuple[float, float]) -> str:
    lines = [
        "## BPJS bridge (`antrean bench bpjs`)",
        "",
        f"{len(samples)} participant lookups (`GET peserta/{{noKartu}}`, plain and astral-plane names "
        "alternating) from `PcareClient` to the PCare simulator running as its own process on 127.0.0.1, "
        "HTTP keep-alive; each includes signing, the strict checks of the simulator, AES-256-CBC + LZ-String "
        "encryption there and decryption + parsing here. "
        f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        f"1-minute load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores during the run "
        "(the machine is shared).",
        "",
        "| lookup round trip | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|",
        f"| participant by card | {percentile(samples, 50):.2f} | {percentile(samples, 99):.2f} "
        f"| {max(samples):.2f} |",
        "",
        "Decryption cost per response (base64 + AES-256-CBC + unpad, then LZ-String "
        "`decompressFromEncodedURIComponent` with surrogate-pair joining; mean of repeated runs):",
        "",
        "| response | cipher text bytes | total µs | AES µs | LZ-String µs |",
        "|---|---|---|---|---|",
    ]
    for c in costs:
        lines.append(f"| {c.label} | {c.cipher_bytes} | {c.total_us:.0f} | {c.aes_us:.0f} | {c.lz_us:.0f} |")
    lines += [
        "",
        "Dead BPJS (every request held past the 1 s read timeout; one read retry; circuit opens after 2 "
        f"failures): first lookup {dead[0]:.0f} ms, next lookup with the circuit open {dead[1]:.2f} ms. "
        "Registrations meanwhile go to the outbox at once.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="antrean bench bpjs", description=plain(__doc__))
    parser.add_argument("--record", action="store_true", help="write the figures into docs/benchmarks.md")
    parser.add_argument("-n", type=int, default=500, help="number of lookups")
    parser.add_argument("--repeat", type=int, default=300, help="repetitions per decryption measurement")
    args = parser.parse_args(argv)
    setup_logging("ERROR")
    text = markdown(lookups(args.n), decryption_costs(args.repeat), dead_bpjs())
    print(text)
    if args.record:
        record_section("bpjs", text)
    return 0
