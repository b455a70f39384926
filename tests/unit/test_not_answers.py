"""Messages that are not answers (system notices, deletions, edits, Flow replies, orders,
types the bot does not read), as the pure behaviour decides them."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

from actors.lead import (
    Answer,
    Decision,
    LeadState,
    Message,
    MessageReceived,
    OrderLine,
    Outcome,
    RecordEvent,
    SendMessage,
    SendSummary,
    Status,
    SystemNotice,
    latest_answers,
)
from tests.unit.lead_fixtures import ALL_ANSWERED, ARTIST, LEAD, NOW, behaviour

S = Status
QUALIFYING = LeadState(
    wa_id=LEAD, status=S.QUALIFYING, name="Ana", current_question="size", answers=ALL_ANSWERED[:2]
)
CONFIRMING = LeadState(wa_id=LEAD, status=S.CONFIRMING, name="Ana", answers=ALL_ANSWERED)
WITH_ARTIST = LeadState(
    wa_id=LEAD,
    status=S.NEEDS_ARTIST_REPLY,
    name="Ana",
    answers=ALL_ANSWERED,
    resume_status=S.QUALIFYING,
)
_ids = itertools.count(1)


def received(kind: str, **fields: object) -> MessageReceived:
    n = next(_ids)
    defaults: dict[str, object] = {"received_at": NOW}
    return MessageReceived(
        message_id=f"wa:k{n}",
        wa_id=LEAD,
        sent_at=1_800_000_000 + n,
        kind=kind,
        **{**defaults, **fields},  # type: ignore[arg-type]
    )


def events(decision: Decision, kind: str) -> list[RecordEvent]:
    return [e for e in decision.effects if isinstance(e, RecordEvent) and e.kind == kind]


def to_lead(decision: Decision) -> list[Message]:
    return [e for e in decision.effects if isinstance(e, Message) and e.to == LEAD]


def to_artist(decision: Decision) -> list[SendMessage]:
    return [e for e in decision.effects if isinstance(e, SendMessage) and e.to == ARTIST]


def test_a_changed_number_is_recorded_with_old_and_new_and_never_answered() -> None:
    notice = SystemNotice("user_changed_number", "447700900555", "GB.222", "GB.111")
    decision = behaviour().decide(QUALIFYING, received("system", system=notice))
    (event,) = events(decision, "identity_changed")
    assert event.detail == {
        "type": "user_changed_number",
        "old_wa_id": LEAD,
        "new_wa_id": "447700900555",
        "old_user_id": "GB.111",
        "new_user_id": "GB.222",
    }
    assert to_lead(decision) == []
    assert to_artist(decision) == []
    assert decision.state.status is S.QUALIFYING
    assert decision.state.current_question == "size"


def test_a_system_message_is_not_the_lead_writing() -> None:
    notice = SystemNotice("user_changed_user_id", None, "GB.2", "GB.1")
    decision = behaviour().decide(QUALIFYING, received("system", system=notice))
    assert decision.outcome is Outcome.NOT_APPLICABLE  # no 24 hours opened by it
    assert decision.state.last_message_ts == QUALIFYING.last_message_ts


def test_another_system_message_is_recorded_as_such() -> None:
    decision = behaviour().decide(QUALIFYING, received("system", system=SystemNotice("other")))
    assert [e.detail for e in events(decision, "system_message")] == [{"type": "other"}]
    assert to_lead(decision) == []


def test_a_new_number_writing_a_system_message_is_not_greeted() -> None:
    notice = SystemNotice("user_changed_user_id", None, "GB.2", "GB.1")
    decision = behaviour().decide(LeadState(wa_id=LEAD), received("system", system=notice))
    assert to_lead(decision) == []
    assert decision.state.status is S.NEW


def test_a_deleted_answer_is_recorded_and_the_answer_stays() -> None:
    decision = behaviour().decide(QUALIFYING, received("revoke", original_id="1"))
    assert [e.detail for e in events(decision, "message_revoked")] == [{"original_message_id": "1"}]
    assert decision.state.answers == QUALIFYING.answers
    assert to_lead(decision) == []


def test_a_deletion_while_the_artist_has_the_lead_is_not_forwarded() -> None:
    decision = behaviour().decide(WITH_ARTIST, received("revoke", original_id="1"))
    assert to_artist(decision) == []
    assert events(decision, "message_revoked")


def test_an_edit_of_an_answer_while_qualifying_replaces_it_silently() -> None:
    decision = behaviour().decide(QUALIFYING, received("edit", original_id="1", text="a lily"))
    assert latest_answers(decision.state.answers)["idea"].value == "a lily"
    assert to_lead(decision) == []
    assert decision.state.current_question == "size"


def test_an_edit_of_the_words_after_other_is_judged_as_those_words() -> None:
    where = Answer("placement", "behind my left ear", "wa:w1", 3)
    state = replace(QUALIFYING, answers=(*QUALIFYING.answers[:1], where))
    decision = behaviour().decide(state, received("edit", original_id="w1", text="on my ankle"))
    assert latest_answers(decision.state.answers)["placement"].value == "on my ankle"
    assert to_lead(decision) == []


def test_an_edit_of_an_answer_while_confirming_sends_the_summary_again() -> None:
    decision = behaviour().decide(CONFIRMING, received("edit", original_id="3", text="20 cm"))
    (summary,) = to_lead(decision)
    assert isinstance(summary, SendSummary)
    assert ("size", "20 cm") in summary.answers
    assert decision.state.status is S.CONFIRMING


def test_an_edit_that_fails_the_question_is_recorded_and_the_answer_kept() -> None:
    decision = behaviour().decide(QUALIFYING, received("edit", original_id="1", text="a"))
    assert latest_answers(decision.state.answers)["idea"].value == "a rose"
    assert [e.detail for e in events(decision, "message_edited")] == [
        {"original_message_id": "1", "text": "a"}
    ]
    assert to_lead(decision) == []
    assert decision.state.failed_attempts == 0


def test_an_edit_while_the_artist_has_the_lead_is_forwarded() -> None:
    decision = behaviour().decide(WITH_ARTIST, received("edit", original_id="1", text="a lily"))
    (forward,) = to_artist(decision)
    assert forward.key == "artist_forward_edited"
    assert forward.params["text"] == "a lily"
    assert latest_answers(decision.state.answers)["idea"].value == "a rose"


def test_an_edit_of_a_message_that_was_no_answer_is_only_recorded_while_the_bot_talks() -> None:
    decision = behaviour().decide(QUALIFYING, received("edit", original_id="zz", text="hello"))
    assert events(decision, "message_edited")
    assert to_lead(decision) == []
    assert to_artist(decision) == []


def test_unsupported_gets_the_line_alone_once_a_day() -> None:
    lead = behaviour()
    first = lead.decide(QUALIFYING, received("location"))
    assert [m.key for m in to_lead(first)] == ["unsupported"]
    assert first.state.current_question == "size"
    assert first.state.status is S.QUALIFYING
    again = lead.decide(first.state, received("unsupported"))
    assert to_lead(again) == []
    later = received("contacts", received_at=NOW + timedelta(hours=24, seconds=1))
    assert [m.key for m in to_lead(lead.decide(again.state, later))] == ["unsupported"]


def test_unsupported_while_the_artist_has_the_lead_is_forwarded() -> None:
    decision = behaviour().decide(WITH_ARTIST, received("location"))
    assert [m.key for m in to_artist(decision)] == ["artist_forward_unreadable"]
    assert to_lead(decision) == []


def test_a_flow_reply_is_forwarded_without_an_answer() -> None:
    form = (("size", "10 cm"), ("placement", "arm"))
    decision = behaviour().decide(QUALIFYING, received("nfm_reply", form=form))
    (forward,) = to_artist(decision)
    assert forward.key == "artist_forward_form"
    assert forward.params["fields"] == "size: 10 cm, placement: arm"
    assert to_lead(decision) == []
    assert decision.state.answers == QUALIFYING.answers
    assert decision.state.current_question == "size"
    assert events(decision, "form_received")


def test_an_order_is_forwarded_with_its_note() -> None:
    lines = (OrderLine("gift-card", "2", "50", "GBP"), OrderLine("print", "1", "12.5", "GBP"))
    decision = behaviour().decide(CONFIRMING, received("order", order=lines, text="for Ana"))
    (forward,) = to_artist(decision)
    assert forward.key == "artist_forward_order"
    assert forward.params["order"] == "2 x gift-card (50 GBP), 1 x print (12.5 GBP); for Ana"
    assert to_lead(decision) == []
    assert decision.state.status is S.CONFIRMING
