"""
Pydantic's errors about the settings, as the one line an operator reads: each wrong
variable by its environment name, what it must be, and what it was (never for a secret,
a DSN or a phone number).

    DEPOSIT_LINK_TTL_S: must be between 1800 and 86400 (got 60)
    LOG_LEVEL: must be one of 'debug', 'info', 'warning', 'error' or 'critical' (got 'verbose')
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

from web.settings import Settings

__all__ = ["describe_settings_error"]


def describe_settings_error(error: ValidationError | SettingsError) -> str:
    """One line for every problem in `error`, separated by "; "."""
    if isinstance(error, SettingsError):  # a JSON-valued variable that is not JSON
        return _describe_unparsed(error)
    return _describe(error)


_SECRET_OR_PERSONAL = {
    "database_url",
    "artist_whatsapp_number",
    "artist_whatsapp_user_id",
    "pilot_allowlist",
    "whatsapp_app_secret",
    "whatsapp_verify_token",
    "whatsapp_access_token",
    "stripe_api_key",
    "stripe_webhook_secret",
    "admin_token",
    "busy_calendar_url",
    "studio_calendar_key",
}
_RANGES = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")
_PATTERNS = {
    "artist_whatsapp_user_id": "must be a business-scoped user id: two capital letters, "
    "a dot, then up to 128 letters and digits (US.13491208655302741918)",
    "whatsapp_phone_number_id": "must be the Phone number ID from Meta's API Setup page "
    "(digits only; not the phone number)",
    "deposit_currency": "must be a three-letter ISO currency code, such as gbp or eur",
}


def _describe(error: ValidationError) -> str:
    parts: list[str] = []
    for problem in error.errors(include_url=False):
        loc = problem["loc"]
        field = str(loc[0]) if loc else None
        what = _what(problem, field)
        if field is not None and field not in _SECRET_OR_PERSONAL and "input" in problem:
            given = problem["input"]
            if problem["type"] in _RANGES or isinstance(given, int | float):
                what += f" (got {given})"
            elif isinstance(given, str):
                what += f" (got {given[:60]!r})"
        parts.append(f"{field.upper()}: {what}" if field else what)
    return "; ".join(dict.fromkeys(parts))


def _what(problem: Any, field: str | None) -> str:
    kind = problem["type"]
    context = problem.get("ctx", {})
    if kind == "value_error":
        return str(problem["msg"]).removeprefix("Value error, ")
    if kind in _RANGES and field:
        return _range(field)
    if kind == "int_parsing" or kind == "int_from_float":
        return "must be a whole number"
    if kind == "float_parsing":
        return "must be a number"
    if kind in ("literal_error", "enum"):
        return f"must be one of {context.get('expected', '')}"
    if kind == "string_pattern_mismatch" and field:
        return _PATTERNS.get(field, "must be an http:// or https:// URL")
    if kind in ("dict_type", "string_type") and field == "whatsapp_templates":
        return 'must be JSON like {"reminder": {"name": "...", "language": "en_GB"}}'
    return str(problem["msg"]).lower()


def _range(field: str) -> str:
    bounds: dict[str, Any] = {}
    for constraint in Settings.model_fields[field].metadata:
        for name in ("gt", "ge", "lt", "le"):
            if getattr(constraint, name, None) is not None:
                bounds[name] = getattr(constraint, name)
    if "ge" in bounds and "le" in bounds:
        return f"must be between {bounds['ge']} and {bounds['le']}"
    phrases = []
    if "gt" in bounds:
        phrases.append(f"more than {bounds['gt']}")
    if "ge" in bounds:
        phrases.append(f"at least {bounds['ge']}")
    if "lt" in bounds:
        phrases.append(f"less than {bounds['lt']}")
    if "le" in bounds:
        phrases.append(f"at most {bounds['le']}")
    return "must be " + " and ".join(phrases)


def _describe_unparsed(error: SettingsError) -> str:
    text = str(error)
    field = text.split('"')[1] if text.count('"') >= 2 else "a setting"
    cause = f" ({error.__cause__})" if error.__cause__ else ""
    return f"{field.upper()}: not valid JSON{cause}"
