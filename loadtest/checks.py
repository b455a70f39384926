"""
The promises, checked after a run from the database and the fakes' records.

Each check returns `Check(name, passed, detail)`; `detail` says what was counted and
names a few offenders when it fails.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from actors import Composer
from actors.lead import Message, Status, state_from_json
from actors.runtime.message_ids import whatsapp_message_id
from fakes.graph import FakeGraphApi, SentMessage
from fakes.stripe_api import FakeStripe
from loadtest.chaos import Fault, FaultLog
from loadtest.cluster import Cluster, sender_of
from loadtest.conversation import Role
from loadtest.leads import LeadResult, distinct

__all__ = [
    "Check",
    "Observed",
    "duplicates_only_in_crash_windows",
    "observe",
    "run_checks",
    "versions_without_gaps",
]

_SAMPLES = 5


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"passed": self.passed, **self.detail}


@dataclass(frozen=True)
class Observed:
    """What the database holds at the end, read once."""

    leads: dict[str, dict[str, Any]]  # lead_key -> version, status, state, lead_id
    inbox: dict[str, dict[str, Any]]  # message_id -> lead_key, outcome, lead_version
    outbox: list[dict[str, Any]]  # id, lead_key, channel, status, key, payload, created_at
    deposit_sessions: dict[str, int]  # lead_key -> count
    uncertain: dict[str, int]  # idempotency key -> crash windows the service recorded
    appointments: list[dict[str, Any]] = field(default_factory=list)  # holds, appointments


# A stored studio keys its leads by a new lead id, the default studio by phone: every
# row's lead_key is read as the lead's wa_id (each lead of a run has its own), so the
# checks compare with the harness's leads the same way in every studio.
_BY_WA_ID = """
SELECT l.lead_key, coalesce(
    (SELECT i.value FROM lead_identities AS i
     WHERE i.studio_id = l.studio_id AND i.lead_key = l.lead_key AND i.kind = 'wa_id'
     ORDER BY i.until IS NULL DESC, i.since DESC LIMIT 1),
    l.lead_key) AS wa_id
FROM leads AS l
"""


async def observe(cluster: Cluster) -> Observed:
    db = cluster.database
    wa_id = {r["lead_key"]: r["wa_id"] for r in await db.fetch(_BY_WA_ID)}

    def keyed(record: Any) -> dict[str, Any]:
        row = dict(record)
        row["lead_key"] = wa_id.get(row["lead_key"], row["lead_key"])
        return row

    leads = {
        wa_id.get(r["lead_key"], r["lead_key"]): {**keyed(r), "state": json.loads(r["state"])}
        for r in await db.fetch(
            "SELECT lead_key, version, status, state, lead_id::text AS lead_id FROM leads"
        )
    }
    inbox = {
        r["message_id"]: keyed(r)
        for r in await db.fetch("SELECT message_id, lead_key, outcome, lead_version FROM inbox")
    }
    outbox = [
        {**keyed(r), "payload": json.loads(r["payload"])}
        for r in await db.fetch(
            "SELECT id, lead_key, channel, status, idempotency_key AS key, payload,"
            " last_error, extract(epoch FROM created_at)::float8 AS created_at,"
            " provider_message_id, delivery_state"
            " FROM outbox ORDER BY id"
        )
    ]
    sessions = {
        wa_id.get(r["lead_key"], r["lead_key"]): int(r["n"])
        for r in await db.fetch(
            "SELECT lead_key, count(*) AS n FROM deposit_sessions GROUP BY lead_key"
        )
    }
    # The windows the service recorded itself: attempts that ended `uncertain` (sent,
    # no answer) and sends made after the claim was taken over (`possible_duplicate`).
    uncertain: dict[str, int] = defaultdict(int)
    for r in await db.fetch(
        "SELECT o.idempotency_key AS key FROM delivery_attempts AS d"
        " JOIN outbox AS o ON o.id = d.outbox_id WHERE d.outcome = 'uncertain'"
        " UNION ALL"
        " SELECT o.idempotency_key FROM system_events AS e"
        " JOIN outbox AS o ON o.id = (e.detail->>'outbox_id')::bigint"
        " WHERE e.kind = 'possible_duplicate'"
    ):
        uncertain[r["key"]] += 1
    appointments = [
        keyed(r)
        for r in await db.fetch(
            "SELECT id, lead_key, kind, status, starts_at, blocked_until FROM appointments"
            " ORDER BY id"
        )
    ]
    return Observed(leads, inbox, outbox, sessions, dict(uncertain), appointments)


def run_checks(
    results: Sequence[LeadResult],
    observed: Observed,
    cluster: Cluster,
    composer: Composer,
    faults: FaultLog,
    *,
    chaos: bool,
    outbox_drained: bool,
    reported: Mapping[str, str] | None = None,
) -> list[Check]:
    """`reported`: Meta's id -> the final state of the statuses posted for it."""
    # A lead that picked a time left its reference at the approval (its slots depend on
    # every other lead): the appointments' checks below speak for it.
    followed = [r for r in results if not r.scheduled]
    checks = [
        _every_delivery_acknowledged(results),
        _applied_exactly_once(results, observed),
        versions_without_gaps(observed),
        _final_state_matches_reference(followed, observed),
        _intended_replies_delivered(followed, observed, cluster.graph, composer),
        _nothing_to_opted_out(results, observed, cluster.graph),
        duplicates_only_in_crash_windows(cluster.graph, faults, observed.uncertain),
        _paying_leads_booked_once(followed, observed, cluster.stripe, cluster.graph),
        Check("outbox_drained", outbox_drained, _outbox_states(observed)),
        _statuses_applied(observed, reported or {}),
        _no_reply_to_reactions(results, observed),
    ]
    if any(r.scheduled for r in results):
        checks.append(_no_two_live_appointments_overlap(observed))
        checks.append(_paid_leads_have_one_appointment_or_a_cancellation(results, observed))
    if chaos:
        checks.append(_paused_replica_silent(cluster.graph, faults, observed.uncertain))
    return checks


