"""
One lead's side of the conversation, and the reference it is checked against.

A `LeadScript` decides what the lead sends next from where its conversation stands,
the way a person would: it answers the question the bot asked (mostly with an answer
that moves the conversation on, now and then with one that is re-asked), taps the
buttons the bot actually sent, and, if it is a paying lead, confirms its summary so the
artist can approve it. Which texts move the conversation on is found by trying them on
the pure behaviour, so the script follows the copy file as it is.

The same object keeps the reference: the pure behaviour applied to the lead's events
one by one, in the order the script delivers them, built from the exact bytes sent, by
the web layer's own parser. A message delivered after a newer one is skipped as out of
order by the behaviour's own rule, in the reference as in the service.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from actors.lead import (
    ArtistActed,
    ArtistAction,
    Decision,
    Event,
    LeadBehaviour,
    LeadState,
    Message,
    Outcome,
    Script,
    Status,
)
from actors.lead.button_ids import artist_command, button_id
from fakes.meta import (
    button_message,
    list_reply_message,
    reaction_message,
    text_message,
    webhook,
)
from web.whatsapp_models import MetaWebhook

__all__ = ["PAYING_ROLES", "LeadScript", "Outgoing", "Role", "typed_texts"]

_TYPED = ("hello", "a small fox on my ankle", "about 12 cm", "300", "next month")
_TYPED_MORE = ("flexible", "skip", "hmm", "ok", "what?", "a rose, fine line", "3 in", "70mm")
# What a lead reacts with: never the 👍 that confirms a summary (whether it does depends on
# the relay having recorded Meta's id first, a race the reference cannot see).
_REACTIONS = ("\u2764\ufe0f", "\U0001f602", "\U0001f525", "\U0001f64f")


class Role:
    """What a lead does besides answering: chat, pay, or opt out part-way."""

    CHAT = "chat"
    PAY = "pay"
    OPT_OUT = "opt_out"
    # With appointments on (the run's STUDIO_FILE), paying leads pick a time first, and
    # these then move it, or cancel it.
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"


PAYING_ROLES = frozenset({Role.PAY, Role.RESCHEDULE, Role.CANCEL})


@dataclass(frozen=True)
class Outgoing:
    """One webhook message as it goes on the wire, and the reference's verdict on it."""

    message: dict[str, Any]  # Meta's message object (the `messages[]` element)
    sender: str
    name: str
    late: bool  # delivered after a newer message of the same lead (so skipped)
    expected_outcome: str  # processed | out_of_order, per the reference

    def payload(self) -> dict[str, Any]:
        return webhook([self.message], names={self.sender: self.name})


def typed_texts(script: Script) -> list[str]:
    """What leads type: some of it answers the questions, some of it does not.

    Opt-out words and requests for a human are left out: a lead opts out only when
    its role says so, and a handover would stop the bot answering.
    """
    titles = [option.title for q in script.questions for option in q.options]
    texts = [*_TYPED, *_TYPED_MORE, *titles, "yes"]
    words = script.words
    return [t for t in texts if not words.is_opt_out(t) and not words.asks_for_human(t)]


