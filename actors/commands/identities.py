"""
Who wrote: each WhatsApp item's identifiers to its lead's key, or to the artist.

A person may arrive by phone, BSUID, parent BSUID or any mix of them, and the lead
is found by any (storage.identities: one transaction under a lock on each identifier,
so two items of one person never make two leads, on any replica). An identifier,
once a lead's, is that lead's for ever, so a mapping seen once is kept in memory and
a conversation's next messages need no round trip; anything new (an identifier not
seen, a new username, a change notice) goes to the database.

The artist is whoever writes from ARTIST_WHATSAPP_NUMBER or from the artist's BSUID:
ARTIST_WHATSAPP_USER_ID, else the one learned from the first message from the
artist's number that carried a BSUID (kept in the database). The artist's BSUID
never becomes a lead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from actors.commands.model import IncomingEcho
from actors.lead import IDENTITY_CHANGES, MessageReceived, PreferenceChanged
from storage import Database, SeenIdentifiers, StatusReport

__all__ = ["Identities"]

_BSUID = re.compile(r"^[A-Z]{2}\.[A-Za-z0-9]{1,128}$")
_CACHE_MAX = 200_000  # identifiers kept in memory (then forgotten, all at once)


@dataclass(frozen=True)
class _Lookup:
    seen: SeenIdentifiers
    cacheable: bool


class Identities:
    def __init__(
        self,
        db: Database,
        now: Callable[[], datetime],
        *,
        artist_number: str | None,
        artist_user_id: str | None = None,
    ) -> None:
        self._db = db
        self._now = now
        self._artist_number = artist_number
        self._artist_user_id = artist_user_id  # the setting; else learned
        self._keys: dict[tuple[str, str], str] = {}
        self._usernames: dict[str, str] = {}

    async def artist_user_id(self) -> str | None:
        """The artist's BSUID: the setting, else the one kept in the database (asked
        again until one is kept: another replica may have learned it)."""
        if self._artist_user_id is None and self._artist_number is not None:
            async with self._db.reads() as unit:
                self._artist_user_id = await unit.identities.artist_user_id()
        return self._artist_user_id

    async def is_artist(self, message: MessageReceived) -> bool:
        """From the artist's number or BSUID; learns the BSUID on the first chance."""
        artist = self._artist_number
        if artist is not None and message.phone == artist:
            if message.user_id and self._artist_user_id is None:
                async with self._db.records() as unit:
                    self._artist_user_id = await unit.identities.learn_artist(message.user_id)
                    await unit.commit()
            return True
        if message.user_id is None:
            return False
        if message.phone is not None and self._artist_user_id is None:
            return False  # from another number: not the artist, whatever their BSUID
        return message.user_id == await self.artist_user_id()

    async def leads_of(
        self, items: Sequence[MessageReceived | PreferenceChanged]
    ) -> list[str | None]:
        """Each item's lead key, made when an item may make one; None: a notice from
        nobody we know, which makes no lead."""
        return await self._resolved([_lookup(item) for item in items])

    async def echo_leads(self, echoes: Sequence[IncomingEcho]) -> list[str | None]:
        """The lead each of the artist's Business-app messages went to, by its phone
        (`to`) or BSUID (`to_user_id`); a person not yet a lead becomes one (the bot
        never greets someone the artist already wrote to). None: no address at all."""
        lookups = [
            _Lookup(SeenIdentifiers(wa_id=e.to, user_id=e.to_user_id), cacheable=True)
            for e in echoes
        ]
        return await self._resolved(lookups)

    async def known(self, phones: Sequence[str]) -> dict[str, str]:
        """The leads these phones name, by phone (a phone of no lead is left out)."""
        lookups = [
            _Lookup(SeenIdentifiers(wa_id=phone, create=False), cacheable=True)
            for phone in dict.fromkeys(phones)
        ]
        keys = await self._resolved(lookups)
        return {
            lookup.seen.wa_id: key
            for lookup, key in zip(lookups, keys, strict=True)
            if key is not None and lookup.seen.wa_id is not None
        }

    async def _resolved(self, lookups: Sequence[_Lookup]) -> list[str | None]:
        found: list[str | None] = [self._cached(lookup) for lookup in lookups]
        missing = [i for i, key in enumerate(found) if key is None and lookups[i].seen.finding()]
        if not missing:
            return found
        async with self._db.records() as unit:
            keys = await unit.identities.resolve([lookups[i].seen for i in missing], self._now())
            await unit.commit()
        for i, key in zip(missing, keys, strict=True):
            found[i] = key
            if key is not None and lookups[i].cacheable:
                self._keep(lookups[i].seen, key)
        return found

    async def learn(self, reports: Sequence[StatusReport]) -> None:
        """What delivery reports say of their recipients joins the lead they name (a
        report never makes a lead)."""
        lookups = [
            _Lookup(seen, cacheable=True)
            for r in reports
            if len(
                (
                    seen := SeenIdentifiers(
                        wa_id=r.recipient_phone,
                        user_id=r.recipient_user_id,
                        parent_user_id=r.recipient_parent_user_id,
                        create=False,
                    )
                ).finding()
            )
            > 1
        ]
        missing = [lookup for lookup in lookups if self._cached(lookup) is None]
        if not missing:
            return
        async with self._db.records() as unit:
            keys = await unit.identities.resolve([m.seen for m in missing], self._now())
            await unit.commit()
        for lookup, key in zip(missing, keys, strict=True):
            if key is not None:
                self._keep(lookup.seen, key)

    async def find(self, any_id: str) -> str | None:
        """The lead a phone, BSUID, parent BSUID, lead id or key names."""
        async with self._db.reads() as unit:
            return await unit.identities.find(any_id)

    def _cached(self, lookup: _Lookup) -> str | None:
        if not lookup.cacheable:
            return None
        keys = {self._keys.get(pair) for pair in lookup.seen.finding()}
        if len(keys) != 1:
            return None
        key = keys.pop()
        username = lookup.seen.username
        if key is None or (username is not None and self._usernames.get(key) != username):
            return None
        return key

    def _keep(self, seen: SeenIdentifiers, key: str) -> None:
        if len(self._keys) >= _CACHE_MAX:
            self._keys.clear()
            self._usernames.clear()
        for pair in seen.finding():
            self._keys[pair] = key
        if seen.username is not None:
            self._usernames[key] = seen.username