def _sample(items: Sequence[Any]) -> list[Any]:
    return list(items[:_SAMPLES])


def _every_delivery_acknowledged(results: Sequence[LeadResult]) -> Check:
    failed = [r for r in results if r.error is not None]
    return Check(
        "every_delivery_acknowledged",
        not failed,
        {"leads": len(results), "gave_up": len(failed), "examples": [r.error for r in failed][:3]},
    )


def _applied_exactly_once(results: Sequence[LeadResult], observed: Observed) -> Check:
    """Every acknowledged message is in the inbox once, with the reference's outcome."""
    missing: list[str] = []
    wrong: list[tuple[str, str, str]] = []
    count = 0
    for result in results:
        for outgoing in result.acknowledged:
            count += 1
            message_id = whatsapp_message_id(outgoing.message["id"])
            row = observed.inbox.get(message_id)
            if row is None:
                missing.append(message_id)
            elif row["outcome"] != outgoing.expected_outcome:
                wrong.append((message_id, row["outcome"], outgoing.expected_outcome))
    return Check(
        "acknowledged_applied_exactly_once",
        not missing and not wrong,
        {
            "acknowledged": count,
            "missing": len(missing),
            "wrong_outcome": len(wrong),
            "examples": _sample(missing) + _sample(wrong),
        },
    )


def versions_without_gaps(observed: Observed) -> Check:
    """Each lead's turns carry versions 1..N exactly once, N being the snapshot's."""
    versions: dict[str, list[int]] = defaultdict(list)
    for row in observed.inbox.values():
        if row["lead_version"] is not None:
            versions[row["lead_key"]].append(int(row["lead_version"]))
    broken = [
        key
        for key, lead in observed.leads.items()
        if sorted(versions.get(key, [])) != list(range(1, int(lead["version"]) + 1))
    ]
    return Check(
        "snapshot_versions_without_gaps",
        not broken,
        {"leads": len(observed.leads), "broken": len(broken), "examples": _sample(broken)},
    )


def _conversation(state: Any) -> dict[str, Any]:
    return {
        "status": state.status.value,
        "answers": [(a.question, a.value) for a in state.answers],
    }


def _final_state_matches_reference(results: Sequence[LeadResult], observed: Observed) -> Check:
    differing: list[dict[str, Any]] = []
    compared = 0
    for result in results:
        if not result.finished:
            continue
        compared += 1
        row = observed.leads.get(result.script.wa_id)
        seen = _conversation(state_from_json(row["state"])) if row else None
        wanted = _conversation(result.script.state)
        if seen != wanted:
            differing.append({"lead": result.script.wa_id[-4:], "seen": seen, "wanted": wanted})
    return Check(
        "final_state_matches_sequential_reference",
        not differing and compared > 0,
        {"compared": compared, "differing": len(differing), "examples": differing[:2]},
    )


def _graph_message(body: dict[str, Any]) -> dict[str, Any]:
    kind = body["type"]
    return {"type": kind, kind: body.get(kind)}


def _rendered(composer: Composer, effect: Message) -> dict[str, Any]:
    return _graph_message(composer.render(effect))


