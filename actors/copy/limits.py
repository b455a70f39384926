"""
Meta's limits on what a WhatsApp message may carry: the one table the composer clips
to, the copy file is checked against at start-up, and the fake Graph API refuses by.

Source: Meta's WhatsApp Cloud API reference, "Messages" (text object: body at most
4,096 characters; media object: caption at most 1,024, none on audio or stickers;
interactive object: body 1,024, header and footer text 60, at most 3 reply buttons with
titles of 20, a list's button label 20, at most 10 rows in all, section and row titles
24, row descriptions 72). Meta refuses a message that breaks one with HTTP 400, code
131009 "Parameter value is not valid" (the field in `error_data.details`).
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
Templates: a template's body is at most 1,024 characters with its parameters filled in
("Template body: 1024 characters, including dynamic values"), so no one body parameter
may be longer than that; Meta refuses a longer one with 131009 too.
https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates
"""

from __future__ import annotations

__all__ = ["SOURCE", "WhatsAppLimits", "clip"]

SOURCE = "https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages"


class WhatsAppLimits:
    """Meta's limits, in characters (counts where said); see the module's source."""

    TEXT_BODY = 4096
    CAPTION = 1024
    INTERACTIVE_BODY = 1024
    HEADER_TEXT = 60
    FOOTER_TEXT = 60
    BUTTONS = 3
    BUTTON_TITLE = 20
    LIST_BUTTON = 20
    LIST_ROWS = 10  # rows in all, over every section
    SECTION_TITLE = 24
    ROW_TITLE = 24
    ROW_DESCRIPTION = 72
    TEMPLATE_PARAMETER = 1024  # a body parameter of a template: the body's own limit
    NAME_ALLOWANCE = 64  # ours, not Meta's: room kept for a lead's name in a greeting


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in "…" when cut (so a reader sees it was)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
