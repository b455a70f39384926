"""
The composer keeps every outbound field within Meta's limits (`actors.copy.limits`):
whatever a lead or the artist wrote, what it renders is what the fake Graph API (which
refuses as Meta does) accepts, in every locale.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.copy import Composer, WhatsAppLimits, load_copy
from actors.lead import AskWhichLead, RelayReply, SendMedia
from actors.lead.messages import MediaKind
from actors.providers.whatsapp import Template, Templates
from fakes.graph import over_limit

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
LOCALES = sorted(path.stem for path in COPY_DIR.glob("*.yml"))
ARTIST = "447700900999"
LEAD = "447700900321"
WHO = {"name": "Ana", "number": f"+{LEAD}", "link": f"https://wa.me/{LEAD}"}


@pytest.fixture(params=LOCALES)
def composer(request: pytest.FixtureRequest) -> Composer:
    return Composer(load_copy(COPY_DIR, request.param))


def test_a_long_caption_forwarded_keeps_who_sent_it_and_is_clipped(composer: Composer) -> None:
    words = "flowers up the arm " * 60
    for kind in (MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.DOCUMENT):
        forward = SendMedia(
            to=ARTIST,
            media_id="MEDIA-1",
            caption_key="artist_forward_media",
            params={**WHO, "text": words},
            kind=kind,
        )
        body = composer.render(forward)
        caption = body[kind.value]["caption"]
        assert over_limit({"to": ARTIST, **body}) is None
        assert len(caption) == WhatsAppLimits.CAPTION
        assert caption.endswith("…")
        assert "Ana" in caption
        assert f"https://wa.me/{LEAD}" in caption


def test_a_voice_note_still_goes_without_a_caption(composer: Composer) -> None:
    forward = SendMedia(
        to=ARTIST,
        media_id="MEDIA-1",
        caption_key="artist_forward_media",
        params={**WHO, "text": "x" * 2000},
        kind=MediaKind.AUDIO,
    )
    assert composer.render(forward) == {"type": "audio", "audio": {"id": "MEDIA-1"}}


def test_a_reply_over_4096_characters_is_clipped(composer: Composer) -> None:
    body = composer.render(RelayReply(to=LEAD, text="a" * 5000))
    assert over_limit({"to": LEAD, **body}) is None
    assert body["text"]["body"] == "a" * (WhatsAppLimits.TEXT_BODY - 1) + "…"


def test_a_short_reply_is_untouched(composer: Composer) -> None:
    body = composer.render(RelayReply(to=LEAD, text="See you Tuesday"))
    assert body["text"]["body"] == "See you Tuesday"


def test_the_leads_list_keeps_ten_rows_with_titles_and_descriptions_clipped(
    composer: Composer,
) -> None:
    choices = tuple(
        (f"lead:{n}", f"Anastasia Konstantinopoulou {n}", "waiting on you since Tuesday " * 5)
        for n in range(14)
    )
    body = composer.render(AskWhichLead(to=ARTIST, choices=choices))
    assert over_limit({"to": ARTIST, **body}) is None
    [section] = body["interactive"]["action"]["sections"]
    assert len(section["rows"]) == WhatsAppLimits.LIST_ROWS
    assert all(len(row["title"]) <= WhatsAppLimits.ROW_TITLE for row in section["rows"])
    assert all(len(row["description"]) <= WhatsAppLimits.ROW_DESCRIPTION for row in section["rows"])


def test_an_artists_long_reply_sent_as_the_template_is_clipped_to_a_parameters_limit(
    composer: Composer,
) -> None:
    templates = Templates(composer, {"artist_reply": Template("artist_reply_v1", "en_GB")})
    body = templates.message(RelayReply(to=LEAD, text="a" * 5000))
    assert body is not None
    assert over_limit({"to": LEAD, **body}) is None
    [component] = body["template"]["components"]
    [parameter] = component["parameters"]
    assert parameter["text"] == "a" * (WhatsAppLimits.TEMPLATE_PARAMETER - 1) + "…"
