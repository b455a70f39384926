"""
The studio page's inbox over HTTP, as the artist uses it: each board row shows the
lead's last message (one clipped line, "Bot: " or "You: " before ours) and an unread
marker until the artist opens the lead; the lead's page ends with the conversation and
the reply form right after the newest message; a lead's message shows once even while
the artist has the lead (its forward to the artist is not repeated); a saved reply goes
with one pick; a design picture sent from the page is uploaded to the fake Graph API
(multipart, as Meta takes it) and reaches the lead as an image message, and what Meta
would refuse is refused with the reason.
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage

from fakes.graph import GraphFailure
from tests.pictures import rose_sketch
from tests.waiting import eventually
from tests.web.conftest import Running
from tests.web.phone import Phone
from tests.web.studio_harness import PASSWORD, form_token

pytestmark = pytest.mark.anyio

ARTIST = "447700900999"
LEAD = "447700900321"
QUESTION = "Is Saturday ok for you? I can only do weekends, sorry about that, and thanks again!"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"artist_whatsapp_number": ARTIST, "studio_password": PASSWORD}


async def sign_in(running: Running) -> None:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303


async def page(running: Running, path: str) -> str:
    answer = await running.client.get(path)
    assert answer.status_code == 200
    text: str = await answer.get_data(as_text=True)
    return text


def board_row(board: str, name: str) -> str:
    """The board's row (its <li>) for the lead named `name`."""
    for row in re.findall(r"<li>\s*<a class=\"lead-row\".*?</li>", board, re.S):
        if f'<span class="who">{name}</span>' in row:
            return str(row)
    raise AssertionError(f"no row for {name}")


async def lead_id(running: Running) -> str:
    found = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key = $1", LEAD)
    return str(found)


async def taken_over(running: Running) -> tuple[Phone, str]:
    """Petal said hi, the artist signed in and took the lead over from its page."""
    lead = Phone(running, LEAD, name="Petal Jones")
    await lead.say("Hi")
    await lead.next_message()
    await sign_in(running)
    the_id = await lead_id(running)
    token = await form_token(await running.client.get(f"/studio/leads/{the_id}"))
    took = await running.client.post(
        f"/studio/leads/{the_id}/act", form={"csrf": token, "action": "take_over"}
    )
    assert took.status_code == 303
    await lead.settle()
    return lead, the_id


async def test_the_board_shows_the_last_message_and_unread_until_the_lead_is_opened(
    running: Running,
) -> None:
    lead = Phone(running, LEAD, name="Petal Jones")
    await lead.say("Hi")
    greeting = await lead.next_message()
    await lead.settle()
    await sign_in(running)

    row = board_row(await page(running, "/studio/"), "Petal Jones")
    assert '<span class="unread" aria-label="1 unread">1</span>' in row
    line = re.search(r'<span class="last-line">(.*?)</span>', row, re.S)
    assert line is not None
    assert line.group(1).startswith("Bot: ")  # the bot answered last
    assert greeting.text.split()[0] in line.group(1)

    the_id = await lead_id(running)
    await page(running, f"/studio/leads/{the_id}")  # the artist opens the lead
    assert 'class="unread"' not in board_row(await page(running, "/studio/"), "Petal Jones")

    token = await form_token(await running.client.get(f"/studio/leads/{the_id}"))
    await running.client.post(
        f"/studio/leads/{the_id}/act", form={"csrf": token, "action": "take_over"}
    )
    await lead.settle()
    await lead.say(QUESTION)  # the bot is quiet: the lead's words are the last message
    await eventually(
        lambda: _unread_on_board(running, "1"), what="the new message unread on the board"
    )
    row = board_row(await page(running, "/studio/"), "Petal Jones")
    shown = re.search(r'<span class="last-line">(.*?)</span>', row, re.S)
    assert shown is not None
    assert shown.group(1) == QUESTION[:79].rstrip() + "…"  # one line, 80 characters at most
    assert len(shown.group(1)) <= 80


async def _unread_on_board(running: Running, count: str) -> bool:
    row = board_row(await page(running, "/studio/"), "Petal Jones")
    return f'aria-label="{count} unread"' in row


async def test_the_conversation_ends_the_page_with_the_reply_box_after_the_newest_message(
    running: Running,
) -> None:
    lead, the_id = await taken_over(running)
    await lead.say(QUESTION)
    await lead.settle()
    html = await page(running, f"/studio/leads/{the_id}")
    answers = html.index("<h2>Answers</h2>")
    events = html.index('<details class="card events">')
    transcript = html.index('id="transcript"')
    newest = html.index(QUESTION)
    reply_box = html.index('id="reply-text"')
    assert answers < events < transcript < newest < reply_box
    between = html[newest:reply_box]
    assert '<li class="msg' not in between  # nothing newer sits between them
    hi = html.index('<span class="text">Hi</span>')
    assert transcript < hi < newest  # oldest first


