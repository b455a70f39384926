"""
The one door into the actors: `Actors.handle(command)`.

Web verifies and parses what arrives (WhatsApp, Stripe, the studio page, the admin API),
builds a command and hands it here; each kind of command has one handler, looked up by
its class in `Actors._handlers`. What handling returns is the command's own type
(`Command[R]`). Handlers own the rest of the road: to an actor (a lead's, the artist's),
its pure decision, one turn, the outbox, a provider.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar, cast

from actors.commands.lead_actions import LeadActions
from actors.commands.model import (
    ActOnLead,
    BlockTimeOff,
    CheckAdminToken,
    Command,
    RecordRefusedItems,
    RecordRejectedWebhook,
    RecordUnroutedChange,
    RedriveDeadLetter,
    ReplyToLead,
    RequestSignInLink,
    RotateFeedKey,
    SendFileToLead,
    SignInWithLink,
    SignInWithPassword,
    SignOut,
    SignOutEverywhere,
    TakeStripeEvent,
    TakeWhatsApp,
    UnblockTimeOff,
)
from actors.commands.payments import StripeIntake
from actors.commands.refused_items import RefusedItemsRecord
from actors.commands.time_off import TimeOffDesk
from actors.commands.whatsapp import WhatsAppIntake
from actors.page import AdminAccess, AdminAnswer, LinkAsked, PasswordAnswer, SignIn
from actors.queries.calendar_feed import CalendarFeed, FeedAddress
from actors.runtime.clock import Clock
from actors.runtime.rejections import Rejections

__all__ = ["Actors"]

R = TypeVar("R")
_Handler = Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True)
class Actors:
    """Every inbound thing, as a command, to the handler of its kind."""

    whatsapp: WhatsAppIntake
    stripe: StripeIntake
    leads: LeadActions
    sign_in: SignIn
    admin_access: AdminAccess
    calendar_feed: CalendarFeed
    rejections: Rejections
    refused_items: RefusedItemsRecord
    clock: Clock
    time_off: TimeOffDesk  # the page's Block and Unblock: the artist's actor's turns

    def now(self) -> datetime:
        """The service's clock: what the edge stamps on what it parses."""
        return self.clock.now()

    async def handle(self, command: Command[R]) -> R:
        handler = self._handlers.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        return cast(R, await handler(command))

    @cached_property
    def _handlers(self) -> Mapping[type[Command[Any]], _Handler]:
        """Made once per door (every webhook looks its command up here)."""
        return {
            TakeWhatsApp: self.whatsapp.take,
            TakeStripeEvent: self.stripe.take,
            ActOnLead: self.leads.act,
            ReplyToLead: self.leads.reply,
            SendFileToLead: self.leads.send_file,
            RedriveDeadLetter: self.leads.redrive,
            RotateFeedKey: self._rotate_feed_key,
            RequestSignInLink: self._request_sign_in_link,
            SignInWithLink: self._sign_in_with_link,
            SignInWithPassword: self._sign_in_with_password,
            SignOut: self._sign_out,
            SignOutEverywhere: self._sign_out_everywhere,
            CheckAdminToken: self._check_admin_token,
            RecordRejectedWebhook: self._record_rejection,
            RecordUnroutedChange: self._record_unrouted,
            RecordRefusedItems: self.refused_items.record,
            BlockTimeOff: self.time_off.block,
            UnblockTimeOff: self.time_off.unblock,
        }

    async def _rotate_feed_key(self, _: RotateFeedKey) -> FeedAddress:
        return await self.calendar_feed.rotate()

    async def _request_sign_in_link(self, command: RequestSignInLink) -> LinkAsked:
        return await self.sign_in.send_link(command.address, command.correlation_id)

    async def _sign_in_with_link(self, command: SignInWithLink) -> str | None:
        return await self.sign_in.sign_in_with_link(command.token)

    async def _sign_in_with_password(self, command: SignInWithPassword) -> PasswordAnswer:
        return await self.sign_in.sign_in_with_password(command.presented, command.address)

    async def _sign_out(self, command: SignOut) -> None:
        await self.sign_in.sign_out(command.session_id)

    async def _sign_out_everywhere(self, _: SignOutEverywhere) -> int:
        return await self.sign_in.sign_out_everywhere()

    async def _check_admin_token(self, command: CheckAdminToken) -> AdminAnswer:
        return await self.admin_access.check(command.presented, command.address)

    async def _record_rejection(self, command: RecordRejectedWebhook) -> None:
        await self.rejections.record(command.route, command.reason, command.correlation_id)

    async def _record_unrouted(self, command: RecordUnroutedChange) -> None:
        await self.rejections.unrouted(
            command.kind, command.phone_number_id, command.correlation_id
        )
