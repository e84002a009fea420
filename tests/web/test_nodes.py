"""The node-health page: role, version, availability, clock offset (marked beyond 5 s) and the last doctor
result per node; an admin revokes a node there (confirmation, audit), and on the hub's embedded broker the
node's client is disconnected at once and refused at reconnect — in real Chromium against a hub started
from its provisioned bundle."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, expect, sync_playwright

from antrean.cli import main as antrean
from antrean.doctor.run import Doctor
from benchmarks.harness import HubProcess, user_add_args
from hub.config import BrokerConfig, HubConfig
from hub.db.models import AuditLog, NodeHealth
from hub.mqttauth import read_password_file, set_password
from hub.revoke import NodeAccounts
from hub.web.context import WebServices
from protocol import MqttLink, NodeStatus, ProtocolError, Topics
from tests.deploy.test_doctor import _kiosk_toml
from tests.deploy.test_tls_site import _site
from tests.support import artifacts_dir, wait_until
from tests.web.conftest import PASSWORD, Web
from tests.web.test_e2e import CHROMIUM_ARGS, PROBLEMS, open_page

REPORT = {
    "ok": False,
    "checks": [
        {"name": "config", "level": "OK", "detail": "/etc/antrean/kiosk.toml is a valid kiosk config"},
        {"name": "printer", "level": "FAIL", "detail": "printer device /dev/usb/lp0 does not exist"},
    ],
}


def _rows(services: WebServices) -> None:
    with services.sessions.begin() as session:
        session.add(
            NodeHealth(
                node="kiosk-1",
                role="kiosk",
                state="online",
                version="1.4.0",
                details={},
                clock_offset_s=7.25,
                doctor_result=REPORT,
                doctor_at=datetime(2026, 12, 2, 1, 30, tzinfo=UTC),
            )
        )
        session.add(
            NodeHealth(node="display-1", role="display", state="offline", version="1.3.9", details={})
        )


def test_page_shows_version_clock_offset_and_the_last_doctor_result(
    admin: Web, services: WebServices
) -> None:
    _rows(services)
    page = admin.get("/admin/node").get_data(as_text=True)
    assert "1.4.0" in page and "1.3.9" in page
    assert '<span class="badge warn" title="jam node dikurangi jam hub">+7.2 detik</span>' in page
    assert "1 gagal" in page and "02-12-2026 08:30" in page  # doctor time in Asia/Jakarta
    assert "printer device /dev/usb/lp0 does not exist" in page
    assert "Belum pernah diperiksa" in page  # display-1
    assert "Cabut akses" not in page  # this hub has no accounts to revoke


def test_revoke_removes_the_account_and_is_audited(admin: Web, services: WebServices, tmp_path: Path) -> None:
    _rows(services)
    passwd = tmp_path / "mqtt.passwd"
    set_password(passwd, "kiosk-1", "Kiosk-Pass-4821")
    marker = tmp_path / "reloaded"
    config = HubConfig(broker=BrokerConfig(password_file=str(passwd), reload_command=f"touch {marker}"))
    services.accounts = NodeAccounts(config)
    page = admin.get("/admin/node").get_data(as_text=True)
    assert page.count("Cabut akses") == 1  # kiosk-1 only: display-1 has no account
    assert "Dicabut" in page  # display-1's account is not in the file
    response = admin.post("/admin/node/kiosk-1/cabut", follow_redirects=True)
    assert "Akun node kiosk-1 dicabut" in response.get_data(as_text=True)
    assert read_password_file(passwd) == {} and marker.exists()
    with services.sessions() as session:
        audit = session.query(AuditLog).filter_by(action="node_revoke").one()
    assert audit.username == "admin" and audit.new_values is not None
    assert audit.new_values["node"] == "kiosk-1" and audit.new_values["removed"] is True
    again = admin.post("/admin/node/kiosk-1/cabut", follow_redirects=True).get_data(as_text=True)
    assert "tidak mempunyai akun MQTT" in again
    assert admin.post("/admin/node/bad%20id/cabut").status_code == 404


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.mark.slow  # a hub from its bundle, TLS nodes and Chromium
def test_admin_revokes_a_connected_node_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    site = _site(tmp_path)
    hub_toml = site.prefix / "hub.toml"
    assert antrean(["user", *user_add_args(hub_toml, "admin", "admin", PASSWORD, "--name", "Admin")]) == 0
    web_port = int(hub_toml.read_text().split("[web]")[1].split("port = ")[1].split("\n")[0])
    hub = HubProcess(hub_toml, tmp_path / "hub.log").start()
    topics = Topics("pkm")
    links: list[MqttLink] = []
    for node, role in (("kiosk-1", "kiosk"), ("display-1", "display")):
        status = NodeStatus(node=node, role=role, state="online", version="1.4.0")
        link = MqttLink(
            site.url(node),
            client_id=f"antrean-pkm-{node}",
            status_topic=topics.node_status(node),
            online=status,
            offline=status.model_copy(update={"state": "offline"}),
            ca_file=site.ca_file,
        )
        links.append(link)
        assert link.start(wait=10)
    kiosk, display = links
    try:
        assert Doctor(str(_kiosk_toml(site, tmp_path)), env={}).run().sent
        page = open_page(browser)
        url = f"http://127.0.0.1:{web_port}"
        page.goto(f"{url}/login")
        page.fill("#f-username", "admin")
        page.fill("#f-password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda address: "/login" not in address)
        for _ in range(50):
            page.goto(f"{url}/admin/node")
            if (
                page.locator("#node-kiosk-1 .doctor .badge").count()
                and page.locator("#node-display-1").count()
            ):
                break
            page.wait_for_timeout(100)
        row = page.locator("#node-kiosk-1")
        expect(row).to_contain_text("1.4.0")
        expect(row.locator(".doctor .badge")).to_have_text("1 peringatan")  # not under systemd here
        expect(row.locator(".clock .badge.ok")).to_contain_text("detik")
        page.screenshot(path=str(artifacts_dir("web") / "node_health.png"), full_page=True)

        questions: list[str] = []

        def answer(dialog: Dialog) -> None:
            questions.append(dialog.message)
            dialog.accept()

        page.on("dialog", answer)
        row.locator("button:has-text('Cabut akses')").click()
        expect(page.locator(".flash.success")).to_contain_text("Akun node kiosk-1 dicabut")
        assert questions and "kiosk-1" in questions[0]
        wait_until(lambda: not kiosk.connected.is_set(), timeout=10)  # disconnected at once
        expect(page.locator("#node-kiosk-1")).to_contain_text("Dicabut")
        for _ in range(50):  # the node's last will (offline) reaches the hub
            if "Offline" in page.locator("#node-kiosk-1").inner_text():
                break
            page.wait_for_timeout(100)
            page.goto(f"{url}/admin/node")
        expect(page.locator("#node-kiosk-1")).to_contain_text("Offline")
        page.locator("#node-kiosk-1 details summary").click()
        page.screenshot(path=str(artifacts_dir("web") / "node_revoked.png"), full_page=True)
        time.sleep(3)  # paho tries again every 1-5 s: each attempt is refused
        assert not kiosk.connected.is_set() and display.connected.is_set()
        wait_until(lambda: "refused: wrong user name or password for 'kiosk-1'" in hub.log(), timeout=10)
        assert "kiosk-1" not in read_password_file(site.prefix / "mqtt.passwd")
        page.goto(f"{url}/admin/audit")
        expect(page.locator("table")).to_contain_text("node_revoke")
        assert PROBLEMS == []
    finally:
        for link in links:
            link.stop()
        hub.stop()


def test_gateway_stores_a_doctor_report_of_the_node_on_its_own_topic(services: WebServices) -> None:
    from typing import Any, cast

    from hub.gateway import Gateway
    from protocol import DoctorCheck, DoctorReport

    gateway = Gateway(cast(Any, None), Topics("pkm"), services.dispatcher, cast(Any, None))
    report = DoctorReport(
        node="counter-1",
        role="counter",
        version="1.5.0",
        checked_at=datetime(2026, 12, 2, 1, 0, tzinfo=UTC),
        ok=True,
        clock_offset_s=-0.8,
        checks=[DoctorCheck(name="gpio", level="OK", detail="12 pins claimed with NativeFactory")],
    )
    gateway.on_node_doctor({"node": "counter-2"}, report.encode())  # another node's topic: ignored
    gateway.on_node_doctor({"node": "counter-1"}, report.encode()[:-1] + b', "extra": 1}')  # strict: ignored
    gateway.on_node_doctor({"node": "counter-1"}, b"")  # a cleared retained report
    with services.sessions() as session:
        assert session.get(NodeHealth, "counter-1") is None
    gateway.on_node_doctor({"node": "counter-1"}, report.encode())
    with services.sessions() as session:
        row = session.get(NodeHealth, "counter-1")
        assert row is not None and row.state == "offline" and row.version == "1.5.0"
        assert row.clock_offset_s == -0.8 and row.doctor_result is not None
        assert row.doctor_result["checks"][0]["name"] == "gpio"
    status = NodeStatus(node="counter-1", role="counter", state="online", version="1.5.1")
    gateway.on_node_status({"node": "counter-1"}, status.encode())
    gateway.on_node_doctor({"node": "counter-1"}, report.encode())
    with services.sessions() as session:
        row = session.get(NodeHealth, "counter-1")
        assert row is not None and row.state == "online" and row.version == "1.5.1"  # the running program's
        assert row.clock_offset_s == -0.8
    skewed = status.model_copy(update={"details": {"clock_offset_s": 12.5}})  # the node measured it itself
    gateway.on_node_status({"node": "counter-1"}, skewed.encode())
    with services.sessions() as session:
        row = session.get(NodeHealth, "counter-1")
        assert row is not None and row.clock_offset_s == 12.5


def test_hub_status_with_hub_time_is_read_by_nodes_of_before_and_refused_unknown_by_the_hub() -> None:
    now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    status = NodeStatus(node="hub", role="hub", state="online", version="1.5", hub_time=now)
    assert NodeStatus.decode(status.encode()).hub_time == now
    old_shape = b'{"v": 1, "node": "hub", "role": "hub", "state": "online", "version": "1.4", "details": {}}'
    assert NodeStatus.decode(old_shape).hub_time is None  # a hub of the previous release
    newer = status.encode()[:-1] + b', "hub_zone": "WIB"}'
    assert NodeStatus.decode(newer, tolerant=True).hub_time == now
    with pytest.raises(ProtocolError):
        NodeStatus.decode(newer)  # the hub stays strict