def _intended_replies_delivered(
    results: Sequence[LeadResult], observed: Observed, graph: FakeGraphApi, composer: Composer
) -> Check:
    """Every WhatsApp row was delivered (or withheld from an opted-out lead), and each lead
    read the reference's replies, in order."""
    accepted = {str(m.body.get("biz_opaque_callback_data")) for m in graph.sent}
    undelivered = [
        row["id"]
        for row in observed.outbox
        if row["channel"] == "whatsapp"
        and not _read_receipt_settled(row)
        and not (row["status"] == "sent" and row["key"] in accepted)
        and not (row["status"] == "suppressed" and row["last_error"] == "opted_out")
    ]
    differing: list[str] = []
    for result in results:
        if not result.finished:
            continue
        wa_id = result.script.wa_id
        read = [_graph_message(m.body) for m in distinct(graph.to(wa_id))]
        if read != [_rendered(composer, e) for e in result.script.replies]:
            differing.append(wa_id[-4:])
    rows = sum(1 for row in observed.outbox if row["channel"] == "whatsapp")
    return Check(
        "intended_replies_delivered_in_order",
        not undelivered and not differing,
        {
            "whatsapp_rows": rows,
            "undelivered": len(undelivered),
            "leads_reading_other_replies": len(differing),
            "examples": _sample(undelivered) + _sample(differing),
        },
    )


def _read_receipt_settled(row: dict[str, Any]) -> bool:
    """A read receipt is settled once sent or given up at once (it never holds a reply)."""
    return row["payload"].get("type") == "mark_read" and row["status"] in ("sent", "suppressed")


def _statuses_applied(observed: Observed, reported: Mapping[str, str]) -> Check:
    """Every message whose statuses Meta posted (in any order) ends with the last state."""
    compared = 0
    wrong: list[str] = []
    for row in observed.outbox:
        final = reported.get(str(row["provider_message_id"]))
        if final is None:
            continue
        compared += 1
        if row["delivery_state"] != final:
            wrong.append(f"{row['id']}: {row['delivery_state']} (reported {final})")
    return Check(
        "statuses_applied_whatever_their_order",
        not wrong and (compared > 0 or not reported),
        {
            "reported": len(reported),
            "compared": compared,
            "wrong": len(wrong),
            "examples": _sample(wrong),
        },
    )


def _no_reply_to_reactions(results: Sequence[LeadResult], observed: Observed) -> Check:
    """A reaction is recorded, never answered: no message goes back to the lead because of
    one. (While the bot is silent, waiting on the artist, it reaches the artist like any
    message: that is telling the artist, not replying.)"""
    reactions = [r for result in results for r in result.reactions]
    lead_of = {r: result.script.wa_id for result in results for r in result.reactions}
    answered = {
        (row["key"].rsplit("/", 1)[0], row["payload"].get("to"))
        for row in observed.outbox
        if row["channel"] == "whatsapp" and row["payload"].get("type") != "mark_read"
    }
    replied = [r for r in reactions if (r, lead_of[r]) in answered]
    recorded = sum(1 for r in reactions if r in observed.inbox)
    return Check(
        "no_reply_to_a_reaction",
        not replied and recorded == len(reactions),
        {
            "reactions": len(reactions),
            "recorded": recorded,
            "replied_to": len(replied),
            "examples": _sample(replied),
        },
    )


def _nothing_to_opted_out(
    results: Sequence[LeadResult], observed: Observed, graph: FakeGraphApi
) -> Check:
    """After an opt-out is confirmed, nothing else reaches the lead."""
    confirmations = {
        row["key"] for row in observed.outbox if row["payload"].get("after_opt_out") is True
    }
    leaked: list[str] = []
    opted_out = 0
    for result in results:
        if result.script.role != Role.OPT_OUT:
            continue
        opted_out += 1
        keys = [str(m.body.get("biz_opaque_callback_data")) for m in graph.to(result.script.wa_id)]
        first = next((i for i, k in enumerate(keys) if k in confirmations), None)
        if first is None:
            continue
        if any(k not in confirmations for k in keys[first:]):
            leaked.append(result.script.wa_id[-4:])
        status = observed.leads.get(result.script.wa_id, {}).get("status")
        if status != Status.OPTOUT.value:
            leaked.append(f"{result.script.wa_id[-4:]}: status {status}")
    return Check(
        "no_message_after_opt_out",
        not leaked,
        {"opted_out_leads": opted_out, "leaked": len(leaked), "examples": _sample(leaked)},
    )


def _copies(graph: FakeGraphApi) -> dict[str, list[SentMessage]]:
    copies: dict[str, list[SentMessage]] = defaultdict(list)
    for message in graph.sent:
        copies[str(message.body.get("biz_opaque_callback_data"))].append(message)
    return copies


