"""
Outbox rows: claimed by the relay, then marked sent, retried later, or dead-lettered.

Ordering per lead is kept by construction: only a lead's oldest pending row on each
channel (the head of its lane) can be claimed, and it stays the head until it is sent,
suppressed or dead. Lanes are per channel so a Sheets outage never holds back replies.
A claim sets a lease instead of holding a row lock across the HTTP call, so no
transaction is open while we talk to a provider; a replica that dies mid-delivery lets
its lease lapse and another claims the row again (at-least-once). Every attempt is
recorded. A claim may also name its claimer's database session (`storage.claimer`):
once that backend has left `pg_stat_activity` and has not come back within a grace of
a second or two, the claimer is dead, and the row is claimed again then rather than
when the lease lapses.

The claim counts the attempt (`attempts + 1`) and reports how the previous one ended:
no `delivery_attempts` row for it means the process died mid-call or could not record
the provider's acceptance, so the relay knows this send may be a duplicate. It also
reports the lead's status and `last_inbound_at` as they are now, because the opt-out
and WhatsApp's 24-hour window are judged at delivery, not when the row was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from storage.statuses import FailedDelivery
from storage.studios import DEFAULT_STUDIO_ID

__all__ = ["ClaimedDelivery", "ClaimerIdentity", "Outbox"]

# A backend is alive while `pg_stat_get_activity(pid)` finds it with the same start time
# (NULL when our role may not see another role's sessions: then the pid alone, which
# errs towards waiting for the lease). Parameters $5 and $6: the claimer's session
# (`storage.claimer`), recorded only if it is registered and this server sees it alive
# now (a session on another server, or one already gone, would free the rows at once).
# $7: how long a gone claimer has to come back and re-tie the rows it still works on.
_CLAIM = """
WITH gone AS (  -- claimers whose session has ended: when that was first seen
    UPDATE relay_claimers AS c SET gone_at = now()
    WHERE (c.pid, c.started) IN (
        SELECT r.pid, r.started FROM relay_claimers AS r
        WHERE r.gone_at IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM pg_stat_get_activity(r.pid) AS a
              WHERE a.backend_start = r.started OR a.backend_start IS NULL
          )
        FOR UPDATE SKIP LOCKED
    )
), vouched AS (
    SELECT r.pid, r.started
    FROM relay_claimers AS r, pg_stat_get_activity($5::integer) AS a
    WHERE r.pid = $5::integer AND r.started = $6::timestamptz AND r.gone_at IS NULL
      AND (a.backend_start = r.started OR a.backend_start IS NULL)
), ready AS (
    SELECT o.id
    FROM outbox AS o
    WHERE o.status = 'pending'
      AND ($3::text[] IS NULL OR o.channel = ANY($3::text[]))
      AND NOT (o.channel = ANY($4::text[]))
      AND o.next_attempt_at <= now()
      AND (
          o.lease_until IS NULL OR o.lease_until < now()
          OR EXISTS (  -- the claimer's session is gone: it died, and its claim with it
              SELECT 1 FROM relay_claimers AS c
              WHERE c.pid = o.claimer_pid AND c.started = o.claimer_started
                AND c.gone_at < now() - make_interval(secs => $7)
          )
      )
      AND NOT EXISTS (  -- only the head of its lane
          SELECT 1 FROM outbox AS earlier
          WHERE earlier.lead_key = o.lead_key
            AND earlier.channel = o.channel
            AND earlier.status = 'pending'
            AND earlier.id < o.id
      )
    ORDER BY o.id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox AS o
SET lease_until = now() + make_interval(secs => $2), attempts = o.attempts + 1,
    claimer_pid = (SELECT pid FROM vouched), claimer_started = (SELECT started FROM vouched)
FROM ready
WHERE o.id = ready.id
RETURNING o.id, o.lead_key, o.channel, o.payload, o.idempotency_key, o.correlation_id,
          o.attempts, o.created_at, o.claimer_pid, o.claimer_started, o.studio_id,
          (SELECT l.status FROM leads AS l WHERE l.lead_key = o.lead_key) AS lead_status,
          (SELECT l.last_inbound_at FROM leads AS l WHERE l.lead_key = o.lead_key)
              AS last_inbound_at,
          (SELECT i.value FROM lead_identities AS i
           WHERE i.lead_key = o.lead_key AND i.kind = 'wa_id' AND i.until IS NULL
           ORDER BY i.since DESC LIMIT 1) AS lead_phone,
          (SELECT i.value FROM lead_identities AS i
           WHERE i.lead_key = o.lead_key AND i.kind = 'user_id' AND i.until IS NULL
           ORDER BY i.since DESC LIMIT 1) AS lead_user_id,
          (SELECT d.outcome FROM delivery_attempts AS d
           WHERE d.outbox_id = o.id AND d.attempt = o.attempts - 1
           ORDER BY d.id DESC LIMIT 1) AS previous_outcome
"""

# Settling a claim. Every statement below applies only while the claim still holds the
# row (`attempts = $2`, the fencing token) and returns the row's id when it did.
# Parameters: $1 the row, $2 the claim's attempt, $3 outcome, $4 error code, $5 detail,
# $6 provider message id, $7 delay (retry only).
_RECORD_ATTEMPT = """
INSERT INTO delivery_attempts
    (outbox_id, attempt, outcome, error_code, error_detail, provider_message_id, correlation_id)
SELECT id, attempts, $3, $4, $5, $6, correlation_id FROM changed
RETURNING outbox_id
"""

_MARK_SENT = (
    """
WITH changed AS (
    UPDATE outbox
    SET status = 'sent', provider_message_id = $6, lease_until = NULL,
        finished_at = now(), last_error = NULL
    WHERE id = $1 AND status = 'pending' AND attempts = $2
    RETURNING id, attempts, correlation_id
)
"""
    + _RECORD_ATTEMPT
)

_RETRY_LATER = (
    """
WITH changed AS (
    UPDATE outbox
    SET next_attempt_at = now() + make_interval(secs => $7), lease_until = NULL,
        last_error = $4
    WHERE id = $1 AND status = 'pending' AND attempts = $2
    RETURNING id, attempts, correlation_id
)
"""
    + _RECORD_ATTEMPT
)

# Many acceptances in one statement (the relay gathers those that finish together).
# Parameters: $1 the rows, $2 their claims' attempts, $3 the provider message ids.
# The trigger from migration 0007 applies a status Meta reported before this write (it
# is a BEFORE trigger, so RETURNING sees it): a failure comes back with its row, and
# the relay tells the lead without reading the row again.
_MARK_SENT_MANY = """
WITH sent AS (
    SELECT * FROM unnest($1::bigint[], $2::integer[], $3::text[])
        AS s(id, attempt, provider_message_id)
), changed AS (
    UPDATE outbox AS o
    SET status = 'sent', provider_message_id = s.provider_message_id, lease_until = NULL,
        finished_at = now(), last_error = NULL
    FROM sent AS s
    WHERE o.id = s.id AND o.status = 'pending' AND o.attempts = s.attempt
    RETURNING o.id, o.attempts, o.correlation_id, o.provider_message_id, o.lead_key,
        o.delivery_state, o.delivery_error,
        CASE WHEN o.delivery_state = 'failed' THEN o.payload END AS payload
), attempts AS (
    INSERT INTO delivery_attempts
        (outbox_id, attempt, outcome, provider_message_id, correlation_id)
    SELECT id, attempts, 'sent', provider_message_id, correlation_id FROM changed
)
SELECT id AS outbox_id, lead_key, payload, provider_message_id,
    delivery_error AS error_code, delivery_state = 'failed' AS failed
FROM changed
"""

# Our own pacing put the call off: no attempt was made, so the claim's count is undone.
# Parameters: $1 the row, $2 the claim's attempt, $3 delay.
_DEFER = """
UPDATE outbox
SET next_attempt_at = now() + make_interval(secs => $3), lease_until = NULL,
    attempts = greatest(attempts - 1, 0)
WHERE id = $1 AND status = 'pending' AND attempts = $2
RETURNING id
"""

_SUPPRESS = (
    """
WITH changed AS (
    UPDATE outbox
    SET status = 'suppressed', lease_until = NULL, finished_at = now(), last_error = $4
    WHERE id = $1 AND status = 'pending' AND attempts = $2
    RETURNING id, attempts, correlation_id
)
"""
    + _RECORD_ATTEMPT
)

_DEAD_LETTER = (
    """
WITH changed AS (
    UPDATE outbox
    SET status = 'dead', lease_until = NULL, finished_at = now(), last_error = $4
    WHERE id = $1 AND status = 'pending' AND attempts = $2
    RETURNING id, attempts, correlation_id
)
"""
    + _RECORD_ATTEMPT
)


@dataclass(frozen=True)
class ClaimerIdentity:
    """A backend that vouches for a claim (`storage.claimer`): its pid and start time."""

    pid: int
    started: datetime


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    lead_key: str
    channel: str
    payload: dict[str, Any]
    idempotency_key: str
    correlation_id: str | None
    attempt: int
    created_at: datetime
    lead_status: str | None  # the lead's status when the row was claimed
    last_inbound_at: datetime | None = None  # the lead's last message, when claimed
    # How attempt `attempt - 1` was recorded: None when unrecorded (or this is the first).
    previous_outcome: str | None = None
    # The lead's current phone and BSUID when claimed: where its messages go.
    lead_phone: str | None = None
    lead_user_id: str | None = None
    # The session that vouches for this claim; None: it holds by its lease alone.
    claimer: ClaimerIdentity | None = None
    studio_id: int = DEFAULT_STUDIO_ID  # whose row it is (a re-tie names the studio)


class Outbox:
    """Relay-side operations on the outbox, each one statement, in the caller's unit."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def claim(
        self,
        limit: int,
        lease_s: float,
        *,
        channels: Sequence[str] | None = None,
        excluding: Sequence[str] = (),
        claimer: ClaimerIdentity | None = None,
        grace_s: float = 1.5,
    ) -> list[ClaimedDelivery]:
        """
        Lease up to `limit` lane heads of `channels` (None: any) but not `excluding`,
        tied to `claimer`'s session when this server sees it alive. A row whose claimer's
        session has ended is claimed again `grace_s` after a claim first saw it gone
        (the claimer's time to come back and re-tie it), before its lease runs out.
        """
        # Planned for the outbox as it is now, every time: a generic plan cached while the
        # outbox was nearly empty reads the whole pending index per candidate row once a
        # backlog builds (0.09 ms became 200 ms at 95,000 pending rows, and the relay
        # stalled behind its own claims).
        # SET LOCAL lasts until the unit's transaction ends: claim in a unit of its own.
        await self._con.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        rows = await self._con.fetch(
            _CLAIM,
            limit,
            lease_s,
            None if channels is None else list(channels),
            list(excluding),
            None if claimer is None else claimer.pid,
            None if claimer is None else claimer.started,
            grace_s,
        )
        return [
            ClaimedDelivery(
                id=row["id"],
                lead_key=row["lead_key"],
                channel=row["channel"],
                payload=row["payload"],
                idempotency_key=row["idempotency_key"],
                correlation_id=row["correlation_id"],
                attempt=row["attempts"],
                created_at=row["created_at"],
                lead_status=row["lead_status"],
                last_inbound_at=row["last_inbound_at"],
                previous_outcome=row["previous_outcome"],
                lead_phone=row["lead_phone"],
                lead_user_id=row["lead_user_id"],
                claimer=None
                if row["claimer_pid"] is None
                else ClaimerIdentity(row["claimer_pid"], row["claimer_started"]),
                studio_id=row["studio_id"],
            )
            for row in sorted(rows, key=lambda r: r["id"])
        ]

    # Each settle takes the claim (`ClaimedDelivery`) it settles and returns whether it
    # applied: False means the claim no longer holds the row (another claim took it over
    # after our lease lapsed, or it is settled already) and nothing was written.

    async def mark_sent(self, claim: ClaimedDelivery, provider_message_id: str | None) -> bool:
        return await self._settle(_MARK_SENT, claim, "sent", None, None, provider_message_id)

    async def mark_sent_many(
        self, sent: Sequence[tuple[ClaimedDelivery, str | None]]
    ) -> dict[int, FailedDelivery | None]:
        """
        `mark_sent` for each (claim, provider message id). Returns the rows it applied to,
        each with the failure Meta had already reported for that message, if any.
        """
        rows = await self._con.fetch(
            _MARK_SENT_MANY,
            [claim.id for claim, _ in sent],
            [claim.attempt for claim, _ in sent],
            [provider_id for _, provider_id in sent],
        )
        return {
            row["outbox_id"]: FailedDelivery(
                outbox_id=row["outbox_id"],
                lead_key=row["lead_key"],
                payload=row["payload"],
                provider_message_id=row["provider_message_id"],
                error_code=row["error_code"],
            )
            if row["failed"]
            else None
            for row in rows
        }

    async def retry_later(
        self,
        claim: ClaimedDelivery,
        *,
        delay_s: float,
        error_code: str,
        detail: str,
        outcome: str = "retry",
    ) -> bool:
        """Try again after `delay_s`; `outcome` "uncertain" if the provider may have it."""
        return await self._settle(_RETRY_LATER, claim, outcome, error_code, detail, None, delay_s)

    async def defer(self, claim: ClaimedDelivery, *, delay_s: float) -> bool:
        """Put the row back for `delay_s` without counting the attempt (nothing was sent)."""
        return await self._con.fetchval(_DEFER, claim.id, claim.attempt, delay_s) is not None

    async def dead_letter(self, claim: ClaimedDelivery, *, error_code: str, detail: str) -> bool:
        return await self._settle(_DEAD_LETTER, claim, "dead", error_code, detail, None)

    async def suppress(self, claim: ClaimedDelivery, *, reason: str) -> bool:
        """Refuse a row for good without sending it (opted out, outside the window)."""
        return await self._settle(_SUPPRESS, claim, "suppressed", reason, None, None)

    async def _settle(self, sql: str, claim: ClaimedDelivery, *args: object) -> bool:
        return await self._con.fetchval(sql, claim.id, claim.attempt, *args) is not None
