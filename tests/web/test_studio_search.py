"""
The board's search over HTTP, as an artist types it: a number in any of the ways people
write one (national in the studio's country, international with or without "+", spaces,
dashes, brackets), a name without its accents, a word of the lead's answers, and the
username of a lead known only by its BSUID; a search that matches no one shows no one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.web.conftest import Running
from tests.web.phone import Phone
from tests.web.studio_harness import PASSWORD, form_token

pytestmark = pytest.mark.anyio

ARTIST = "447700900999"  # a UK number: the studio's country is GB
NUMBER = "447700900123"
OTHER = "447700900456"
USER_ID = "US.13491208655302741918"
USERNAME = "inkfan"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"artist_whatsapp_number": ARTIST, "studio_password": PASSWORD}


async def sign_in(running: Running) -> None:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303


async def searched(running: Running, words: str) -> str:
    """The board for `words` typed in the search box."""
    page = await running.client.get(f"/studio/?q={quote(words)}")
    assert page.status_code == 200
    text: str = await page.get_data(as_text=True)
    return text


async def three_leads(running: Running) -> None:
    """Lucía Ramírez, who answered everything (her idea: a small rose); Petal Jones,
    who only said hi; and a lead known by BSUID and username only."""
    lucia = Phone(running, NUMBER, name="Lucía Ramírez")
    await lucia.to_the_summary()  # every text answer is "a small rose with leaves"
    petal = Phone(running, OTHER, name="Petal Jones", picture_id="MEDIA-REF-2")
    await petal.say("Hi")
    await petal.next_message()
    hidden = Phone(
        running,
        "447700900777",
        name="Noor",
        user_id=USER_ID,
        username=USERNAME,
        shares_phone=False,
        picture_id="MEDIA-REF-3",
    )
    await hidden.say("Hi")
    await hidden.next_message()
    await sign_in(running)


@pytest.mark.parametrize(
    "words",
    [
        "07700 900123",  # national, as a British person writes it
        "07700-900-123",
        "(07700) 900123",
        "+44 7700 900123",
        "+44 7700-900-123",
        "0044 7700 900123",
        "44 7700 900123",  # international without "+"
        "447700900123",
        "900123",  # a run of digits the number contains
        "ramirez",  # no accent
        "RAMIREZ",
        "lucia ramirez",
        "Ramírez",
        "rose",  # a word of her answers
        "Rose LEAVES",
        "ramirez rose",  # a word of the name and one of the answers
    ],
)
async def test_a_search_finds_the_lead_however_it_is_written(running: Running, words: str) -> None:
    await three_leads(running)
    board = await searched(running, words)
    assert "Lucía Ramírez" in board, words
    assert "Petal Jones" not in board, words
    assert "Noor" not in board, words


@pytest.mark.parametrize("words", ["tulip", "07700 900888", "ramirez tulip", "rosa"])
async def test_a_search_that_matches_no_one_shows_no_one(running: Running, words: str) -> None:
    await three_leads(running)
    board = await searched(running, words)
    for name in ("Lucía Ramírez", "Petal Jones", "Noor"):
        assert name not in board, words


async def test_a_lead_known_only_by_bsuid_is_still_found_by_username(running: Running) -> None:
    await three_leads(running)
    for words in (USERNAME, f"@{USERNAME}", USER_ID):
        board = await searched(running, words)
        assert "Noor" in board, words
        assert "Lucía Ramírez" not in board, words