@dataclass
class _Duplicates:
    """Every second copy of a reply, by the crash window that accounts for it."""

    by_window: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unexplained: list[tuple[str, SentMessage, SentMessage]] = field(default_factory=list)


def _duplicates(graph: FakeGraphApi, faults: FaultLog, recorded: dict[str, int]) -> _Duplicates:
    """Sort consecutive copies of one reply by the window that accounts for them:

    response_lost     the fake accepted the first copy and dropped its answer
    recorded          the service recorded the window itself: an attempt that ended
                      `uncertain` (a timeout or a connection lost after the request left),
                      or a `possible_duplicate` event (its claim taken over, or the
                      database gone, after the provider accepted)
    sender_failed     the first copy's sender (or the database) failed between the copies
    under_way_paused  the second copy's sender was paused with the call under way while
                      the first went out, then lost its connections or was killed before
                      it could record it
    """
    found = _Duplicates()
    for key, copies in _copies(graph).items():
        credits = recorded.get(key, 0)
        for before, again in itertools.pairwise(copies):
            if before.response_lost:
                window = "response_lost"
            elif credits > 0:
                credits -= 1
                window = "recorded"
            elif faults.explains(sender_of(before.path), before.accepted_at, again.accepted_at):
                window = "sender_failed"
            elif faults.paused_under_way(
                sender_of(again.path), before.accepted_at, again.accepted_at
            ):
                window = "under_way_paused"
            else:
                found.unexplained.append((key, before, again))
                continue
            found.by_window[window] += 1
    return found


def _timeline(key: str, before: SentMessage, again: SentMessage) -> str:
    return (
        f"{key}: {sender_of(before.path)}@{before.accepted_at:.3f},"
        f" {sender_of(again.path)}@{again.accepted_at:.3f}"
    )


def duplicates_only_in_crash_windows(
    graph: FakeGraphApi, faults: FaultLog, recorded: dict[str, int] | None = None
) -> Check:
    """A reply goes out twice only inside a crash window (`_duplicates`)."""
    found = _duplicates(graph, faults, recorded or {})
    return Check(
        "duplicates_only_in_crash_windows",
        not found.unexplained,
        {
            "accepted": len(graph.sent),
            "duplicates": sum(found.by_window.values()) + len(found.unexplained),
            "by_window": dict(sorted(found.by_window.items())),
            "unexplained": len(found.unexplained),
            "examples": [_timeline(*pair) for pair in found.unexplained[:_SAMPLES]],
        },
    )


def _paying_leads_booked_once(
    results: Sequence[LeadResult], observed: Observed, stripe: FakeStripe, graph: FakeGraphApi
) -> Check:
    booked_keys = {row["key"] for row in observed.outbox if row["payload"].get("key") == "booked"}
    wrong: list[str] = []
    paying = [r for r in results if r.script.role == Role.PAY]
    paid = [r for r in paying if r.paid_session is not None]
    for result in paid:
        wa_id = result.script.wa_id
        lead = observed.leads.get(wa_id, {})
        sessions = len(stripe.sessions_for(str(result.lead_uuid)))
        confirmations = [
            m
            for m in distinct(graph.to(wa_id))
            if m.body.get("biz_opaque_callback_data") in booked_keys
        ]
        if (
            lead.get("status") != Status.BOOKED.value
            or sessions != 1
            or observed.deposit_sessions.get(wa_id) != 1
            or len(confirmations) != 1
        ):
            wrong.append(
                f"{wa_id[-4:]}: status {lead.get('status')}, {sessions} sessions,"
                f" {len(confirmations)} confirmations"
            )
    unpaid = [r.script.wa_id[-4:] for r in paying if r.finished and r.paid_session is None]
    return Check(
        "paying_leads_booked_once",
        not wrong and not unpaid,
        {
            "paying_leads": len(paying),
            "paid": len(paid),
            "never_got_to_pay": len(unpaid),
            "wrong": len(wrong),
            "examples": _sample(wrong) + _sample(unpaid),
        },
    )


def _no_two_live_appointments_overlap(observed: Observed) -> Check:
    """Live holds and appointments, session plus buffer: no two share a moment."""
    live = sorted(
        (r for r in observed.appointments if r["status"] == "live"),
        key=lambda r: r["starts_at"],
    )
    overlapping = [
        f"{a['lead_key'][-4:]}/{b['lead_key'][-4:]} at {b['starts_at'].isoformat()}"
        for a, b in itertools.pairwise(live)
        if b["starts_at"] < a["blocked_until"]
    ]
    return Check(
        "no_two_live_appointments_overlap",
        not overlapping,
        {
            "rows": len(observed.appointments),
            "live": len(live),
            "overlapping": len(overlapping),
            "examples": _sample(overlapping),
        },
    )


