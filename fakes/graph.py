"""
A fake WhatsApp Cloud API (Graph API): POST /{phone-number-id}/messages, the media API
(GET /{media-id}, then the bytes from the URL it gives; POST /{phone-number-id}/media, a
multipart upload, refused as Meta refuses a type it does not take, a file over its
kind's limit, or a missing `messaging_product`, `type` or `file`), and delivery statuses.

It parses the real JSON, records every accepted message (text, interactive, media of
each type, and template; a media item without its id, a caption on audio or a sticker,
or any field over Meta's limits (`actors.copy.limits`, the composer's own table: 131009
naming the field) is refused as Meta refuses it) and every read receipt (`status: read` with the
typing indicator), and answers like Meta does: 200 with a wamid, or an error envelope
with Meta's codes. Media added with `add_media` is served with its sha256 (or a wrong
one, `bad_checksum=True`). `statuses_for(message)` writes the `statuses[]` Meta would
post about a message (sent, delivered, read; or failed with `errors[]` for recipients
set with `fail_delivery`), in order, reversed or shuffled;
`fakes.statuses.StatusReporter` posts them to a service's webhook (also before the
service hears the send was accepted: `before_answer`). Failures are scripted per call
(`fail_next`), for a share of calls (`fail_randomly`), for a stretch of time (`down` /
`up`: 503 for everything), or per recipient (`close_window`: free-form messages get
131047, templates still go). Two failures are not answers at all: a stall longer than
the client's timeout, and a message accepted whose response is lost (recorded as sent,
then the connection drops).

The core is served over real HTTP (`serve`: a threaded server on 127.0.0.1), so the
service's own Graph client is what the tests run, sockets, timeouts and dropped
connections included; a fake in a process of its own is `fakes.graph_process`.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import itertools
import json
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from actors.copy.limits import WhatsAppLimits as Limits
from actors.providers.whatsapp.version import DEFAULT_GRAPH_VERSION
from fakes.local_http import LocalHTTPServer
from fakes.meta import status_entry

__all__ = [
    "FakeGraphApi",
    "FakeMedia",
    "GraphFailure",
    "GraphReply",
    "GraphServer",
    "SentMessage",
    "StatusOrder",
    "over_limit",
]

StatusOrder = Literal["in_order", "reversed", "shuffled"]
_DOWNLOAD = "/download/"
# Meta's media message types; audio and stickers take no caption (Meta refuses one).
_MEDIA_TYPES = frozenset({"image", "video", "audio", "document", "sticker"})
_UNCAPTIONED = frozenset({"audio", "sticker"})
_MB = 1024 * 1024
# What Meta's media upload takes: type -> the most bytes of it (Cloud API, "Supported
# media types"): images JPEG/PNG 5 MB, audio and video 16 MB, documents 100 MB, a
# (static) sticker 100 KB.
UPLOAD_TYPES: dict[str, int] = {
    "image/jpeg": 5 * _MB,
    "image/png": 5 * _MB,
    "image/webp": 100 * 1024,
    "video/mp4": 16 * _MB,
    "video/3gpp": 16 * _MB,
    "audio/aac": 16 * _MB,
    "audio/mpeg": 16 * _MB,
    "audio/mp4": 16 * _MB,
    "audio/ogg": 16 * _MB,
    "audio/amr": 16 * _MB,
    "text/plain": 100 * _MB,
    "application/pdf": 100 * _MB,
    "application/msword": 100 * _MB,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 * _MB,
    "application/vnd.ms-excel": 100 * _MB,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": 100 * _MB,
}
# What Meta answers a field over its limit (actors.copy.limits), with the field in details.
INVALID_VALUE_CODE = 131009
INVALID_VALUE = "Parameter value is not valid"


@dataclass(frozen=True)
class GraphFailure:
    """One scripted failure: an error answer, a stall, or an accepted-but-lost response."""

    status: int
    code: int
    message: str = "scripted failure"
    kind: Literal["error", "stall", "lost"] = "error"

    @classmethod
    def rate_limited(cls) -> GraphFailure:
        return cls(429, 130429, "Rate limit hit")

    @classmethod
    def pair_rate_limited(cls) -> GraphFailure:
        return cls(400, 131056, "(Business Account, Consumer Account) pair rate limit hit")

    @classmethod
    def server_error(cls) -> GraphFailure:
        return cls(500, 131000, "Something went wrong")

    @classmethod
    def unavailable(cls) -> GraphFailure:
        return cls(503, 2, "Service temporarily unavailable")

    @classmethod
    def outside_window(cls) -> GraphFailure:
        return cls(400, 131047, "Re-engagement message")

    @classmethod
    def bad_token(cls) -> GraphFailure:
        return cls(401, 190, "Invalid OAuth access token")

    @classmethod
    def timeout(cls) -> GraphFailure:
        """No answer until the client gives up; the message is not accepted."""
        return cls(0, 0, "stalled", kind="stall")

    @classmethod
    def response_lost(cls) -> GraphFailure:
        """The message is accepted (recorded as sent), then the connection drops."""
        return cls(0, 0, "connection dropped", kind="lost")


@dataclass(frozen=True)
class GraphReply:
    """What the core decided: an answer, or `stall` / `drop` instead of one."""

    status: int
    payload: dict[str, Any]
    action: Literal["answer", "stall", "drop"] = "answer"
    content: bytes | None = None  # a media download: these bytes instead of the JSON
    content_type: str = "application/json"


@dataclass(frozen=True)
class FakeMedia:
    """A media item a lead sent, as Meta keeps it."""

    id: str
    content: bytes
    mime_type: str
    sha256: str  # hex, as the media API writes it (wrong on purpose for a bad checksum)


@dataclass(frozen=True)
class SentMessage:
    to: str
    type: str
    body: dict[str, Any]
    wamid: str
    authorization: str | None
    path: str = ""  # the request path: which base URL (so which sender) it came through
    accepted_at: float = 0.0  # time.time() when it was accepted
    response_lost: bool = False  # accepted, then the connection dropped without an answer
    phone_number_id: str = ""  # the business number it was sent from (the path's)

    @property
    def template_name(self) -> str | None:
        return str(self.body["template"]["name"]) if self.type == "template" else None

    @property
    def template_params(self) -> list[str]:
        if self.type != "template":
            return []
        components = self.body["template"].get("components", [])
        return [p["text"] for c in components if c["type"] == "body" for p in c["parameters"]]

    @property
    def text(self) -> str:
        """What the recipient reads; a template shows as `template <name>: p1 | p2`."""
        if self.type == "text":
            return str(self.body["text"]["body"])
        if self.type == "interactive":
            return str(self.body["interactive"]["body"]["text"])
        if self.type == "template":
            return f"template {self.template_name}: {' | '.join(self.template_params)}"
        return ""


@dataclass
class FakeGraphApi:
    phone_number_id: str = "100200300"
    access_token: str = "test-access-token"
    # More business numbers served (many studios): phone_number_id -> its own access
    # token, or None for `access_token` (the deployment's). Any other number is refused
    # as Graph refuses an object it does not know (400, code 100, subcode 33).
    numbers: dict[str, str | None] = field(default_factory=dict)
    sent: list[SentMessage] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)  # every valid request
    requests: int = 0
    # (name, language) -> number of body parameters; empty: any template is approved.
    approved_templates: dict[tuple[str, str], int] = field(default_factory=dict)
    _failures: deque[GraphFailure] = field(default_factory=deque)
    _media_failures: deque[GraphFailure] = field(default_factory=deque)
    _random: tuple[float, tuple[GraphFailure, ...], random.Random] | None = None
    _down_until: float = 0.0
    _closed_windows: set[str] = field(default_factory=set)
    _by_recipient: dict[str, list[SentMessage]] = field(default_factory=dict)
    # Called with each accepted message, on the thread that accepted it (after the lock).
    listeners: list[Callable[[SentMessage], None]] = field(default_factory=list)
    read_marks: list[dict[str, Any]] = field(default_factory=list)  # read + typing calls
    media: dict[str, FakeMedia] = field(default_factory=dict)
    media_downloads: int = 0
    uploads: list[FakeMedia] = field(default_factory=list)  # accepted media uploads, in order
    _delivery_failures: dict[str, int] = field(default_factory=dict)  # recipient -> code
    # Called with each accepted message on the server's thread; the answer waits for it.
    before_answer: Callable[[SentMessage], None] | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- scripting -----------------------------------------------------------------

    def fail_next(self, *failures: GraphFailure) -> None:
        with self._lock:
            self._failures.extend(failures)

    def fail_next_media(self, *failures: GraphFailure) -> None:
        """Fail the next media API calls (and only those), with error answers."""
        with self._lock:
            self._media_failures.extend(failures)

    def fail_randomly(self, rate: float, *failures: GraphFailure, seed: int = 0) -> None:
        """Fail a share `rate` of the calls not scripted otherwise, with one of `failures`."""
        with self._lock:
            self._random = (rate, failures, random.Random(seed)) if rate > 0 else None

    def down(self, seconds: float | None = None) -> None:
        """Answer 503 to everything, for `seconds` or until `up()`."""
        with self._lock:
            self._down_until = math.inf if seconds is None else time.monotonic() + seconds

    def up(self) -> None:
        with self._lock:
            self._down_until = 0.0

    def close_window(self, *wa_ids: str) -> None:
        """Refuse free-form messages to `wa_ids` with 131047, as Meta does after 24 h."""
        with self._lock:
            self._closed_windows.update(wa_ids)

    def add_media(
        self,
        media_id: str,
        content: bytes,
        mime_type: str = "image/jpeg",
        *,
        bad_checksum: bool = False,
    ) -> FakeMedia:
        """Keep a media item a lead will send; `bad_checksum`: Meta's sha256 is wrong."""
        digest = hashlib.sha256(content + (b"tampered" if bad_checksum else b"")).hexdigest()
        item = FakeMedia(media_id, content, mime_type, digest)
        with self._lock:
            self.media[media_id] = item
        return item

    def fail_delivery(self, recipient: str, code: int) -> None:
        """Messages to `recipient` are accepted, then reported failed with `code`."""
        with self._lock:
            self._delivery_failures[recipient] = code

    def statuses_for(
        self, sent: SentMessage, order: StatusOrder = "in_order", *, seed: int = 0
    ) -> list[dict[str, Any]]:
        """The `statuses[]` entries Meta would post about `sent`, in `order`."""
        code = self._delivery_failures.get(sent.to)
        states = ["sent", "failed"] if code is not None else ["sent", "delivered", "read"]
        statuses = [
            status_entry(
                sent.to,
                sent.wamid,
                state,
                timestamp=int(sent.accepted_at) + n,
                error_code=code if state == "failed" else None,
                callback=sent.body.get("biz_opaque_callback_data"),
            )
            for n, state in enumerate(states)
        ]
        if order == "reversed":
            statuses.reverse()
        elif order == "shuffled":
            random.Random(f"{seed}:{sent.wamid}").shuffle(statuses)
        return statuses

    def serve_number(self, phone_number_id: str, access_token: str | None = None) -> None:
        """Serve another business number, with its own token (None: `access_token`)."""
        with self._lock:
            self.numbers[phone_number_id] = access_token

    def add_number(self, phone_number_id: str, access_token: str) -> None:
        """Serve another business number, reached only with its own `access_token`."""
        self.serve_number(phone_number_id, access_token)

    def sent_from(self, phone_number_id: str) -> list[SentMessage]:
        """The messages accepted from one business number, in order."""
        with self._lock:
            return [m for m in self.sent if m.phone_number_id == phone_number_id]

    def _bearers(self) -> set[str]:
        """The Authorization of every number served (the lock held)."""
        tokens = {self.access_token, *(t for t in self.numbers.values() if t)}
        return {f"Bearer {token}" for token in tokens}

    def _token_of(self, phone_number_id: str) -> str | None:
        """The token a number's calls carry; None when the number is not served here."""
        if phone_number_id == self.phone_number_id:
            return self.access_token
        if phone_number_id not in self.numbers:
            return None
        return self.numbers[phone_number_id] or self.access_token

    def approve_template(self, name: str, language: str, parameters: int) -> None:
        with self._lock:
            self.approved_templates[(name, language)] = parameters

    def record(self, sent: SentMessage) -> None:
        """Keep a message accepted elsewhere (a fake in another process) as if accepted here."""
        with self._lock:
            self.sent.append(sent)
            self._by_recipient.setdefault(sent.to, []).append(sent)
        for listener in self.listeners:
            listener(sent)

    def to(self, wa_id: str) -> list[SentMessage]:
        with self._lock:
            return list(self._by_recipient.get(wa_id, ()))

    def texts_to(self, wa_id: str) -> list[str]:
        return [m.text for m in self.to(wa_id)]

    # -- the core --------------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        """The answer only (a stall or a drop answers as if it had not happened)."""
        reply = self.answer(method, path, headers, body)
        return reply.status, reply.payload

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> GraphReply:
        return self.accept(method, path, headers, body)[0]

    def accept(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[GraphReply, SentMessage | None]:
        """The answer, and the message accepted (listeners told), if one was."""
        reply, accepted = self._answer(method, path, headers, body)
        if accepted is not None:
            for listener in self.listeners:
                listener(accepted)
        return reply, accepted

    def _answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[GraphReply, SentMessage | None]:
        with self._lock:
            self.requests += 1
            if time.monotonic() < self._down_until:
                return _error_reply(GraphFailure.unavailable()), None
            if method == "GET":
                return self._media_reply(path, headers), None
            *_, number, edge = ["", "", *path.rstrip("/").split("/")]
            if method != "POST" or edge not in ("media", "messages"):
                return GraphReply(404, _error(404, 100, f"Unknown path components: {path}")), None
            token = self._token_of(number)
            if token is None:
                return GraphReply(400, _unknown_object(number)), None
            if edge == "media":
                return self._upload_reply(headers, body, token), None
            if headers.get("authorization") != f"Bearer {token}":
                if headers.get("authorization") in self._bearers():
                    # Another number's token: Graph cannot load this object for it.
                    return GraphReply(400, _unknown_object(number)), None
                return _error_reply(GraphFailure.bad_token()), None
            try:
                payload = json.loads(body)
            except ValueError:
                return GraphReply(400, _error(400, 100, "Invalid JSON")), None
            if payload.get("messaging_product") == "whatsapp" and payload.get("status") == "read":
                return self._read_reply(payload), None
            if payload.get("messaging_product") != "whatsapp":
                return GraphReply(400, _error(400, 100, "Invalid parameter")), None
            if bool(payload.get("to")) == bool(payload.get("recipient")):
                # Meta wants exactly one of the phone (`to`) and the BSUID (`recipient`).
                said = (
                    "(#100) Only one of the parameters to and recipient may be given"
                    if payload.get("to")
                    else "(#100) The parameter to or recipient is required."
                )
                return GraphReply(400, _error(400, 100, said)), None
            address = str(payload.get("to") or payload["recipient"])
            self.received.append(payload)
            failure = self._scripted_failure()
            if failure is None:
                failure = self._refusal(payload)
            if failure is not None and failure.kind == "error":
                return _error_reply(failure), None
            if failure is not None and failure.kind == "stall":
                return GraphReply(0, {}, "stall"), None
            wamid = f"wamid.fake{next(self._ids):08d}"
            sent = SentMessage(
                to=address,
                type=payload.get("type", "text"),
                body=payload,
                wamid=wamid,
                authorization=headers.get("authorization"),
                path=path,
                accepted_at=time.time(),
                response_lost=failure is not None,
                phone_number_id=number,
            )
            self.sent.append(sent)
            self._by_recipient.setdefault(sent.to, []).append(sent)
            answer = {
                "messaging_product": "whatsapp",
                "contacts": [
                    {"input": address, "wa_id": address}
                    if payload.get("to")
                    else {"input": address, "user_id": address}
                ],
                "messages": [{"id": wamid}],
            }
            return GraphReply(200, answer, "drop" if failure is not None else "answer"), sent

    def _read_reply(self, payload: dict[str, Any]) -> GraphReply:
        """Mark a message read (with the typing indicator, when asked): `{"success": true}`."""
        if not payload.get("message_id"):
            return GraphReply(400, _error(400, 100, "Invalid parameter"))
        failure = self._scripted_failure()
        if failure is not None and failure.kind == "error":
            return _error_reply(failure)
        self.read_marks.append(payload)
        return GraphReply(200, {"success": True})

    def _media_reply(self, path: str, headers: dict[str, str]) -> GraphReply:
        """`GET /{version}/{media-id}` (the URL and facts) or `GET /download/{media-id}`,
        with the token of any number served."""
        if headers.get("authorization") not in self._bearers():
            return _error_reply(GraphFailure.bad_token())
        if self._media_failures:
            return _error_reply(self._media_failures.popleft())
        download = path.startswith(_DOWNLOAD)
        media_id = path.removeprefix(_DOWNLOAD) if download else path.rstrip("/").split("/")[-1]
        item = self.media.get(media_id)
        if item is None:
            return GraphReply(400, _error(400, 100, f"Unsupported get request: {media_id}"))
        if download:
            self.media_downloads += 1
            return GraphReply(200, {}, content=item.content, content_type=item.mime_type)
        host = headers.get("host", "graph.test")
        info = {
            "messaging_product": "whatsapp",
            "url": f"http://{host}{_DOWNLOAD}{item.id}",
            "mime_type": item.mime_type,
            "sha256": item.sha256,
            "file_size": len(item.content),
            "id": item.id,
        }
        return GraphReply(200, info)

    def _upload_reply(self, headers: dict[str, str], body: bytes, token: str) -> GraphReply:
        """`POST /{phone-number-id}/media`, multipart/form-data: `messaging_product`
        ("whatsapp"), `type` (the file's MIME type) and `file`; `{"id": ...}`."""
        if headers.get("authorization") != f"Bearer {token}":
            return _error_reply(GraphFailure.bad_token())
        if self._media_failures:
            return _error_reply(self._media_failures.popleft())
        fields, file = _multipart(headers.get("content-type", ""), body)
        if fields.get("messaging_product") != "whatsapp":
            return GraphReply(
                400, _error(400, 100, "(#100) The parameter messaging_product is required.")
            )
        if file is None:
            return GraphReply(400, _error(400, 100, "(#100) The parameter file is required."))
        mime_type = fields.get("type") or file[0]
        most = UPLOAD_TYPES.get(mime_type)
        if most is None:
            return GraphReply(
                400, _error(400, 131053, f"Media upload error: unsupported file type {mime_type}")
            )
        if len(file[1]) > most:
            return GraphReply(400, _error(400, 131053, "Media upload error: file too large"))
        media_id = f"{next(self._ids):015d}"
        item = FakeMedia(media_id, file[1], mime_type, hashlib.sha256(file[1]).hexdigest())
        self.media[media_id] = item
        self.uploads.append(item)
        return GraphReply(200, {"id": media_id})

    def _scripted_failure(self) -> GraphFailure | None:
        if self._failures:
            return self._failures.popleft()
        if self._random is not None:
            rate, failures, rng = self._random
            if rng.random() < rate:
                return rng.choice(failures)
        return None

    def _refusal(self, payload: dict[str, Any]) -> GraphFailure | None:
        """Meta's own checks: a media item's shape, its limits, the 24-hour window and the
        approved templates."""
        kind = payload.get("type", "text")
        if kind in _MEDIA_TYPES:
            item = payload.get(kind)
            if not isinstance(item, dict) or not (item.get("id") or item.get("link")):
                return GraphFailure(400, 100, f"Param {kind} is required")
            if kind in _UNCAPTIONED and "caption" in item:
                return GraphFailure(400, 100, f"Param {kind}['caption'] is not valid")
        if kind == "interactive" and (header := _header_refusal(payload, self.media)):
            return header
        if (too_long := over_limit(payload)) is not None:
            return GraphFailure(400, INVALID_VALUE_CODE, f"{INVALID_VALUE}: {too_long}")
        if payload.get("type") != "template":
            closed = (payload.get("to") or payload.get("recipient")) in self._closed_windows
            return GraphFailure.outside_window() if closed else None
        template = payload.get("template") or {}
        key = (template.get("name"), (template.get("language") or {}).get("code"))
        if not all(key):
            return GraphFailure(400, 100, "Invalid parameter")
        if (wrong := _component_refusal(template.get("components") or [])) is not None:
            return GraphFailure(400, 100, f"Invalid parameter: {wrong}")
        if (button := _button_refusal(template)) is not None:
            return button
        if not self.approved_templates:
            return None
        if key not in self.approved_templates:
            return GraphFailure(404, 132001, "Template name does not exist in the translation")
        given = sum(
            len(c.get("parameters", []))
            for c in template.get("components", [])
            if c.get("type") != "button"  # a quick reply's payload is not a body parameter
        )
        if given != self.approved_templates[key]:
            return GraphFailure(400, 132000, "Number of parameters does not match")
        return None

    # -- over HTTP -------------------------------------------------------------------

    def serve(self, port: int = 0) -> GraphServer:
        """Start a real HTTP server on 127.0.0.1 (`port` 0: any free one); `.close()` it,
        or use it as a `with` block."""
        return GraphServer(self, port)


_COMPONENTS = frozenset({"header", "body", "button"})
_BUTTON_SUB_TYPES = frozenset({"quick_reply", "url", "copy_code", "flow", "catalog"})


def _component_refusal(components: list[Any]) -> str | None:
    """Meta's shape of a template's components: a header, body or button; a button names
    its `sub_type` and its `index` (a string, "0" to "9"), and a quick reply carries one
    parameter `{"type": "payload", "payload": "..."}` (sent back when tapped)."""
    for n, component in enumerate(components):
        at = f"template['components'][{n}]"
        if not isinstance(component, dict) or component.get("type") not in _COMPONENTS:
            return f"{at}['type']"
        if component["type"] != "button":
            continue
        if component.get("sub_type") not in _BUTTON_SUB_TYPES:
            return f"{at}['sub_type']"
        index = component.get("index")
        if not isinstance(index, str) or not index.isdigit() or not 0 <= int(index) <= 9:
            return f"{at}['index']"
        if component["sub_type"] == "quick_reply":
            parameters = component.get("parameters")
            if not isinstance(parameters, list) or len(parameters) != 1:
                return f"{at}['parameters']"
            payload = parameters[0]
            if not isinstance(payload, dict) or payload.get("type") != "payload":
                return f"{at}['parameters'][0]['type']"
            if not isinstance(payload.get("payload"), str) or not payload["payload"]:
                return f"{at}['parameters'][0]['payload']"
    return None


def _button_refusal(template: dict[str, Any]) -> GraphFailure | None:
    """Meta's checks of a template's button components, as its send API documents them:
    `{"type": "button", "sub_type": "quick_reply", "index": "0".."9", "parameters":
    [{"type": "payload", "payload": "..."}]}`; anything else is refused (132000/100)."""
    indexes: set[str] = set()
    for n, component in enumerate(template.get("components") or []):
        if not isinstance(component, dict) or component.get("type") != "button":
            continue
        at = f"template['components'][{n}]"
        if component.get("sub_type") not in ("quick_reply", "url", "copy_code", "flow"):
            return GraphFailure(400, 100, f"Param {at}['sub_type'] is invalid")
        index = str(component.get("index", ""))
        if not index.isdigit() or int(index) > 9 or index in indexes:
            return GraphFailure(400, 100, f"Param {at}['index'] is invalid")
        indexes.add(index)
        parameters = component.get("parameters")
        if component["sub_type"] != "quick_reply":
            continue
        if not isinstance(parameters, list) or len(parameters) != 1:
            return GraphFailure(400, 132000, "Number of parameters does not match")
        parameter = parameters[0]
        payload = parameter.get("payload") if isinstance(parameter, dict) else None
        if parameter.get("type") != "payload" or not isinstance(payload, str) or not payload:
            return GraphFailure(400, 100, f"Param {at}['parameters'][0]['payload'] is required")
        if len(payload) > 256:
            return GraphFailure(400, 100, f"Param {at}['parameters'][0]['payload'] is too long")
    return None


def _header_refusal(payload: dict[str, Any], known: Mapping[str, Any]) -> GraphFailure | None:
    """Meta's checks of an interactive message's header: a list takes a text header only;
    a media header names its item by `id` (one Meta holds) or `link`."""
    item = payload.get("interactive")
    if not isinstance(item, dict) or not isinstance(header := item.get("header"), dict):
        return None
    kind = header.get("type")
    if kind == "text":
        return None
    if kind not in ("image", "video", "document"):
        return GraphFailure(400, 100, "Param interactive['header']['type'] is invalid")
    if item.get("type") != "button":
        return GraphFailure(400, 100, f"Param interactive['header']['type'] {kind} not allowed")
    media = header.get(kind)
    if not isinstance(media, dict) or not (media.get("id") or media.get("link")):
        return GraphFailure(400, 100, f"Param interactive['header']['{kind}'] is required")
    if media.get("id") and str(media["id"]) not in known:
        return GraphFailure(400, 131053, "Media upload error: unknown media id")
    return None


def over_limit(payload: dict[str, Any]) -> str | None:
    """The first field of a message that breaks Meta's limits (`actors.copy.limits`), as
    Meta's `error_data.details` names it, or None."""
    kind = payload.get("type", "text")
    item = payload.get(kind)
    if not isinstance(item, dict):
        return None
    fields: list[tuple[str, object, int]] = []
    if kind == "text":
        fields.append(("text['body']", item.get("body"), Limits.TEXT_BODY))
    elif kind in _MEDIA_TYPES:
        fields.append((f"{kind}['caption']", item.get("caption"), Limits.CAPTION))
    elif kind == "interactive":
        fields.extend(_interactive_fields(item))
    elif kind == "template":
        fields.extend(_template_fields(item))
    for name, value, limit in fields:
        if isinstance(value, str) and len(value) > limit:
            return f"Param {name} must be at most {limit} characters long"
    if kind != "interactive":
        return None
    action = item.get("action") or {}
    buttons = action.get("buttons") or []
    if len(buttons) > Limits.BUTTONS:
        return f"Param interactive['action']['buttons'] must have at most {Limits.BUTTONS} items"
    rows = sum(len(section.get("rows") or []) for section in action.get("sections") or [])
    if rows > Limits.LIST_ROWS:
        return f"Total row count exceed max allowed count: {Limits.LIST_ROWS}"
    return None


def _template_fields(item: dict[str, Any]) -> list[tuple[str, object, int]]:
    """Every text parameter of a template's components, with its name and limit."""
    fields: list[tuple[str, object, int]] = []
    for c, component in enumerate(item.get("components") or []):
        for p, parameter in enumerate(component.get("parameters") or []):
            if isinstance(parameter, dict) and parameter.get("type") == "text":
                name = f"template['components'][{c}]['parameters'][{p}]['text']"
                fields.append((name, parameter.get("text"), Limits.TEMPLATE_PARAMETER))
    return fields


def _interactive_fields(item: dict[str, Any]) -> list[tuple[str, object, int]]:
    """Every text field of an interactive message, with its name and limit."""
    at = "interactive"
    action = item.get("action") or {}
    fields: list[tuple[str, object, int]] = [
        (f"{at}['body']['text']", (item.get("body") or {}).get("text"), Limits.INTERACTIVE_BODY),
        (f"{at}['header']['text']", (item.get("header") or {}).get("text"), Limits.HEADER_TEXT),
        (f"{at}['footer']['text']", (item.get("footer") or {}).get("text"), Limits.FOOTER_TEXT),
        (f"{at}['action']['button']", action.get("button"), Limits.LIST_BUTTON),
    ]
    for n, button in enumerate(action.get("buttons") or []):
        title = (button.get("reply") or {}).get("title")
        fields.append(
            (f"{at}['action']['buttons'][{n}]['reply']['title']", title, Limits.BUTTON_TITLE)
        )
    for s, section in enumerate(action.get("sections") or []):
        where = f"{at}['action']['sections'][{s}]"
        fields.append((f"{where}['title']", section.get("title"), Limits.SECTION_TITLE))
        for r, row in enumerate(section.get("rows") or []):
            fields.append((f"{where}['rows'][{r}]['title']", row.get("title"), Limits.ROW_TITLE))
            description = row.get("description")
            fields.append(
                (f"{where}['rows'][{r}]['description']", description, Limits.ROW_DESCRIPTION)
            )
    return fields


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """A multipart/form-data body's text fields, and its `file` part (type, bytes)."""
    if not content_type.startswith("multipart/form-data"):
        return {}, None
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    file: tuple[str, bytes] | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        if name == "file":
            file = (part.get_content_type(), payload)
        else:
            fields[name] = payload.decode("utf-8", "replace")
    return fields, file


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    """Meta's error envelope; a refused value's details go in `error_data`, as Meta's do."""
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException" if status == 401 else "GraphMethodException",
        "code": code,
        "fbtrace_id": "AbCdEfGhIjK",
    }
    if code == INVALID_VALUE_CODE:
        title, _, details = message.partition(": ")
        error["message"] = f"(#{code}) {title}"
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


