"""
What `/studio/media/<id>` serves, without a browser: a file a lead sent is theirs, so
anything but a plain picture (here an SVG, which can carry script) goes only as a
download, sandboxed, never shown in the lead's page.
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
    assert served.headers["Content-Type"] == "image/svg+xml"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"

    lead_id = await running.pool.fetchval("SELECT lead_id FROM leads WHERE lead_key = $1", LEAD)
    page = await (await running.client.get(f"/studio/leads/{lead_id}")).get_data(as_text=True)
    assert f'href="/studio/media/{row}"' in page  # offered as a download
    assert f'src="/studio/media/{row}"' not in page  # never rendered in the page
    assert (await running.client.get("/studio/media/99999999999999999999")).status_code == 404
