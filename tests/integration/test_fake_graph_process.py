"""The fake Graph API in its own process serves media, takes read receipts, and its
accepted messages get Meta's statuses, in Meta's wire format."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from fakes.graph import FakeGraphApi
from fakes.graph_process import GraphProcess
from fakes.meta import webhook
from web.whatsapp_models import MetaWebhook

pytestmark = pytest.mark.anyio

AUTH = {"Authorization": "Bearer test-access-token"}


async def test_media_read_receipts_and_statuses_through_the_process() -> None:
    records = FakeGraphApi()
    process = GraphProcess(records)
    await process.start()
    try:
        base = f"{process.base_url}/replica-1/v21.0"
        await process.add_media("MEDIA-P1", b"a picture", "image/png")
        await process.add_media("MEDIA-P2", b"tampered", "image/png", bad_checksum=True)
        async with httpx.AsyncClient() as http:
            info = (await http.get(f"{base}/MEDIA-P1", headers=AUTH)).json()
            assert info["messaging_product"] == "whatsapp"
            assert (info["mime_type"], info["file_size"]) == ("image/png", 9)
            assert info["sha256"] == hashlib.sha256(b"a picture").hexdigest()
            download = await http.get(info["url"], headers=AUTH)
            assert (download.status_code, download.content) == (200, b"a picture")
            assert (await http.get(info["url"])).status_code == 401  # the token is needed
            bad = (await http.get(f"{base}/MEDIA-P2", headers=AUTH)).json()
            assert bad["sha256"] != hashlib.sha256(b"tampered").hexdigest()

            read = {
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": "wamid.lead.1",
                "typing_indicator": {"type": "text"},
            }
            answer = await http.post(f"{base}/100200300/messages", json=read, headers=AUTH)
            assert answer.json() == {"success": True}
            text = {"messaging_product": "whatsapp", "to": "447700900777", "type": "text",
                    "text": {"body": "Hi"}, "biz_opaque_callback_data": "wa:x/0"}  # fmt: skip
            sent = await http.post(f"{base}/100200300/messages", json=text, headers=AUTH)
            assert sent.status_code == 200
        await process.settle()
    finally:
        await process.close()
    assert records.read_marks == [read]
    (message,) = records.sent
    records.fail_delivery("447700900777", 131026)
    statuses = records.statuses_for(message, "reversed")
    assert [s["status"] for s in statuses] == ["failed", "sent"]
    assert statuses[0]["errors"][0]["code"] == 131026
    assert statuses[0]["biz_opaque_callback_data"] == "wa:x/0"
    parsed = MetaWebhook.model_validate(webhook([], statuses=statuses)).statuses()
    assert [(s.id, s.status, s.error_code) for s in parsed] == [
        (message.wamid, "failed", "131026"),
        (message.wamid, "sent", None),
    ]
