"""
The lead's behaviour: `decide(state, event) -> Decision`. Pure: no I/O, no clock.

Every status change goes through `transitions.move` with the event that causes it, so
`TRANSITIONS` there decides which moves each kind of event may make. Each message from
the lead gets at most one message back; the artist may get a packet too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from actors.lead.answers import latest_answers
from actors.lead.appointments import AppointmentRules
from actors.lead.artist_side import SILENT, ArtistSide, who
from actors.lead.business_app import on_contact, on_echo
from actors.lead.button_ids import CONFIRM, EDIT, VISIT_BUTTONS, edited_question
from actors.lead.confirmations import asking_first
from actors.lead.consent import ConsentRules
from actors.lead.deposits import DepositRules
from actors.lead.designs import DesignRules
from actors.lead.identity import changed, identifiers, known
from actors.lead.messages import (
    AskQuestion,
    AskWhatToEdit,
    ConfirmOptOut,
    ReaskQuestion,
    SendPacket,
    SendSummary,
)
from actors.lead.model import (
    MEDIA_ANSWER,
    Answer,
    ArtistActed,
    ArtistAction,
    ArtistEchoed,
    ArtistReplied,
    Calendar,
    ConsentDeleted,
    ContactSynced,
    Decision,
    DeliveryFailed,
    Deposit,
    DepositLinkCreated,
    Effect,
    Event,
    LeadState,
    MessageReceived,
    Outcome,
    PaymentEventReceived,
    PreferenceChanged,
    RecordEvent,
    RequestDepositLink,
    SendMedia,
    SendMessage,
    SlotFreed,
    TimerFired,
)
from actors.lead.not_answers import (
    ACTED_ON,
    EDITED,
    FORWARDED_ONLY,
    RECORDED_ONLY,
    SYSTEM,
    edited_answer,
    form_fields,
    order_lines,
    recorded,
    unsupported_once,
)
from actors.lead.pieces import piece
from actors.lead.refunds import refund
from actors.lead.script import Option, Policy, Question, Script, Validation
from actors.lead.search_words import search_words
from actors.lead.status import Status
from actors.lead.timer_rules import TimerRules
from actors.lead.transitions import move
from actors.lead.validation import Accepted, Rejected, Unsupported, judge, judge_text
from actors.lead.whatsapp_rules import (
    SILENT_KINDS,
    confirms_summary,
    on_delivery_failed,
    on_preference,
    with_receipts_and_media,
)

__all__ = ["CALENDAR_STATUSES", "LeadBehaviour", "offered_actions"]

S = Status
_MAX_FAILED_ATTEMPTS = 2
_FOLLOW_UP = Validation(min_length=2)  # the free text after an option such as "Other"
_TAKE_OVER_FROM = frozenset(
    {S.NEW, S.QUALIFYING, S.CONFIRMING, S.PENDING_APPROVAL, S.BOOKING_PENDING, S.BOOKED}
    | {S.REJECTED, S.STALE, S.SCHEDULING, S.WAITLISTED}
)
_NO_CALENDAR = Calendar()
# Where a turn may offer or take a time: the turn reads the calendar only for these.
CALENDAR_STATUSES = frozenset(
    {S.PENDING_APPROVAL, S.NEEDS_ARTIST_REPLY, S.SCHEDULING, S.BOOKING_PENDING, S.BOOKED}
    | {S.WAITLISTED}
)
_DECIDABLE = frozenset({S.PENDING_APPROVAL, S.NEEDS_ARTIST_REPLY})
# Where an edit of an answer is a new answer to its question.
_ANSWERING = frozenset({S.QUALIFYING, S.CONFIRMING})
# Where the bot talks to the lead and a message it cannot read gets the `unsupported` line.
_TALKING = frozenset({S.QUALIFYING, S.CONFIRMING, S.STALE, S.SCHEDULING})

# The artist's actions the studio page offers, by status (`offered_actions`), beside the
# rules below that take them; the actor still has the last word (an action that no
# longer applies comes back NOT_APPLICABLE and changes nothing).
_A = ArtistAction
_OFFERED: Mapping[Status, tuple[ArtistAction, ...]] = {
    S.PENDING_APPROVAL: (_A.APPROVE, _A.DECLINE, _A.TAKE_OVER),
    S.NEEDS_ARTIST_REPLY: (_A.APPROVE, _A.DECLINE, _A.HAND_BACK),
    S.SCHEDULING: (_A.OFFER_TIMES, _A.TAKE_OVER),  # and Set time (the page's own form)
    S.OPTOUT: (),
}
# A booked appointment can be cancelled (and the deposit refunded) from the page, as from
# the packet's Cancel button; only when the lead has one (appointments on).
_OFFERED_BOOKED: tuple[ArtistAction, ...] = (_A.OFFER_TIMES, _A.CANCEL, _A.TAKE_OVER)
_OFFERED_OTHERWISE = (_A.TAKE_OVER,)


def offered_actions(
    status: Status, *, booked: bool, no_show: bool = False
) -> tuple[ArtistAction, ...]:
    """The artist's actions offered on a lead in `status` (`booked`: it has a visit;
    `no_show`: its appointment may be marked a no-show now, `no_show_open`)."""
    if status is S.BOOKED and booked:
        offered = _OFFERED_BOOKED
    else:
        offered = _OFFERED.get(status, _OFFERED_OTHERWISE)
    if no_show:
        offered = (*offered, _A.NO_SHOW)
    return offered if status is S.OPTOUT else (*offered, _A.OPT_OUT)


def _named(state: LeadState) -> dict[str, str]:
    """The lead's name, for texts that greet them by it."""
    return {"name": state.name} if state.name else {}


