"""
Aftercare by placement: the aftercare message names the placement the lead answered, and
the copy's `aftercare_<option id>` (e.g. `aftercare_hand`) is said instead of `aftercare`
when the copy has it. Pure.

The message's key stays `aftercare`, so outside WhatsApp's 24 hours its template goes
as before; only the words inside the window differ.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping

from actors.lead.answers import latest_answers
from actors.lead.model import LeadState

__all__ = ["AFTERCARE", "PLACEMENT", "aftercare_key", "placed"]

AFTERCARE = "aftercare"
PLACEMENT = "placement"  # the question whose option picks the words
_OPTION_ID = re.compile(r"^[a-z0-9_]{1,40}$")


def placed(state: LeadState) -> dict[str, str]:
    """The aftercare message's params: the placement's option id, when it is one."""
    answer = latest_answers(state.answers).get(PLACEMENT)
    if answer is None or not _OPTION_ID.match(answer.value):
        return {}
    return {PLACEMENT: answer.value}


def aftercare_key(key: str, params: Mapping[str, str], messages: Container[str]) -> str:
    """The copy key said for message `key`: its placement's aftercare when the copy has
    it, else `key` itself."""
    placement = params.get(PLACEMENT)
    if key != AFTERCARE or not placement:
        return key
    variant = f"{AFTERCARE}_{placement}"
    return variant if variant in messages else key