@dataclass
class LeadScript:
    """A lead's choices and the reference state they lead to."""

    wa_id: str
    role: str
    steps: int
    script: Script
    behaviour: LeadBehaviour
    rng: random.Random
    artist_number: str | None
    first_ts: int
    run_tag: str
    state: LeadState = field(init=False)
    replies: list[Message] = field(default_factory=list)  # to the lead
    artist_messages: int = 0  # reference messages to the artist about this lead
    sent: int = 0  # messages sent by the lead so far
    opt_out_at: int = field(init=False)  # the step that says STOP (-1: never)
    _ts: int = field(init=False)
    _texts: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.state = self.behaviour.initial(self.wa_id)
        self._ts = self.first_ts
        self._texts = typed_texts(self.script)
        last = max(2, self.steps)
        self.opt_out_at = self.rng.randrange(1, last) if self.role == Role.OPT_OUT else -1

    @property
    def name(self) -> str:
        return f"Lead {self.wa_id[-4:]}"

    # -- what the lead does next -----------------------------------------------------

    def wants_more(self) -> bool:
        """Whether the lead has something left to say."""
        if self.state.status is Status.OPTOUT:
            return self.sent <= self.opt_out_at + 1  # one message after STOP, then quiet
        if self.role in PAYING_ROLES:
            return self.state.status not in _ARTIST_TURN and self.sent < max(self.steps, 40)
        return self.sent < self.steps

    def next_message(self, last_bot_message: dict[str, Any] | None) -> Outgoing:
        """The lead's next message, given the last message the bot actually sent it."""
        text = self._choose()
        self._ts += 2
        meta_id = f"wamid.{self.run_tag}.{self.wa_id}.{self.sent}"
        self.sent += 1
        option = _tapped(last_bot_message, text)
        if option is not None:
            build = list_reply_message if option.row else button_message
            message = build(self.wa_id, meta_id, option.id, option.title, self._ts)
        else:
            message = text_message(self.wa_id, meta_id, text, self._ts)
        return self._apply_message(message, late=False)

    def reaction(self, wamid: str) -> Outgoing:
        """A reaction to the bot's message `wamid`: recorded, never answered."""
        self._ts += 2
        meta_id = f"wamid.{self.run_tag}.{self.wa_id}.{self.sent}.reaction"
        emoji = self.rng.choice(_REACTIONS)
        message = reaction_message(self.wa_id, meta_id, wamid, emoji, self._ts)
        return self._apply_message(message, late=False)

    def stale_message(self) -> Outgoing:
        """A message typed just before the last one, that reaches the service after it."""
        meta_id = f"wamid.{self.run_tag}.{self.wa_id}.{self.sent}.late"
        message = text_message(self.wa_id, meta_id, self.rng.choice(self._texts), self._ts - 1)
        return self._apply_message(message, late=True)

    def tap(self, choice_id: str, title: str, *, row: bool) -> Outgoing:
        """A tap the reference does not follow: picking and moving an appointment (the
        slots on offer depend on every other lead, which a lead's reference cannot know)."""
        self._ts += 2
        meta_id = f"wamid.{self.run_tag}.{self.wa_id}.{self.sent}"
        self.sent += 1
        build = list_reply_message if row else button_message
        message = build(self.wa_id, meta_id, choice_id, title, self._ts)
        return Outgoing(message, self.wa_id, self.name, False, "processed")

    def artist_approves(
        self, artist_message_id: str, at: int, *, followed: bool = True, key: str | None = None
    ) -> Outgoing:
        """The artist's tap on Approve under this lead's packet (`followed`: the reference
        applies it; a lead that then schedules leaves the reference here). `key`: the
        lead's key in its studio, when it is not its wa_id (a stored studio's lead id)."""
        assert self.artist_number is not None
        message = button_message(
            self.artist_number,
            artist_message_id,
            button_id(ArtistAction.APPROVE, key or self.wa_id),
            "Approve",
            at,
        )
        outgoing = Outgoing(message, self.artist_number, "Artist", False, "processed")
        if not followed:
            return outgoing
        received = next(MetaWebhook.model_validate(outgoing.payload()).received())
        command = artist_command(received.message.reply_id() or "")
        assert command is not None
        when = datetime.now(UTC)
        self.apply(ArtistActed(received.message_id, self.wa_id, command.action, when))
        return outgoing

    def _choose(self) -> str:
        if self.sent == 0:
            return "hello"
        if self.sent == self.opt_out_at:
            return "STOP"
        onward = [t for t in self._texts if self._moves_on(t)]
        if self.role in PAYING_ROLES and onward:
            return self.rng.choice(onward)
        if onward and self.rng.random() < 0.8:
            return self.rng.choice(onward)
        return self.rng.choice(self._texts)

    def _moves_on(self, text: str) -> bool:
        probe = text_message(self.wa_id, "wamid.probe", text, self._ts + 2)
        after = self.behaviour.decide(self.state, self._event(probe)).state
        if after.status is Status.NEEDS_ARTIST_REPLY:
            return False
        before = self.state
        return after.status is not before.status or len(after.answers) > len(before.answers)

    # -- the reference -------------------------------------------------------------------

    def _event(self, message: dict[str, Any]) -> Event:
        payload = webhook([message], names={self.wa_id: self.name})
        received = next(MetaWebhook.model_validate(payload).received())
        return received.event(datetime.now(UTC))

    def _apply_message(self, message: dict[str, Any], *, late: bool) -> Outgoing:
        decision = self.apply(self._event(message))
        outcome = "out_of_order" if decision.outcome is Outcome.OUT_OF_ORDER else "processed"
        return Outgoing(message, self.wa_id, self.name, late, outcome)

    def apply(self, event: Event) -> Decision:
        """Advance the reference by one event."""
        decision = self.behaviour.decide(self.state, event)
        self.state = decision.state
        for effect in decision.effects:
            if isinstance(effect, Message):
                if effect.to == self.wa_id:
                    self.replies.append(effect)
                else:
                    self.artist_messages += 1
        return decision


_ARTIST_TURN = frozenset(
    {Status.PENDING_APPROVAL, Status.BOOKING_PENDING, Status.BOOKED, Status.REJECTED}
)


@dataclass(frozen=True)
class _Choice:
    id: str
    title: str
    row: bool  # a list row (list_reply) rather than a button (button_reply)


def _tapped(bot_message: dict[str, Any] | None, text: str) -> _Choice | None:
    """The button or list row titled `text` in the bot's message, if it has one."""
    if bot_message is None or bot_message.get("type") != "interactive":
        return None
    interactive = bot_message["interactive"]
    action = interactive.get("action", {})
    choices: list[_Choice] = []
    for button in action.get("buttons", []):
        reply = button.get("reply", {})
        choices.append(_Choice(str(reply.get("id")), str(reply.get("title")), row=False))
    for section in action.get("sections", []):
        for row in section.get("rows", []):
            choices.append(_Choice(str(row.get("id")), str(row.get("title")), row=True))
    return next((c for c in choices if c.title == text), None)
