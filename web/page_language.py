"""
The studio page's language: the Babel message catalog of LOCALE, for the page's
templates (`{{ _("...") }}`, `{% trans %}`) and the page's words written in Python.

    web/translations/<locale>/LC_MESSAGES/messages.po   one catalog per locale (committed)
    web/translations/messages.pot                       what `pybabel extract` found

The `.po` is read with Babel and compiled in memory when the app is made, so a clean
clone (`pip install -e .`) speaks Spanish with no build step and no `.mo` to go stale.
A fuzzy or empty entry is English, the text as written. A LOCALE without a catalog
stops start-up (web.settings names it in one line).

Python's page words go through `gettext` / `ngettext` here, which read the catalog the
app installed (`install(app, locale)`), at request time; outside a request, English.
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from quart import Quart, current_app, has_app_context, has_request_context
from werkzeug.exceptions import HTTPException

from actors.money import MoneyError
from web.page_catalogs import TRANSLATIONS_DIR, available_catalogs, catalog_path
from web.services import services

__all__ = [
    "TRANSLATIONS_DIR",
    "available_catalogs",
    "busy_failure",
    "catalog_path",
    "gettext",
    "html_lang",
    "install",
    "money_problem",
    "ngettext",
    "translations_for",
]

_KEY = "booking.page_language"


def translations_for(locale: str) -> Translations:
    """`locale`'s catalog, compiled in memory. Raises FileNotFoundError without one."""
    with catalog_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale, domain="messages")
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries left out: they read as English
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def html_lang(locale: str) -> str:
    """LOCALE as BCP 47, for `<html lang>`: en_GB is en-GB, es_ES is es-ES."""
    parsed = Locale.parse(locale)
    return "-".join(part for part in (parsed.language, parsed.script, parsed.territory) if part)


class _Catalogs:
    """The deployment's catalog, and each other locale's once a studio asks for it."""

    def __init__(self, locale: str, studio_name: str | None) -> None:
        self.locale = locale
        self.studio_name = studio_name
        self._by_locale = {locale: translations_for(locale)}

    def of(self, locale: str) -> Translations:
        if locale not in self._by_locale:
            try:
                self._by_locale[locale] = translations_for(locale)
            except FileNotFoundError:  # settings refuse such a locale; English, not a 500
                return Translations()
        return self._by_locale[locale]


def install(app: Quart, locale: str, studio_name: str | None = None) -> None:
    """The page speaks its studio's language: the default studio's `locale` (LOCALE) and
    `studio_name` (STUDIO_NAME), a stored studio's own under its prefix; its catalog in
    the templates and in `gettext` below, its name in every page's header and title."""
    catalogs = _Catalogs(locale, studio_name)
    app.extensions[_KEY] = catalogs
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: _translations().gettext(message),
        ngettext=lambda one, many, n: _translations().ngettext(one, many, n),
        newstyle=True,
    )
    app.jinja_env.filters["busy_failure"] = busy_failure

    @app.context_processor
    def _studio_words() -> dict[str, Any]:
        language, name = _request_studio(catalogs)
        return {"html_lang": html_lang(language), "studio_name": name}


def gettext(message: str) -> str:
    """`message` in the page's language (fill its `%(name)s` with `%` after)."""
    return _translations().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form for `count` in the page's language (fill it with `%` after)."""
    return _translations().ngettext(singular, plural, count)


def _translations() -> Translations:
    if has_app_context():
        found = current_app.extensions.get(_KEY)
        if isinstance(found, _Catalogs):
            return found.of(_request_studio(found)[0])
    return Translations()  # English, the text as written


def _request_studio(catalogs: _Catalogs) -> tuple[str, str | None]:
    """The locale and name of the studio the request is for (outside one, or before the
    service runs: the deployment's)."""
    if has_request_context():
        try:
            settings = services().settings
        except (RuntimeError, HTTPException):
            return catalogs.locale, catalogs.studio_name
        return settings.locale, settings.studio_name
    return catalogs.locale, catalogs.studio_name


def money_problem(error: MoneyError, *, price: bool = False) -> str:
    """Why a typed amount was refused, in the page's language (`price`: the piece's price
    field, else the deposit's)."""
    _ = gettext
    plain, formatted = error.examples
    hint = _("%(plain)s or %(formatted)s") % {"plain": plain, "formatted": formatted}
    values = {"code": error.code, "hint": hint, "most": error.most}
    match error.why:
        case "type_in" if price:
            return _("Type the price in %(code)s, like %(hint)s.") % values
        case "type_in":
            return _("Type the deposit in %(code)s, like %(hint)s.") % values
        case "other_currency" if price:
            return (
                _("That is another currency: type the price in %(code)s, like %(hint)s.") % values
            )
        case "other_currency":
            return (
                _("That is another currency: type the deposit in %(code)s, like %(hint)s.") % values
            )
        case "not_positive":
            return _("The amount must be more than zero.")
        case "decimals" if error.places == 0:
            return _("%(code)s takes no decimals.") % values
        case "decimals":
            return ngettext(
                "%(code)s takes at most %(num)d decimal.",
                "%(code)s takes at most %(num)d decimals.",
                error.places,
            ) % {**values, "num": error.places}
        case "too_much":
            return _("That is more than Stripe takes: at most %(most)s.") % values
        case _:
            return str(error)


# Why the artist's own calendar could not be read, as the calendar's reader keeps it
# (actors/providers/calendars/busy_sync.py): the known shapes, in the page's language.
_BUSY_FAILURES = (
    (re.compile(r"the calendar answered HTTP (?P<status>\d+)"), "http"),
    (re.compile(r"the calendar is larger than (?P<size>\d+) bytes"), "size"),
    (re.compile(r"no answer within (?P<seconds>[\d.]+) s"), "timeout"),
    (re.compile(r"cannot reach the calendar \((?P<error>\w+)\)"), "unreachable"),
)


def busy_failure(reason: str) -> str:
    """A busy calendar's failure in the page's language; an unknown one as kept."""
    _ = gettext
    for pattern, kind in _BUSY_FAILURES:
        found = pattern.fullmatch(reason)
        if found is None:
            continue
        values = found.groupdict()
        match kind:
            case "http":
                return _("the calendar answered HTTP %(status)s") % values
            case "size":
                return _("the calendar is larger than %(size)s bytes") % values
            case "timeout":
                return _("no answer within %(seconds)s s") % values
            case _:
                return _("cannot reach the calendar (%(error)s)") % values
    return reason
