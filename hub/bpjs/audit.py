"""Every PCare exchange recorded in ``bpjs_logs``, redacted (:mod:`hub.bpjs.redact`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.bpjs.client import CallContext, CallRecord
from hub.bpjs.redact import redact_body, redact_path, redact_text
from hub.db.models import BpjsLog


def log_row(record: CallRecord, context: CallContext | None) -> BpjsLog:
    """The ``bpjs_logs`` row of one exchange (pure: builds, does not store)."""
    context = context or CallContext()
    response: dict[str, Any] = {"code": record.bpjs_code, "message": redact_text(record.bpjs_message)}
    if record.data is not None:
        response["data"] = redact_body(record.data)
    if record.attempt > 1:
        response["attempt"] = record.attempt
    return BpjsLog(
        patient_id=context.patient_id,
        registration_id=context.registration_id,
        action_type=record.action,
        api_endpoint=redact_path(record.path),
        http_method=record.method,
        request_body=None if record.request_body is None else redact_body(record.request_body),
        response_body=response,
        status_code=record.http_status,
        duration_ms=record.duration_ms,
        is_success=record.ok,
        error_message=(
            None if record.ok else f"{record.error_code}: {redact_text(record.error_detail)}".rstrip(": ")
        ),
        user_id=context.user_id,
    )


class AuditLog:
    """Client observer that stores each exchange in its own transaction (kept even if the caller fails;
    the client logs and swallows a failure to store)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def __call__(self, record: CallRecord, context: CallContext | None) -> None:
        with self.sessions.begin() as session:
            session.add(log_row(record, context))
