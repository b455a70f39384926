"""
WhatsApp Cloud API (Graph API) sender: renders copy and POSTs /{phone-number-id}/messages.

Errors are classified by what retrying could achieve: timeouts, transport errors, 429,
5xx and Meta's throttling / transient codes are retryable; everything else (bad token,
invalid recipient, 4xx) is permanent and goes to the dead letters.
"""

from __future__ import annotations

from typing import Any

import httpx

from actors.composer import Composer, CopyError
from actors.errors import PermanentDeliveryError, RetryableDeliveryError
from storage import ClaimedDelivery

__all__ = ["RETRYABLE_GRAPH_CODES", "WhatsAppSender"]

# 130429 throughput, 131056 pair rate, 80007 / 4 app rate, 131000 / 1 / 2 transient.
RETRYABLE_GRAPH_CODES = frozenset({130429, 131056, 80007, 4, 131000, 1, 2})


class WhatsAppSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        composer: Composer,
        *,
        api_base: str,
        phone_number_id: str | None,
        access_token: str | None,
        timeout_s: float = 15.0,
    ) -> None:
        self._client = client
        self._composer = composer
        self._url = f"{api_base.rstrip('/')}/{phone_number_id}/messages"
        self._configured = bool(phone_number_id and access_token)
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._timeout = timeout_s

    async def deliver(self, delivery: ClaimedDelivery) -> str | None:
        if not self._configured:
            raise RetryableDeliveryError(
                "not_configured", "WHATSAPP_ACCESS_TOKEN / WHATSAPP_PHONE_NUMBER_ID unset"
            )
        payload = delivery.payload
        try:
            message = self._composer.render(payload)
        except CopyError as error:  # the copy changed under a queued row: retrying won't help
            raise PermanentDeliveryError("copy", str(error)) from error
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": payload["to"],
            # Echoed back in status webhooks: ties a delivery report to this outbox row.
            "biz_opaque_callback_data": delivery.idempotency_key,
            **message,
        }
        try:
            response = await self._client.post(
                self._url, json=body, headers=self._headers, timeout=self._timeout
            )
        except httpx.TimeoutException as error:
            raise RetryableDeliveryError("timeout", type(error).__name__) from error
        except httpx.TransportError as error:
            raise RetryableDeliveryError("transport", type(error).__name__) from error
        if response.status_code == 200:
            return _message_id(response)
        raise _classify(response)


def _message_id(response: httpx.Response) -> str | None:
    try:
        messages = response.json().get("messages") or []
        return str(messages[0]["id"]) if messages else None
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None


def _classify(response: httpx.Response) -> RetryableDeliveryError | PermanentDeliveryError:
    code: int | None = None
    detail = f"HTTP {response.status_code}"
    try:
        error = response.json().get("error") or {}
        code = int(error["code"]) if "code" in error else None
        detail = str(error.get("message", detail))[:200]
    except (ValueError, TypeError, AttributeError):
        pass
    label = str(code) if code is not None else f"http_{response.status_code}"
    retryable = (
        response.status_code == 429
        or response.status_code >= 500
        or (code is not None and code in RETRYABLE_GRAPH_CODES)
    )
    if retryable:
        return RetryableDeliveryError(label, detail)
    return PermanentDeliveryError(label, detail)
