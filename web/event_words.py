"""
The lead's Events list in the page's language: each event's kind (a code the service
records, like `booked` or `admin: approve`) shown as words from the page's catalogs.
A kind with no words here (a provider's error code) is shown as recorded, and so is
each event's detail (ids, amounts in minor units): data, not words.
"""

from __future__ import annotations

from quart import Quart

from web.page_language import gettext

__all__ = ["event_word", "install"]


def N_(message: str) -> str:
    return message


_WORDS: dict[str, str] = {
    # what the lead's turns record
    "abandoned_unpaid": N_("Gone quiet: the deposit was not paid"),
    "abandoned_unpicked": N_("Gone quiet: no time was picked"),
    "artist_asked_first": N_("The artist was asked to confirm"),
    "artist_echo_deleted": N_("The artist deleted a message in the Business app"),
    "artist_echo_edited": N_("The artist edited a message in the Business app"),
    "artist_echoed": N_("The artist wrote in the Business app"),
    "artist_whatsapp": N_("The artist on WhatsApp"),
    "booked": N_("Booked"),
    "cancelled_by_artist": N_("Cancelled by the artist"),
    "cancelled_by_lead": N_("Cancelled by the lead"),
    "consent_refused_minor": N_("Consent refused: under the minimum age"),
    "consent_reminded": N_("Reminded about the consent"),
    "contact_named": N_("Name from the Business app's contacts"),
    "design_approved": N_("Design approved"),
    "design_changes": N_("Design changes asked"),
    "design_sent": N_("Design sent"),
    "disputed": N_("Payment disputed"),
    "expired_superseded": N_("An older deposit link expired"),
    "form_received": N_("Form answered"),
    "handover": N_("Passed to the artist"),
    "link_expired": N_("Deposit link expired"),
    "marketing": N_("Marketing preference"),
    "message_edited": N_("Message edited"),
    "message_revoked": N_("Message deleted by the lead"),
    "moved_by_artist": N_("Moved by the artist"),
    "no_show": N_("No-show"),
    "opted_in": N_("Opted in again"),
    "opted_out": N_("Opted out"),
    "order_received": N_("Order received"),
    "paid_not_bookable": N_("Paid, but the time could not be booked"),
    "paid_twice": N_("Paid twice"),
    "payment_failed": N_("Payment failed"),
    "payment_pending": N_("Payment pending"),
    "payment_rejected": N_("Payment refused"),
    "refund_reconciled": N_("Refund confirmed by Stripe"),
    "refunded": N_("Refunded"),
    "rescheduled": N_("Rescheduled"),
    "second_session_unused": N_("A later session was not booked"),
    "session_booked": N_("Session booked"),
    "session_done": N_("Session done"),
    "system_message": N_("WhatsApp system message"),
    "time_off_blocked": N_("Time off blocked"),
    "time_off_unblocked": N_("Time off unblocked"),
    "times_offered": N_("Times offered"),
    "visit_came": N_("Came"),
    "visit_confirmed": N_("Visit confirmed"),
    "waitlist_joined": N_("Joined the waitlist"),
    # what delivery records
    "possible_duplicate": N_("Possibly sent twice"),
    "dead_letter": N_("Not delivered"),
    "redriven": N_("Sent again"),
    "webhook_rejected": N_("Webhook refused"),
    # the artist's actions, whoever took them
    "approve": N_("Approve"),
    "decline": N_("Decline"),
    "take_over": N_("Take over"),
    "hand_back": N_("Hand back"),
    "resume": N_("Resume"),
    "opt_out": N_("Opt out"),
    "cancel": N_("Cancel and refund"),
    "refund": N_("Refund"),
    "came": N_("Came"),
    "offer_times": N_("Offer new times"),
    "set_time": N_("Set time"),
    # where an action came from
    "studio": N_("Studio page"),
    "admin": N_("Studio page or admin API"),
    "whatsapp": N_("WhatsApp"),
    # what became of what arrived
    "processed": N_("Taken"),
    "duplicate": N_("Arrived again"),
    "out_of_order": N_("Arrived late"),
    # what else the inbox keeps
    "reaction": N_("Reaction"),
    "sticker": N_("Sticker"),
    "unsupported": N_("Unsupported message"),
}


def event_word(kind: str) -> str:
    """`kind` in the page's words; "via: kind" has each side worded."""
    via, _, action = kind.rpartition(": ")
    if via:
        return f"{event_word(via)}: {event_word(action)}"
    words = _WORDS.get(kind)
    return gettext(words) if words is not None else kind


def install(app: Quart) -> None:
    app.jinja_env.filters["event_word"] = event_word
