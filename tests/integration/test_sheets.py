"""The lead sheet on real Postgres: the relay upserts each lead's current row via gspread."""

from __future__ import annotations

import math
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from actors import Backoff, Composer, OutboxRelay, RetryableDeliveryError, load_copy
from actors.lead import Answer, Deposit, LeadState, MirrorLead, Status, state_to_json
from actors.outbox.deadline import Deadline
from actors.outbox.delivery import Delivery
from actors.providers.sheets import SheetsSync, sheet_header
from fakes.google import new_signing_key, public_pem, service_account_file
from fakes.sheets import FakeSheets, SheetsServer
from storage import ClaimedDelivery, Database
from storage.pool import Pool
from tests.waiting import eventually

pytestmark = pytest.mark.anyio

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
LEAD = "447700900555"
OTHER = "447700900777"
TIMEOUT_S = 1.0  # the client's; stalls below last longer


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return new_signing_key()


@pytest.fixture
def sheets(signing_key: rsa.RSAPrivateKey) -> FakeSheets:
    return FakeSheets(public_key_pem=public_pem(signing_key))


@pytest.fixture
def server(sheets: FakeSheets) -> Iterator[SheetsServer]:
    with sheets.serve() as running:
        yield running


@pytest.fixture
def composer() -> Composer:
    return Composer(load_copy(COPY_DIR, "en_GB"))


