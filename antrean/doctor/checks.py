"""The verdicts of ``antrean doctor``: small pure functions from what was seen to one line each.

Each returns a :class:`~protocol.payloads.DoctorCheck` (``OK`` / ``WARN`` / ``FAIL``, a short name, an English
detail for the technician). What they judge is gathered by :mod:`antrean.doctor.probes`, so tests drive every
verdict without a broker, a disk or a printer.

>>> disk_space("/var/lib/antrean", total=32_000_000_000, free=1_000_000_000).level
'WARN'
>>> clock_offset(-0.4).level, clock_offset(7.0).level, clock_offset(90.0).level
('OK', 'WARN', 'FAIL')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from antrean.runtime import CLOCK_WARN_S
from protocol.payloads import DoctorCheck, DoctorLevel

CERT_WARN_DAYS = 30
CLOCK_FAIL_S = 60.0  # tickets would carry a time a minute off: the day's order and waits are wrong
DISK_WARN_FRACTION = 0.10
DISK_WARN_BYTES = 500 * 1024 * 1024


def check(name: str, level: DoctorLevel, detail: str) -> DoctorCheck:
    return DoctorCheck(name=name, level=level, detail=detail[:500])


def config_valid(path: str, role: str | None, error: str | None) -> DoctorCheck:
    if error is not None or role is None:
        lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
        detail = "; ".join(lines) or f"{path}: not a hub, kiosk, display or counter config"
        return check("config", "FAIL", detail)
    return check("config", "OK", f"{path} is a valid {role} config")


def certificate(name: str, subject: str, not_after: datetime, now: datetime) -> DoctorCheck:
    """FAIL once expired, WARN within :data:`CERT_WARN_DAYS` of expiry."""
    left = not_after - now
    when = not_after.strftime("%Y-%m-%d")
    if left <= timedelta(0):
        return check(name, "FAIL", f"{subject} expired on {when}: renew it (antrean provision --rotate)")
    if left < timedelta(days=CERT_WARN_DAYS):
        return check(name, "WARN", f"{subject} expires on {when}, in {left.days} days: renew it soon")
    return check(name, "OK", f"{subject} valid until {when}")


def clock_offset(offset_s: float | None, reason: str = "") -> DoctorCheck:
    """``offset_s`` is this node's clock minus the hub's; None: not measured (``reason`` says why)."""
    if offset_s is None:
        return check("clock", "WARN", f"offset to the hub not measured: {reason or 'no hub time seen'}")
    ahead = "ahead of" if offset_s >= 0 else "behind"
    detail = f"{abs(offset_s):.1f} s {ahead} the hub"
    if abs(offset_s) > CLOCK_FAIL_S:
        return check("clock", "FAIL", f"{detail}: ticket times are wrong; check chrony (chronyc tracking)")
    if abs(offset_s) > CLOCK_WARN_S:
        return check("clock", "WARN", f"{detail} (more than {CLOCK_WARN_S:.0f} s): check chrony")
    return check("clock", "OK", detail)


def disk_space(path: str, *, total: int, free: int) -> DoctorCheck:
    """WARN below 10 % or 500 MB free."""
    detail = f"{free / 1e9:.1f} GB free of {total / 1e9:.1f} GB on {path}"
    if total <= 0 or free < DISK_WARN_BYTES or free / total < DISK_WARN_FRACTION:
        return check("disk", "WARN", f"{detail}: free some space")
    return check("disk", "OK", detail)


def watchdog(env: Mapping[str, str], unit: str, unit_text: str | None) -> DoctorCheck:
    """Running under systemd with a watchdog (``$WATCHDOG_USEC``), or the node's unit file has
    ``WatchdogSec=``; neither: not under systemd."""
    usec = env.get("WATCHDOG_USEC", "")
    if usec.isdigit() and int(usec) > 0:
        return check("watchdog", "OK", f"systemd watchdog active ({int(usec) / 1e6:g} s)")
    if unit_text is None:
        return check("watchdog", "WARN", f"not under systemd (no {unit} unit installed)")
    for line in unit_text.splitlines():
        key, _, value = line.strip().partition("=")
        if key.strip() == "WatchdogSec" and value.strip() not in ("", "0", "infinity"):
            return check("watchdog", "OK", f"{unit} has WatchdogSec={value.strip()}")
    return check("watchdog", "FAIL", f"{unit} has no WatchdogSec=: a hung process would not be restarted")


def gpio_pins(pins: Iterable[str], factory: str | None, error: str | None) -> DoctorCheck:
    """The counter's pins are configured, none twice, and a gpiozero pin factory claims them."""
    keys = list(pins)
    if not keys:
        return check("gpio", "FAIL", "no pins configured")
    twice = sorted({pin for pin in keys if keys.count(pin) > 1})
    if twice:
        return check("gpio", "FAIL", f"pins used twice: {', '.join(twice)}")
    if error is not None:
        return check("gpio", "FAIL", f"no usable GPIO pin factory: {error}")
    return check("gpio", "OK", f"{len(keys)} pins claimed with {factory}")


def voice(engine: str, piper_model: str | None, piper_ok: bool, espeak: str | None) -> DoctorCheck:
    """The display's voice: the piper model file (when configured) or espeak-ng on the PATH."""
    if piper_model and piper_ok:
        return check("voice", "OK", f"piper voice {piper_model}")
    fallback = f"espeak-ng at {espeak}" if espeak else None
    if piper_model and engine != "espeak-ng":
        if fallback:
            return check("voice", "WARN", f"piper voice {piper_model} missing; falling back to {fallback}")
        return check("voice", "FAIL", f"piper voice {piper_model} missing and espeak-ng not installed")
    if fallback:
        return check("voice", "OK", fallback)
    return check("voice", "FAIL", "espeak-ng not installed (apt-get install espeak-ng) and no piper voice")


def printer(backend: str, name: str, state: str | None, error: str | None) -> DoctorCheck:
    """The kiosk's printer: FAIL when it cannot print, WARN for a dummy backend or paper running low."""
    if backend == "dummy":
        return check("printer", "WARN", "backend dummy: tickets are not printed (set [printer] backend)")
    if error is not None or state is None:
        return check("printer", "FAIL", error or f"{name}: no answer")
    if state == "ok":
        return check("printer", "OK", f"{name}: ready")
    if state == "paper_low":
        return check("printer", "WARN", f"{name}: paper running low")
    return check("printer", "FAIL", f"{name}: {state.replace('_', ' ')}")


def outcome(name: str, ok_detail: str, error: str | None, *, level: DoctorLevel = "FAIL") -> DoctorCheck:
    """A check that either worked (``ok_detail``) or failed with ``error`` at ``level``."""
    if error is None:
        return check(name, "OK", ok_detail)
    return check(name, level, error)


def failed(checks: Iterable[DoctorCheck]) -> bool:
    return any(c.level == "FAIL" for c in checks)
