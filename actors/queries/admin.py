"""
What the admin API reads: leads, one lead's file, dead letters, media items, webhook
items that were refused. Each read
runs in one read unit, so a lead's file comes from one moment. Its writes are commands
(`actors.commands`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from actors.lead import Answer, latest_answers, state_from_json
from actors.lead.refunds import asked, left_to_pay, paid, refundable
from actors.money import Money
from actors.queries.design_view import DesignSummary, design_summary
from actors.runtime.message_ids import whatsapp_message_id
from storage import Database, LeadFile, LeadIdentity, MediaContent, OutboxRow, RefusedItemRow
from storage.admin import LeadSummaryRow

__all__ = [
    "AdminReads",
    "DesignSummary",
    "LeadFile",
    "LeadMoney",
    "LeadSummaryRow",
    "MediaContent",
    "OutboxRow",
    "RefusedItemRow",
]


_USUAL = Money(5000, "GBP")  # the settings' default deposit


@dataclass(frozen=True)
class LeadMoney:
    """A lead's deposit in the studio currency's minor units (None: none yet)."""

    currency: str
    asked_minor: int | None
    paid_minor: int | None
    refunded_minor: int | None
    refundable_minor: int  # what can still be given back (0: nothing)
    kept_minor: int | None = None  # a no-show's deposit the studio keeps
    quote_minor: int | None = None  # the piece's price (the approval's)
    balance_minor: int | None = None  # the price less the deposit
    sessions: int = 1
    sessions_booked: int = 0


@dataclass(frozen=True)
class AdminReads:
    """The admin API's reads (and the studio page's lead file)."""

    _db: Database
    deposit: Money = _USUAL  # the usual deposit: its currency is every amount's

    def waitlist(self, lead_file: LeadFile) -> dict[str, str] | None:
        """The days a WAITLISTED lead waits for and when they joined (None: not waiting)."""
        state = state_from_json(lead_file.lead.state)
        if state.waitlist is None:
            return None
        first, last, joined = state.waitlist
        at = datetime.fromtimestamp(joined, UTC).isoformat()
        return {"from": first, "to": last, "joined_at": at}

    def money(self, lead_file: LeadFile) -> LeadMoney:
        """What was asked of the lead, what they paid and what was given back."""
        state = state_from_json(lead_file.lead.state)
        usual = self.deposit
        taken, given = asked(state, usual), paid(state, usual)
        return LeadMoney(
            currency=usual.currency,
            asked_minor=None if taken is None else taken.minor,
            paid_minor=None if given is None else given.minor,
            refunded_minor=state.refunded_amount or None,
            refundable_minor=left.minor if (left := refundable(state, usual)) else 0,
            kept_minor=state.kept_amount or None,
            quote_minor=state.quote,
            balance_minor=None if (due := left_to_pay(state, usual)) is None else due.minor,
            sessions=state.sessions,
            sessions_booked=state.session_number,
        )

    def design(self, lead_file: LeadFile) -> DesignSummary:
        """The artist's designs for the lead and the lead's answers to them."""
        return design_summary(state_from_json(lead_file.lead.state).designs)

    async def leads(
        self, *, status: str | None, after: str | None, limit: int
    ) -> list[LeadSummaryRow]:
        """A page of leads, each with who it is (its identifiers, current and previous)."""
        async with self._db.reads() as unit:
            rows = await unit.admin.leads(status=status, after=after, limit=limit)
            known = await unit.identities.identities([r.lead_key for r in rows])
        return [replace(r, identity=_identity(r.lead_key, known)) for r in rows]

    async def lead_key(self, any_id: str) -> str | None:
        """The key of the lead named by a phone, a BSUID, a parent BSUID (current or
        previous), its lead id or its key; None: no such lead."""
        async with self._db.reads() as unit:
            return await unit.identities.find(any_id)

    async def lead_file(self, wa_id: str) -> tuple[LeadFile, list[Answer]] | None:
        """Everything stored about a lead, and its latest answer to each question."""
        async with self._db.reads() as unit:
            found = await unit.admin.lead_file(wa_id)
            known = await unit.identities.identities([wa_id])
        if found is None:
            return None
        found = replace(_deletions_marked(found), identity=_identity(wa_id, known))
        return found, list(latest_answers(state_from_json(found.lead.state).answers).values())

    async def media(self, media_row: int) -> MediaContent | None:
        """One media item a lead sent, with its bytes when it was kept whole."""
        async with self._db.reads() as unit:
            return await unit.media.content(media_row)

    async def dead_letters(self, *, before: int | None, limit: int) -> list[OutboxRow]:
        async with self._db.reads() as unit:
            return await unit.admin.dead_letters(before=before, limit=limit)

    async def refused_items(self, *, before: int | None, limit: int) -> list[RefusedItemRow]:
        """Webhook items that could not be taken, newest first, older than id `before`."""
        async with self._db.reads() as unit:
            return await unit.refused.newest(before=before, limit=limit)


def _identity(lead_key: str, known: dict[str, LeadIdentity]) -> LeadIdentity:
    """Who the lead is; a lead from before identifiers were kept is its phone."""
    found = known.get(lead_key)
    if found is not None and (found.wa_id or found.user_id or found.previous):
        return found
    lead_id = found.lead_id if found is not None else None
    phone = lead_key if lead_key.isdigit() else None
    return LeadIdentity(lead_key=lead_key, lead_id=lead_id, wa_id=phone)


def _deletions_marked(found: LeadFile) -> LeadFile:
    """The lead's file with each message the lead deleted (a `message_revoked` event
    names it) marked: kept for the artist, and shown as deleted."""
    deleted = {
        whatsapp_message_id(str(e.detail.get("original_message_id")))
        for e in found.events
        if e.kind == "message_revoked"
    }
    if not deleted:
        return found
    inbox = tuple(
        replace(row, deleted_by_lead=True) if row.message_id in deleted else row
        for row in found.inbox
    )
    return replace(found, inbox=inbox)