@pytest.fixture
def sync(
    pool: Pool,
    composer: Composer,
    sheets: FakeSheets,
    server: SheetsServer,
    signing_key: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> Iterator[SheetsSync]:
    deliverer = SheetsSync(
        Database(pool),
        composer,
        spreadsheet_id=sheets.spreadsheet_id,
        service_account_file=service_account_file(tmp_path, signing_key, server.token_uri),
        api_base=server.base_url,
        timeout_s=TIMEOUT_S,
    )
    yield deliverer
    deliverer.close()


@pytest.fixture
async def relay(pool: Pool, sync: SheetsSync) -> AsyncIterator[OutboxRelay]:
    relay = OutboxRelay(
        Database(pool),
        {"sheets": sync},
        max_attempts=5,
        backoff=Backoff(base_s=0.01, cap_s=0.05),
        poll_interval_s=0.02,
    )
    async with anyio.create_task_group() as group:
        group.start_soon(relay.run)
        yield relay
        relay.stop()


# -- leads and outbox rows -------------------------------------------------------------


def answer(question: str, value: str, seq: int) -> Answer:
    return Answer(question=question, value=value, message_id=f"wamid.{seq}", seq=seq)


# Placement answered "arm", then edited to "back": the latest (by seq) wins.
ANSWERS = (
    answer("idea", "a rose", 1),
    answer("placement", "arm", 2),
    answer("size", "12", 3),
    answer("colour", "black_grey", 4),
    answer("timing", "=next month", 5),
    answer("reference", "media", 6),
    answer("placement", "back", 7),
)


async def put_lead(pool: Pool, wa_id: str, state: LeadState) -> UUID:
    """Insert or replace the lead's snapshot, as a committed turn would leave it."""
    lead_id: UUID = await pool.fetchval(
        "INSERT INTO leads (lead_key, version, status, state) VALUES ($1, 1, $2, $3)"
        " ON CONFLICT (lead_key) DO UPDATE SET version = leads.version + 1,"
        " status = EXCLUDED.status, state = EXCLUDED.state, updated_at = now()"
        " RETURNING lead_id",
        wa_id,
        state.status.value,
        state_to_json(state),
    )
    return lead_id


async def enqueue(pool: Pool, wa_id: str, n: int = 0) -> None:
    await pool.execute(
        "INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)"
        " VALUES ($1, 'sheets', $2, $3, 'corr-sheets')",
        wa_id,
        {"wa_id": wa_id},
        f"sheets:{wa_id}:{n}",
    )


async def outcomes(pool: Pool) -> list[tuple[str, str | None]]:
    rows = await pool.fetch(
        "SELECT outcome, error_code FROM delivery_attempts ORDER BY outbox_id, attempt"
    )
    return [(r["outcome"], r["error_code"]) for r in rows]


async def settled(pool: Pool, expected: list[str]) -> bool:
    rows = await pool.fetch("SELECT status FROM outbox ORDER BY id")
    return [r["status"] for r in rows] == expected


async def updated_at(pool: Pool, wa_id: str) -> str:
    moment: datetime = await pool.fetchval(
        "SELECT updated_at FROM leads WHERE lead_key = $1", wa_id
    )
    return moment.astimezone(UTC).isoformat()


def lead_rows(sheets: FakeSheets) -> dict[str, list[str]]:
    """Data rows by lead id; fails on a duplicate."""
    rows = sheets.rows()[1:]
    by_id = {row[0]: row for row in rows}
    assert len(by_id) == len(rows), f"duplicate rows: {rows}"
    return by_id


def qualifying(wa_id: str, **changes: Any) -> LeadState:
    fields: dict[str, Any] = {
        "wa_id": wa_id,
        "status": Status.CONFIRMING,
        "name": "Ana",
        "answers": ANSWERS,
    }
    return LeadState(**(fields | changes))


# -- tests ---------------------------------------------------------------------------


async def test_first_sync_writes_the_header_and_one_row_per_lead(
    pool: Pool, sheets: FakeSheets, composer: Composer, relay: OutboxRelay
) -> None:
    lead_id = await put_lead(pool, LEAD, qualifying(LEAD))
    other_id = await put_lead(
        pool,
        OTHER,
        LeadState(wa_id=OTHER, status=Status.QUALIFYING, answers=(answer("idea", "koi", 1),)),
    )
    await enqueue(pool, LEAD)
    await enqueue(pool, OTHER)
    relay.wake()
    await eventually(lambda: settled(pool, ["sent", "sent"]), what="both rows synced")

    header = sheets.rows()[0]
    assert header == sheet_header(composer)
    assert header == [
        "lead_id", "status", "name", "number",
        "Idea", "Placement", "Size", "Colour", "When", "Reference",
        "deposit", "deposit_asked", "deposit_paid", "deposit_refunded", "updated_at",
    ]  # fmt: skip
    rows = lead_rows(sheets)
    assert rows[str(lead_id)] == [
        str(lead_id), "CONFIRMING", "Ana", "********0555",
        "a rose", "Back", "12", "Black & grey", "=next month", "reference received",
        "none", "", "", "", await updated_at(pool, LEAD),
    ]  # fmt: skip
    assert rows[str(other_id)] == [
        str(other_id), "QUALIFYING", "", "********0777", "koi",
        "", "", "", "", "", "none", "", "", "", await updated_at(pool, OTHER),
    ]  # fmt: skip
    assert not any(LEAD in cell or OTHER in cell for row in sheets.rows() for cell in row)
    writes = sheets.calls("PUT") + sheets.calls("POST", ":append")
    assert writes
    assert all(w.query["valueInputOption"] == ["RAW"] for w in writes)  # "=..." stays text
    assert sheets.token_grants == 1  # one client, one token, for both deliveries


async def test_a_status_change_updates_the_same_row(
    pool: Pool, sheets: FakeSheets, relay: OutboxRelay
) -> None:
    lead_id = await put_lead(pool, LEAD, qualifying(LEAD))
    await enqueue(pool, LEAD, 0)
    relay.wake()
    await eventually(lambda: settled(pool, ["sent"]))

    await put_lead(
        pool, LEAD, qualifying(LEAD, status=Status.BOOKING_PENDING, deposit=Deposit.LINK_SENT)
    )
    await enqueue(pool, LEAD, 1)
    relay.wake()
    await eventually(lambda: settled(pool, ["sent", "sent"]))

    rows = lead_rows(sheets)
    assert list(rows) == [str(lead_id)]
    row = rows[str(lead_id)]
    assert (row[1], *row[-5:]) == (
        "BOOKING_PENDING",
        "link_sent",
        "£50.00",  # asked, in money words; nothing paid or refunded yet
        "",
        "",
        await updated_at(pool, LEAD),
    )
    references = await pool.fetch("SELECT provider_message_id FROM outbox ORDER BY id")
    assert [r["provider_message_id"] for r in references] == ["Leads!A2:O2", "Leads!A2:O2"]
    assert len(sheets.calls("POST", ":append")) == 1


async def test_the_deposit_asked_paid_and_refunded_are_written_in_money_words(
    pool: Pool, sheets: FakeSheets, relay: OutboxRelay
) -> None:
    paid_back = qualifying(
        LEAD,
        status=Status.BOOKED,
        deposit=Deposit.PAID,
        payment_intent="pi_1",
        deposit_amount=8000,
        paid_amount=8000,
        refunded_amount=3000,
    )
    lead_id = await put_lead(pool, LEAD, paid_back)
    await enqueue(pool, LEAD)
    relay.wake()
    await eventually(lambda: settled(pool, ["sent"]))
    row = lead_rows(sheets)[str(lead_id)]
    assert row[-5:-1] == ["paid", "£80.00", "£80.00", "£30.00"]


async def test_a_late_row_writes_the_newest_state(
    pool: Pool, sheets: FakeSheets, relay: OutboxRelay
) -> None:
    """The row is read at delivery, so two queued rows both write the current state."""
    lead_id = await put_lead(pool, LEAD, qualifying(LEAD))
    await enqueue(pool, LEAD, 0)
    await put_lead(pool, LEAD, qualifying(LEAD, status=Status.PENDING_APPROVAL))
    await enqueue(pool, LEAD, 1)
    relay.wake()
    await eventually(lambda: settled(pool, ["sent", "sent"]))
    assert lead_rows(sheets)[str(lead_id)][1] == "PENDING_APPROVAL"


async def test_429_then_200_writes_one_row_after_a_recorded_retry(
    pool: Pool, sheets: FakeSheets, relay: OutboxRelay
) -> None:
    sheets.fail_next(429)
    await put_lead(pool, LEAD, qualifying(LEAD))
    await enqueue(pool, LEAD)
    relay.wake()
    await eventually(lambda: settled(pool, ["sent"]))
    assert len(lead_rows(sheets)) == 1
    assert await outcomes(pool) == [("retry", "sheets_429"), ("sent", None)]


async def test_500_twice_then_success(pool: Pool, sheets: FakeSheets, relay: OutboxRelay) -> None:
    sheets.fail_next(500, count=2, on=":append")
    await put_lead(pool, LEAD, qualifying(LEAD))
    await enqueue(pool, LEAD)
    relay.wake()
    await eventually(lambda: settled(pool, ["sent"]))
    assert len(lead_rows(sheets)) == 1
    assert await outcomes(pool) == [
        ("retry", "sheets_500"),
        ("retry", "sheets_500"),
        ("sent", None),
    ]


async def test_an_append_answered_too_late_is_retried_without_a_duplicate(
    pool: Pool, sheets: FakeSheets, relay: OutboxRelay
) -> None:
    """The append lands but its answer never arrives: the retry finds and updates the row."""
    sheets.stall_next(TIMEOUT_S * 4, on=":append")
    await put_lead(pool, LEAD, qualifying(LEAD))
    await enqueue(pool, LEAD)
    relay.wake()
    await eventually(lambda: settled(pool, ["sent"]))
    assert len(lead_rows(sheets)) == 1
    assert await outcomes(pool) == [("retry", "timeout"), ("sent", None)]
    assert len(sheets.calls("POST", ":append")) == 1


async def test_a_403_dead_letters_at_once(
    pool: Pool, sheets: FakeSheets, relay: OutboxRelay
) -> None:
    """The spreadsheet is not shared with the service account: retrying cannot help."""
    sheets.fail_next(403)
    await put_lead(pool, LEAD, qualifying(LEAD))
    await enqueue(pool, LEAD)
    relay.wake()
    await eventually(lambda: settled(pool, ["dead"]))
    assert await outcomes(pool) == [("dead", "sheets_403")]
    assert sheets.rows() == []


async def test_a_lead_that_is_gone_dead_letters(
    pool: Pool, sheets: FakeSheets, relay: OutboxRelay
) -> None:
    await enqueue(pool, LEAD)
    relay.wake()
    await eventually(lambda: settled(pool, ["dead"]))
    assert await outcomes(pool) == [("dead", "lead_gone")]
    assert sheets.calls() == []


async def test_a_revoked_token_is_replaced_without_a_failed_delivery(
    pool: Pool, sheets: FakeSheets, relay: OutboxRelay
) -> None:
    await put_lead(pool, LEAD, qualifying(LEAD))
    await enqueue(pool, LEAD, 0)
    relay.wake()
    await eventually(lambda: settled(pool, ["sent"]))
    sheets.revoke_tokens()
    await put_lead(pool, LEAD, qualifying(LEAD, status=Status.PENDING_APPROVAL))
    await enqueue(pool, LEAD, 1)
    relay.wake()
    await eventually(lambda: settled(pool, ["sent", "sent"]))
    assert sheets.token_grants == 2
    assert await outcomes(pool) == [("sent", None), ("sent", None)]


async def test_a_renamed_worksheet_is_found_again(
    pool: Pool, sheets: FakeSheets, relay: OutboxRelay
) -> None:
    """The worksheet kept from the last delivery is stale: reopen it, no failed attempt."""
    lead_id = await put_lead(pool, LEAD, qualifying(LEAD))
    await enqueue(pool, LEAD, 0)
    relay.wake()
    await eventually(lambda: settled(pool, ["sent"]))
    sheets.rename_worksheet("Leads", "Enquiries")
    await put_lead(pool, LEAD, qualifying(LEAD, status=Status.PENDING_APPROVAL))
    await enqueue(pool, LEAD, 1)
    relay.wake()
    await eventually(lambda: settled(pool, ["sent", "sent"]))
    assert await outcomes(pool) == [("sent", None), ("sent", None)]
    assert sheets.rows("Enquiries")[1][:2] == [str(lead_id), "PENDING_APPROVAL"]
    assert len(sheets.rows("Enquiries")) == 2
    assert [r.status for r in sheets.calls() if r.status >= 400] == [400]  # the stale range


async def test_a_token_endpoint_that_is_down_is_retryable(
    pool: Pool,
    composer: Composer,
    sheets: FakeSheets,
    server: SheetsServer,
    signing_key: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    await put_lead(pool, LEAD, qualifying(LEAD))
    deliverer = SheetsSync(
        Database(pool),
        composer,
        spreadsheet_id=sheets.spreadsheet_id,
        service_account_file=service_account_file(tmp_path, signing_key, closed_port_url()),
        api_base=server.base_url,
        timeout_s=TIMEOUT_S,
    )
    try:
        with pytest.raises(RetryableDeliveryError) as raised:
            await deliverer.deliver(claimed(LEAD), Deadline(math.inf))
    finally:
        deliverer.close()
    assert raised.value.code == "token_unreachable"
    assert sheets.calls() == []


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/token"


def claimed(wa_id: str) -> Delivery:
    return Delivery(
        MirrorLead(wa_id),
        ClaimedDelivery(
            id=1,
            lead_key=wa_id,
            channel="sheets",
            payload={"wa_id": wa_id},
            idempotency_key=f"sheets:{wa_id}:0",
            correlation_id=None,
            attempt=1,
            created_at=datetime.now(UTC),
            lead_status=None,
        ),
    )
