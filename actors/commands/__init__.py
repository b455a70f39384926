"""The one door into the actors: commands, their handlers, and what they answer."""

from __future__ import annotations

from actors.commands.bus import Actors
from actors.commands.identities import Identities
from actors.commands.lead_actions import LeadActions
from actors.commands.model import (
    ActOnLead,
    BlockTimeOff,
    CheckAdminToken,
    Command,
    IncomingContact,
    IncomingEcho,
    IncomingMessage,
    IncomingPreference,
    LeadRef,
    RecordRefusedItems,
    RecordRejectedWebhook,
    RecordUnroutedChange,
    RedriveDeadLetter,
    RefusedItem,
    ReplyToLead,
    RequestSignInLink,
    RotateFeedKey,
    SendFileToLead,
    SignInWithLink,
    SignInWithPassword,
    SignOut,
    SignOutEverywhere,
    StripePayment,
    TakeStripeEvent,
    TakeWhatsApp,
    UnblockTimeOff,
)
from actors.commands.payments import UNROUTED, StripeIntake, payment_event
from actors.commands.refused_items import RefusedItemsRecord
from actors.commands.results import (
    ActionTaken,
    FailedItem,
    ReplyDelivery,
    ReplyTaken,
    WhatsAppTaken,
)
from actors.commands.time_off import TimeOffDesk
from actors.commands.whatsapp import WhatsAppIntake
from storage import RedriveOutcome

__all__ = [
    "UNROUTED",
    "ActOnLead",
    "ActionTaken",
    "Actors",
    "BlockTimeOff",
    "CheckAdminToken",
    "Command",
    "FailedItem",
    "Identities",
    "IncomingContact",
    "IncomingEcho",
    "IncomingMessage",
    "IncomingPreference",
    "LeadActions",
    "LeadRef",
    "RecordRefusedItems",
    "RecordRejectedWebhook",
    "RecordUnroutedChange",
    "RedriveDeadLetter",
    "RedriveOutcome",
    "RefusedItem",
    "RefusedItemsRecord",
    "ReplyDelivery",
    "ReplyTaken",
    "ReplyToLead",
    "RequestSignInLink",
    "RotateFeedKey",
    "SendFileToLead",
    "SignInWithLink",
    "SignInWithPassword",
    "SignOut",
    "SignOutEverywhere",
    "StripeIntake",
    "StripePayment",
    "TakeStripeEvent",
    "TakeWhatsApp",
    "TimeOffDesk",
    "UnblockTimeOff",
    "WhatsAppIntake",
    "WhatsAppTaken",
    "payment_event",
]