async def test_a_lead_message_shows_once_while_the_artist_has_the_lead(running: Running) -> None:
    lead, the_id = await taken_over(running)
    await lead.say(QUESTION)
    await eventually(lambda: _forwarded(running), what="the lead's words forwarded to the artist")
    html = await page(running, f"/studio/leads/{the_id}")
    transcript = html[html.index('id="transcript"') : html.index('id="reply"')]
    assert transcript.count(QUESTION) == 1


async def _forwarded(running: Running) -> bool:
    return any(QUESTION in m.text for m in running.graph.to(ARTIST))


async def test_a_saved_reply_goes_with_one_pick_and_the_box_empty(running: Running) -> None:
    lead, the_id = await taken_over(running)
    html = await page(running, f"/studio/leads/{the_id}")
    assert '<select id="saved" name="saved"' in html
    assert ">Design ready</option>" in html
    token = await form_token(await running.client.get(f"/studio/leads/{the_id}"))
    sent = await running.client.post(
        f"/studio/leads/{the_id}/reply", form={"csrf": token, "text": "", "saved": "0"}
    )
    assert sent.status_code == 303
    assert "replied=free_text" in sent.headers["location"]
    reply = await lead.next_message()
    assert reply.text == (
        "Hi Petal Jones, your design is ready: I'm sending it now. Tell me what you'd change."
    )


async def send_file(
    running: Running, the_id: str, content: bytes, name: str, mime: str, caption: str = ""
) -> Any:
    token = await form_token(await running.client.get(f"/studio/leads/{the_id}"))
    return await running.client.post(
        f"/studio/leads/{the_id}/send-file",
        form={"csrf": token, "caption": caption},
        files={"file": FileStorage(BytesIO(content), filename=name, content_type=mime)},
    )


async def test_a_design_picture_sent_from_the_page_reaches_the_lead_as_an_image(
    running: Running,
) -> None:
    lead, the_id = await taken_over(running)
    design = rose_sketch()
    sent = await send_file(running, the_id, design, "rose.png", "image/png", "Your rose")
    assert sent.status_code == 303
    assert "replied=free_text" in sent.headers["location"]
    message = await lead.next_message()
    assert message.type == "image"
    (upload,) = running.graph.uploads
    assert upload.content == design
    assert upload.mime_type == "image/png"
    assert message.body["image"] == {"id": upload.id, "caption": "Your rose"}
    await lead.settle()
    html = await page(running, f"/studio/leads/{the_id}")
    transcript = html[html.index('id="transcript"') : html.index('id="reply"')]
    assert "Picture sent from this page" in transcript
    assert "Your rose" in transcript


async def test_a_pdf_goes_as_a_document_with_its_name(running: Running) -> None:
    lead, the_id = await taken_over(running)
    pdf = b"%PDF-1.4\n% a design sheet\n%%EOF\n"
    sent = await send_file(running, the_id, pdf, "Rose design.pdf", "application/pdf")
    assert sent.status_code == 303
    message = await lead.next_message()
    assert message.type == "document"
    assert message.body["document"]["filename"] == "Rose design.pdf"
    assert running.graph.uploads[0].mime_type == "application/pdf"


@pytest.mark.parametrize(
    ("content", "name", "said"),
    [
        (b"GIF89a\x01\x00\x01\x00", "dance.gif", "WhatsApp takes a JPEG or PNG picture, or a PDF"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.png", "that file is neither"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), "big.png", "Too large"),
        (b"", "empty.png", "Pick a file first."),
    ],
)
async def test_a_file_meta_would_refuse_is_refused_with_the_reason(
    running: Running, content: bytes, name: str, said: str
) -> None:
    lead, the_id = await taken_over(running)
    before = len(lead.inbox())
    refused = await send_file(running, the_id, content, name, "image/png")
    assert refused.status_code == 422
    assert said in await refused.get_data(as_text=True)
    await lead.settle()
    assert running.graph.uploads == []
    assert len(lead.inbox()) == before
    assert await running.pool.fetchval("SELECT count(*) FROM studio_files") == 0


async def test_a_retried_picture_is_sent_by_the_first_upload_not_uploaded_again(
    running: Running,
) -> None:
    lead, the_id = await taken_over(running)
    running.graph.fail_next(GraphFailure.server_error())  # the message, after its upload
    sent = await send_file(running, the_id, rose_sketch(), "rose.png", "image/png")
    assert sent.status_code == 303
    message = await lead.next_message()
    assert message.type == "image"
    tries = [p for p in running.graph.received if p.get("type") == "image"]
    assert len(tries) == 2  # refused once with a 500, then sent
    (upload,) = running.graph.uploads  # uploaded once, though the message went twice
    assert {t["image"]["id"] for t in tries} == {upload.id}
    assert message.body["image"]["id"] == upload.id