def _unknown_object(object_id: str) -> dict[str, Any]:
    """Graph's answer to a POST on a number it does not serve (or not for this token)."""
    error = _error(
        400,
        100,
        f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be"
        " loaded due to missing permissions, or does not support this operation. Please read"
        " the Graph API documentation at https://developers.facebook.com/docs/graph-api",
    )
    error["error"]["error_subcode"] = 33
    return error


def _error_reply(failure: GraphFailure) -> GraphReply:
    return GraphReply(failure.status, _error(failure.status, failure.code, failure.message))


class GraphServer:
    """The fake on 127.0.0.1 until `close` (or the end of a `with` block)."""

    STALL_S = 30.0  # longer than any client timeout we configure
    VERSION = DEFAULT_GRAPH_VERSION  # the version the service's calls name by default

    def __init__(self, fake: FakeGraphApi, port: int = 0) -> None:
        self.fake = fake
        closing = threading.Event()
        self._closing = closing

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body are two writes: without TCP_NODELAY the body waits
            # ~40 ms for the client's delayed ACK, on every call.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length) if length else b""
                reply, accepted = fake.accept(
                    method, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                if accepted is not None and fake.before_answer is not None:
                    fake.before_answer(accepted)
                if reply.action == "stall":
                    closing.wait(GraphServer.STALL_S)
                if reply.action != "answer":
                    self.close_connection = True  # no answer: the client sees a drop
                    return
                data = reply.content
                if data is None:
                    data = json.dumps(reply.payload).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", reply.content_type)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting: nothing to tell
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._http = LocalHTTPServer(Handler, port)

    @property
    def base_url(self) -> str:
        return self._http.base_url

    @property
    def api_base(self) -> str:
        """What WHATSAPP_API_BASE (a sender's `api_base`) is set to, to reach this fake: the
        host alone, as Meta's default is (calls then name WHATSAPP_API_VERSION)."""
        return self._http.base_url

    @property
    def port(self) -> int:
        return self._http.port

    def close(self) -> None:
        self._closing.set()
        self._http.close()

    def __enter__(self) -> GraphServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
