"""
What `/studio/media/<id>` serves, without a browser: a file a lead sent is theirs, so
anything but a plain picture (an SVG, which can carry script, a script, HTML, a PDF,
audio, video, an unknown type), whatever type the lead's WhatsApp declared, goes only as
an `application/octet-stream` download, sandboxed, never shown in the lead's page; a
plain picture inline with its own type. Nothing of it stays in the browser's cache.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from fakes.meta import media_message, webhook
from tests.web.conftest import Running
from tests.web.phone import Phone
from tests.web.studio_harness import ARTIST, PASSWORD, form_token

pytestmark = pytest.mark.anyio

LEAD = "447700900581"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="9"/></svg>'


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"artist_whatsapp_number": ARTIST, "studio_password": PASSWORD}


async def signed_in(running: Running) -> None:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303


async def test_a_file_that_is_not_a_plain_picture_is_only_a_sandboxed_download(
    running: Running,
) -> None:
    kept = running.graph.add_media("MEDIA-SVG", SVG, "image/svg+xml")
    document = media_message(
        LEAD,
        "wamid.svg.1",
        "MEDIA-SVG",
        int(time.time()),
        kind="document",
        mime_type="image/svg+xml",
        sha256=kept.sha256,
    )
    assert (await running.post_signed(webhook([document]))).status_code == 200
    await Phone(running, LEAD).settle()
    row = await running.pool.fetchval("SELECT id FROM media WHERE status = 'stored'")
    assert row is not None

    assert (await running.client.get(f"/studio/media/{row}")).status_code == 303  # no session
    await signed_in(running)
    served = await running.client.get(f"/studio/media/{row}")
    assert served.status_code == 200
    assert await served.get_data() == SVG
    assert served.headers["Content-Type"] == "application/octet-stream"
    assert served.headers["Content-Disposition"] == f'attachment; filename="media-{row}.svg"'
    assert served.headers["Cache-Control"] == "no-store"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"

    lead_id = await running.pool.fetchval("SELECT lead_id FROM leads WHERE lead_key = $1", LEAD)
    page = await (await running.client.get(f"/studio/leads/{lead_id}")).get_data(as_text=True)
    assert f'href="/studio/media/{row}"' in page  # offered as a download
    assert f'src="/studio/media/{row}"' not in page  # never rendered in the page
    assert (await running.client.get("/studio/media/99999999999999999999")).status_code == 404


@pytest.mark.parametrize(
    ("declared", "served_as", "disposition"),
    [
        ("image/jpeg", "image/jpeg", "inline"),
        ("image/png", "image/png", "inline"),
        ("image/gif", "image/gif", "inline"),
        ("image/webp", "image/webp", "inline"),
        ("IMAGE/PNG; charset=binary", "image/png", "inline"),
        ("text/javascript", "application/octet-stream", "attachment"),
        ("application/javascript", "application/octet-stream", "attachment"),
        ("text/html", "application/octet-stream", "attachment"),
        ("application/pdf", "application/octet-stream", "attachment"),
        ("audio/ogg; codecs=opus", "application/octet-stream", "attachment"),
        ("video/mp4", "application/octet-stream", "attachment"),
        ("application/x-made-up", "application/octet-stream", "attachment"),
        ("", "application/octet-stream", "attachment"),
    ],
)
async def test_only_a_plain_picture_keeps_its_type(
    running: Running, declared: str, served_as: str, disposition: str
) -> None:
    content = b"alert(document.cookie)"
    kept = running.graph.add_media("MEDIA-1", content, declared or "application/octet-stream")
    document = media_message(
        LEAD,
        "wamid.type.1",
        "MEDIA-1",
        int(time.time()),
        kind="document",
        mime_type=declared,
        sha256=kept.sha256,
    )
    assert (await running.post_signed(webhook([document]))).status_code == 200
    await Phone(running, LEAD).settle()
    row = await running.pool.fetchval("SELECT id FROM media WHERE status = 'stored'")
    await signed_in(running)
    served = await running.client.get(f"/studio/media/{row}")
    assert served.status_code == 200
    assert served.headers["Content-Type"] == served_as
    assert served.headers["Content-Disposition"].startswith(f"{disposition}; ")
    assert served.headers["Cache-Control"] == "no-store"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