_PAID_DEPOSITS = frozenset({"paid", "refund_requested", "refunded"})


def _paid_leads_have_one_appointment_or_a_cancellation(
    results: Sequence[LeadResult], observed: Observed
) -> Check:
    """Every lead whose deposit is paid has exactly one live appointment, or is CANCELLED
    with its appointment's row cancelled; and each scheduling lead that paid ended so."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in observed.appointments:
        rows[row["lead_key"]].append(row)
    wrong: list[str] = []
    paid = 0
    for key, lead in observed.leads.items():
        state = lead["state"]
        if state.get("deposit") not in _PAID_DEPOSITS:
            continue
        paid += 1
        mine = rows.get(key, [])
        live = [r for r in mine if r["status"] == "live"]
        booked = len(live) == 1 and live[0]["kind"] == "appointment"
        cancelled = (
            lead["status"] == Status.CANCELLED.value
            and not live
            and any(r["status"] == "cancelled" for r in mine)
        )
        if not (booked or cancelled):
            wrong.append(f"{key[-4:]}: {lead['status']}, rows {[r['status'] for r in mine]}")
    expected = {Role.PAY: "BOOKED", Role.RESCHEDULE: "BOOKED", Role.CANCEL: "CANCELLED"}
    moved = 0
    for result in results:
        if not (result.scheduled and result.paid_session and result.finished):
            continue
        lead = observed.leads.get(result.script.wa_id, {})
        if lead.get("status") != expected.get(result.script.role):
            wrong.append(
                f"{result.script.wa_id[-4:]}: {result.script.role} ended {lead.get('status')}"
            )
        moved += int(
            result.script.role == Role.RESCHEDULE and lead.get("state", {}).get("reschedules") == 1
        )
    return Check(
        "paid_leads_have_one_appointment_or_a_cancellation",
        not wrong,
        {
            "paid_leads": paid,
            "scheduled": sum(1 for r in results if r.scheduled),
            "picks_lost_to_another_lead": sum(r.picks_lost for r in results),
            "rescheduled": moved,
            "cancelled": sum(
                1 for lead in observed.leads.values() if lead["status"] == "CANCELLED"
            ),
            "wrong": len(wrong),
            "examples": _sample(wrong),
        },
    )


def _outbox_states(observed: Observed) -> dict[str, Any]:
    states: dict[str, int] = defaultdict(int)
    for row in observed.outbox:
        states[f"{row['channel']}:{row['status']}"] += 1
    return {"rows": dict(sorted(states.items()))}


def _resent_on_waking(pauses: Sequence[Fault], before: SentMessage, again: SentMessage) -> bool:
    """The second copy came from a replica, after it woke, that slept through the first."""
    return any(
        sender_of(again.path) == p.replica
        and p.ended is not None
        and again.accepted_at > p.ended
        and p.started <= before.accepted_at <= p.ended
        for p in pauses
    )


def _paused_replica_silent(
    graph: FakeGraphApi, faults: FaultLog, recorded: dict[str, int]
) -> Check:
    """A replica paused long enough to lose its leases and locks does nothing stale on
    waking: none of its old connections survive (so none of its open transactions can
    commit), and the only replies it sends that another replica sent while it slept are
    calls that were already under way when it stopped, each one recorded (by the service
    as `possible_duplicate`, or by its death right after)."""
    pauses = [f for f in faults.faults if f.kind == "pause" and f.ended is not None]
    stale_sends = [
        _timeline(key, before, again)
        for key, before, again in _duplicates(graph, faults, recorded).unexplained
        if _resent_on_waking(pauses, before, again)
    ]
    under_way = sum(  # sends on waking by calls that had passed their lease check
        _resent_on_waking(pauses, before, again)
        for copies in _copies(graph).values()
        for before, again in itertools.pairwise(copies)
    )
    lost_locks = [p for p in pauses if p.detail.get("lost_locks")]
    survivors = sum(int(str(p.detail.get("old_backends_left_at_wake", 0))) for p in lost_locks)
    return Check(
        "paused_replica_commits_and_sends_nothing_stale",
        bool(pauses) and bool(lost_locks) and survivors == 0 and not stale_sends,
        {
            "pauses": len(pauses),
            "pauses_with_lost_locks": len(lost_locks),
            "old_connections_alive_at_wake": survivors,
            "calls_under_way_at_pause_sent_on_waking": under_way,
            "unrecorded_stale_sends": len(stale_sends),
            "examples": _sample(stale_sends),
        },
    )
