"""
A person on WhatsApp, for end-to-end tests: reads what the bot last sent them (from the
fake Graph API) and answers it the way a person would, by tapping the buttons offered.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from fakes.graph import SentMessage
from fakes.meta import button_message, media_message, text_message, webhook
from fakes.meta import message as _message
from tests.waiting import eventually
from tests.web.conftest import Running

__all__ = ["Phone", "meta_timestamp"]

_COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
# How a person answers "when?" in each language the copy speaks (its date hints): any
# time suits them, so the times offered are the first free ones (an answer that names a
# time shapes them: tests/web/test_time_wishes_http.py).
_SOME_TIME = {"en_GB": "flexible", "es_ES": "cuando sea"}
_clock = itertools.count(int(time.time()))  # Meta's timestamps: recent, increasing


def meta_timestamp() -> int:
    """The next of Meta's timestamps, shared by every phone and every test's own posts:
    one increasing sequence, so a test's post is never older than a phone's last one."""
    return next(_clock)


@cache
def _copy(locale: str) -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load((_COPY_DIR / f"{locale}.yml").read_text())
    return found


def _question_for(text: str, locale: str = "en_GB") -> dict[str, Any] | None:
    """Which copy question a prompt asks (the prompt may open with a greeting)."""
    for question in _copy(locale)["questions"]:
        if text.endswith(question["text"]) or text.endswith(question["reask"]):
            return dict(question)
    return None


@dataclass
class Phone:
    running: Running
    wa_id: str
    name: str = "Ana"
    seen: int = 0  # how many of the bot's messages this person has read
    picture: bytes | None = None  # what they send when asked for one (default: a few bytes)
    picture_id: str = "MEDIA-REF-1"  # Meta's id of it (Meta's ids are unique: give each phone one)
    locale: str = "en_GB"  # the copy the service speaks (LOCALE), to know its questions
    # A person with a WhatsApp username: Meta sends their BSUID (`from_user_id`,
    # `contacts[].user_id`) and their username, and their phone only while they share it.
    user_id: str | None = None
    username: str | None = None
    shares_phone: bool = True
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- reading -----------------------------------------------------------------------

    def inbox(self) -> list[SentMessage]:
        """What reached this person, by their phone (`to`) or by their BSUID (`recipient`)."""
        if self.user_id is None:
            return self.running.graph.to(self.wa_id)
        both = self.running.graph.to(self.wa_id) + self.running.graph.to(self.user_id)
        return sorted(both, key=lambda m: m.wamid)

    async def next_message(self) -> SentMessage:
        """Wait for the bot's next message to this person and read it."""
        await eventually(lambda: len(self.inbox()) > self.seen, what=f"a message to {self.name}")
        message = self.inbox()[self.seen]
        self.seen += 1
        return message

    async def settle(self) -> None:
        """Wait until everything the service decided to send has been dealt with."""

        async def drained() -> bool:
            pending = await self.running.pool.fetchval(
                "SELECT count(*) FROM outbox WHERE status = 'pending'"
            )
            return bool(pending == 0)

        await eventually(drained, what="the outbox to drain")

    async def unread(self) -> list[SentMessage]:
        await self.settle()
        fresh = self.inbox()[self.seen :]
        self.seen = len(self.inbox())
        return fresh

    # -- writing -----------------------------------------------------------------------

    async def say(self, text: str, *, at: int | None = None) -> str:
        """Send `text` (written at `at`, seconds since the epoch: default now); its id."""
        sent_at = next(_clock) if at is None else at
        sent = text_message(self.wa_id, self._next_id(), text, sent_at)
        await self._post(sent)
        return str(sent["id"])

    async def send(self, kind: str, body: Any, **fields: Any) -> str:
        """A message of Meta's `kind` with its object `body` (and any other top-level
        fields, such as an unsupported message's `errors`); its id."""
        sent = {**_message(self.wa_id, self._next_id(), next(_clock), kind, body), **fields}
        # Meta sends a system message without contacts[]; every other with the sender's.
        await self._post(sent, contacts=kind != "system")
        return str(sent["id"])

    async def delete(self, original: str) -> str:
        """Delete one of this person's messages for everyone (Meta's `revoke`)."""
        return await self.send("revoke", {"original_message_id": original})

    async def edit(self, original: str, text: str) -> str:
        """Edit one of this person's texts (Meta's `edit`: the new message inside)."""
        new = {"type": "text", "text": {"body": text}}
        return await self.send("edit", {"original_message_id": original, "message": new})

    async def swipe_reply(self, message: SentMessage, text: str) -> str:
        """Reply to `message` (WhatsApp's swipe-to-reply: it carries `context.id`)."""
        sent = text_message(self.wa_id, self._next_id(), text, next(_clock))
        sent["context"] = {"from": "15550001111", "id": message.wamid}
        await self._post(sent)
        return str(sent["id"])

    async def tap(self, message: SentMessage, wanted: str, *, at: int | None = None) -> None:
        """Tap the button or list row whose id is `wanted` (it must be on offer), at `at`
        (seconds since the epoch: default now)."""
        sent_at = next(_clock) if at is None else at
        offered = buttons_of(message)
        assert wanted in offered, f"{wanted!r} not offered: {offered}"
        if message.type == "template":  # a quick reply: Meta sends its payload back
            tapped = {"payload": wanted, "text": offered[wanted]}
            await self._post(_message(self.wa_id, self._next_id(), sent_at, "button", tapped))
            return
        await self._post(
            button_message(self.wa_id, self._next_id(), wanted, offered[wanted], sent_at)
        )

    async def tap_sure(self, message: SentMessage, wanted: str) -> SentMessage:
        """The artist taps `wanted` (Decline, Cancel + refund, No-show), which asks first,
        then the question's "Yes, ..." button: the question."""
        await self.tap(message, wanted)
        sure = f"sure_{wanted}"
        asked = await self.next_message()
        while sure not in buttons_of(asked):
            asked = await self.next_message()
        await self.tap(asked, sure)
        return asked

    async def send_image(
        self,
        media_id: str | None = None,
        *,
        caption: str | None = None,
        content: bytes | None = None,
        bad_checksum: bool = False,
    ) -> None:
        """A picture, kept by the fake Graph API for the service to fetch (`content`: a
        PNG; default this phone's `picture`, else a few bytes as a JPEG); `bad_checksum`:
        Meta's sha256 of it is wrong."""
        content = content or self.picture
        media_id = media_id or self.picture_id
        kept = self.running.graph.add_media(
            media_id,
            content or b"\xff\xd8\xff a rose " + media_id.encode(),
            "image/png" if content else "image/jpeg",
            bad_checksum=bad_checksum,
        )
        await self._post(
            media_message(
                self.wa_id,
                self._next_id(),
                media_id,
                next(_clock),
                mime_type=kept.mime_type,
                caption=caption,
                sha256=kept.sha256,
            )
        )

    async def send_media(
        self,
        kind: str,
        media_id: str,
        mime_type: str,
        *,
        caption: str | None = None,
        filename: str | None = None,
        replying_to: SentMessage | None = None,
    ) -> None:
        """A video, voice note, document or sticker (kept by the fake Graph API for the
        service to fetch); `replying_to`: as a swipe-reply to that message."""
        kept = self.running.graph.add_media(media_id, b"bytes of " + media_id.encode(), mime_type)
        sent = media_message(
            self.wa_id,
            self._next_id(),
            media_id,
            next(_clock),
            kind=kind,
            mime_type=mime_type,
            caption=caption,
            sha256=kept.sha256,
            filename=filename,
        )
        if replying_to is not None:
            sent["context"] = {"from": "15550001111", "id": replying_to.wamid}
        await self._post(sent)

    async def to_the_summary(self) -> SentMessage:
        """Say hi and answer every question; return the summary the bot then sends."""
        await self.say("Hi")
        message = await self.next_message()
        while is_question(message, self.locale):
            await self.answer(message)
            message = await self.next_message()
        return message

    async def answer(self, prompt: SentMessage) -> None:
        """Answer a qualifying question the way it asks to be answered."""
        question = _question_for(prompt.text, self.locale)
        assert question is not None, f"not a question: {prompt.text!r}"
        kind = question["kind"]
        if kind in ("buttons", "list"):
            await self.tap(prompt, next(iter(buttons_of(prompt))))
        elif kind == "media":
            await self.send_image()
        elif "size_cm" in question.get("validation", {}):
            await self.say("12 cm")
        elif question.get("validation", {}).get("date"):
            await self.say(_SOME_TIME[self.locale])
        else:
            await self.say("a small rose with leaves")

    def _next_id(self) -> str:
        return f"wamid.{self.wa_id}.{next(self._ids)}"

    async def _post(self, message: dict[str, Any], *, contacts: bool = True) -> None:
        if self.user_id is not None:
            message = {**message, "from_user_id": self.user_id}
            if not self.shares_phone:
                del message["from"]
        body = webhook([message], names={self.wa_id: self.name})
        value = body["entry"][0]["changes"][0]["value"]
        if self.user_id is not None:
            contact: dict[str, Any] = {"profile": {"name": self.name}, "user_id": self.user_id}
            if self.username is not None:
                contact["profile"]["username"] = self.username
            if self.shares_phone:
                contact["wa_id"] = self.wa_id
            value["contacts"] = [contact]
        if not contacts:
            del value["contacts"]
        response = await self.running.post_signed(body)
        assert response.status_code == 200, await response.get_data(as_text=True)


def buttons_of(message: SentMessage) -> dict[str, str]:
    """id -> title of the reply buttons or list rows of an interactive message, or the
    payloads of a template's quick replies (titled by their payload: the template's
    own words are Meta's)."""
    if message.type == "template":
        components = message.body["template"].get("components", [])
        return {
            p["payload"]: p["payload"]
            for c in components
            if c.get("sub_type") == "quick_reply"
            for p in c["parameters"]
        }
    if message.type != "interactive":
        return {}
    interactive = message.body["interactive"]
    action = interactive["action"]
    if interactive["type"] == "button":
        return {b["reply"]["id"]: b["reply"]["title"] for b in action["buttons"]}
    return {row["id"]: row["title"] for s in action["sections"] for row in s["rows"]}


def is_question(message: SentMessage, locale: str = "en_GB") -> bool:
    return _question_for(message.text, locale) is not None
