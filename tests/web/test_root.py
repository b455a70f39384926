"""
`GET /`: whoever types the service's bare address lands on the studio page (its sign-in
first), not on a JSON 404; the Location is relative, so it holds behind any proxy.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import Running

pytestmark = pytest.mark.anyio


async def test_the_bare_address_leads_to_the_studio_page(running: Running) -> None:
    answer = await running.client.get("/")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/studio/"

    studio = await running.client.get(answer.headers["Location"])
    assert studio.status_code == 303  # not signed in yet: the sign-in page
    assert studio.headers["Location"] == "/studio/login"
