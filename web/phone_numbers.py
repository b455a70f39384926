"""
Phone numbers in WhatsApp's wa_id form: the country code and number, digits only.

"+44 7700 900999", "0044-7700-900999" and "447700900999" are all "447700900999": the
form in which WhatsApp names a sender, so the one to compare with. Messages never repeat
the number (it may be someone's), only what is wrong with it.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

__all__ = ["to_wa_id"]

_ALLOWED = re.compile(r"^\+?[\d\s().-]+$")
_NOT_POSSIBLE = {
    ValidationResult.INVALID_COUNTRY_CODE: "no country has that calling code",
    ValidationResult.TOO_SHORT: "too short for its country",
    ValidationResult.TOO_LONG: "too long for its country",
    ValidationResult.INVALID_LENGTH: "a length its country does not use",
}
_UNPARSED = {
    NumberParseException.INVALID_COUNTRY_CODE: "no country has that calling code",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_LONG: "too long",
}


def to_wa_id(text: str) -> str:
    """
    The wa_id of an international number written in any common way.

    Raises:
        ValueError: not a number with a country code (the message says why).
    """
    written = text.strip()
    if not _ALLOWED.match(written):
        raise ValueError("not a phone number (only digits, spaces and + - ( ) are allowed)")
    if written.startswith("00"):
        written = "+" + written[2:]
    elif not written.startswith("+"):
        if written.startswith("0"):
            raise ValueError("no country code: write it as +44 7700 900999 or 447700900999")
        written = "+" + written
    try:
        number = phonenumbers.parse(written, None)
    except NumberParseException as error:
        why = _UNPARSED.get(error.error_type, "not a number")
        raise ValueError(f"not a phone number ({why})") from error
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise ValueError(f"not a phone number ({_NOT_POSSIBLE.get(reason, 'invalid')})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")
