"""
WhatsApp Cloud API (Graph API) sender: renders copy and POSTs /{version}/{phone-number-id}/messages.

The 24-hour window is judged here, at delivery, from the lead's `last_inbound_at` as
the claim read it: inside it (or when we do not know) the message goes free-form;
outside it, the configured template goes instead, without trying free-form first; with
no template for that message it is suppressed. Meta has the last word: a free-form
message refused with 131047 is re-sent at once as its template (or suppressed). The
artist's own number gets free-form messages and falls back only on 131047, since we do
not track the artist's window. A message Meta later reported failed with 131047 comes
back as `as_template` and goes straight as its template.

A reply that carries `mark_read` first marks the lead's message read with the typing
indicator (one call, no pacing: it is not a message; only on the row's first attempt).
It never holds the reply back: a failure of it is logged and the reply goes, and its
call is bounded by `read_timeout_s`. A `MarkRead` row (queued before replies carried
it) is that call alone, suppressed when it fails.

Meta's pair rate (131056) backs off that recipient only: the pacer holds the recipient
for `pair_rate_hold_s` and the row is retried; other recipients go on as before.

Errors are classified by what retrying could achieve:
    RetryableDeliveryError   429, 5xx, Meta's throttling and transient codes, timeouts and
                             transport errors (`uncertain` when the request had left us)
    PermanentDeliveryError   190 (token), any other 4xx, a copy key gone from the copy
    DeliverySuppressed       outside the window with no template for the message
    DeliveryDeferred         our own pacing (actors.providers.whatsapp.pacing) asks for later
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import structlog

from actors.copy import Composer, CopyError
from actors.errors import DeliverySuppressed, PermanentDeliveryError, RetryableDeliveryError
from actors.lead import MarkRead, Message, OfferDesign, SendMedia
from actors.outbox.deadline import Deadline
from actors.outbox.delivery import Delivery, outside_window
from actors.providers.whatsapp.graph import GraphAnswer, GraphCallFailed, GraphCalls
from actors.providers.whatsapp.pacing import Pacing
from actors.providers.whatsapp.templates import Templates
from actors.providers.whatsapp.uploads import StudioUploads, studio_file_row
from actors.providers.whatsapp.version import DEFAULT_GRAPH_VERSION, graph_root
from actors.runtime.clock import Clock, SystemClock

__all__ = ["OUTSIDE_WINDOW_CODE", "PAIR_RATE_CODE", "RETRYABLE_GRAPH_CODES", "WhatsAppSender"]

log = structlog.get_logger("actors.providers.whatsapp.sender")

# 130429 throughput, 131056 pair rate, 80007 / 4 app rate, 131000 / 1 / 2 transient.
RETRYABLE_GRAPH_CODES = frozenset({130429, 131056, 80007, 4, 131000, 1, 2})
OUTSIDE_WINDOW_CODE = 131047
PAIR_RATE_CODE = "131056"


class _OutsideWindow(Exception):
    """Meta refused a free-form message with 131047."""


class WhatsAppSender:
    """The relay's deliverer for channel "whatsapp": one outbox row, one message."""

    def __init__(
        self,
        graph: GraphCalls,
        composer: Composer,
        *,
        api_base: str,
        api_version: str = DEFAULT_GRAPH_VERSION,
        phone_number_id: str | None,
        access_token: str | None,
        timeout_s: float = 15.0,
        templates: Templates | None = None,
        pacing: Pacing | None = None,
        artist_number: str | None = None,
        clock: Clock | None = None,
        read_timeout_s: float = 3.0,
        pair_rate_hold_s: float = 1.0,
        uploads: StudioUploads | None = None,
    ) -> None:
        self._graph = graph
        self._uploads = uploads  # files from the studio page, uploaded as they go
        self._composer = composer
        self._url = f"{graph_root(api_base, api_version)}/{phone_number_id}/messages"
        self._configured = bool(phone_number_id and access_token)
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._timeout = timeout_s
        self._templates = templates
        self._pacing = pacing
        self._artist = artist_number.lstrip("+") if artist_number else None
        self._clock = clock or SystemClock()  # the service's clock, as the timers use
        self._read_timeout = min(read_timeout_s, timeout_s)
        self._pair_rate_hold = pair_rate_hold_s

    async def deliver(self, delivery: Delivery, deadline: Deadline) -> str | None:
        effect = delivery.effect
        if not isinstance(effect, Message | MarkRead):
            raise PermanentDeliveryError("wrong_channel", type(effect).__name__)
        if not self._configured:
            raise RetryableDeliveryError(
                "not_configured", "WHATSAPP_ACCESS_TOKEN / WHATSAPP_PHONE_NUMBER_ID unset"
            )
        if isinstance(effect, MarkRead):
            failure = await self._mark_read(effect.wamid, deadline)
            if failure is not None:
                raise DeliverySuppressed("read_receipt_failed", failure)
            return None
        if effect.mark_read and delivery.claim.attempt == 1:
            failure = await self._mark_read(effect.mark_read, deadline)
            if failure is not None:
                log.warning("whatsapp.read_receipt_failed", reason=failure)
        if isinstance(effect, SendMedia | OfferDesign) and (
            row := studio_file_row(effect.media_id)
        ):
            if self._uploads is None:
                raise PermanentDeliveryError("no_uploads", "studio files cannot be uploaded")
            effect = replace(effect, media_id=await self._uploads.media_id(row, deadline))
        if effect.as_template:
            return await self._send_template(delivery, effect, deadline, why="reported_131047")
        if outside_window(delivery, self._clock.now(), self._artist):
            return await self._send_template(delivery, effect, deadline, why="outside_window")
        try:
            message = self._composer.render(effect)
        except CopyError as error:  # the copy changed under a queued row: retrying won't help
            raise PermanentDeliveryError("copy", str(error)) from error
        try:
            return await self._post(delivery, effect.to, message, deadline)
        except _OutsideWindow:
            log.info("whatsapp.template_fallback", error_code=str(OUTSIDE_WINDOW_CODE))
            why = str(OUTSIDE_WINDOW_CODE)
            return await self._send_template(delivery, effect, deadline, why=why)

    async def _send_template(
        self,
        delivery: Delivery,
        effect: Message,
        deadline: Deadline,
        *,
        why: str,
    ) -> str | None:
        try:
            message = self._templates.message(effect) if self._templates else None
        except CopyError as error:
            raise PermanentDeliveryError("copy", str(error)) from error
        if message is None:
            raise DeliverySuppressed("outside_window", f"no template for {effect.key!r} ({why})")
        try:
            provider_id = await self._post(delivery, effect.to, message, deadline)
        except _OutsideWindow as error:  # a template cannot be outside the window
            raise PermanentDeliveryError(str(OUTSIDE_WINDOW_CODE), "template refused") from error
        log.info("whatsapp.sent_as_template", why=why, template=message["template"]["name"])
        return provider_id

    async def _mark_read(self, wamid: str, deadline: Deadline) -> str | None:
        """Read receipt and typing indicator; what went wrong, or None."""
        body = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid,
            "typing_indicator": {"type": "text"},
        }
        timeout = min(self._read_timeout, deadline.check())
        try:
            answer = await self._graph.post_json(self._url, body, self._headers, timeout)
        except GraphCallFailed as error:
            return error.detail
        return None if answer.status == 200 else f"HTTP {answer.status}"

    async def _post(
        self, delivery: Delivery, to: str, message: dict[str, Any], deadline: Deadline
    ) -> str | None:
        to, field = _address(delivery, to)
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            field: to,
            # Echoed back in status webhooks: ties a delivery report to this outbox row.
            "biz_opaque_callback_data": delivery.claim.idempotency_key,
            **message,
        }
        if self._pacing is not None:
            await self._pacing.wait_turn(to)
        # Last check before the call, which may not outlive the lease either: a process
        # paused in the connection pool wakes to a spent timeout, not to a send.
        timeout = min(self._timeout, deadline.check())
        try:
            answer = await self._graph.post_json(self._url, body, self._headers, timeout)
        except GraphCallFailed as error:
            if error.code == "config":
                raise PermanentDeliveryError("config", error.detail) from error
            # "connect" never reached Meta: a plain retry. Otherwise Meta may have it.
            raise RetryableDeliveryError(
                error.code, error.detail, uncertain=error.reached
            ) from error
        if answer.status == 200:
            return _message_id(answer)
        refusal = _classify(answer)
        if isinstance(refusal, RetryableDeliveryError) and refusal.code == PAIR_RATE_CODE:
            if self._pacing is not None:
                self._pacing.recipients.hold(to, self._pair_rate_hold)
            log.info("whatsapp.pair_rate_backoff", hold_s=self._pair_rate_hold)
        raise refusal


