"""
The studio page as an app on the phone's home screen: its web app manifest.

    GET /studio/manifest.webmanifest    application/manifest+json, without sign-in

`name` and `short_name` are STUDIO_NAME (else "Studio" in the page's language), `lang`
is LOCALE as BCP 47, the app opens at and stays in `/studio/`, standalone, with the PNG
icons of web/static/ (192 and 512 pixels; base.html links the 180-pixel
apple-touch-icon). Its route joins the studio blueprint (`web.studio`), whose gate lets
it through unsigned: a phone's browser fetches it without the session cookie.
"""

from __future__ import annotations

import orjson
from quart import Response, ResponseReturnValue, request, url_for

from web.page_language import gettext, html_lang
from web.services import services
from web.studio import blueprint

__all__ = ["THEME_COLOR", "manifest"]

THEME_COLOR = "#0b6e4f"  # the stylesheet's --accent
_ICONS = (192, 512)


@blueprint.get("/manifest.webmanifest")
async def manifest() -> ResponseReturnValue:
    settings = services().settings
    name = settings.studio_name or gettext("Studio")
    document = {
        "name": name,
        "short_name": name,
        "lang": html_lang(settings.locale),
        "start_url": request.root_path + "/studio/",
        "scope": request.root_path + "/studio/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": "#f4f4f6",
        "icons": [
            {
                "src": url_for("studio.static", filename=f"icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any",
            }
            for size in _ICONS
        ],
    }
    return Response(orjson.dumps(document), 200, content_type="application/manifest+json")
