"""
Money: an integer in the currency's minor unit plus its ISO 4217 code, read and written
in the studio's locale by Babel. One type from the settings and the studio page, through
the lead's behaviour, to Stripe and back: no float and no "x 100" anywhere.
"""

from __future__ import annotations

from actors.money.amount import MAX_MINOR, Money, MoneyError, known_currency, parse_money

__all__ = ["MAX_MINOR", "Money", "MoneyError", "known_currency", "parse_money"]
