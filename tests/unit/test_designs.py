"""
Design approval, decided purely: which of the artist's pictures is a design, what the
lead's taps and words do to it, and when a change request costs the drawing fee.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from actors.lead import (
    Decision,
    LeadBehaviour,
    LeadState,
    MessageReceived,
    OfferDesign,
    Policy,
    RecordEvent,
    SendMedia,
    SendMessage,
    Status,
)
from actors.lead.designs import design_tap
from tests.unit.lead_fixtures import (
    ARTIST,
    LEAD,
    NOW,
    artist_says,
    media_item,
    msg,
    reply,
    script,
)
from tests.unit.studio_fixtures import studio

RECENT = int(NOW.timestamp()) - 3600
_later = itertools.count(RECENT + 1)


def tap(reply_id: str) -> MessageReceived:
    """The lead's tap, written after their last message (inside the 24 hours)."""
    return replace(reply(reply_id), sent_at=next(_later))


def says(text: str) -> MessageReceived:
    return msg(text, ts=next(_later))


def rules(**studio_keys: int) -> LeadBehaviour:
    words = replace(script().words, design=("design",))
    policy = Policy(artist_number=ARTIST, studio=studio(**studio_keys) if studio_keys else None)
    return LeadBehaviour(replace(script(), words=words), policy)


def lead() -> LeadState:
    return LeadState(LEAD, Status.BOOKED, name="Ana", last_message_ts=RECENT)


def said(decision: Decision, to: str = LEAD) -> list[str]:
    return [e.key for e in decision.effects if isinstance(e, SendMessage) and e.to == to]


def offered(behaviour: LeadBehaviour, state: LeadState, caption: str = "design") -> LeadState:
    decision = behaviour.decide(state, artist_says(caption, media_id="PIC"))
    assert [type(e) for e in decision.effects if isinstance(e, OfferDesign)] == [OfferDesign]
    return decision.state


def test_a_picture_captioned_with_the_design_word_goes_as_a_design_with_its_note() -> None:
    decision = rules().decide(lead(), artist_says("Design: the rose, 9 cm", media_id="PIC"))
    (offer,) = [e for e in decision.effects if isinstance(e, OfferDesign)]
    assert (offer.to, offer.media_id, offer.number, offer.note) == (
        LEAD,
        "PIC",
        1,
        "the rose, 9 cm",
    )
    assert decision.state.designs.status == "sent"
    assert not [e for e in decision.effects if isinstance(e, SendMedia)]


def test_a_word_that_only_starts_with_design_is_no_design() -> None:
    decision = rules().decide(lead(), artist_says("designer roses", media_id="PIC"))
    assert not [e for e in decision.effects if isinstance(e, OfferDesign)]
    assert [e.media_id for e in decision.effects if isinstance(e, SendMedia)] == ["PIC"]


def test_the_words_alone_are_no_design() -> None:
    decision = rules().decide(lead(), artist_says("design coming soon"))
    assert not [e for e in decision.effects if isinstance(e, OfferDesign)]


def test_outside_the_24_hours_a_design_does_not_go_and_the_artist_is_told_why() -> None:
    old = replace(lead(), last_message_ts=RECENT - 24 * 3600)
    decision = rules().decide(old, artist_says("design", media_id="PIC"))
    assert not [e for e in decision.effects if isinstance(e, OfferDesign)]
    assert said(decision, ARTIST) == ["artist_reply_not_sent"]
    events = [e for e in decision.effects if isinstance(e, RecordEvent)]
    assert [dict(e.detail)["reason"] for e in events] == ["reason_window"]


def test_approving_the_latest_design_tells_both() -> None:
    behaviour = rules()
    state = offered(behaviour, lead())
    decision = behaviour.decide(state, tap("design_approve:1"))
    assert said(decision) == ["design_approved"]
    assert said(decision, ARTIST) == ["artist_design_approved"]
    assert decision.state.designs.status == "approved"
    assert decision.state.designs.approved_at is not None


def test_an_older_designs_buttons_only_get_a_note() -> None:
    behaviour = rules()
    state = offered(behaviour, offered(behaviour, lead()))
    decision = behaviour.decide(state, tap("design_approve:1"))
    assert said(decision) == ["design_outdated"]
    assert decision.state.designs == state.designs


def test_the_words_after_ask_for_changes_go_to_the_artist_as_a_revision() -> None:
    behaviour = rules()
    state = behaviour.decide(offered(behaviour, lead()), tap("design_changes:1")).state
    assert state.designs.status == "changes_requested"
    decision = behaviour.decide(state, says("a longer stem"))
    assert said(decision) == ["design_changes_sent"]
    (note,) = [e for e in decision.effects if isinstance(e, SendMessage) and e.to == ARTIST]
    assert note.key == "artist_design_changes"
    assert (note.params["text"], note.params["revision"]) == ("a longer stem", "1")
    assert decision.state.designs.revisions == 1
    assert decision.state.designs.fees == 0
    after = behaviour.decide(decision.state, says("thanks!"))
    assert "design_changes_sent" not in said(after)  # one message is the request


def test_a_change_past_the_free_ones_costs_the_drawing_fee() -> None:
    behaviour = rules(design_free_revisions=1, design_drawing_fee_minor=2500)
    state = offered(behaviour, lead())
    for expected_ask, fees in (("design_changes_ask", 0), ("design_changes_fee", 2500)):
        asked = behaviour.decide(state, tap(f"design_changes:{state.designs.latest}"))
        assert said(asked) == [expected_ask]
        state = behaviour.decide(asked.state, says("smaller please")).state
        assert state.designs.fees == fees
        state = offered(behaviour, state)
    fee_ask = behaviour.decide(state, tap(f"design_changes:{state.designs.latest}"))
    (ask,) = [e for e in fee_ask.effects if isinstance(e, SendMessage)]
    assert ask.params == {"fee": "£25.00"}


def test_a_tap_names_its_design() -> None:
    assert design_tap("design_approve:12") == ("design_approve", 12)
    assert design_tap("design_changes:3") == ("design_changes", 3)
    assert design_tap("approve:447700900123") is None
    assert design_tap(None) is None


def test_a_picture_with_a_caption_after_ask_for_changes_is_the_request_and_goes_along() -> None:
    behaviour = rules()
    state = behaviour.decide(offered(behaviour, lead()), tap("design_changes:1")).state
    sketch = replace(media_item("image", "LEAD-SKETCH", caption="like this"), sent_at=next(_later))
    decision = behaviour.decide(state, sketch)
    assert said(decision) == ["design_changes_sent"]
    assert said(decision, ARTIST) == ["artist_design_changes"]
    forwarded = [e for e in decision.effects if isinstance(e, SendMedia)]
    assert [(e.to, e.media_id) for e in forwarded] == [(ARTIST, "LEAD-SKETCH")]
    assert decision.state.designs.changes[0].text == "like this"
