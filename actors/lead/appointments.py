"""
Appointments' rules (STUDIO_FILE): picking a time, holding it, booking it, moving and
cancelling it, and what happens after. Pure.

The turn reads the calendar (other leads' live holds and appointments, the artist's
busy times) and hands it in; a pick is checked against it, and the database's
exclusion constraint checks it again when the turn writes the `ClaimSlot`. A pick that
loses that race is decided again on a fresh calendar, where the slot is taken: the lead
gets fresh slots, never an error. Times travel as epoch seconds in the "when"
parameter and are written out by the composer, in the studio's timezone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from babel.dates import format_date

from actors.lead.artist_side import ArtistSide, who
from actors.lead.button_ids import (
    NEXT_SESSION,
    NONE_FIT,
    VISIT_BUTTONS,
    VISIT_CANCEL,
    VISIT_CONFIRM,
    VISIT_RESCHEDULE,
    WAITLIST_DAYS,
    later_from,
    picked_slot,
    waitlist_pick,
)
from actors.lead.messages import (
    ConfirmBooking,
    ConfirmCancellation,
    ConfirmSession,
    OfferSlots,
    SendBookingNotice,
)
from actors.lead.model import (
    MEDIA_ANSWER,
    Answer,
    ArtistActed,
    Calendar,
    ClaimSlot,
    Decision,
    Deposit,
    Effect,
    Event,
    ExtendHold,
    LeadState,
    MessageReceived,
    NotifyWaitlist,
    Outcome,
    PaymentEventReceived,
    RecordEvent,
    ReleaseSlot,
    RequestDepositLink,
    SendMedia,
    SendMessage,
    SlotFreed,
    Visit,
    media_kind,
)
from actors.lead.pieces import balance, fee_due, more_sessions, next_deposit, piece
from actors.lead.refunds import paid, refund, refundable
from actors.lead.script import Policy, Words
from actors.lead.status import Status
from actors.lead.time_wishes import TimeWish, read_wish
from actors.lead.transitions import move
from actors.lead.waitlist import DayRange, looks_like_days, read_range
from actors.lead.whatsapp_rules import SILENT_KINDS
from actors.schedule import StudioFile, is_free, offer
from actors.schedule.slots import is_clear

__all__ = ["HEALED_PHOTO", "NO_SHOW_AFTER", "AppointmentRules", "no_show_open"]

S = Status
HEALED_PHOTO = "healed_photo"  # the answer a healed photo is kept as, in the lead's file


NO_SHOW_AFTER = timedelta(days=7)  # how long after its end a visit can be marked a no-show


def no_show_open(state: LeadState, now: datetime) -> bool:
    """Whether the lead's appointment may be marked a no-show now: booked (or done), from
    its start until 7 days after its end."""
    visit = state.visit
    if visit is None or state.status not in (S.BOOKED, S.DONE):
        return False
    return _at(visit.starts_at) <= now <= _at(visit.ends_at) + NO_SHOW_AFTER


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


class AppointmentRules:
    def __init__(
        self,
        studio: StudioFile,
        policy: Policy,
        *,
        words: Words | None = None,
        when_questions: frozenset[str] = frozenset(),
    ) -> None:
        """`words`, `when_questions`: the copy's words and the keys of its "when?"
        questions (a date check), whose answer shapes the times offered."""
        self._studio = studio
        self._policy = policy
        self._words = words
        self._when_questions = when_questions

    # -- offering and picking ------------------------------------------------------------

    def approved(self, state: LeadState, acted: ArtistActed, calendar: Calendar) -> Decision:
        minutes = acted.session_minutes or self._studio.default_session_minutes
        state = replace(
            move(state, S.SCHEDULING, acted),
            session_minutes=minutes,
            resume_status=None,
            visit=None,
            rescheduling=False,
            **piece(acted, self._policy),  # the amount approved is the amount asked
        )
        return self.offer(state, calendar, acted.received_at, intro="slots_intro")

    def offer(
        self,
        state: LeadState,
        calendar: Calendar,
        now: datetime,
        *,
        intro: str | None,
        from_day: date | None = None,
        after: datetime | None = None,
        effects: tuple[Effect, ...] = (),
    ) -> Decision:
        """A page of free slots as a list, those that suit the lead's answer to "when?"
        first; none at all: the lead waits, the artist is told."""
        state = replace(state, passed_on=False)
        wish = self._wish(state, now)
        page = offer(
            self._studio,
            self._length(state),
            now=now,
            taken=calendar.taken,
            busy=calendar.busy,
            from_day=from_day,
            after=after,
            fits=self._fits(wish) if wish.named else None,
        )
        if wish.named and not page.starts:  # nothing suits: every free time, as always
            page = offer(
                self._studio,
                self._length(state),
                now=now,
                taken=calendar.taken,
                busy=calendar.busy,
                from_day=from_day,
                after=after,
            )
        listed = OfferSlots(
            state.wa_id,
            state.session_minutes,
            tuple(_seconds(s) for s in page.starts),
            later=str(_seconds(page.later)) if page.later else None,
            intro=intro,
        )
        if not page.starts:  # the lead waits: "slots_none"
            return Decision(state, (*effects, listed, *self._tell(state, "artist_no_slots")))
        return Decision(state, (*effects, listed))

    def picking(self, state: LeadState, message: MessageReceived, calendar: Calendar) -> Decision:
        """A message while the lead picks a time (SCHEDULING, or booked and moving it)."""
        choice = message.reply_id or ""
        now = message.received_at
        later = later_from(choice)
        if later is not None and later.isdigit():  # the first time the last page did not show
            return self.offer(state, calendar, now, intro=None, after=_at(int(later)))
        if later is not None:  # a list sent before: the day it named
            return self.offer(state, calendar, now, intro=None, from_day=date.fromisoformat(later))
        if choice == NONE_FIT:  # "None of these": what suits them, in their words
            return self._ask_range(state)
        if choice in WAITLIST_DAYS:  # "Next 7 days", "Next 14 days", "Any day"
            return self._join_days(state, message, WAITLIST_DAYS[choice])
        start = picked_slot(choice)
        if start is None and not choice:
            text = message.text or ""
            if state.range_asked:
                joined = self._join(state, message)
                if joined is not None:
                    return joined
                if self._names_days(text, now):  # dates, unreadable or past: asked again
                    return Decision(state, (SendMessage(state.wa_id, "waitlist_range_reask"),))
            elif self._words is not None and self._words.is_waitlist(text):
                return self._ask_range(state)
            return self._passed_on(state, message)
        if start is None:
            return self.offer(state, calendar, now, intro="slots_reask")
        length = self._length(state)
        free = is_free(
            self._studio, _at(start), length, now=now, taken=calendar.taken, busy=calendar.busy
        )
        if not free:
            return self.offer(state, calendar, now, intro="slot_taken")
        return self._hold(state, start, message)

    def _hold(self, state: LeadState, start: int, message: MessageReceived) -> Decision:
        """The picked time is held for the lead (or theirs at once, when booked)."""
        now = message.received_at
        length = self._length(state)
        visit = Visit(start, start + int(length.total_seconds()))
        if state.status is S.BOOKED and state.visit is None and state.session_number >= 1:
            if self._policy.rules.deposit_each_session and not state.next_paid:
                return self._held(next_deposit(state), visit, message)  # its own deposit
            return self._next_session(state, visit, now)  # a piece's next: the one deposit
        if state.status is S.BOOKED:  # a move (or a time lost while paying: picked again)
            return self._moved(state, visit, now)
        return self._held(state, visit, message)

    def _held(self, state: LeadState, visit: Visit, event: Event) -> Decision:
        """The time held while the deposit link lives, and the link asked for (`event`:
        the lead's pick, or the artist's Set time)."""
        attempt = state.deposit_attempt + 1
        state = replace(
            move(state, S.BOOKING_PENDING, event),
            visit=visit,
            deposit_attempt=attempt,
            deposit=Deposit.REQUESTED,
            waitlist=None,
            range_asked=False,
            rescheduling=False,
        )
        expires = _seconds(event.received_at) + self._policy.hold_s
        hold = self._claim(visit, "hold", expires_at=expires)
        when = {"when": str(visit.starts_at)}
        held = SendMessage(to=state.wa_id, key="slot_held", params=when)
        link = RequestDepositLink(state.wa_id, attempt, state.deposit_amount, fee_due(state))
        return Decision(state, (hold, held, link))

    # -- the artist's times (the studio page) -------------------------------------------

    def offer_again(self, state: LeadState, acted: ArtistActed, calendar: Calendar) -> Decision:
        """The artist's Offer new times: a lead picking a time gets the first page again; a
        booked lead is asked to move (the current time stays theirs until they pick), and
        that move is not counted against the reschedule policy."""
        now = acted.received_at
        visit = state.visit
        if state.status is S.SCHEDULING:
            return self.offer(state, calendar, now, intro=None)
        if state.status is not S.BOOKED or visit is None:
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        state = replace(state, rescheduling=True, artist_move=True)
        asked = SendMessage(state.wa_id, "reschedule_offered", {"when": str(visit.starts_at)})
        noted = RecordEvent("info", "times_offered", {"by": acted.via})
        return self.offer(state, calendar, now, intro=None, effects=(asked, noted))

    def set_time(self, state: LeadState, acted: ArtistActed, calendar: Calendar) -> Decision:
        """The artist's Set time: a booked appointment moves there at once (same length,
        the old time freed in the same step), a lead picking a time has it held and gets
        the deposit link. Refused (nothing changes) when the time is past or overlaps
        another live appointment or hold; the hours, busy times and time off do not bind
        the artist."""
        start = acted.starts_at
        now = acted.received_at
        if start is None or _at(start) <= now:
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        length = self._length(state)
        if not is_clear(self._studio, _at(start), length, calendar.taken):
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        visit = Visit(start, start + int(length.total_seconds()))
        if state.status is S.SCHEDULING:
            return self._held(state, visit, acted)
        old = state.visit
        if state.status is not S.BOOKED or old is None:
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        state = replace(
            state,
            visit=visit,
            rescheduling=False,
            artist_move=False,
            reminded=self._past_offsets(visit, now),
        )
        effects: list[Effect] = [
            self._claim(visit, "appointment"),  # the old one is released in the same step
            SendMessage(state.wa_id, "moved_by_artist", {"when": str(start), **self._where()}),
            *self._add_to_calendar(state, visit),
            RecordEvent("info", "moved_by_artist", {"from": old.starts_at, "by": acted.via}),
        ]
        return Decision(state, tuple(effects))

    def _moved(self, state: LeadState, visit: Visit, now: datetime) -> Decision:
        old = state.visit
        state = replace(
            state,
            visit=visit,
            rescheduling=False,
            artist_move=False,
            reschedules=state.reschedules + (0 if state.artist_move else 1),
            reminded=self._past_offsets(visit, now),
        )
        when = {"when": str(visit.starts_at)}
        effects: list[Effect] = [
            self._claim(visit, "appointment"),  # the old one is released in the same step
            *self._freed(old),
            SendMessage(to=state.wa_id, key="rescheduled", params=when),
            *self._add_to_calendar(state, visit),
            RecordEvent("info", "rescheduled", {"from": old.starts_at if old else None}),
            *self._tell(state, "artist_rescheduled", when),
        ]
        return Decision(state, tuple(effects))

    def _next_session(self, state: LeadState, visit: Visit, now: datetime) -> Decision:
        """A later session of the piece, booked at once: the one deposit holds it."""
        number = max(state.session_number, 1) + 1
        state = replace(
            state,
            visit=visit,
            rescheduling=False,
            session_number=number,
            next_paid=False,
            reschedules=0,
            reminded=self._past_offsets(visit, now),
        )
        effects: list[Effect] = [
            self._claim(visit, "appointment"),
            self._session_booked(state, visit),
            *self._add_to_calendar(state, visit),
            RecordEvent("info", "session_booked", {"session": number, "of": state.sessions}),
            *self._notice_booked(state, visit),
        ]
        return Decision(state, tuple(effects))

    def _session_booked(self, state: LeadState, visit: Visit) -> ConfirmSession:
        """ "Session k of N" at its time, the studio's address, and on the last the balance:
        the quote less every deposit paid."""
        policy = self._policy
        left = balance(state, policy)
        taken = paid(state, policy.deposit)
        deposit = taken.minor if taken is not None else state.deposit_amount
        written = policy.money(deposit or policy.deposit_amount).format(policy.locale)
        return ConfirmSession(
            state.wa_id,
            visit.starts_at,
            state.session_number,
            state.sessions,
            written,
            quote="" if state.quote is None else policy.money(state.quote).format(policy.locale),
            balance="" if left is None else policy.money(left).format(policy.locale),
            address=self._studio.address,
        )

    # -- paid, expired -------------------------------------------------------------------

    def booked(
        self, state: LeadState, calendar: Calendar, now: datetime, amount: str
    ) -> tuple[LeadState, list[Effect]]:
        """The deposit is paid for the held time: the appointment, and what is said."""
        visit = state.visit
        assert visit is not None
        if not is_clear(self._studio, _at(visit.starts_at), self._length(state), calendar.taken):
            # The hold lapsed and someone took the time: the deposit stands, pick again.
            # A later session's own deposit is paid: its pick books at once.
            state = replace(
                state, visit=None, rescheduling=True, next_paid=state.session_number > 0
            )
            lost = self.offer(state, calendar, now, intro="slot_lost_paid")
            return state, [*lost.effects, *self._tell(state, "artist_slot_lost")]
        number = state.session_number + 1  # the first session, or a later one's own deposit
        state = replace(state, reminded=self._past_offsets(visit, now), session_number=number)
        address = self._studio.address
        confirmed: Effect = ConfirmBooking(
            state.wa_id, amount, visit.starts_at, address, sessions=state.sessions
        )
        if number > 1:  # `deposit_each_session`: a later session, booked by its own deposit
            confirmed = self._session_booked(state, visit)
        return state, [
            self._claim(visit, "appointment"),
            confirmed,
            *self._add_to_calendar(state, visit),
            *self._notice_booked(state, visit),
        ]

    def link_expired(
        self,
        state: LeadState,
        calendar: Calendar,
        expired: PaymentEventReceived,
        effects: tuple[Effect, ...],
    ) -> Decision:
        """The link lapsed: the hold goes, and the lead picks again (then a new link)."""
        held = state.visit
        state = replace(move(state, S.SCHEDULING, expired), visit=None, deposit=Deposit.EXPIRED)
        return self.offer(
            state,
            calendar,
            expired.received_at,
            intro="link_expired_pick",
            effects=(*effects, ReleaseSlot(), *self._freed(held)),
        )

    # -- a booked appointment ----------------------------------------------------------------

    def on_booked(self, state: LeadState, message: MessageReceived, calendar: Calendar) -> Decision:
        choice = message.reply_id or ""
        now = message.received_at
        visit = state.visit
        if state.rescheduling and choice not in VISIT_BUTTONS:
            if message.kind in SILENT_KINDS:  # a reaction is no pick: never answered
                return Decision(state)
            return self.picking(state, message, calendar)
        if visit is None and choice == NEXT_SESSION and more_sessions(state):
            state = replace(state, rescheduling=True)
            return self.offer(state, calendar, now, intro="next_session_pick")
        if visit is None:
            return Decision(state)
        when = {"when": str(visit.starts_at)}
        if choice == VISIT_CONFIRM:
            return Decision(
                state,
                (
                    SendMessage(to=state.wa_id, key="visit_confirmed", params=when),
                    RecordEvent("info", "visit_confirmed"),
                ),
            )
        if choice == VISIT_RESCHEDULE:
            left = _at(visit.starts_at) - now
            if self._studio.rules.allows_move(state.reschedules, left.total_seconds()):
                state = replace(state, rescheduling=True)
                return self.offer(state, calendar, now, intro="reschedule_pick")
            refused = SendMessage(to=state.wa_id, key="reschedule_refused", params=when)
            return Decision(state, (refused, *self._tell(state, "artist_reschedule_refused", when)))
        if choice == VISIT_CANCEL:
            return self._cancelled_by_lead(state, visit, message)
        return Decision(state)

    def _cancelled_by_lead(
        self, state: LeadState, visit: Visit, message: MessageReceived
    ) -> Decision:
        notice = _at(visit.starts_at) - message.received_at
        # The one value the lead read (the copy's policy words) decides the refund.
        late = not self._studio.rules.refunds_cancellation(notice.total_seconds())
        amount = self._policy.money(
            state.paid_amount or state.deposit_amount or self._policy.deposit_amount
        )
        state = replace(move(state, S.CANCELLED, message), rescheduling=False)
        when = {"when": str(visit.starts_at)}
        effects: list[Effect] = [
            ReleaseSlot(cancelled=True),
            *self._freed(visit),
            ConfirmCancellation(
                state.wa_id,
                visit.starts_at,
                forfeit=late,
                amount=amount.format(self._policy.locale),
            ),
            RecordEvent("info", "cancelled_by_lead", {"forfeit": late}),
            *self._tell(state, "artist_lead_cancelled", when),
        ]
        if not late:
            state, refund = self._refund(state, "lead")
            effects.extend(refund)
        return Decision(state, tuple(effects))

    def cancelled_by_artist(self, state: LeadState, event: Event) -> Decision:
        """The artist cancels a booked time (`event`: their action, or its reply)."""
        visit = state.visit
        if state.status is not S.BOOKED or visit is None:
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        state = replace(move(state, S.CANCELLED, event), rescheduling=False)
        effects: list[Effect] = [
            ReleaseSlot(cancelled=True),
            *self._freed(visit),
            SendMessage(
                to=state.wa_id, key="cancelled_by_artist", params={"when": str(visit.starts_at)}
            ),
            RecordEvent("info", "cancelled_by_artist"),
        ]
        state, refund = self._refund(state, "artist")
        return Decision(state, (*effects, *refund))

    def no_show(self, state: LeadState, acted: ArtistActed) -> Decision:
        """The lead did not come (from the appointment's start until 7 days after its end):
        NO_SHOW, the deposit kept as the policy says (or refunded in full), the piece's
        other sessions dropped, the lead told in the policy's words."""
        visit = state.visit
        if visit is None or not no_show_open(state, acted.received_at):
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        policy = self._policy
        left = refundable(state, policy.deposit)
        state = replace(
            move(state, S.NO_SHOW, acted),
            rescheduling=False,
            sessions=max(state.session_number, 1),  # no more sessions of the piece
        )
        effects: list[Effect] = []
        kept = 0
        if policy.rules.no_show.keeps_deposit:
            kept = 0 if left is None else left.minor
            state = replace(state, kept_amount=state.kept_amount + kept)
        else:
            state, refunded = self._refund(state, "no_show")
            effects.extend(refunded)
        amount = left.format(policy.locale) if left is not None else ""
        told = SendMessage(state.wa_id, "no_show", {"when": str(visit.starts_at), "amount": amount})
        noted = RecordEvent("info", "no_show", {"kept": kept, "by": acted.via})
        return Decision(state, (told, noted, *effects))

    def came(self, state: LeadState, acted: ArtistActed) -> Decision:
        """The artist's Came at the appointment's end: recorded, nothing else changes."""
        if state.visit is None or state.status not in (S.BOOKED, S.DONE):
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        return Decision(state, (RecordEvent("info", "visit_came", {"by": acted.via}),))

    def _refund(self, state: LeadState, by: str) -> tuple[LeadState, list[Effect]]:
        """All that is left of the deposit back, once (its own idempotency key)."""
        refunded = refund(state, self._policy, None, by=by)
        return (state, []) if refunded is None else refunded

    def hold_follows(self, state: LeadState, expires_at: int) -> list[Effect]:
        """The held time lives as long as the link Stripe made: a late link, a late hold."""
        visit = state.visit
        if visit is None or state.status is not S.BOOKING_PENDING:
            return []
        return [ExtendHold(expires_at + self._policy.hold_grace_s)]

    # -- after the appointment ---------------------------------------------------------------

    def healed_photo(self, state: LeadState, message: MessageReceived) -> Decision:
        """A photo once the appointment is done: kept in the lead's file, the artist sees it."""
        if message.media_id is None or message.kind not in ("image", "document"):
            return Decision(state)
        answer = Answer(
            question=HEALED_PHOTO,
            value=MEDIA_ANSWER,
            message_id=message.message_id,
            seq=max((a.seq for a in state.answers), default=0) + 1,
            media_id=message.media_id,
            media_kind=media_kind(message.kind),
        )
        state = replace(state, answers=(*state.answers, answer))
        effects: list[Effect] = [SendMessage(to=state.wa_id, key="healed_photo_thanks")]
        artist = self._policy.artist_number
        if artist is not None:
            effects.append(
                SendMedia(
                    artist,
                    message.media_id,
                    "artist_healed_photo",
                    self._who(state),
                    kind=answer.media_kind,
                    filename=message.filename,
                )
            )
        return Decision(state, tuple(effects))

    # -- the waitlist (actors.lead.waitlist) -----------------------------------------------------

    def _ask_range(self, state: LeadState) -> Decision:
        asked = SendMessage(state.wa_id, "waitlist_range")
        return Decision(replace(state, range_asked=True), (asked,))

    def _join(self, state: LeadState, message: MessageReceived) -> Decision | None:
        """The days typed after "None of these": WAITLISTED for them; None: no such days."""
        words = self._words
        if words is None:
            return None
        now = message.received_at
        today = now.astimezone(self._studio.timezone).date()
        horizon = (now + timedelta(days=self._studio.horizon_days)).astimezone(
            self._studio.timezone
        )
        days = read_range(
            message.text or "", words.waitlist_to, self._policy.locale, today, horizon.date()
        )
        if days is None:
            return None
        return self._joined(state, message, days)

    def _names_days(self, text: str, now: datetime) -> bool:
        if self._words is None:
            return False
        today = now.astimezone(self._studio.timezone).date()
        return looks_like_days(text, self._words.waitlist_to, self._policy.locale, today)

    def _join_days(self, state: LeadState, message: MessageReceived, count: int | None) -> Decision:
        """A range button: today and the next `count` - 1 days (None: to the horizon)."""
        now = message.received_at
        today = now.astimezone(self._studio.timezone).date()
        horizon = (now + timedelta(days=self._studio.horizon_days)).astimezone(
            self._studio.timezone
        )
        last = horizon.date() if count is None else today + timedelta(days=count - 1)
        return self._joined(state, message, DayRange(today, min(last, horizon.date())))

    def _joined(self, state: LeadState, message: MessageReceived, days: DayRange) -> Decision:
        now = message.received_at
        state = replace(
            move(state, S.WAITLISTED, message),
            range_asked=False,
            passed_on=False,
            waitlist=(days.first.isoformat(), days.last.isoformat(), _seconds(now)),
        )
        written = {
            "from": format_date(days.first, "long", locale=self._policy.locale),
            "to": format_date(days.last, "long", locale=self._policy.locale),
        }
        joined = SendMessage(state.wa_id, "waitlist_joined", written)
        noted = RecordEvent("info", "waitlist_joined", {"from": days.first.isoformat()})
        return Decision(state, (joined, noted, *self._tell(state, "artist_waitlisted", written)))

    def waitlisted(
        self, state: LeadState, message: MessageReceived, calendar: Calendar
    ) -> Decision:
        """On the waitlist: a tap on a freed time holds it if it is still free (the first
        tap wins); anything else goes to the artist."""
        reply = message.reply_id or ""
        start = waitlist_pick(reply) or picked_slot(reply)
        if start is None:
            return Decision(state, ArtistSide(self._policy).forward(state, message))
        now = message.received_at
        free = is_free(
            self._studio,
            _at(start),
            self._length(state),
            now=now,
            taken=calendar.taken,
            busy=calendar.busy,
        )
        if not free:
            gone = tuple(s for s in state.offered_freed if s != start)
            told = SendMessage(state.wa_id, "waitlist_gone")
            return Decision(replace(state, offered_freed=gone), (told,))
        held = self._hold(state, start, message)
        taken = NotifyWaitlist(start, start + int(self._length(state).total_seconds()), True)
        return replace(
            held, state=replace(held.state, offered_freed=()), effects=(*held.effects, taken)
        )

    def stale_take(self, state: LeadState, message: MessageReceived) -> Decision | None:
        """ "Book it" tapped when the lead is no longer waiting (booked elsewhere, or off the
        waitlist): that time is gone for them; their own held time is not."""
        start = waitlist_pick(message.reply_id or "")
        if start is None or state.status is S.WAITLISTED:
            return None
        if state.visit is not None and state.visit.starts_at == start:
            return Decision(state)
        return Decision(state, (SendMessage(state.wa_id, "waitlist_gone"),))

    def freed(self, state: LeadState, freed: SlotFreed, calendar: Calendar) -> Decision:
        """A time freed up: offered to a waitlisted lead whose days cover it, whose
        session fits there now, inside their 24 hours (one tap books it)."""
        waitlist = state.waitlist
        if state.status is not S.WAITLISTED or waitlist is None:
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        if freed.taken:  # another lead took it: told once, if it was offered
            if freed.starts_at not in state.offered_freed:
                return Decision(state, outcome=Outcome.NOT_APPLICABLE)
            gone = tuple(s for s in state.offered_freed if s != freed.starts_at)
            told = SendMessage(state.wa_id, "waitlist_gone")
            return Decision(replace(state, offered_freed=gone), (told,))
        now = freed.received_at
        start = _at(freed.starts_at)
        day = start.astimezone(self._studio.timezone).date()
        covered = date.fromisoformat(waitlist[0]) <= day <= date.fromisoformat(waitlist[1])
        fits = is_free(
            self._studio,
            start,
            self._length(state),
            now=now,
            taken=calendar.taken,
            busy=calendar.busy,
        )
        if not (covered and fits):
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)
        # Outside the lead's 24 hours it goes by the `waitlist_offer` template (none: not
        # sent); its quick reply "Book it" carries the time, as the button does.
        offered = SendMessage(state.wa_id, "waitlist_offer", {"when": str(freed.starts_at)})
        state = replace(state, offered_freed=(*state.offered_freed, freed.starts_at))
        return Decision(state, (offered,))

    def _freed(self, visit: Visit | None) -> list[Effect]:
        """The waitlist told of a time no longer held or booked."""
        return [] if visit is None else [NotifyWaitlist(visit.starts_at, visit.ends_at)]

    # -- the lead's words ----------------------------------------------------------------------

    def _passed_on(self, state: LeadState, message: MessageReceived) -> Decision:
        """Words while picking a time go to the artist; the lead is told so once (until
        the artist answers or a new list goes), and the times offered stay open."""
        forward = self._forward(state, message)
        if state.passed_on or not forward:
            return Decision(state, forward)
        held = SendMessage(state.wa_id, "slots_passed_on")
        return Decision(replace(state, passed_on=True), (*forward, held))

    def _forward(self, state: LeadState, message: MessageReceived) -> tuple[Effect, ...]:
        return ArtistSide(self._policy).forward(state, message)

    def _wish(self, state: LeadState, now: datetime) -> TimeWish:
        """The latest answer to "when?", read as a wish on the studio's day."""
        if self._words is None or not self._when_questions:
            return TimeWish()
        answers = [a for a in state.answers if a.question in self._when_questions]
        if not answers:
            return TimeWish()
        latest = max(answers, key=lambda a: a.seq)
        today = now.astimezone(self._studio.timezone).replace(tzinfo=None)
        return read_wish(latest.value, self._words.when, self._policy.locale, today)

    def _fits(self, wish: TimeWish) -> Callable[[datetime], bool]:
        zone = self._studio.timezone
        return lambda start: wish.fits(start.astimezone(zone))

    # -- helpers -------------------------------------------------------------------------------

    def _where(self) -> dict[str, str]:
        """The studio's address, for a message that ends with it (none: nothing)."""
        address = self._studio.address
        return {} if address is None else {"address": address}

    def _length(self, state: LeadState) -> timedelta:
        return timedelta(minutes=state.session_minutes or self._studio.default_session_minutes)

    def _claim(self, visit: Visit, kind: str, *, expires_at: int | None = None) -> ClaimSlot:
        buffer = self._studio.buffer_minutes * 60
        return ClaimSlot(kind, visit.starts_at, visit.ends_at, visit.ends_at + buffer, expires_at)

    def _past_offsets(self, visit: Visit, now: datetime) -> tuple[int, ...]:
        """Reminders whose moment has passed already: they are not sent late."""
        start = visit.starts_at
        return tuple(
            o for o in self._studio.reminder_offsets_minutes if start - o * 60 <= _seconds(now)
        )

    def _who(self, state: LeadState) -> dict[str, str]:
        return who(state)

    def _add_to_calendar(self, state: LeadState, visit: Visit) -> list[Effect]:
        """The lead's "add to calendar" link, right after the time is theirs."""
        invites = self._policy.invites
        if invites is None:
            return []
        url = invites.url(state.wa_id, visit.starts_at)
        return [SendMessage(to=state.wa_id, key="calendar_add", params={"url": url})]

    def _tell(
        self, state: LeadState, key: str, params: dict[str, str] | None = None
    ) -> list[Effect]:
        artist = self._policy.artist_number
        if artist is None:
            return []
        return [SendMessage(artist, key, {**self._who(state), **(params or {})})]

    def _notice_booked(self, state: LeadState, visit: Visit) -> list[Effect]:
        """The artist's word of the booking, with Cancel for this lead."""
        artist = self._policy.artist_number
        if artist is None:
            return []
        return [SendBookingNotice(artist, state.wa_id, self._who(state), visit.starts_at)]
