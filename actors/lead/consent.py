"""
Consent before the appointment (PRODUCT.md, "Tattoo studio specifics", 1). Pure.

Once the lead is booked (or `consent_ask_minutes_before` the start), the lead is asked,
one question at a time: the date of birth (a minor is checked back once, then refused,
or with `parental_consent` asked for the guardian's name), the copy's health questions
(Yes / No, the follow-up after Yes), an ID photo when the studio file asks for one,
and the statement with its one "I agree" button. The complete record (or a minor's
refusal) is kept by `KeepConsent`; one reminder goes before the start while it is
missing. The questions' order:

    date of birth -> (minor check -> guardian) -> health[0..n] -> ID photo -> agree
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, tzinfo
from hashlib import sha256

from babel.dates import format_date, get_month_names, parse_date

from actors.lead.artist_side import WINDOW_S, who
from actors.lead.consent_state import (
    CONSENT_AGREE,
    CONSENT_MINOR_FIX,
    CONSENT_MINOR_YES,
    CONSENT_NO,
    CONSENT_START,
    CONSENT_YES,
    Consent,
    ConsentMessage,
    ConsentScript,
    ConsentStatus,
    ConsentStep,
    HealthAnswer,
)
from actors.lead.model import (
    ArmedTimer,
    ArtistActed,
    ArtistAction,
    CancelTimer,
    ConsentDeleted,
    Decision,
    Effect,
    Event,
    KeepConsent,
    LeadState,
    MessageReceived,
    NotifyWaitlist,
    Outcome,
    RecordEvent,
    ReleaseSlot,
    ScheduleTimer,
    SendMessage,
    TimerFired,
    TimerKind,
)
from actors.lead.refunds import refund
from actors.lead.script import Policy, normalise
from actors.lead.status import Status
from actors.lead.transitions import move
from actors.schedule import ConsentSettings

__all__ = ["ConsentRules", "read_date_of_birth"]

S = Status
_KINDS = (TimerKind.CONSENT_ASK, TimerKind.CONSENT_REMINDER)
_MEDIA = frozenset({"image", "document"})
_MAX_AGE = 120


def read_date_of_birth(text: str, locale: str, today: date) -> date | None:
    """A date as people write it ("21/03/1990" in the locale's order, "21 March 1990",
    "1990-03-21"); None when unreadable, in the future or over 120 years ago."""
    said = " ".join(text.strip().split())
    found = _named_month(said, locale) or _numeric(said, locale)
    if found is None or found > today or found.year < today.year - _MAX_AGE:
        return None
    return found


def _numeric(said: str, locale: str) -> date | None:
    if not re.fullmatch(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", said):
        return None
    try:
        found = parse_date(said.replace(".", "/"), locale=locale)
    except (ValueError, IndexError):
        return None
    return found if found.year >= 1000 else None


def _named_month(said: str, locale: str) -> date | None:
    """ "21 March 1990", "March 21, 1990", "21 de marzo de 1990": the locale's names."""
    words = [w for w in re.split(r"[\s,.]+", said.casefold()) if w]
    months: dict[str, int] = {}
    for width in ("wide", "abbreviated"):
        for number, name in get_month_names(width, locale=locale).items():
            months[name.casefold().rstrip(".")] = int(number)
    month = next((months[w] for w in words if w in months), None)
    numbers = [int(w) for w in words if w.isdigit()]
    if month is None or len(numbers) != 2:
        return None
    day, year = (numbers[0], numbers[1]) if numbers[1] > 31 else (numbers[1], numbers[0])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class ConsentRules:
    """The consent's questions and timers, for one studio file and one copy."""

    def __init__(self, policy: Policy, script: ConsentScript | None) -> None:
        self._policy = policy
        studio = policy.studio
        settings = None if studio is None else studio.consent
        self._settings: ConsentSettings | None = settings if script is not None else None
        self._script = script

    @property
    def on(self) -> bool:
        return self._settings is not None

    def answering(self, state: LeadState) -> bool:
        """Whether the lead's message answers a consent question (booked, not moving)."""
        return (
            self.on
            and state.status is S.BOOKED
            and not state.rescheduling
            and state.consent is not None
            and state.consent.open
        )

    # -- after every decision: start, and keep the timers true ----------------------------

    def after(self, before: LeadState, event: Event, decision: Decision) -> Decision:
        settings = self._settings
        after = decision.state
        if settings is None or decision.outcome is Outcome.OUT_OF_ORDER:
            return decision
        now = int(event.received_at.timestamp())
        effects: list[Effect] = list(decision.effects)
        if after.consent is not None and _new_piece(before, event, after):
            # Consent is per appointment: a new piece's booking asks again (its record is
            # kept apart); a later session of the same piece or a reschedule keeps it.
            after = replace(after, consent=None)
        if (
            after.status is S.BOOKED
            and before.status is not S.BOOKED
            and after.visit is not None
            and after.consent is None
        ):
            start = after.visit.starts_at
            consent = Consent()
            if start - settings.reminder_minutes_before * 60 <= now:
                consent = replace(consent, reminded=True)  # its moment had passed: not late
            after = replace(after, consent=consent)
            ask = settings.ask_minutes_before
            if ask is None or start - ask * 60 <= now:
                after, asked = self._start(after, now)
                effects.extend(asked)
        after, timers = self._rearm(after)
        if after == decision.state and effects == list(decision.effects) and not timers:
            return decision
        return replace(decision, state=after, effects=(*effects, *timers))

    def _rearm(self, state: LeadState) -> tuple[LeadState, list[Effect]]:
        wanted = {
            TimerKind.CONSENT_ASK: self._ask_due(state),
            TimerKind.CONSENT_REMINDER: self._reminder_due(state),
        }
        effects: list[Effect] = []
        timers = list(state.timers)
        for kind, due in wanted.items():
            current = next((t.due_at for t in timers if t.kind is kind), None)
            if due == current:
                continue
            timers = [t for t in timers if t.kind is not kind]
            if due is None:
                effects.append(CancelTimer(kind))
            else:
                timers.append(ArmedTimer(kind, due))
                effects.append(ScheduleTimer(kind, due))
        if not effects:
            return state, []
        ordered = tuple(sorted(timers, key=lambda t: t.kind.value))
        return replace(state, timers=ordered), effects

    def _missing(self, state: LeadState) -> Consent | None:
        consent = state.consent
        if state.status is not S.BOOKED or state.visit is None or consent is None:
            return None
        return consent if consent.status is ConsentStatus.MISSING else None

    def _ask_due(self, state: LeadState) -> int | None:
        consent = self._missing(state)
        ask = None if self._settings is None else self._settings.ask_minutes_before
        if consent is None or ask is None or consent.asked_at is not None:
            return None
        assert state.visit is not None
        return state.visit.starts_at - ask * 60

    def _reminder_due(self, state: LeadState) -> int | None:
        consent = self._missing(state)
        if consent is None or consent.reminded or self._settings is None:
            return None
        assert state.visit is not None
        return state.visit.starts_at - self._settings.reminder_minutes_before * 60

    # -- timers -------------------------------------------------------------------------

    def owns(self, fired: TimerFired) -> bool:
        return fired.kind in _KINDS

    def on_fired(self, state: LeadState, fired: TimerFired) -> Decision:
        armed = next((t for t in state.timers if t.kind is fired.kind), None)
        if armed is None or armed.due_at != fired.due_at:
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)  # re-armed or cancelled
        state = replace(state, timers=tuple(t for t in state.timers if t is not armed))
        consent = self._missing(state)
        if consent is None:
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        now = int(fired.received_at.timestamp())
        if fired.kind is TimerKind.CONSENT_ASK and consent.asked_at is None:
            state, asked = self._start(state, now)
            return Decision(state, tuple(asked))
        if fired.kind is TimerKind.CONSENT_REMINDER and not consent.reminded:
            visit = state.visit
            assert visit is not None
            state = replace(state, consent=replace(consent, reminded=True))
            when = {"when": str(visit.starts_at)}
            reminder = SendMessage(state.wa_id, "consent_reminder", when)
            return Decision(state, (reminder, RecordEvent("info", "consent_reminded")))
        return Decision(state, outcome=Outcome.NOT_APPLICABLE)

    def _start(self, state: LeadState, now: int) -> tuple[LeadState, list[Effect]]:
        consent = state.consent or Consent()
        consent = replace(consent, step=ConsentStep.DATE_OF_BIRTH, asked_at=now)
        state = replace(state, consent=consent)
        if state.last_message_ts and now - state.last_message_ts >= WINDOW_S:
            # Outside the lead's 24 hours: the intro alone, as its template (no template:
            # nothing goes, and the consent stays missing); its button's tap asks on.
            return state, [self._say(state, "consent_intro")]
        return state, [
            self._say(state, "consent_intro"),
            self._say(state, ConsentStep.DATE_OF_BIRTH.value),
        ]

    # -- retention --------------------------------------------------------------------------

    def on_deleted(self, state: LeadState, deleted: ConsentDeleted) -> Decision:
        """The record was deleted after its retention: the state keeps no answer of it (the
        date of birth, the health answers, the guardian, the photo, the message ids). A
        later appointment's consent (a new piece's) is not this record's and stays."""
        consent = state.consent
        visit = state.visit
        later = visit is not None and visit.starts_at > deleted.appointment_start
        if consent is None or later or consent.status is ConsentStatus.DELETED:
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        forgotten = Consent(status=ConsentStatus.DELETED, reminded=True)
        state = replace(state, consent=forgotten)
        return Decision(state, (RecordEvent("info", "consent_deleted"),))

    # -- the lead's answers ---------------------------------------------------------------

    def on_message(self, state: LeadState, message: MessageReceived) -> Decision:
        consent = state.consent
        assert consent is not None
        assert consent.step is not None
        step = consent.step
        heard = ConsentMessage(message.message_id, message.sent_at, step.value)
        consent = replace(consent, messages=(*consent.messages, heard))
        state = replace(state, consent=consent)
        if message.reply_id == CONSENT_START:  # the intro's button: the open question again
            if step is ConsentStep.DATE_OF_BIRTH:
                return Decision(state, (self._say(state, step.value),))
            return Decision(state)
        match step:
            case ConsentStep.DATE_OF_BIRTH:
                return self._date_of_birth(state, consent, message)
            case ConsentStep.MINOR_CHECK:
                return self._minor_check(state, consent, message)
            case ConsentStep.GUARDIAN:
                return self._guardian(state, consent, message)
            case ConsentStep.HEALTH:
                return self._health(state, consent, message)
            case ConsentStep.FOLLOW_UP:
                return self._follow_up(state, consent, message)
            case ConsentStep.ID_PHOTO:
                return self._id_photo(state, consent, message)
            case ConsentStep.AGREE:
                return self._agree(state, consent, message)

    def _date_of_birth(
        self, state: LeadState, consent: Consent, message: MessageReceived
    ) -> Decision:
        assert self._settings is not None
        assert state.visit is not None
        today = message.received_at.astimezone(self._zone()).date()
        born = read_date_of_birth(message.text or "", self._policy.locale, today)
        if born is None:
            return Decision(state, (self._say(state, "consent_date_of_birth_reask"),))
        age = _age(born, self._visit_date(state))
        consent = replace(consent, date_of_birth=born.isoformat(), age=age)
        if age < self._settings.minimum_age:
            consent = replace(consent, step=ConsentStep.MINOR_CHECK)
            state = replace(state, consent=consent)
            written = format_date(born, format="long", locale=self._policy.locale)
            check = SendMessage(
                state.wa_id, "consent_minor_check", {"date": written, "age": str(age)}
            )
            return Decision(state, (check,))
        return self._next(state, consent, after=ConsentStep.DATE_OF_BIRTH)

    def _minor_check(
        self, state: LeadState, consent: Consent, message: MessageReceived
    ) -> Decision:
        assert self._settings is not None
        choice = message.reply_id or ""
        if choice == CONSENT_MINOR_FIX:
            consent = replace(consent, step=ConsentStep.DATE_OF_BIRTH)
            state = replace(state, consent=consent)
            return Decision(state, (self._say(state, ConsentStep.DATE_OF_BIRTH.value),))
        if choice != CONSENT_MINOR_YES:
            age = str(consent.age or 0)
            written = consent.date_of_birth or ""
            if consent.date_of_birth:
                born = date.fromisoformat(consent.date_of_birth)
                written = format_date(born, format="long", locale=self._policy.locale)
            again = {"date": written, "age": age}
            return Decision(state, (SendMessage(state.wa_id, "consent_minor_check", again),))
        if self._settings.parental_consent:
            consent = replace(consent, step=ConsentStep.GUARDIAN)
            state = replace(state, consent=consent)
            return Decision(state, (self._guardian_question(state),))
        return self._refused(state, consent, message)

    def _refused(self, state: LeadState, consent: Consent, message: MessageReceived) -> Decision:
        """Under the minimum age, and no guardian may sign: the booking is not confirmed."""
        assert self._settings is not None
        assert state.visit is not None
        visit = state.visit
        consent = replace(consent, status=ConsentStatus.REFUSED_MINOR, step=None)
        state = replace(move(state, S.CANCELLED, message), rescheduling=False, consent=consent)
        minimum = {"minimum_age": str(self._settings.minimum_age)}
        effects: list[Effect] = [
            ReleaseSlot(cancelled=True),
            NotifyWaitlist(visit.starts_at, visit.ends_at),  # the freed time, as a cancel's
            SendMessage(state.wa_id, "consent_minor", minimum),
            RecordEvent("info", "consent_refused_minor", {"age": consent.age}),
        ]
        artist = self._policy.artist_number
        if artist is not None:
            told = who(state) | {"age": str(consent.age), "when": str(visit.starts_at)}
            effects.append(SendMessage(artist, "artist_consent_minor", told))
        refunded = refund(state, self._policy, None, by="consent_minor")
        if refunded is not None:
            state, refunds = refunded
            effects.extend(refunds)
        effects.append(self._kept(state, consent))
        return Decision(state, tuple(effects))

    def _guardian(self, state: LeadState, consent: Consent, message: MessageReceived) -> Decision:
        name = " ".join((message.text or "").split())
        if message.kind != "text" or len(name) < 2:
            return Decision(state, (self._guardian_question(state),))
        consent = replace(consent, guardian=name[:200])
        decided = self._next(state, consent, after=ConsentStep.GUARDIAN)
        artist = self._policy.artist_number
        if artist is None or state.visit is None:
            return decided
        told = who(state) | {"guardian": name[:200], "when": str(state.visit.starts_at)}
        told["age"] = str(consent.age)
        tell = SendMessage(artist, "artist_consent_guardian", told)
        return replace(decided, effects=(*decided.effects, tell))

    def _health(self, state: LeadState, consent: Consent, message: MessageReceived) -> Decision:
        assert self._script is not None
        question = self._script.questions[consent.question]
        said = normalise(message.text or "") if not message.reply_id else ""
        if message.reply_id == CONSENT_YES or said in self._script.yes:
            consent = replace(consent, step=ConsentStep.FOLLOW_UP)
            state = replace(state, consent=consent)
            ask = SendMessage(
                state.wa_id, ConsentStep.FOLLOW_UP.value, {"question": question.follow_up}
            )
            return Decision(state, (ask,))
        if message.reply_id == CONSENT_NO or said in self._script.no:
            answer = HealthAnswer(question.key, "no")
            consent = replace(consent, health=(*consent.health, answer))
            return self._next(state, consent, after=ConsentStep.HEALTH)
        return Decision(state, (self._health_question(state, consent.question),))

    def _follow_up(self, state: LeadState, consent: Consent, message: MessageReceived) -> Decision:
        assert self._script is not None
        question = self._script.questions[consent.question]
        details = (message.text or "").strip()
        if message.kind != "text" or not details:
            ask = SendMessage(
                state.wa_id, ConsentStep.FOLLOW_UP.value, {"question": question.follow_up}
            )
            return Decision(state, (ask,))
        answer = HealthAnswer(question.key, "yes", details[:1000])
        consent = replace(consent, health=(*consent.health, answer))
        return self._next(state, consent, after=ConsentStep.HEALTH)

    def _id_photo(self, state: LeadState, consent: Consent, message: MessageReceived) -> Decision:
        if message.kind not in _MEDIA or message.media_id is None:
            return Decision(state, (self._say(state, "consent_id_photo_reask"),))
        consent = replace(consent, id_photo=(message.media_id, message.sha256))
        return self._next(state, consent, after=ConsentStep.ID_PHOTO)

    def _agree(self, state: LeadState, consent: Consent, message: MessageReceived) -> Decision:
        if message.reply_id != CONSENT_AGREE:
            return Decision(state, (self._say(state, CONSENT_AGREE),))
        now = int(message.received_at.timestamp())
        consent = replace(consent, status=ConsentStatus.COMPLETE, step=None, agreed_at=now)
        state = replace(state, consent=consent)
        done = self._say(state, "consent_done")
        return Decision(state, (self._kept(state, consent), done))

    def _next(self, state: LeadState, consent: Consent, *, after: ConsentStep) -> Decision:
        """The question after `after` (the next health question, the photo, the agreement)."""
        assert self._script is not None
        assert self._settings is not None
        questions = len(self._script.questions)
        if after is ConsentStep.HEALTH:
            index = consent.question + 1
        elif after in (ConsentStep.DATE_OF_BIRTH, ConsentStep.GUARDIAN):
            index = 0
        else:
            index = questions  # after the photo: none left
        if index < questions:
            consent = replace(consent, step=ConsentStep.HEALTH, question=index)
            state = replace(state, consent=consent)
            return Decision(state, (self._health_question(state, index),))
        if self._settings.id_photo and after is not ConsentStep.ID_PHOTO:
            consent = replace(consent, step=ConsentStep.ID_PHOTO)
            state = replace(state, consent=consent)
            return Decision(state, (self._say(state, ConsentStep.ID_PHOTO.value),))
        text = self._statement(state)
        sha = _sha256(text)
        consent = replace(consent, step=ConsentStep.AGREE, text_sha256=sha)
        state = replace(state, consent=consent)
        statement = SendMessage(state.wa_id, "consent_statement", {"text": text})
        return Decision(state, (statement, self._say(state, CONSENT_AGREE)))

    # -- what is said and kept -------------------------------------------------------------

    def _health_question(self, state: LeadState, index: int) -> SendMessage:
        assert self._script is not None
        question = self._script.questions[index].text
        return SendMessage(state.wa_id, ConsentStep.HEALTH.value, {"question": question})

    def _guardian_question(self, state: LeadState) -> SendMessage:
        assert self._settings is not None
        minimum = {"minimum_age": str(self._settings.minimum_age)}
        return SendMessage(state.wa_id, ConsentStep.GUARDIAN.value, minimum)

    def _statement(self, state: LeadState) -> str:
        assert self._script is not None
        return self._script.text.replace("{name}", state.name or "")

    def _say(self, state: LeadState, key: str) -> SendMessage:
        return SendMessage(state.wa_id, key, {})

    def _zone(self) -> tzinfo:
        studio = self._policy.studio
        return UTC if studio is None else studio.timezone

    def _visit_date(self, state: LeadState) -> date:
        assert state.visit is not None
        return datetime.fromtimestamp(state.visit.starts_at, self._zone()).date()

    def _iso(self, seconds: int | None) -> str | None:
        if seconds is None:
            return None
        return datetime.fromtimestamp(seconds, self._zone()).isoformat()

    def _kept(self, state: LeadState, consent: Consent) -> KeepConsent:
        """The record (PRODUCT.md's fields; storage adds our messages' ids and the hash)."""
        assert self._script is not None
        assert self._settings is not None
        visit = state.visit
        assert visit is not None
        texts = {q.key: q.text for q in self._script.questions}
        on = self._visit_date(state)
        try:
            until = on.replace(year=on.year + self._settings.retention_years)
        except ValueError:  # 29 February
            until = on.replace(year=on.year + self._settings.retention_years, day=28)
        photo = consent.id_photo
        record: dict[str, object] = {
            "lead": state.wa_id,
            "name": state.name,
            "appointment": {"start": self._iso(visit.starts_at), "end": self._iso(visit.ends_at)},
            "date_of_birth": consent.date_of_birth,
            "age": consent.age,
            "guardian": consent.guardian,
            "health": [
                {
                    "key": h.key,
                    "question": texts.get(h.key, h.key),
                    "answer": h.answer,
                    "details": h.details,
                }
                for h in consent.health
            ],
            "id_photo": None if photo is None else {"media_id": photo[0], "sha256": photo[1]},
            "consent_version": self._script.version,
            "consent_text_sha256": consent.text_sha256,
            "asked_at": self._iso(consent.asked_at),
            "agreed_at": self._iso(consent.agreed_at),
            "messages": [
                {"direction": "in", "id": m.id, "at": self._iso(m.at), "step": m.step}
                for m in consent.messages
            ],
            "retain_until": until.isoformat(),
        }
        if consent.status is ConsentStatus.COMPLETE:
            record["consent_text"] = self._statement(state)
        return KeepConsent(consent.status.value, record, visit.starts_at, until.isoformat())


def _new_piece(before: LeadState, event: Event, after: LeadState) -> bool:
    """The artist approved a new piece: the approval that moved the lead on."""
    return (
        isinstance(event, ArtistActed)
        and event.action is ArtistAction.APPROVE
        and after.status is not before.status
    )


def _sha256(text: str) -> str:
    return sha256(text.encode("utf-8")).hexdigest()
