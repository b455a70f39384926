"""
Upgrading to the artist's actor keeps what the artist was asked about: a which-lead list
sent before the upgrade still relays the message its row names, as what it is.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from actors.artist import ArtistBehaviour, ArtistWrote, artist_state_from_json
from actors.lead import ArtistReplied, MediaKind, MessageReceived
from actors.lead.button_ids import relay_row_id
from storage.migrate import available_migrations, migrate
from tests.database import with_database

pytestmark = pytest.mark.anyio

ARTIST, LEAD = "447700900999", "447700900321"
_ARTIST_ACTOR = 17  # the migration that made the artist an actor


@pytest.fixture
async def con(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    name = f"ba_up_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(with_database(database_url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        connection = await asyncpg.connect(with_database(database_url, name))
        try:
            yield connection
        finally:
            await connection.close()
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _migrate_before_the_artist_actor(con: asyncpg.Connection) -> None:
    """The schema as the version before this one left it, ledger included."""
    await migrate(con)  # creates the ledger; then undo back to before the artist actor
    await con.execute("DROP TABLE artist_actors")
    await con.execute("DELETE FROM schema_migrations WHERE version >= $1", _ARTIST_ACTOR)
    for later in (m for m in available_migrations() if m.version > _ARTIST_ACTOR):
        raise AssertionError(f"{later.name}: extend this test to undo it too")


async def test_a_picture_kept_before_the_upgrade_is_relayed_as_a_picture_after_it(
    con: asyncpg.Connection,
) -> None:
    await _migrate_before_the_artist_actor(con)
    # As the version before kept it: under the artist's number, its words without a kind.
    kept_payload = {
        "from": ARTIST,
        "id": "wamid.OLD",
        "type": "image",
        "image": {"id": "MEDIA-ART-OLD", "caption": "the stencil"},
        "author": "artist",
        "relayed": {"text": "the stencil", "media_id": "MEDIA-ART-OLD"},
    }
    await con.execute(
        "INSERT INTO inbox (message_id, lead_key, outcome, correlation_id, payload)"
        " VALUES ('wa:wamid.OLD', $1, 'asked_which_lead', 'c', $2::jsonb)",
        ARTIST,
        json.dumps(kept_payload),
    )

    assert await migrate(con) == ["0017_artist_actor.sql"]

    state = artist_state_from_json(
        json.loads(await con.fetchval("SELECT state FROM artist_actors WHERE actor_key = 'artist'"))
    )
    pick = MessageReceived(
        "wa:wamid.PICK",
        ARTIST,
        0,
        datetime.now(UTC),
        "interactive",
        reply_id=relay_row_id(LEAD, "wa:wamid.OLD"),
    )
    decision = ArtistBehaviour(ARTIST).decide(state, ArtistWrote(pick))
    assert decision.forward is not None
    replied = decision.forward.event
    assert isinstance(replied, ArtistReplied)
    assert (replied.wa_id, replied.media_id, replied.media_kind, replied.text) == (
        LEAD,
        "MEDIA-ART-OLD",
        MediaKind.IMAGE,
        "the stencil",
    )


async def test_a_database_with_nothing_kept_gets_no_snapshot_until_the_first_turn(
    con: asyncpg.Connection,
) -> None:
    await _migrate_before_the_artist_actor(con)
    await migrate(con)
    assert await con.fetchval("SELECT count(*) FROM artist_actors") == 0
