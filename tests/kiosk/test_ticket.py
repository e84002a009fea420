"""The printed ticket, byte for byte, at 58 and 80 mm (golden files inspected and committed).

Regenerate after an intended change with ``ANTREAN_UPDATE_GOLDEN=1 pytest tests/kiosk/test_ticket.py`` and
inspect the diff (``python -c "print(open('tests/kiosk/golden/ticket_80.bin','rb').read())"``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from firmware.kiosk_node.cli import main as kiosk_main
from firmware.kiosk_node.ticket import TicketSettings, estimate_text, render_ticket
from tests.kiosk import samples

GOLDEN = Path(__file__).parent / "golden"
INIT = b"\x1b@"
FULL_CUT = b"\x1dV\x00"
QR_STORE = b"\x1d(k"  # GS ( k: native 2D code commands
RASTER = b"\x1dv0"  # GS v 0: bitmap


def settings(width: int, **changes: object) -> TicketSettings:
    values: dict[str, object] = {
        "width_mm": width,
        "site_name": samples.SITE_NAME,
        "motto": samples.MOTTO,
        "footer": "Simpan tiket ini. Perhatikan layar antrean.",
    }
    values.update(changes)
    return TicketSettings(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("width", [58, 80])
def test_ticket_bytes_match_the_golden_file(width: int) -> None:
    data = render_ticket(samples.ticket(), settings(width))
    golden = GOLDEN / f"ticket_{width}.bin"
    if os.environ.get("ANTREAN_UPDATE_GOLDEN"):
        golden.write_bytes(data)
    assert data == golden.read_bytes()


@pytest.mark.parametrize("width", [58, 80])
def test_ticket_carries_everything_the_patient_needs(width: int) -> None:
    ticket = samples.ticket()
    data = render_ticket(ticket, settings(width))
    assert data.startswith(INIT)
    assert data.endswith(FULL_CUT)
    for text in (
        samples.SITE_NAME,
        samples.MOTTO,
        "NOMOR ANTREAN",
        "P-003",
        "PRIORITAS",
        "Lansia",
        "Poli Umum",
        "BPJS",
        "26/02/2026",
        "07:45",
        "2 orang",
        "10-20 menit",
    ):
        assert text.encode() in data, text
    # the number is printed larger than everything else: GS ! with the scale in both nibbles
    scale = {58: 4, 80: 6}[width] - 1
    assert b"\x1d!" + bytes([scale << 4 | scale]) + b"\x1bE\x01P-003\n" in data
    # native QR: store the status URL (fn 80) then print it (fn 81)
    url = ticket.status_url.encode()
    store = QR_STORE + (len(url) + 3).to_bytes(2, "little") + b"1P0" + url
    assert store in data
    assert QR_STORE + b"\x03\x001Q0" in data
    assert data.index(store) < data.index(FULL_CUT)


def test_line_width_follows_the_paper() -> None:
    narrow = render_ticket(samples.ticket(), settings(58))
    wide = render_ticket(samples.ticket(), settings(80))
    assert b"-" * 32 + b"\n" in narrow and b"-" * 33 not in narrow
    assert b"-" * 48 + b"\n" in wide
    printable = re.sub(rb"\x1b@|\x1b[!Eatd].|\x1d!.", b"", narrow, flags=re.S)
    lines = [line for line in printable.split(b"\n") if b"\x1d(k" not in line]
    assert max(len(line) for line in lines) <= 32


def test_general_ticket_has_no_priority_marker_and_local_time() -> None:
    ticket = samples.general_ticket().model_copy(
        update={"issued_at": samples.ticket().issued_at.replace(hour=0, minute=30).astimezone()}
    )
    data = render_ticket(ticket, settings(80, timezone="Asia/Jakarta"))
    assert b"A-012" in data
    assert b"PRIORITAS" not in data
    assert b"Umum" in data and b"25-40 menit" in data and b"00:30" in data


def test_image_qr_for_printers_without_native_qr() -> None:
    data = render_ticket(samples.ticket(), settings(58, qr="image"))
    assert RASTER in data
    assert QR_STORE not in data
    assert data.endswith(FULL_CUT)


def test_estimate_text() -> None:
    assert estimate_text(0, 0) == "segera"
    assert estimate_text(15, 15) == "± 15 menit"
    assert estimate_text(10, 20) == "10-20 menit"


@pytest.mark.parametrize("width", [58, 80])
def test_render_ticket_command_writes_the_golden_bytes(tmp_path: Path, width: int) -> None:
    source = tmp_path / "ticket.json"
    source.write_text(samples.ticket().model_dump_json(), encoding="utf-8")
    out = tmp_path / "ticket.bin"
    code = kiosk_main(
        [
            "render-ticket",
            str(source),
            "--width",
            str(width),
            "--out",
            str(out),
            "--site-name",
            samples.SITE_NAME,
            "--motto",
            samples.MOTTO,
        ]
    )
    assert code == 0
    assert out.read_bytes() == (GOLDEN / f"ticket_{width}.bin").read_bytes()


def test_render_ticket_command_refuses_a_bad_ticket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = kiosk_main(["render-ticket", '{"number": "A-001"}', "--out", str(tmp_path / "x.bin")])
    assert code == 2
    assert "cannot read the ticket" in capsys.readouterr().err
    assert not (tmp_path / "x.bin").exists()
