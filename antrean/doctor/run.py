"""One run of ``antrean doctor``: the checks of the node's role, in order, and the report for the hub.

Every world-touching step goes through a seam of :class:`Doctor` (the clock, the environment, the unit
folders, the pin factory, the audio opener), so tests drive each verdict with real brokers and fakes only
where hardware would be.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import antrean
from antrean.doctor import checks, probes
from antrean.doctor.roles import load_role
from protocol.payloads import DoctorCheck, DoctorReport
from protocol.topics import Topics
from protocol.transport import doctor_client_id, parse_mqtt_url

HUB_WAIT_S = 12.0  # the hub republishes hub/status every 5 s: two chances and some slack


@dataclass
class Result:
    checks: list[DoctorCheck]
    report: DoctorReport | None = None
    sent: bool = False

    @property
    def failed(self) -> bool:
        return checks.failed(self.checks)


@dataclass
class Doctor:
    config_path: str
    role: str | None = None
    clock: probes.Clock = probes.utc_now
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    hub_wait_s: float = HUB_WAIT_S
    unit_dirs: tuple[Path, ...] = probes.UNIT_DIRS
    pin_factory: Any = None
    open_audio: Callable[[str | None], str | None] = probes.open_audio
    publish: bool = True

    def run(self) -> Result:
        loaded = load_role(self.config_path, self.role, self.env)
        found = [checks.config_valid(self.config_path, loaded.role, loaded.error)]
        if loaded.role is None:
            return Result(found)
        if loaded.role == "hub":
            from antrean.doctor.hubchecks import hub_checks

            return Result(found + hub_checks(loaded.config, self.clock, self.local_checks))
        return self._node(loaded.role, loaded.config, found)

    def local_checks(self, role: str, data_path: str) -> list[DoctorCheck]:
        """Disk space of the data folder and the systemd watchdog of the role's unit."""
        measured, total, free = probes.disk_usage(data_path)
        unit = f"antrean-{role}.service"
        return [
            checks.disk_space(measured, total=total, free=free),
            checks.watchdog(self.env, unit, probes.unit_text(unit, self.unit_dirs)),
        ]

    def _node(self, role: str, config: Any, found: list[DoctorCheck]) -> Result:
        address = parse_mqtt_url(config.mqtt.url)
        ca_file = config.mqtt.ca_file
        found += self._tls(address.host, address.port, address.tls, ca_file)
        hub_clock = probes.HubClock(self.clock)
        session = probes.MqttSession(
            address, doctor_client_id(config.site, config.node_id), ca_file, hub_clock
        )
        topics = Topics(config.site)
        tls_failed = any(c.name == "tls" and c.level == "FAIL" for c in found)
        refusal = "account not tried: the TLS handshake failed" if tls_failed else None
        refusal = refusal or session.connect(topics.hub_status())
        user = address.username or "(anonymous)"
        found.append(
            checks.outcome("broker", f"account {user} accepted at {address.host}:{address.port}", refusal)
        )
        try:
            found += self._hardware(role, config)
            found += self.local_checks(role, self._data_path(role, config))
            offset = None
            if refusal is None:
                offset = probes.wait_for_hub_time(hub_clock, self.hub_wait_s)
            reason = "no broker connection" if refusal else self._no_hub_time(hub_clock)
            found.append(checks.clock_offset(offset, reason))
            report = DoctorReport(
                node=config.node_id,
                role=role,
                version=antrean.__version__,
                checked_at=self.clock(),
                ok=not checks.failed(found),
                clock_offset_s=None if offset is None else round(offset, 3),
                checks=found,
            )
            sent = (
                refusal is None
                and self.publish
                and session.publish(topics.node_doctor(config.node_id), report)
            )
            return Result(found, report, sent)
        finally:
            session.close()

    def _no_hub_time(self, hub_clock: probes.HubClock) -> str:
        if hub_clock.hub_state is None:
            return f"no hub/status within {self.hub_wait_s:.0f} s (hub never connected?)"
        if hub_clock.hub_state != "online":
            return "the hub is offline"
        return f"no live hub time within {self.hub_wait_s:.0f} s (hub older than this node?)"

    def _tls(self, host: str, port: int, tls: bool, ca_file: str) -> list[DoctorCheck]:
        if not tls:
            return [checks.check("tls", "WARN", "mqtt:// without TLS: the password travels unencrypted")]
        found: list[DoctorCheck] = []
        if ca_file:
            try:
                for subject, not_after in probes.ca_certificates(ca_file):
                    found.append(checks.certificate("ca-cert", subject, not_after, self.clock()))
            except (OSError, ValueError) as exc:
                found.append(checks.check("ca-cert", "FAIL", f"cannot read {ca_file}: {exc}"))
        seen = probes.tls_handshake(host, port, ca_file)
        found.append(checks.outcome("tls", f"broker certificate verified for {host}", seen.error))
        if seen.not_after is not None:
            found.append(checks.certificate("broker-cert", seen.subject, seen.not_after, self.clock()))
        return found

    def _hardware(self, role: str, config: Any) -> list[DoctorCheck]:
        if role == "kiosk":
            name, state, error = probes.printer_state(config.printer)
            return [checks.printer(config.printer.backend, name, state, error)]
        if role == "display":
            voice = config.voice
            model = str(voice.piper_model) if voice.piper_model else None
            piper_ok = bool(model) and Path(str(model)).is_file() and Path(f"{model}.json").is_file()
            device_error = self.open_audio(voice.device)
            return [
                checks.voice(voice.engine, model, piper_ok, probes.espeak_path()),
                checks.outcome("audio", f"audio output {voice.device or '(default)'} opens", device_error),
            ]
        pins = [str(pin) for loket in config.lokets for pin in loket.pins()]
        factory, error = probes.claim_pins(pins, self.pin_factory)
        return [checks.gpio_pins(pins, factory, error)]

    def _data_path(self, role: str, config: Any) -> str:
        if role == "display":
            from firmware.display_node.config import default_cache_dir

            return str(config.voice.cache_dir or default_cache_dir())
        return str(Path(self.config_path).resolve().parent)
