"""Both Graph front ends, over real HTTP to the fake Graph API, answer alike: the message
is accepted, Meta's refusals come back as answers, and a call that got no answer says
whether Meta may have it (which decides whether a retry may duplicate a reply)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest

from actors.providers.whatsapp.graph import AiohttpGraph, GraphCallFailed, GraphCalls, HttpxGraph
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


@asynccontextmanager
async def aiohttp_graph() -> AsyncIterator[GraphCalls]:
    async with AiohttpGraph.session(4) as session:
        yield AiohttpGraph(session)


@asynccontextmanager
async def httpx_graph() -> AsyncIterator[GraphCalls]:
    async with httpx.AsyncClient() as client:
        yield HttpxGraph(client)


FrontEnd = Callable[[], AbstractAsyncContextManager[GraphCalls]]
FRONT_ENDS = pytest.mark.parametrize(
    "front_end", [aiohttp_graph, httpx_graph], ids=["aiohttp", "httpx"]
)


@pytest.fixture
def graph() -> FakeGraphApi:
    return FakeGraphApi()


@pytest.fixture
def server(graph: FakeGraphApi) -> Iterator[GraphServer]:
    served = graph.serve()
    yield served
    served.close()


def messages_url(server: GraphServer) -> str:
    return f"{server.base_url}/v21.0/100200300/messages"


@FRONT_ENDS
async def test_a_message_is_accepted_with_its_wamid(
    front_end: FrontEnd, graph: FakeGraphApi, server: GraphServer
) -> None:
    async with front_end() as calls:
        answers = [await calls.post_json(messages_url(server), TEXT, AUTH, 5.0) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    ids = [a.json()["messages"][0]["id"] for a in answers]
    assert len(set(ids)) == 3
    assert all(i.startswith("wamid.") for i in ids)
    assert [m.text for m in graph.to("447700900123")] == [BODY] * 3


@FRONT_ENDS
async def test_a_refusal_is_an_answer_with_metas_error_envelope(
    front_end: FrontEnd, graph: FakeGraphApi, server: GraphServer
) -> None:
    graph.fail_next(GraphFailure.outside_window(), GraphFailure.bad_token())
    async with front_end() as calls:
        window = await calls.post_json(messages_url(server), TEXT, AUTH, 5.0)
        token = await calls.post_json(messages_url(server), TEXT, AUTH, 5.0)
    assert (window.status, window.json()["error"]["code"]) == (400, 131047)
    assert (token.status, token.json()["error"]["code"]) == (401, 190)
    assert graph.sent == []


@FRONT_ENDS
async def test_a_closed_port_never_reached_meta(front_end: FrontEnd) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: the connection is refused
        async with front_end() as calls:
            with pytest.raises(GraphCallFailed) as failed:
                await calls.post_json(f"http://127.0.0.1:{port}/v21.0/1/messages", TEXT, AUTH, 5.0)
    assert failed.value.code == "connect"
    assert not failed.value.reached


@FRONT_ENDS
async def test_a_stall_times_out_and_meta_may_have_the_message(
    front_end: FrontEnd, graph: FakeGraphApi, server: GraphServer
) -> None:
    graph.fail_next(GraphFailure.timeout())
    async with front_end() as calls:
        with pytest.raises(GraphCallFailed) as failed:
            await calls.post_json(messages_url(server), TEXT, AUTH, 0.5)
    assert failed.value.code == "timeout"
    assert failed.value.reached


@FRONT_ENDS
async def test_an_accepted_message_whose_answer_is_lost_may_be_a_duplicate_if_retried(
    front_end: FrontEnd, graph: FakeGraphApi, server: GraphServer
) -> None:
    graph.fail_next(GraphFailure.response_lost())
    async with front_end() as calls:
        with pytest.raises(GraphCallFailed) as failed:
            await calls.post_json(messages_url(server), TEXT, AUTH, 5.0)
        again = await calls.post_json(messages_url(server), TEXT, AUTH, 5.0)  # a new connection
    assert failed.value.code == "response_lost"
    assert failed.value.reached
    assert again.status == 200
    assert len(graph.to("447700900123")) == 2  # Meta had the first one after all


@FRONT_ENDS
async def test_a_url_that_is_not_http_is_a_configuration_error(front_end: FrontEnd) -> None:
    async with front_end() as calls:
        with pytest.raises(GraphCallFailed) as failed:
            await calls.post_json("ftp://graph.example/v21.0/1/messages", TEXT, AUTH, 5.0)
    assert failed.value.code == "config"
