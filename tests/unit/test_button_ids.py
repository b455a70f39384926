"""Button and list-row ids: what one side writes, the other reads back, and nothing else."""

from __future__ import annotations

import pytest

from actors.lead import ArtistAction
from actors.lead.button_ids import (
    ASKS_FIRST,
    CONFIRM,
    EDIT,
    KEEP,
    ArtistCommand,
    RelayPick,
    artist_command,
    button_id,
    edit_row_id,
    edited_question,
    kept_as_is,
    relay_pick,
    relay_row_id,
    sure_id,
)

LEAD = "447700900123"


@pytest.mark.parametrize("action", list(ArtistAction))
def test_an_artist_button_names_its_action_and_lead(action: ArtistAction) -> None:
    assert button_id(action, LEAD) == f"{action.value}:{LEAD}"
    asks_first = action in ASKS_FIRST  # Decline, Cancel + refund, No-show
    assert artist_command(button_id(action, LEAD)) == ArtistCommand(action, LEAD, not asks_first)
    sure = artist_command(button_id(sure_id(action), LEAD))
    assert sure == ArtistCommand(action, LEAD, confirmed=True)  # "Yes, ..." acts


def test_keep_names_its_lead_and_no_action() -> None:
    assert kept_as_is(button_id(KEEP, LEAD)) == LEAD
    assert artist_command(button_id(KEEP, LEAD)) is None
    assert kept_as_is(f"decline:{LEAD}") is None


@pytest.mark.parametrize(
    "reply_id",
    [CONFIRM, EDIT, "approve", f"archive:{LEAD}", "approve:12345", f"approve:{LEAD}x", ""],
)
def test_an_id_that_names_no_action_and_lead_is_no_artist_command(reply_id: str) -> None:
    assert artist_command(reply_id) is None


def test_a_button_without_a_reference_is_its_key() -> None:
    assert button_id(CONFIRM) == "confirm"
    assert button_id(EDIT, None) == "edit"


def test_an_edit_row_names_its_question() -> None:
    assert edit_row_id("size") == "edit:size"
    assert edited_question(edit_row_id("size")) == "size"


@pytest.mark.parametrize("reply_id", [EDIT, CONFIRM, "size", f"approve:{LEAD}"])
def test_other_ids_are_no_edit_row(reply_id: str) -> None:
    assert edited_question(reply_id) is None


def test_a_which_lead_row_names_the_lead_and_the_artists_kept_message() -> None:
    row = relay_row_id(LEAD, "wa:wamid.HBgLNDQ3NzAwOTAwOTk5FQIAEhgUM0E=")
    assert len(row) <= 200  # WhatsApp's longest row id
    assert relay_pick(row) == RelayPick(LEAD, "wa:wamid.HBgLNDQ3NzAwOTAwOTk5FQIAEhgUM0E=")


@pytest.mark.parametrize("reply_id", [f"approve:{LEAD}", f"to:{LEAD}", "to:abc:wa:x", "edit:size"])
def test_other_ids_are_no_which_lead_row(reply_id: str) -> None:
    assert relay_pick(reply_id) is None
