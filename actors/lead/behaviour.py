"""
The lead's behaviour: `decide(state, event) -> Decision`. Pure: no I/O, no clock.

Every status change goes through `_move`, which checks the transition table.
"""

from __future__ import annotations

from dataclasses import replace

from actors.lead.model import (
    Answer,
    Decision,
    LeadState,
    MessageReceived,
    Outcome,
    SendMessage,
)
from actors.lead.script import Script
from actors.lead.status import Status
from actors.lead.transitions import check_transition

__all__ = ["LeadBehaviour"]


def _move(state: LeadState, target: Status) -> LeadState:
    check_transition(state.status, target)
    return replace(state, status=target)


def _ask(state: LeadState, question: str) -> SendMessage:
    return SendMessage(to=state.wa_id, key=f"questions.{question}")


class LeadBehaviour:
    """The conversation, bound to the questions of one copy file."""

    def __init__(self, script: Script) -> None:
        self._script = script

    def initial(self, wa_id: str) -> LeadState:
        return LeadState(wa_id=wa_id)

    def decide(self, state: LeadState, event: MessageReceived) -> Decision:
        if event.sent_at < state.last_message_ts:
            return Decision(state, outcome=Outcome.OUT_OF_ORDER)
        state = replace(
            state,
            last_message_ts=event.sent_at,
            name=event.profile_name or state.name,
        )
        if state.status is Status.NEW:
            return self._greet(state)
        if state.status is Status.QUALIFYING:
            return self._answer(state, event)
        return Decision(state)

    def _greet(self, state: LeadState) -> Decision:
        first = self._script.first()
        state = replace(_move(state, Status.QUALIFYING), current_question=first.key)
        greeting = (
            SendMessage(to=state.wa_id, key="greeting", params={"name": state.name})
            if state.name
            else SendMessage(to=state.wa_id, key="greeting_anonymous")
        )
        return Decision(state, (greeting, _ask(state, first.key)))

    def _answer(self, state: LeadState, event: MessageReceived) -> Decision:
        question = state.current_question
        assert question is not None
        answer = Answer(
            question=question,
            value=event.text or event.reply_id or "",
            message_id=event.message_id,
            seq=len(state.answers) + 1,
            media_id=event.media_id,
        )
        state = replace(state, answers=(*state.answers, answer))
        following = self._script.after(question)
        if following is not None:
            state = replace(state, current_question=following.key)
            return Decision(state, (_ask(state, following.key),))
        state = replace(_move(state, Status.CONFIRMING), current_question=None)
        return Decision(state, (SendMessage(to=state.wa_id, key="received_all"),))
