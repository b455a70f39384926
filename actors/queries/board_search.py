"""
What the artist typed in the board's search, read as they meant it: a number written any
way people write one ("07700 900123", "+44 7700-900-123", "0044 (7700) 900.123"), read
with phonenumbers in the studio's country when it has no country code; otherwise words,
folded as the lead's stored words are (case and accents ignored: "ramirez" finds
"Ramírez"). The text as typed still finds a name, a username or a BSUID by any part.
"""

from __future__ import annotations

import re

import phonenumbers
from babel import Locale, UnknownLocaleError

from actors.lead import fold
from storage.studio_board import BoardSearch

__all__ = ["board_search", "studio_region"]

# Digits with the separators people write between them, maybe after a "+".
_NUMBER = re.compile(r"\+?[\d\s\-.()/]+")
_BARE_RUN = 4  # digits at least, to find any number containing them


def board_search(text: str, region: str | None) -> BoardSearch:
    """The search for `text`; `region` (ISO 3166, e.g. "GB") reads a national number."""
    if not _NUMBER.fullmatch(text):
        return BoardSearch(text, words=fold(text))
    digits = "".join(c for c in text if c.isdigit())
    number = _e164(text, region)
    return BoardSearch(
        text,
        numbers=() if number is None else (number,),
        digits=digits if len(digits) >= _BARE_RUN else "",
    )


def studio_region(artist_number: str | None, locale: str) -> str | None:
    """The studio's country: the artist's number's, else the locale's territory."""
    if artist_number:
        try:
            parsed = phonenumbers.parse("+" + artist_number.lstrip("+"))
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is not None and parsed.country_code is not None:
            found = phonenumbers.region_code_for_number(parsed)
            # A number outside any allocated range (a drama range, say) still names its
            # country code's main country.
            region = found or phonenumbers.region_code_for_country_code(parsed.country_code)
            if region and region != phonenumbers.UNKNOWN_REGION:
                return str(region)
    try:
        territory = Locale.parse(locale).territory
    except (ValueError, UnknownLocaleError):
        return None
    return str(territory) if territory else None


def _e164(text: str, region: str | None) -> str | None:
    """The number `text` names, as WhatsApp writes it (E.164 digits, no "+"), if any."""
    written = text.strip()
    if written.startswith("00"):  # the international prefix most of the world dials
        written = "+" + written[2:]
    try:
        parsed = phonenumbers.parse(written, None if written.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164).lstrip("+")