def _address(delivery: Delivery, to: str) -> tuple[str, str]:
    """Where a message goes: the lead's phone (`to`) when known, else its BSUID
    (`recipient`); never neither, never both. Anyone else (the artist) by `to`."""
    claim = delivery.claim
    if to != claim.lead_key:
        return to, "to"
    if claim.lead_phone:
        return claim.lead_phone, "to"
    if claim.lead_user_id:
        return claim.lead_user_id, "recipient"
    if to.isdigit():
        return to, "to"  # a lead from before its identifiers were kept: its key is its phone
    raise PermanentDeliveryError("no_address", "the lead has neither a phone nor a BSUID")


def _message_id(answer: GraphAnswer) -> str | None:
    try:
        messages = answer.json().get("messages") or []
        return str(messages[0]["id"]) if messages else None
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None


def _classify(
    answer: GraphAnswer,
) -> RetryableDeliveryError | PermanentDeliveryError | _OutsideWindow:
    code: int | None = None
    detail = f"HTTP {answer.status}"
    try:
        error = answer.json().get("error") or {}
        code = int(error["code"]) if "code" in error else None
        detail = str(error.get("message", detail))[:200]
    except (ValueError, TypeError, AttributeError):
        pass
    if code == OUTSIDE_WINDOW_CODE:
        return _OutsideWindow(detail)
    label = str(code) if code is not None else f"http_{answer.status}"
    retryable = (
        answer.status == 429
        or answer.status >= 500
        or (code is not None and code in RETRYABLE_GRAPH_CODES)
    )
    if retryable:
        return RetryableDeliveryError(label, detail)
    return PermanentDeliveryError(label, detail)
