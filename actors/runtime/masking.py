"""Phone numbers and WhatsApp's business-scoped user ids (BSUIDs) never reach a log line
whole: keep the last four characters. (Usernames are never logged at all.)"""

from __future__ import annotations

import re

__all__ = ["mask_phone", "mask_phones_in"]

# A run of 7-15 digits standing alone, so hex ids and wamids are left as they are.
_PHONE = re.compile(r"(?<![A-Za-z0-9])\+?\d{7,15}(?![A-Za-z0-9])")
# `US.13491208655302741918`, `US.ENT.11815799212886844830`: masked whole, like a number.
_BSUID = re.compile(r"(?<![A-Za-z0-9.])[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}(?![A-Za-z0-9])")


def mask_phone(number: str | None) -> str:
    """`447700900123` -> `********0123`."""
    if not number:
        return ""
    digits = number.lstrip("+")
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_phones_in(text: str) -> str:
    """Mask every phone-like run of digits and every BSUID inside free text."""
    text = _BSUID.sub(lambda match: mask_phone(match.group(0)), text)
    return _PHONE.sub(lambda match: mask_phone(match.group(0)), text)
