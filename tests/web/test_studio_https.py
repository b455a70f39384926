"""
The studio's cookies behind a proxy: Secure when the browser came over https, judged by
X-Forwarded-Proto only when TRUST_PROXY_HEADERS says the proxy is ours.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Running
from tests.web.studio_harness import form_token

pytestmark = pytest.mark.anyio

PASSWORD = "studio-password-for-tests"


@pytest.fixture(params=[True, False], ids=["proxy trusted", "proxy not trusted"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"studio_password": PASSWORD, "trust_proxy_headers": request.param}


async def test_the_session_cookie_is_secure_only_behind_a_trusted_https_proxy(
    running: Running, settings_overrides: dict[str, Any]
) -> None:
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    page = await running.client.get("/studio/login", headers=https)
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"  # a link's token never leaks
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    answer = await running.client.post(
        "/studio/login/password",
        form={"csrf": await form_token(page), "password": PASSWORD},
        headers=https,
    )
    assert answer.status_code == 303
    (cookie,) = [c for c in answer.headers.getlist("Set-Cookie") if "studio_session=" in c]
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= flags
    assert "SameSite=Lax" in cookie
    assert ("secure" in flags) is settings_overrides["trust_proxy_headers"]
