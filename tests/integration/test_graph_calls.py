"""The service's Graph client, over real HTTP to the fake Graph API: the message is
accepted, Meta's refusals come back as answers, media is looked up and downloaded (never
past the size asked for), and a call that got no answer says whether Meta may have it
(which decides whether a retry may duplicate a reply)."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import AsyncIterator, Iterator

import pytest

from actors.providers.whatsapp.graph import GraphCallFailed, GraphClient
from fakes.graph import FakeGraphApi, GraphFailure, GraphServer

pytestmark = pytest.mark.anyio

AUTH = {"Authorization": "Bearer test-access-token"}
BODY = "Thanks! What would you like done?"
TEXT = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "447700900123",
    "type": "text",
    "text": {"body": BODY},
    "biz_opaque_callback_data": "wa:lead/1",
}
PICTURE = b"a picture of a swallow" * 100


@pytest.fixture
async def calls() -> AsyncIterator[GraphClient]:
    async with GraphClient.opened(4) as client:
        yield client


@pytest.fixture
def graph() -> FakeGraphApi:
    return FakeGraphApi()


@pytest.fixture
def server(graph: FakeGraphApi) -> Iterator[GraphServer]:
    with graph.serve() as served:
        yield served


def messages_url(server: GraphServer) -> str:
    return f"{server.api_base}/100200300/messages"


async def test_a_message_is_accepted_with_its_wamid(
    calls: GraphClient, graph: FakeGraphApi, server: GraphServer
) -> None:
    answers = [await calls.post_json(messages_url(server), TEXT, AUTH, 5.0) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    ids = [a.json()["messages"][0]["id"] for a in answers]
    assert len(set(ids)) == 3
    assert all(i.startswith("wamid.") for i in ids)
    assert [m.text for m in graph.to("447700900123")] == [BODY] * 3


async def test_a_refusal_is_an_answer_with_metas_error_envelope(
    calls: GraphClient, graph: FakeGraphApi, server: GraphServer
) -> None:
    graph.fail_next(GraphFailure.outside_window(), GraphFailure.bad_token())
    window = await calls.post_json(messages_url(server), TEXT, AUTH, 5.0)
    token = await calls.post_json(messages_url(server), TEXT, AUTH, 5.0)
    assert (window.status, window.json()["error"]["code"]) == (400, 131047)
    assert (token.status, token.json()["error"]["code"]) == (401, 190)
    assert graph.sent == []


async def test_media_is_looked_up_then_downloaded_with_the_token(
    calls: GraphClient, graph: FakeGraphApi, server: GraphServer
) -> None:
    graph.add_media("MEDIA-1", PICTURE, "image/png")
    info = (await calls.get(f"{server.api_base}/MEDIA-1", AUTH, 5.0)).json()
    assert (info["mime_type"], info["file_size"]) == ("image/png", len(PICTURE))
    assert info["sha256"] == hashlib.sha256(PICTURE).hexdigest()
    download = await calls.get(info["url"], AUTH, 5.0, max_bytes=len(PICTURE))
    assert (download.status, download.body, download.too_large) == (200, PICTURE, False)
    without_token = await calls.get(info["url"], {}, 5.0)
    assert without_token.status == 401
    assert graph.media_downloads == 1


async def test_a_download_stops_past_the_bytes_asked_for(
    calls: GraphClient, graph: FakeGraphApi, server: GraphServer
) -> None:
    graph.add_media("MEDIA-2", PICTURE, "image/png")
    info = (await calls.get(f"{server.api_base}/MEDIA-2", AUTH, 5.0)).json()
    cut = await calls.get(info["url"], AUTH, 5.0, max_bytes=100)
    assert (cut.status, cut.too_large) == (200, True)
    assert len(cut.body) <= 100
    whole = await calls.get(info["url"], AUTH, 5.0, max_bytes=len(PICTURE))  # the same client
    assert whole.body == PICTURE


async def test_an_unknown_media_id_is_metas_refusal(
    calls: GraphClient, server: GraphServer
) -> None:
    answer = await calls.get(f"{server.api_base}/MEDIA-GONE", AUTH, 5.0)
    assert (answer.status, answer.json()["error"]["code"]) == (400, 100)


async def test_a_closed_port_never_reached_meta(calls: GraphClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: the connection is refused
        with pytest.raises(GraphCallFailed) as failed:
            await calls.post_json(f"http://127.0.0.1:{port}/v21.0/1/messages", TEXT, AUTH, 5.0)
        with pytest.raises(GraphCallFailed) as failed_lookup:
            await calls.get(f"http://127.0.0.1:{port}/v21.0/MEDIA-1", AUTH, 5.0)
    assert (failed.value.code, failed_lookup.value.code) == ("connect", "connect")
    assert not failed.value.reached


async def test_a_stall_times_out_and_meta_may_have_the_message(
    calls: GraphClient, graph: FakeGraphApi, server: GraphServer
) -> None:
    graph.fail_next(GraphFailure.timeout())
    with pytest.raises(GraphCallFailed) as failed:
        await calls.post_json(messages_url(server), TEXT, AUTH, 0.5)
    assert failed.value.code == "timeout"
    assert failed.value.reached


async def test_an_accepted_message_whose_answer_is_lost_may_be_a_duplicate_if_retried(
    calls: GraphClient, graph: FakeGraphApi, server: GraphServer
) -> None:
    graph.fail_next(GraphFailure.response_lost())
    with pytest.raises(GraphCallFailed) as failed:
        await calls.post_json(messages_url(server), TEXT, AUTH, 5.0)
    again = await calls.post_json(messages_url(server), TEXT, AUTH, 5.0)  # a new connection
    assert failed.value.code == "response_lost"
    assert failed.value.reached
    assert again.status == 200
    assert len(graph.to("447700900123")) == 2  # Meta had the first one after all


async def test_a_url_that_is_not_http_is_a_configuration_error(calls: GraphClient) -> None:
    with pytest.raises(GraphCallFailed) as failed:
        await calls.post_json("ftp://graph.example/v21.0/1/messages", TEXT, AUTH, 5.0)
    assert failed.value.code == "config"
