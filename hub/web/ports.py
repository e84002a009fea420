"""What the web needs from the hub's integrations, as protocols: the BPJS bridge the loket uses
(:class:`hub.bpjs.service.BpjsBridge` is one; tests may pass another) and the handle of a running web
server (:class:`hub.web.server.WebServer`)."""

from __future__ import annotations

from typing import Any, Protocol

from hub.bpjs.models import BridgeResult, OutboxItem, ParticipantResult
from hub.db.statuses import OutboxStatus


class BpjsPort(Protocol):
    """The BPJS PCare bridge as the loket and the admin pages use it. Every call answers for staff
    (Indonesian ``message``) rather than raising."""

    def configured(self) -> bool: ...

    def check_participant(
        self,
        *,
        card: str | None = None,
        nik: str | None = None,
        user_id: int | None = None,
        patient_id: int | None = None,
    ) -> ParticipantResult: ...

    def register_visit(
        self,
        registration_id: int,
        *,
        kd_poli: str,
        keluhan: str = "",
        kunj_sakit: bool = True,
        user_id: int | None = None,
    ) -> BridgeResult: ...

    def cancel_visit(self, registration_id: int, *, user_id: int | None = None) -> BridgeResult: ...

    def outbox_summary(self) -> dict[str, int]: ...

    def outbox_items(self, limit: int = 50, status: OutboxStatus | None = None) -> list[OutboxItem]: ...

    def retry_outbox(self, item_id: int) -> bool: ...

    def settings_view(self) -> dict[str, Any]: ...

    def save_settings(self, values: dict[str, str | None], user_id: int | None) -> list[str]: ...


class WebHandle(Protocol):
    """A running web server, as the hub holds it."""

    def stop(self) -> None: ...
