"""Two ways to send a WhatsApp message behind one interface (:class:`Provider`):

- ``cloud``: the WhatsApp Business Cloud API — ``POST {base_url}/{phone_number_id}/messages`` with a Bearer
  token, a *template* message (``messaging_product: "whatsapp"``, ``type: "template"``) whose body
  parameters are the message's values;
- ``gateway``: a generic HTTP gateway of the kind Indonesian puskesmas use — ``POST url`` with the phone
  number and the rendered text, as JSON or a form, field names and token placement configurable.

A send answers a :class:`SendResult`: accepted (with the provider's message id), or refused, and whether
trying again later may help (timeouts, HTTP 429 and 5xx) or not (bad token, bad number: 4xx).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from hub.config import WhatsAppConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    phone: str  # 62...
    text: str
    template: str  # Cloud API template name
    params: list[str]  # Cloud API body parameters, in order


@dataclass(frozen=True)
class SendResult:
    ok: bool
    retryable: bool = False
    message_id: str = ""
    error: str = ""


class Provider(Protocol):
    name: str

    def send(self, message: OutgoingMessage) -> SendResult: ...


def _result(response: requests.Response, message_id: str) -> SendResult:
    if response.status_code < 300:
        return SendResult(True, message_id=message_id)
    retryable = response.status_code == 429 or response.status_code >= 500
    return SendResult(False, retryable, error=f"HTTP {response.status_code}: {response.text[:200]}")


class _Http:
    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.http = requests.Session()

    def post(self, url: str, **kwargs: Any) -> requests.Response | SendResult:
        try:
            return self.http.post(url, timeout=self.timeout_s, **kwargs)
        except requests.RequestException as error:
            return SendResult(False, True, error=f"{type(error).__name__}")


class CloudProvider(_Http):
    name = "cloud"

    def __init__(self, config: WhatsAppConfig) -> None:
        super().__init__(config.timeout_s)
        self.url = f"{config.base_url.rstrip('/')}/{config.phone_number_id}/messages"
        self.token = config.token
        self.language = config.language

    def body(self, message: OutgoingMessage) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.phone,
            "type": "template",
            "template": {
                "name": message.template,
                "language": {"code": self.language},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": value} for value in message.params],
                    }
                ],
            },
        }

    def send(self, message: OutgoingMessage) -> SendResult:
        response = self.post(
            self.url, json=self.body(message), headers={"Authorization": f"Bearer {self.token}"}
        )
        if isinstance(response, SendResult):
            return response
        message_id = ""
        if response.status_code < 300:
            try:
                message_id = str(response.json()["messages"][0]["id"])
            except (ValueError, KeyError, IndexError, TypeError):
                return SendResult(False, True, error="answer without a message id")
        return _result(response, message_id)


class GatewayProvider(_Http):
    name = "gateway"

    def __init__(self, config: WhatsAppConfig) -> None:
        super().__init__(config.timeout_s)
        self.config = config

    def send(self, message: OutgoingMessage) -> SendResult:
        config = self.config
        fields = {config.phone_field: message.phone, config.message_field: message.text}
        headers = {}
        if config.token_field:
            fields[config.token_field] = config.token
        elif config.token:
            headers["Authorization"] = config.token
        sent = {"json": fields} if config.body == "json" else {"data": fields}
        response = self.post(config.url, headers=headers, **sent)
        if isinstance(response, SendResult):
            return response
        if response.status_code < 300:
            try:
                answer = response.json()
            except ValueError:
                answer = {}
            if isinstance(answer, dict) and answer.get("status") is False:
                return SendResult(False, False, error=str(answer.get("reason") or answer)[:200])
            message_id = str(answer.get("id", "")) if isinstance(answer, dict) else ""
            return SendResult(True, message_id=message_id)
        return _result(response, "")


def build_provider(config: WhatsAppConfig) -> Provider | None:
    """The configured provider, or ``None`` when WhatsApp is off (``[whatsapp] provider = ""``)."""
    if config.provider == "cloud":
        return CloudProvider(config)
    if config.provider == "gateway":
        return GatewayProvider(config)
    return None