class LeadBehaviour:
    """The conversation, bound to the questions and words of one copy file."""

    def __init__(self, script: Script, policy: Policy | None = None) -> None:
        self._script = script
        self._words = script.words
        self._policy = policy or Policy()
        studio = self._policy.studio
        when = frozenset(q.key for q in script.questions if q.validation.date)
        self._appointments = (
            None
            if studio is None
            else AppointmentRules(studio, self._policy, words=script.words, when_questions=when)
        )
        self._deposits = DepositRules(self._policy, self._appointments)
        self._timers = TimerRules(self._policy)
        self._artist = ArtistSide(self._policy)
        self._consent = ConsentRules(self._policy, script.consent)
        self._designs = DesignRules(self._policy, self._words)

    def initial(self, wa_id: str) -> LeadState:
        return LeadState(wa_id=wa_id)

    def search_words(self, state: LeadState) -> str:
        """The words the studio page's search finds the lead by (stored by the turn)."""
        return search_words(state, self._script)

    def reads_calendar(self, state: LeadState) -> bool:
        """Whether a turn for this lead may offer or take a time (appointments on)."""
        return self._appointments is not None and state.status in CALENDAR_STATUSES

    def calendar_window(self, now: datetime) -> tuple[datetime, datetime]:
        """The span of time a turn's calendar covers: from now to past the horizon."""
        studio = self._policy.studio
        horizon = timedelta(days=studio.horizon_days if studio is not None else 0)
        return now - timedelta(days=2), now + horizon + timedelta(days=2)

    def decide(self, state: LeadState, event: Event) -> Decision:
        return self.decide_on(state, event, _NO_CALENDAR)

    def decide_on(self, state: LeadState, event: Event, calendar: Calendar) -> Decision:
        """`decide`, with the calendar the turn read because `reads_calendar` said so."""
        decided = self._decide(state, event, calendar)
        decision = with_receipts_and_media(self._policy, event, decided)
        if decision.outcome is Outcome.OUT_OF_ORDER:
            return decision
        return self._consent.after(state, event, self._timers.rearm(state, event, decision))

    def _decide(self, state: LeadState, event: Event, calendar: Calendar) -> Decision:
        match event:
            case MessageReceived():
                return self._on_message(state, event, calendar)
            case ArtistActed():
                return self._on_artist(state, event, calendar)
            case ArtistReplied():
                return self._on_artist_reply(state, event, calendar)
            case DepositLinkCreated():
                return self._deposits.on_link_created(state, event)
            case PaymentEventReceived():
                return self._deposits.on_payment(state, event, calendar)
            case TimerFired() if self._consent.owns(event):
                return self._consent.on_fired(state, event)
            case TimerFired():
                return self._timers.on_fired(state, event)
            case DeliveryFailed():
                return on_delivery_failed(self._policy, state, event, self._who(state))
            case PreferenceChanged():
                return on_preference(state, event)
            case ArtistEchoed():
                return on_echo(state, event, self._script.first().key)
            case ContactSynced():
                return on_contact(state, event)
            case SlotFreed() if self._appointments is not None:
                return self._appointments.freed(state, event, calendar)
            case SlotFreed():
                return Decision(state, outcome=Outcome.NOT_APPLICABLE)
            case ConsentDeleted():
                return self._consent.on_deleted(state, event)

    # -- messages from the lead ------------------------------------------------------

    def _on_message(
        self, state: LeadState, message: MessageReceived, calendar: Calendar
    ) -> Decision:
        if message.sent_at < state.last_message_ts:
            return Decision(state, outcome=Outcome.OUT_OF_ORDER)
        if message.kind == SYSTEM:
            # Meta's notice, not the lead writing: recorded, and nothing of the lead
            # changes (not its last message, its 24 hours or its silence timer) but who
            # it is, when the notice says their number or BSUID changed.
            event = recorded(state, message)
            if message.system is not None:
                state = changed(state, message.system)
            return Decision(state, (event,), outcome=Outcome.NOT_APPLICABLE)
        state = replace(
            known(state, message),
            last_message_ts=message.sent_at,
            name=message.profile_name or state.name,
        )
        if state.wa_id == self._policy.artist_number:
            return Decision(state)  # the artist chatting to the bot: recorded only
        if message.kind in RECORDED_ONLY:  # a system notice, a deleted message
            return Decision(state, (recorded(state, message),))
        if not self._policy.in_pilot(identifiers(state)):
            if state.pilot_notified:
                return Decision(state)
            return Decision(replace(state, pilot_notified=True), (self._say(state, "pilot"),))
        if message.kind == EDITED:
            return self._edited(state, message)
        if message.kind in FORWARDED_ONLY:
            return Decision(state, (recorded(state, message), *self._forwarded(state, message)))
        text = message.text or ""
        if self._words.is_opt_out(text):
            if state.status is S.OPTOUT:
                return Decision(state)
            return self._opt_out(state, message)
        if state.status is S.OPTOUT:
            if self._words.is_opt_in(text):
                started = self._start(move(state, S.NEW, message), message, intro="opted_in")
                return replace(started, effects=(*started.effects, RecordEvent("info", "opted_in")))
            return Decision(state)
        if (designed := self._designs.on_message(state, message)) is not None:
            return designed  # a design's buttons, or the changes asked for
        if state.status is S.NEEDS_ARTIST_REPLY:  # the artist has the conversation
            return Decision(state, self._artist.forward(state, message))
        # A reaction or a sticker is never "can't read"; while the bot is silent it goes
        # to the artist like any message (a 👍 on the artist's "Friday 2pm?" is an answer).
        if message.kind in SILENT_KINDS and state.status not in SILENT:
            if state.status is S.CONFIRMING and confirms_summary(message):
                return self._submit(state, message)
            return Decision(state)
        if message.kind not in ACTED_ON and state.status in _TALKING:
            return unsupported_once(state, message)  # and the question is not asked again
        if self._appointments is not None and (
            gone := self._appointments.stale_take(state, message)
        ):
            return gone  # "Book it" on an offer no longer open
        if state.status is S.ABANDONED:
            state = move(state, S.NEW, message)
        if state.status is S.STALE:
            state = replace(move(state, S.QUALIFYING, message), resume_status=None)
            if state.current_question is None:
                state = move(state, S.CONFIRMING, message)
        if self._words.asks_for_human(text):
            return self._handover(state, message, reason="reason_asked", tell_lead=True)
        if self._consent.answering(state) and message.reply_id not in VISIT_BUTTONS:
            return self._consent.on_message(state, message)
        match state.status:
            case S.NEW:
                return self._start(state, message)
            case S.QUALIFYING:
                return self._answer(state, message)
            case S.CONFIRMING:
                return self._confirming(state, message)
            case S.SCHEDULING if self._appointments is not None:
                return self._appointments.picking(state, message, calendar)
            case S.WAITLISTED if self._appointments is not None:
                return self._appointments.waitlisted(state, message, calendar)
            case S.BOOKED if self._appointments is not None:
                booked = self._appointments.on_booked(state, message, calendar)
                return self._or_forward(booked, message)
            case S.DONE if self._appointments is not None:
                return self._or_forward(self._appointments.healed_photo(state, message), message)
            case status if status in SILENT:  # waiting on the artist or on payment, or done
                return Decision(state, self._artist.forward(state, message))
            case _:
                return Decision(state)

    def _edited(self, state: LeadState, message: MessageReceived) -> Decision:
        """An edit of an answer is a new answer to its question while the bot asks; any
        other edit is recorded, and forwarded while the bot is silent."""
        record = recorded(state, message)
        original = edited_answer(state, message)
        question = None if original is None else self._script.get(original.question)
        if original is not None and question is not None and state.status in _ANSWERING:
            as_text = replace(message, kind="text", reply_id=None)
            if question.options and question.option(original.value) is None:
                # The words after an option such as "Other": judged as such words.
                verdict = judge_text(_FOLLOW_UP, as_text, self._words)
            else:
                verdict = judge(question, as_text, self._words)
            if isinstance(verdict, Accepted):
                answer = Answer(
                    question=question.key,
                    value=verdict.value,
                    message_id=message.message_id,
                    seq=max((a.seq for a in state.answers), default=0) + 1,
                    media_id=verdict.media_id,
                    media_kind=verdict.media_kind,
                )
                state = replace(state, answers=(*state.answers, answer))
                if state.status is S.CONFIRMING:
                    return Decision(state, (self._summary(state), record))
                return Decision(state, (record,))
        if state.status not in SILENT:
            return Decision(state, (record,))
        edited = self._artist.tell(state, "artist_forward_edited", text=message.text or "")
        return Decision(state, (record, *edited))

    def _forwarded(self, state: LeadState, message: MessageReceived) -> tuple[Effect, ...]:
        """A Flow's reply or an order, to the artist in the copy's words."""
        if message.kind == "nfm_reply":
            return self._artist.tell(state, "artist_forward_form", fields=form_fields(message))
        lines = order_lines(message.order)
        note = f"{lines}; {message.text}" if message.text else lines
        return self._artist.tell(state, "artist_forward_order", order=note)

    def _or_forward(self, decided: Decision, message: MessageReceived) -> Decision:
        """`decided`, or, when it says nothing, the lead's message forwarded to the artist
        (a question after the booking is for the artist, not lost)."""
        if decided.effects:
            return decided
        return replace(decided, effects=self._artist.forward(decided.state, message))

    def _start(self, state: LeadState, event: Event, *, intro: str | None = None) -> Decision:
        first = self._script.first()
        state = replace(
            move(state, S.QUALIFYING, event),
            current_question=first.key,
            follow_up=None,
            failed_attempts=0,
            editing=False,
            resume_status=None,
        )
        greeting = intro or ("greeting" if state.name else "greeting_anonymous")
        return Decision(state, (self._ask(state, first, intro=greeting),))

    def _answer(self, state: LeadState, message: MessageReceived) -> Decision:
        question = self._current_question(state)
        picked = self._follow_up(state, question)
        if picked is not None and not message.reply_id:
            verdict = judge_text(_FOLLOW_UP, message, self._words)  # where is "Other"?
        else:  # a question, or a tap on its options instead of the follow-up's text
            picked = None
            state = replace(state, follow_up=None)
            verdict = judge(question, message, self._words)
        if isinstance(verdict, Unsupported):
            return Decision(state, (self._ask(state, question, intro="unsupported"),))
        if isinstance(verdict, Rejected):
            failed = state.failed_attempts + 1
            if failed >= _MAX_FAILED_ATTEMPTS:
                stuck = replace(state, failed_attempts=0)
                return self._handover(stuck, message, reason="reason_stuck", tell_lead=True)
            return Decision(
                replace(state, failed_attempts=failed), (self._ask(state, question, reask=True),)
            )
        assert isinstance(verdict, Accepted)
        answer = Answer(
            question=question.key,
            value=verdict.value,
            message_id=message.message_id,
            seq=max((a.seq for a in state.answers), default=0) + 1,
            media_id=verdict.media_id,
            media_kind=verdict.media_kind,
        )
        state = replace(state, answers=(*state.answers, answer), failed_attempts=0, follow_up=None)
        asks_more = None if picked is not None else question.follow_up(verdict.value)
        if asks_more is not None:
            state = replace(state, follow_up=asks_more.id)
            return Decision(state, (self._ask(state, question),))
        following = None if state.editing else self._script.after(question.key)
        if following is None:
            return self._summarise(state, message)
        state = replace(state, current_question=following.key)
        return Decision(state, (self._ask(state, following),))

    def _summarise(self, state: LeadState, event: Event, *, intro: str | None = None) -> Decision:
        state = _asking(move(state, S.CONFIRMING, event), None, editing=False)
        return Decision(state, (self._summary(state, intro=intro),))

    def _confirming(self, state: LeadState, message: MessageReceived) -> Decision:
        choice = message.reply_id or ""
        text = message.text or ""
        if (edited := edited_question(choice)) is not None:
            question = self._script.get(edited)
            if question is not None:
                state = _asking(move(state, S.QUALIFYING, message), question.key, editing=True)
                return Decision(state, (self._ask(state, question),))
        if choice == CONFIRM or (not choice and self._words.is_confirm(text)):
            return self._submit(state, message)
        if choice == EDIT or (not choice and self._words.is_edit(text)):
            return Decision(state, (AskWhatToEdit(state.wa_id),))
        return Decision(state, (self._summary(state, again=True),))

    def _submit(self, state: LeadState, event: Event) -> Decision:
        state = move(state, S.PENDING_APPROVAL, event)
        effects = (self._say(state, "sent_to_artist"), *self._packet(state))
        return Decision(state, effects)

    def _opt_out(self, state: LeadState, event: Event) -> Decision:
        state = replace(
            move(state, S.OPTOUT, event),
            editing=False,
            follow_up=None,
            resume_status=None,
            failed_attempts=0,
        )
        return Decision(
            state,
            (
                ConfirmOptOut(state.wa_id),
                RecordEvent("info", "opted_out"),
            ),
        )

    def _handover(
        self, state: LeadState, event: Event, *, reason: str, tell_lead: bool
    ) -> Decision:
        resume = S.QUALIFYING if state.status in (S.NEW, S.STALE) else state.status
        state = replace(move(state, S.NEEDS_ARTIST_REPLY, event), resume_status=resume)
        effects: list[Effect] = [self._say(state, "holding")] if tell_lead else []
        effects.extend(self._packet(state, reason=reason))
        effects.append(RecordEvent("info", "handover", {"reason": reason}))
        return Decision(state, tuple(effects))

    # -- the artist's actions ----------------------------------------------------------

    def _on_artist(
        self,
        state: LeadState,
        acted: ArtistActed,
        calendar: Calendar,
        *,
        said: ArtistReplied | None = None,
    ) -> Decision:
        """The artist's action; `said`: the reply whose done word pressed Hand back, whose
        row of the table is then the one that moves the lead."""
        if not acted.confirmed:  # a first tap on a button that asks first
            would = self._on_artist(state, replace(acted, confirmed=True), calendar)
            return asking_first(state, acted, would, self._policy)
        event: Event = said or acted
        appointments = self._appointments
        match acted.action:
            case ArtistAction.APPROVE if state.status in _DECIDABLE and appointments is not None:
                return appointments.approved(state, acted, calendar)
            case ArtistAction.APPROVE if state.status in _DECIDABLE:
                attempt = state.deposit_attempt + 1
                state = replace(
                    move(state, S.BOOKING_PENDING, event),
                    deposit_attempt=attempt,
                    deposit=Deposit.REQUESTED,
                    resume_status=None,
                    **piece(acted, self._policy),
                )
                link = RequestDepositLink(
                    state.wa_id, attempt, state.deposit_amount, state.drawing_fee
                )
                return Decision(state, (link,))
            case ArtistAction.DECLINE if state.status in _DECIDABLE:
                state = replace(move(state, S.REJECTED, event), resume_status=None)
                return Decision(state, (self._say(state, "declined"),))
            case ArtistAction.TAKE_OVER if state.status in _TAKE_OVER_FROM:
                return self._handover(state, event, reason="reason_artist", tell_lead=False)
            case ArtistAction.HAND_BACK | ArtistAction.RESUME if (
                state.status is S.NEEDS_ARTIST_REPLY
                and state.resume_status is S.SCHEDULING
                and appointments is not None
            ):
                state = replace(move(state, S.SCHEDULING, event), resume_status=None)
                return appointments.offer(state, calendar, acted.received_at, intro="resumed")
            case ArtistAction.HAND_BACK | ArtistAction.RESUME if (
                state.status is S.NEEDS_ARTIST_REPLY
            ):
                return self._resume(state, state.resume_status or S.QUALIFYING, event)
            case ArtistAction.CANCEL if appointments is not None:
                decision = appointments.cancelled_by_artist(state, event)
                if decision.outcome is Outcome.PROCESSED:
                    return decision
            case ArtistAction.NO_SHOW if appointments is not None:
                decision = appointments.no_show(state, acted)
                if decision.outcome is Outcome.PROCESSED:
                    return decision
            case ArtistAction.OFFER_TIMES if appointments is not None:
                decision = appointments.offer_again(state, acted, calendar)
                if decision.outcome is Outcome.PROCESSED:
                    return decision
            case ArtistAction.SET_TIME if appointments is not None:
                decision = appointments.set_time(state, acted, calendar)
                if decision.outcome is Outcome.PROCESSED:
                    return decision
            case ArtistAction.CAME if appointments is not None:
                decision = appointments.came(state, acted)
                if decision.outcome is Outcome.PROCESSED:
                    return decision
            case ArtistAction.REFUND:  # whatever the status, while some is left
                refunded = refund(
                    state,
                    self._policy,
                    acted.refund_amount,
                    by="artist",
                    number=acted.refund_number,
                )
                if refunded is not None:
                    return Decision(refunded[0], tuple(refunded[1]))
            case ArtistAction.RESUME if state.status is S.STALE:
                return self._resume(state, S.QUALIFYING, event)
            case ArtistAction.OPT_OUT if state.status is not S.OPTOUT:
                return self._opt_out(state, event)
        return self._not_applicable(state, acted)

    def _on_artist_reply(
        self, state: LeadState, replied: ArtistReplied, calendar: Calendar
    ) -> Decision:
        """The artist's words to the lead; the done word is the Hand back button."""
        if replied.media_id is None and self._words.is_done(replied.text or ""):
            hand_back = ArtistAction.HAND_BACK
            acted = ArtistActed(
                replied.message_id, replied.wa_id, hand_back, replied.received_at, replied.via
            )
            return self._on_artist(state, acted, calendar, said=replied)
        if (designed := self._designs.offered(state, replied)) is not None:
            return designed  # a picture sent as a design, for the lead to approve
        replied_to = self._artist.reply(state, replied)
        if replied_to.state.passed_on:  # answered: the lead's next words get the line again
            return replace(replied_to, state=replace(replied_to.state, passed_on=False))
        return replied_to

    def _resume(self, state: LeadState, target: Status, event: Event) -> Decision:
        if target is S.QUALIFYING and state.current_question is None:
            # Every question answered: straight to the summary, one step.
            return self._summarise(replace(state, resume_status=None), event, intro="resumed")
        state = replace(move(state, target, event), resume_status=None)
        if target is S.QUALIFYING:
            question = self._current_question(state)
            return Decision(state, (self._ask(state, question, intro="resumed"),))
        if target is S.CONFIRMING:
            return Decision(state, (self._summary(state, intro="resumed"),))
        if target is S.NEW:
            return self._start(state, event, intro="resumed")
        return Decision(state)

    def _not_applicable(self, state: LeadState, acted: ArtistActed) -> Decision:
        artist = self._policy.artist_number
        if acted.via != "whatsapp" or artist is None:
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        notice = SendMessage(
            to=artist,
            key="artist_already_handled",
            params={**self._who(state), "status": state.status.value},
        )
        return Decision(state, (notice,), outcome=Outcome.NOT_APPLICABLE)

    # -- building effects ------------------------------------------------------------

    def _current_question(self, state: LeadState) -> Question:
        question = self._script.get(state.current_question or "")
        if question is None:  # the copy lost a question this lead was on: start it over
            return self._script.first()
        return question

    def _follow_up(self, state: LeadState, question: Question) -> Option | None:
        """The option of `question` whose follow-up the lead is answering, if any."""
        if state.current_question != question.key:
            return None
        return question.follow_up(state.follow_up)

    def _ask(
        self, state: LeadState, question: Question, *, intro: str | None = None, reask: bool = False
    ) -> AskQuestion | ReaskQuestion:
        """The question, or the follow-up of its option the lead picked ("Other": where?)."""
        picked = self._follow_up(state, question)
        follow_up = picked.id if picked else None
        if reask:
            return ReaskQuestion(state.wa_id, question.key, follow_up)
        return AskQuestion(state.wa_id, question.key, follow_up, intro, state.name)

    def _summary(
        self, state: LeadState, *, intro: str | None = None, again: bool = False
    ) -> SendSummary:
        return SendSummary(state.wa_id, self._latest(state), intro, again)

    def _say(self, state: LeadState, key: str) -> SendMessage:
        return SendMessage(state.wa_id, key, _named(state))

    def _packet(self, state: LeadState, *, reason: str | None = None) -> list[Effect]:
        """The packet to the artist, a handover's with its `reason`, and the pictures."""
        artist = self._policy.artist_number
        if artist is None:
            return []  # no artist number configured: the admin API is the only way in
        who = self._who(state)
        effects: list[Effect] = [
            SendPacket(artist, state.wa_id, who, self._latest(state), reason=reason)
        ]
        for answer in latest_answers(state.answers).values():
            if answer.value == MEDIA_ANSWER and answer.media_id:
                effects.append(
                    SendMedia(
                        artist, answer.media_id, "artist_reference", who, kind=answer.media_kind
                    )
                )
        return effects

    def _who(self, state: LeadState) -> dict[str, str]:
        return who(state)

    def _latest(self, state: LeadState) -> tuple[tuple[str, str], ...]:
        return tuple((key, a.value) for key, a in latest_answers(state.answers).items())


def _asking(state: LeadState, question: str | None, *, editing: bool) -> LeadState:
    """A fresh question (None: the summary), with no follow-up or failures carried over."""
    return replace(
        state, current_question=question, follow_up=None, editing=editing, failed_attempts=0
    )
