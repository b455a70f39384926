"""The one door into the actors: commands, their handlers, and what they answer."""

from __future__ import annotations

from actors.commands.bus import Actors
from actors.commands.identities import Identities
from actors.commands.lead_actions import LeadActions
from actors.commands.model import (
    ActOnLead,
    Command,
    IncomingMessage,
    IncomingPreference,
    LeadRef,
    RecordRefusedItems,
    RecordRejectedWebhook,
    RedriveDeadLetter,
    RefusedItem,
    ReplyToLead,
    RequestSignInLink,
    RotateFeedKey,
    SignInWithLink,
    SignInWithPassword,
    SignOut,
    StripePayment,
    TakeStripeEvent,
    TakeWhatsApp,
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
from actors.commands.whatsapp import WhatsAppIntake
from storage import RedriveOutcome

__all__ = [
    "UNROUTED",
    "ActOnLead",
    "ActionTaken",
    "Actors",
    "Command",
    "FailedItem",
    "Identities",
    "IncomingMessage",
    "IncomingPreference",
    "LeadActions",
    "LeadRef",
    "RecordRefusedItems",
    "RecordRejectedWebhook",
    "RedriveDeadLetter",
    "RedriveOutcome",
    "RefusedItem",
    "RefusedItemsRecord",
    "ReplyDelivery",
    "ReplyTaken",
    "ReplyToLead",
    "RequestSignInLink",
    "RotateFeedKey",
    "SignInWithLink",
    "SignInWithPassword",
    "SignOut",
    "StripeIntake",
    "StripePayment",
    "TakeStripeEvent",
    "TakeWhatsApp",
    "WhatsAppIntake",
    "WhatsAppTaken",
    "payment_event",
]