def _lookup(item: MessageReceived | PreferenceChanged) -> _Lookup:
    if isinstance(item, PreferenceChanged):  # named by its BSUID, else its phone
        if _BSUID.match(item.wa_id):
            return _Lookup(SeenIdentifiers(user_id=item.wa_id), cacheable=True)
        return _Lookup(SeenIdentifiers(wa_id=item.wa_id), cacheable=True)
    notice = item.system
    if item.kind != "system" or notice is None:
        seen = SeenIdentifiers(
            wa_id=item.phone,
            user_id=item.user_id,
            parent_user_id=item.parent_user_id,
            username=item.username,
        )
        return _Lookup(seen, cacheable=True)
    # Meta's notice: found by any identifier it carries, never a new lead; a change
    # makes its new values current and the old ones previous (still found by).
    also_by = (
        ("wa_id", item.phone or ""),
        ("user_id", item.user_id or ""),
        ("user_id", notice.previous_user_id or ""),
        ("parent_user_id", item.parent_user_id or ""),
        ("parent_user_id", notice.previous_parent_user_id or ""),
    )
    if notice.type in IDENTITY_CHANGES:
        seen = SeenIdentifiers(
            wa_id=notice.new_wa_id,
            user_id=notice.new_user_id,
            parent_user_id=notice.new_parent_user_id,
            also_by=also_by,
            create=False,
        )
    else:
        seen = SeenIdentifiers(also_by=also_by, create=False)
    return _Lookup(seen, cacheable=False)
