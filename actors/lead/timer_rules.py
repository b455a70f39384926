"""
Silence and deadlines, as data. Pure.

After every decision, `rearm` compares the lead before and after and emits the timer
effects that keep the armed timers true to the new state: silence while qualifying or
confirming (re-armed by each message from the lead), silence after going stale, and a
reminder shortly before the Checkout link expires. The armed due times live in the
state, so a timer that fires after a reply re-armed or cancelled it is recognised as
stale and does nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from actors.lead.aftercare import placed
from actors.lead.artist_side import who
from actors.lead.messages import AskVisitOutcome
from actors.lead.model import (
    ArmedTimer,
    CancelTimer,
    Decision,
    Deposit,
    Effect,
    Event,
    LeadState,
    MessageReceived,
    Outcome,
    RecordEvent,
    ScheduleTimer,
    SendMessage,
    TimerFired,
    TimerKind,
    Visit,
)
from actors.lead.pieces import more_sessions
from actors.lead.script import Policy
from actors.lead.status import Status
from actors.lead.transitions import move

__all__ = ["TimerRules"]

S = Status
_SILENCE_WATCHED = frozenset({S.QUALIFYING, S.CONFIRMING})
_ABANDON_WATCHED = frozenset({S.STALE, S.SCHEDULING})


def _armed(state: LeadState, kind: TimerKind) -> ArmedTimer | None:
    return next((t for t in state.timers if t.kind is kind), None)


class TimerRules:
    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._studio = policy.studio

    # -- a timer fires ---------------------------------------------------------------------

    def on_fired(self, state: LeadState, fired: TimerFired) -> Decision:
        armed = _armed(state, fired.kind)
        if armed is None or armed.due_at != fired.due_at:
            return Decision(state, outcome=Outcome.NOT_APPLICABLE)  # re-armed or cancelled
        state = replace(state, timers=tuple(t for t in state.timers if t is not armed))
        match fired.kind:
            case TimerKind.STALE if state.status in _SILENCE_WATCHED:
                state = replace(move(state, S.STALE, fired), resume_status=state.status)
                return Decision(state, (SendMessage(to=state.wa_id, key="reminder"),))
            case TimerKind.ABANDON if state.status is S.STALE:
                return Decision(replace(move(state, S.ABANDONED, fired), resume_status=None))
            case TimerKind.ABANDON if state.status is S.WAITLISTED:
                # The day after the last one waited for: the waitlist ends for them.
                ended = replace(move(state, S.ABANDONED, fired), waitlist=None, offered_freed=())
                return Decision(ended, (SendMessage(to=state.wa_id, key="waitlist_ended"),))
            case TimerKind.ABANDON if state.status is S.SCHEDULING:
                # Approved, offered times, and never picked one: no hold to release.
                unpicked = RecordEvent("info", "abandoned_unpicked")
                abandoned = replace(move(state, S.ABANDONED, fired), resume_status=None)
                return Decision(abandoned, (unpicked,))
            case TimerKind.DEPOSIT_REMINDER if (
                state.status is S.BOOKING_PENDING and state.deposit is Deposit.LINK_SENT
            ):
                latest = state.deposit_sessions[-1]
                reminder = SendMessage(
                    to=state.wa_id, key="deposit_reminder", params={"url": latest.url}
                )
                return Decision(replace(state, deposit_reminded=True), (reminder,))
            case TimerKind.VISIT_REMINDER if state.status is S.BOOKED and state.visit:
                offset = self._next_offset(state)
                if offset is None:
                    return Decision(state, outcome=Outcome.NOT_APPLICABLE)
                reminder = SendMessage(
                    to=state.wa_id,
                    key="visit_reminder",
                    params={"when": str(state.visit.starts_at)},
                )
                return Decision(replace(state, reminded=(*state.reminded, offset)), (reminder,))
            case TimerKind.VISIT_DONE if state.status is S.BOOKED and state.visit:
                # Fired before the end's own timer (both due while the service was down):
                # the artist is asked Came / No-show first all the same.
                state, ask = self._ask_outcome(state)
                aftercare = SendMessage(state.wa_id, "aftercare", placed(state))
                if more_sessions(state):  # booked still, with no appointment until the next
                    state = replace(state, visit=None, rescheduling=False, reminded=())
                    upcoming = {"session": str(max(state.session_number, 1) + 1)}
                    upcoming["sessions"] = str(state.sessions)
                    nudge = SendMessage(to=state.wa_id, key="next_session", params=upcoming)
                    done = RecordEvent("info", "session_done", {"session": state.session_number})
                    return Decision(state, (*ask, aftercare, nudge, done))
                state = replace(move(state, S.DONE, fired), rescheduling=False)
                return Decision(state, (*ask, aftercare))
            case TimerKind.VISIT_ENDED if state.status is S.BOOKED and state.visit:
                state, ask = self._ask_outcome(state)
                return Decision(state, tuple(ask))
            case TimerKind.HEALED_PHOTO if state.status is S.DONE and not state.healed_asked:
                asked = SendMessage(to=state.wa_id, key="healed_photo_request")
                return Decision(replace(state, healed_asked=True), (asked,))
        return Decision(state, outcome=Outcome.NOT_APPLICABLE)

    def _ask_outcome(self, state: LeadState) -> tuple[LeadState, list[Effect]]:
        """The artist's Came / No-show about the visit, once per visit."""
        visit = state.visit
        if visit is None or state.outcome_asked == visit.starts_at:
            return state, []
        state = replace(state, outcome_asked=visit.starts_at)
        artist = self._policy.artist_number
        if artist is None:
            return state, []
        return state, [AskVisitOutcome(artist, state.wa_id, who(state), visit.starts_at)]

    # -- keeping the armed timers true ---------------------------------------------------------

    def rearm(self, before: LeadState, event: Event, decision: Decision) -> Decision:
        after = decision.state
        now = int(event.received_at.timestamp())
        wanted: dict[TimerKind, int | None] = {
            TimerKind.STALE: self._silence_due(before, event, after, now),
            TimerKind.ABANDON: self._abandon_due(before, after, now),
            TimerKind.DEPOSIT_REMINDER: self._reminder_due(before, after),
            TimerKind.VISIT_REMINDER: self._visit_reminder_due(after),
            TimerKind.VISIT_DONE: self._visit_done_due(after),
            TimerKind.VISIT_ENDED: self._visit_ended_due(after),
            TimerKind.HEALED_PHOTO: self._healed_photo_due(after),
        }
        effects: list[Effect] = []
        timers = list(after.timers)
        for kind, due in wanted.items():
            current = _armed(after, kind)
            current_due = current.due_at if current else None
            if due == current_due:
                continue
            timers = [t for t in timers if t.kind is not kind]
            if due is None:
                effects.append(CancelTimer(kind))
            else:
                timers.append(ArmedTimer(kind, due))
                effects.append(ScheduleTimer(kind, due))
        if not effects:
            return decision
        state = replace(after, timers=tuple(sorted(timers, key=lambda t: t.kind.value)))
        return replace(decision, state=state, effects=(*decision.effects, *effects))

    def _silence_due(
        self, before: LeadState, event: Event, after: LeadState, now: int
    ) -> int | None:
        if after.status not in _SILENCE_WATCHED:
            return None
        from_lead = (
            isinstance(event, MessageReceived)
            and event.wa_id == after.wa_id
            and event.kind != "system"  # Meta's notice about the person, not their words
        )
        current = _armed(after, TimerKind.STALE)
        if from_lead or after.status is not before.status or current is None:
            return now + self._policy.stale_after_s  # any word from the lead restarts it
        return current.due_at

    def _abandon_due(self, before: LeadState, after: LeadState, now: int) -> int | None:
        """Silence after going stale, or while offered times (SCHEDULING) and not picking;
        on the waitlist, the day after its last day (the studio's midnight)."""
        if after.status is S.WAITLISTED and after.waitlist and self._studio is not None:
            following = date.fromisoformat(after.waitlist[1]) + timedelta(days=1)
            midnight = datetime.combine(following, time(0), self._studio.timezone)
            return int(midnight.timestamp())
        if after.status not in _ABANDON_WATCHED:
            return None
        current = _armed(after, TimerKind.ABANDON)
        if before.status is not after.status or current is None:
            return now + self._policy.abandon_after_s
        return current.due_at

    def _reminder_due(self, before: LeadState, after: LeadState) -> int | None:
        if after.status is not S.BOOKING_PENDING or after.deposit is not Deposit.LINK_SENT:
            return None
        if not after.deposit_sessions or after.deposit_reminded:
            return None
        latest = after.deposit_sessions[-1]
        return latest.expires_at - self._policy.deposit_reminder_before_s

    # -- appointments (STUDIO_FILE) ------------------------------------------------------------

    def _next_offset(self, state: LeadState) -> int | None:
        """The largest reminder offset (minutes before) not sent yet for the visit."""
        if self._studio is None:
            return None
        pending = [o for o in self._studio.reminder_offsets_minutes if o not in state.reminded]
        return max(pending, default=None)

    def _booked_visit(self, state: LeadState) -> Visit | None:
        if self._studio is None or state.status is not S.BOOKED:
            return None
        return state.visit

    def _visit_reminder_due(self, after: LeadState) -> int | None:
        visit = self._booked_visit(after)
        offset = self._next_offset(after)
        if visit is None or offset is None:
            return None
        return visit.starts_at - offset * 60

    def _visit_done_due(self, after: LeadState) -> int | None:
        visit = self._booked_visit(after)
        if visit is None or self._studio is None:
            return None
        return visit.ends_at + self._studio.aftercare_after_hours * 3600

    def _visit_ended_due(self, after: LeadState) -> int | None:
        """At the appointment's end, once: the artist says whether the lead came."""
        visit = self._booked_visit(after)
        if visit is None or after.outcome_asked == visit.starts_at:
            return None
        return visit.ends_at

    def _healed_photo_due(self, after: LeadState) -> int | None:
        if self._studio is None or after.status is not S.DONE or after.visit is None:
            return None
        if after.healed_asked:
            return None
        return after.visit.ends_at + self._studio.healed_photo_after_days * 86400
